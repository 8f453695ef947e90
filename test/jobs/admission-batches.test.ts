import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AdmissionUsage } from '../../src/jobs/admission.js';
import { JobRepository } from '../../src/jobs/repository.js';
import { activeJobIdsOfUser } from '../../src/store/active-jobs.js';
import { jobs, usageRecords } from '../../src/store/schema.js';
import type { Store } from '../../src/store/store.js';
import { IdentityService } from '../../src/identity/service.js';
import { seedCourse } from '../support/seed.js';
import { storeTargets } from '../support/stores.js';

/**
 * Launches that arrive together are admitted in one transaction: each must still see the ones
 * admitted before it, a refusal or a bad launch is its own, and what is admitted is whole.
 */
describe.each(storeTargets)('launches admitted together on $name', (target) => {
  let store: Store;
  let repository: JobRepository;
  let courseId: string;
  let studentId: string;
  const others: string[] = [];

  /** Refuses a second job of a user, and GPUs beyond four, as admission's checks would. */
  const oneJobAndFourGpus = (gpu: number, seen: AdmissionUsage[]) => (usage: AdmissionUsage) => {
    seen.push(usage);
    if (usage.userActiveJobs >= 1) throw new Error(`already runs ${usage.userActiveJobIds.join(',')}`);
    if (usage.gpuInUse + gpu > 4) throw new Error(`only ${4 - usage.gpuInUse} GPUs free`);
  };
  const admit = (userId: string, gpu: number, check: (usage: AdmissionUsage) => void, course = courseId) =>
    repository.admit({ userId, courseId: course, gpu, classroomId: null }, new Date(), check);
  const recordsOf = async (ids: string[]) => (await store.db.select().from(usageRecords)).filter((record) => ids.includes(record.jobId));

  beforeAll(async () => {
    store = await target.open();
    repository = new JobRepository(store.db, 'nvidia.com/gpu');
    ({ studentId, courseId } = await seedCourse(store.db, { name: 'c', gpu: 0 }));
    const identity = new IdentityService(store.db, { tokenTtlSeconds: 3600 });
    for (const name of ['ann', 'bob', 'cy']) others.push((await identity.createUser(name, 'password-1', ['student'])).id);
  });
  afterAll(() => store?.close());
  beforeEach(async () => {
    await store.db.delete(usageRecords);
    await store.db.delete(jobs);
  });

  it("lets each launch see the jobs admitted before it in the same batch: a user's second job is refused", async () => {
    const seen: AdmissionUsage[] = [];
    const results = await Promise.allSettled([admit(studentId, 0, oneJobAndFourGpus(0, seen)), admit(studentId, 0, oneJobAndFourGpus(0, seen)), admit(others[0]!, 0, oneJobAndFourGpus(0, seen))]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const [first, refused, third] = results;
    if (first?.status !== 'fulfilled' || refused?.status !== 'rejected' || third?.status !== 'fulfilled') throw new Error('unexpected outcome');
    expect(String(refused.reason)).toContain(`already runs ${first.value}`);
    expect(seen.map((usage) => usage.userActiveJobs)).toEqual([0, 1, 0]);
    expect(await activeJobIdsOfUser(store.db, studentId)).toEqual([first.value]);
    expect((await recordsOf([first.value, third.value])).map((record) => record.userName).sort()).toEqual(['ann', 'jimmy@nchc']);
    expect(await store.db.select().from(usageRecords)).toHaveLength(2);
  });

  it('counts the GPUs taken earlier in the batch, so that no two launches take the last ones', async () => {
    const seen: AdmissionUsage[] = [];
    const results = await Promise.allSettled([studentId, ...others].map((userId) => admit(userId, 2, oneJobAndFourGpus(2, seen))));
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
    expect(seen.map((usage) => usage.gpuInUse)).toEqual([0, 2, 4, 4]);
    const stored = await store.db.select({ gpu: jobs.gpu }).from(jobs);
    expect(stored.reduce((total, row) => total + row.gpu, 0)).toBe(4);
  });

  it('keeps the order of launches admitted together', async () => {
    const ids = await Promise.all([admit(studentId, 0, () => {}), admit(studentId, 0, () => {}), admit(studentId, 0, () => {})]);
    expect(await activeJobIdsOfUser(store.db, studentId)).toEqual(ids);
  });

  it('fails only the launch whose course vanished, and admits its neighbours whole', async () => {
    const results = await Promise.allSettled([admit(studentId, 0, () => {}), admit(others[0]!, 0, () => {}, randomUUID()), admit(others[1]!, 0, () => {})]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const admitted = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    expect((await store.db.select({ id: jobs.id }).from(jobs)).map((row) => row.id).sort()).toEqual([...admitted].sort());
    expect((await recordsOf(admitted)).length).toBe(2);
    expect(await store.db.select().from(usageRecords)).toHaveLength(2);
  });

  it('writes the URLs of launches that answer together, each to its own job', async () => {
    const [a, b] = await Promise.all([admit(studentId, 0, () => {}), admit(others[0]!, 0, () => {})]);
    const url = (port: number) => [{ label: 'jupyter', value: `http://host:${port}/` }];
    const [rowA, rowB, missing] = await Promise.all([repository.setServices(a!, url(1)), repository.setServices(b!, url(2)), repository.setServices(randomUUID(), url(3))]);
    expect(rowA).toMatchObject({ id: a, services: url(1), userName: 'jimmy@nchc' });
    expect(rowB).toMatchObject({ id: b, services: url(2), userName: 'ann' });
    expect(missing).toBeUndefined();
    expect((await store.db.select({ services: jobs.services }).from(jobs).where(eq(jobs.id, b!)))[0]?.services).toEqual(url(2));
  });
});
