import { and, asc, count, eq, inArray } from 'drizzle-orm';
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
