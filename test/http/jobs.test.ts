import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EVERY_JOB } from '../../src/jobs/job-view.js';
import { jobs } from '../../src/store/schema.js';
import { RuntimeBusy, RuntimeUnavailable } from '../../src/runtime/types.js';
import { ScriptedRuntime } from '../support/fake-runtime.js';
import { startTestPlatform, type Json, type TestPlatform, type TestUser } from '../support/platform.js';
import { storeTargets } from '../support/stores.js';

const digits = { name: 'image process', image: 'nvidia/digits:6.0', level: 'basic', GPU: 1, datasets: ['mnist'] };

async function until<T>(read: () => Promise<T>, accept: (value: T) => boolean): Promise<T> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const value = await read();
    if (accept(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition not reached');
}

describe.each(storeTargets)('jobs on $name', (target) => {
  let platform: TestPlatform;
  let runtime: ScriptedRuntime;
  let teacher: TestUser;
  let student: TestUser;
  let other: TestUser;
  let courseId: string;

  beforeAll(async () => {
    runtime = new ScriptedRuntime();
    platform = await startTestPlatform({ target, runtime });
    [teacher, student, other] = await Promise.all([
      platform.user('tina', ['teacher']),
      platform.user('jimmy@nchc', ['student']),
      platform.user('sam', ['student']),
    ]);
    const created = await platform.call('POST', '/v1/course/create', { token: teacher.token, body: digits });
    courseId = created.body.id;
  });
  afterAll(() => platform?.close());

  beforeEach(async () => {
    // Each test starts with no jobs running and a healthy cluster.
    await platform.store.db.delete(jobs);
    // Written behind classlab's back: the job view must read everything again.
    await platform.store.changes.publish('jobs', EVERY_JOB);
    runtime.running.clear();
    runtime.failLaunchAt = undefined;
    runtime.failNodes = false;
    runtime.nodeList = [{ name: 'node-1', ready: true, gpuAllocatable: 2, images: [] }];
    runtime.datasetNames = ['mnist', 'cifar-10'];
  });

  const launch = (user: TestUser, body: Json = { course_id: courseId, user: user.name }) =>
    platform.call('POST', '/v1/course/launch', { token: user.token, body });
  const ready = (user: TestUser, id: string) => platform.call('GET', `/v1/job/ready/${id}`, { token: user.token });
  const list = (user: TestUser, body: Json = { user: user.name }) => platform.call('POST', '/v1/job/list', { token: user.token, body });

  it('launches a course: Created, then the runtime moves it through Pending to Ready', async () => {
    const answer = await launch(student);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toEqual({ error: false, job: { job_id: expect.any(String), ready: false, status: 'Created', reason: null } });
    const jobId = answer.body.job.job_id;
    expect(runtime.launched.at(-1)).toMatchObject({ jobId, userName: 'jimmy@nchc', courseId, image: 'nvidia/digits:6.0', gpu: 1, datasets: ['mnist'] });

    runtime.report(jobId, { status: 'Pending', reason: '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.' });
    const pending = await until(() => ready(student, jobId), (a) => a.body.job.status === 'Pending');
    expect(pending.body.job).toEqual({ job_id: jobId, ready: false, status: 'Pending', reason: '0/1 nodes are available: 1 Insufficient nvidia.com/gpu.' });

    runtime.report(jobId, { status: 'Ready' });
    const isReady = await until(() => ready(student, jobId), (a) => a.body.job.ready === true);
    expect(isReady.body.job).toEqual({ job_id: jobId, ready: true, status: 'Ready', reason: null });

    const listed = await list(student);
    expect(listed.body.jobs).toEqual([
      {
        id: jobId,
        startAt: expect.stringMatching(/Z$/),
        status: 'Ready',
        reason: null,
        course_id: courseId,
        name: 'image process',
        introduction: '',
        image: 'nvidia/digits:6.0',
        gpu: 1,
        level: 'basic',
        dataset: ['mnist'],
        datasets: ['mnist'],
        service: [{ label: 'jupyter', value: expect.stringMatching(/^http:\/\/10\.0\.0\.1:3\d{4}$/) }],
        user: 'jimmy@nchc',
        classroom_id: null,
        cullAt: expect.stringMatching(/Z$/),
        // The scripted runtime cannot tell when this job was last used.
        idleCullAt: null,
      },
    ]);
    const { startAt, cullAt } = listed.body.jobs[0];
    // The default maximum age of a student's job: 4 hours.
    expect(Date.parse(cullAt) - Date.parse(startAt)).toBe(4 * 3600 * 1000);
  });

  it('counts jobs by status in /metrics, from the database', async () => {
    const jobId = (await launch(student)).body.job.job_id;
    runtime.report(jobId, { status: 'Ready' });
    await until(() => ready(student, jobId), (a) => a.body.job.ready === true);
    // Job ready answers from memory as soon as the Ready is on its way to the table; the metrics read the table.
    const metrics = await until(() => platform.call('GET', '/metrics'), (m) => m.text.includes('classlab_jobs{status="Ready"} 1'));
    expect(metrics.text).not.toContain('classlab_jobs{status="Created"}');
  });

  it('answers /v1/job/launch as an alias', async () => {
    const answer = await platform.call('POST', '/v1/job/launch', { token: student.token, body: { course_id: courseId, user: student.name } });
    expect(answer.status).toBe(200);
    expect(answer.body.job.status).toBe('Created');
  });

  it('refuses bad launches with the spec messages, and writes nothing', async () => {
    expect((await launch(student, { course_id: courseId })).body).toEqual({ error: true, message: 'user field in request cannot be empty' });
    expect((await launch(student, { course_id: courseId, user: '' })).status).toBe(400);
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect(await launch(student, { course_id: unknown, user: student.name })).toMatchObject({
      status: 400,
      body: { error: true, message: `Query course id ${unknown} fail: course not found` },
    });
    expect((await launch(student, { course_id: 'nope', user: student.name })).body.message).toMatch(/^Failed to parse spec request request: /);
    expect(await launch(student, { course_id: courseId, user: 'sam' })).toMatchObject({ status: 403 });
    expect(await platform.store.db.select().from(jobs)).toEqual([]);
  });

  it('lets an admin launch for someone, whose job it then is', async () => {
    const answer = await launch(platform.admin, { course_id: courseId, user: 'sam' });
    expect(answer.status, answer.text).toBe(200);
    expect((await list(other)).body.jobs).toHaveLength(1);
    expect((await list(student)).body.jobs).toHaveLength(0);
  });

  it('refuses a second job over the student limit with 429 and Retry-After', async () => {
    expect((await launch(student)).status).toBe(200);
    const second = await launch(student);
    expect(second.status).toBe(429);
    expect(second.headers['retry-after']).toBe('30');
    expect(second.body.message).toBe('Job limit reached: jimmy@nchc may run 1 job(s) at a time and already runs 1; delete one to launch another');
  });

  it('answers a full machine with 429 and its Retry-After, and a machine that cannot sandbox with 503, writing nothing', async () => {
    runtime.launchError = new RuntimeBusy('this machine already runs 8 job(s), its limit (CLASSLAB_LOCAL_MAX_JOBS=8); try again when one ends', 60);
    const full = await launch(student);
    expect(full).toMatchObject({ status: 429, body: { error: true, message: 'this machine already runs 8 job(s), its limit (CLASSLAB_LOCAL_MAX_JOBS=8); try again when one ends' } });
    expect(full.headers['retry-after']).toBe('60');
    runtime.launchError = new RuntimeUnavailable('local jobs cannot be sandboxed: bubblewrap (bwrap) is not installed');
    const unavailable = await launch(student);
    expect(unavailable).toMatchObject({ status: 503, body: { error: true, message: 'local jobs cannot be sandboxed: bubblewrap (bwrap) is not installed' } });
    expect((await list(student)).body.jobs).toHaveLength(0);
  });

  it('counts GPUs: a course larger than any node is 400, a full cluster is 429', async () => {
    runtime.nodeList = [{ name: 'node-1', ready: true, gpuAllocatable: 1, images: [] }];
    expect((await launch(student)).status).toBe(200);
    const full = await launch(other, { course_id: courseId, user: 'sam' });
    expect(full.status).toBe(429);
    expect(full.body.message).toBe('GPU capacity reached: the course needs 1 GPU(s) and 0 of 1 are free; try again when a job ends');

    // Published while a larger node was there; that node has gone since.
    runtime.nodeList = [{ name: 'node-2', ready: true, gpuAllocatable: 4, images: [] }];
    const big = await platform.call('POST', '/v1/course/create', { token: teacher.token, body: { ...digits, GPU: 4 } });
    runtime.nodeList = [{ name: 'node-1', ready: true, gpuAllocatable: 1, images: [] }];
    const tooBig = await launch(other, { course_id: big.body.id, user: 'sam' });
    expect(tooBig).toMatchObject({ status: 400, body: { message: 'course image process needs 4 GPU(s) and no node has more than 1' } });
  });

  it('admits only as many concurrent launches as there are GPUs', async () => {
    const users = await Promise.all(['p1', 'p2', 'p3', 'p4'].map((name) => platform.user(name, ['student'])));
    const answers = await Promise.all(users.map((user) => launch(user)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 429, 429]);
  });

  it('refuses a course whose dataset does not exist', async () => {
    runtime.datasetNames = ['cifar-10'];
    const answer = await launch(student);
    expect(answer).toMatchObject({
      status: 400,
      body: { message: `Query course id ${courseId} required dataset fail: dataset mnist does not exist; available: cifar-10` },
    });
  });

  it('answers a cluster failure with the spec message and leaves nothing behind', async () => {
    runtime.failLaunchAt = 'service';
    const answer = await launch(student);
    expect(answer.status).toBe(500);
    expect(answer.body.message).toMatch(/^create service for job \{id = [0-9a-f-]{36}\} fail: admission webhook denied the service$/);
    runtime.failLaunchAt = 'deployment';
    const second = await launch(student);
    expect(second.body.message).toBe(`create deployment for course {id = ${courseId}} fail: admission webhook denied the deployment`);
    expect(await platform.store.db.select().from(jobs)).toEqual([]);
    expect((await launch(student)).status).toBe(200);
  });

  it('deletes a job: only its owner or an admin, on both paths', async () => {
    const jobId = (await launch(student)).body.job.job_id;
    expect((await platform.call('DELETE', `/v1/job/delete/${jobId}`, { token: other.token })).status).toBe(403);
    expect((await ready(other, jobId)).status).toBe(403);
    expect((await platform.call('DELETE', `/v1/job/sam/${jobId}`, { token: other.token })).status).toBe(403);
    expect((await platform.call('DELETE', `/v1/job/jimmy@nchc/${jobId}`, { token: other.token })).status).toBe(403);
    // An admin naming the wrong owner in the draft path finds nothing.
    expect(await platform.call('DELETE', `/v1/job/sam/${jobId}`, { token: platform.admin.token })).toMatchObject({
      status: 400,
      body: { message: 'job id is not found' },
    });

    const deleted = await platform.call('DELETE', `/v1/job/jimmy@nchc/${jobId}`, { token: student.token });
    expect(deleted.body).toEqual({ error: false, message: `job ${jobId} delete successfully` });
    expect(runtime.stopped).toContain(jobId);
    expect((await ready(student, jobId)).body.job).toMatchObject({ status: 'Deleted', reason: 'deleted by jimmy@nchc' });
    expect((await list(student)).body.jobs).toEqual([]);
    expect((await platform.call('DELETE', `/v1/job/delete/${jobId}`, { token: student.token })).status).toBe(200);
    expect((await launch(student)).status).toBe(200);
  });

  it("the draft's path names the owner in any case, as every user name is compared", async () => {
    const jobId = (await launch(student)).body.job.job_id;
    expect((await platform.call('DELETE', `/v1/job/Jimmy@NCHC/${jobId}`, { token: platform.admin.token })).status).toBe(200);
    expect((await ready(student, jobId)).body.job.status).toBe('Deleted');
  });

  it('answers an unknown job id with the spec message', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect(await ready(student, unknown)).toMatchObject({ status: 400, body: { message: 'job id is not found' } });
    expect((await platform.call('DELETE', `/v1/job/delete/${unknown}`, { token: student.token })).status).toBe(400);
  });

  it('lists only the caller\'s own jobs; "Empty user name" for an empty user', async () => {
    expect(await list(student, { user: '' })).toMatchObject({ status: 400, body: { message: 'Empty user name' } });
    expect((await list(student, { user: 'sam' })).status).toBe(403);
    expect((await list(student, {})).status).toBe(200);
  });

  it('refuses to delete a course while its job runs (409)', async () => {
    await launch(student);
    const refused = await platform.call('DELETE', `/v1/course/delete/${courseId}`, { token: teacher.token });
    expect(refused.status).toBe(409);
  });

  it('a job that fails keeps its reason and stops holding the cluster', async () => {
    const jobId = (await launch(student)).body.job.job_id;
    runtime.report(jobId, { status: 'Failed', reason: 'CrashLoopBackOff: exited with code 1' });
    const failed = await until(() => ready(student, jobId), (a) => a.body.job.status === 'Failed');
    expect(failed.body.job.reason).toBe('CrashLoopBackOff: exited with code 1');
    await until(async () => runtime.stopped.includes(jobId), Boolean);
    // A final state is never left: a late Ready report does not resurrect it.
    runtime.report(jobId, { status: 'Ready' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await ready(student, jobId)).body.job.status).toBe('Failed');
    const [row] = await platform.store.db.select().from(jobs).where(eq(jobs.id, jobId));
    expect(row?.endedAt).toBeInstanceOf(Date);
    expect((await launch(student)).status).toBe(200);
  });

  it('lists datasets, images and nodes; a cluster failure is the spec message', async () => {
    expect((await platform.call('GET', '/v1/datasets/', { token: student.token })).body).toEqual({
      error: false,
      datasets: [
        { label: 'mnist', value: 'mnist' },
        { label: 'cifar-10', value: 'cifar-10' },
      ],
    });
    expect((await platform.call('GET', '/v1/images', { token: student.token })).body.images).toEqual([{ label: 'nvidia/digits:6.0', value: 'nvidia/digits:6.0' }]);
    expect((await platform.call('GET', '/v1/health/kubernetes')).body).toEqual({ error: false, message: [{ name: 'node-1', status: 'Ready' }], warnings: [] });
    expect((await platform.call('GET', '/v1/health/kubernetesAuth')).status).toBe(401);
    runtime.failNodes = true;
    expect(await platform.call('GET', '/v1/health/kubernetesAuth', { token: student.token })).toMatchObject({
      status: 500,
      body: { error: true, message: 'List Node fail: connect ECONNREFUSED 10.0.0.1:6443' },
    });
  });
});
