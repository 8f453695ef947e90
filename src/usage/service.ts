import { isAdmin } from '../auth/permissions.js';
import { sameUserName } from '../common/account-rules.js';
import { ServiceError } from '../common/errors.js';
import { parseTimeOrDate, rfc3339 } from '../common/time.js';
import type { Principal } from '../identity/service.js';
import type { UsageEndReason } from '../store/schema.js';
import { csvOf } from './csv.js';
import type { UsageGroupBy, UsageRepository, UsageScope, UsageSelection } from './repository.js';

export { USAGE_GROUPINGS, type UsageGroupBy } from './repository.js';

/** What a caller asks for; every field optional, as in the query string. */
export interface UsageRequest {
  from?: string | undefined;
  to?: string | undefined;
  /** Only this user's jobs, by name. */
  user?: string | undefined;
  /** Only this course's jobs, by id. */
  course?: string | undefined;
}

export interface UsageRow {
  /** The user's, course's or classroom's id; by classroom, null for jobs launched outside one. */
  key: string | null;
  name: string | null;
  jobs: number;
  gpuHours: number;
  wallHours: number;
}

export interface UsageReport {
  from: string;
  to: string;
  groupBy: UsageGroupBy;
  rows: UsageRow[];
  total: { jobs: number; gpuHours: number; wallHours: number };
}

export interface UsageJob {
  job_id: string;
  user: string;
  course_id: string;
  course: string;
  classroom_id: string | null;
  classroom: string | null;
  gpu: number;
  gpuResource: string;
  createAt: string;
  startedAt: string | null;
  endedAt: string | null;
  endReason: UsageEndReason | null;
  gpuHours: number;
  wallHours: number;
}

const HOUR_SECONDS = 3600;

/**
 * GPU-hours from the usage records: reports by user or course, and one row per job. An admin
 * sees everyone; a teacher the jobs of the courses they owned at launch, and their own; anyone
 * else only their own.
 */
export class UsageService {
  constructor(
    private readonly repository: UsageRepository,
    /** The report's "now": where running jobs stop being charged, and the default end of a range. */
    private readonly now: () => Date = () => new Date(),
  ) {}

  async report(actor: Principal, request: UsageRequest, groupBy: UsageGroupBy = 'user'): Promise<UsageReport> {
    const selection = await this.selection(actor, request);
    const groups = await this.repository.report(selection, groupBy);
    const rows = groups.map(({ key, name, jobs, gpuSeconds, wallSeconds }) => ({ key, name, jobs, gpuHours: hours(gpuSeconds), wallHours: hours(wallSeconds) }));
    // From the seconds, not the rounded rows: the total is as exact as each row.
    const sum = (pick: (group: (typeof groups)[number]) => number) => groups.reduce((total, group) => total + pick(group), 0);
    return {
      from: rfc3339(selection.from),
      to: rfc3339(selection.to),
      groupBy,
      rows,
      total: { jobs: sum((group) => group.jobs), gpuHours: hours(sum((group) => group.gpuSeconds)), wallHours: hours(sum((group) => group.wallSeconds)) },
    };
  }

  /** A page of jobs that existed in the range, newest first: those that never ran too, at zero hours. */
  async jobs(actor: Principal, request: UsageRequest, page: { limit: number; offset: number }): Promise<{ jobs: UsageJob[]; total: number }> {
    const selection = await this.selection(actor, request);
    const { rows, total } = await this.repository.jobs(selection, page);
    const time = (date: Date | null) => (date ? rfc3339(date) : null);
    return {
      total,
      jobs: rows.map((row) => ({
        job_id: row.jobId,
        user: row.userName,
        course_id: row.courseId,
        course: row.courseName,
        classroom_id: row.classroomId,
        classroom: row.classroomName,
        gpu: row.gpu,
        gpuResource: row.gpuResource,
        createAt: rfc3339(row.createdAt),
        startedAt: time(row.startedAt),
        endedAt: time(row.endedAt),
        endReason: row.endReason,
        gpuHours: hours(row.gpuSeconds),
        wallHours: hours(row.wallSeconds),
      })),
    };
  }

  /** Every course's GPU-seconds so far, for /metrics. */
  gpuSecondsByCourse(): Promise<Map<string, number>> {
    return this.repository.gpuSecondsByCourse(this.now());
  }

  private async selection(actor: Principal, request: UsageRequest): Promise<UsageSelection> {
    const now = this.now();
    const from = request.from === undefined ? startOfMonth(now) : parseBound('from', request.from);
    const to = request.to === undefined ? now : parseBound('to', request.to);
    if (from.getTime() >= to.getTime()) throw new ServiceError('invalid', `from (${rfc3339(from)}) must be before to (${rfc3339(to)})`);
    const scope = await this.scopeOf(actor, request);
    return {
      scope,
      from,
      to,
      now,
      ...(request.user === undefined ? {} : { userName: request.user }),
      ...(request.course === undefined ? {} : { courseId: request.course }),
    };
  }

  private async scopeOf(actor: Principal, request: UsageRequest): Promise<UsageScope> {
    if (isAdmin(actor)) return { kind: 'all' };
    if (actor.roles.includes('teacher')) {
      if (request.course !== undefined && !(await this.repository.isCourseOf(request.course, actor.userId))) {
        throw new ServiceError('forbidden', `Permission denied: course ${request.course} is not one of your courses; teachers see the usage of their own courses`);
      }
      return { kind: 'teacher', userId: actor.userId };
    }
    if (request.user !== undefined && !sameUserName(request.user, actor.name)) {
      throw new ServiceError('forbidden', `Permission denied: you are signed in as ${actor.name} and can see only your own usage`);
    }
    return { kind: 'own', userId: actor.userId };
  }
}

function parseBound(name: 'from' | 'to', text: string): Date {
  const parsed = parseTimeOrDate(text);
  if (!parsed) throw new ServiceError('invalid', `${name} must be an RFC 3339 time (2026-11-01T08:00:00Z) or a date (2026-11-01, UTC midnight); got ${JSON.stringify(text)}`);
  return parsed;
}

function startOfMonth(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

/** Hours to two decimals: 5400 GPU-seconds are 1.5. */
function hours(seconds: number): number {
  return Math.round((seconds / HOUR_SECONDS) * 100) / 100;
}

/** The report as a file: the JSON's columns, one line per row, and the total last. */
export function usageCsv(report: UsageReport): string {
  const fixed = (value: number) => value.toFixed(2);
  return csvOf([
    ['key', 'name', 'jobs', 'gpuHours', 'wallHours'],
    // By classroom, jobs launched outside one are the row with empty key and name.
    ...report.rows.map((row) => [row.key ?? '', row.name ?? '', row.jobs, fixed(row.gpuHours), fixed(row.wallHours)]),
    ['total', '', report.total.jobs, fixed(report.total.gpuHours), fixed(report.total.wallHours)],
  ]);
}
