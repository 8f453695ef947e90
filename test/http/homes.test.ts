import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { homes, jobs } from '../../src/store/schema.js';
import { ScriptedRuntime } from '../support/fake-runtime.js';
import { startTestPlatform, type TestPlatform, type TestUser } from '../support/platform.js';
import { storeTargets } from '../support/stores.js';

/** The /v1/volume routes: one's own home, the admin's list, growing and deleting homes. */
describe.each(storeTargets)('home routes on $name', (target) => {
  let platform: TestPlatform;
  let runtime: ScriptedRuntime;
  let student: TestUser;
  let other: TestUser;
  let courseId: string;

  beforeAll(async () => {
    runtime = new ScriptedRuntime();
    platform = await startTestPlatform({ target, runtime });
    const teacher = await platform.user('tina', ['teacher']);
    [student, other] = await Promise.all([platform.user('stu', ['student']), platform.user('sam', ['student'])]);
    const created = await platform.call('POST', '/v1/course/create', {
      token: teacher.token,
      body: { name: 'digits', image: 'nvidia/digits:6.0', level: 'basic', GPU: 0 },
    });
    courseId = created.body.id;
  });
  afterAll(() => platform?.close());

  beforeEach(async () => {
    await platform.store.db.delete(jobs);
    await platform.store.db.delete(homes);
    runtime.running.clear();
    runtime.homes.made.clear();
    runtime.homes.removed.length = 0;
    runtime.homes.nextState = { state: 'Bound' };
    runtime.homes.expansionRefusal = undefined;
  });

  const launch = async (user: TestUser): Promise<string> => {
    const answer = await platform.call('POST', '/v1/course/launch', { token: user.token, body: { course_id: courseId, user: user.name } });
    expect(answer.status, answer.text).toBe(200);
    return answer.body.job.job_id;
  };
  const deleteJob = (user: TestUser, id: string) => platform.call('DELETE', `/v1/job/delete/${id}`, { token: user.token });
  const myHome = (user: TestUser) => platform.call('GET', '/v1/volume/home', { token: user.token });
  const expand = (user: TestUser, name: string, capacity: unknown) =>
    platform.call('PUT', `/v1/volume/home/${name}`, { token: user.token, body: { capacity } });
  const remove = (user: TestUser, name: string) => platform.call('DELETE', `/v1/volume/home/${name}`, { token: user.token });
  const admin = () => platform.admin;

  it('shows the home a user will get before their first launch: Absent, without a name', async () => {
    const answer = await myHome(student);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      error: false,
      home: { name: null, user: 'stu', capacity: '10Gi', mountPath: '/home/classlab', state: 'Absent', reason: null, usedBytes: null, createAt: null, orphaned: false },
    });
  });

  it("shows the caller's home after a launch, in the runtime's state and words", async () => {
    runtime.homes.nextState = { state: 'Pending', reason: 'waiting for first consumer to be created before binding' };
    await launch(student);
    const answer = await myHome(student);
    expect(answer.body.home).toEqual({
      name: `home-${student.id}`,
      user: 'stu',
      capacity: '10Gi',
      mountPath: '/home/classlab',
      state: 'Pending',
      reason: 'waiting for first consumer to be created before binding',
      usedBytes: null,
      createAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      orphaned: false,
    });
    expect((await myHome(other)).body.home.state).toBe('Absent');
  });

  it('lists every home to admins only', async () => {
    await launch(student);
    await launch(other);
    const listed = await platform.call('GET', '/v1/volume/list', { token: admin().token });
    expect(listed.status).toBe(200);
    expect(listed.body.homes.map((home: { user: string; state: string }) => [home.user, home.state])).toEqual([
      ['stu', 'Bound'],
      ['sam', 'Bound'],
    ]);
    const refused = await platform.call('GET', '/v1/volume/list', { token: student.token });
    expect(refused).toMatchObject({ status: 403, body: { error: true, message: 'Permission denied: only admins can list every home' } });
  });

  it('grows a home for an admin, comparing sizes as bytes whatever their units', async () => {
    await launch(student);
    const grown = await expand(admin(), 'stu', '11G');
    expect(grown.status, grown.text).toBe(200);
    expect(grown.body).toMatchObject({ error: false, message: 'home of stu is 11G', home: { name: `home-${student.id}`, capacity: '11G' } });
    expect(runtime.homes.made.get(`home-${student.id}`)?.capacity).toBe('11G');

    // 10Gi is 10737418240 bytes, less than 11G (11000000000): a shrink.
    const shrink = await expand(admin(), 'stu', '10Gi');
    expect(shrink).toMatchObject({ status: 400, body: { error: true, message: 'home of stu is 11G; a home can only grow, not shrink to 10Gi' } });
    const same = await expand(admin(), 'STU', '11000000000');
    expect(same.status).toBe(200);
    expect(same.body.home.capacity).toBe('11G');
    expect((await myHome(student)).body.home.capacity).toBe('11G');
  });

  it('refuses a malformed size with 400, and a home that does not exist with 404', async () => {
    await launch(student);
    for (const capacity of ['20 Gi', 'lots', '-5Gi', '0', '20gi', '1e3']) {
      const answer = await expand(admin(), 'stu', capacity);
      expect(answer.status, capacity).toBe(400);
      expect(answer.body.message).toBe(`capacity must be a size such as 20Gi, got ${JSON.stringify(capacity)}`);
    }
    expect((await expand(admin(), 'stu', 20)).status).toBe(400);
    expect(await expand(admin(), 'sam', '20Gi')).toMatchObject({ status: 404, body: { error: true, message: 'user sam has no home' } });
    expect((await remove(admin(), 'nobody')).status).toBe(404);
    expect((await myHome(student)).body.home.capacity).toBe('10Gi');
  });

  it("answers 409 with the storage's reason when it cannot grow, and keeps the size", async () => {
    await launch(student);
    runtime.homes.expansionRefusal = 'StorageClass standard does not allow volume expansion';
    const answer = await expand(admin(), 'stu', '20Gi');
    expect(answer).toMatchObject({ status: 409, body: { error: true, message: 'home of stu cannot grow: StorageClass standard does not allow volume expansion' } });
    expect((await myHome(student)).body.home.capacity).toBe('10Gi');
  });

  it('lets only admins grow a home, even their own', async () => {
    await launch(student);
    const answer = await expand(student, 'stu', '20Gi');
    expect(answer).toMatchObject({ status: 403, body: { error: true, message: 'Permission denied: only admins can expand homes' } });
    expect((await myHome(student)).body.home.capacity).toBe('10Gi');
  });

  it('refuses to delete a home while a job of its user runs, then deletes it: storage and row', async () => {
    const jobId = await launch(student);
    const busy = await remove(student, 'stu');
    expect(busy).toMatchObject({ status: 409, body: { error: true, message: `home of stu is in use by job ${jobId}; delete the job first` } });
    expect((await remove(admin(), 'stu')).status).toBe(409);
    expect(runtime.homes.removed).toEqual([]);

    expect((await deleteJob(student, jobId)).status).toBe(200);
    const removed = await remove(student, 'stu');
    expect(removed).toMatchObject({ status: 200, body: { error: false, message: 'home of stu is deleted' } });
    expect(runtime.homes.removed).toEqual([`home-${student.id}`]);
    expect((await myHome(student)).body.home).toMatchObject({ state: 'Absent', name: null });
    expect((await remove(student, 'stu')).status).toBe(404);
  });

  it("refuses a student deleting another user's home with 403, and lets an admin delete it", async () => {
    const jobId = await launch(other);
    expect((await deleteJob(other, jobId)).status).toBe(200);
    expect(await remove(student, 'sam')).toMatchObject({ status: 403, body: { error: true } });
    expect(runtime.homes.removed).toEqual([]);
    expect((await remove(admin(), 'sam')).status).toBe(200);
    expect(runtime.homes.removed).toEqual([`home-${other.id}`]);
  });

  it("keeps a deleted user's home, orphaned, and lets an admin delete it by the name it was made for", async () => {
    const leaving = await platform.user('leaving', ['student']);
    const jobId = await launch(leaving);
    expect((await deleteJob(leaving, jobId)).status).toBe(200);
    await platform.services.identity.removeUser({ name: 'leaving' });
    expect(runtime.homes.removed).toEqual([]);

    const listed = await platform.call('GET', '/v1/volume/list', { token: admin().token });
    expect(listed.body.homes).toEqual([expect.objectContaining({ name: `home-${leaving.id}`, user: 'leaving', orphaned: true, state: 'Bound' })]);
    expect((await expand(admin(), 'leaving', '12Gi')).body.home).toMatchObject({ capacity: '12Gi', orphaned: true });
    expect((await remove(admin(), 'leaving')).status).toBe(200);
    expect(runtime.homes.removed).toEqual([`home-${leaving.id}`]);
  });

  it("asks for the home's name when several orphaned homes were made for one user name", async () => {
    const names: string[] = [];
    for (let round = 0; round < 2; round++) {
      const twin = await platform.user('twin', ['student']);
      names.push(`home-${twin.id}`);
      expect((await deleteJob(twin, await launch(twin))).status).toBe(200);
      await platform.services.identity.removeUser({ name: 'twin' });
    }
    const ambiguous = await remove(admin(), 'twin');
    expect(ambiguous.status).toBe(409);
    expect(ambiguous.body.message).toBe(`2 orphaned homes were made for users named twin: ${names.join(', ')}; name one of them instead of the user`);
    expect((await remove(admin(), names[0] as string)).status).toBe(200);
    expect(runtime.homes.removed).toEqual([names[0]]);
  });
});

describe('homes deleted with their users (CLASSLAB_HOME_DELETE_WITH_USER)', () => {
  let platform: TestPlatform;
  let runtime: ScriptedRuntime;

  beforeAll(async () => {
    runtime = new ScriptedRuntime();
    platform = await startTestPlatform({ runtime, settings: { homeDeleteWithUser: true } });
  });
  afterAll(() => platform?.close());

  it("removes the user's home, storage and row, when the user is deleted", async () => {
    const teacher = await platform.user('tina', ['teacher']);
    const created = await platform.call('POST', '/v1/course/create', {
      token: teacher.token,
      body: { name: 'digits', image: 'nvidia/digits:6.0', level: 'basic', GPU: 0 },
    });
    const student = await platform.user('stu', ['student']);
    const launched = await platform.call('POST', '/v1/course/launch', { token: student.token, body: { course_id: created.body.id, user: 'stu' } });
    await platform.call('DELETE', `/v1/job/delete/${launched.body.job.job_id}`, { token: student.token });

    await platform.services.identity.removeUser({ name: 'stu' });
    expect(runtime.homes.removed).toEqual([`home-${student.id}`]);
    expect(await platform.store.db.select().from(homes)).toEqual([]);
  });
});
