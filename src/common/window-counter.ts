import { LRUCache } from 'lru-cache';

interface Window {
  count: number;
  since: number;
}

/**
 * Counts events per key in fixed windows that start with a key's first event, in memory: what
 * rate limits on sign-in and registration are built on. The oldest keys are forgotten first,
 * which only ever allows more.
 */
export class WindowCounter {
  private readonly windows: LRUCache<string, Window>;

  constructor(
    private readonly windowSeconds: number,
    /** Milliseconds, replaceable so that tests can move time instead of waiting. */
    private readonly now: () => number = Date.now,
    maxKeys = 100_000,
  ) {
    this.windows = new LRUCache({ max: maxKeys });
  }

  /** Counts one more event for the key, in a new window if its last one has ended; answers the count. */
  add(key: string): number {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now - window.since >= this.windowSeconds * 1000) this.windows.set(key, (window = { count: 0, since: now }));
    window.count += 1;
    return window.count;
  }

  /** Seconds until the key's window ends, once it holds `limit` events; 0 while it holds fewer. */
  waitFor(key: string, limit: number): number {
    const window = this.windows.get(key);
    if (!window || window.count < limit) return 0;
    return Math.max(0, Math.ceil((window.since + this.windowSeconds * 1000 - this.now()) / 1000));
  }

  forget(key: string): void {
    this.windows.delete(key);
  }
}
