import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { IdentityService } from '../../src/identity/service.js';
import { JobView } from '../../src/jobs/job-view.js';
import { JobRepository, type JobRow } from '../../src/jobs/repository.js';
import { LocalChangeFeed } from '../../src/store/change-feed.js';
import { jobs, type JobStatus } from '../../src/store/schema.js';
import type { Store } from '../../src/store/store.js';
import { capturingLogger } from '../support/logs.js';
import { seedCourse } from '../support/seed.js';
import { storeTargets } from '../support/stores.js';

/** A feed whose test can say that notifications were lost, as a dropped LISTEN connection does. */
class LossyFeed extends LocalChangeFeed {
  loseMessages(): void {
    this.gap();
  }
}

describe.each(storeTargets)('job view on $name', (target) => {
  let store: Store;
  let repository: JobRepository;
  let feed: LossyFeed;
  let view: JobView;
  let jimmy: string;
  let amy: string;
  let courseId: string;

  /** A job written straight to the table, behind the view's back. */
  async function insertJob(userId: string, status: JobStatus = 'Created', createdAt = new Date()): Promise<string> {
    const [row] = await store.db.insert(jobs).values({ courseId, userId, status, createdAt }).returning({ id: jobs.id });
    return row!.id;
  }
  const setBehindItsBack = (id: string, status: JobStatus, reason: string) => store.db.update(jobs).set({ status, reason }).where(eq(jobs.id, id));
  const idsOf = (rows: JobRow[] | undefined) => rows?.map((row) => row.id);

  beforeAll(async () => {
    store = await target.open();
    repository = new JobRepository(store.db, 'nvidia.com/gpu');
    ({ studentId: jimmy, courseId } = await seedCourse(store.db, { name: 'c', gpu: 0 }));
    amy = (await new IdentityService(store.db, { tokenTtlSeconds: 3600 }).createUser('amy', 'password-1', ['student'])).id;
  });
  afterAll(() => store?.close());
  beforeEach(async () => {
    await store.db.delete(jobs);
    feed = new LossyFeed();
    view = new JobView(repository, feed, capturingLogger().logger);
  });
  afterEach(() => view.close());

  it('loads the jobs that are not deleted, and lists each user only their own, newest first', async () => {
    const older = await insertJob(jimmy, 'Ready', new Date('2026-01-01T10:00:00Z'));
    const newer = await insertJob(jimmy, 'Failed', new Date('2026-01-01T11:00:00Z'));
    await insertJob(jimmy, 'Deleted');
    const amys = await insertJob(amy, 'Pending');
    expect(view.listForUser(jimmy)).toBeUndefined();
    await view.start();
    expect(idsOf(view.listForUser(jimmy))).toEqual([newer, older]);
    expect(idsOf(view.listForUser(amy))).toEqual([amys]);
    expect(view.peek(amys)).toMatchObject({ userId: amy, userName: 'amy', status: 'Pending', courseId });
  });

  it("sees this server's write at its next read, and drops a deleted job from the list", async () => {
    await view.start();
    const id = await insertJob(jimmy);
    // Made a moment ago and not heard of: read from the table, then kept.
    expect(view.peek(id)).toBeUndefined();
    expect((await view.find(id))?.status).toBe('Created');
    expect(idsOf(view.listForUser(jimmy))).toEqual([id]);

    const published = vi.spyOn(feed, 'publish');
    await view.write(id, () => repository.transition(id, 'Ready', null), (row) => row);
    expect(view.peek(id)?.status).toBe('Ready');
    // Other servers are told which job changed.
    expect(published).toHaveBeenCalledWith('jobs', expect.stringMatching(new RegExp(` ${id}$`)));

    await view.write(id, () => repository.markDeleted(id, 'deleted by jimmy', 'deleted'), () => undefined);
    expect(view.listForUser(jimmy)).toEqual([]);
    expect(view.peek(id)).toBeUndefined();
    // A deleted job is still found, from the table, so that its page hears it is Deleted.
    expect(await view.find(id)).toMatchObject({ status: 'Deleted', reason: 'deleted by jimmy' });
  });

  it("reads again a job another server says it changed, and tells this server's listeners", async () => {
    await view.start();
    const id = await insertJob(jimmy, 'Pending');
    await view.find(id);
    const heard: JobRow[] = [];
    view.onRemoteChange((row) => heard.push(row));

    await setBehindItsBack(id, 'Ready', 'ready on the other server');
    // Memory answers until the notification comes: the table is not read on each request.
    expect(view.peek(id)?.status).toBe('Pending');
    await feed.publish('jobs', `another-server ${id}`);
    await vi.waitFor(() => expect(view.peek(id)?.status).toBe('Ready'), { timeout: 1000, interval: 5 });
    expect(heard).toMatchObject([{ id, status: 'Ready', reason: 'ready on the other server' }]);
  });

  it('reads everything again after a gap, answering from the table until it has', async () => {
    const changed = await insertJob(jimmy, 'Pending');
    const removed = await insertJob(jimmy, 'Ready');
    await view.start();
    await setBehindItsBack(changed, 'Failed', 'lost while nobody listened');
    await store.db.delete(jobs).where(eq(jobs.id, removed));
    expect(idsOf(view.listForUser(jimmy))?.sort()).toEqual([changed, removed].sort());

    feed.loseMessages();
    // No stale answer in between: the table answers until the reload is done.
    expect(view.listForUser(jimmy)).toBeUndefined();
    expect((await view.find(changed))?.status).toBe('Failed');
    await view.start();
    expect(view.listForUser(jimmy)).toMatchObject([{ id: changed, status: 'Failed', reason: 'lost while nobody listened' }]);
  });

  it('keeps a write made while a reload runs, rather than the older copy the reload read', async () => {
    const id = await insertJob(jimmy, 'Pending');
    let loadRead: () => void = () => {};
    const read = new Promise<void>((resolve) => (loadRead = resolve));
    let releaseLoad: () => void = () => {};
    const released = new Promise<void>((resolve) => (releaseLoad = resolve));
    const slowLoad = vi.spyOn(repository, 'listNotDeletedRows').mockImplementationOnce(async () => {
      const rows = await repository.listActive();
      loadRead();
      await released;
      return rows;
    });
    const loading = view.start();
    await read;
    await view.write(id, () => repository.transition(id, 'Ready', null), (row) => row);
    releaseLoad();
    await loading;
    slowLoad.mockRestore();
    expect(view.peek(id)?.status).toBe('Ready');
  });
});
