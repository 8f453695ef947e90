import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

/** The identity service over HTTP: exact paths, bodies, status codes, and HTTP 200/400/500 only. */
describe('identity service API', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await startTestPlatform();
  });
  afterAll(() => platform?.close());

  const call = (...args: Parameters<TestPlatform['callIdentity']>) => platform.callIdentity(...args);

  async function signIn(user: string, password: string): Promise<string> {
    const answer = await call('POST', '/user/auth', { body: { user_name: user, password } });
    expect(answer.body.status).toBe(20008);
    return answer.body.data.token;
  }

  it('CreateUser: 20002, then 40012 for the same name; 40011 for bad input', async () => {
    expect(await call('POST', '/user', { body: { user_name: 'uname1', password: 'pwd1-long' } })).toMatchObject({
      status: 200,
      body: { status: 20002, message: 'user created' },
    });
    expect(await call('POST', '/user', { body: { user_name: 'uname1', password: 'pwd1-long' } })).toMatchObject({
      status: 400,
      body: { status: 40012, message: 'user already existing' },
    });
    for (const body of [{ user_name: 'x' }, { user_name: 'bad name', password: 'long-enough' }, { user_name: 'y', password: 'short' }, { user_name: 5, password: 'long-enough' }, { user_name: 'z1', password: 'long-enough', junk: 'x' }]) {
      const answer = await call('POST', '/user', { body });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ status: 40011, message: 'invalid argument' });
      expect(typeof answer.body.data.reason).toBe('string');
    }
  });

  it('a created user is a student', async () => {
    const token = await signIn('uname1', 'pwd1-long');
    const answer = await call('GET', `/token/roles?token=${token}`);
    expect(answer.body.data.roles).toEqual(['student']);
  });

  it('AuthenticateUser: 20008 with the token and its expiry in microseconds; 40013; 40014', async () => {
    const before = Date.now();
    const answer = await call('POST', '/user/auth', { body: { user_name: 'uname1', password: 'pwd1-long' } });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 20008, message: 'token created' });
    const { token, toke, expired_at_in_usec } = answer.body.data;
    expect(toke).toBe(token); // the spec's own spelling
    const ttlUsec = 8 * 3600 * 1_000_000;
    expect(expired_at_in_usec).toBeGreaterThanOrEqual((before * 1000) + ttlUsec);
    expect(expired_at_in_usec).toBeLessThanOrEqual((Date.now() * 1000) + ttlUsec);
    expect(await call('POST', '/user/auth', { body: { user_name: 'nobody', password: 'pwd1-long' } })).toMatchObject({
      status: 400,
      body: { status: 40013, message: 'user not found' },
    });
    expect(await call('POST', '/user/auth', { body: { user_name: 'uname1', password: 'wrong-password' } })).toMatchObject({
      status: 400,
      body: { status: 40014, message: 'user password not match' },
    });
  });

  it('AuthenticateUser with the caller\'s valid bearer token renews it: 20007, same token', async () => {
    const token = await signIn('uname1', 'pwd1-long');
    const answer = await call('POST', '/user/auth', { token, body: { user_name: 'uname1', password: 'pwd1-long' } });
    expect(answer.body).toMatchObject({ status: 20007, message: 'token renewed', data: { token } });
    // Someone else's token is not renewed for this user: a new one is created.
    const other = await call('POST', '/user/auth', { token: platform.admin.token, body: { user_name: 'uname1', password: 'pwd1-long' } });
    expect(other.body.status).toBe(20008);
    expect(other.body.data.token).not.toBe(platform.admin.token);
  });

  it('CheckRole: 20010, 40021 without the role, 40017 for a role that does not exist, 40018, 40019, 40020', async () => {
    const token = await signIn('uname1', 'pwd1-long');
    // As the spec sends it: a JSON body on GET.
    expect(await call('GET', '/token/role', { body: { token, role_name: 'student' } })).toMatchObject({
      status: 200,
      body: { status: 20010, message: 'token role ok' },
    });
    expect(await call('GET', `/token/role?token=${token}&role_name=teacher`)).toMatchObject({
      status: 400,
      body: { status: 40021, message: 'token role not found' },
    });
    expect((await call('GET', '/token/role', { body: { token, role_name: 'astronaut' } })).body.status).toBe(40017);
    expect((await call('GET', '/token/role', { body: { token: 'AAAAAAAAAAAAAAAAAAAAAA', role_name: 'student' } })).body).toMatchObject({
      status: 40018,
      message: 'token not found',
    });
    expect((await call('GET', '/token/role', { body: { token: 'not-a-token', role_name: 'student' } })).body).toMatchObject({
      status: 40020,
      message: 'token is invalid',
    });
    expect((await call('GET', '/token/role', { body: { token } })).body.status).toBe(40011);
  });

  it('AllRoles: 20001 with the token and roles', async () => {
    const token = await signIn('uname1', 'pwd1-long');
    expect(await call('GET', '/token/roles', { body: { token } })).toMatchObject({
      status: 200,
      body: { status: 20001, message: 'ok', data: { token, roles: ['student'] } },
    });
  });

  it('an expired token is 40019 token expired', async () => {
    const token = await signIn('uname1', 'pwd1-long');
    const { tokens } = await import('../../src/store/schema.js');
    const { hashToken } = await import('../../src/identity/tokens.js');
    const { eq } = await import('drizzle-orm');
    await platform.store.db.update(tokens).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(tokens.hash, hashToken(token)));
    expect(await call('GET', '/token/roles', { body: { token } })).toMatchObject({
      status: 400,
      body: { status: 40019, message: 'token expired' },
    });
  });

  it('Invalidate: 20009, then 40018', async () => {
    const token = await signIn('uname1', 'pwd1-long');
    expect(await call('DELETE', '/token', { body: { token } })).toMatchObject({
      status: 200,
      body: { status: 20009, message: 'token invalidated' },
    });
    expect((await call('DELETE', '/token', { body: { token } })).body.status).toBe(40018);
  });

  describe('role management needs an admin bearer token', () => {
    it.each([
      ['POST', '/user/role', { user_name: 'uname1', role_name: 'teacher' }],
      ['POST', '/role', { role_name: 'assistant' }],
      ['DELETE', '/role', { role_name: 'assistant' }],
    ] as const)('%s %s answers 40021 without one, and with a student\'s', async (method, path, body) => {
      expect(await call(method, path, { body })).toMatchObject({ status: 400, body: { status: 40021, message: 'token role not found' } });
      const student = await signIn('uname1', 'pwd1-long');
      expect((await call(method, path, { token: student, body })).body.status).toBe(40021);
      expect((await call(method, path, { token: 'garbage', body })).body.status).toBe(40020);
    });

    it("says why an admin's token is no good, as the spec's codes do: 40020 invalid, 40018 not found, 40019 expired", async () => {
      const body = { role_name: 'never-made' };
      const expired = await platform.services.identity.issueToken(platform.admin.id, 0);
      const revoked = await platform.services.identity.issueToken(platform.admin.id, 60);
      await platform.services.identity.invalidate(revoked.token);
      expect((await call('POST', '/role', { headers: { authorization: 'Basic YWRtaW46eA==' }, body })).body.status).toBe(40020);
      expect((await call('POST', '/role', { token: 'not a token', body })).body.status).toBe(40020);
      expect((await call('POST', '/role', { token: revoked.token, body })).body.status).toBe(40018);
      expect((await call('POST', '/role', { token: expired.token, body })).body).toMatchObject({ status: 40019, message: 'token expired' });
    });

    it('AddUserRole: 20004, 40015, 40013, 40017', async () => {
      const token = platform.admin.token;
      expect(await call('POST', '/user/role', { token, body: { user_name: 'uname1', role_name: 'teacher' } })).toMatchObject({
        status: 200,
        body: { status: 20004, message: 'user role added' },
      });
      expect((await call('POST', '/user/role', { token, body: { user_name: 'uname1', role_name: 'teacher' } })).body).toMatchObject({
        status: 40015,
        message: 'user role already existing',
      });
      expect((await call('POST', '/user/role', { token, body: { user_name: 'nobody', role_name: 'teacher' } })).body.status).toBe(40013);
      expect((await call('POST', '/user/role', { token, body: { user_name: 'uname1', role_name: 'astronaut' } })).body.status).toBe(40017);
    });

    it('CreateRole: 20005, 40016; DeleteRole: 20006, 40017; built-in roles stay', async () => {
      const token = platform.admin.token;
      expect((await call('POST', '/role', { token, body: { role_name: 'assistant' } })).body).toEqual({ status: 20005, message: 'role created' });
      expect((await call('POST', '/role', { token, body: { role_name: 'assistant' } })).body).toMatchObject({
        status: 40016,
        message: 'role already existing',
      });
      expect((await call('DELETE', '/role', { token, body: { role_name: 'assistant' } })).body).toEqual({ status: 20006, message: 'role deleted' });
      expect((await call('DELETE', '/role', { token, body: { role_name: 'assistant' } })).body).toMatchObject({
        status: 40017,
        message: 'role not found',
      });
      expect((await call('DELETE', '/role', { token, body: { role_name: 'admin' } })).body.status).toBe(40011);
    });

    it('CreateRole and AddUserRole refuse properties they would not store (40011)', async () => {
      const token = platform.admin.token;
      const role = await call('POST', '/role', { token, body: { role_name: 'tutor', permissions: ['all'] } });
      expect(role.body).toMatchObject({ status: 40011, data: { reason: 'body must not have property permissions' } });
      const grant = await call('POST', '/user/role', { token, body: { user_name: 'uname1', role_name: 'teacher', until: 'never' } });
      expect(grant.body).toMatchObject({ status: 40011, data: { reason: 'body must not have property until' } });
    });
  });

  it('DeleteUser: 40014 with a wrong password, 20003, then 40013', async () => {
    await call('POST', '/user', { body: { user_name: 'leaving', password: 'leaving-pwd' } });
    expect((await call('DELETE', '/user', { body: { user_name: 'leaving', password: 'wrong-pwd' } })).body.status).toBe(40014);
    expect(await call('DELETE', '/user', { body: { user_name: 'leaving', password: 'leaving-pwd' } })).toMatchObject({
      status: 200,
      body: { status: 20003, message: 'user deleted' },
    });
    expect((await call('DELETE', '/user', { body: { user_name: 'leaving', password: 'leaving-pwd' } })).body).toMatchObject({
      status: 40013,
      message: 'user not found',
    });
  });

  it('names with NUL characters are refused as bad input, never a database error', async () => {
    const answer = await call('POST', '/user/auth', { body: { user_name: 'a\u0000b', password: 'pwd1-long' } });
    expect(answer).toMatchObject({ status: 400, body: { status: 40011 } });
    const token = await signIn('uname1', 'pwd1-long');
    const role = await call('GET', `/token/role?token=${token}&role_name=%00`);
    expect(role).toMatchObject({ status: 400, body: { status: 40017 } });
    const user = await call('POST', '/user/role', { token: platform.admin.token, body: { user_name: 'a b', role_name: 'teacher' } });
    expect(user).toMatchObject({ status: 400, body: { status: 40013 } });
  });

  it('an unknown function is 10000 unknown, with HTTP 400', async () => {
    expect(await call('GET', '/users')).toMatchObject({ status: 400, body: { status: 10000, message: 'unknown' } });
  });
});

describe('identity service with self-registration off', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform({ settings: { selfRegistration: false } });
  });
  afterAll(() => platform?.close());

  it('CreateUser needs an admin token (40021 without)', async () => {
    const body = { user_name: 'walkin', password: 'walkin-pwd' };
    expect((await platform.callIdentity('POST', '/user', { body })).body.status).toBe(40021);
    expect((await platform.callIdentity('POST', '/user', { body, token: platform.admin.token })).body.status).toBe(20002);
  });
});

describe('identity service with its store down', () => {
  it('answers 500 with status 50000 internal, and does not crash', async () => {
    const platform = await startTestPlatform();
    await platform.store.close();
    const answer = await platform.callIdentity('POST', '/user/auth', { body: { user_name: 'admin', password: 'whatever-1' } });
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({ status: 50000, message: 'internal' });
    await Promise.allSettled([platform.api.close(), platform.identityApp.close()]);
  });
});
