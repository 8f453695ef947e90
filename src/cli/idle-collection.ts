import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * When a busy spell ends, one full collection gives memory back. V8 sizes its young generation for
 * the load it last saw (32 MB once a start or a load has grown it) and keeps it when the load stops:
 * its own memory reducer did not run in 25 s of idling here. A full collection shrinks the young
 * generation to 1 MB, but only once V8 has seen allocation quiet for its 5 s window; it compacts
 * the old generation too: 30 to 35 MB of the RSS of an idle server (issue 13's T9). It pauses the
 * event loop for 40 to 140 ms, so it runs only after seconds of an idle loop, once per busy spell.
 */
export interface IdleCollectionSettings {
  /** How often the event loop's utilization is read. */
  readonly checkEveryMs: number;
  /** A check that saw the loop busy for less than this share of its interval saw it idle. */
  readonly idleBelow: number;
  /** How long the loop must have been idle: V8 shrinks its young generation only after 5 s of quiet. */
  readonly quietMsBeforeCollecting: number;
  /** Event-loop busy time since the last collection below which there is nothing worth collecting. */
  readonly busyMsBeforeCollecting: number;
}

export const IDLE_COLLECTION: IdleCollectionSettings = {
  checkEveryMs: 1_000,
  idleBelow: 0.05,
  quietMsBeforeCollecting: 6_000,
  busyMsBeforeCollecting: 1_000,
};

/** What one check saw over its interval: the loop's busy time, and the interval's length. */
export interface LoopSample {
  readonly activeMs: number;
  readonly elapsedMs: number;
}

/**
 * Decides, check after check, when to collect. The first quiet spell collects whatever the busy
 * time before it: a start is the busiest spell of a server's life, and its garbage the largest.
 */
export class IdleCollectionPolicy {
  private busyMs = Number.POSITIVE_INFINITY;
  private quietMs = 0;

  constructor(private readonly settings: IdleCollectionSettings) {}

  /** True when this check should collect; busy and quiet time start again from nothing if so. */
  check(sample: LoopSample): boolean {
    this.busyMs += sample.activeMs;
    const idle = sample.elapsedMs > 0 && sample.activeMs / sample.elapsedMs < this.settings.idleBelow;
    this.quietMs = idle ? this.quietMs + sample.elapsedMs : 0;
    if (this.quietMs < this.settings.quietMsBeforeCollecting || this.busyMs < this.settings.busyMsBeforeCollecting) return false;
    this.busyMs = 0;
    this.quietMs = 0;
    return true;
  }
}

/**
 * V8's full collection, which Node offers only behind `--expose-gc`. The flag set now exposes `gc`
 * to contexts created after it: a context of its own gets it, and the program's globals stay as they were.
 */
export function fullCollection(): () => void {
  setFlagsFromString('--expose-gc');
  const collect: unknown = runInNewContext('gc');
  if (typeof collect !== 'function') throw new Error('V8 did not expose gc');
  return () => {
    collect();
  };
}

/** Checks the event loop every `checkEveryMs` for the life of the process, without keeping it alive. */
export function collectWhenIdle(settings: IdleCollectionSettings = IDLE_COLLECTION, collect: () => void = fullCollection()): () => void {
  const policy = new IdleCollectionPolicy(settings);
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const interval = performance.eventLoopUtilization(now, last);
    last = now;
    if (policy.check({ activeMs: interval.active, elapsedMs: interval.active + interval.idle })) collect();
  }, settings.checkEveryMs);
  timer.unref();
  return () => clearInterval(timer);
}
