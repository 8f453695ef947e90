import { Type } from 'typebox';
import { USER_NAME_PATTERN, USER_NAME_RULE } from '../../common/account-rules.js';
import { MAX_WINDOWS, WindowInputSchema } from '../../classrooms/calendar.js';
import { ErrorEnvelope } from '../../http/envelope.js';
import { CLASS_ROLES, COURSE_LEVELS, WINDOW_END_ACTIONS } from '../../store/schema.js';
import { Uuid } from './schemas.js';

const Minutes = (description: string) => Type.Integer({ minimum: 0, maximum: 1440, description });
const ClassRoleSchema = Type.Enum([...CLASS_ROLES], { description: 'the role in the class' });
const UserName = Type.String({ pattern: USER_NAME_PATTERN.source, description: `a user name (${USER_NAME_RULE})` });
/** More members in one request than this is a roster: send it as CSV. */
const MAX_MEMBER_CHANGES = 5000;

const WindowEnd = Type.Object(
  {
    action: Type.Enum([...WINDOW_END_ACTIONS], { description: "keep: the class's jobs run on; stop: they are stopped graceMinutes after a window ends" }),
    graceMinutes: Minutes('minutes after a window ends before its jobs are stopped, 0 to 1440'),
  },
  { additionalProperties: false },
);

const classroomFields = {
  name: Type.String({ minLength: 1, maxLength: 128, pattern: '\\S', description: '1 to 128 characters, not all blank' }),
  description: Type.Optional(Type.String({ maxLength: 4096, description: 'up to 4096 characters' })),
  public: Type.Optional(Type.Boolean({ description: 'every signed-in user may see it and join it as a student (false unless given)' })),
  timeZone: Type.String({ minLength: 1, maxLength: 64, description: 'the IANA time zone its windows are written in, e.g. Europe/Berlin' }),
  reservedGpu: Type.Optional(Type.Integer({ minimum: 0, maximum: 64, description: "GPUs held for its members while a window is open, 0 to 64, no more than the cluster's (0 unless given)" })),
  leadMinutes: Type.Optional(Minutes('how long before a window placeholders warm the cluster, 0 to 1440 (10 unless given)')),
  windowEnd: Type.Optional(WindowEnd),
  courses: Type.Optional(Type.Array(Uuid, { maxItems: 256, uniqueItems: true, description: "the assigned courses' ids, in order; each must exist" })),
  windows: Type.Optional(
    Type.Array(WindowInputSchema, { maxItems: MAX_WINDOWS, description: `launch windows: dated intervals or weekly rules, at most ${MAX_WINDOWS} once expanded` }),
  ),
};

export const ClassroomCreateBody = Type.Object(classroomFields, { additionalProperties: false });

/** Create's fields, each optional; `windows` and `courses` replace the whole set. */
export const ClassroomUpdateBody = Type.Partial(ClassroomCreateBody, { additionalProperties: false });

export const MembersBody = Type.Object(
  {
    add: Type.Optional(
      Type.Array(Type.Object({ user: UserName, role: ClassRoleSchema }, { additionalProperties: false }), {
        maxItems: MAX_MEMBER_CHANGES,
        description: 'users to add, or whose role to change',
      }),
    ),
    remove: Type.Optional(Type.Array(UserName, { maxItems: MAX_MEMBER_CHANGES, description: 'users to remove' })),
  },
  { additionalProperties: false },
);

export const RosterBody = Type.String({
  description: 'a roster: one user a line, "name" or "name,role" (role: teacher, ta or student; a new member without one is a student), an optional header line, at most 1 MiB',
});

export const DeleteQuery = Type.Object(
  { force: Type.Optional(Type.Enum(['true', 'false'], { description: 'true: stop the jobs launched through it first' })) },
  { additionalProperties: false },
);

const WindowView = Type.Object({
  starts_at: Type.String({ format: 'date-time', description: "RFC 3339 with the classroom's zone's offset" }),
  ends_at: Type.String({ format: 'date-time' }),
});

const classroomItemFields = {
  id: Uuid,
  name: Type.String(),
  description: Type.String(),
  public: Type.Boolean(),
  timeZone: Type.String(),
  reservedGpu: Type.Integer(),
  leadMinutes: Type.Integer(),
  windowEnd: Type.Object({ action: Type.Enum([...WINDOW_END_ACTIONS]), graceMinutes: Type.Integer() }),
  courses: Type.Array(Type.Object({ id: Uuid, name: Type.String(), gpu: Type.Integer(), level: Type.Enum([...COURSE_LEVELS]) }), {
    description: 'the assigned courses, in order',
  }),
  openWindow: Type.Union([WindowView, Type.Null()], { description: 'the window open now' }),
  nextWindow: Type.Union([WindowView, Type.Null()], { description: 'the first window starting after now' }),
  role: Type.Union([ClassRoleSchema, Type.Null()], { description: "the caller's role in the class; null when not a member" }),
  memberCount: Type.Integer(),
  createAt: Type.String({ format: 'date-time' }),
};

export const ClassroomItem = Type.Object(classroomItemFields);

export const Classroom = Type.Object({
  ...classroomItemFields,
  windows: Type.Array(WindowView, { description: 'every window, sorted' }),
  members: Type.Optional(
    Type.Array(Type.Object({ user: Type.String(), role: ClassRoleSchema }), { description: "only for the class's teachers, TAs and admins" }),
  ),
});

export const ClassroomAnswer = Type.Object({ error: Type.Literal(false), message: Type.String(), classroom: Classroom });
export const ClassroomGetAnswer = Type.Object({ error: Type.Literal(false), classroom: Classroom });
export const ClassroomList = Type.Object({ error: Type.Literal(false), classrooms: Type.Array(ClassroomItem) });
export const RosterAnswer = Type.Object({
  error: Type.Literal(false),
  message: Type.String(),
  added: Type.Integer({ description: 'users who were not members before' }),
  classroom: Classroom,
});

/** The 400 for names that are not users: they are listed. */
export const UnknownUsers = Type.Object({
  ...ErrorEnvelope.properties,
  unknown: Type.Optional(Type.Array(Type.String(), { description: 'the names, or course ids, that do not exist' })),
});

/** The 409 of a delete while jobs launched through the classroom run. */
export const DeleteBlocked = Type.Object({
  ...ErrorEnvelope.properties,
  jobs: Type.Optional(
    Type.Array(Type.Object({ user: Type.String(), status: Type.String(), since: Type.String({ format: 'date-time' }) }), {
      description: 'the running jobs, when that is why',
    }),
  ),
});
