import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeTargets } from '../support/stores.js';
import { startTestPlatform, type Json, type TestPlatform, type TestUser } from '../support/platform.js';

const course = (overrides: Record<string, unknown> = {}) => ({
  name: 'image process',
  introduction: '# Image processing',
  image: 'nvidia/digits:6.0',
  level: 'basic',
  GPU: 1,
  datasets: ['mnist', 'caltech256'],
  ...overrides,
});

describe.each(storeTargets)('PUT /v1/course/update/:id on $name', (target) => {
  let platform: TestPlatform;
  let teacher: TestUser;
  let otherTeacher: TestUser;
  let student: TestUser;

  beforeAll(async () => {
    platform = await startTestPlatform({ target });
    [teacher, otherTeacher, student] = await Promise.all([
      platform.user('tina', ['teacher']),
      platform.user('otto', ['teacher']),
      platform.user('sam', ['student']),
    ]);
  });
  afterAll(() => platform?.close());

  async function create(body: Record<string, unknown> = course()): Promise<Json> {
    const answer = await platform.call('POST', '/v1/course/create', { token: teacher.token, body });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body.course;
  }

  const update = (user: TestUser, id: string, body: unknown) => platform.call('PUT', `/v1/course/update/${id}`, { token: user.token, body });
  const fetchCourse = async (id: string) => (await platform.call('GET', `/v1/course/get/${id}`)).body.course;

  it('the owner changes some fields; the others stay, and datasets are replaced in the new order', async () => {
    const made = await create();
    const answer = await update(teacher, made.id, { introduction: '## New *text*', gpu: 2, level: 'advanced', datasets: ['caltech256', 'cifar'] });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const expected = { ...made, introduction: '## New *text*', gpu: 2, level: 'advance', datasets: ['caltech256', 'cifar'] };
    expect(answer.body).toMatchObject({ error: false, course: expected });
    expect(await fetchCourse(made.id)).toEqual(expected);
  });

  it('an empty body changes nothing', async () => {
    const made = await create(course({ name: 'unchanged' }));
    const answer = await update(teacher, made.id, {});
    expect(answer).toMatchObject({ status: 200, body: { error: false, course: made } });
  });

  it('an admin may change anyone\'s course; the owner stays', async () => {
    const made = await create(course({ name: 'for admin' }));
    const answer = await update(platform.admin, made.id, { name: 'renamed by admin', datasets: [] });
    expect(answer.status).toBe(200);
    expect(answer.body.course).toMatchObject({ name: 'renamed by admin', datasets: [], user: 'tina' });
  });

  it('another teacher or a student gets 403, and the course stays as it was', async () => {
    const made = await create(course({ name: 'guarded' }));
    for (const user of [otherTeacher, student]) {
      const answer = await update(user, made.id, { name: 'taken over' });
      expect(answer).toMatchObject({ status: 403, body: { error: true, message: expect.stringMatching(/only the course owner or an admin/) } });
    }
    expect(await fetchCourse(made.id)).toEqual(made);
  });

  it('an unknown id is 404 Course Id is not found; an id that is not a UUID is 400', async () => {
    const unknown = await update(teacher, '3fa85f64-5717-4562-b3fc-2c963f66afa6', { name: 'x' });
    expect(unknown).toMatchObject({ status: 404, body: { error: true, message: 'Course Id is not found' } });
    const notUuid = await update(teacher, '42', { name: 'x' });
    expect(notUuid).toMatchObject({ status: 400, body: { message: 'Failed to parse spec request request: params/id must be a UUID' } });
  });

  it('needs a token', async () => {
    const made = await create(course({ name: 'anonymous' }));
    const answer = await platform.call('PUT', `/v1/course/update/${made.id}`, { body: { name: 'x' } });
    expect(answer).toMatchObject({ status: 401, body: { error: true, message: 'Authorization header is missing' } });
  });

  const badBodies: Array<[string, Record<string, unknown>, RegExp]> = [
    ['an empty name', { name: '' }, /body\/name/],
    ['a blank name', { name: '   ' }, /body\/name/],
    ['GPU 17', { GPU: 17 }, /body\/GPU must be <= 16/],
    ['gpu 1.5', { gpu: 1.5 }, /body\/gpu must be integer/],
    ['gpu and GPU that disagree', { gpu: 2, GPU: 1 }, /disagree/],
    ['an unknown level', { level: 'expert' }, /body\/level must be one of basic, advance, advanced/],
    ['a dataset twice', { datasets: ['mnist', 'mnist'] }, /duplicate/],
    ['an invalid dataset name', { datasets: ['MNIST'] }, /body\/datasets\/0 must be a dataset name/],
    ['an image with spaces', { image: 'nvidia digits' }, /body\/image/],
    ['an introduction that is not a string', { introduction: 42 }, /body\/introduction must be string/],
    ['a property a course does not have', { junk: 1 }, /body must not have property junk/],
    ['a NUL character', { name: 'a\u0000b' }, /NUL character/],
  ];
  it.each(badBodies)('refuses %s with 400 and the message create gives, changing nothing', async (_case, body, message) => {
    const made = await create(course({ name: `bad ${_case}` }));
    const answer = await update(teacher, made.id, body);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: true, message: expect.stringMatching(/^Failed to parse spec request request: /) });
    expect(answer.body.message).toMatch(message);
    // The same body part is refused by create with the same words.
    const created = await platform.call('POST', '/v1/course/create', { token: teacher.token, body: course(body) });
    expect(created.body.message).toBe(answer.body.message);
    expect(await fetchCourse(made.id)).toEqual(made);
  });

  it('refuses to hand the course to someone else: user is not one of the fields', async () => {
    const made = await create(course({ name: 'kept by tina' }));
    const answer = await update(platform.admin, made.id, { user: 'otto' });
    expect(answer).toMatchObject({ status: 400, body: { message: 'Failed to parse spec request request: body must not have property user' } });
  });

  it('counts the introduction in bytes, as create does', async () => {
    const made = await create(course({ name: 'long intro' }));
    const answer = await update(teacher, made.id, { introduction: 'é'.repeat(33_000) });
    expect(answer).toMatchObject({ status: 400, body: { message: expect.stringMatching(/introduction must be at most 65536 bytes/) } });
  });

  it('writes nothing when the new dataset links fail: row and links are one transaction', async () => {
    const made = await create(course({ name: 'half written' }));
    await platform.store.db.execute(sql.raw(`
      create or replace function refuse_boom() returns trigger language plpgsql as $$
      begin
        if new.dataset = 'boom' then raise exception 'dataset boom refused by test trigger'; end if;
        return new;
      end $$`));
    await platform.store.db.execute(sql.raw('create trigger refuse_boom before insert on course_datasets for each row execute function refuse_boom()'));
    try {
      const answer = await update(teacher, made.id, { name: 'renamed', datasets: ['ok-set', 'boom'] });
      expect(answer.status).toBe(500);
      expect(answer.body).toEqual({ error: true, message: expect.stringMatching(/^Failed to update course information: .*boom refused/) });
      expect(await fetchCourse(made.id)).toEqual(made);
    } finally {
      await platform.store.db.execute(sql.raw('drop trigger refuse_boom on course_datasets'));
      await platform.store.db.execute(sql.raw('drop function refuse_boom()'));
    }
  });

  it('the public list by level and the owner\'s list show the change at once', async () => {
    const made = await create(course({ name: 'listed before', level: 'basic' }));
    // Read first, so that the cached list must be forgotten.
    const before = await platform.call('GET', '/v1/course/level/basic');
    expect(before.body.courses.some((c: Json) => c.id === made.id)).toBe(true);
    expect((await update(teacher, made.id, { name: 'listed after', level: 'advance' })).status).toBe(200);
    const basic = await platform.call('GET', '/v1/course/level/basic');
    expect(basic.body.courses.some((c: Json) => c.id === made.id)).toBe(false);
    const advance = await platform.call('GET', '/v1/course/level/advance');
    expect(advance.body.courses.find((c: Json) => c.id === made.id)).toMatchObject({ name: 'listed after', level: 'advance' });
    const own = await platform.call('POST', '/v1/course/list', { token: teacher.token, body: {} });
    expect(own.body.courses.find((c: Json) => c.id === made.id)).toMatchObject({ name: 'listed after' });
  });
});
