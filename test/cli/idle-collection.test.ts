import { describe, expect, it } from 'vitest';
import { fullCollection, IdleCollectionPolicy, type IdleCollectionSettings, type LoopSample } from '../../src/cli/idle-collection.js';

const SETTINGS: IdleCollectionSettings = { checkEveryMs: 1_000, idleBelow: 0.05, quietMsBeforeCollecting: 3_000, busyMsBeforeCollecting: 500 };
const idle: LoopSample = { activeMs: 1, elapsedMs: 1_000 };
const busy: LoopSample = { activeMs: 600, elapsedMs: 1_000 };

/** The checks, in order, at which the policy collects (1-based). */
function collectedAt(samples: LoopSample[]): number[] {
  const policy = new IdleCollectionPolicy(SETTINGS);
  return samples.flatMap((sample, index) => (policy.check(sample) ? [index + 1] : []));
}

describe('collecting when the server goes idle', () => {
  it('collects once after the start, when the loop has been quiet long enough', () => {
    expect(collectedAt([idle, idle, idle, idle, idle, idle, idle])).toEqual([3]);
  });

  it('waits for a quiet spell: a busy check starts the quiet time again', () => {
    expect(collectedAt([idle, idle, busy, idle, idle, idle])).toEqual([6]);
  });

  it('collects again only after enough busy time since the last collection', () => {
    const light: LoopSample = { activeMs: 30, elapsedMs: 1_000 };
    // Three quiet checks collect; light traffic (3 % busy) then counts as quiet, but 30 ms a check
    // reaches 500 ms of busy time only at the 17th check after the collection.
    const samples = [idle, idle, idle, ...Array.from({ length: 20 }, () => light)];
    expect(collectedAt(samples)).toEqual([3, 20]);
  });

  it('collects after a load, once the load has stopped for the quiet time', () => {
    expect(collectedAt([idle, idle, idle, busy, busy, busy, idle, idle, idle, idle])).toEqual([3, 9]);
  });

  it('reads a check of no length as not quiet', () => {
    expect(collectedAt([{ activeMs: 0, elapsedMs: 0 }, idle, idle])).toEqual([]);
  });
});

describe('the full collection', () => {
  it('runs without exposing gc to the program', () => {
    const collect = fullCollection();
    expect(() => collect()).not.toThrow();
    expect('gc' in globalThis).toBe(false);
  });
});
