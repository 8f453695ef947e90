import { and, count, desc, eq, isNotNull, or, sql, type SQL } from 'drizzle-orm';
import { courses, usageRecords, type UsageEndReason } from '../store/schema.js';
import type { Database } from '../store/store.js';

/** Whose records a caller may read: everyone's, a teacher's courses (and their own jobs), or their own. */
export type UsageScope = { kind: 'all' } | { kind: 'teacher'; userId: string } | { kind: 'own'; userId: string };

export interface UsageSelection {
  scope: UsageScope;
  /** `[from, to)`: only running time inside it counts. */
  from: Date;
  to: Date;
  /** Where a job still running stops being charged. */
  now: Date;
  /** Only this user's jobs, by the name they launched with, in any case. */
  userName?: string;
  courseId?: string;
}

export const USAGE_GROUPINGS = ['user', 'course', 'classroom'] as const;
export type UsageGroupBy = (typeof USAGE_GROUPINGS)[number];

/** One row of a report, in seconds: the service rounds to hours. */
export interface UsageGroup {
  /** By classroom, null gathers the jobs launched outside any classroom. */
  key: string | null;
  name: string | null;
  jobs: number;
  gpuSeconds: number;
  wallSeconds: number;
}

export interface UsageJobRecord {
  jobId: string;
  userName: string;
  courseId: string;
  courseName: string;
  classroomId: string | null;
  classroomName: string | null;
  gpu: number;
  gpuResource: string;
  createdAt: Date;
  startedAt: Date | null;
  endedAt: Date | null;
  endReason: UsageEndReason | null;
  gpuSeconds: number;
  wallSeconds: number;
}

/** The usage records, read: the arithmetic of running time inside a range is done in SQL. */
export class UsageRepository {
  constructor(private readonly db: Database) {}

  /** One grouped query: per user, course or classroom, the jobs that ran in the range and their time in it. */
  async report(selection: UsageSelection, groupBy: UsageGroupBy): Promise<UsageGroup[]> {
    const { wall, gpu } = runningSeconds(selection);
    const { key, nameColumn } = groupColumns[groupBy];
    const gpuSeconds = sql<number>`sum(${gpu})`.mapWith(Number);
    return this.db
      .select({
        key: sql<string | null>`${key}::text`,
        // The latest name it launched with: a course renamed later shows its newer name.
        name: sql<string | null>`(array_agg(${nameColumn} order by ${usageRecords.createdAt} desc))[1]`,
        jobs: count(),
        gpuSeconds,
        wallSeconds: sql<number>`sum(${wall})`.mapWith(Number),
      })
      .from(usageRecords)
      .where(and(ranInRange(selection), ...filters(selection)))
      .groupBy(key)
      .orderBy(desc(gpuSeconds), sql`2`); // then by name, the second column
  }

  /** A page of the records whose lifetime touches the range, newest first, with their running time in it. */
  async jobs(selection: UsageSelection, page: { limit: number; offset: number }): Promise<{ rows: UsageJobRecord[]; total: number }> {
    const { wall, gpu } = runningSeconds(selection);
    const condition = and(livedInRange(selection), ...filters(selection));
    const [rows, totals] = await Promise.all([
      this.db
        .select({
          jobId: usageRecords.jobId,
          userName: usageRecords.userName,
          courseId: usageRecords.courseId,
          courseName: usageRecords.courseName,
          classroomId: usageRecords.classroomId,
          classroomName: usageRecords.classroomName,
          gpu: usageRecords.gpu,
          gpuResource: usageRecords.gpuResource,
          createdAt: usageRecords.createdAt,
          startedAt: usageRecords.startedAt,
          endedAt: usageRecords.endedAt,
          endReason: usageRecords.endReason,
          gpuSeconds: sql<number>`${gpu}`.mapWith(Number),
          wallSeconds: sql<number>`${wall}`.mapWith(Number),
        })
        .from(usageRecords)
        .where(condition)
        .orderBy(desc(usageRecords.createdAt), desc(usageRecords.jobId))
        .limit(page.limit)
        .offset(page.offset),
      this.db.select({ n: count() }).from(usageRecords).where(condition),
    ]);
    return { rows, total: totals[0]?.n ?? 0 };
  }

  /** GPU-seconds of every job so far, per course id: closed ones whole, running ones up to `now`. */
  async gpuSecondsByCourse(now: Date): Promise<Map<string, number>> {
    const until = sql`coalesce(${usageRecords.endedAt}, ${timestamp(now)})`;
    const rows = await this.db
      .select({
        courseId: sql<string>`${usageRecords.courseId}::text`,
        seconds: sql<number>`sum(${usageRecords.gpu} * greatest(0, extract(epoch from ${until} - ${usageRecords.startedAt})::float8))`.mapWith(Number),
      })
      .from(usageRecords)
      .where(isNotNull(usageRecords.startedAt))
      .groupBy(usageRecords.courseId);
    return new Map(rows.map((row) => [row.courseId, row.seconds]));
  }

  /** Whether the course is the teacher's now, or was when any of its jobs launched (it may be deleted since). */
  async isCourseOf(courseId: string, teacherId: string): Promise<boolean> {
    const [owned, launched] = await Promise.all([
      this.db.select({ id: courses.id }).from(courses).where(and(eq(courses.id, courseId), eq(courses.ownerId, teacherId))).limit(1),
      this.db
        .select({ id: usageRecords.jobId })
        .from(usageRecords)
        .where(and(eq(usageRecords.courseId, courseId), eq(usageRecords.courseOwnerId, teacherId)))
        .limit(1),
    ]);
    return owned.length + launched.length > 0;
  }
}

const groupColumns = {
  user: { key: usageRecords.userId, nameColumn: usageRecords.userName },
  course: { key: usageRecords.courseId, nameColumn: usageRecords.courseName },
  // Jobs launched outside a classroom (and those from before classrooms) have none: one group of nulls.
  classroom: { key: usageRecords.classroomId, nameColumn: usageRecords.classroomName },
} as const;

function timestamp(date: Date): SQL {
  return sql`${date.toISOString()}::timestamptz`;
}

/** Running time inside [from, to): from the first Ready to the end, or to `now` while it runs. */
function runningSeconds({ from, to, now }: UsageSelection): { wall: SQL; gpu: SQL } {
  const start = sql`greatest(${usageRecords.startedAt}, ${timestamp(from)})`;
  const end = sql`least(coalesce(${usageRecords.endedAt}, ${timestamp(now)}), ${timestamp(to)})`;
  // greatest() skips nulls, so a job that never ran is caught first, or it would run from `from`.
  const wall = sql`(case when ${usageRecords.startedAt} is null then 0 else greatest(0, extract(epoch from ${end} - ${start})::float8) end)`;
  return { wall, gpu: sql`(${usageRecords.gpu} * ${wall})` };
}

/** The job ran for some time inside the range. */
function ranInRange({ from, to, now }: UsageSelection): SQL | undefined {
  return and(
    isNotNull(usageRecords.startedAt),
    sql`${usageRecords.startedAt} < ${timestamp(to)}`,
    sql`coalesce(${usageRecords.endedAt}, ${timestamp(now)}) > ${timestamp(from)}`,
  );
}

/** The job existed inside the range, running or waiting: a job that never ran is listed too. */
function livedInRange({ from, to, now }: UsageSelection): SQL {
  return sql`${usageRecords.createdAt} < ${timestamp(to)} and coalesce(${usageRecords.endedAt}, ${timestamp(now)}) > ${timestamp(from)}`;
}

function filters(selection: UsageSelection): (SQL | undefined)[] {
  const { scope } = selection;
  return [
    scope.kind === 'own' ? eq(usageRecords.userId, scope.userId) : undefined,
    scope.kind === 'teacher' ? or(eq(usageRecords.courseOwnerId, scope.userId), eq(usageRecords.userId, scope.userId)) : undefined,
    selection.userName === undefined ? undefined : sql`lower(${usageRecords.userName}) = ${selection.userName.toLowerCase()}`,
    selection.courseId === undefined ? undefined : eq(usageRecords.courseId, selection.courseId),
  ];
}
