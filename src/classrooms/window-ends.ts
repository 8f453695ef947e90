import type { Logger } from 'pino';
import { and, eq, exists, gt, inArray, lte, notExists, sql } from 'drizzle-orm';
import { ACTIVE_JOB_STATUSES, classrooms, classroomWindows, jobs } from '../store/schema.js';
import type { Queryable } from '../store/store.js';

export const WINDOW_ENDED_REASON = 'classroom window ended';

/** What stopping a job for the platform takes: the jobs service's `stopForPlatform`, by shape. */
export interface PlatformJobStopper {
  stopForPlatform(jobId: string, reason: string): Promise<void>;
}

/**
 * Ends the jobs of classrooms whose windows end with a stop: on the lease holder, with the
 * reconcile tick. A job is stopped once a window of its classroom ended at least the classroom's
 * grace ago, the job was launched before that end (a teacher's job launched after it waits for
 * the next one), and no window of that classroom is open now.
 */
export class WindowEnds {
  readonly name = 'classroom window ends';

  constructor(
    private readonly db: Queryable,
    private readonly jobs: PlatformJobStopper,
    private readonly logger: Logger,
  ) {}

  /** Answers the ids of the jobs it stopped. */
  async sweep(now: Date): Promise<string[]> {
    const due = await this.dueJobs(now);
    const stopped: string[] = [];
    for (const { id, classroom } of due) {
      try {
        await this.jobs.stopForPlatform(id, WINDOW_ENDED_REASON);
        stopped.push(id);
        this.logger.info({ jobId: id, classroom }, 'stopped a job: its classroom window ended');
      } catch (err) {
        // One job the cluster would not stop must not keep the others running; the next tick retries.
        this.logger.warn({ err, jobId: id, classroom }, 'could not stop a job whose classroom window ended; will retry');
      }
    }
    return stopped;
  }

  async run(now: Date): Promise<void> {
    await this.sweep(now);
  }

  private dueJobs(now: Date): Promise<Array<{ id: string; classroom: string }>> {
    const graceAgo = sql`${now.toISOString()}::timestamptz - make_interval(mins => ${classrooms.graceMinutes})`;
    const endedBefore = this.db
      .select({ one: sql`1` })
      .from(classroomWindows)
      .where(and(eq(classroomWindows.classroomId, classrooms.id), sql`${classroomWindows.endsAt} <= ${graceAgo}`, gt(classroomWindows.endsAt, jobs.createdAt)));
    const openNow = this.db
      .select({ one: sql`1` })
      .from(classroomWindows)
      .where(and(eq(classroomWindows.classroomId, classrooms.id), lte(classroomWindows.startsAt, now), gt(classroomWindows.endsAt, now)));
    return this.db
      .select({ id: jobs.id, classroom: classrooms.name })
      .from(jobs)
      .innerJoin(classrooms, eq(jobs.classroomId, classrooms.id))
      .where(and(inArray(jobs.status, [...ACTIVE_JOB_STATUSES]), eq(classrooms.windowEndAction, 'stop'), exists(endedBefore), notExists(openNow)));
  }
}
