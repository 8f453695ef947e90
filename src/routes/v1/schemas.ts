import { Type } from 'typebox';
import { LEVEL_NAMES } from '../../courses/levels.js';
import { INTRODUCTION_MAX_BYTES } from '../../courses/service.js';
import { PortSpecSchema } from '../../common/job-ports.js';
import { HomePathSchema } from '../../config/home-path.js';
import { COURSE_LEVELS } from '../../store/schema.js';

export const Uuid = Type.String({ format: 'uuid', description: 'a UUID' });

export const IdParams = Type.Object({ id: Uuid });

/** The caller's own name; only an admin may name someone else. */
export const ActingUser = Type.String({
  minLength: 1,
  maxLength: 64,
  description: "the caller's user name; only admins may name another user",
});

const GpuCount = Type.Integer({ minimum: 0, maximum: 16, description: 'GPUs per job, 0 to 16' });

/** Dataset names are Kubernetes PVC names: lowercase DNS subdomains. */
export const DatasetName = Type.String({
  pattern: '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$',
  description: 'a dataset name: lowercase letters, digits, "-" and ".", at most 253 characters',
});

/** Stored as given: a property the course does not have is refused, not kept. */
export const CourseCreateBody = Type.Object({
  user: Type.Optional(ActingUser),
  name: Type.String({ minLength: 1, maxLength: 128, pattern: '\\S', description: '1 to 128 characters, not all blank' }),
  introduction: Type.Optional(
    Type.String({ maxLength: INTRODUCTION_MAX_BYTES, description: 'markdown, stored exactly as sent, up to 64 KiB' }),
  ),
  image: Type.String({
    minLength: 1,
    maxLength: 512,
    pattern: '^\\S+$',
    description: 'a container image reference, without spaces, e.g. nvidia/digits:6.0',
  }),
  level: Type.Enum([...LEVEL_NAMES]),
  gpu: Type.Optional(GpuCount),
  /** The spec's own spelling; `gpu` is accepted too. */
  GPU: Type.Optional(GpuCount),
  datasets: Type.Optional(Type.Array(DatasetName, { maxItems: 64, uniqueItems: true })),
  ports: Type.Optional(
    Type.Array(PortSpecSchema, { maxItems: 8, description: "ports the image serves; without them the image catalog decides (jupyter 8888, digits 5000, …)" }),
  ),
  homePath: Type.Optional(
    Type.Union([HomePathSchema, Type.Null()], {
      description: "where a job of the course sees its user's home, e.g. /home/jovyan; null or absent: the image catalog's place, else the server's setting",
    }),
  ),
}, { additionalProperties: false });

/** Create's fields, each optional, checked the same way; the owner stays who it is. */
export const CourseUpdateBody = Type.Partial(Type.Omit(CourseCreateBody, ['user']), { additionalProperties: false });

export const Course = Type.Object({
  id: Uuid,
  createAt: Type.String({ format: 'date-time' }),
  name: Type.String(),
  introduction: Type.String(),
  image: Type.String(),
  gpu: Type.Integer(),
  level: Type.Enum([...COURSE_LEVELS]),
  datasets: Type.Array(Type.String()),
  ports: Type.Array(PortSpecSchema),
  homePath: Type.Union([Type.String(), Type.Null()], { description: "where a job of the course sees its user's home; null: the image catalog's place, else the server's setting" }),
  user: Type.Union([Type.String(), Type.Null()], { description: "the owner's name; null once their account is deleted" }),
});

export const UserListBody = Type.Object({ user: Type.Optional(ActingUser) });

/** Query values are text, and types are not coerced: whole numbers are checked by pattern. */
export const PageQuery = Type.Object({
  limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,5}$', description: 'a whole number from 1 to 999999: at most this many courses' })),
  offset: Type.Optional(Type.String({ pattern: '^(0|[1-9][0-9]{0,8})$', description: 'a whole number from 0: how many courses to skip first' })),
});
