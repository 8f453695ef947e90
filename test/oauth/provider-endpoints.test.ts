import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestUser } from '../support/platform.js';
import { FORM, form, pkce, signInForCode } from './browser.js';

const LEGACY = { id: 'legacy-ui', secret: 'legacy-ui-secret-0123456789', redirectUris: ['https://ui.lab.example/callback'], scopes: ['profile'] };
const SPA = { id: 'spa', redirectUris: ['https://spa.lab.example/cb'], scopes: ['profile'] };
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('the built-in provider\'s endpoints, for clients registered by configuration', () => {
  let platform: TestPlatform;
  let user: TestUser;

  beforeAll(async () => {
    platform = await startTestPlatform({ settings: { oauthClients: [LEGACY, SPA], oauthRateLimit: 5 } });
    user = await platform.user('rita');
  });
  afterAll(() => platform?.close());

  const tokenRequest = (fields: Record<string, string>, authorization?: string) =>
    platform.call('POST', '/oauth/token', { headers: { ...FORM, ...(authorization ? { authorization } : {}) }, body: form(fields) });

  it('a confidential client: code → tokens, introspection, revocation of the family', async () => {
    const { code } = await signInForCode(platform, user, { response_type: 'code', client_id: LEGACY.id, redirect_uri: LEGACY.redirectUris[0] as string });
    const issued = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: LEGACY.redirectUris[0] as string }, basic(LEGACY.id, LEGACY.secret));
    expect(issued.status).toBe(200);
    expect(issued.headers['cache-control']).toBe('no-store');
    expect(issued.body).toMatchObject({ token_type: 'Bearer', scope: 'profile' });
    const { access_token: access, refresh_token: refresh } = issued.body as { access_token: string; refresh_token: string };

    const introspect = (token: string, authorization = basic(LEGACY.id, LEGACY.secret)) =>
      platform.call('POST', '/oauth/introspect', { headers: { ...FORM, authorization }, body: form({ token }) });
    expect((await introspect(access)).body).toMatchObject({ active: true, username: 'rita', client_id: LEGACY.id, scope: 'profile' });
    expect((await introspect(refresh)).body).toMatchObject({ active: true, token_type: 'refresh_token' });
    expect((await introspect(access, basic(LEGACY.id, 'a-wrong-secret-of-some-length'))).status).toBe(401);

    const revoked = await platform.call('POST', '/oauth/revoke', { headers: { ...FORM, authorization: basic(LEGACY.id, LEGACY.secret) }, body: form({ token: refresh }) });
    expect(revoked.status).toBe(200);
    expect((await introspect(refresh)).body).toEqual({ active: false });
    expect((await introspect(access)).body).toEqual({ active: false });
    expect((await platform.call('POST', '/v1/course/list', { token: access, body: {} })).status).toBe(403);
  });

  it('a confidential client with a wrong secret is refused', async () => {
    const { code } = await signInForCode(platform, user, { response_type: 'code', client_id: LEGACY.id });
    const answer = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: LEGACY.redirectUris[0] as string }, basic(LEGACY.id, 'not-the-secret-at-all'));
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_client');
  });

  it('a public client must use PKCE, and gets tokens with its verifier', async () => {
    const refused = await platform.call('GET', `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: SPA.id })}`);
    expect(refused.status).toBe(302);
    expect(new URL(String(refused.headers.location)).searchParams.get('error')).toBe('invalid_request');
    const { verifier, challenge } = pkce();
    const { code } = await signInForCode(platform, user, { response_type: 'code', client_id: SPA.id, code_challenge: challenge, code_challenge_method: 'S256' });
    const answer = await tokenRequest({ grant_type: 'authorization_code', client_id: SPA.id, code, code_verifier: verifier, redirect_uri: SPA.redirectUris[0] as string });
    expect(answer.status).toBe(200);
  });

  it('rate-limits the token endpoint and the proxy with 429 in each one\'s envelope', async () => {
    let oauth = await tokenRequest({ grant_type: 'refresh_token', refresh_token: 'x' }, basic(LEGACY.id, LEGACY.secret));
    for (let i = 0; i < 6 && oauth.status !== 429; i += 1) oauth = await tokenRequest({ grant_type: 'refresh_token', refresh_token: 'x' }, basic(LEGACY.id, LEGACY.secret));
    expect(oauth.status).toBe(429);
    expect(oauth.body).toMatchObject({ error: 'too_many_requests' });

    let proxy = await platform.call('POST', '/v1/proxy/refresh', { body: { refresh_token: 'x' } });
    for (let i = 0; i < 6 && proxy.status !== 429; i += 1) proxy = await platform.call('POST', '/v1/proxy/refresh', { body: { refresh_token: 'x' } });
    expect(proxy.status).toBe(429);
    expect(proxy.body).toEqual({ error: true, message: expect.stringMatching(/^Too many requests/) });
  });
});
