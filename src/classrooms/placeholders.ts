/**
 * Which classrooms want GPUs held by placeholders now, from their own calendars: from `lead`
 * minutes before a window until it ends, the classroom's reserved GPUs less those its own active
 * jobs already hold. Runs on the lease holder with the reconcile round, so one server decides.
 */

import { and, eq, gt, inArray, sql, sum } from 'drizzle-orm';
import type { PlaceholderMode } from '../config/placeholder-settings.js';
import type { JobRuntime, PlaceholderPods, PlaceholderWant } from '../runtime/types.js';
import { ACTIVE_JOB_STATUSES, classrooms, classroomWindows, jobs } from '../store/schema.js';
import type { Queryable } from '../store/store.js';

/** GPUs wanted per classroom at `now`; classrooms that want none are left out. */
export async function wantedPlaceholders(db: Queryable, now: Date): Promise<PlaceholderWant[]> {
  // A window is warm from starts_at − lead until ends_at; the lead is each classroom's own.
  const warm = db
    .select({ classroomId: classroomWindows.classroomId })
    .from(classroomWindows)
    .where(
      and(
        eq(classroomWindows.classroomId, classrooms.id),
        gt(classroomWindows.endsAt, now),
        sql`${classroomWindows.startsAt} <= ${now.toISOString()}::timestamptz + ${classrooms.leadMinutes} * interval '1 minute'`,
      ),
    );
  const reserving = await db
    .select({ id: classrooms.id, reservedGpu: classrooms.reservedGpu })
    .from(classrooms)
    .where(and(gt(classrooms.reservedGpu, 0), sql`exists (${warm})`))
    .orderBy(classrooms.id);
  if (reserving.length === 0) return [];
  const held = await db
    .select({ classroomId: jobs.classroomId, gpu: sum(jobs.gpu) })
    .from(jobs)
    .where(and(inArray(jobs.classroomId, reserving.map((classroom) => classroom.id)), inArray(jobs.status, [...ACTIVE_JOB_STATUSES])))
    .groupBy(jobs.classroomId);
  const heldBy = new Map(held.map((row) => [row.classroomId, Number(row.gpu ?? 0)]));
  return reserving
    .map((classroom) => ({ classroomId: classroom.id, gpu: Math.max(0, classroom.reservedGpu - (heldBy.get(classroom.id) ?? 0)) }))
    .filter((want) => want.gpu > 0);
}

/** Keeps the runtime's placeholders as the calendars want them: one sync per round. */
export class PlaceholderPlanner {
  readonly name = 'classroom placeholders';

  constructor(
    private readonly db: Queryable,
    private readonly pods: PlaceholderPods,
  ) {}

  async run(now: Date): Promise<void> {
    await this.pods.sync(await wantedPlaceholders(this.db, now));
  }
}

/** The planner when the setting is on and the runtime has placeholders (Kubernetes); otherwise none. */
export function placeholderPlanner(mode: PlaceholderMode, db: Queryable, runtime: JobRuntime): PlaceholderPlanner | undefined {
  if (mode !== 'on' || runtime.placeholders === undefined) return undefined;
  return new PlaceholderPlanner(db, runtime.placeholders);
}
