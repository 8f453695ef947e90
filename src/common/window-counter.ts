interface Window {
  count: number;
  since: number;
}

/**
 * Counts events per key in fixed windows that start with a key's first event, in memory: what
 * rate limits on sign-in and registration are built on. The oldest keys are forgotten first,
 * which only ever allows more.
 *
 * A Map in recency order (a key read or written moves to its end) rather than lru-cache: lru-cache
 * allocates its slots for `maxKeys` up front, about 2.4 MB per counter at 100,000 keys, and a
 * server holds several counters that mostly stay empty.
 */
export class WindowCounter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly windowSeconds: number,
    /** Milliseconds, replaceable so that tests can move time instead of waiting. */
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  /** Counts one more event for the key, in a new window if its last one has ended; answers the count. */
  add(key: string): number {
    const now = this.now();
    let window = this.get(key);
    if (!window || now - window.since >= this.windowSeconds * 1000) this.set(key, (window = { count: 0, since: now }));
    window.count += 1;
    return window.count;
  }

  /** Seconds until the key's window ends, once it holds `limit` events; 0 while it holds fewer. */
  waitFor(key: string, limit: number): number {
    const window = this.get(key);
    if (!window || window.count < limit) return 0;
    return Math.max(0, Math.ceil((window.since + this.windowSeconds * 1000 - this.now()) / 1000));
  }

  forget(key: string): void {
    this.windows.delete(key);
  }

  /** The key's window, now the most recently used. */
  private get(key: string): Window | undefined {
    const window = this.windows.get(key);
    if (window) {
      this.windows.delete(key);
      this.windows.set(key, window);
    }
    return window;
  }

  private set(key: string, window: Window): void {
    this.windows.delete(key);
    this.windows.set(key, window);
    // The first key in a Map's order is the least recently used.
    if (this.windows.size > this.maxKeys) this.windows.delete(this.windows.keys().next().value as string);
  }
}
