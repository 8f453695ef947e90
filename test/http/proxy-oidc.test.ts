import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { pkce } from '../oauth/browser.js';
import { settingsFor, startOidcProvider, type RunningProvider } from '../oauth/oidc-provider.js';

const CALLBACK = 'http://localhost:8080/oauth/callback';

describe('sign-in with an external OpenID Connect provider, and its outage', () => {
  let provider: RunningProvider;
  let platform: TestPlatform;

  beforeAll(async () => {
    provider = await startOidcProvider(CALLBACK);
    platform = await startTestPlatform({
      settings: settingsFor(provider, CALLBACK),
    });
  });
  afterAll(async () => {
    await platform?.close();
    await provider?.stop();
  });

  const signIn = async (login: string) => {
    const { verifier, challenge } = pkce();
    const code = await provider.codeFor(login, {
      client_id: provider.clientId,
      response_type: 'code',
      scope: 'openid profile email',
      redirect_uri: CALLBACK,
      state: 'state-1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    return { code, verifier };
  };

  let verifiedBefore: string;
  let neverVerified: string;

  it('exchanges the code, verifies the token, creates a student with mapped roles, and refreshes', async () => {
    const { code, verifier } = await signIn('alice');
    const exchanged = await platform.call('POST', '/v1/proxy/token', { body: { code, code_verifier: verifier } });
    expect(exchanged.status).toBe(200);
    const { token, refresh_token: refreshToken } = exchanged.body as { token: string; refresh_token: string };
    expect(refreshToken).not.toBe('');

    expect((await platform.call('POST', '/v1/course/list', { token, body: {} })).status).toBe(200);
    const user = await platform.services.identity.findUser({ name: 'ext-alice' });
    expect(user?.roles).toEqual(['student']);
    const introspected = await platform.call('POST', '/v1/proxy/introspection', { body: { token } });
    expect(introspected.body).toMatchObject({ active: true, username: 'ext-alice', roles: ['student', 'teacher'] });

    // A teacher by the provider's claim may create a course.
    const created = await platform.call('POST', '/v1/course/create', { token, body: { name: 'from oidc', image: 'i', level: 'basic', GPU: 0 } });
    expect(created.status).toBe(200);

    const refreshed = await platform.call('POST', '/v1/proxy/refresh', { body: { refresh_token: refreshToken } });
    expect(refreshed.status).toBe(200);
    expect((await platform.call('POST', '/v1/course/list', { token: refreshed.body.token, body: {} })).status).toBe(200);
    verifiedBefore = refreshed.body.token;

    const second = await signIn('alice');
    neverVerified = (await platform.call('POST', '/v1/proxy/token', { body: { code: second.code, code_verifier: second.verifier } })).body.token;
    expect(await platform.services.identity.findUser({ name: 'ext-alice-2' })).toBeUndefined();
  });

  it('refuses a token the provider does not know, and a code it did not issue', async () => {
    expect((await platform.call('POST', '/v1/course/list', { token: 'an-opaque-token-nobody-issued', body: {} })).body).toEqual({
      error: true,
      message: 'Invalid API token',
    });
    const exchanged = await platform.call('POST', '/v1/proxy/token', { body: { code: 'not-a-code' } });
    expect(exchanged.status).toBe(400);
    expect(exchanged.body.message).toMatch(/^Exchange Token fail: invalid_grant/);
  });

  it('during an outage: verified tokens keep working, new ones answer 500 verify token fail, exchanges 500', async () => {
    await provider.stop();
    expect((await platform.call('POST', '/v1/course/list', { token: verifiedBefore, body: {} })).status).toBe(200);

    const fresh = await platform.call('POST', '/v1/course/list', { token: neverVerified, body: {} });
    expect(fresh.status).toBe(500);
    expect(fresh.body).toEqual({ error: true, message: expect.stringMatching(/^verify token fail: .+/) });

    const exchanged = await platform.call('POST', '/v1/proxy/token', { body: { code: 'any-code' } });
    expect(exchanged.status).toBe(500);
    expect(exchanged.body).toEqual({ error: true, message: expect.stringMatching(/^Exchange Token fail: .+/) });
    const refreshed = await platform.call('POST', '/v1/proxy/refresh', { body: { refresh_token: 'any-token' } });
    expect(refreshed.status).toBe(500);
    expect(refreshed.body.message).toMatch(/^Exchange Token fail: .+/);

    const introspected = await platform.call('POST', '/v1/proxy/introspection', { body: { token: neverVerified } });
    expect(introspected.status).toBe(500);

    // The server stays up.
    expect((await platform.call('GET', '/v1/course/level/basic')).status).toBe(200);
  });

  it('keeps provider tokens and codes out of the logs', () => {
    const logged = platform.logs.join('');
    expect(logged).not.toContain(verifiedBefore);
    expect(logged).not.toContain(neverVerified);
    expect(logged).not.toContain(provider.clientSecret);
  });
});
