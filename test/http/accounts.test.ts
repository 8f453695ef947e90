import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { courses, jobs } from '../../src/store/schema.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

describe('v1 accounts: register and delete', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await startTestPlatform();
  });
  afterAll(() => platform?.close());

  const register = (body: unknown) => platform.call('POST', '/v1/auth/register', { body });
  const signIn = async (user_name: string, password: string) =>
    (await platform.callIdentity('POST', '/user/auth', { body: { user_name, password } })).body;

  it('registers a student who can then sign in', async () => {
    expect(await register({ username: 'newbie', password: 'newbie-pass' })).toMatchObject({
      status: 200,
      body: { error: false, message: 'register successfully' },
    });
    const signedIn = await signIn('newbie', 'newbie-pass');
    expect(signedIn.status).toBe(20008);
    const roles = await platform.callIdentity('GET', '/token/roles', { body: { token: signedIn.data.token } });
    expect(roles.body.data.roles).toEqual(['student']);
  });

  it('refuses a name that is taken with 409', async () => {
    expect(await register({ username: 'newbie', password: 'another-pass' })).toMatchObject({
      status: 409,
      body: { error: true, message: 'user newbie already exists' },
    });
  });

  it('refuses a name taken in another case, and keeps the registered case for display', async () => {
    expect((await register({ username: 'NewBie', password: 'another-pass' })).status).toBe(409);
    expect((await register({ username: 'Grace.Hopper', password: 'grace-pass' })).status).toBe(200);
    expect((await register({ username: 'grace.hopper', password: 'other-pass' })).status).toBe(409);
    const signedIn = await signIn('GRACE.HOPPER', 'grace-pass');
    expect(signedIn.status).toBe(20008);
    const roles = await platform.callIdentity('GET', '/token/roles', { body: { token: signedIn.data.token } });
    expect(roles.body.data.user_name).toBe('Grace.Hopper');
  });

  it.each([
    ['no password', { username: 'x1' }],
    ['a short password', { username: 'x2', password: 'short' }],
    ['a name with spaces', { username: 'two words', password: 'long-enough' }],
    ['an empty name', { username: '', password: 'long-enough' }],
    ['a name that is a number', { username: 7, password: 'long-enough' }],
    ['a 65-character name', { username: 'a'.repeat(65), password: 'long-enough' }],
    ['a property an account does not have', { username: 'x3', password: 'long-enough', roles: ['admin'] }],
  ])('refuses %s with 400', async (_case, body) => {
    const answer = await register(body);
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/^Failed to parse spec request request: body/);
  });

  it('lets a user delete their own account; their token stops working', async () => {
    const user = await platform.user('quitter');
    expect(await platform.call('DELETE', '/v1/auth/delete', { token: user.token })).toMatchObject({
      status: 200,
      body: { error: false, message: 'user quitter is deleted successfully' },
    });
    expect((await platform.call('POST', '/v1/course/list', { token: user.token, body: {} })).status).toBe(403);
    expect((await signIn('quitter', user.password)).status).toBe(40013);
  });

  it('accepts the user id the draft names, or the user name', async () => {
    const byId = await platform.user('by-id');
    expect((await platform.call('DELETE', '/v1/auth/delete', { token: byId.token, body: { id: byId.id } })).body).toEqual({
      error: false,
      message: `user ${byId.id} is deleted successfully`,
    });
    const byName = await platform.user('by-name');
    expect((await platform.call('DELETE', '/v1/auth/delete', { token: byName.token, body: { id: 'by-name' } })).status).toBe(200);
  });

  it("refuses to delete someone else's account with 403, unless the caller is an admin", async () => {
    const victim = await platform.user('victim');
    const attacker = await platform.user('attacker');
    const refused = await platform.call('DELETE', '/v1/auth/delete', { token: attacker.token, body: { id: 'victim' } });
    expect(refused).toMatchObject({ status: 403, body: { error: true } });
    expect((await signIn('victim', victim.password)).status).toBe(20008);
    const byAdmin = await platform.call('DELETE', '/v1/auth/delete', { token: platform.admin.token, body: { id: victim.id } });
    expect(byAdmin.status).toBe(200);
  });

  it('answers 400 for an unknown user', async () => {
    const answer = await platform.call('DELETE', '/v1/auth/delete', { token: platform.admin.token, body: { id: 'ghost' } });
    expect(answer).toMatchObject({ status: 400, body: { error: true, message: 'user ghost not found' } });
  });

  it('refuses to delete the last admin with 409', async () => {
    const answer = await platform.call('DELETE', '/v1/auth/delete', { token: platform.admin.token });
    expect(answer).toMatchObject({ status: 409, body: { error: true, message: 'the last admin cannot be removed' } });
  });

  it('refuses to delete a user whose jobs still run with 409', async () => {
    const teacher = await platform.user('busy-teacher', ['teacher']);
    const [course] = await platform.store.db
      .insert(courses)
      .values({ ownerId: teacher.id, name: 'c', image: 'i', gpu: 0, level: 'basic' })
      .returning();
    await platform.store.db.insert(jobs).values({ courseId: course!.id, userId: teacher.id, status: 'Ready' });
    const answer = await platform.call('DELETE', '/v1/auth/delete', { token: teacher.token });
    expect(answer).toMatchObject({ status: 409, body: { message: 'user busy-teacher still has 1 running job(s); delete them first' } });
  });
});

describe('v1 register with self-registration off', () => {
  it('answers 403 and creates no one', async () => {
    const platform = await startTestPlatform({ settings: { selfRegistration: false } });
    try {
      const answer = await platform.call('POST', '/v1/auth/register', { body: { username: 'walkin', password: 'walkin-pass' } });
      expect(answer).toMatchObject({ status: 403, body: { error: true } });
      expect(await platform.services.identity.findUser({ name: 'walkin' })).toBeUndefined();
    } finally {
      await platform.close();
    }
  });
});
