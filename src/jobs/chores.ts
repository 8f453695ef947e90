/**
 * Work other parts of classlab hand to the lease holder's reconcile round (classrooms' window
 * ends, placeholders), so that one server does each and the lifecycle need not know what it is.
 */

import type { Logger } from 'pino';

export interface LeaseChore {
  /** Names the chore in logs. */
  readonly name: string;
  /** `now` is the lifecycle's clock, which tests inject. */
  run(now: Date): Promise<void>;
}

/** Runs each chore in turn; one that fails is logged and retried next round, and keeps no other from running. */
export async function runChores(chores: readonly LeaseChore[], now: Date, logger: Logger): Promise<void> {
  for (const chore of chores) {
    try {
      await chore.run(now);
    } catch (err) {
      logger.warn({ err, chore: chore.name }, 'a reconcile chore failed; will retry');
    }
  }
}
