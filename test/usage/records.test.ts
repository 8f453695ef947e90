import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JobEventHub } from '../../src/jobs/events.js';
import { DatabaseLease } from '../../src/jobs/lease.js';
import { JobView } from '../../src/jobs/job-view.js';
import { JobLifecycle } from '../../src/jobs/lifecycle.js';
import type { JobPolicy } from '../../src/jobs/quotas.js';
import { JobRepository } from '../../src/jobs/repository.js';
import { jobs, usageRecords } from '../../src/store/schema.js';
import type { Store } from '../../src/store/store.js';
import { ScriptedRuntime } from '../support/fake-runtime.js';
import { capturingLogger } from '../support/logs.js';
import { seedCourse } from '../support/seed.js';
import { storeTargets } from '../support/stores.js';

const policy: JobPolicy = { limits: {}, maxAgeSeconds: { student: 3600 }, idleTimeoutSeconds: {} };
const MINUTE = 60_000;

describe.each(storeTargets)('usage records on $name', (target) => {
  let store: Store;
  let repository: JobRepository;
  let runtime: ScriptedRuntime;
  let userId: string;
  let teacherId: string;
  let courseId: string;

  const lifecycle = () =>
    // A view never loaded: every read goes to the table these tests write to directly.
    new JobLifecycle(repository, new JobView(repository, store.changes, capturingLogger().logger), runtime, new JobEventHub(), policy, new DatabaseLease(store.db, 'jobs', 'server-a', 60), capturingLogger().logger, {
      intervalMs: 60_000,
      launchGraceMs: 60_000,
    });
  const admit = () => repository.admit({ userId, courseId, gpu: 2, classroomId: null }, new Date(), () => {});
  const recordOf = async (jobId: string) => (await store.db.select().from(usageRecords).where(eq(usageRecords.jobId, jobId)))[0];
  /** A job that has run for a while, as the runtime holds it. */
  async function readyJob(): Promise<string> {
    const id = await admit();
    await repository.transition(id, 'Ready', null);
    runtime.running.set(id, { jobId: id, state: { status: 'Ready' }, services: [], complete: true });
    return id;
  }
  const setRecord = (jobId: string, values: Partial<typeof usageRecords.$inferInsert>) => store.db.update(usageRecords).set(values).where(eq(usageRecords.jobId, jobId));

  beforeAll(async () => {
    store = await target.open();
    repository = new JobRepository(store.db, 'example.com/gpu');
    ({ studentId: userId, teacherId, courseId } = await seedCourse(store.db, { name: 'deep learning', gpu: 2 }));
  });
  afterAll(() => store?.close());
  beforeEach(async () => {
    runtime = new ScriptedRuntime();
    await store.db.delete(jobs);
    await store.db.delete(usageRecords);
    await store.db.execute(sql`delete from leases`);
  });

  it('opens a record at admission with who, what and how many GPUs, and removes it with a failed launch', async () => {
    const id = await admit();
    expect(await recordOf(id)).toMatchObject({
      userId,
      userName: 'jimmy@nchc',
      courseId,
      courseName: 'deep learning',
      courseOwnerId: teacherId,
      gpu: 2,
      gpuResource: 'example.com/gpu',
      startedAt: null,
      endedAt: null,
      endReason: null,
    });
    await repository.remove(id);
    expect(await recordOf(id)).toBeUndefined();
  });

  it('admits nothing, record included, when admission refuses', async () => {
    await expect(repository.admit({ userId, courseId, gpu: 2, classroomId: null }, new Date(), () => { throw new Error('quota'); })).rejects.toThrow('quota');
    expect(await store.db.select().from(usageRecords)).toEqual([]);
  });

  it('starts the clock at the first Ready only, not while Pending', async () => {
    const id = await admit();
    await repository.transition(id, 'Pending', 'waiting for a GPU');
    expect((await recordOf(id))?.startedAt).toBeNull();
    await repository.transition(id, 'Ready', null);
    const started = (await recordOf(id))?.startedAt;
    expect(started).toBeInstanceOf(Date);
    await repository.transition(id, 'Pending', 'probe failing');
    await repository.transition(id, 'Ready', null);
    expect((await recordOf(id))?.startedAt).toEqual(started);
  });

  it('closes the record as deleted, culled or failed, and keeps the first end', async () => {
    const [deleted, culled, failed] = [await readyJob(), await readyJob(), await readyJob()];
    await repository.markDeleted(deleted, 'deleted by jimmy@nchc', 'deleted');
    await repository.markDeleted(culled, 'culled: idle', 'culled');
    await repository.transition(failed, 'Failed', 'CrashLoopBackOff');
    expect(await recordOf(deleted)).toMatchObject({ endReason: 'deleted', endedAt: expect.any(Date) });
    expect(await recordOf(culled)).toMatchObject({ endReason: 'culled', endedAt: expect.any(Date) });
    const firstEnd = await recordOf(failed);
    expect(firstEnd).toMatchObject({ endReason: 'failed', endedAt: expect.any(Date) });
    // The user removes the failed job from the list later: it stopped running when it failed.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await repository.markDeleted(failed, 'deleted by jimmy@nchc', 'deleted');
    expect(await recordOf(failed)).toEqual(firstEnd);
  });

  it('closes the record of a job the culler stops as culled', async () => {
    const id = await readyJob();
    await store.db.update(jobs).set({ createdAt: new Date(Date.now() - 2 * 3600_000) }).where(eq(jobs.id, id));
    expect((await lifecycle().tick())?.culled).toEqual([id]);
    expect(await recordOf(id)).toMatchObject({ endReason: 'culled' });
  });

  it('marks the jobs the runtime holds as seen every round, and leaves the others at their last sighting', async () => {
    const held = await readyJob();
    const heldSince = new Date(Date.now() - 30 * MINUTE);
    await setRecord(held, { lastSeenAt: heldSince });
    const before = Date.now();
    await lifecycle().tick();
    expect((await recordOf(held))!.lastSeenAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect((await recordOf(held))?.endedAt).toBeNull();
  });

  it('ends the record of a job whose environment vanished as lost, when it was last seen', async () => {
    const vanished = await readyJob();
    const lastSeen = new Date(Date.now() - 10 * MINUTE);
    await setRecord(vanished, { startedAt: new Date(Date.now() - 60 * MINUTE), lastSeenAt: lastSeen });
    runtime.running.delete(vanished);
    expect((await lifecycle().tick())?.failed).toEqual([vanished]);
    expect(await repository.find(vanished)).toMatchObject({ status: 'Failed' });
    expect(await recordOf(vanished)).toMatchObject({ endReason: 'lost', endedAt: lastSeen });
  });

  it('ends as lost, never before it started, a record whose job row is gone', async () => {
    const id = await readyJob();
    const started = new Date(Date.now() - 5 * MINUTE);
    await setRecord(id, { startedAt: started, lastSeenAt: new Date(Date.now() - 20 * MINUTE) });
    runtime.running.delete(id);
    await store.db.delete(jobs).where(eq(jobs.id, id));
    expect((await lifecycle().tick())?.lostUsage).toEqual([id]);
    expect(await recordOf(id)).toMatchObject({ endReason: 'lost', endedAt: started });
  });

  it('leaves a closed record as it is when its job row goes', async () => {
    const id = await readyJob();
    await repository.markDeleted(id, 'deleted by jimmy@nchc', 'deleted');
    await store.db.delete(jobs).where(eq(jobs.id, id));
    await lifecycle().tick();
    expect(await recordOf(id)).toMatchObject({ endReason: 'deleted', userName: 'jimmy@nchc', courseName: 'deep learning' });
  });
});
