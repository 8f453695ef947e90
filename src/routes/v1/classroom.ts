import { Type } from 'typebox';
import { principalOf } from '../../http/auth.js';
import { errorResponses } from '../../http/envelope.js';
import { failingAs, notFoundAs404 } from '../../http/errors.js';
import { BODY_LIMIT_BYTES } from '../../http/json-body.js';
import type { HttpApp } from '../../http/server.js';
import type { Services } from '../../services.js';
import {
  ClassroomAnswer,
  ClassroomCreateBody,
  ClassroomGetAnswer,
  ClassroomList,
  ClassroomUpdateBody,
  DeleteBlocked,
  DeleteQuery,
  MembersBody,
  RosterAnswer,
  RosterBody,
  UnknownUsers,
} from './classroom-schemas.js';
import { JobListItem } from './job.js';
import { IdParams } from './schemas.js';
import { MessageEnvelope } from '../../http/envelope.js';

const tags = ['classroom'];
const ROSTER_TYPES = ['text/csv', 'text/plain'];

/** The routes added with classrooms answer an unknown classroom with 404, and a store failure with its cause. */
function answering<T>(spec: string, work: () => Promise<T>): Promise<T> {
  return notFoundAs404(() => failingAs(spec, work));
}

/** Classrooms: their members, roster, assigned courses, windows, and the jobs launched through them. */
export async function classroomRoutes(app: HttpApp, { services }: { services: Services }): Promise<void> {
  const { classrooms } = services;

  app.post(
    '/classroom/create',
    {
      schema: {
        tags,
        summary: 'Create a classroom (teachers and admins); the caller becomes a teacher of it',
        body: ClassroomCreateBody,
        response: { 200: ClassroomAnswer, ...errorResponses, 400: UnknownUsers },
      },
    },
    async (request) => {
      const classroom = await answering('Create classroom fail', () => classrooms.create(principalOf(request), request.body));
      return { error: false as const, message: `classroom ${classroom.name} created`, classroom };
    },
  );

  app.get(
    '/classroom/list',
    { schema: { tags, summary: "The caller's classrooms and the public ones, by name", response: { 200: ClassroomList, ...errorResponses } } },
    async (request) => {
      const list = await answering('Query classrooms fail', () => classrooms.list(principalOf(request)));
      return { error: false as const, classrooms: list };
    },
  );

  app.get(
    '/classroom/list/all',
    { schema: { tags, summary: 'Every classroom, by name (admins)', response: { 200: ClassroomList, ...errorResponses } } },
    async (request) => {
      const list = await answering('Query classrooms fail', () => classrooms.listAll(principalOf(request)));
      return { error: false as const, classrooms: list };
    },
  );

  app.get(
    '/classroom/get/:id',
    {
      schema: {
        tags,
        summary: "A classroom with its windows (its members, admins, anyone when it is public); its members only for its teachers, TAs and admins",
        params: IdParams,
        response: { 200: ClassroomGetAnswer, ...errorResponses },
      },
    },
    async (request) => {
      const classroom = await answering('Query classroom fail', () => classrooms.get(principalOf(request), request.params.id));
      return { error: false as const, classroom };
    },
  );

  app.put(
    '/classroom/update/:id',
    {
      schema: {
        tags,
        summary: "Change a classroom (its teachers and admins): the fields given; windows and courses replace the whole set",
        params: IdParams,
        body: ClassroomUpdateBody,
        response: { 200: ClassroomAnswer, ...errorResponses, 400: UnknownUsers },
      },
    },
    async (request) => {
      const classroom = await answering('Update classroom fail', () => classrooms.update(principalOf(request), request.params.id, request.body));
      return { error: false as const, message: `classroom ${classroom.name} updated`, classroom };
    },
  );

  app.delete(
    '/classroom/delete/:id',
    {
      schema: {
        tags,
        summary: 'Delete a classroom (its teachers and admins); refused while jobs launched through it run, unless force=true stops them',
        params: IdParams,
        querystring: DeleteQuery,
        response: { 200: MessageEnvelope, ...errorResponses, 409: DeleteBlocked },
      },
    },
    async (request) => {
      const force = request.query.force === 'true';
      const name = await answering('Delete classroom fail', () => classrooms.delete(principalOf(request), request.params.id, force));
      return { error: false as const, message: `classroom ${name} deleted` };
    },
  );

  app.post(
    '/classroom/:id/members',
    {
      schema: {
        tags,
        summary: 'Add, re-role and remove members (its teachers and admins), all or nothing: unknown users are listed in the 400',
        params: IdParams,
        body: MembersBody,
        response: { 200: ClassroomAnswer, ...errorResponses, 400: UnknownUsers },
      },
    },
    async (request) => {
      const classroom = await answering('Update classroom members fail', () => classrooms.changeMembers(principalOf(request), request.params.id, request.body));
      return { error: false as const, message: `members of classroom ${classroom.name} updated`, classroom };
    },
  );

  // The roster is CSV, not JSON: its parsers are this context's only, so every other route still reads JSON.
  await app.register(async (roster: HttpApp) => {
    roster.addContentTypeParser(ROSTER_TYPES, { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES }, (_request, body, done) => done(null, body));
    roster.post(
      '/classroom/:id/members/csv',
      {
        schema: {
          tags,
          summary: 'Import a roster (its teachers and admins), all or nothing: lines of "name" or "name,role"; unknown users are listed in the 400',
          consumes: ROSTER_TYPES,
          params: IdParams,
          body: RosterBody,
          response: { 200: RosterAnswer, ...errorResponses, 400: UnknownUsers },
        },
      },
      async (request) => {
        const imported = await answering('Import classroom roster fail', () => classrooms.importRoster(principalOf(request), request.params.id, request.body));
        const { name } = imported.classroom;
        return {
          error: false as const,
          message: `roster of ${imported.lines} user(s) imported into classroom ${name}: ${imported.added} new member(s)`,
          added: imported.added,
          classroom: imported.classroom,
        };
      },
    );
  });

  app.post(
    '/classroom/:id/join',
    {
      schema: {
        tags,
        summary: 'Join a public classroom as a student; a member stays as they are',
        params: IdParams,
        response: { 200: ClassroomAnswer, ...errorResponses },
      },
    },
    async (request) => {
      const classroom = await answering('Join classroom fail', () => classrooms.join(principalOf(request), request.params.id));
      return { error: false as const, message: `joined classroom ${classroom.name}`, classroom };
    },
  );

  app.get(
    '/classroom/:id/jobs',
    {
      schema: {
        tags: [...tags, 'job'],
        summary: 'The active jobs launched through a classroom, newest first, with their owners (its teachers, TAs and admins)',
        params: IdParams,
        response: { 200: Type.Object({ error: Type.Literal(false), jobs: Type.Array(JobListItem) }), ...errorResponses },
      },
    },
    async (request) => {
      const jobs = await answering('Query classroom jobs fail', () => classrooms.jobs(principalOf(request), request.params.id));
      return { error: false as const, jobs };
    },
  );
}
