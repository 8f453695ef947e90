import { and, eq, inArray, isNull, notExists, sql } from 'drizzle-orm';
import { ACTIVE_JOB_STATUSES, classrooms, courses, jobs, usageRecords, users } from '../store/schema.js';
import type { Queryable } from '../store/store.js';

/**
 * The writes that keep usage records true to the jobs table. Each runs inside the statement's or
 * transaction's caller that changes the job, so a record is never half a step behind its job.
 */

/** How a job's record ends: why, and when. */
export type UsageEnding =
  /** A user's or an admin's delete. */
  | 'deleted'
  /** The culler's delete. */
  | 'culled'
  /** The runtime said the job failed: charged up to now. */
  | 'failed'
  /** The job's environment vanished while no server watched it: charged up to when it was last seen. */
  | 'lost';

/**
 * The record of a just admitted job: who and what as they are now, so that renaming or deleting
 * the course or the user later changes no history.
 */
export async function openUsageRecord(
  tx: Queryable,
  job: { id: string; userId: string; courseId: string; gpu: number; classroomId: string | null },
  gpuResource: string,
): Promise<void> {
  const [launched] = await tx
    .select({ userName: users.name, courseName: courses.name, courseOwnerId: courses.ownerId })
    .from(courses)
    .innerJoin(users, eq(users.id, job.userId))
    .where(eq(courses.id, job.courseId));
  if (!launched) throw new Error(`course ${job.courseId} or user ${job.userId} vanished during admission`);
  const [classroom] = job.classroomId ? await tx.select({ name: classrooms.name }).from(classrooms).where(eq(classrooms.id, job.classroomId)) : [];
  await tx.insert(usageRecords).values({
    jobId: job.id,
    userId: job.userId,
    courseId: job.courseId,
    gpu: job.gpu,
    gpuResource,
    ...launched,
    classroomId: classroom ? job.classroomId : null,
    classroomName: classroom?.name ?? null,
  });
}

/** The clock starts at the first Ready; a job seen Ready is also seen alive. One statement for any number of jobs. */
export async function startUsageClocks(tx: Queryable, jobIds: readonly string[]): Promise<void> {
  if (jobIds.length === 0) return;
  await tx
    .update(usageRecords)
    .set({ startedAt: sql`coalesce(${usageRecords.startedAt}, now())`, lastSeenAt: sql`now()` })
    .where(and(inArray(usageRecords.jobId, [...jobIds]), isNull(usageRecords.endedAt)));
}

/** Closes the jobs' records that are still open: the first end is the one that counts. One statement for any number of jobs. */
export async function closeUsageRecords(tx: Queryable, jobIds: readonly string[], ending: UsageEnding): Promise<void> {
  if (jobIds.length === 0) return;
  await tx
    .update(usageRecords)
    .set({ endedAt: ending === 'lost' ? lastSeen : sql`now()`, endReason: ending })
    .where(and(inArray(usageRecords.jobId, [...jobIds]), isNull(usageRecords.endedAt)));
}

/** A failed launch never ran: its record goes with its row. */
export async function removeUsageRecord(tx: Queryable, jobId: string): Promise<void> {
  await tx.delete(usageRecords).where(eq(usageRecords.jobId, jobId));
}

/** Open records of the jobs the runtime still holds were seen alive now: one statement per round. */
export async function markUsageSeen(db: Queryable, jobIds: readonly string[]): Promise<void> {
  if (jobIds.length === 0) return;
  await db
    .update(usageRecords)
    .set({ lastSeenAt: sql`now()` })
    .where(and(isNull(usageRecords.endedAt), inArray(usageRecords.jobId, [...jobIds])));
}

/**
 * Open records whose job has no active row any more (its row was removed with its course or user,
 * or ended without closing it) end as lost, when they were last seen. Answers their job ids.
 */
export async function closeOrphanedUsageRecords(db: Queryable): Promise<string[]> {
  const activeJob = db
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(jobs.id, usageRecords.jobId), inArray(jobs.status, [...ACTIVE_JOB_STATUSES])));
  const closed = await db
    .update(usageRecords)
    .set({ endedAt: lastSeen, endReason: 'lost' })
    .where(and(isNull(usageRecords.endedAt), notExists(activeJob)))
    .returning({ jobId: usageRecords.jobId });
  return closed.map((row) => row.jobId);
}

/** Never before the clock started: a job lost between its Ready and the next round ran for no time. */
const lastSeen = sql`greatest(${usageRecords.lastSeenAt}, coalesce(${usageRecords.startedAt}, ${usageRecords.lastSeenAt}))`;
