import { describe, expect, it } from 'vitest';
import { CachedTokenVerifier, type TokenVerifier } from '../../src/auth/verifier.js';
import { hashToken } from '../../src/identity/tokens.js';
import { TokenVerifierChain } from '../../src/oauth/verifier.js';

/** Each token names its user: `<user>:<anything>`. */
const byName: TokenVerifier = { verify: async (token) => ({ principal: { userId: token.split(':')[0] ?? '', name: token, roles: [] } }) };

describe('watching a verified token (what an event stream does instead of verifying at each message)', () => {
  it('hears the changes that concern its token or its user, or everything, and nothing once unwatched', async () => {
    const verifier = new CachedTokenVerifier(byName, { ttlMs: 60_000 });
    await Promise.all(['ann:1', 'ann:2', 'bob:1'].map((token) => verifier.verify(token)));
    const heard: string[] = [];
    const unwatch = ['ann:1', 'ann:2', 'bob:1'].map((token) => verifier.watch(token, () => heard.push(token)));

    verifier.forget({ tokenHashes: [hashToken('ann:1')] });
    expect(heard).toEqual(['ann:1']);
    verifier.forget({ userId: 'bob' });
    expect(heard).toEqual(['ann:1', 'bob:1']);
    unwatch[1]?.();
    verifier.clear();
    expect(heard.slice(2).sort()).toEqual(['ann:1', 'bob:1']);
  });

  it('cannot watch a token it has not verified, nor without a cache: the caller then verifies at each use', async () => {
    const verifier = new CachedTokenVerifier(byName, { ttlMs: 60_000 });
    expect(verifier.watch('ann:1', () => undefined)).toBeUndefined();
    const uncached = new CachedTokenVerifier(byName, { ttlMs: 0 });
    await uncached.verify('ann:1');
    expect(uncached.watch('ann:1', () => undefined)).toBeUndefined();
  });

  it("a chain watches classlab's own tokens only: a provider revokes its tokens without telling us", async () => {
    const local = new CachedTokenVerifier(byName, { ttlMs: 60_000 });
    const external = new CachedTokenVerifier(byName, { ttlMs: 60_000 });
    const chain = new TokenVerifierChain(local, external);
    await external.verify('ann:from-a-provider');
    expect(chain.watch('ann:from-a-provider', () => undefined)).toBeUndefined();
    await local.verify('ann:1');
    expect(chain.watch('ann:1', () => undefined)).toBeTypeOf('function');
  });
});
