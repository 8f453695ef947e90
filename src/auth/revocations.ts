import type { IdentityChange, IdentityService } from '../identity/service.js';
import { MAX_PAYLOAD_BYTES, type ChangeFeed } from '../store/change-feed.js';
import type { CachedTokenVerifier } from './verifier.js';

/**
 * Every server's token cache hears of every identity change on the database: a token revoked,
 * renewed, or its user deleted or given other roles through one server is refused (or seen
 * anew) by the others as soon as the notification arrives, not when their caches run out.
 * Messages name tokens by hash, as the cache keys them; never the token itself.
 */
export function shareTokenChanges(feed: ChangeFeed, identity: IdentityService, verifier: CachedTokenVerifier): () => void {
  const unsubscribe = feed.subscribe(
    'tokens',
    (payload) => verifier.forget(decodeChange(payload)),
    // Messages may have been missed: nothing cached can be trusted.
    () => verifier.clear(),
  );
  // The feed tells this server's subscribers at once, before any other server.
  const stopListening = identity.onChange((change) => void feed.publish('tokens', encodeChange(change)));
  return () => {
    stopListening();
    unsubscribe();
  };
}

export function encodeChange(change: IdentityChange): string {
  const payload = JSON.stringify(change);
  // A revoked refresh-token family may name more hashes than one notification holds.
  return Buffer.byteLength(payload) <= MAX_PAYLOAD_BYTES ? payload : JSON.stringify({ everyone: true });
}

/** Anything unexpected (another version's format) forgets everything: never keep a revoked token. */
export function decodeChange(payload: string): IdentityChange {
  try {
    const parsed: unknown = JSON.parse(payload);
    if (typeof parsed === 'object' && parsed !== null) {
      const { tokenHashes, userId } = parsed as { tokenHashes?: unknown; userId?: unknown };
      if (Array.isArray(tokenHashes) && tokenHashes.every((hash) => typeof hash === 'string')) return { tokenHashes };
      if (typeof userId === 'string') return { userId };
    }
  } catch {
    // fall through
  }
  return { everyone: true };
}
