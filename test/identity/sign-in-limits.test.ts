import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseFailureCounts } from '../../src/identity/failure-counts.js';
import { SignInThrottle } from '../../src/identity/sign-in-throttle.js';
import type { Store } from '../../src/store/store.js';
import { storeTargets } from '../support/stores.js';
import { IdentityError, Status } from '../../src/identity/status.js';
import { openLoginPage, signInForCode, submitLogin } from '../oauth/browser.js';
import { startTestPlatform, type TestPlatform, type TestUser } from '../support/platform.js';

const wrong = () => Promise.reject(new IdentityError(Status.UserPasswordNotMatch));
const right = () => Promise.resolve('signed in');
const statusOf = (work: Promise<unknown>) => work.then(() => 'ok', (error: IdentityError) => error.status);

describe('the sign-in throttle', () => {
  let now = new Date('2026-01-01T09:00:00Z');
  const throttle = () => new SignInThrottle({ failuresPerUser: 3, failuresPerAddress: 5, windowSeconds: 600, now: () => now });

  it('counts wrong passwords only: a correct one from a busy address goes through', async () => {
    const guard = throttle();
    for (let i = 0; i < 50; i += 1) expect(await statusOf(guard.guard({ name: `student${i}`, address: '10.0.0.1' }, right))).toBe('ok');
  });

  it('locks a user name after its wrong passwords, from any address, right ones included; others go on', async () => {
    const guard = throttle();
    for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) expect(await statusOf(guard.guard({ name: 'Victim', address }, wrong))).toBe(Status.UserPasswordNotMatch);
    const locked = await guard.guard({ name: 'victim', address: '10.0.0.9' }, right).catch((error: IdentityError) => error);
    expect(locked).toMatchObject({ status: Status.TooManyAttempts, retryAfterSeconds: 600 });
    expect(await statusOf(guard.guard({ name: 'someone-else', address: '10.0.0.1' }, right))).toBe('ok');
    now = new Date(now.getTime() + 600_000);
    expect(await statusOf(guard.guard({ name: 'victim', address: '10.0.0.9' }, right))).toBe('ok');
  });

  it('locks an address that tries many names, without checking the password it sends', async () => {
    const guard = throttle();
    for (let i = 0; i < 5; i += 1) await statusOf(guard.guard({ name: `name${i}`, address: '10.0.0.7' }, wrong));
    let checked = false;
    const answer = await statusOf(guard.guard({ name: 'fresh', address: '10.0.0.7' }, async () => (checked = true)));
    expect(answer).toBe(Status.TooManyAttempts);
    expect(checked).toBe(false);
    expect(await statusOf(guard.guard({ name: 'fresh', address: '10.0.0.8' }, right))).toBe('ok');
  });

  it('forgets a name\'s failures once it signs in correctly', async () => {
    const guard = throttle();
    for (let i = 0; i < 2; i += 1) await statusOf(guard.guard({ name: 'typo', address: '10.0.0.1' }, wrong));
    await guard.guard({ name: 'typo', address: '10.0.0.1' }, right);
    for (let i = 0; i < 2; i += 1) await statusOf(guard.guard({ name: 'typo', address: '10.0.0.1' }, wrong));
    expect(await statusOf(guard.guard({ name: 'typo', address: '10.0.0.1' }, right))).toBe('ok');
  });
});

describe.each(storeTargets)('sign-in limits counted in the database ($name), as replicas share them', (target) => {
  let store: Store;
  beforeAll(async () => {
    store = await target.open();
  });
  afterAll(() => store?.close());

  /** A server's throttle: each has its own, and they share the database. */
  const server = () =>
    new SignInThrottle({ failuresPerUser: 3, failuresPerAddress: 100, windowSeconds: 600, counts: (kind) => new DatabaseFailureCounts(store.db, kind, 600) });

  it('counts wrong passwords sent to different servers together, and locks the name on all of them', async () => {
    const [a, b] = [server(), server()];
    expect(await statusOf(a.guard({ name: 'Shared', address: '10.0.0.1' }, wrong))).toBe(Status.UserPasswordNotMatch);
    expect(await statusOf(b.guard({ name: 'shared', address: '10.0.0.2' }, wrong))).toBe(Status.UserPasswordNotMatch);
    expect(await statusOf(a.guard({ name: 'shared', address: '10.0.0.3' }, wrong))).toBe(Status.UserPasswordNotMatch);
    const locked = await b.guard({ name: 'shared', address: '10.0.0.4' }, right).catch((error: IdentityError) => error);
    expect(locked).toMatchObject({ status: Status.TooManyAttempts });
    expect((locked as IdentityError & { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(590);
    expect(await statusOf(a.guard({ name: 'other', address: '10.0.0.4' }, right))).toBe('ok');
  });

  it('starts a new window once the last one has ended, and forgets a name that signs in', async () => {
    const [a, b] = [server(), server()];
    for (let i = 0; i < 3; i += 1) await statusOf(a.guard({ name: 'late', address: '10.0.1.1' }, wrong));
    expect(await statusOf(b.guard({ name: 'late', address: '10.0.1.1' }, right))).toBe(Status.TooManyAttempts);
    await store.db.execute(sql`update sign_in_failures set since = now() - interval '601 seconds'`);
    expect(await statusOf(b.guard({ name: 'late', address: '10.0.1.1' }, wrong))).toBe(Status.UserPasswordNotMatch);
    expect(await statusOf(a.guard({ name: 'late', address: '10.0.1.1' }, right))).toBe('ok');
    for (let i = 0; i < 2; i += 1) await statusOf(a.guard({ name: 'late', address: '10.0.1.1' }, wrong));
    expect(await statusOf(b.guard({ name: 'late', address: '10.0.1.1' }, right))).toBe('ok');
  });
});

describe('wrong passwords on the identity service and the login form', () => {
  let platform: TestPlatform;
  let users: TestUser[];

  beforeAll(async () => {
    platform = await startTestPlatform({ settings: { signInFailuresPerUser: 3, signInFailuresPerAddress: 1000 } });
    users = [];
    for (const name of ['ivy', 'ike', 'ida', 'leo', 'lea']) users.push(await platform.user(name));
  });
  afterAll(() => platform?.close());

  const auth = (user_name: string, password: string) => platform.callIdentity('POST', '/user/auth', { body: { user_name, password } });

  it('POST /user/auth: after 3 wrong passwords the name answers 40029 with retry_after, even with the right one', async () => {
    const [ivy, ike] = users as [TestUser, TestUser];
    for (let i = 0; i < 3; i += 1) expect((await auth(ivy.name, 'wrong-password')).body.status).toBe(40014);
    const locked = await auth(ivy.name, ivy.password);
    expect(locked.status).toBe(400);
    expect(locked.body).toMatchObject({ status: 40029, message: 'too many attempts', data: { reason: expect.any(String), retry_after: expect.any(Number) } });
    expect(locked.body.data.retry_after).toBeGreaterThan(0);
    expect((await auth(ike.name, ike.password)).body.status).toBe(20008);
    const lockLine = platform.logs.find((line) => line.includes('sign-in locked'));
    expect(lockLine).toContain('"user":"ivy"');
    expect(platform.logs.join('')).not.toContain('wrong-password');
  });

  it('DELETE /user is no password oracle: it is locked the same way, and the user stays', async () => {
    const ida = users[2] as TestUser;
    for (let i = 0; i < 3; i += 1) {
      expect((await platform.callIdentity('DELETE', '/user', { body: { user_name: ida.name, password: `guess-${i}-long` } })).body.status).toBe(40014);
    }
    const locked = await platform.callIdentity('DELETE', '/user', { body: { user_name: ida.name, password: ida.password } });
    expect(locked.body.status).toBe(40029);
    expect(await platform.services.identity.findUser({ name: ida.name })).toBeDefined();
  });

  it('the login form lets a whole class in from one address, and locks a name after wrong passwords', async () => {
    const query = { response_type: 'code', client_id: 'classlab-web', redirect_uri: 'http://localhost:8080/oauth/callback' };
    const leo = users[3] as TestUser;
    // More correct sign-ins from one address than the old limit of 30 a minute allowed.
    for (let i = 0; i < 40; i += 1) await signInForCode(platform, leo, query);
    const page = await openLoginPage(platform, query);
    for (let i = 0; i < 3; i += 1) expect((await submitLogin(platform, page, leo.name, 'wrong-password')).status).toBe(401);
    const locked = await submitLogin(platform, page, leo.name, leo.password);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect(locked.text).toContain('Too many wrong passwords');
    await signInForCode(platform, users[4] as TestUser, query);
  });
});
