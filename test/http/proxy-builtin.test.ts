import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestUser } from '../support/platform.js';
import { FORM, form, openLoginPage, pkce, signInForCode, submitLogin } from '../oauth/browser.js';

const CALLBACK = 'http://localhost:8080/oauth/callback';
const proxyClient = (extra: Record<string, string> = {}) => ({
  response_type: 'code',
  client_id: 'classlab-web',
  redirect_uri: CALLBACK,
  ...extra,
});

describe('sign-in with the built-in provider, through the proxy', () => {
  let platform: TestPlatform;
  let student: TestUser;

  beforeAll(async () => {
    platform = await startTestPlatform();
    student = await platform.user('sam', ['student', 'teacher']);
  });
  afterAll(() => platform?.close());

  it('authorize → login form → code → /v1/proxy/token → a protected route → refresh → reuse revokes the family', async () => {
    const { verifier, challenge } = pkce();
    const { code, location } = await signInForCode(
      platform,
      student,
      proxyClient({ state: 'xyz', code_challenge: challenge, code_challenge_method: 'S256' }),
    );
    expect(location.origin + location.pathname).toBe(CALLBACK);
    expect(location.searchParams.get('state')).toBe('xyz');

    const exchanged = await platform.call('POST', '/v1/proxy/token', { body: { code, code_verifier: verifier } });
    expect(exchanged.status).toBe(200);
    expect(Object.keys(exchanged.body).sort()).toEqual(['refresh_token', 'token']);
    const first = exchanged.body as { token: string; refresh_token: string };

    const listed = await platform.call('POST', '/v1/course/list', { token: first.token, body: {} });
    expect(listed.status).toBe(200);

    const introspected = await platform.call('POST', '/v1/proxy/introspection', { body: { token: first.token } });
    expect(introspected.status).toBe(200);
    expect(introspected.body).toMatchObject({ active: true, username: 'sam', scope: 'profile', roles: ['student', 'teacher'] });
    expect(introspected.body.exp).toBeGreaterThan(Date.now() / 1000 + 3000);

    const refreshed = await platform.call('POST', '/v1/proxy/refresh', { body: { refresh_token: first.refresh_token } });
    expect(refreshed.status).toBe(200);
    const second = refreshed.body as { token: string; refresh_token: string };
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await platform.call('POST', '/v1/course/list', { token: second.token, body: {} })).status).toBe(200);

    // The first refresh token was rotated away: presenting it again means it leaked.
    const reused = await platform.call('POST', '/v1/proxy/refresh', { body: { refresh_token: first.refresh_token } });
    expect(reused.status).toBe(400);
    expect(reused.body).toEqual({ error: true, message: expect.stringMatching(/^Exchange Token fail: invalid_grant: /) });
    // ...and the whole family is gone: the newest refresh token and every access token.
    const afterReuse = await platform.call('POST', '/v1/proxy/refresh', { body: { refresh_token: second.refresh_token } });
    expect(afterReuse.status).toBe(400);
    expect((await platform.call('POST', '/v1/course/list', { token: second.token, body: {} })).body).toEqual({ error: true, message: 'Invalid API token' });
    expect((await platform.call('POST', '/v1/course/list', { token: first.token, body: {} })).status).toBe(403);
    expect((await platform.call('POST', '/v1/proxy/introspection', { body: { token: second.token } })).body).toEqual({ active: false });
  });

  it('takes only {code}, as the original UI sends it, without state or PKCE', async () => {
    const { code } = await signInForCode(platform, student, proxyClient());
    const exchanged = await platform.call('POST', '/v1/proxy/token', { body: { code } });
    expect(exchanged.status).toBe(200);
  });

  it('a code works once; its second use revokes what the first one got', async () => {
    const { code } = await signInForCode(platform, student, proxyClient());
    const first = await platform.call('POST', '/v1/proxy/token', { body: { code } });
    expect(first.status).toBe(200);
    const second = await platform.call('POST', '/v1/proxy/token', { body: { code } });
    expect(second).toMatchObject({ status: 400, body: { error: true, message: expect.stringMatching(/^Exchange Token fail: invalid_grant/) } });
    expect((await platform.call('POST', '/v1/course/list', { token: first.body.token, body: {} })).status).toBe(403);
    expect((await platform.call('POST', '/v1/proxy/refresh', { body: { refresh_token: first.body.refresh_token } })).status).toBe(400);
  });

  it('a code issued with a challenge needs its verifier, and the right one', async () => {
    const { challenge } = pkce();
    const withChallenge = () => signInForCode(platform, student, proxyClient({ code_challenge: challenge, code_challenge_method: 'S256' }));
    const missing = await platform.call('POST', '/v1/proxy/token', { body: { code: (await withChallenge()).code } });
    expect(missing).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^Exchange Token fail: invalid_grant: .*code_verifier/) } });
    const wrong = await platform.call('POST', '/v1/proxy/token', { body: { code: (await withChallenge()).code, code_verifier: pkce().verifier } });
    expect(wrong).toMatchObject({ status: 400, body: { message: 'Exchange Token fail: invalid_grant: Invalid grant: code verifier is invalid' } });
  });

  it('refuses the plain PKCE method', async () => {
    const page = await platform.call('GET', `/oauth/authorize?${new URLSearchParams(proxyClient({ code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }))}`);
    expect(page.status).toBe(302);
    const location = new URL(String(page.headers.location));
    expect(location.searchParams.get('error')).toBe('invalid_request');
  });

  it('an unknown code or refresh token is the caller\'s fault: 400 Exchange Token fail', async () => {
    const code = await platform.call('POST', '/v1/proxy/token', { body: { code: 'no-such-code' } });
    expect(code).toEqual(expect.objectContaining({ status: 400, body: { error: true, message: 'Exchange Token fail: invalid_grant: Invalid grant: authorization code is invalid' } }));
    const refresh = await platform.call('POST', '/v1/proxy/refresh', { body: { refresh_token: 'no-such-token' } });
    expect(refresh.status).toBe(400);
    expect(refresh.body.message).toMatch(/^Exchange Token fail: invalid_grant/);
  });

  describe('the spec\'s 400: Failed to parse spec request request', () => {
    it.each([
      ['/v1/proxy/token', '{not json'],
      ['/v1/proxy/token', {}],
      ['/v1/proxy/token', { code: 5 }],
      ['/v1/proxy/token', { code: '' }],
      ['/v1/proxy/token', { code: 'c', code_verifier: 'short' }],
      ['/v1/proxy/refresh', '{not json'],
      ['/v1/proxy/refresh', {}],
      ['/v1/proxy/refresh', { refresh_token: null }],
      ['/v1/proxy/introspection', '{not json'],
      ['/v1/proxy/introspection', { token: 5 }],
    ])('%s with %j', async (url, body) => {
      const answer = await platform.call('POST', url, { body });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ error: true, message: expect.stringMatching(/^Failed to parse spec request request: .+/) });
    });
  });

  describe('introspection answers {"active": false} without a token worth anything', () => {
    it.each([
      ['no body', undefined],
      ['no token', {}],
      ['a null token', { token: null }],
      ['an empty token', { token: '' }],
      ['an unknown token', { token: 'AAAAAAAAAAAAAAAAAAAAAA' }],
      ['a malformed token', { token: 'not a token' }],
    ])('%s', async (_case, body) => {
      const answer = await platform.call('POST', '/v1/proxy/introspection', body === undefined ? {} : { body });
      expect(answer).toMatchObject({ status: 200, body: { active: false } });
      expect(Object.keys(answer.body)).toEqual(['active']);
    });

    it('an identity token is active too, without a scope', async () => {
      const answer = await platform.call('POST', '/v1/proxy/introspection', { body: { token: student.token } });
      expect(answer.body).toMatchObject({ active: true, username: 'sam', roles: ['student', 'teacher'] });
    });
  });

  describe('the login form', () => {
    it('refuses a post without the CSRF cookie, or with another token', async () => {
      const page = await openLoginPage(platform, proxyClient());
      const noCookie = await platform.call('POST', '/oauth/authorize', {
        headers: FORM,
        body: form({ ...page.fields, username: student.name, password: student.password }),
      });
      expect(noCookie.status).toBe(403);
      expect(noCookie.headers.location).toBeUndefined();
      const forged = await submitLogin(platform, { ...page, fields: { ...page.fields, csrf: 'forged-token-of-another-page' } }, student.name, student.password);
      expect(forged.status).toBe(403);
    });

    it('says so on a wrong password, and shows the form again', async () => {
      const page = await openLoginPage(platform, proxyClient());
      const answer = await submitLogin(platform, page, student.name, 'wrong-password');
      expect(answer.status).toBe(401);
      expect(answer.text).toContain('Wrong user name or password.');
      expect(answer.text).toContain('name="password"');
      const unknown = await submitLogin(platform, page, 'nobody-here', 'whatever-password');
      expect(unknown.status).toBe(401);
    });

    it('is not shown for an unknown client or a redirect URI that is not exactly a registered one', async () => {
      for (const query of [
        proxyClient({ client_id: 'stranger' }),
        proxyClient({ redirect_uri: `${CALLBACK}/` }),
        proxyClient({ redirect_uri: `${CALLBACK}?x=1` }),
        proxyClient({ redirect_uri: 'https://evil.example/cb' }),
      ]) {
        const answer = await platform.call('GET', `/oauth/authorize?${new URLSearchParams(query)}`);
        expect(answer.status).toBe(400);
        expect(answer.headers.location).toBeUndefined();
        expect(answer.headers['content-type']).toMatch(/^text\/html/);
      }
    });

    it('cannot be framed, runs no scripts, and escapes what it echoes', async () => {
      const answer = await platform.call('GET', `/oauth/authorize?${new URLSearchParams(proxyClient({ state: '"><script>alert(1)</script>' }))}`);
      expect(answer.status).toBe(200);
      expect(answer.headers['x-frame-options']).toBe('DENY');
      expect(String(answer.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
      expect(answer.text).not.toContain('<script>');
    });
  });

  it('publishes RFC 8414 metadata', async () => {
    const answer = await platform.call('GET', '/.well-known/oauth-authorization-server');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      issuer: 'http://localhost:8080',
      authorization_endpoint: 'http://localhost:8080/oauth/authorize',
      token_endpoint: 'http://localhost:8080/oauth/token',
      introspection_endpoint: 'http://localhost:8080/oauth/introspect',
      revocation_endpoint: 'http://localhost:8080/oauth/revoke',
      code_challenge_methods_supported: ['S256'],
    });
  });

  it('keeps codes, tokens, secrets and passwords out of the logs', async () => {
    const { verifier, challenge } = pkce();
    const { code } = await signInForCode(platform, student, proxyClient({ code_challenge: challenge, code_challenge_method: 'S256' }));
    const pair = (await platform.call('POST', '/v1/proxy/token', { body: { code, code_verifier: verifier } })).body;
    await platform.call('POST', '/v1/proxy/refresh', { body: { refresh_token: pair.refresh_token } });
    await platform.call('POST', '/v1/proxy/refresh', { body: { refresh_token: pair.refresh_token } });
    await platform.call('POST', '/v1/proxy/introspection', { body: { token: pair.token } });
    const logged = platform.logs.join('');
    expect(logged).toContain('/v1/proxy/refresh'); // the requests are logged...
    for (const secret of [code, verifier, pair.token, pair.refresh_token, student.password]) expect(logged).not.toContain(secret);
  });
});
