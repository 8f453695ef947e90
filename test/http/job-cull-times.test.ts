import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedRuntime } from '../support/fake-runtime.js';
import { startTestPlatform, type Json, type TestPlatform, type TestUser } from '../support/platform.js';

const HOUR = 3600;

describe('cull times on job lists, and the admin list of all jobs', () => {
  const runtime = new ScriptedRuntime();
  // Each student runs two jobs at once here, so their homes must allow it.
  runtime.homes.singleAttach = false;
  let platform: TestPlatform;
  let teacher: TestUser;
  let student: TestUser;
  let courseId: string;

  beforeAll(async () => {
    platform = await startTestPlatform({
      runtime,
      settings: {
        jobMaxAge: { student: 2 * HOUR, teacher: undefined },
        jobIdleTimeout: { student: HOUR / 2, teacher: HOUR },
        jobLimits: { student: 2, teacher: 2 },
      },
    });
    [teacher, student] = await Promise.all([platform.user('tina', ['teacher']), platform.user('sam', ['student'])]);
    const created = await platform.call('POST', '/v1/course/create', { token: teacher.token, body: { name: 'lab', image: 'nvidia/digits:6.0', level: 'basic', GPU: 0 } });
    courseId = created.body.id;
  });
  afterAll(() => platform?.close());

  const launch = async (user: TestUser): Promise<string> => {
    const answer = await platform.call('POST', '/v1/course/launch', { token: user.token, body: { course_id: courseId, user: user.name } });
    expect(answer.status, answer.text).toBe(200);
    return answer.body.job.job_id;
  };
  const listOf = async (user: TestUser): Promise<Json[]> => (await platform.call('POST', '/v1/job/list', { token: user.token, body: {} })).body.jobs;
  const untilReady = async (user: TestUser, jobId: string) => {
    for (let attempt = 0; attempt < 200; attempt++) {
      if ((await platform.call('GET', `/v1/job/ready/${jobId}`, { token: user.token })).body.job.ready) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('never Ready');
  };

  it("the owner's roles decide: max age from the start, idle time from the last use of a Ready job", async () => {
    const pending = await launch(student);
    const ready = await launch(student);
    runtime.report(ready, { status: 'Ready' });
    await untilReady(student, ready);
    const lastUse = new Date('2030-01-02T03:04:05Z');
    runtime.activity.set(ready, lastUse);
    runtime.activity.set(pending, lastUse);

    const jobs = await listOf(student);
    const byId = new Map(jobs.map((job) => [job.id, job]));
    for (const job of jobs) expect(Date.parse(job.cullAt) - Date.parse(job.startAt)).toBe(2 * HOUR * 1000);
    expect(byId.get(ready)).toMatchObject({ status: 'Ready', user: 'sam', idleCullAt: '2030-01-02T03:34:05Z' });
    // The culler looks at idleness of Ready jobs only.
    expect(byId.get(pending)).toMatchObject({ status: expect.not.stringMatching(/^Ready$/), idleCullAt: null });
  });

  it('a role with no maximum age has cullAt null; idle time is still counted', async () => {
    const job = await launch(teacher);
    runtime.report(job, { status: 'Ready' });
    await untilReady(teacher, job);
    runtime.activity.set(job, new Date('2030-01-02T00:00:00Z'));
    expect((await listOf(teacher)).find((listed) => listed.id === job)).toMatchObject({ cullAt: null, idleCullAt: '2030-01-02T01:00:00Z' });
  });

  it("an admin lists every user's jobs with their owners and each owner's cull times; others get 403", async () => {
    const all = await platform.call('GET', '/v1/job/all', { token: platform.admin.token });
    expect(all.status).toBe(200);
    const owners = all.body.jobs.map((job: Json) => job.user);
    expect(owners.sort()).toEqual(['sam', 'sam', 'tina']);
    expect(all.body.jobs.filter((job: Json) => job.user === 'tina').every((job: Json) => job.cullAt === null)).toBe(true);
    expect(all.body.jobs.filter((job: Json) => job.user === 'sam').every((job: Json) => typeof job.cullAt === 'string')).toBe(true);
    const times = all.body.jobs.map((job: Json) => job.startAt);
    expect([...times].sort().reverse()).toEqual(times);

    for (const user of [teacher, student]) {
      expect(await platform.call('GET', '/v1/job/all', { token: user.token })).toMatchObject({
        status: 403,
        body: { error: true, message: "Permission denied: only admins can list everyone's jobs" },
      });
    }
  });

  it('leaves deleted jobs out of the admin list', async () => {
    const [job] = await listOf(teacher);
    expect((await platform.call('DELETE', `/v1/job/delete/${job.id}`, { token: platform.admin.token })).status).toBe(200);
    const all = await platform.call('GET', '/v1/job/all', { token: platform.admin.token });
    expect(all.body.jobs.map((listed: Json) => listed.id)).not.toContain(job.id);
  });
});
