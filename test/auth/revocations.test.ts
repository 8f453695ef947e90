/**
 * Two servers' token caches on one database, joined by a change feed: what one revokes, the
 * other refuses at once, although both had the token cached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeChange, encodeChange, shareTokenChanges } from '../../src/auth/revocations.js';
import { CachedTokenVerifier, IdentityTokenVerifier, TokenRejectedError } from '../../src/auth/verifier.js';
import { IdentityService } from '../../src/identity/service.js';
import { hashToken } from '../../src/identity/tokens.js';
import { LocalChangeFeed } from '../../src/store/change-feed.js';
import type { Store } from '../../src/store/store.js';
import { pgliteTarget } from '../support/stores.js';

/** A feed whose gaps a test can cause, and whose messages it can read. */
class TestFeed extends LocalChangeFeed {
  readonly sent: string[] = [];
  override async publish(channel: 'courses' | 'tokens' | 'jobs', payload: string): Promise<void> {
    this.sent.push(payload);
    await super.publish(channel, payload);
  }
  causeGap(): void {
    this.gap();
  }
}

describe('token changes shared between servers', () => {
  let store: Store;
  const feed = new TestFeed();
  const servers: { identity: IdentityService; verifier: CachedTokenVerifier }[] = [];

  beforeAll(async () => {
    store = await pgliteTarget.open();
    for (let i = 0; i < 2; i++) {
      const identity = new IdentityService(store.db, { tokenTtlSeconds: 3600 });
      // A cache far longer than the test: only a message can drop an entry.
      const verifier = new CachedTokenVerifier(new IdentityTokenVerifier(identity), { ttlMs: 60_000 });
      shareTokenChanges(feed, identity, verifier);
      servers.push({ identity, verifier });
    }
    await servers[0]!.identity.createUser('ann', 'ann-password', ['student']);
  });
  afterAll(() => store?.close());

  const [a, b] = [() => servers[0]!, () => servers[1]!];
  const rejection = (token: string) => b().verifier.verify(token).then(() => 'accepted', (error: unknown) => (error instanceof TokenRejectedError ? error.reason : error));

  it('a token signed out on one server is refused by the other, which had it cached; the message names only its hash', async () => {
    const { token } = await a().identity.authenticate('ann', 'ann-password');
    expect((await b().verifier.verify(token)).principal.name).toBe('ann');
    await a().identity.invalidate(token);
    expect(await rejection(token)).toBe('invalid');
    expect(feed.sent.at(-1)).toBe(JSON.stringify({ tokenHashes: [hashToken(token)] }));
    expect(feed.sent.join('\n')).not.toContain(token);
  });

  it("a role taken away on one server is seen by the other at once, and a deleted user's tokens are refused", async () => {
    const { token } = await a().identity.authenticate('ann', 'ann-password');
    await a().identity.addUserRole('ann', 'teacher');
    expect((await b().verifier.verify(token)).principal.roles).toContain('teacher');
    await a().identity.removeUserRole('ann', 'teacher');
    expect((await b().verifier.verify(token)).principal.roles).not.toContain('teacher');
    await a().identity.removeUser({ name: 'ann' });
    expect(await rejection(token)).toBe('invalid');
  });

  it('forgets everything on a gap, since messages may have been missed', async () => {
    await a().identity.createUser('bea', 'bea-password', ['student']);
    const { token } = await a().identity.authenticate('bea', 'bea-password');
    await b().verifier.verify(token);
    // Revoked behind the feed's back, as if its message had been lost.
    await new IdentityService(store.db, { tokenTtlSeconds: 3600 }).invalidate(token);
    expect(await rejection(token)).toBe('accepted');
    feed.causeGap();
    expect(await rejection(token)).toBe('invalid');
  });

  it('a message too long for one notification, or not understood, forgets everything', () => {
    const many = { tokenHashes: Array.from({ length: 200 }, (_, i) => hashToken(`token-${i}`)) };
    expect(decodeChange(encodeChange(many))).toEqual({ everyone: true });
    expect(decodeChange('{"tokens":1}')).toEqual({ everyone: true });
    expect(decodeChange('not json')).toEqual({ everyone: true });
    expect(decodeChange(encodeChange({ userId: 'u-1' }))).toEqual({ userId: 'u-1' });
  });
});
