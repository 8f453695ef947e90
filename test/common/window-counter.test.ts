import { describe, expect, it } from 'vitest';
import { WindowCounter } from '../../src/common/window-counter.js';

describe('WindowCounter', () => {
  it('counts within a window and starts a new one once it has ended', () => {
    let now = 0;
    const counter = new WindowCounter(60, () => now);
    expect(counter.add('a')).toBe(1);
    expect(counter.add('a')).toBe(2);
    expect(counter.waitFor('a', 2)).toBe(60);
    expect(counter.waitFor('a', 3)).toBe(0);
    now = 59_500;
    expect(counter.waitFor('a', 2)).toBe(1);
    now = 60_000;
    expect(counter.add('a')).toBe(1);
    counter.forget('a');
    expect(counter.waitFor('a', 1)).toBe(0);
  });

  it('forgets the least recently used key beyond its size, counting a read as a use', () => {
    const counter = new WindowCounter(60, () => 0, 2);
    counter.add('a');
    counter.add('b');
    // Reading `a` makes `b` the least recently used.
    expect(counter.waitFor('a', 1)).toBe(60);
    counter.add('c');
    expect(counter.waitFor('b', 1)).toBe(0);
    expect(counter.waitFor('a', 1)).toBe(60);
    expect(counter.waitFor('c', 1)).toBe(60);
  });
});
