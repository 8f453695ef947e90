import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedTokenVerifier, IdentityTokenVerifier } from '../../src/auth/verifier.js';
import { loadConfig } from '../../src/config/load.js';
import { buildApiApp } from '../../src/api-app.js';
import type { HttpApp } from '../../src/http/server.js';
import { GITHUB_ENDPOINTS, GITHUB_ISSUER, GitHubProvider } from '../../src/oauth/github.js';
import { createOAuth, type OAuthServices } from '../../src/oauth/setup.js';
import { capturingLogger } from '../support/logs.js';
import { startTestPlatform, type Answer, type TestPlatform } from '../support/platform.js';
import { pkce } from './browser.js';
import { startFakeGitHub, type FakeGitHub } from './fake-github.js';

const CALLBACK = 'http://localhost:8080/oauth/callback';
const OCTOCAT = { login: 'octocat', id: 583231, email: 'octocat@github.example' };

describe('GitHub endpoints', () => {
  it('are GitHub’s own unless a test hands others to the provider', async () => {
    expect(GITHUB_ENDPOINTS).toEqual({ web: 'https://github.com', api: 'https://api.github.com' });
    const provider = new GitHubProvider({ issuer: GITHUB_ISSUER, clientId: 'id', clientSecret: 's', redirectUri: CALLBACK });
    const url = await provider.authorizationUrl({ state: 'st', codeChallenge: 'ch' });
    expect(url.origin + url.pathname).toBe('https://github.com/login/oauth/authorize');
  });
});

describe('sign-in with GitHub, against a fake GitHub on loopback', () => {
  let github: FakeGitHub;
  let provider: GitHubProvider;
  let platform: TestPlatform;
  let oauth: OAuthServices;
  let api: HttpApp;
  let logs: string[] = [];
  const userCalls = () => github.requests.filter((line) => line === 'GET /user').length;

  beforeAll(async () => {
    github = await startFakeGitHub();
    platform = await startTestPlatform();
    provider = new GitHubProvider(
      { issuer: GITHUB_ISSUER, clientId: github.clientId, clientSecret: github.clientSecret, redirectUri: CALLBACK },
      github.endpoints,
    );
    // The platform's services, with OAuth configured for GitHub as CLASSLAB_OAUTH_ISSUER=https://github.com does.
    const { logger, lines } = capturingLogger();
    const settings = { ...loadConfig({}), oauthIssuer: GITHUB_ISSUER, oauthClientId: github.clientId, oauthClientSecret: github.clientSecret };
    const { identity } = platform.services;
    const localVerifier = new CachedTokenVerifier(new IdentityTokenVerifier(identity), { ttlMs: 0 });
    oauth = createOAuth(settings, { db: platform.store.db, identity, localVerifier, logger, external: provider });
    api = await buildApiApp({ services: { ...platform.services, oauth, verifier: oauth.verifier }, logger, corsOrigins: false });
    await api.ready();
    logs = lines;
  });
  afterAll(async () => {
    await api?.close();
    oauth?.close();
    await platform?.close();
    await github?.stop();
  });

  const call = async (url: string, body: unknown, token?: string): Promise<Answer> => {
    const response = await api.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      payload: JSON.stringify(body),
    });
    return { status: response.statusCode, body: response.json(), headers: response.headers, text: response.body };
  };
  const listCourses = (token: string) => call('/v1/course/list', {}, token);

  let cached: string;

  it('sends the browser to GitHub’s authorize page with PKCE and the client id', async () => {
    const url = await provider.authorizationUrl({ state: 'state-1', codeChallenge: 'challenge-1' });
    expect(url.origin).toBe(github.endpoints.web);
    expect(url.pathname).toBe('/login/oauth/authorize');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: github.clientId,
      redirect_uri: CALLBACK,
      state: 'state-1',
      code_challenge: 'challenge-1',
      code_challenge_method: 'S256',
    });
  });

  it('exchanges a code through the provider; GitHub issues no refresh token', async () => {
    const pair = await provider.exchange({ code: github.codeFor(OCTOCAT) });
    expect(pair.token).toMatch(/^gho_/);
    expect(pair.refreshToken).toBe('');
  });

  it('exchanges a code through /v1/proxy/token, and the first use creates a student named from the login', async () => {
    const { verifier, challenge } = pkce();
    const exchanged = await call('/v1/proxy/token', { code: github.codeFor(OCTOCAT, challenge), code_verifier: verifier });
    expect(exchanged.status).toBe(200);
    expect(exchanged.body).toEqual({ token: expect.stringMatching(/^gho_/), refresh_token: '' });
    cached = exchanged.body.token;

    expect(await platform.services.identity.findUser({ name: 'octocat' })).toBeUndefined();
    expect((await listCourses(cached)).status).toBe(200);
    const user = await platform.services.identity.findUser({ name: 'octocat' });
    expect(user?.roles).toEqual(['student']);
    const introspected = await call('/v1/proxy/introspection', { token: cached });
    expect(introspected.body).toMatchObject({ active: true, username: 'octocat', roles: ['student'] });
  });

  it('asks GitHub once per token: a verified token is cached', async () => {
    const before = userCalls();
    expect((await listCourses(cached)).status).toBe(200);
    expect((await listCourses(cached)).status).toBe(200);
    expect(userCalls()).toBe(before);
  });

  it('links by GitHub user id, not by name: a login that names a local user falls back to the next name', async () => {
    const local = await platform.user('hubber');
    const token = github.tokenFor({ login: 'hubber', id: 9001, email: null });
    expect((await listCourses(token)).status).toBe(200);
    // preferred_username (the login) is taken and there is no email, so the name is the subject: GitHub's user id.
    const linked = await call('/v1/proxy/introspection', { token });
    expect(linked.body).toMatchObject({ active: true, username: '9001', roles: ['student'] });
    expect((await platform.services.identity.findUser({ name: 'hubber' }))?.id).toBe(local.id);

    // The same GitHub account, by a new token and a renamed login, is the same classlab user.
    const renamed = github.tokenFor({ login: 'hubber-renamed', id: 9001, email: null });
    expect((await call('/v1/proxy/introspection', { token: renamed })).body.username).toBe('9001');
    expect(await platform.services.identity.findUser({ name: 'hubber-renamed' })).toBeUndefined();
  });

  it('a login that names a local user in another case does not get that name either', async () => {
    // The platform's own admin is "admin"; a GitHub account called "Admin" must not look like it.
    const token = github.tokenFor({ login: 'Admin', id: 9002, email: null });
    expect((await listCourses(token)).status).toBe(200);
    const linked = await call('/v1/proxy/introspection', { token });
    expect(linked.body).toMatchObject({ active: true, username: '9002', roles: ['student'] });
  });

  it('refuses a code GitHub did not issue with 400, although GitHub answers HTTP 200', async () => {
    const exchanged = await call('/v1/proxy/token', { code: 'not-a-code' });
    expect(exchanged.status).toBe(400);
    expect(exchanged.body).toEqual({ error: true, message: expect.stringMatching(/^Exchange Token fail: bad_verification_code/) });

    const { challenge } = pkce();
    const wrongVerifier = await call('/v1/proxy/token', { code: github.codeFor(OCTOCAT, challenge), code_verifier: pkce().verifier });
    expect(wrongVerifier.status).toBe(400);
  });

  it('answers 500 when classlab’s own client credentials are wrong: not the caller’s fault', async () => {
    const misconfigured = new GitHubProvider(
      { issuer: GITHUB_ISSUER, clientId: github.clientId, clientSecret: 'wrong', redirectUri: CALLBACK },
      github.endpoints,
    );
    await expect(misconfigured.exchange({ code: github.codeFor(OCTOCAT) })).rejects.toMatchObject({
      refused: false,
      message: expect.stringMatching(/^incorrect_client_credentials/),
    });
  });

  it('refuses a token GitHub does not know with 403 Invalid API token', async () => {
    const before = userCalls();
    expect(await listCourses('gho_nobodyissuedthis')).toMatchObject({ status: 403, body: { error: true, message: 'Invalid API token' } });
    expect(userCalls()).toBe(before + 1);
  });

  it('during an outage: cached tokens keep working, new ones answer 500 verify token fail, exchanges 500', async () => {
    const unverified = github.tokenFor({ login: 'late', id: 4242, email: 'late@github.example' });
    await github.stop();

    expect((await listCourses(cached)).status).toBe(200);
    const fresh = await listCourses(unverified);
    expect(fresh.status).toBe(500);
    expect(fresh.body).toEqual({ error: true, message: expect.stringMatching(/^verify token fail: .+/) });

    const exchanged = await call('/v1/proxy/token', { code: 'any-code' });
    expect(exchanged.status).toBe(500);
    expect(exchanged.body).toEqual({ error: true, message: expect.stringMatching(/^Exchange Token fail: .+/) });
  });

  it('keeps GitHub tokens and the client secret out of the logs', () => {
    const text = logs.join('');
    expect(text).not.toBe('');
    expect(text).not.toContain(cached);
    expect(text).not.toContain(github.clientSecret);
  });
});
