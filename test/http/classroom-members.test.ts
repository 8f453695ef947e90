import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type Json, type TestPlatform, type TestUser } from '../support/platform.js';
import { storeTargets } from '../support/stores.js';

describe.each(storeTargets)('classroom members and rosters on $name', (target) => {
  let platform: TestPlatform;
  let teacher: TestUser;
  let student: TestUser;
  let outsider: TestUser;

  beforeAll(async () => {
    platform = await startTestPlatform({ target });
    [teacher, student, outsider] = await Promise.all([platform.user('tina', ['teacher']), platform.user('sam@nchc', ['student']), platform.user('olga', ['student'])]);
    await Promise.all(['ann', 'ben', 'cho', 'dan'].map((name) => platform.user(name, ['student'])));
  });
  afterAll(() => platform?.close());

  async function create(body: Record<string, unknown> = {}): Promise<Json> {
    const answer = await platform.call('POST', '/v1/classroom/create', { token: teacher.token, body: { name: 'Algebra', timeZone: 'America/New_York', ...body } });
    expect(answer.status, answer.text).toBe(200);
    return answer.body.classroom;
  }

  const members = (classroomId: string, body: unknown, user = teacher) => platform.call('POST', `/v1/classroom/${classroomId}/members`, { token: user.token, body });

  const roster = (classroomId: string, text: string, contentType = 'text/csv') =>
    platform.call('POST', `/v1/classroom/${classroomId}/members/csv`, { token: teacher.token, body: text, headers: { 'content-type': contentType } });

  async function memberList(classroomId: string): Promise<Json> {
    const answer = await platform.call('GET', `/v1/classroom/get/${classroomId}`, { token: teacher.token });
    return answer.body.classroom.members;
  }

  it('adds, re-roles and removes members, answering the classroom', async () => {
    const classroom = await create();
    const added = await members(classroom.id, { add: [{ user: 'ANN', role: 'ta' }, { user: 'ben', role: 'student' }] });
    expect(added.status, added.text).toBe(200);
    expect(added.body).toMatchObject({ error: false, message: 'members of classroom Algebra updated', classroom: { memberCount: 3 } });
    expect(added.body.classroom.members).toEqual([
      { user: 'ann', role: 'ta' },
      { user: 'ben', role: 'student' },
      { user: 'tina', role: 'teacher' },
    ]);
    const changed = await members(classroom.id, { add: [{ user: 'ben', role: 'teacher' }], remove: ['ann'] });
    expect(changed.body.classroom.members).toEqual([
      { user: 'ben', role: 'teacher' },
      { user: 'tina', role: 'teacher' },
    ]);
  });

  it('changes nothing when a name is not a user, and lists the unknown ones', async () => {
    const classroom = await create();
    const answer = await members(classroom.id, { add: [{ user: 'ann', role: 'student' }, { user: 'nobody', role: 'student' }], remove: ['ghost'] });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: true, message: 'unknown users: nobody, ghost', unknown: ['nobody', 'ghost'] });
    expect(await memberList(classroom.id)).toEqual([{ user: 'tina', role: 'teacher' }]);
  });

  it('refuses to leave a classroom without a teacher (409), whether by removing or demoting the last one', async () => {
    const classroom = await create();
    const removed = await members(classroom.id, { remove: ['tina'] });
    expect(removed.status).toBe(409);
    expect(removed.body.message).toBe('classroom Algebra would have no teacher left; add another teacher first');
    expect((await members(classroom.id, { add: [{ user: 'tina', role: 'student' }, { user: 'ann', role: 'student' }] })).status).toBe(409);
    expect(await memberList(classroom.id)).toEqual([{ user: 'tina', role: 'teacher' }]);
    // With another teacher first, the creator may go.
    expect((await members(classroom.id, { add: [{ user: 'ben', role: 'teacher' }], remove: ['tina'] })).status).toBe(200);
  });

  it('refuses a user named twice in one change', async () => {
    const classroom = await create();
    const answer = await members(classroom.id, { add: [{ user: 'ann', role: 'student' }], remove: ['Ann'] });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toContain('user Ann is named more than once');
  });

  it('imports a roster with a BOM, CRLF, a header and blank lines', async () => {
    const classroom = await create();
    const answer = await roster(classroom.id, '\uFEFFname,role\r\nann\r\n\r\nben,ta\r\ncho,student\r\n');
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toMatchObject({ error: false, added: 3, message: 'roster of 3 user(s) imported into classroom Algebra: 3 new member(s)' });
    expect(answer.body.classroom.members).toEqual([
      { user: 'ann', role: 'student' },
      { user: 'ben', role: 'ta' },
      { user: 'cho', role: 'student' },
      { user: 'tina', role: 'teacher' },
    ]);
    // Sent again as text/plain, with a teacher named without a role: nobody is new, and her role stays.
    const again = await roster(classroom.id, 'ann\ntina\ndan,student', 'text/plain; charset=utf-8');
    expect(again.status, again.text).toBe(200);
    expect(again.body.added).toBe(1);
    expect(await memberList(classroom.id)).toContainEqual({ user: 'tina', role: 'teacher' });
  });

  it('changes nothing for a roster with an unknown name, and lists it', async () => {
    const classroom = await create();
    const answer = await roster(classroom.id, 'ann\nnobody\nben,ta\nghost,student\n');
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: true, message: 'unknown users: nobody, ghost', unknown: ['nobody', 'ghost'] });
    expect(await memberList(classroom.id)).toEqual([{ user: 'tina', role: 'teacher' }]);
  });

  it('refuses a roster line it cannot read, naming the line', async () => {
    const classroom = await create();
    const answer = await roster(classroom.id, 'ann\r\nben,professor\r\n');
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: true, message: 'roster: line 2: role "professor" is not one of teacher, ta, student' });
    expect(await memberList(classroom.id)).toEqual([{ user: 'tina', role: 'teacher' }]);
  });

  it('takes a roster only from the class teachers and admins, and only as text', async () => {
    const classroom = await create();
    const refused = await platform.call('POST', `/v1/classroom/${classroom.id}/members/csv`, { token: student.token, body: 'ann', headers: { 'content-type': 'text/csv' } });
    expect(refused.status).toBe(403);
    const json = await platform.call('POST', `/v1/classroom/${classroom.id}/members/csv`, { token: teacher.token, body: { add: [] } });
    expect(json.status).toBe(400);
    const unknown = await platform.call('POST', '/v1/classroom/00000000-0000-4000-8000-000000000000/members/csv', { token: teacher.token, body: 'ann', headers: { 'content-type': 'text/csv' } });
    expect(unknown.status).toBe(404);
  });

  it('lets anyone join a public classroom as a student, once; a private one refuses', async () => {
    const open = await create({ name: 'Open', public: true });
    const joined = await platform.call('POST', `/v1/classroom/${open.id}/join`, { token: outsider.token });
    expect(joined.status, joined.text).toBe(200);
    expect(joined.body).toMatchObject({ message: 'joined classroom Open', classroom: { role: 'student', memberCount: 2 } });
    const again = await platform.call('POST', `/v1/classroom/${open.id}/join`, { token: outsider.token });
    expect(again.body.classroom).toMatchObject({ role: 'student', memberCount: 2 });
    // A teacher who joins stays a teacher.
    expect((await platform.call('POST', `/v1/classroom/${open.id}/join`, { token: teacher.token })).body.classroom.role).toBe('teacher');

    const closed = await create({ name: 'Closed' });
    const refused = await platform.call('POST', `/v1/classroom/${closed.id}/join`, { token: outsider.token });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain('classroom Closed is not public');
  });
});
