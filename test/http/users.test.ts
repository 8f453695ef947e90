import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeTargets } from '../support/stores.js';
import { startTestPlatform, type Json, type TestPlatform, type TestUser } from '../support/platform.js';

describe.each(storeTargets)('the admin user list and role grants on $name', (target) => {
  let platform: TestPlatform;
  let teacher: TestUser;
  let student: TestUser;

  beforeAll(async () => {
    platform = await startTestPlatform({ target });
    teacher = await platform.user('Tina', ['teacher']);
    student = await platform.user('sam', ['student']);
    for (const name of ['abby', 'Abe', 'abc_d', 'abcxd', 'bob']) await platform.services.identity.createUser(name, `${name}-password`, ['student']);
  });
  afterAll(() => platform?.close());

  const list = (query = '', token = platform.admin.token) => platform.call('GET', `/v1/user/list${query}`, { token });
  const names = (answer: Json) => answer.body.users.map((user: Json) => user.name);

  it('lists every user sorted by name whatever the case, with roles and creation time, and the total', async () => {
    const answer = await list();
    expect(answer.status).toBe(200);
    expect(answer.body.error).toBe(false);
    expect(names(answer)).toEqual(['abby', 'abc_d', 'abcxd', 'Abe', 'admin', 'bob', 'sam', 'Tina']);
    expect(answer.body.total).toBe(8);
    expect(answer.body.users.find((user: Json) => user.name === 'Tina')).toEqual({
      name: 'Tina',
      roles: ['teacher'],
      createAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
  });

  it('pages with limit and offset; total counts them all', async () => {
    const first = await list('?limit=2');
    const second = await list('?limit=2&offset=2');
    expect(names(first)).toEqual(['abby', 'abc_d']);
    expect(names(second)).toEqual(['abcxd', 'Abe']);
    expect(second.body.total).toBe(8);
    expect(names(await list('?offset=100'))).toEqual([]);
  });

  it('matches a name prefix in any case, and % and _ only as themselves', async () => {
    expect(names(await list('?prefix=AB'))).toEqual(['abby', 'abc_d', 'abcxd', 'Abe']);
    expect((await list('?prefix=AB')).body.total).toBe(4);
    expect(names(await list('?prefix=abc_'))).toEqual(['abc_d']);
    expect(names(await list('?prefix=%25'))).toEqual([]);
    expect(names(await list('?prefix=_'))).toEqual([]);
    expect(names(await list('?prefix=zz'))).toEqual([]);
  });

  it.each([['?limit=0'], ['?limit=501'], ['?limit=x'], ['?offset=-1'], ['?junk=1']])('refuses %s with 400', async (query) => {
    const answer = await list(query);
    expect(answer).toMatchObject({ status: 400, body: { error: true, message: expect.stringMatching(/^Failed to parse spec request request: querystring/) } });
  });

  it('is for admins only: a teacher or a student gets 403, no token 401', async () => {
    for (const user of [teacher, student]) {
      expect(await list('', user.token)).toMatchObject({ status: 403, body: { error: true, message: 'Permission denied: only admins can list users' } });
    }
    expect((await platform.call('GET', '/v1/user/list')).status).toBe(401);
  });

  it('an admin grants a role, which the user has at once, and removes it', async () => {
    const granted = await platform.call('POST', '/v1/user/role', { token: platform.admin.token, body: { user: 'SAM', role: 'teacher' } });
    expect(granted).toMatchObject({ status: 200, body: { error: false, user: { name: 'sam', roles: ['student', 'teacher'] } } });
    // The student's own token now publishes courses.
    const course = { name: 'by sam', image: 'busybox', level: 'basic', GPU: 0 };
    expect((await platform.call('POST', '/v1/course/create', { token: student.token, body: course })).status).toBe(200);
    const again = await platform.call('POST', '/v1/user/role', { token: platform.admin.token, body: { user: 'sam', role: 'teacher' } });
    expect(again).toMatchObject({ status: 409, body: { error: true, message: 'user sam already has role teacher' } });

    const removed = await platform.call('DELETE', '/v1/user/role', { token: platform.admin.token, body: { user: 'sam', role: 'teacher' } });
    expect(removed).toMatchObject({ status: 200, body: { error: false, user: { name: 'sam', roles: ['student'] } } });
    expect((await platform.call('POST', '/v1/course/create', { token: student.token, body: course })).status).toBe(403);
    const notHeld = await platform.call('DELETE', '/v1/user/role', { token: platform.admin.token, body: { user: 'sam', role: 'teacher' } });
    expect(notHeld).toMatchObject({ status: 404, body: { error: true, message: 'user sam does not have role teacher' } });
  });

  it('answers 404 for an unknown user or role', async () => {
    for (const method of ['POST', 'DELETE'] as const) {
      const noUser = await platform.call(method, '/v1/user/role', { token: platform.admin.token, body: { user: 'nobody', role: 'teacher' } });
      expect(noUser).toMatchObject({ status: 404, body: { error: true, message: 'user nobody not found' } });
      const noRole = await platform.call(method, '/v1/user/role', { token: platform.admin.token, body: { user: 'sam', role: 'astronaut' } });
      expect(noRole).toMatchObject({ status: 404, body: { error: true, message: 'role astronaut not found' } });
    }
  });

  it('keeps the last admin: removing their admin role is 409', async () => {
    const answer = await platform.call('DELETE', '/v1/user/role', { token: platform.admin.token, body: { user: 'admin', role: 'admin' } });
    expect(answer).toMatchObject({ status: 409, body: { error: true, message: 'the last admin cannot be removed' } });
  });

  it('grants and removals are for admins only, and bodies are checked', async () => {
    for (const method of ['POST', 'DELETE'] as const) {
      const byTeacher = await platform.call(method, '/v1/user/role', { token: teacher.token, body: { user: 'Tina', role: 'admin' } });
      expect(byTeacher).toMatchObject({ status: 403, body: { error: true } });
      const bad = await platform.call(method, '/v1/user/role', { token: platform.admin.token, body: { user: 'sam' } });
      expect(bad).toMatchObject({ status: 400, body: { message: 'Failed to parse spec request request: body must have required property \'role\'' } });
    }
    expect((await list('?prefix=tina')).body.users[0].roles).toEqual(['teacher']);
  });
});
