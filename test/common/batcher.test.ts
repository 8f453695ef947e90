import { describe, expect, it } from 'vitest';
import { Batcher } from '../../src/common/batcher.js';

/** A writer that records each batch it is given and answers each item doubled. */
function recordingWriter(fail?: (items: readonly number[]) => boolean) {
  const batches: number[][] = [];
  const write = async (items: readonly number[]) => {
    batches.push([...items]);
    if (fail?.(items)) throw new Error(`cannot write ${items.join(',')}`);
    return items.map((item) => item * 2);
  };
  return { batches, write };
}

describe('Batcher', () => {
  it('writes what arrives together in one batch, and what arrives meanwhile in the next', async () => {
    const { batches, write } = recordingWriter();
    const writes = new Batcher(write);
    const first = [1, 2, 3].map((item) => writes.call(item));
    await new Promise((turn) => setImmediate(turn));
    const second = [4, 5].map((item) => writes.call(item));
    expect(await Promise.all([...first, ...second])).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([[1, 2, 3], [4, 5]]);
  });

  it('keeps batches within the limit, in order', async () => {
    const { batches, write } = recordingWriter();
    const writes = new Batcher(write, { maxItems: 2 });
    await Promise.all([1, 2, 3, 4, 5].map((item) => writes.call(item)));
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('writes one item per key in a batch, so that one key keeps its order', async () => {
    const { batches, write } = recordingWriter();
    const writes = new Batcher(write, { keyOf: (item) => String(item % 10) });
    await Promise.all([1, 11, 2, 21, 12].map((item) => writes.call(item)));
    expect(batches).toEqual([[1, 2], [11, 12], [21]]);
  });

  it('writes a failed batch again one item at a time: only the bad item fails', async () => {
    const { batches, write } = recordingWriter((items) => items.includes(2));
    const writes = new Batcher(write);
    const results = await Promise.allSettled([1, 2, 3].map((item) => writes.call(item)));
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(batches).toEqual([[1, 2, 3], [1], [2], [3]]);
  });

  it('never writes again a batch whose answer is short, and tells each item', async () => {
    const batches: number[][] = [];
    const writes = new Batcher(async (items: readonly number[]) => {
      batches.push([...items]);
      return items.slice(1);
    });
    const results = await Promise.allSettled([1, 2].map((item) => writes.call(item)));
    expect(results.every((result) => result.status === 'rejected')).toBe(true);
    expect(batches).toEqual([[1, 2]]);
  });

  it('is idle once every write asked for is done', async () => {
    const { write } = recordingWriter();
    const writes = new Batcher(write);
    let done = false;
    void writes.call(1).then(() => (done = true));
    await writes.idle();
    expect(done).toBe(true);
  });
});
