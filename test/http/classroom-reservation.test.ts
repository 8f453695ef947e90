import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EVERY_JOB } from '../../src/jobs/job-view.js';
import { jobs } from '../../src/store/schema.js';
import { seedClassroom } from '../support/classroom-seed.js';
import { ScriptedRuntime } from '../support/fake-runtime.js';
import { startTestPlatform, type Json, type TestPlatform, type TestUser } from '../support/platform.js';
import { storeTargets } from '../support/stores.js';

/** 09:00–12:00 in Berlin on Monday 2027-02-15: 08:00–11:00 UTC. */
const LECTURE = { starts_at: '2027-02-15T09:00', ends_at: '2027-02-15T12:00' };
const DURING = new Date('2027-02-15T08:30:00Z');
const LECTURE_END = '2027-02-15T12:00:00+01:00';

describe.each(storeTargets)('GPUs reserved for a classroom on $name', (target) => {
  let clock = DURING;
  const runtime = new ScriptedRuntime();
  let platform: TestPlatform;
  let student: TestUser;
  let outsider: TestUser;
  let other: TestUser;
  let gpuCourse: string;
  let cpuCourse: string;
  let classroomId: string;

  beforeAll(async () => {
    runtime.homes.singleAttach = false;
    platform = await startTestPlatform({ target, runtime, now: () => clock, settings: { jobMaxAge: {}, jobIdleTimeout: {}, jobLimits: {} } });
    const teacher = await platform.user('tina', ['teacher']);
    [student, outsider, other] = await Promise.all([platform.user('jimmy'), platform.user('sam'), platform.user('olga')]);
    const create = async (name: string, gpu: number) =>
      (await platform.call('POST', '/v1/course/create', { token: teacher.token, body: { name, image: 'nvidia/digits:6.0', level: 'basic', GPU: gpu } })).body.id as string;
    gpuCourse = await create('deep learning', 1);
    cpuCourse = await create('notebooks', 0);
    classroomId = await seedClassroom(platform.store.db, {
      name: 'Physics 101',
      reservedGpu: 2,
      members: [
        { userId: teacher.id, role: 'teacher' },
        { userId: student.id, role: 'student' },
      ],
      courses: [gpuCourse],
      windows: [LECTURE],
    });
  });
  afterAll(() => platform?.close());

  beforeEach(async () => {
    clock = DURING;
    runtime.nodeList = [{ name: 'node-1', ready: true, gpuAllocatable: 2, images: [] }];
    await platform.store.db.delete(jobs);
    await platform.store.changes.publish('jobs', EVERY_JOB);
    runtime.running.clear();
  });

  const launch = (user: TestUser, body: Json = {}) => platform.call('POST', '/v1/course/launch', { token: user.token, body: { course_id: gpuCourse, user: user.name, ...body } });

  it('refuses a non-member with 429 until the window ends when only reserved GPUs are free; a member launches', async () => {
    const refused = await launch(outsider);
    expect(refused).toMatchObject({
      status: 429,
      body: { error: true, message: `GPU capacity reached: 2 of the 2 free GPU(s) are reserved for classroom Physics 101 until ${LECTURE_END}` },
    });
    // 08:30 to 11:00 UTC.
    expect(refused.headers['retry-after']).toBe(String(150 * 60));

    expect((await launch(student, { classroom_id: classroomId })).status).toBe(200);
    // The member's job took one of the two reserved GPUs: one is still held, and it is the only one free.
    expect(await launch(outsider)).toMatchObject({ status: 429, body: { message: `GPU capacity reached: 1 of the 1 free GPU(s) are reserved for classroom Physics 101 until ${LECTURE_END}` } });
    // A course without GPUs is never held back.
    expect((await launch(outsider, { course_id: cpuCourse })).status).toBe(200);
    // Members may use the class's GPUs outside the classroom as well.
    expect((await launch(student)).status).toBe(200);
    expect(await launch(outsider)).toMatchObject({ status: 429, body: { message: expect.stringMatching(/^GPU capacity reached: the course needs 1 GPU\(s\) and 0 of 2 are free/) } });
  });

  it('holds only the reserved GPUs: the rest of the cluster stays open to everyone', async () => {
    runtime.nodeList = [{ name: 'node-1', ready: true, gpuAllocatable: 3, images: [] }];
    expect((await launch(outsider)).status).toBe(200);
    expect((await launch(other)).status).toBe(429);
  });

  it('holds nothing outside the windows', async () => {
    clock = new Date('2027-02-15T07:59:59Z');
    expect((await launch(outsider)).status).toBe(200);
    clock = new Date('2027-02-15T11:00:00Z');
    expect((await launch(other)).status).toBe(200);
  });

  it('admits one of two non-members launching at once for the last unreserved GPU', async () => {
    runtime.nodeList = [{ name: 'node-1', ready: true, gpuAllocatable: 3, images: [] }];
    const answers = await Promise.all([launch(outsider), launch(other)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 429]);
    expect(await platform.store.db.select().from(jobs)).toHaveLength(1);
  });
});
