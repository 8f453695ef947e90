import { decodeJwt, decodeProtectedHeader, generateKeyPair, importJWK, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { pkce } from './browser.js';
import { settingsFor, startOidcProvider, type RunningProvider } from './oidc-provider.js';

const CALLBACK = 'http://localhost:8080/oauth/callback';

describe('JWT access tokens of an external OpenID Connect provider', () => {
  let provider: RunningProvider;
  let platform: TestPlatform;

  beforeAll(async () => {
    provider = await startOidcProvider(CALLBACK, { jwtAccessTokens: true });
    platform = await startTestPlatform({
      settings: settingsFor(provider, CALLBACK),
    });
  });
  afterAll(async () => {
    await platform?.close();
    await provider?.stop();
  });

  const listCourses = (token: string) => platform.call('POST', '/v1/course/list', { token, body: {} });
  const askedForIdentity = () => provider.requests.filter((line) => /\/(me|token\/introspection)$/.test(line));

  /** A token signed with the provider's own key, as the provider would issue it, with `changes` applied. */
  const signed = async (changes: JWTPayload) => {
    const now = Math.floor(Date.now() / 1000);
    const sub = changes.sub ?? 'mallory';
    const claims = {
      iss: provider.issuer,
      aud: provider.clientId,
      sub,
      client_id: provider.clientId,
      preferred_username: `ext-${sub}`,
      scope: 'openid profile email',
      iat: now,
      exp: now + 600,
      ...changes,
    };
    const key = await importJWK(provider.signingKey, 'RS256');
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: provider.signingKey.kid, typ: 'at+jwt' }).sign(key);
  };

  let token: string;

  it('the provider issues a signed JWT for classlab as audience, through /v1/proxy/token', async () => {
    const { verifier, challenge } = pkce();
    const code = await provider.codeFor('bob', {
      client_id: provider.clientId,
      response_type: 'code',
      scope: 'openid profile email',
      redirect_uri: CALLBACK,
      state: 'state-1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const exchanged = await platform.call('POST', '/v1/proxy/token', { body: { code, code_verifier: verifier } });
    expect(exchanged.status).toBe(200);
    token = exchanged.body.token;
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RS256', typ: 'at+jwt', kid: provider.signingKey.kid });
    expect(decodeJwt(token)).toMatchObject({ iss: provider.issuer, aud: provider.clientId, sub: 'bob', classlab_roles: ['lab-teacher', 'other'] });
  });

  it('accepts the JWT against the provider’s keys, without asking userinfo or introspection', async () => {
    expect((await listCourses(token)).status).toBe(200);
    expect(askedForIdentity()).toEqual([]);
    expect(provider.requests).toContain('GET /jwks');

    // The first use created a student; the token's claim adds the mapped teacher role.
    expect((await platform.services.identity.findUser({ name: 'ext-bob' }))?.roles).toEqual(['student']);
    const introspected = await platform.call('POST', '/v1/proxy/introspection', { body: { token } });
    expect(introspected.body).toMatchObject({ active: true, username: 'ext-bob', roles: ['student', 'teacher'], exp: decodeJwt(token).exp });
    const created = await platform.call('POST', '/v1/course/create', { token, body: { name: 'from a jwt', image: 'i', level: 'basic', GPU: 0 } });
    expect(created.status).toBe(200);
  });

  it('verifies a new JWT with the keys it already holds: no request to the provider at all', async () => {
    const before = provider.requests.length;
    const fresh = await signed({ sub: 'carol' });
    expect((await listCourses(fresh)).status).toBe(200);
    expect(provider.requests.length).toBe(before);
    expect(await platform.services.identity.findUser({ name: 'ext-carol' })).toBeDefined();
  });

  it('refuses a JWT for another audience with 403 Invalid API token', async () => {
    const elsewhere = await signed({ aud: 'another-api', client_id: 'another-client', sub: 'eve-1' });
    expect(await listCourses(elsewhere)).toMatchObject({ status: 403, body: { error: true, message: 'Invalid API token' } });
    expect(await platform.services.identity.findUser({ name: 'ext-eve-1' })).toBeUndefined();
  });

  it('refuses an expired JWT with 403 Access token expired, as DESIGN.md’s auth table says', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await signed({ sub: 'eve-2', iat: now - 3600, exp: now - 600 });
    expect(await listCourses(expired)).toMatchObject({ status: 403, body: { error: true, message: 'Access token expired' } });
  });

  it('refuses a JWT whose payload was changed after signing with 403 Invalid API token', async () => {
    const [header, payload, signature] = (await signed({ sub: 'eve-3' })).split('.');
    const forged = Buffer.from(JSON.stringify({ ...decodeJwt(`${header}.${payload}.${signature}`), sub: 'bob' })).toString('base64url');
    expect(await listCourses(`${header}.${forged}.${signature}`)).toMatchObject({ status: 403, body: { error: true, message: 'Invalid API token' } });
    const flipped = `${header}.${payload}.${signature?.startsWith('A') ? 'B' : 'A'}${signature?.slice(1)}`;
    expect(await listCourses(flipped)).toMatchObject({ status: 403, body: { message: 'Invalid API token' } });
    expect(await platform.services.identity.findUser({ name: 'ext-eve-3' })).toBeUndefined();
  });

  it('refuses a JWT signed by another issuer’s key under the provider’s name', async () => {
    const now = Math.floor(Date.now() / 1000);
    const { privateKey } = await generateKeyPair('RS256');
    const foreign = await new SignJWT({ iss: provider.issuer, aud: provider.clientId, sub: 'eve-4', iat: now, exp: now + 600 })
      .setProtectedHeader({ alg: 'RS256', kid: provider.signingKey.kid })
      .sign(privateKey);
    expect(await listCourses(foreign)).toMatchObject({ status: 403, body: { message: 'Invalid API token' } });
  });

  it('never asked userinfo or introspection for any of these tokens', () => {
    expect(askedForIdentity()).toEqual([]);
  });
});
