import { Type } from 'typebox';
import { parseLevel } from '../../courses/levels.js';
import type { CourseInput } from '../../courses/service.js';
import { principalOf } from '../../http/auth.js';
import { ErrorEnvelope, errorResponses, HttpError, MessageEnvelope, PARSE_FAILURE } from '../../http/envelope.js';
import { failingAs, notFoundAs404 } from '../../http/errors.js';
import { sendSerializedJson, type HttpApp } from '../../http/server.js';
import type { Services } from '../../services.js';
import type { CourseLevel } from '../../store/schema.js';
import { CourseListCache } from '../../courses/list-cache.js';
import { Course, CourseCreateBody, CourseUpdateBody, IdParams, PageQuery, UserListBody } from './schemas.js';

const CourseList = Type.Object({ error: Type.Literal(false), courses: Type.Array(Course) });
const tags = ['course'];

/** A 409 on delete names the jobs that block it: whose they are, their state, since when. */
const CourseInUse = Type.Object({
  ...ErrorEnvelope.properties,
  jobs: Type.Optional(Type.Array(Type.Object({ user: Type.String(), status: Type.String(), since: Type.String({ format: 'date-time' }) }))),
});

export async function courseRoutes(app: HttpApp, { services }: { services: Services }): Promise<void> {
  const { courses } = services;
  const lists = new CourseListCache(courses);
  app.addHook('onClose', async () => lists.close());

  app.post(
    '/course/list',
    {
      schema: {
        tags,
        summary: "List the courses a user owns (the caller's, unless an admin names someone)",
        body: UserListBody,
        response: { 200: CourseList, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendSerializedJson(reply, await failingAs('Query courses table fail', () => lists.owned(principalOf(request), request.body.user))),
  );

  app.post(
    '/course/create',
    {
      schema: {
        tags,
        summary: 'Publish a course (teachers and admins)',
        body: CourseCreateBody,
        response: {
          200: Type.Object({
            ...MessageEnvelope.properties,
            id: Type.String(),
            course: Course,
            warnings: Type.Array(Type.String(), { description: 'what the teacher should know, such as a dataset that does not exist yet' }),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { user, GPU, gpu, level, datasets, introduction, ports, homePath, ...rest } = request.body;
      const input: CourseInput = {
        ...rest,
        homePath: homePath ?? null,
        introduction: introduction ?? '',
        gpu: gpuCount(gpu, GPU),
        level: parseLevel(level) as CourseLevel,
        datasets: datasets ?? [],
        ports: ports ?? [],
      };
      const { warnings, ...course } = await failingAs('Failed to create course information', () =>
        courses.create(principalOf(request), input, user),
      );
      return { error: false as const, message: `course ${course.name} create successfully`, id: course.id, course, warnings };
    },
  );

  app.put(
    '/course/update/:id',
    {
      schema: {
        tags,
        summary: "Change a course (its owner or an admin): any of create's fields, checked as create checks them; running jobs keep what they launched with",
        params: IdParams,
        body: CourseUpdateBody,
        response: {
          200: Type.Object({ ...MessageEnvelope.properties, course: Course, warnings: Type.Array(Type.String()) }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { GPU, gpu, level, ...rest } = request.body;
      const count = GPU === undefined && gpu === undefined ? undefined : gpuCount(gpu, GPU);
      const changes: Partial<CourseInput> = {
        ...rest,
        ...(count === undefined ? {} : { gpu: count }),
        ...(level === undefined ? {} : { level: parseLevel(level) as CourseLevel }),
      };
      const { warnings, ...course } = await notFoundAs404(() =>
        failingAs('Failed to update course information', () => courses.update(principalOf(request), request.params.id, changes)),
      );
      return { error: false as const, message: `course ${course.name} update successfully`, course, warnings };
    },
  );

  app.delete(
    '/course/delete/:id',
    {
      schema: {
        tags,
        summary: 'Delete a course (its owner or an admin); refused while its jobs run, with those jobs',
        params: IdParams,
        response: { 200: MessageEnvelope, ...errorResponses, 409: CourseInUse },
      },
    },
    async (request) => {
      const { id } = request.params;
      const deleted = await failingAs(`Failed to delete course ${id} information `, () =>
        courses.delete(principalOf(request), id),
      );
      return { error: false as const, message: `course ${deleted.name} is deleted successfully` };
    },
  );

  app.get(
    '/course/level/:level',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'List the courses of a level: basic or advance (advanced is a synonym); every course, or a page of them',
        params: Type.Object({ level: Type.String({ maxLength: 64 }) }),
        querystring: PageQuery,
        response: { 200: CourseList, ...errorResponses },
      },
    },
    async (request, reply) => {
      const level = parseLevel(request.params.level);
      if (!level) {
        throw new HttpError(400, `Unknown course level ${JSON.stringify(request.params.level)}: use basic or advance`);
      }
      const { limit, offset } = request.query;
      const page = { ...(limit === undefined ? {} : { limit: Number(limit) }), ...(offset === undefined ? {} : { offset: Number(offset) }) };
      return sendSerializedJson(reply, await failingAs('Query courses table fail', () => lists.level(level, page)));
    },
  );

  app.get(
    '/course/get/:id',
    {
      // Public like the lists by level: an anonymous course page shows the details.
      config: { public: true },
      schema: {
        tags,
        summary: 'One course; no token needed',
        params: IdParams,
        response: { 200: Type.Object({ error: Type.Literal(false), course: Course }), ...errorResponses },
      },
    },
    async (request) => {
      const course = await failingAs('Query courses table fail', () => courses.get(request.params.id));
      return { error: false as const, course };
    },
  );
}

/** The spec sends `GPU`; `gpu` is accepted too. One of them is required, and they must agree. */
function gpuCount(gpu: number | undefined, GPU: number | undefined): number {
  if (gpu !== undefined && GPU !== undefined && gpu !== GPU) {
    throw new HttpError(400, `${PARSE_FAILURE}: body/gpu and body/GPU disagree; send one of them`);
  }
  const count = gpu ?? GPU;
  if (count === undefined) throw new HttpError(400, `${PARSE_FAILURE}: body must have property GPU (or gpu)`);
  return count;
}
