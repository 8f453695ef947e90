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

/** A just admitted job, as its usage record needs it. */
export interface AdmittedJobRecord {
  id: string;
  userId: string;
  courseId: string;
  gpu: number;
  classroomId: string | null;
}

/**
 * The records of just admitted jobs: who and what as they are now, so that renaming or deleting
 * the course or the user later changes no history. Three reads and one insert for any number.
 */
export async function openUsageRecords(tx: Queryable, admitted: readonly AdmittedJobRecord[], gpuResource: string): Promise<void> {
  if (admitted.length === 0) return;
  const ids = (pick: (job: AdmittedJobRecord) => string | null) => [...new Set(admitted.map(pick).filter((id) => id !== null))];
  const classroomIds = ids((job) => job.classroomId);
  // One after the other: a transaction's statements take turns on its connection.
  const userNames = await tx.select({ id: users.id, name: users.name }).from(users).where(inArray(users.id, ids((job) => job.userId)));
  const courseRows = await tx.select({ id: courses.id, name: courses.name, ownerId: courses.ownerId }).from(courses).where(inArray(courses.id, ids((job) => job.courseId)));
  const classroomNames = classroomIds.length === 0 ? [] : await tx.select({ id: classrooms.id, name: classrooms.name }).from(classrooms).where(inArray(classrooms.id, classroomIds));
  const userName = new Map(userNames.map((row) => [row.id, row.name]));
  const course = new Map(courseRows.map((row) => [row.id, row]));
  const classroomName = new Map(classroomNames.map((row) => [row.id, row.name]));
  const records = admitted.map((job) => {
    const launchedBy = userName.get(job.userId);
    const launched = course.get(job.courseId);
    if (launchedBy === undefined || !launched) throw new Error(`course ${job.courseId} or user ${job.userId} vanished during admission`);
    const inClassroom = job.classroomId === null ? undefined : classroomName.get(job.classroomId);
    return {
      jobId: job.id,
      userId: job.userId,
      courseId: job.courseId,
      gpu: job.gpu,
      gpuResource,
      userName: launchedBy,
      courseName: launched.name,
      courseOwnerId: launched.ownerId,
      classroomId: inClassroom === undefined ? null : job.classroomId,
      classroomName: inClassroom ?? null,
    };
  });
  await tx.insert(usageRecords).values(records);
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
