import { lt, sql } from 'drizzle-orm';
import { WindowCounter } from '../common/window-counter.js';
import { signInFailures } from '../store/schema.js';
import type { Database } from '../store/store.js';

/**
 * Wrong passwords per key, in fixed windows that start with a key's first failure: what the
 * sign-in throttle counts with.
 */
export interface FailureCounts {
  /** Counts one more failure, in a new window if the last one has ended; answers the count. */
  add(key: string): Promise<number>;
  /** Seconds until the key's window ends, once it holds `limit` failures; 0 while it holds fewer. */
  waitFor(key: string, limit: number): Promise<number>;
  forget(key: string): Promise<void>;
}

/** In this process's memory: each server counts only what it sees, and a restart forgets. */
export class MemoryFailureCounts implements FailureCounts {
  private readonly counter: WindowCounter;

  constructor(windowSeconds: number, now: () => number, maxKeys?: number) {
    this.counter = new WindowCounter(windowSeconds, now, maxKeys);
  }

  async add(key: string): Promise<number> {
    return this.counter.add(key);
  }

  async waitFor(key: string, limit: number): Promise<number> {
    return this.counter.waitFor(key, limit);
  }

  async forget(key: string): Promise<void> {
    this.counter.forget(key);
  }
}

/**
 * In the database, by its clock: every server on it counts together, so that N replicas do not
 * allow N times the guesses. Windows long ended are deleted now and then.
 */
export class DatabaseFailureCounts implements FailureCounts {
  private lastPurge = 0;

  constructor(
    private readonly db: Database,
    /** Separates the counts of user names from those of addresses. */
    private readonly prefix: string,
    private readonly windowSeconds: number,
  ) {}

  async add(key: string): Promise<number> {
    await this.purgeNowAndThen();
    const ended = sql`${signInFailures.since} <= now() - make_interval(secs => ${this.windowSeconds})`;
    const [row] = await this.db
      .insert(signInFailures)
      .values({ key: this.keyOf(key), count: 1, since: sql`now()` })
      .onConflictDoUpdate({
        target: signInFailures.key,
        set: {
          count: sql`case when ${ended} then 1 else ${signInFailures.count} + 1 end`,
          since: sql`case when ${ended} then now() else ${signInFailures.since} end`,
        },
      })
      .returning({ count: signInFailures.count });
    return row?.count ?? 1;
  }

  async waitFor(key: string, limit: number): Promise<number> {
    const [row] = await this.db
      .select({
        count: signInFailures.count,
        left: sql<string>`ceil(extract(epoch from ${signInFailures.since} + make_interval(secs => ${this.windowSeconds}) - now()))`,
      })
      .from(signInFailures)
      .where(sql`${signInFailures.key} = ${this.keyOf(key)}`);
    if (!row || row.count < limit) return 0;
    return Math.max(0, Number(row.left));
  }

  async forget(key: string): Promise<void> {
    await this.db.delete(signInFailures).where(sql`${signInFailures.key} = ${this.keyOf(key)}`);
  }

  private keyOf(key: string): string {
    return `${this.prefix}:${key}`;
  }

  private async purgeNowAndThen(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPurge < this.windowSeconds * 1000) return;
    this.lastPurge = now;
    await this.db.delete(signInFailures).where(lt(signInFailures.since, sql`now() - make_interval(secs => ${this.windowSeconds})`));
  }
}
