import { and, asc, count, eq, inArray, sql } from 'drizzle-orm';
import { ACTIVE_JOB_STATUSES, jobs, users, type JobStatus } from './schema.js';
import type { Queryable } from './store.js';

/**
 * How many jobs of a course, or of a user, are still running or about to. A query of the store's
 * own: deleting a user or a course asks it, as quotas do, and neither may import the jobs service.
 */
export async function countActiveJobs(db: Queryable, of: { courseId: string } | { userId: string }): Promise<number> {
  const owner = 'courseId' in of ? eq(jobs.courseId, of.courseId) : eq(jobs.userId, of.userId);
  const [row] = await db
    .select({ n: count() })
    .from(jobs)
    .where(and(owner, inArray(jobs.status, [...ACTIVE_JOB_STATUSES])));
  return row?.n ?? 0;
}

/**
 * A course's running jobs, by owner and state: what a refused course delete names. Not their ids,
 * which only their owners (and admins, through the job routes) are given.
 */
export async function activeJobsOfCourse(db: Queryable, courseId: string): Promise<Array<{ user: string; status: JobStatus; since: Date }>> {
  return db
    .select({ user: users.name, status: jobs.status, since: jobs.createdAt })
    .from(jobs)
    .innerJoin(users, eq(jobs.userId, users.id))
    .where(and(eq(jobs.courseId, courseId), inArray(jobs.status, [...ACTIVE_JOB_STATUSES])))
    .orderBy(asc(jobs.createdAt));
}

/** A user's running (or starting) jobs, oldest first: the ones that mount the user's home. */
export async function activeJobIdsOfUser(db: Queryable, userId: string): Promise<string[]> {
  return (await activeJobIdsOfUsers(db, [userId])).get(userId) ?? [];
}

/** The running (or starting) jobs of each of these users, oldest first; a user with none is absent. */
export async function activeJobIdsOfUsers(db: Queryable, userIds: readonly string[]): Promise<Map<string, string[]>> {
  const byUser = new Map<string, string[]>();
  if (userIds.length === 0) return byUser;
  const rows = await db
    .select({ id: jobs.id, userId: jobs.userId })
    .from(jobs)
    .where(and(inArray(jobs.userId, [...userIds]), inArray(jobs.status, [...ACTIVE_JOB_STATUSES])))
    .orderBy(asc(jobs.createdAt), asc(jobs.id));
  for (const row of rows) {
    const ids = byUser.get(row.userId);
    if (ids) ids.push(row.id);
    else byUser.set(row.userId, [row.id]);
  }
  return byUser;
}

/**
 * Serialises, across servers, everything that decides from the active jobs whether a job may
 * start: launches, and deleting a home (which no job may be mounting). Held until the
 * transaction ends.
 */
export async function lockJobAdmission(db: Queryable): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtext('classlab.jobs.admission'))`);
}
