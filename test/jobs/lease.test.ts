import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { processStampOf } from '../../src/common/process-identity.js';
import { DatabaseLease } from '../../src/jobs/lease.js';
import { isDeadHolderNearby, leaseHolderOf, ownLeaseHolder } from '../../src/jobs/lease-holder.js';
import type { Store } from '../../src/store/store.js';
import { storeTargets } from '../support/stores.js';

const TTL_SECONDS = 90;

/** The holder a server on this machine would have written, had it been this process that has since died. */
async function holderOfKilledServer(): Promise<string> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  const stamp = processStampOf(child.pid!);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  return leaseHolderOf(stamp);
}

describe.each(storeTargets)('the reconcile lease on $name', (target) => {
  let store: Store;
  beforeAll(async () => {
    store = await target.open();
  });
  afterAll(() => store?.close());
  beforeEach(async () => {
    await store.db.execute(sql`delete from leases`);
  });

  const lease = (holder: string) => new DatabaseLease(store.db, 'jobs-test', holder, TTL_SECONDS, isDeadHolderNearby);

  it.runIf(existsSync('/proc/self/stat'))('is taken over at once from a server on this machine that was killed, long before it expires', async () => {
    const killed = await holderOfKilledServer();
    expect(await lease(killed).acquire()).toBe(true);
    const restarted = lease(ownLeaseHolder());
    expect(await restarted.acquire()).toBe(true);
    expect(await lease(ownLeaseHolder()).acquire()).toBe(false);
  });

  it('stays with a live holder, and with one on another machine, until it expires', async () => {
    const live = lease(ownLeaseHolder());
    expect(await live.acquire()).toBe(true);
    expect(await lease(ownLeaseHolder()).acquire()).toBe(false);

    await store.db.execute(sql`delete from leases`);
    const elsewhere = (await holderOfKilledServer()).replace(/^[^|]*/, 'another-machine');
    expect(await lease(elsewhere).acquire()).toBe(true);
    expect(await lease(ownLeaseHolder()).acquire()).toBe(false);
  });
});
