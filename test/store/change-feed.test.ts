import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LocalChangeFeed, MAX_PAYLOAD_BYTES } from '../../src/store/change-feed.js';
import { openStore, type Store } from '../../src/store/store.js';
import { createScratchDatabase, postgresTarget, type ScratchDatabase } from '../support/stores.js';

describe('the change feed of one process', () => {
  it('delivers to the subscribers of the channel, and to no one after unsubscribe', async () => {
    const feed = new LocalChangeFeed();
    const courses: string[] = [];
    const tokens: string[] = [];
    const stop = feed.subscribe('courses', (payload) => courses.push(payload));
    feed.subscribe('tokens', (payload) => tokens.push(payload));
    await feed.publish('courses', 'c1');
    stop();
    await feed.publish('courses', 'c2');
    await feed.publish('tokens', 't1');
    expect(courses).toEqual(['c1']);
    expect(tokens).toEqual(['t1']);
  });

  it('reports a handler that throws, and still calls the others', async () => {
    const report = vi.fn();
    const feed = new LocalChangeFeed(report);
    const heard: string[] = [];
    feed.subscribe('jobs', () => {
      throw new Error('boom');
    });
    feed.subscribe('jobs', (payload) => heard.push(payload));
    await feed.publish('jobs', 'j1');
    expect(heard).toEqual(['j1']);
    expect(report).toHaveBeenCalledWith('a change handler failed', expect.any(Error));
  });

  it('refuses a payload that NOTIFY could not carry', async () => {
    const feed = new LocalChangeFeed();
    await expect(feed.publish('courses', 'x'.repeat(MAX_PAYLOAD_BYTES + 1))).rejects.toThrow(RangeError);
  });

  it('is what an embedded store offers', async () => {
    const store = await openStore({ kind: 'memory' });
    try {
      const heard: string[] = [];
      store.changes.subscribe('courses', (payload) => heard.push(payload));
      await store.changes.publish('courses', 'x');
      expect(heard).toEqual(['x']);
    } finally {
      await store.close();
    }
  });
});

/** Waits for a condition that another connection makes true; LISTEN/NOTIFY is asynchronous. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting: ${what}`);
}

describe.skipIf(!postgresTarget)('the change feed across servers on one PostgreSQL', () => {
  let database: ScratchDatabase | undefined;
  const stores: Store[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await database?.drop();
    database = undefined;
  });
  const twoServers = async () => {
    database = await createScratchDatabase();
    const url = database.url;
    const opened = await Promise.all([openStore({ kind: 'postgres', url, poolSize: 2 }), openStore({ kind: 'postgres', url, poolSize: 2 })]);
    stores.push(...opened);
    return { url, a: opened[0] as Store, b: opened[1] as Store };
  };

  it("reaches the other server, and the publisher's own subscribers exactly once", async () => {
    const { a, b } = await twoServers();
    const onA: string[] = [];
    const onB: string[] = [];
    a.changes.subscribe('tokens', (payload) => onA.push(payload));
    b.changes.subscribe('tokens', (payload) => onB.push(payload));
    await a.changes.publish('tokens', 'hash-1');
    expect(onA).toEqual(['hash-1']);
    await until(() => onB.length === 1, 'B hears A');
    // A's own NOTIFY comes back to A's listener too; it must not be delivered a second time.
    await b.changes.publish('tokens', 'hash-2');
    await until(() => onA.length === 2, 'A hears B');
    expect(onA).toEqual(['hash-1', 'hash-2']);
    expect(onB).toEqual(['hash-1', 'hash-2']);
  });

  it('tells of a gap when the listening connection is killed, and hears again once it is back', async () => {
    const { url, a, b } = await twoServers();
    const gaps: string[] = [];
    const heard: string[] = [];
    b.changes.subscribe('courses', (payload) => heard.push(payload), () => gaps.push('gap'));
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      // Both servers' listeners; killing them is what a database restart or a network cut does.
      await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query like 'listen %' and pid <> pg_backend_pid()");
    } finally {
      await admin.end();
    }
    // Lost, then back: a gap each time, because changes in between were never heard.
    await until(() => gaps.length >= 2, 'gap on loss and on return');
    await a.changes.publish('courses', 'after');
    await until(() => heard.includes('after'), 'B hears A after reconnecting');
  });
});
