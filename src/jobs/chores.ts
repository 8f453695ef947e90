import type { Logger } from 'pino';

/**
 * Work the lease holder does on each reconcile tick besides reconciling and culling, such as
 * stopping jobs when a classroom's window ends: plugged in by main, so that the lifecycle knows
 * nothing of what the chores are about.
 */
export interface LeaseChore {
  /** Named in the log when it fails. */
  name: string;
  run(now: Date): Promise<void>;
}

/** Each chore in turn; one that fails is logged and retried next tick, and does not stop the others. */
export async function runChores(chores: readonly LeaseChore[], now: Date, logger: Logger): Promise<void> {
  for (const chore of chores) {
    try {
      await chore.run(now);
    } catch (err) {
      logger.warn({ err, chore: chore.name }, 'a reconcile chore failed; will retry');
    }
  }
}
