import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RuntimeError } from '../../src/runtime/types.js';
import { homes, jobs } from '../../src/store/schema.js';
import { ScriptedRuntime } from '../support/fake-runtime.js';
import { startTestPlatform, type TestPlatform, type TestUser } from '../support/platform.js';
import { storeTargets } from '../support/stores.js';

/** Launches and homes: the first launch makes the home, every launch mounts it, one job at a time on single-attach storage. */
describe.each(storeTargets)('homes at launch on $name', (target) => {
  let platform: TestPlatform;
  let runtime: ScriptedRuntime;
  let teacher: TestUser;
  let courses: { digits: string; jupyter: string; ownPath: string };

  beforeAll(async () => {
    runtime = new ScriptedRuntime();
    platform = await startTestPlatform({ target, runtime });
    teacher = await platform.user('tina', ['teacher']);
    const create = async (body: Record<string, unknown>) => {
      const answer = await platform.call('POST', '/v1/course/create', { token: teacher.token, body: { level: 'basic', GPU: 0, ...body } });
      expect(answer.status, answer.text).toBe(200);
      return answer.body.id as string;
    };
    courses = {
      digits: await create({ name: 'digits', image: 'nvidia/digits:6.0' }),
      jupyter: await create({ name: 'notebooks', image: 'jupyter/base-notebook:2024-01-01' }),
      ownPath: await create({ name: 'own path', image: 'jupyter/base-notebook', homePath: '/workspace/me/' }),
    };
  });
  afterAll(() => platform?.close());

  beforeEach(async () => {
    await platform.store.db.delete(jobs);
    await platform.store.db.delete(homes);
    runtime.running.clear();
    runtime.launched.length = 0;
    runtime.homes.made.clear();
    runtime.homes.singleAttach = true;
    runtime.homes.failEnsure = undefined;
  });

  const launch = (user: TestUser, courseId = courses.digits) =>
    platform.call('POST', '/v1/course/launch', { token: user.token, body: { course_id: courseId, user: user.name } });
  const deleteJob = (user: TestUser, id: string) => platform.call('DELETE', `/v1/job/delete/${id}`, { token: user.token });
  const homeRows = () => platform.store.db.select().from(homes);

  it('makes the home at the first launch and mounts the same one at the next', async () => {
    const student = await platform.user('stu-reuse', ['student']);
    const first = await launch(student);
    expect(first.status, first.text).toBe(200);
    const [row] = await homeRows();
    expect(row).toMatchObject({ userId: student.id, name: `home-${student.id}`, ownerName: 'stu-reuse', capacity: '10Gi' });
    expect(runtime.launched[0]?.home).toEqual({ name: `home-${student.id}`, mountPath: '/home/classlab', capacity: '10Gi' });

    expect((await deleteJob(student, first.body.job.job_id)).status).toBe(200);
    const second = await launch(student);
    expect(second.status, second.text).toBe(200);
    expect(await homeRows()).toHaveLength(1);
    expect([...runtime.homes.made.keys()]).toEqual([`home-${student.id}`]);
    expect(runtime.launched[1]?.home?.name).toBe(`home-${student.id}`);
  });

  it("mounts the home at the course's path, else the image catalog's, else the setting's", async () => {
    runtime.homes.singleAttach = false;
    const owner = await platform.user('stu-paths', ['admin']);
    for (const id of [courses.ownPath, courses.jupyter, courses.digits]) expect((await launch(owner, id)).status).toBe(200);
    expect(runtime.launched.map((spec) => spec.home?.mountPath)).toEqual(['/workspace/me', '/home/jovyan', '/home/classlab']);
    const course = await platform.call('GET', `/v1/course/get/${courses.ownPath}`);
    expect(course.body.course.homePath).toBe('/workspace/me');
  });

  it('refuses a second job of a user on single-attach storage with 409 and the running job, launching nothing', async () => {
    const user = await platform.user('stu-twice', ['teacher']);
    const first = await launch(user);
    expect(first.status).toBe(200);
    const second = await launch(user, courses.jupyter);
    expect(second.status).toBe(409);
    expect(second.body).toEqual({
      error: true,
      message: `home of stu-twice is already mounted by job ${first.body.job.job_id}; with ReadWriteOnce homes a user runs one job at a time; delete it first`,
      job_id: first.body.job.job_id,
    });
    expect(runtime.launched).toHaveLength(1);
    expect(await platform.store.db.select().from(jobs).where(eq(jobs.userId, user.id))).toHaveLength(1);
  });

  it('lets a user run two jobs at once when the storage can be mounted twice', async () => {
    runtime.homes.singleAttach = false;
    const user = await platform.user('stu-shared', ['teacher']);
    expect((await launch(user)).status).toBe(200);
    expect((await launch(user, courses.jupyter)).status).toBe(200);
    expect(runtime.launched.map((spec) => spec.home?.name)).toEqual([`home-${user.id}`, `home-${user.id}`]);
    expect(await homeRows()).toHaveLength(1);
  });

  it('admits one of two launches of one user at once, and refuses the other with 409', async () => {
    const user = await platform.user('stu-race', ['teacher']);
    const answers = await Promise.all([launch(user), launch(user, courses.jupyter)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    expect(runtime.launched).toHaveLength(1);
    expect(await homeRows()).toHaveLength(1);
  });

  it('makes one home for two first launches at once, whose storage and row agree', async () => {
    const user = await platform.user('stu-together', ['student']);
    const refs = await Promise.all([0, 1, 2].map(() => platform.services.homes.ensureFor({ userId: user.id, name: user.name })));
    expect(new Set(refs.map((ref) => ref.name))).toEqual(new Set([`home-${user.id}`]));
    expect(await homeRows()).toHaveLength(1);
    expect([...runtime.homes.made.keys()]).toEqual([`home-${user.id}`]);
  });

  it('fails the launch with 500 when the runtime cannot make the home, leaving no job and no home', async () => {
    const student = await platform.user('stu-nostorage', ['student']);
    runtime.homes.failEnsure = new RuntimeError('persistentvolumeclaims "home-x" is forbidden: exceeded quota');
    const answer = await launch(student);
    expect(answer.status).toBe(500);
    expect(answer.body.message).toBe(
      `create deployment for course {id = ${courses.digits}} fail: cannot make the home of stu-nostorage: persistentvolumeclaims "home-x" is forbidden: exceeded quota`,
    );
    expect(runtime.launched).toHaveLength(0);
    expect(await platform.store.db.select().from(jobs)).toEqual([]);
    expect(await homeRows()).toEqual([]);
  });

  it('gives two users of one name two homes: a deleted jimmy keeps his, orphaned, and a new jimmy gets a new one', async () => {
    const first = await platform.user('jimmy', ['student']);
    const launched = await launch(first);
    expect((await deleteJob(first, launched.body.job.job_id)).status).toBe(200);
    await platform.services.identity.removeUser({ name: 'jimmy' });

    const second = await platform.user('jimmy', ['student']);
    expect(second.id).not.toBe(first.id);
    expect((await launch(second)).status).toBe(200);
    expect(runtime.launched.map((spec) => spec.home?.name)).toEqual([`home-${first.id}`, `home-${second.id}`]);

    const listed = await platform.call('GET', '/v1/volume/list', { token: platform.admin.token });
    expect(listed.body.homes.map((home: { name: string; user: string; orphaned: boolean }) => [home.name, home.user, home.orphaned])).toEqual([
      [`home-${first.id}`, 'jimmy', true],
      [`home-${second.id}`, 'jimmy', false],
    ]);
    expect(runtime.homes.removed).not.toContain(`home-${first.id}`);
  });

  it('refuses a course homePath that is relative or climbs out, with 400', async () => {
    for (const homePath of ['home/me', '/home/../etc', '/', '/home/my files']) {
      const answer = await platform.call('POST', '/v1/course/create', {
        token: teacher.token,
        body: { name: 'bad path', image: 'nvidia/digits:6.0', level: 'basic', GPU: 0, homePath },
      });
      expect(answer.status, homePath).toBe(400);
    }
    const cleared = await platform.call('PUT', `/v1/course/update/${courses.ownPath}`, { token: teacher.token, body: { homePath: null } });
    expect(cleared.body.course.homePath).toBeNull();
    const listed = await platform.call('GET', '/v1/course/level/basic');
    expect(listed.body.courses.find((course: { id: string }) => course.id === courses.ownPath).homePath).toBeNull();
    const restored = await platform.call('PUT', `/v1/course/update/${courses.ownPath}`, { token: teacher.token, body: { homePath: '/workspace/me' } });
    expect(restored.body.course.homePath).toBe('/workspace/me');
  });
});
