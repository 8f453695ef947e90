import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CachedTokenVerifier, TokenRejectedError, type TokenVerifier, type VerifiedToken } from '../../src/auth/verifier.js';
import { buildApiApp } from '../../src/api-app.js';
import { hashToken } from '../../src/identity/tokens.js';
import { tokens } from '../../src/store/schema.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

const SOME_ID = '3fa85f64-5717-4562-b3fc-2c963f66afa6';

/** Every protected v1 route, with a body it would accept. */
const protectedRoutes = [
  ['POST', '/v1/course/list', {}],
  ['POST', '/v1/course/create', { name: 'n', image: 'i', level: 'basic', GPU: 0 }],
  ['DELETE', `/v1/course/delete/${SOME_ID}`, undefined],
  ['DELETE', '/v1/auth/delete', undefined],
  ['POST', '/v1/health/databaseAuth', { message: 'm' }],
] as const;

describe('bearer authentication on every protected route', () => {
  let platform: TestPlatform;
  let expired: string;
  let revoked: string;

  beforeAll(async () => {
    platform = await startTestPlatform();
    const user = await platform.user('auth-table');
    expired = (await platform.services.identity.authenticate(user.name, user.password)).token;
    await platform.store.db.update(tokens).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(tokens.hash, hashToken(expired)));
    revoked = (await platform.services.identity.authenticate(user.name, user.password)).token;
    await platform.services.identity.invalidate(revoked);
  });
  afterAll(() => platform?.close());

  describe.each(protectedRoutes)('%s %s', (method, url, body) => {
    const cases: Array<[string, Record<string, string>, number, string]> = [
      ['no Authorization header', {}, 401, 'Authorization header is missing'],
      ['a Basic header', { authorization: 'Basic dXNlcjpwYXNz' }, 401, 'Authorization header is not Bearer Token format or token is missing'],
      ['Bearer without a token', { authorization: 'Bearer' }, 401, 'Authorization header is not Bearer Token format or token is missing'],
      ['Bearer with two words', { authorization: 'Bearer a b' }, 401, 'Authorization header is not Bearer Token format or token is missing'],
      ['an unknown token', { authorization: 'Bearer AAAAAAAAAAAAAAAAAAAAAA' }, 403, 'Invalid API token'],
      ['a malformed token', { authorization: 'Bearer not-even-close' }, 403, 'Invalid API token'],
    ];
    it.each(cases)('%s', async (_case, headers, status, message) => {
      const answer = await platform.call(method, url, { headers, ...(body ? { body } : {}) });
      expect(answer.status).toBe(status);
      expect(answer.body).toEqual({ error: true, message });
    });

    it('a revoked token: 403 Invalid API token', async () => {
      const answer = await platform.call(method, url, { token: revoked, ...(body ? { body } : {}) });
      expect(answer).toMatchObject({ status: 403, body: { error: true, message: 'Invalid API token' } });
    });

    it('an expired token: 403 Access token expired', async () => {
      const answer = await platform.call(method, url, { token: expired, ...(body ? { body } : {}) });
      expect(answer).toMatchObject({ status: 403, body: { error: true, message: 'Access token expired' } });
    });

    it('authentication comes before parsing: an unauthenticated malformed body is still a 401', async () => {
      const answer = await platform.call(method, url, { body: '{not json' });
      expect(answer.status).toBe(401);
    });
  });

  it('the lowercase scheme "bearer" is accepted', async () => {
    const user = await platform.user('lowercase');
    const answer = await platform.call('POST', '/v1/health/databaseAuth', { headers: { authorization: `bearer ${user.token}` }, body: {} });
    expect(answer.status).toBe(200);
  });

  it('public routes ignore a bad Authorization header', async () => {
    const answer = await platform.call('GET', '/v1/course/level/basic', { headers: { authorization: 'Basic x' } });
    expect(answer.status).toBe(200);
  });

  it("a course's details are public: no token, the anonymous page's `Bearer null`, or a dead token", async () => {
    const teacher = await platform.user('public-details', ['teacher']);
    const { id } = (await platform.call('POST', '/v1/course/create', { token: teacher.token, body: { name: 'open', image: 'jupyter/base-notebook', level: 'basic', GPU: 0 } })).body;
    for (const headers of [{}, { authorization: 'Bearer null' }, { authorization: 'Basic x' }, { authorization: `Bearer ${expired}` }, { authorization: `Bearer ${revoked}` }] as Record<string, string>[]) {
      const answer = await platform.call('GET', `/v1/course/get/${id}`, { headers });
      expect(answer.status).toBe(200);
      expect(answer.body.course).toMatchObject({ id, name: 'open', user: 'public-details' });
    }
  });
});

describe('when the verifier itself fails', () => {
  it('answers 500 verify token fail: <detail>', async () => {
    const platform = await startTestPlatform();
    const failing: TokenVerifier = {
      verify: () => Promise.reject(new Error('provider unreachable')),
    };
    const api = await buildApiApp({ services: { ...platform.services, verifier: failing }, logger: platform.api.log, corsOrigins: false });
    const answer = await api.inject({ method: 'POST', url: '/v1/course/list', headers: { authorization: 'Bearer x' }, payload: {} });
    expect(answer.statusCode).toBe(500);
    expect(answer.json()).toEqual({ error: true, message: 'verify token fail: provider unreachable' });
    await api.close();
    await platform.close();
  });

  it('answers 500 verify token fail when the database is down, and keeps serving', async () => {
    const platform = await startTestPlatform({ settings: { tokenCacheMs: 0 } });
    const user = await platform.user('db-down');
    await platform.store.close();
    const answer = await platform.call('POST', '/v1/course/list', { token: user.token, body: {} });
    expect(answer.status).toBe(500);
    expect(answer.body.message).toMatch(/^verify token fail: .+/);
    expect((await platform.call('GET', '/v1/nowhere')).status).toBe(404);
    await Promise.allSettled([platform.api.close(), platform.identityApp.close()]);
  });
});

describe('the token cache', () => {
  function countingVerifier(): TokenVerifier & { calls: number } {
    return {
      calls: 0,
      async verify(token: string): Promise<VerifiedToken> {
        this.calls += 1;
        if (token === 'bad') throw new TokenRejectedError('invalid');
        return { principal: { userId: 'u', name: token, roles: [] }, expiresAt: new Date(Date.now() + 60_000) };
      },
    };
  }

  it('a token seen recently costs no second lookup; concurrent first uses share one', async () => {
    const inner = countingVerifier();
    const cached = new CachedTokenVerifier(inner, { ttlMs: 60_000 });
    await Promise.all(Array.from({ length: 20 }, () => cached.verify('t1')));
    expect(inner.calls).toBe(1);
    await cached.verify('t1');
    expect(inner.calls).toBe(1);
    await cached.verify('t2');
    expect(inner.calls).toBe(2);
  });

  it('does not remember refusals', async () => {
    const inner = countingVerifier();
    const cached = new CachedTokenVerifier(inner, { ttlMs: 60_000 });
    await expect(cached.verify('bad')).rejects.toBeInstanceOf(TokenRejectedError);
    await expect(cached.verify('bad')).rejects.toBeInstanceOf(TokenRejectedError);
    expect(inner.calls).toBe(2);
  });

  it('asks again once an entry runs out, or after clear()', async () => {
    const inner = countingVerifier();
    const cached = new CachedTokenVerifier(inner, { ttlMs: 50 });
    await cached.verify('t1');
    await new Promise((resolve) => setTimeout(resolve, 80));
    await cached.verify('t1');
    expect(inner.calls).toBe(2);
    cached.clear();
    await cached.verify('t1');
    expect(inner.calls).toBe(3);
  });

  it('refuses a cached token once its own expiry passes', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const inner: TokenVerifier = {
      verify: async () => ({ principal: { userId: 'u', name: 'n', roles: [] }, expiresAt: new Date('2026-01-01T00:00:10Z') }),
    };
    const cached = new CachedTokenVerifier(inner, { ttlMs: 60_000, now: () => now });
    await cached.verify('t');
    now = new Date('2026-01-01T00:00:10Z');
    await expect(cached.verify('t')).rejects.toMatchObject({ reason: 'expired' });
  });

  describe('in the running platform', () => {
    let platform: TestPlatform;
    beforeAll(async () => {
      platform = await startTestPlatform({ settings: { tokenCacheMs: 1000 } });
    });
    afterAll(() => platform?.close());

    it('a token revoked through the identity API stops working at once', async () => {
      const user = await platform.user('revoke-now');
      expect((await platform.call('POST', '/v1/course/list', { token: user.token, body: {} })).status).toBe(200);
      expect((await platform.callIdentity('DELETE', '/token', { body: { token: user.token } })).body.status).toBe(20009);
      expect((await platform.call('POST', '/v1/course/list', { token: user.token, body: {} })).status).toBe(403);
    });

    it('a token revoked by another process stops working within a second or two', async () => {
      const user = await platform.user('revoke-elsewhere');
      expect((await platform.call('POST', '/v1/course/list', { token: user.token, body: {} })).status).toBe(200);
      // Another server on the same database deletes the token: this process is not told.
      await platform.store.db.delete(tokens).where(eq(tokens.hash, hashToken(user.token)));
      await vi.waitFor(
        async () => {
          expect((await platform.call('POST', '/v1/course/list', { token: user.token, body: {} })).status).toBe(403);
        },
        { timeout: 2000, interval: 100 },
      );
    });
  });
});
