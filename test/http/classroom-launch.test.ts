import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { EVERY_JOB } from '../../src/jobs/job-view.js';
import { jobs, usageRecords } from '../../src/store/schema.js';
import { seedClassroom } from '../support/classroom-seed.js';
import { ScriptedRuntime } from '../support/fake-runtime.js';
import { startTestPlatform, type Json, type TestPlatform, type TestUser } from '../support/platform.js';
import { storeTargets } from '../support/stores.js';

/** Mondays 09:00–12:00 in Berlin (UTC+1 in February): 08:00–11:00 UTC. 2027-02-15 is a Monday. */
const MONDAY_LECTURES = { weekly: { days: ['mon' as const], start: '09:00', end: '12:00', from: '2027-02-15', until: '2027-02-22' } };
const course = (name: string, gpu: number) => ({ name, image: 'nvidia/digits:6.0', level: 'basic', GPU: gpu });

describe.each(storeTargets)('launching through a classroom on $name', (target) => {
  let clock = new Date('2027-02-15T06:00:00Z');
  const runtime = new ScriptedRuntime();
  let platform: TestPlatform;
  let teacher: TestUser;
  let ta: TestUser;
  let student: TestUser;
  let outsider: TestUser;
  let labCourse: string;
  let otherCourse: string;
  let classroomId: string;

  beforeAll(async () => {
    runtime.homes.singleAttach = false;
    // No age or idle limits and no job quota: the clock jumps by hours here, and only the classroom's rules may refuse.
    platform = await startTestPlatform({ target, runtime, now: () => clock, settings: { jobMaxAge: {}, jobIdleTimeout: {}, jobLimits: {} } });
    [teacher, ta, student, outsider] = await Promise.all([
      platform.user('tina', ['teacher']),
      platform.user('tara', ['student']),
      platform.user('jimmy', ['student']),
      platform.user('sam', ['student']),
    ]);
    labCourse = (await platform.call('POST', '/v1/course/create', { token: teacher.token, body: course('lab', 0) })).body.id;
    otherCourse = (await platform.call('POST', '/v1/course/create', { token: teacher.token, body: course('other', 0) })).body.id;
    classroomId = await seedClassroom(platform.store.db, {
      name: 'Physics 101',
      members: [
        { userId: teacher.id, role: 'teacher' },
        { userId: ta.id, role: 'ta' },
        { userId: student.id, role: 'student' },
      ],
      courses: [labCourse],
      windows: [MONDAY_LECTURES],
    });
  });
  afterAll(() => platform?.close());

  beforeEach(async () => {
    clock = new Date('2027-02-15T06:00:00Z');
    await platform.store.db.delete(jobs);
    await platform.store.changes.publish('jobs', EVERY_JOB);
    runtime.running.clear();
  });

  const launch = (user: TestUser, body: Json = {}) =>
    platform.call('POST', '/v1/course/launch', { token: user.token, body: { course_id: labCourse, user: user.name, classroom_id: classroomId, ...body } });
  const launched = async (user: TestUser, body: Json = {}): Promise<string> => {
    const answer = await launch(user, body);
    expect(answer.status, answer.text).toBe(200);
    return answer.body.job.job_id;
  };

  it('refuses a student at 08:59:59 with the next window, and admits them at 09:00, storing the classroom', async () => {
    clock = new Date('2027-02-15T07:59:59Z');
    const early = await launch(student);
    const nextWindow = { starts_at: '2027-02-15T09:00:00+01:00', ends_at: '2027-02-15T12:00:00+01:00' };
    expect(early).toMatchObject({ status: 403, body: { error: true, message: `classroom Physics 101 allows launches only between ${nextWindow.starts_at} and ${nextWindow.ends_at}`, nextWindow } });
    expect(await platform.store.db.select().from(jobs)).toEqual([]);

    clock = new Date('2027-02-15T08:00:00Z');
    const jobId = await launched(student);
    const [row] = await platform.store.db.select({ classroomId: jobs.classroomId }).from(jobs).where(eq(jobs.id, jobId));
    expect(row?.classroomId).toBe(classroomId);
    const [record] = await platform.store.db.select().from(usageRecords).where(eq(usageRecords.jobId, jobId));
    expect(record).toMatchObject({ classroomId, classroomName: 'Physics 101' });
    const listed = await platform.call('POST', '/v1/job/list', { token: student.token, body: {} });
    expect(listed.body.jobs).toEqual([expect.objectContaining({ id: jobId, classroom_id: classroomId })]);
  });

  it('says when no window is left, with nextWindow null', async () => {
    clock = new Date('2027-02-22T11:00:00Z');
    expect(await launch(student)).toMatchObject({ status: 403, body: { error: true, message: 'classroom Physics 101 has no launch window left', nextWindow: null } });
  });

  it('lets the class teacher and an admin launch outside the windows, but not a TA', async () => {
    await launched(teacher);
    await launched(platform.admin, { user: platform.admin.name });
    expect((await launch(ta)).status).toBe(403);
  });

  it('checks the classroom, then membership, then the course, in that order', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect(await launch(student, { classroom_id: unknown })).toMatchObject({ status: 400, body: { error: true, message: `classroom ${unknown} not found` } });
    // Outside a window too: the first failing rule is the one answered.
    expect(await launch(outsider, { course_id: otherCourse })).toMatchObject({ status: 403, body: { message: 'you are not a member of classroom Physics 101' } });
    expect(await launch(student, { course_id: otherCourse })).toMatchObject({ status: 400, body: { message: `course ${otherCourse} is not assigned to classroom Physics 101` } });
    expect((await launch(student, { classroom_id: 'nope' })).status).toBe(400);
    expect(await platform.store.db.select().from(jobs)).toEqual([]);
  });

  it('launches without classroom_id as before: any time, and the job has none', async () => {
    const jobId = await launched(outsider, { classroom_id: undefined });
    const listed = await platform.call('POST', '/v1/job/list', { token: outsider.token, body: {} });
    expect(listed.body.jobs).toEqual([expect.objectContaining({ id: jobId, classroom_id: null })]);
  });

  it("lets a TA follow and stop a member's classroom job, never a job outside the class, nor a home", async () => {
    clock = new Date('2027-02-15T09:00:00Z');
    const classJob = await launched(student);
    const ownJob = await launched(student, { classroom_id: undefined });
    const outsiderJob = await launched(outsider, { classroom_id: undefined });

    expect((await platform.call('GET', `/v1/job/ready/${classJob}`, { token: ta.token })).status).toBe(200);
    // What /v1/job/events streams: the stream itself never ends, so it is asked of the service.
    const heard: Json[] = [];
    const watching = await platform.services.jobs.watch({ userId: ta.id, name: ta.name, roles: ['student'] }, classJob, (message) => heard.push(message));
    // The TA follows the job's state, but never gets its URLs: they carry the token into the student's environment and home.
    expect(watching.history.at(-1)).toMatchObject({ type: 'state', job_id: classJob, service: [] });
    runtime.report(classJob, { status: 'Ready' });
    await vi.waitFor(() => expect(heard).toContainEqual(expect.objectContaining({ type: 'state', status: 'Ready', service: [] })));
    watching.stop();
    const ownersView = await platform.services.jobs.watch({ userId: student.id, name: student.name, roles: ['student'] }, classJob, () => undefined);
    expect(ownersView.history.at(-1)).toMatchObject({ status: 'Ready', service: [expect.objectContaining({ label: 'jupyter' })] });
    ownersView.stop();
    await expect(platform.services.jobs.watch({ userId: ta.id, name: ta.name, roles: ['student'] }, outsiderJob, () => undefined)).rejects.toMatchObject({ kind: 'forbidden' });
    for (const jobId of [ownJob, outsiderJob]) {
      expect((await platform.call('GET', `/v1/job/ready/${jobId}`, { token: ta.token })).status).toBe(403);
      expect((await platform.call('DELETE', `/v1/job/delete/${jobId}`, { token: ta.token })).status).toBe(403);
    }
    expect((await platform.call('DELETE', `/v1/job/${outsider.name}/${outsiderJob}`, { token: ta.token })).status).toBe(403);
    // The path names the job's owner: another name is no such job.
    expect((await platform.call('DELETE', `/v1/job/${outsider.name}/${classJob}`, { token: ta.token })).status).toBe(400);
    // Homes keep their own rules: only their owner (and admins) may touch them.
    expect((await platform.call('DELETE', `/v1/volume/home/${student.name}`, { token: ta.token })).status).toBe(403);
    expect((await platform.call('PUT', `/v1/volume/home/${student.name}`, { token: ta.token, body: { capacity: '20Gi' } })).status).toBe(403);

    expect((await platform.call('DELETE', `/v1/job/${student.name}/${classJob}`, { token: ta.token })).status).toBe(200);
    const [row] = await platform.store.db.select({ status: jobs.status, reason: jobs.reason }).from(jobs).where(eq(jobs.id, classJob));
    expect(row).toEqual({ status: 'Deleted', reason: 'deleted by tara (classroom Physics 101)' });
    expect(runtime.stopped).toContain(classJob);
  });

  it("lets the class teacher stop a member's job; a student of the class may not", async () => {
    clock = new Date('2027-02-15T09:00:00Z');
    const taJob = await launched(ta);
    expect((await platform.call('DELETE', `/v1/job/delete/${taJob}`, { token: student.token })).status).toBe(403);
    expect((await platform.call('DELETE', `/v1/job/delete/${taJob}`, { token: teacher.token })).status).toBe(200);
    const [row] = await platform.store.db.select({ reason: jobs.reason }).from(jobs).where(eq(jobs.id, taJob));
    expect(row?.reason).toBe('deleted by tina (classroom Physics 101)');
  });
});
