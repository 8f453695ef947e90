/**
 * User ids for sandboxed jobs, one per user: all running jobs of one user share an id, so the
 * files they write in the user's home stay theirs across jobs; no two users running at once share
 * one; none runs as the server's. An id is held while any job of its user runs.
 *
 * Nothing else identifies a job by its user id: signals go to a job's process group and PID
 * namespace, orphans are found by the job id in their environment, and limits are a control
 * group per job. The exception is prlimit's process limit, where no cgroup tree is writable: the
 * kernel counts it per user id, so a user's jobs at once share it.
 */

import type { UidRange } from '../../config/local-settings.js';

export class UidPool {
  private readonly byUser = new Map<string, { uid: number; jobs: Set<string> }>();
  private readonly userOfJob = new Map<string, string>();

  constructor(private readonly range: UidRange) {}

  /**
   * The id of the user's running jobs, else `preferred` (the owner of the user's home, so it need
   * not be handed over) when it is in the range and free, else the lowest free one; undefined when
   * every one is held.
   */
  take(jobId: string, userId: string, preferred?: number): number | undefined {
    const holding = this.byUser.get(userId);
    if (holding) {
      holding.jobs.add(jobId);
      this.userOfJob.set(jobId, userId);
      return holding.uid;
    }
    const held = new Set([...this.byUser.values()].map((holder) => holder.uid));
    const uid = preferred !== undefined && this.inRange(preferred) && !held.has(preferred) ? preferred : this.lowestFree(held);
    if (uid === undefined) return undefined;
    this.byUser.set(userId, { uid, jobs: new Set([jobId]) });
    this.userOfJob.set(jobId, userId);
    return uid;
  }

  /** The job no longer holds its id; the id is free once its user's last job has let go. */
  release(jobId: string): void {
    const userId = this.userOfJob.get(jobId);
    if (userId === undefined) return;
    this.userOfJob.delete(jobId);
    const holding = this.byUser.get(userId);
    holding?.jobs.delete(jobId);
    if (holding?.jobs.size === 0) this.byUser.delete(userId);
  }

  private inRange(uid: number): boolean {
    return Number.isInteger(uid) && uid >= this.range.first && uid <= this.range.last;
  }

  private lowestFree(held: ReadonlySet<number>): number | undefined {
    for (let uid = this.range.first; uid <= this.range.last; uid += 1) if (!held.has(uid)) return uid;
    return undefined;
  }
}
