import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestUser } from '../support/platform.js';
import { CookieJar, cookieNames, openLoginPage, submitLogin } from './browser.js';

const APP = { 'x-classlab-app': '1' };

describe('the web app session, with the built-in provider', () => {
  let platform: TestPlatform;
  let user: TestUser;

  beforeAll(async () => {
    platform = await startTestPlatform();
    user = await platform.user('sam', ['student']);
  });
  afterAll(() => platform?.close());

  /** Clicks through the sign-in as a browser would, and answers the jar and where the app opened. */
  async function signIn(returnTo: string): Promise<{ jar: CookieJar; landing: string }> {
    const jar = new CookieJar();
    const start = await platform.call('GET', `/oauth/app/sign-in?return=${encodeURIComponent(returnTo)}`);
    expect(start.status).toBe(302);
    jar.take(start);
    const authorize = new URL(String(start.headers.location));
    expect(authorize.pathname).toBe('/oauth/authorize');
    const login = await submitLogin(platform, await openLoginPage(platform, Object.fromEntries(authorize.searchParams)), user.name, user.password);
    expect(login.status).toBe(302);
    const callback = new URL(String(login.headers.location));
    expect(callback.pathname).toBe('/oauth/callback');
    const back = await platform.call('GET', `${callback.pathname}${callback.search}`, { headers: { cookie: jar.header() } });
    expect(back.status, back.text).toBe(302);
    jar.take(back);
    expect(jar.cookies.has('classlab_signin')).toBe(false);
    return { jar, landing: String(back.headers.location) };
  }

  const refresh = (jar: CookieJar, headers: Record<string, string> = APP) =>
    platform.call('POST', '/oauth/session/refresh', { headers: { ...headers, cookie: jar.header() } });

  it('signs in through the provider and lands on the path asked for, with an HttpOnly, Strict session cookie', async () => {
    const { jar, landing } = await signIn('/courses/basic?q=deep#top');
    expect(landing).toBe('/courses/basic?q=deep#top');
    const session = jar.cookies.get('classlab_session');
    expect(session?.value).toMatch(/\S{20,}/);
    expect(session?.attributes).toMatch(/Path=\/oauth\/session/);
    expect(session?.attributes).toMatch(/HttpOnly/);
    expect(session?.attributes).toMatch(/SameSite=Strict/);
    // The public URL of the test platform is http: no Secure, or the browser would drop it.
    expect(session?.attributes).not.toMatch(/Secure/);
  });

  it('refreshes: an access token that works, its lifetime and the user; the cookie is rotated', async () => {
    const { jar } = await signIn('/');
    const first = jar.cookies.get('classlab_session')?.value;
    const answer = await refresh(jar);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toEqual({ error: false, access_token: expect.any(String), expires_in: expect.any(Number), user: { name: 'sam', roles: ['student'] } });
    expect(answer.body.expires_in).toBeGreaterThan(60);
    expect(answer.headers['cache-control']).toBe('no-store');
    jar.take(answer);
    const second = jar.cookies.get('classlab_session')?.value;
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expect((await platform.call('POST', '/v1/job/list', { token: answer.body.access_token, body: {} })).status).toBe(200);
    // And again, with the rotated cookie.
    expect((await refresh(jar)).status).toBe(200);
  });

  it('a refresh token used twice is refused with 401, and the cookie cleared', async () => {
    const { jar } = await signIn('/');
    const stolen = new CookieJar();
    stolen.cookies.set('classlab_session', { ...jar.cookies.get('classlab_session')!, attributes: '' });
    expect((await refresh(jar)).status).toBe(200);
    const reused = await refresh(stolen);
    expect(reused).toMatchObject({ status: 401, body: { error: true, message: 'Your session has ended; please sign in again' } });
    stolen.take(reused);
    expect(stolen.cookies.has('classlab_session')).toBe(false);
  });

  it('without a cookie, or with a made-up one, answers 401', async () => {
    expect(await refresh(new CookieJar())).toMatchObject({ status: 401, body: { error: true, message: 'Your session has ended; please sign in again' } });
    const forged = new CookieJar();
    forged.cookies.set('classlab_session', { value: 'not-a-refresh-token', attributes: '' });
    expect((await refresh(forged)).status).toBe(401);
  });

  it('refuses refresh and sign-out without the X-Classlab-App header: 403, and the session stays', async () => {
    const { jar } = await signIn('/');
    for (const path of ['/oauth/session/refresh', '/oauth/session/sign-out']) {
      const answer = await platform.call('POST', path, { headers: { cookie: jar.header() } });
      expect(answer).toMatchObject({ status: 403, body: { error: true, message: expect.stringMatching(/X-Classlab-App: 1/) } });
    }
    expect((await refresh(jar)).status).toBe(200);
  });

  it('signs out: the refresh token and the access token are revoked, and the cookie cleared', async () => {
    const { jar } = await signIn('/');
    const refreshed = await refresh(jar);
    jar.take(refreshed);
    const accessToken: string = refreshed.body.access_token;
    const kept = new CookieJar();
    kept.cookies.set('classlab_session', { ...jar.cookies.get('classlab_session')!, attributes: '' });

    const out = await platform.call('POST', '/oauth/session/sign-out', { headers: { ...APP, cookie: jar.header(), authorization: `Bearer ${accessToken}` } });
    expect(out).toMatchObject({ status: 200, body: { error: false } });
    jar.take(out);
    expect(jar.cookies.has('classlab_session')).toBe(false);
    // The access token gets the spec's answer for a bad token; the refresh token is dead too.
    expect(await platform.call('POST', '/v1/job/list', { token: accessToken, body: {} })).toMatchObject({ status: 403, body: { error: true, message: 'Invalid API token' } });
    expect((await refresh(kept)).status).toBe(401);
  });

  it.each([
    ['//evil.example/x'],
    ['https://evil.example/'],
    ['/\\evil.example'],
    ['/\t/evil.example'],
    ['javascript:alert(1)'],
    ['courses'],
  ])('ignores a return that is not a path of this server (%j): the app opens at /', async (returnTo) => {
    expect((await signIn(returnTo)).landing).toBe('/');
  });

  it('sends a failed app sign-in back to the app sign-in page, with the reason', async () => {
    const start = await platform.call('GET', '/oauth/app/sign-in?return=/jobs');
    const jar = new CookieJar();
    jar.take(start);
    const refused = await platform.call('GET', '/oauth/callback?error=access_denied', { headers: { cookie: jar.header() } });
    expect(refused.status).toBe(302);
    const location = new URL(String(refused.headers.location), 'http://app.invalid');
    expect(location.pathname).toBe('/sign-in');
    expect(location.searchParams.get('error')).toMatch(/access_denied/);
    expect(cookieNames(refused)).not.toContain('classlab_session');
  });

  it('keeps the classic sign-in page for a sign-in started at /oauth/sign-in', async () => {
    const start = await platform.call('GET', '/oauth/sign-in');
    const jar = new CookieJar();
    jar.take(start);
    const refused = await platform.call('GET', '/oauth/callback?error=access_denied', { headers: { cookie: jar.header() } });
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/Sign-in failed/);
  });
});
