import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { JobEventHub, type JobMessage } from '../../src/jobs/events.js';
import { DatabaseLease } from '../../src/jobs/lease.js';
import { JobView } from '../../src/jobs/job-view.js';
import { JobLifecycle } from '../../src/jobs/lifecycle.js';
import type { JobPolicy } from '../../src/jobs/quotas.js';
import { JobRepository } from '../../src/jobs/repository.js';
import type { Transition } from '../../src/jobs/transitions.js';
import { jobs, usageRecords } from '../../src/store/schema.js';
import type { Store } from '../../src/store/store.js';
import { ScriptedRuntime } from '../support/fake-runtime.js';
import { capturingLogger } from '../support/logs.js';
import { seedCourse } from '../support/seed.js';
import { storeTargets } from '../support/stores.js';

const policy: JobPolicy = { limits: {}, maxAgeSeconds: { student: 3600 }, idleTimeoutSeconds: {} };

/**
 * The runtime's state changes, on a server whose job view is loaded: pages hear of a state as soon
 * as its write is asked for, the writes of many jobs go in one transaction, one job's stay in
 * order, and a write that fails leaves the view, the pages and the table able to reach the truth.
 */
describe.each(storeTargets)('state changes written ahead and in batches on $name', (target) => {
  let store: Store;
  let repository: JobRepository;
  let runtime: ScriptedRuntime;
  let view: JobView;
  let hub: JobEventHub;
  let lifecycle: JobLifecycle;
  let userId: string;
  let courseId: string;
  /** What transitionMany was asked to write, call by call. */
  let batches: Transition[][];

  const admit = () => repository.admit({ userId, courseId, gpu: 0, classroomId: null }, new Date(), () => {});
  const rowOf = async (id: string) => (await store.db.select().from(jobs).where(eq(jobs.id, id)))[0];
  const recordOf = async (id: string) => (await store.db.select().from(usageRecords).where(eq(usageRecords.jobId, id)))[0];
  /** The states a page following the job hears, in order. */
  function follow(id: string): string[] {
    const heard: string[] = [];
    hub.subscribe(id, (message: JobMessage) => {
      if (message.type === 'state') heard.push(message.reason ? `${message.status}: ${message.reason}` : message.status);
    });
    return heard;
  }
  /** This suite's lifecycle, as the only server on its database (an embedded one) or as one of several. */
  const lifecycleOf = (soleServer: boolean) =>
    new JobLifecycle(repository, view, runtime, hub, policy, new DatabaseLease(store.db, 'jobs', 'server-a', 60), capturingLogger().logger, { intervalMs: 60_000, soleServer });
  /** Runs transitionMany as `write` says instead of the real one, which it may call. */
  function writeWith(write: (changes: readonly Transition[], real: (changes: readonly Transition[]) => ReturnType<JobRepository['transitionMany']>) => ReturnType<JobRepository['transitionMany']>): void {
    const real = repository.transitionMany.bind(repository);
    vi.spyOn(repository, 'transitionMany').mockImplementation((changes) => {
      batches.push([...changes]);
      return write(changes, real);
    });
  }

  /** Holds every state write until the returned function is called: what pages hear before a commit. */
  function holdWrites(): () => void {
    let commit!: () => void;
    const committed = new Promise<void>((resolve) => (commit = resolve));
    writeWith(async (changes, real) => {
      await committed;
      return real(changes);
    });
    return commit;
  }

  beforeAll(async () => {
    store = await target.open();
    ({ studentId: userId, courseId } = await seedCourse(store.db, { name: 'c', gpu: 0 }));
  });
  afterAll(() => store?.close());
  beforeEach(async () => {
    await store.db.delete(usageRecords);
    await store.db.delete(jobs);
    repository = new JobRepository(store.db, 'nvidia.com/gpu');
    runtime = new ScriptedRuntime();
    hub = new JobEventHub();
    batches = [];
    view = new JobView(repository, store.changes, capturingLogger().logger);
    lifecycle = lifecycleOf(false);
  });
  afterEach(async () => {
    await lifecycle.stop();
    view.close();
    vi.restoreAllMocks();
  });

  it('tells the pages of a state before its write commits, and other servers only after', async () => {
    const id = await admit();
    await view.start();
    const commit = holdWrites();
    const notified: string[] = [];
    const unsubscribe = store.changes.subscribe('jobs', (payload) => notified.push(payload));
    const heard = follow(id);
    lifecycle.start();
    try {
      runtime.report(id, { status: 'Ready' });
      expect(heard).toEqual(['Ready']);
      expect(view.peek(id)?.status).toBe('Ready');
      await vi.waitFor(() => expect(batches).toHaveLength(1));
      expect((await rowOf(id))?.status).toBe('Created');
      expect(notified.filter((payload) => payload.endsWith(id))).toEqual([]);
      commit();
      await lifecycle.stop();
      expect((await rowOf(id))?.status).toBe('Ready');
      expect((await recordOf(id))?.startedAt).toBeInstanceOf(Date);
      await vi.waitFor(() => expect(notified.filter((payload) => payload.endsWith(id))).toHaveLength(1));
      expect(heard).toEqual(['Ready']);
    } finally {
      unsubscribe();
    }
  });

  it('tells the pages of a state that came while the launch was still keeping its row, once it has, before the write commits', async () => {
    await view.start();
    const id = await admit();
    let launched!: () => void;
    const launchWritten = new Promise<void>((resolve) => (launched = resolve));
    const launching = view.write(id, () => launchWritten.then(() => repository.setServices(id, [])), (row) => row);
    const commit = holdWrites();
    const heard = follow(id);
    lifecycle.start();
    runtime.report(id, { status: 'Pending', reason: 'ContainerCreating' });
    runtime.report(id, { status: 'Ready' });
    expect(view.peek(id)).toBeUndefined();
    launched();
    await launching;
    await vi.waitFor(() => expect(heard).toEqual(['Pending: ContainerCreating', 'Ready']));
    expect(view.peek(id)?.status).toBe('Ready');
    expect((await rowOf(id))?.status).toBe('Created');
    commit();
    await lifecycle.stop();
    expect((await rowOf(id))?.status).toBe('Ready');
    expect(batches.map((batch) => batch.map((change) => change.status))).toEqual([['Pending'], ['Ready']]);
    expect(heard).toEqual(['Pending: ContainerCreating', 'Ready']);
  });

  it("writes the changes that arrive together in one batch, each job's in the order they came", async () => {
    const ids = [await admit(), await admit(), await admit()];
    const [first, second, third] = ids as [string, string, string];
    await view.start();
    writeWith((changes, real) => real(changes));
    const heard = follow(first);
    lifecycle.start();
    runtime.report(first, { status: 'Pending', reason: 'ContainerCreating' });
    runtime.report(second, { status: 'Ready' });
    runtime.report(first, { status: 'Ready' });
    runtime.report(third, { status: 'Ready' });
    runtime.report(first, { status: 'Pending', reason: 'probe failing' });
    await lifecycle.stop();

    expect(batches.map((batch) => batch.map((change) => `${ids.indexOf(change.id)} ${change.status}`))).toEqual([['0 Pending', '1 Ready', '2 Ready'], ['0 Ready'], ['0 Pending']]);
    expect(heard).toEqual(['Pending: ContainerCreating', 'Ready', 'Pending: probe failing']);
    expect(await rowOf(first)).toMatchObject({ status: 'Pending', reason: 'probe failing' });
    expect((await rowOf(first))?.readyAt).toBeInstanceOf(Date);
    for (const id of ids) expect((await recordOf(id))?.startedAt).toBeInstanceOf(Date);
    expect((await rowOf(second))?.status).toBe('Ready');
    expect(view.peek(first)).toMatchObject({ status: 'Pending', reason: 'probe failing' });
  });

  it('never leaves a final state it told the pages of, even while that write is on its way', async () => {
    // The only server: a job whose objects vanished is told Failed before the write commits.
    lifecycle = lifecycleOf(true);
    const id = await admit();
    await view.start();
    writeWith((changes, real) => real(changes));
    const heard = follow(id);
    lifecycle.start();
    runtime.emit({ kind: 'gone', jobId: id, reason: 'its Deployment was deleted outside classlab' });
    runtime.report(id, { status: 'Ready' });
    await lifecycle.stop();
    expect(heard[0]).toBe('Failed: its Deployment was deleted outside classlab');
    expect(heard).not.toContain('Ready');
    expect(await rowOf(id)).toMatchObject({ status: 'Failed', reason: 'its Deployment was deleted outside classlab' });
    expect((await recordOf(id))?.endReason).toBe('failed');
    expect(view.peek(id)?.status).toBe('Failed');
    expect(runtime.stopped).toEqual([id]);
  });

  it('writes each job of a batch that failed on its own, so one bad row fails only itself', async () => {
    const ids = [await admit(), await admit(), await admit()];
    await view.start();
    const bad = ids[1];
    writeWith((changes, real) => (changes.some((change) => change.id === bad) ? Promise.reject(new Error('a row the database refused')) : real(changes)));
    const heard = follow(bad!);
    lifecycle.start();
    for (const id of ids) runtime.report(id, { status: 'Ready' });
    await lifecycle.stop();
    expect(batches.map((batch) => batch.length)).toEqual([3, 1, 1, 1]);
    expect((await rowOf(ids[0]!))?.status).toBe('Ready');
    expect((await rowOf(ids[2]!))?.status).toBe('Ready');
    // The refused one: the view and its page are brought back to what the table says.
    expect((await rowOf(bad!))?.status).toBe('Created');
    expect(view.peek(bad!)?.status).toBe('Created');
    expect(heard).toEqual(['Ready', 'Created']);
  });

  it('brings the view and the pages back to the truth when the database is down, and reconciling writes the state later', async () => {
    const id = await admit();
    await repository.transition(id, 'Pending', 'ContainerCreating');
    await view.start();
    let down = true;
    writeWith((changes, real) => (down ? Promise.reject(new Error('connection refused')) : real(changes)));
    const heard = follow(id);
    const logs = capturingLogger();
    lifecycle = new JobLifecycle(repository, view, runtime, hub, policy, new DatabaseLease(store.db, 'jobs', 'server-a', 60), logs.logger, { intervalMs: 60_000 });
    // Reconciling only when this test says: not at start.
    runtime.synced = false;
    lifecycle.start();
    runtime.report(id, { status: 'Ready' });
    await vi.waitFor(() => expect(heard).toEqual(['Ready', 'Pending: ContainerCreating']));
    expect(view.peek(id)).toMatchObject({ status: 'Pending', reason: 'ContainerCreating' });
    expect((await rowOf(id))?.status).toBe('Pending');

    expect(logs.lines.some((line) => line.includes('could not record a job update'))).toBe(true);

    down = false;
    runtime.synced = true;
    runtime.running.set(id, { jobId: id, state: { status: 'Ready' }, services: [], complete: true });
    await lifecycle.tick();
    expect((await rowOf(id))?.status).toBe('Ready');
    expect((await recordOf(id))?.startedAt).toBeInstanceOf(Date);
    expect(view.peek(id)?.status).toBe('Ready');
    expect(heard).toEqual(['Ready', 'Pending: ContainerCreating', 'Ready']);
  });
  it("with replicas, tells the pages of a job whose objects vanished only what its row says: another server's delete, not a failure", async () => {
    const id = await admit();
    await repository.transition(id, 'Ready', null);
    await view.start();
    // Another server deleted the job: its row first, then its objects; this server has not heard yet.
    await repository.markDeleted(id, 'deleted by jimmy@nchc', 'deleted');
    expect(view.peek(id)?.status).toBe('Ready');
    const heard = follow(id);
    lifecycle.start();
    runtime.emit({ kind: 'gone', jobId: id, reason: 'its Deployment was deleted outside classlab' });
    await vi.waitFor(() => expect(heard).toEqual(['Deleted: deleted by jimmy@nchc']));
    runtime.report(id, { status: 'Ready' });
    await lifecycle.stop();
    // Told again, as any state another server wrote first; never Ready nor Failed.
    expect(new Set(heard)).toEqual(new Set(['Deleted: deleted by jimmy@nchc']));
    expect((await rowOf(id))?.status).toBe('Deleted');
    expect((await recordOf(id))?.endReason).toBe('deleted');
  });

  it('on an embedded database, the only server, tells the pages of a job whose objects vanished at once', async () => {
    lifecycle = lifecycleOf(true);
    const id = await admit();
    await repository.transition(id, 'Ready', null);
    await view.start();
    const commit = holdWrites();
    const heard = follow(id);
    lifecycle.start();
    runtime.emit({ kind: 'gone', jobId: id, reason: 'its Deployment was deleted outside classlab' });
    expect(heard).toEqual(['Failed: its Deployment was deleted outside classlab']);
    commit();
    await lifecycle.stop();
    expect((await rowOf(id))?.status).toBe('Failed');
  });
});
