import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobs } from '../../src/store/schema.js';
import { ScriptedRuntime } from '../support/fake-runtime.js';
import { startTestPlatform, type Json, type TestPlatform, type TestUser } from '../support/platform.js';
import { storeTargets } from '../support/stores.js';

/** The jobs launched through a classroom: listed to its staff, and what a delete does to them. */
describe.each(storeTargets)('classroom jobs and delete on $name', (target) => {
  let platform: TestPlatform;
  let runtime: ScriptedRuntime;
  let teacher: TestUser;
  let ta: TestUser;
  let student: TestUser;
  let outsider: TestUser;
  let courseId: string;

  beforeAll(async () => {
    runtime = new ScriptedRuntime();
    platform = await startTestPlatform({ target, runtime });
    [teacher, ta, student, outsider] = await Promise.all([
      platform.user('tina', ['teacher']),
      platform.user('tara', ['student']),
      platform.user('sam@nchc', ['student']),
      platform.user('olga', ['student']),
    ]);
    const course = await platform.call('POST', '/v1/course/create', {
      token: teacher.token,
      body: { name: 'vision', image: 'nvidia/digits:6.0', level: 'basic', gpu: 0 },
    });
    expect(course.status, course.text).toBe(200);
    courseId = course.body.id;
  });
  afterAll(() => platform?.close());

  async function create(body: Record<string, unknown>): Promise<Json> {
    const answer = await platform.call('POST', '/v1/classroom/create', { token: teacher.token, body: { timeZone: 'Europe/Berlin', ...body } });
    expect(answer.status, answer.text).toBe(200);
    return answer.body.classroom;
  }

  async function addMembers(classroomId: string, add: { user: string; role: string }[]): Promise<void> {
    const answer = await platform.call('POST', `/v1/classroom/${classroomId}/members`, { token: teacher.token, body: { add } });
    expect(answer.status, answer.text).toBe(200);
  }

  async function launchThrough(classroomId: string, user: TestUser): Promise<string> {
    const launched = await platform.call('POST', '/v1/course/launch', { token: user.token, body: { course_id: courseId, user: user.name } });
    expect(launched.status, launched.text).toBe(200);
    const jobId: string = launched.body.job.job_id;
    // As a launch through the classroom stores it.
    await platform.store.db.update(jobs).set({ classroomId }).where(eq(jobs.id, jobId));
    return jobId;
  }

  it('lists to its staff only the active jobs launched through it', async () => {
    const classroom = await create({ name: 'Watched', courses: [courseId] });
    await addMembers(classroom.id, [{ user: outsider.name, role: 'student' }]);
    const through = await launchThrough(classroom.id, outsider);
    const elsewhere = await platform.call('POST', '/v1/course/launch', { token: ta.token, body: { course_id: courseId, user: ta.name } });
    expect(elsewhere.status, elsewhere.text).toBe(200);
    const listed = async () => (await platform.call('GET', `/v1/classroom/${classroom.id}/jobs`, { token: teacher.token })).body.jobs.map((job: Json) => job.id);
    expect(await listed()).toEqual([through]);
    expect((await platform.call('DELETE', `/v1/job/delete/${through}`, { token: outsider.token })).status).toBe(200);
    expect(await listed()).toEqual([]);
    expect((await platform.call('DELETE', `/v1/job/delete/${elsewhere.body.job.job_id}`, { token: ta.token })).status).toBe(200);
  });

  it('deletes a classroom without running jobs', async () => {
    const classroom = await create({ name: 'Short-lived' });
    const answer = await platform.call('DELETE', `/v1/classroom/delete/${classroom.id}`, { token: teacher.token });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ error: false, message: 'classroom Short-lived deleted' });
    expect((await platform.call('GET', `/v1/classroom/get/${classroom.id}`, { token: teacher.token })).status).toBe(404);
  });

  it('refuses while a job launched through it runs, lists it to staff, and with force stops it with its reason', async () => {
    const classroom = await create({ name: 'Lab', courses: [courseId] });
    await addMembers(classroom.id, [
      { user: ta.name, role: 'ta' },
      { user: student.name, role: 'student' },
    ]);
    const jobId = await launchThrough(classroom.id, student);

    const listed = await platform.call('GET', `/v1/classroom/${classroom.id}/jobs`, { token: ta.token });
    expect(listed.status, listed.text).toBe(200);
    // Without the URLs: they carry the token that opens the student's environment and home.
    expect(listed.body.jobs).toEqual([expect.objectContaining({ id: jobId, user: 'sam@nchc', course_id: courseId, name: 'vision', service: [] })]);
    const ownList = await platform.call('POST', '/v1/job/list', { token: student.token, body: {} });
    expect(ownList.body.jobs[0].service).not.toEqual([]);
    expect((await platform.call('GET', `/v1/classroom/${classroom.id}/jobs`, { token: student.token })).status).toBe(403);

    const refused = await platform.call('DELETE', `/v1/classroom/delete/${classroom.id}`, { token: teacher.token });
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({
      error: true,
      message: 'classroom Lab has 1 running job(s); delete with ?force=true to stop them',
      jobs: [{ user: 'sam@nchc', status: expect.stringMatching(/^(Created|Pending|Ready)$/), since: expect.stringMatching(/Z$/) }],
    });

    const forced = await platform.call('DELETE', `/v1/classroom/delete/${classroom.id}?force=true`, { token: teacher.token });
    expect(forced.status, forced.text).toBe(200);
    const [row] = await platform.store.db.select({ status: jobs.status, reason: jobs.reason, classroomId: jobs.classroomId }).from(jobs).where(eq(jobs.id, jobId));
    expect(row).toEqual({ status: 'Deleted', reason: 'classroom Lab was deleted by tina', classroomId: null });
    expect(runtime.stopped).toContain(jobId);
  });
});
