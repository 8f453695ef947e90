import { Type } from 'typebox';
import { principalOf } from '../../http/auth.js';
import { ErrorEnvelope, errorResponses, HttpError, MessageEnvelope } from '../../http/envelope.js';
import { failingAs } from '../../http/errors.js';
import type { HttpApp } from '../../http/server.js';
import type { Services } from '../../services.js';
import { JOB_STATUSES } from '../../store/schema.js';
import { streamJobEvents } from './job-events.js';
import { Uuid } from './schemas.js';

const tags = ['job'];

const ServiceItem = Type.Object({ label: Type.String(), value: Type.String() });
const Status = Type.Enum([...JOB_STATUSES]);
const Reason = Type.Union([Type.String(), Type.Null()], { description: 'why the job is Pending, Failed or Deleted' });

const JobTicket = Type.Object({ job_id: Uuid, ready: Type.Boolean(), status: Status, reason: Reason });
const JobAnswer = Type.Object({ error: Type.Literal(false), job: JobTicket });

/** A job as the lists answer it; the classroom routes list the same items. */
export const JobListItem = Type.Object({
  id: Uuid,
  startAt: Type.String({ format: 'date-time' }),
  status: Status,
  reason: Reason,
  course_id: Uuid,
  name: Type.String(),
  introduction: Type.String(),
  image: Type.String(),
  gpu: Type.Integer(),
  level: Type.String(),
  dataset: Type.Array(Type.String()),
  datasets: Type.Array(Type.String()),
  service: Type.Array(ServiceItem),
  user: Type.String({ description: "the job's owner" }),
  classroom_id: Type.Union([Uuid, Type.Null()], { description: 'the classroom it was launched through; null when launched outside one' }),
  cullAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: "when the job is culled for its age (CLASSLAB_JOB_MAX_AGE for its owner's roles); null when never",
  }),
  idleCullAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'when the job is culled if it stays idle (CLASSLAB_JOB_IDLE_TIMEOUT); null when there is no limit, the job is not Ready, or the runtime cannot tell idleness',
  }),
});
const JobList = Type.Object({ error: Type.Literal(false), jobs: Type.Array(JobListItem) });

/** With ReadWriteOnce homes a user runs one job at a time: the 409 names the one that runs. */
const HomeInUse = Type.Object({
  ...ErrorEnvelope.properties,
  job_id: Type.Optional({ ...Uuid, description: "the caller's running job that mounts the home" }),
});

const LaunchWindow = Type.Object({ starts_at: Type.String({ format: 'date-time' }), ends_at: Type.String({ format: 'date-time' }) });

/** A launch through a classroom outside its windows: the 403 says when the next one opens. */
const OutsideWindow = Type.Object({
  ...ErrorEnvelope.properties,
  nextWindow: Type.Optional(
    Type.Union([LaunchWindow, Type.Null()], {
      description: "for a launch through a classroom outside its windows: the next window, in the classroom's zone; null when none is left",
    }),
  ),
});

const LaunchBody = Type.Object({
  course_id: Uuid,
  user: Type.Optional(Type.String({ maxLength: 64, description: "the caller's user name; only admins may launch for another user" })),
  classroom_id: Type.Optional({
    ...Uuid,
    description: "launch through this classroom: the caller must be a member, the course assigned to it, and a window open (except for the class's teachers and admins)",
  }),
});

export async function jobRoutes(app: HttpApp, { services }: { services: Services }): Promise<void> {
  const { jobs } = services;
  // Streams never end by themselves; a server that shuts down ends them, or it would wait forever.
  const openStreams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of [...openStreams]) close();
  });

  for (const path of ['/course/launch', '/job/launch']) {
    app.post(
      path,
      {
        schema: {
          tags: ['course', 'job'],
          summary: path === '/course/launch' ? 'Launch a course: start a job of it' : 'Launch a course (alias of /v1/course/launch)',
          body: LaunchBody,
          response: { 200: JobAnswer, ...errorResponses, 403: OutsideWindow, 409: HomeInUse },
        },
      },
      async (request) => {
        const { course_id: courseId, user, classroom_id: classroomId } = request.body;
        if (!user) throw new HttpError(400, 'user field in request cannot be empty');
        const job = await jobs.launch(principalOf(request), courseId, user, classroomId);
        return { error: false as const, job };
      },
    );
  }

  app.post(
    '/job/list',
    {
      schema: {
        tags,
        summary: "List a user's jobs that are not deleted, newest first (the caller's, unless an admin names someone)",
        body: Type.Object({ user: Type.Optional(Type.String({ maxLength: 64 })) }),
        response: { 200: JobList, ...errorResponses },
      },
    },
    async (request) => {
      const { user } = request.body;
      const list = await failingAs(`Query Job table for user {${user ?? ''}} fail`, () => jobs.list(principalOf(request), user));
      return { error: false as const, jobs: list };
    },
  );

  app.get(
    '/job/all',
    {
      schema: {
        tags,
        summary: "Every user's jobs that are not deleted, newest first, with their owners (admins)",
        response: { 200: JobList, ...errorResponses },
      },
    },
    async (request) => {
      const list = await failingAs('Query Job table fail', () => jobs.listAll(principalOf(request)));
      return { error: false as const, jobs: list };
    },
  );

  app.get(
    '/job/ready/:jobid',
    {
      schema: {
        tags,
        summary: 'Whether a job is ready to use; read from the database, never the cluster',
        params: Type.Object({ jobid: Uuid }),
        response: { 200: JobAnswer, ...errorResponses },
      },
    },
    async (request) => {
      const { jobid } = request.params;
      const job = await failingAs(`update job {${jobid}} status fail`, () => jobs.ready(principalOf(request), jobid));
      return { error: false as const, job };
    },
  );

  const deleted = (id: string) => ({ error: false as const, message: `job ${id} delete successfully` });
  app.delete(
    '/job/delete/:id',
    {
      schema: {
        tags,
        summary: "Stop a job and delete its environment (the job's owner, an admin, or a teacher or TA of the classroom it was launched through)",
        params: Type.Object({ id: Uuid }),
        response: { 200: MessageEnvelope, ...errorResponses },
      },
    },
    async (request) => {
      await jobs.delete(principalOf(request), request.params.id);
      return deleted(request.params.id);
    },
  );
  app.delete(
    '/job/:user/:id',
    {
      schema: {
        tags,
        summary: "Stop a job (the draft's path; the user must be the job's owner; the owner, an admin, or the job's class teachers and TAs may)",
        params: Type.Object({ user: Type.String({ minLength: 1, maxLength: 64 }), id: Uuid }),
        response: { 200: MessageEnvelope, ...errorResponses },
      },
    },
    async (request) => {
      await jobs.delete(principalOf(request), request.params.id, request.params.user);
      return deleted(request.params.id);
    },
  );

  app.get(
    '/job/events/:id',
    {
      schema: {
        tags,
        summary: 'A text/event-stream of the job: `state` events (status, reason, URLs) and `event` events (what the cluster did)',
        params: Type.Object({ id: Uuid }),
        produces: ['text/event-stream'],
        response: {
          200: {
            description: 'server-sent events: `state` and `event` frames as JSON in `data`; an `error` frame `{error, message}` ends the stream when the token is revoked or expires',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          ...errorResponses,
        },
      },
    },
    (request, reply) => streamJobEvents(jobs, services.verifier, request, reply, request.params.id, openStreams),
  );
}
