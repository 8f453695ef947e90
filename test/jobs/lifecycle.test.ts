import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { JobEventHub } from '../../src/jobs/events.js';
import { DatabaseLease } from '../../src/jobs/lease.js';
import { JobView } from '../../src/jobs/job-view.js';
import { JobLifecycle } from '../../src/jobs/lifecycle.js';
import type { JobPolicy } from '../../src/jobs/quotas.js';
import { JobRepository } from '../../src/jobs/repository.js';
import type { RuntimeJob } from '../../src/runtime/types.js';
import { jobs, type JobStatus } from '../../src/store/schema.js';
import type { Store } from '../../src/store/store.js';
import { ScriptedRuntime } from '../support/fake-runtime.js';
import { capturingLogger } from '../support/logs.js';
import { seedCourse } from '../support/seed.js';
import { storeTargets } from '../support/stores.js';

const HOUR = 3600;
const policy: JobPolicy = {
  limits: { student: 1 },
  maxAgeSeconds: { student: 4 * HOUR, teacher: 12 * HOUR },
  idleTimeoutSeconds: { student: HOUR },
};

describe.each(storeTargets)('job lifecycle on $name', (target) => {
  let store: Store;
  let repository: JobRepository;
  let runtime: ScriptedRuntime;
  let userId: string;
  let teacherId: string;
  let courseId: string;
  let now: Date;

  const lifecycle = (holder = 'server-a', lease = 'jobs') =>
    // A view never loaded: every read goes to the table these tests write to directly.
    new JobLifecycle(repository, new JobView(repository, store.changes, capturingLogger().logger), runtime, new JobEventHub(), policy, new DatabaseLease(store.db, lease, holder, 60), capturingLogger().logger, {
      intervalMs: 60_000,
      launchGraceMs: 60_000,
      now: () => now,
    });

  async function job(status: JobStatus, ageSeconds: number, owner = userId): Promise<string> {
    const [row] = await store.db
      .insert(jobs)
      .values({ courseId, userId: owner, status, createdAt: new Date(now.getTime() - ageSeconds * 1000) })
      .returning({ id: jobs.id });
    return row!.id;
  }
  const statusOf = async (id: string) => (await repository.find(id))?.status;
  const reasonOf = async (id: string) => (await repository.find(id))?.reason;

  beforeAll(async () => {
    store = await target.open();
    repository = new JobRepository(store.db, 'nvidia.com/gpu');
    ({ studentId: userId, teacherId, courseId } = await seedCourse(store.db, { name: 'c', gpu: 0 }));
  });
  afterAll(() => store?.close());
  beforeEach(async () => {
    now = new Date();
    runtime = new ScriptedRuntime();
    await store.db.delete(jobs);
    await store.db.execute(sql`delete from leases`);
  });

  it('runs its chores on the lease holder only, with its clock, one failing not stopping the next', async () => {
    const seen: Date[] = [];
    const chores = [
      { name: 'failing', run: () => Promise.reject(new Error('cluster unreachable')) },
      { name: 'recording', run: async (at: Date) => void seen.push(at) },
    ];
    const withChores = (holder: string) =>
      new JobLifecycle(repository, new JobView(repository, store.changes, capturingLogger().logger), runtime, new JobEventHub(), policy, new DatabaseLease(store.db, 'jobs', holder, 60), capturingLogger().logger, {
        intervalMs: 60_000,
        now: () => now,
        chores,
      });
    expect(await withChores('server-a').tick()).toBeDefined();
    expect(seen).toEqual([now]);
    expect(await withChores('server-b').tick()).toBeUndefined();
    expect(seen).toEqual([now]);
  });

  it('stops objects that belong to no active job', async () => {
    const deleted = await job('Deleted', 10);
    runtime.running.set(deleted, { jobId: deleted, state: { status: 'Ready' }, services: [], complete: true });
    runtime.running.set('0a0a0a0a-0000-4000-8000-000000000000', { jobId: '0a0a0a0a-0000-4000-8000-000000000000', state: { status: 'Ready' }, services: [], complete: true });
    const report = await lifecycle().tick();
    expect(report?.orphansStopped.sort()).toEqual([deleted, '0a0a0a0a-0000-4000-8000-000000000000'].sort());
    expect(runtime.running.size).toBe(0);
  });

  it('leaves the objects of a job another server has just ended to that server, and stops them once it is late', async () => {
    const justDeleted = await job('Deleted', 600);
    const longDeleted = await job('Deleted', 600);
    await store.db.update(jobs).set({ endedAt: new Date(now.getTime() - 5_000) }).where(eq(jobs.id, justDeleted));
    await store.db.update(jobs).set({ endedAt: new Date(now.getTime() - 120_000) }).where(eq(jobs.id, longDeleted));
    for (const id of [justDeleted, longDeleted]) runtime.running.set(id, { jobId: id, state: { status: 'Ready' }, services: [], complete: true });
    expect((await lifecycle().tick())?.orphansStopped).toEqual([longDeleted]);
    expect(runtime.stopped).toEqual([longDeleted]);
  });

  it('fails a job whose objects vanished, and one whose launch was interrupted; leaves a young launch alone', async () => {
    const vanished = await job('Ready', 600);
    const interrupted = await job('Created', 120);
    const halfMade = await job('Created', 120);
    runtime.running.set(halfMade, { jobId: halfMade, state: { status: 'Pending', reason: 'x' }, services: [], complete: false });
    // Its Deployment's informer already moved it on, but its Service was never made.
    const halfMadeButPending = await job('Pending', 120);
    runtime.running.set(halfMadeButPending, { jobId: halfMadeButPending, state: { status: 'Ready' }, services: [], complete: false });
    const launching = await job('Created', 5);
    const launchingHalfMade = await job('Created', 5);
    runtime.running.set(launchingHalfMade, { jobId: launchingHalfMade, state: { status: 'Pending', reason: 'x' }, services: [], complete: false });
    const report = await lifecycle().tick();
    expect(report?.failed.sort()).toEqual([vanished, interrupted, halfMade, halfMadeButPending].sort());
    expect(await reasonOf(vanished)).toBe("the job's environment disappeared from the kubernetes runtime");
    expect(await reasonOf(interrupted)).toMatch(/^the launch was interrupted/);
    expect(runtime.stopped).toContain(halfMade);
    expect(await statusOf(launching)).toBe('Created');
    expect(await statusOf(launchingHalfMade)).toBe('Created');
  });

  it('fails at once a young Pending or Ready job that lost one of its objects, saying which', async () => {
    const ready = await job('Ready', 5);
    runtime.running.set(ready, { jobId: ready, state: { status: 'Ready' }, services: [], complete: false, missing: 'its Deployment was deleted outside classlab' });
    const pending = await job('Pending', 5);
    runtime.running.set(pending, { jobId: pending, state: { status: 'Pending', reason: 'x' }, services: [], complete: false, missing: 'its Service was deleted outside classlab' });
    const report = await lifecycle().tick();
    expect(report?.failed.sort()).toEqual([ready, pending].sort());
    expect(await repository.find(ready)).toMatchObject({ status: 'Failed', reason: 'its Deployment was deleted outside classlab' });
    expect(await repository.find(pending)).toMatchObject({ status: 'Failed', reason: 'its Service was deleted outside classlab' });
    expect(runtime.stopped.sort()).toEqual([ready, pending].sort());
  });

  it('keeps a job that finished launching between the runtime snapshot and the table read', async () => {
    const id = await job('Created', 1);
    const whole: RuntimeJob = { jobId: id, state: { status: 'Pending', reason: 'ContainerCreating' }, services: [], complete: true };
    runtime.running.set(id, { ...whole, complete: false, missing: 'its Service was deleted outside classlab' });
    const listActive = repository.listActive.bind(repository);
    // The Service arrives and the watch moves the row on while reconciling reads the table.
    const spy = vi.spyOn(repository, 'listActive').mockImplementationOnce(async () => {
      runtime.running.set(id, whole);
      await repository.transition(id, 'Pending', 'ContainerCreating');
      return listActive();
    });
    try {
      const report = await lifecycle().tick();
      expect(report?.failed).toEqual([]);
      expect(await statusOf(id)).toBe('Pending');
    } finally {
      spy.mockRestore();
    }
  });

  it('reconciles as soon as the runtime has synced, not an interval later', async () => {
    const vanished = await job('Ready', 600);
    runtime.synced = false;
    const running = lifecycle();
    running.start();
    try {
      expect(await running.tick()).toBeUndefined();
      runtime.finishSync();
      await vi.waitFor(async () => expect(await statusOf(vanished)).toBe('Failed'));
    } finally {
      await running.stop();
    }
  });

  it("catches up with the runtime's state and URLs", async () => {
    const id = await job('Created', 120);
    runtime.running.set(id, { jobId: id, state: { status: 'Ready' }, services: [{ label: 'jupyter', value: 'http://h:30001' }], complete: true });
    await lifecycle().tick();
    expect(await repository.find(id)).toMatchObject({ status: 'Ready', services: [{ label: 'jupyter', value: 'http://h:30001' }] });
  });

  it('does nothing until the runtime has listed what exists', async () => {
    const id = await job('Ready', 600);
    runtime.synced = false;
    expect(await lifecycle().tick()).toBeUndefined();
    expect(await statusOf(id)).toBe('Ready');
  });

  it("culls a job past its role's maximum age, and a student's idle job", async () => {
    const old = await job('Ready', 5 * HOUR);
    const teachersJob = await job('Ready', 5 * HOUR, teacherId);
    const idle = await job('Ready', 2 * HOUR);
    const busy = await job('Ready', 2 * HOUR);
    for (const id of [old, teachersJob, idle, busy]) runtime.running.set(id, { jobId: id, state: { status: 'Ready' }, services: [], complete: true });
    runtime.activity.set(idle, new Date(now.getTime() - 90 * 60 * 1000));
    runtime.activity.set(busy, new Date(now.getTime() - 60 * 1000));
    const report = await lifecycle().tick();
    expect(report?.culled.sort()).toEqual([old, idle].sort());
    expect(await repository.find(old)).toMatchObject({ status: 'Deleted', reason: "culled: reached the maximum age of 4h for jimmy@nchc's role" });
    expect(await repository.find(idle)).toMatchObject({ status: 'Deleted', reason: 'culled: idle for more than 1h' });
    expect(await statusOf(teachersJob)).toBe('Ready');
    expect(await statusOf(busy)).toBe('Ready');
    expect(runtime.stopped.sort()).toEqual([old, idle].sort());
  });

  it('lets only the lease holder reconcile; another server takes over once the lease runs out', async () => {
    const first = lifecycle('server-a');
    const second = lifecycle('server-b');
    expect(await first.tick()).toBeDefined();
    expect(await second.tick()).toBeUndefined();
    await store.db.execute(sql`update leases set expires_at = now() - interval '1 second'`);
    expect(await second.tick()).toBeDefined();
    expect(await first.tick()).toBeUndefined();
  });

  it('applies runtime updates in order and never leaves a final state', async () => {
    const id = await job('Created', 1);
    runtime.running.set(id, { jobId: id, state: { status: 'Pending', reason: 'x' }, services: [], complete: true });
    const running = lifecycle();
    running.start();
    try {
      runtime.report(id, { status: 'Pending', reason: 'ErrImagePull: pull access denied' });
      runtime.report(id, { status: 'Ready' });
      runtime.emit({ kind: 'gone', jobId: id, reason: 'its Deployment was deleted outside classlab' });
      runtime.report(id, { status: 'Ready' });
      await running.stop();
      expect(await repository.find(id)).toMatchObject({ status: 'Failed', reason: 'its Deployment was deleted outside classlab' });
      const [row] = await store.db.select().from(jobs).where(eq(jobs.id, id));
      expect(row?.readyAt).toBeInstanceOf(Date);
    } finally {
      await running.stop();
    }
  });
});
