import { Type } from 'typebox';
import { USER_NAME_PATTERN, USER_NAME_RULE } from '../../common/account-rules.js';
import { principalOf } from '../../http/auth.js';
import { errorResponses } from '../../http/envelope.js';
import { failingAs } from '../../http/errors.js';
import type { HttpApp } from '../../http/server.js';
import type { Services } from '../../services.js';
import { USAGE_END_REASONS } from '../../store/schema.js';
import { USAGE_GROUPINGS, usageCsv } from '../../usage/service.js';
import { Uuid } from './schemas.js';

const tags = ['usage'];
const DEFAULT_PAGE = 50;

const Time = Type.String({ format: 'date-time' });
const Hours = Type.Number({ description: 'hours, to two decimals' });

const rangeAndFilters = {
  from: Type.Optional(Type.String({ maxLength: 64, description: 'start of the range, included: an RFC 3339 time or a date (YYYY-MM-DD, UTC midnight); the first day of this month unless given' })),
  to: Type.Optional(Type.String({ maxLength: 64, description: 'end of the range, excluded: an RFC 3339 time or a date (YYYY-MM-DD, UTC midnight); now unless given' })),
  // A name that cannot exist is refused here: PostgreSQL would refuse some (NUL characters) as errors.
  user: Type.Optional(Type.String({ pattern: USER_NAME_PATTERN.source, description: `a user name (${USER_NAME_RULE}): only that user's jobs; students may name only themselves` })),
  course: Type.Optional({ ...Uuid, description: "a course id (a UUID): only that course's jobs; teachers may name only their own courses" }),
};

const UsageQuery = Type.Object(
  {
    ...rangeAndFilters,
    groupBy: Type.Optional(
      Type.Enum([...USAGE_GROUPINGS], { description: 'one row per user (the default), per course, or per classroom (jobs launched outside one: the row whose key is null)' }),
    ),
    format: Type.Optional(Type.Enum(['json', 'csv'], { description: 'json (the default), or csv to download' })),
  },
  { additionalProperties: false },
);

const UsageJobsQuery = Type.Object(
  {
    ...rangeAndFilters,
    limit: Type.Optional(Type.String({ pattern: '^([1-9][0-9]?|[1-4][0-9]{2}|500)$', description: 'a whole number from 1 to 500: at most this many jobs (50 unless given)' })),
    offset: Type.Optional(Type.String({ pattern: '^(0|[1-9][0-9]{0,8})$', description: 'a whole number from 0: how many jobs to skip first' })),
  },
  { additionalProperties: false },
);

const UsageRow = Type.Object({
  key: Type.Union([Type.String(), Type.Null()], { description: "the user's, the course's or the classroom's id; by classroom, null for the jobs launched outside any" }),
  name: Type.Union([Type.String(), Type.Null()], { description: 'its name as launched (the latest); null with a null key' }),
  jobs: Type.Integer({ description: 'jobs that ran inside the range' }),
  gpuHours: Hours,
  wallHours: Hours,
});

const UsageReport = Type.Object({
  error: Type.Literal(false),
  from: Time,
  to: Time,
  groupBy: Type.Enum([...USAGE_GROUPINGS]),
  rows: Type.Array(UsageRow),
  total: Type.Object({ jobs: Type.Integer(), gpuHours: Hours, wallHours: Hours }),
});

const UsageJob = Type.Object({
  job_id: Uuid,
  user: Type.String({ description: 'the user name it was launched by' }),
  course_id: Uuid,
  course: Type.String({ description: "the course's name at launch" }),
  classroom_id: Type.Union([Uuid, Type.Null()], { description: 'the classroom it was launched through; null when none' }),
  classroom: Type.Union([Type.String(), Type.Null()], { description: "the classroom's name at launch; null when none" }),
  gpu: Type.Integer({ description: 'GPUs as launched' }),
  gpuResource: Type.String({ description: 'the GPU resource name as launched, e.g. nvidia.com/gpu' }),
  createAt: Time,
  startedAt: Type.Union([Time, Type.Null()], { description: 'when it first ran (Ready); null if it never did' }),
  endedAt: Type.Union([Time, Type.Null()], { description: 'null while it runs' }),
  endReason: Type.Union([Type.Enum([...USAGE_END_REASONS]), Type.Null()]),
  gpuHours: Hours,
  wallHours: Hours,
});

/** GPU-hours from the usage records. Scope and validation in the usage service. */
export async function usageRoutes(app: HttpApp, { services }: { services: Services }): Promise<void> {
  const { usage } = services;

  app.get(
    '/usage',
    {
      schema: {
        tags,
        summary: 'GPU-hours and running hours in [from, to), by user, course or classroom: everyone (admins), their courses (teachers), their own (others)',
        querystring: UsageQuery,
        response: {
          200: {
            description: 'the report; as a CSV file (key,name,jobs,gpuHours,wallHours and a total line) when format=csv',
            content: { 'application/json': { schema: UsageReport }, 'text/csv': { schema: Type.String() } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { groupBy, format, ...rest } = request.query;
      const report = await failingAs('Query usage records fail', () => usage.report(principalOf(request), rest, groupBy));
      if (format !== 'csv') return { error: false as const, ...report };
      const day = (time: string) => time.slice(0, 10);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="usage-${day(report.from)}-${day(report.to)}.csv"`)
        .send(usageCsv(report));
    },
  );

  app.get(
    '/usage/jobs',
    {
      schema: {
        tags,
        summary: 'One row per job that existed in [from, to), newest first, with its GPU-hours inside the range; scoped as /v1/usage',
        querystring: UsageJobsQuery,
        response: { 200: Type.Object({ error: Type.Literal(false), jobs: Type.Array(UsageJob), total: Type.Integer() }), ...errorResponses },
      },
    },
    async (request) => {
      const { limit, offset, ...rest } = request.query;
      const page = { limit: limit === undefined ? DEFAULT_PAGE : Number(limit), offset: offset === undefined ? 0 : Number(offset) };
      const listed = await failingAs('Query usage records fail', () => usage.jobs(principalOf(request), rest, page));
      return { error: false as const, ...listed };
    },
  );
}
