import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_WINDOWS } from '../../src/classrooms/calendar.js';
import { ScriptedRuntime } from '../support/fake-runtime.js';
import { startTestPlatform, type Json, type TestPlatform, type TestUser } from '../support/platform.js';
import { storeTargets } from '../support/stores.js';

/** Monday 2027-02-15, 08:30 in Berlin: the first window (09:00–12:00) opens in half an hour. */
const NOW = new Date('2027-02-15T07:30:00Z');
const WEEKLY = { weekly: { days: ['mon', 'wed'], start: '09:00', end: '12:00', from: '2027-02-15', until: '2027-02-28' } };

describe.each(storeTargets)('classrooms on $name', (target) => {
  let platform: TestPlatform;
  let runtime: ScriptedRuntime;
  let teacher: TestUser;
  let otherTeacher: TestUser;
  let ta: TestUser;
  let student: TestUser;
  let outsider: TestUser;
  let courseId: string;
  let clock = NOW;

  beforeAll(async () => {
    runtime = new ScriptedRuntime();
    platform = await startTestPlatform({ target, runtime, now: () => clock });
    [teacher, otherTeacher, ta, student, outsider] = await Promise.all([
      platform.user('tina', ['teacher']),
      platform.user('otto', ['teacher']),
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

  async function create(user: TestUser, body: Record<string, unknown> = {}): Promise<Json> {
    const answer = await platform.call('POST', '/v1/classroom/create', {
      token: user.token,
      body: { name: 'Computer Vision', timeZone: 'Europe/Berlin', ...body },
    });
    expect(answer.status, answer.text).toBe(200);
    return answer.body.classroom;
  }

  async function addMembers(classroomId: string, add: { user: string; role: string }[]): Promise<void> {
    const answer = await platform.call('POST', `/v1/classroom/${classroomId}/members`, { token: teacher.token, body: { add } });
    expect(answer.status, answer.text).toBe(200);
  }

  it('a teacher creates a classroom, becomes its teacher, and sees its windows in its zone', async () => {
    const answer = await platform.call('POST', '/v1/classroom/create', {
      token: teacher.token,
      body: { name: 'Computer Vision', timeZone: 'Europe/Berlin', description: 'Mondays and Wednesdays', courses: [courseId], windows: [WEEKLY], reservedGpu: 2, windowEnd: { action: 'stop', graceMinutes: 15 } },
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.message).toBe('classroom Computer Vision created');
    const classroom = answer.body.classroom;
    expect(classroom).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'Computer Vision',
      description: 'Mondays and Wednesdays',
      public: false,
      timeZone: 'Europe/Berlin',
      reservedGpu: 2,
      leadMinutes: 10,
      windowEnd: { action: 'stop', graceMinutes: 15 },
      courses: [{ id: courseId, name: 'vision', gpu: 0, level: 'basic' }],
      windows: [
        { starts_at: '2027-02-15T09:00:00+01:00', ends_at: '2027-02-15T12:00:00+01:00' },
        { starts_at: '2027-02-17T09:00:00+01:00', ends_at: '2027-02-17T12:00:00+01:00' },
        { starts_at: '2027-02-22T09:00:00+01:00', ends_at: '2027-02-22T12:00:00+01:00' },
        { starts_at: '2027-02-24T09:00:00+01:00', ends_at: '2027-02-24T12:00:00+01:00' },
      ],
      openWindow: null,
      nextWindow: { starts_at: '2027-02-15T09:00:00+01:00', ends_at: '2027-02-15T12:00:00+01:00' },
      role: 'teacher',
      memberCount: 1,
      members: [{ user: 'tina', role: 'teacher' }],
      createAt: expect.stringMatching(/Z$/),
    });

    clock = new Date('2027-02-15T08:00:00Z');
    try {
      const during = await platform.call('GET', `/v1/classroom/get/${classroom.id}`, { token: teacher.token });
      expect(during.body.classroom.openWindow).toEqual({ starts_at: '2027-02-15T09:00:00+01:00', ends_at: '2027-02-15T12:00:00+01:00' });
      expect(during.body.classroom.nextWindow).toEqual({ starts_at: '2027-02-17T09:00:00+01:00', ends_at: '2027-02-17T12:00:00+01:00' });
    } finally {
      clock = NOW;
    }
  });

  it('only platform teachers and admins create classrooms', async () => {
    const refused = await platform.call('POST', '/v1/classroom/create', { token: student.token, body: { name: 'mine', timeZone: 'UTC' } });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ error: true, message: expect.stringContaining('only teachers and admins') });
    expect((await create(platform.admin, { name: 'admin class' })).role).toBe('teacher');
  });

  it('lists a user their classrooms and the public ones; admins list all', async () => {
    const mine = await create(teacher, { name: 'Robotics' });
    const open = await create(otherTeacher, { name: 'Open lecture', public: true });
    const closed = await create(otherTeacher, { name: 'Closed seminar' });
    await addMembers(mine.id, [{ user: student.name, role: 'student' }]);

    const listed = await platform.call('GET', '/v1/classroom/list', { token: student.token });
    expect(listed.status).toBe(200);
    const names = listed.body.classrooms.map((item: Json) => item.name);
    expect(names).toEqual(expect.arrayContaining(['Robotics', 'Open lecture']));
    expect(names).not.toContain('Closed seminar');
    const robotics = listed.body.classrooms.find((item: Json) => item.id === mine.id);
    expect(robotics).toMatchObject({ role: 'student', memberCount: 2, openWindow: null, nextWindow: null });
    expect(robotics).not.toHaveProperty('windows');
    expect(robotics).not.toHaveProperty('members');
    expect(listed.body.classrooms.find((item: Json) => item.id === open.id).role).toBeNull();

    expect((await platform.call('GET', '/v1/classroom/list/all', { token: teacher.token })).status).toBe(403);
    const all = await platform.call('GET', '/v1/classroom/list/all', { token: platform.admin.token });
    expect(all.body.classrooms.map((item: Json) => item.id)).toEqual(expect.arrayContaining([mine.id, open.id, closed.id]));
  });

  it('shows a classroom to its members, admins and, when public, anyone; its members only to its staff', async () => {
    const classroom = await create(teacher, { name: 'Staffed' });
    await addMembers(classroom.id, [
      { user: ta.name, role: 'ta' },
      { user: student.name, role: 'student' },
    ]);
    const get = (user: TestUser) => platform.call('GET', `/v1/classroom/get/${classroom.id}`, { token: user.token });

    expect((await get(ta)).body.classroom.members).toEqual([
      { user: 'sam@nchc', role: 'student' },
      { user: 'tara', role: 'ta' },
      { user: 'tina', role: 'teacher' },
    ]);
    const asStudent = await get(student);
    expect(asStudent.status).toBe(200);
    expect(asStudent.body.classroom).toMatchObject({ role: 'student', memberCount: 3 });
    expect(asStudent.body.classroom).not.toHaveProperty('members');
    expect((await get(platform.admin)).body.classroom.members).toHaveLength(3);

    const refused = await get(outsider);
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain('not a member of classroom Staffed');

    const open = await create(teacher, { name: 'Public one', public: true });
    const seen = await platform.call('GET', `/v1/classroom/get/${open.id}`, { token: outsider.token });
    expect(seen.status).toBe(200);
    expect(seen.body.classroom).toMatchObject({ role: null });
    expect(seen.body.classroom).not.toHaveProperty('members');

    const unknown = await platform.call('GET', '/v1/classroom/get/00000000-0000-4000-8000-000000000000', { token: teacher.token });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: true, message: 'classroom 00000000-0000-4000-8000-000000000000 not found' });
  });

  it('updates only the fields given; windows and courses replace the whole set', async () => {
    const classroom = await create(teacher, { name: 'Changing', courses: [courseId], windows: [WEEKLY] });
    const answer = await platform.call('PUT', `/v1/classroom/update/${classroom.id}`, {
      token: teacher.token,
      body: { description: 'moved', windows: [{ starts_at: '2027-03-01T14:00', ends_at: '2027-03-01T16:00' }], courses: [] },
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.message).toBe('classroom Changing updated');
    expect(answer.body.classroom).toMatchObject({
      name: 'Changing',
      description: 'moved',
      timeZone: 'Europe/Berlin',
      courses: [],
      windows: [{ starts_at: '2027-03-01T14:00:00+01:00', ends_at: '2027-03-01T16:00:00+01:00' }],
    });
    const renamed = await platform.call('PUT', `/v1/classroom/update/${classroom.id}`, { token: platform.admin.token, body: { name: 'Changed', public: true } });
    expect(renamed.body.classroom).toMatchObject({ name: 'Changed', public: true, description: 'moved', windows: answer.body.classroom.windows });
  });

  it('lets neither a student nor a TA of the class, nor another teacher, update or delete it', async () => {
    const classroom = await create(teacher, { name: 'Guarded' });
    await addMembers(classroom.id, [
      { user: ta.name, role: 'ta' },
      { user: student.name, role: 'student' },
    ]);
    for (const user of [student, ta, otherTeacher]) {
      const update = await platform.call('PUT', `/v1/classroom/update/${classroom.id}`, { token: user.token, body: { name: 'Taken' } });
      expect(update.status, user.name).toBe(403);
      expect(update.body.message).toContain('only the teachers of classroom Guarded and admins');
      expect((await platform.call('DELETE', `/v1/classroom/delete/${classroom.id}`, { token: user.token })).status).toBe(403);
      expect((await platform.call('POST', `/v1/classroom/${classroom.id}/members`, { token: user.token, body: { remove: ['tina'] } })).status).toBe(403);
    }
    const still = await platform.call('GET', `/v1/classroom/get/${classroom.id}`, { token: teacher.token });
    expect(still.body.classroom).toMatchObject({ name: 'Guarded', memberCount: 3 });
  });

  describe('refuses bad input with a 400 that says what is wrong', () => {
    const refusedCreate = async (body: Record<string, unknown>) => {
      const answer = await platform.call('POST', '/v1/classroom/create', { token: teacher.token, body: { name: 'Bad', timeZone: 'Europe/Berlin', ...body } });
      expect(answer.status, answer.text).toBe(400);
      expect(answer.body.error).toBe(true);
      return answer.body;
    };

    it('an unknown time zone', async () => {
      expect((await refusedCreate({ timeZone: 'Mars/Olympus' })).message).toBe('timeZone "Mars/Olympus" is not a known IANA time zone, e.g. Europe/Berlin');
    });

    it('an end not after its start', async () => {
      const body = await refusedCreate({ windows: [{ starts_at: '2027-03-01T10:00', ends_at: '2027-03-01T10:00' }] });
      expect(body.message).toBe('windows/0: ends_at (2027-03-01T10:00) must be after starts_at (2027-03-01T10:00)');
    });

    it('more than 1000 windows, listed or expanded', async () => {
      const weekly = { weekly: { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '09:00', end: '10:00', from: '2027-01-01', until: '2030-12-31' } };
      expect((await refusedCreate({ windows: [weekly] })).message).toContain(`at most ${MAX_WINDOWS} windows`);
      const many = Array.from({ length: MAX_WINDOWS + 1 }, (_, day) => {
        const date = new Date(Date.UTC(2027, 0, 1 + day)).toISOString().slice(0, 10);
        return { starts_at: `${date}T09:00`, ends_at: `${date}T10:00` };
      });
      expect((await refusedCreate({ windows: many })).message).toMatch(/windows/);
    });

    it('a field it does not have', async () => {
      expect((await refusedCreate({ capacity: 3 })).message).toMatch(/capacity|additional/);
    });

    it('a course that does not exist, naming it', async () => {
      const missing = '00000000-0000-4000-8000-000000000001';
      expect(await refusedCreate({ courses: [courseId, missing] })).toEqual({ error: true, message: `unknown courses: ${missing}`, unknown: [missing] });
    });

    it("a reservation larger than the Ready nodes' GPUs", async () => {
      runtime.nodeList = [
        { name: 'node-1', ready: true, gpuAllocatable: 2, images: [] },
        { name: 'node-2', ready: false, gpuAllocatable: 8, images: [] },
      ];
      expect((await refusedCreate({ reservedGpu: 3 })).message).toBe("reservedGpu 3 is more than the cluster's 2 GPU(s)");
      const classroom = await create(teacher, { name: 'Reserving', reservedGpu: 2 });
      const update = await platform.call('PUT', `/v1/classroom/update/${classroom.id}`, { token: teacher.token, body: { reservedGpu: 4 } });
      expect(update.status).toBe(400);
      expect(update.body.message).toBe("reservedGpu 4 is more than the cluster's 2 GPU(s)");
    });

    it('nothing of a refused create is stored', async () => {
      const before = await platform.call('GET', '/v1/classroom/list', { token: teacher.token });
      await refusedCreate({ name: 'Half', courses: ['00000000-0000-4000-8000-000000000002'], windows: [WEEKLY] });
      const after = await platform.call('GET', '/v1/classroom/list', { token: teacher.token });
      expect(after.body.classrooms).toHaveLength(before.body.classrooms.length);
    });
  });
});
