/**
 * User ids for sandboxed jobs: each running job holds one of the configured range, so no two
 * running jobs share a user, and none runs as the server's.
 */

import type { UidRange } from '../../config/local-settings.js';

export class UidPool {
  private readonly holders = new Map<string, number>();

  constructor(private readonly range: UidRange) {}

  /** The lowest free user id, or undefined when every one is held. */
  take(jobId: string): number | undefined {
    const held = new Set(this.holders.values());
    for (let uid = this.range.first; uid <= this.range.last; uid += 1) {
      if (held.has(uid)) continue;
      this.holders.set(jobId, uid);
      return uid;
    }
    return undefined;
  }

  release(jobId: string): void {
    this.holders.delete(jobId);
  }
}
