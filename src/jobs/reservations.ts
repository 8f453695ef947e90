import { and, eq, gt, inArray, lte, notExists, sql } from 'drizzle-orm';
import { ACTIVE_JOB_STATUSES, classroomMembers, classrooms, classroomWindows, jobs } from '../store/schema.js';
import type { Queryable } from '../store/store.js';

/** GPUs a classroom holds back from a launch right now: its reservation, less what its own jobs use. */
export interface HeldReservation {
  classroomName: string;
  timeZone: string;
  /** GPUs held: more than zero. */
  held: number;
  /** When the open window ends, and the GPUs with it. */
  endsAt: Date;
}

/**
 * The reservations that stand in the way of `userId` at `now`: classrooms with a window open then
 * and GPUs reserved, of which the user is not a member, each with what its own active jobs have
 * not taken yet. Read inside the admission transaction, under its lock, so that two launches at
 * once see each other's jobs; `now` is the service's clock, not the database's.
 */
export async function heldReservations(db: Queryable, userId: string, now: Date): Promise<HeldReservation[]> {
  const usedByClass = sql<number>`coalesce((select sum(${jobs.gpu}) from ${jobs} where ${and(eq(jobs.classroomId, classrooms.id), inArray(jobs.status, [...ACTIVE_JOB_STATUSES]))}), 0)`;
  const membership = db
    .select({ userId: classroomMembers.userId })
    .from(classroomMembers)
    .where(and(eq(classroomMembers.classroomId, classrooms.id), eq(classroomMembers.userId, userId)));
  const rows = await db
    .select({
      classroomName: classrooms.name,
      timeZone: classrooms.timeZone,
      reserved: classrooms.reservedGpu,
      used: usedByClass.mapWith(Number),
      endsAt: classroomWindows.endsAt,
    })
    .from(classrooms)
    // Windows are stored merged: at most one of a classroom's is open at a time.
    .innerJoin(classroomWindows, and(eq(classroomWindows.classroomId, classrooms.id), lte(classroomWindows.startsAt, now), gt(classroomWindows.endsAt, now)))
    .where(and(gt(classrooms.reservedGpu, 0), notExists(membership)));
  return rows
    .map(({ classroomName, timeZone, reserved, used, endsAt }) => ({ classroomName, timeZone, held: Math.max(0, reserved - used), endsAt }))
    .filter((reservation) => reservation.held > 0);
}
