import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { courses, jobs } from '../../src/store/schema.js';
import { startTestPlatform, type Json, type TestPlatform, type TestUser } from '../support/platform.js';
import { storeTargets } from '../support/stores.js';

const course = (overrides: Record<string, unknown> = {}) => ({
  name: 'image process',
  introduction: '# Image processing\n\nUse `cv2`, then *train*.',
  image: 'nvidia/digits:6.0',
  level: 'basic',
  GPU: 1,
  datasets: ['mnist', 'caltech256'],
  ...overrides,
});

describe.each(storeTargets)('courses on $name', (target) => {
  let platform: TestPlatform;
  let teacher: TestUser;
  let otherTeacher: TestUser;
  let student: TestUser;

  beforeAll(async () => {
    platform = await startTestPlatform({ target });
    [teacher, otherTeacher, student] = await Promise.all([
      platform.user('tina', ['teacher']),
      platform.user('otto', ['teacher']),
      platform.user('sam@nchc', ['student']),
    ]);
  });
  afterAll(() => platform?.close());

  async function create(user: TestUser, body: Record<string, unknown> = course()): Promise<Json> {
    const answer = await platform.call('POST', '/v1/course/create', { token: user.token, body });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body;
  }

  describe('create', () => {
    it('a teacher publishes a course with "GPU": 1 and two datasets', async () => {
      const answer = await create(teacher);
      expect(answer).toMatchObject({ error: false, message: 'course image process create successfully' });
      expect(answer.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(answer.course).toEqual({
        id: answer.id,
        createAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        name: 'image process',
        introduction: '# Image processing\n\nUse `cv2`, then *train*.',
        image: 'nvidia/digits:6.0',
        gpu: 1,
        level: 'basic',
        datasets: ['mnist', 'caltech256'],
        ports: [],
        homePath: null,
        user: 'tina',
      });
    });

    it('stores the introduction exactly as sent, up to 64 KiB of UTF-8', async () => {
      const introduction = `${'é'.repeat(32_000)}\r\n\t<script>"quotes" \\ \\u0000 emoji 🎓`;
      const answer = await create(teacher, course({ introduction }));
      const fetched = await platform.call('GET', `/v1/course/get/${answer.id}`, { token: student.token });
      expect(fetched.body.course.introduction).toBe(introduction);
    });

    it('counts the 64 KiB in bytes: 33,000 two-byte characters are too many', async () => {
      const answer = await platform.call('POST', '/v1/course/create', {
        token: teacher.token,
        body: course({ introduction: 'é'.repeat(33_000) }),
      });
      expect(answer.status).toBe(400);
      expect(answer.body.message).toMatch(/introduction must be at most 65536 bytes/);
    });

    it('accepts gpu as well as GPU, and advanced as a synonym of advance', async () => {
      const { GPU: _omit, ...withoutGPU } = course();
      const answer = await create(teacher, { ...withoutGPU, gpu: 2, level: 'advanced', datasets: [] });
      expect(answer.course).toMatchObject({ gpu: 2, level: 'advance', datasets: [] });
    });

    it('defaults a missing introduction to empty and missing datasets to none', async () => {
      const answer = await create(teacher, { name: 'bare', image: 'busybox', level: 'basic', GPU: 0 });
      expect(answer.course).toMatchObject({ introduction: '', datasets: [], gpu: 0 });
    });

    const badBodies: Array<[string, Record<string, unknown>, RegExp]> = [
      ['an empty name', course({ name: '' }), /body\/name/],
      ['a blank name', course({ name: '   ' }), /body\/name/],
      ['a 129-character name', course({ name: 'x'.repeat(129) }), /body\/name/],
      ['GPU 17', course({ GPU: 17 }), /body\/GPU must be <= 16/],
      ['GPU -1', course({ GPU: -1 }), /body\/GPU must be >= 0/],
      ['GPU 1.5', course({ GPU: 1.5 }), /body\/GPU must be integer/],
      ['GPU as a string', course({ GPU: '1' }), /body\/GPU must be integer/],
      ['no GPU at all', { ...course(), GPU: undefined }, /must have property GPU/],
      ['gpu and GPU that disagree', course({ gpu: 2 }), /disagree/],
      ['an unknown level', course({ level: 'expert' }), /body\/level must be one of basic, advance, advanced/],
      ['datasets as a string', course({ datasets: 'mnist' }), /body\/datasets must be array/],
      ['a dataset twice', course({ datasets: ['mnist', 'mnist'] }), /duplicate/],
      ['an invalid dataset name', course({ datasets: ['MNIST'] }), /body\/datasets\/0 must be a dataset name/],
      ['an image with spaces', course({ image: 'nvidia digits' }), /body\/image/],
      ['no image', { ...course(), image: undefined }, /image/],
      ['an introduction that is not a string', course({ introduction: 42 }), /body\/introduction must be string/],
      ['a body that is an array', [] as unknown as Record<string, unknown>, /body must be object/],
      ['a NUL character, which PostgreSQL cannot store', course({ name: 'a\u0000b' }), /NUL character/],
      ['a property a course does not have', course({ junk: 'x'.repeat(1000) }), /body must not have property junk/],
      [
        'a port with properties a port does not have',
        course({ ports: [{ name: 'web', port: 80, hostPort: 22, junk: 'x'.repeat(1000) }] }),
        /body\/ports\/0 must not have property hostPort/,
      ],
    ];
    it.each(badBodies)('refuses %s with 400 and writes nothing', async (_case, body, message) => {
      const before = await platform.call('POST', '/v1/course/list', { token: teacher.token, body: {} });
      const answer = await platform.call('POST', '/v1/course/create', { token: teacher.token, body });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe(true);
      expect(answer.body.message).toMatch(/^Failed to parse spec request request: /);
      expect(answer.body.message).toMatch(message);
      const after = await platform.call('POST', '/v1/course/list', { token: teacher.token, body: {} });
      expect(after.body.courses).toHaveLength(before.body.courses.length);
    });

    it('a student may not publish: 403', async () => {
      const answer = await platform.call('POST', '/v1/course/create', { token: student.token, body: course() });
      expect(answer).toMatchObject({ status: 403, body: { error: true, message: expect.stringMatching(/only teachers and admins/) } });
    });

    it('a teacher may not publish as someone else: 403', async () => {
      const answer = await platform.call('POST', '/v1/course/create', { token: teacher.token, body: course({ user: 'otto' }) });
      expect(answer.status).toBe(403);
    });

    it('a body user equal to the caller is fine', async () => {
      const answer = await create(teacher, course({ user: 'tina', name: 'own name' }));
      expect(answer.course.user).toBe('tina');
      // Names are one name whatever their case.
      expect((await create(teacher, course({ user: 'TINA', name: 'own name, shouted' }))).course.user).toBe('tina');
    });

    it('an admin may publish for a teacher, but not for a student or a stranger', async () => {
      const answer = await create(platform.admin, course({ user: 'otto', name: 'for otto' }));
      expect(answer.course.user).toBe('otto');
      const forStudent = await platform.call('POST', '/v1/course/create', { token: platform.admin.token, body: course({ user: 'sam@nchc' }) });
      expect(forStudent.status).toBe(400);
      const forNobody = await platform.call('POST', '/v1/course/create', { token: platform.admin.token, body: course({ user: 'nobody' }) });
      expect(forNobody).toMatchObject({ status: 400, body: { message: 'user nobody not found' } });
    });

    it('loses no writes when many are created at once', async () => {
      const names = Array.from({ length: 40 }, (_, i) => `parallel ${i}`);
      const answers = await Promise.all(
        names.map((name) => platform.call('POST', '/v1/course/create', { token: otherTeacher.token, body: course({ name, datasets: [`set-${name.split(' ')[1]}`] }) })),
      );
      expect(answers.map((answer) => answer.status)).toEqual(names.map(() => 200));
      const list = await platform.call('POST', '/v1/course/list', { token: otherTeacher.token, body: {} });
      const listed = list.body.courses.filter((c: Json) => c.name.startsWith('parallel '));
      expect(listed.map((c: Json) => c.name).sort()).toEqual([...names].sort());
      for (const c of listed) expect(c.datasets).toEqual([`set-${c.name.split(' ')[1]}`]);
    });

    it('writes nothing when the dataset links fail: course and links are one transaction', async () => {
      // A trigger that refuses one dataset name makes the second insert of the transaction fail.
      await platform.store.db.execute(sql.raw(`
        create or replace function refuse_boom() returns trigger language plpgsql as $$
        begin
          if new.dataset = 'boom' then raise exception 'dataset boom refused by test trigger'; end if;
          return new;
        end $$`));
      await platform.store.db.execute(
        sql.raw('create trigger refuse_boom before insert on course_datasets for each row execute function refuse_boom()'),
      );
      try {
        const answer = await platform.call('POST', '/v1/course/create', {
          token: teacher.token,
          body: course({ name: 'half written', datasets: ['ok-set', 'boom'] }),
        });
        expect(answer.status).toBe(500);
        expect(answer.body).toEqual({ error: true, message: expect.stringMatching(/^Failed to create course information: .*boom refused/) });
        const leftovers = await platform.store.db.select().from(courses).where(eq(courses.name, 'half written'));
        expect(leftovers).toEqual([]);
      } finally {
        await platform.store.db.execute(sql.raw('drop trigger refuse_boom on course_datasets'));
        await platform.store.db.execute(sql.raw('drop function refuse_boom()'));
      }
    });
  });

  describe('list and read', () => {
    it("lists the caller's own courses, in the order they were created", async () => {
      const answer = await platform.call('POST', '/v1/course/list', { token: teacher.token, body: { user: 'tina' } });
      expect(answer.status).toBe(200);
      expect(answer.body.error).toBe(false);
      expect(answer.body.courses.length).toBeGreaterThan(0);
      expect(answer.body.courses.every((c: Json) => c.user === 'tina')).toBe(true);
      const times = answer.body.courses.map((c: Json) => c.createAt);
      expect([...times].sort()).toEqual(times);
    });

    it("refuses a student's request for a teacher's list: 403", async () => {
      const answer = await platform.call('POST', '/v1/course/list', { token: student.token, body: { user: 'tina' } });
      expect(answer).toMatchObject({ status: 403, body: { error: true } });
    });

    it("lets an admin list anyone's courses", async () => {
      const answer = await platform.call('POST', '/v1/course/list', { token: platform.admin.token, body: { user: 'tina' } });
      expect(answer.status).toBe(200);
      expect(answer.body.courses.every((c: Json) => c.user === 'tina')).toBe(true);
    });

    it('a student owns none', async () => {
      const answer = await platform.call('POST', '/v1/course/list', { token: student.token, body: {} });
      expect(answer.body).toEqual({ error: false, courses: [] });
    });

    it('lists a level publicly, without a token; advanced is advance', async () => {
      const basic = await platform.call('GET', '/v1/course/level/basic');
      expect(basic.status).toBe(200);
      expect(basic.body.courses.length).toBeGreaterThan(0);
      expect(basic.body.courses.every((c: Json) => c.level === 'basic')).toBe(true);
      expect(basic.body.courses.find((c: Json) => c.name === 'image process')).toMatchObject({ gpu: 1, datasets: ['mnist', 'caltech256'] });
      const advance = await platform.call('GET', '/v1/course/level/advance');
      const advanced = await platform.call('GET', '/v1/course/level/advanced');
      expect(advance.body.courses.length).toBeGreaterThan(0);
      expect(advanced.body).toEqual(advance.body);
    });

    it('refuses an unknown level with 400 and says which levels exist', async () => {
      const answer = await platform.call('GET', '/v1/course/level/expert');
      expect(answer).toEqual(expect.objectContaining({ status: 400, body: { error: true, message: 'Unknown course level "expert": use basic or advance' } }));
    });

    it('reads one course; unknown ids are 400 Course Id is not found; non-UUIDs are 400 too', async () => {
      const made = await create(teacher, course({ name: 'readable' }));
      const answer = await platform.call('GET', `/v1/course/get/${made.id}`, { token: student.token });
      expect(answer.body).toEqual({ error: false, course: made.course });
      const unknown = await platform.call('GET', '/v1/course/get/3fa85f64-5717-4562-b3fc-2c963f66afa6', { token: student.token });
      expect(unknown).toMatchObject({ status: 400, body: { error: true, message: 'Course Id is not found' } });
      const notUuid = await platform.call('GET', '/v1/course/get/42', { token: student.token });
      expect(notUuid).toMatchObject({ status: 400, body: { message: 'Failed to parse spec request request: params/id must be a UUID' } });
    });
  });

  describe('delete', () => {
    it('the owner deletes: 200, and the course is gone', async () => {
      const made = await create(teacher, course({ name: 'short-lived' }));
      const answer = await platform.call('DELETE', `/v1/course/delete/${made.id}`, { token: teacher.token });
      expect(answer).toMatchObject({ status: 200, body: { error: false, message: 'course short-lived is deleted successfully' } });
      const again = await platform.call('DELETE', `/v1/course/delete/${made.id}`, { token: teacher.token });
      expect(again).toMatchObject({ status: 400, body: { error: true, message: 'Course Id is not found' } });
    });

    it('a student or another teacher may not delete it: 403, and it stays', async () => {
      const made = await create(teacher, course({ name: 'protected' }));
      for (const user of [student, otherTeacher]) {
        const answer = await platform.call('DELETE', `/v1/course/delete/${made.id}`, { token: user.token });
        expect(answer).toMatchObject({ status: 403, body: { error: true } });
      }
      expect((await platform.call('GET', `/v1/course/get/${made.id}`, { token: student.token })).status).toBe(200);
    });

    it('an admin may delete anyone\'s course', async () => {
      const made = await create(teacher, course({ name: 'admin deletes' }));
      expect((await platform.call('DELETE', `/v1/course/delete/${made.id}`, { token: platform.admin.token })).status).toBe(200);
    });

    it('is refused with 409 while jobs of the course run, and allowed once they ended', async () => {
      const made = await create(teacher, course({ name: 'busy' }));
      const [job] = await platform.store.db.insert(jobs).values({ courseId: made.id, userId: student.id, status: 'Pending' }).returning();
      const refused = await platform.call('DELETE', `/v1/course/delete/${made.id}`, { token: teacher.token });
      expect(refused).toMatchObject({
        status: 409,
        body: { error: true, message: 'course busy still has 1 running job(s); they must be deleted before the course' },
      });
      // The jobs that block it, by owner, so that the teacher knows whom to ask; not their ids,
      // which are the student's alone.
      expect((refused.body as { jobs: unknown }).jobs).toEqual([{ user: student.name, status: 'Pending', since: job!.createdAt.toISOString() }]);
      await platform.store.db.update(jobs).set({ status: 'Failed' }).where(eq(jobs.id, job!.id));
      expect((await platform.call('DELETE', `/v1/course/delete/${made.id}`, { token: teacher.token })).status).toBe(200);
    });

    it('refuses ids that are not UUIDs with 400', async () => {
      const answer = await platform.call('DELETE', '/v1/course/delete/not-a-uuid', { token: teacher.token });
      expect(answer).toMatchObject({ status: 400, body: { error: true, message: expect.stringMatching(/^Failed to parse spec request request: /) } });
    });
  });

  it('keeps a course whose author deleted their account, owned by no one', async () => {
    const leaver = await platform.user('leaver', ['teacher']);
    const made = await create(leaver, course({ name: 'orphan' }));
    expect((await platform.call('DELETE', '/v1/auth/delete', { token: leaver.token })).status).toBe(200);
    const answer = await platform.call('GET', `/v1/course/get/${made.id}`, { token: student.token });
    expect(answer.body.course).toMatchObject({ name: 'orphan', user: null });
  });
});

describe('courses with the database down', () => {
  it('answers 500 with the spec messages and keeps serving', async () => {
    const platform = await startTestPlatform({ settings: { tokenCacheMs: 10_000 } });
    const teacher = await platform.user('tina', ['teacher']);
    // Seen once, the token is cached: the failure below is the course query's own (the list was
    // never asked for, so it is not in memory either).
    expect((await platform.call('POST', '/v1/health/databaseAuth', { token: teacher.token, body: {} })).status).toBe(200);
    await platform.store.close();
    const list = await platform.call('POST', '/v1/course/list', { token: teacher.token, body: {} });
    expect(list).toMatchObject({ status: 500, body: { error: true, message: expect.stringMatching(/^Query courses table fail: .+/) } });
    const create = await platform.call('POST', '/v1/course/create', { token: teacher.token, body: course() });
    expect(create).toMatchObject({ status: 500, body: { error: true, message: expect.stringMatching(/^Failed to create course information: .+/) } });
    const level = await platform.call('GET', '/v1/course/level/basic');
    expect(level).toMatchObject({ status: 500, body: { message: expect.stringMatching(/^Query courses table fail: /) } });
    const health = await platform.call('POST', '/v1/health/database', { body: { message: 'x' } });
    expect(health).toMatchObject({ status: 500, body: { error: true, message: expect.stringMatching(/^Query all table name fail: .+/) } });
    await Promise.allSettled([platform.api.close(), platform.identityApp.close()]);
  });
});
