import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { CookieJar } from './browser.js';
import { settingsFor, startOidcProvider, type RunningProvider } from './oidc-provider.js';

const CALLBACK = 'http://localhost:8080/oauth/callback';
const APP = { 'x-classlab-app': '1' };

describe('the web app session with an external OpenID Connect provider', () => {
  let provider: RunningProvider;
  let platform: TestPlatform;

  beforeAll(async () => {
    provider = await startOidcProvider(CALLBACK, { revocation: true });
    platform = await startTestPlatform({ settings: settingsFor(provider, CALLBACK) });
  });
  afterAll(async () => {
    await platform?.close();
    await provider?.stop();
  });

  it('signs in at the provider, refreshes, and signs out, revoking the refresh token there', async () => {
    const jar = new CookieJar();
    const start = await platform.call('GET', '/oauth/app/sign-in?return=/jobs');
    expect(start.status).toBe(302);
    jar.take(start);
    const authorize = new URL(String(start.headers.location));
    expect(authorize.origin).toBe(provider.issuer);
    const code = await provider.codeFor('alice', Object.fromEntries(authorize.searchParams));
    const state = authorize.searchParams.get('state') ?? '';

    const back = await platform.call('GET', `/oauth/callback?${new URLSearchParams({ code, state })}`, { headers: { cookie: jar.header() } });
    expect(back.status, back.text).toBe(302);
    expect(back.headers.location).toBe('/jobs');
    jar.take(back);

    const refreshed = await platform.call('POST', '/oauth/session/refresh', { headers: { ...APP, cookie: jar.header() } });
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(refreshed.body).toMatchObject({ error: false, user: { name: 'ext-alice', roles: ['student', 'teacher'] } });
    expect(refreshed.body.expires_in).toBeGreaterThan(0);
    jar.take(refreshed);
    expect((await platform.call('POST', '/v1/course/list', { token: refreshed.body.access_token, body: {} })).status).toBe(200);

    const kept = new CookieJar();
    kept.cookies.set('classlab_session', { ...jar.cookies.get('classlab_session')!, attributes: '' });
    const out = await platform.call('POST', '/oauth/session/sign-out', {
      headers: { ...APP, cookie: jar.header(), authorization: `Bearer ${refreshed.body.access_token}` },
    });
    expect(out).toMatchObject({ status: 200, body: { error: false } });
    expect(provider.requests).toContain('POST /token/revocation');
    expect((await platform.call('POST', '/oauth/session/refresh', { headers: { ...APP, cookie: kept.header() } })).status).toBe(401);
  });
});
