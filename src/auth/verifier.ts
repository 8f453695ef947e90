import { LRUCache } from 'lru-cache';
import type { IdentityChange, IdentityService, Principal } from '../identity/service.js';
import { IdentityError, Status } from '../identity/status.js';
import { hashToken } from '../identity/tokens.js';

export interface VerifiedToken {
  principal: Principal;
  /** When the token stops working; unknown for some external providers. */
  expiresAt?: Date;
}

/** The token is not good: `invalid` (unknown, revoked, malformed) or `expired`. */
export class TokenRejectedError extends Error {
  override readonly name = 'TokenRejectedError';
  constructor(readonly reason: 'invalid' | 'expired') {
    super(reason === 'expired' ? 'token expired' : 'token invalid');
  }
}

/**
 * Turns a bearer token into a principal. Any error other than TokenRejectedError means the
 * verifier itself failed (store or provider down), which is not the caller's fault.
 */
export interface TokenVerifier {
  verify(token: string): Promise<VerifiedToken>;
  /**
   * Calls `onChange` whenever a reported change may concern this token (revoked, its user changed
   * or deleted, or changes missed), until the returned function is called; undefined when this
   * verifier cannot tell, and the token must then be verified again at each use.
   */
  watch?(token: string, onChange: () => void): (() => void) | undefined;
}

/** Checks tokens against classlab's own identity store. */
export class IdentityTokenVerifier implements TokenVerifier {
  constructor(private readonly identity: IdentityService) {}

  async verify(token: string): Promise<VerifiedToken> {
    try {
      const { expiresAt, ...principal } = await this.identity.tokenOwner(token);
      return { principal, expiresAt };
    } catch (error) {
      if (error instanceof IdentityError) {
        if (error.status === Status.TokenExpired) throw new TokenRejectedError('expired');
        if (error.status === Status.TokenNotFound || error.status === Status.TokenIsInvalid) {
          throw new TokenRejectedError('invalid');
        }
      }
      throw error;
    }
  }
}

export interface TokenCacheOptions {
  /** How long a verified token is trusted without asking again. 0 turns the cache off. */
  ttlMs: number;
  maxEntries?: number;
  now?: () => Date;
}

/**
 * Remembers verified tokens briefly, so that a page's burst of requests costs one store lookup,
 * and concurrent first requests with the same token share that lookup. Only successes are kept:
 * a revoked token stops working when its entry runs out (`ttlMs`), or at once when a change is
 * reported to `forget` (from any server on the database: see revocations.ts).
 */
export class CachedTokenVerifier implements TokenVerifier {
  private readonly cache: LRUCache<string, VerifiedToken, string> | undefined;
  /** What `watch` follows, by token hash and by user: a change finds its watchers without a scan. */
  private readonly watchers = { byHash: new Map<string, Set<() => void>>(), byUser: new Map<string, Set<() => void>>() };

  constructor(
    private readonly inner: TokenVerifier,
    private readonly options: TokenCacheOptions,
  ) {
    if (options.ttlMs > 0) {
      this.cache = new LRUCache<string, VerifiedToken, string>({
        max: options.maxEntries ?? 10_000,
        ttl: options.ttlMs,
        fetchMethod: (_key, _stale, { context }) => inner.verify(context),
      });
    }
  }

  async verify(token: string): Promise<VerifiedToken> {
    if (!this.cache) return this.inner.verify(token);
    const verified = await this.cache.fetch(hashToken(token), { context: token });
    if (!verified) throw new TokenRejectedError('invalid');
    const now = this.options.now?.() ?? new Date();
    if (verified.expiresAt && verified.expiresAt.getTime() <= now.getTime()) throw new TokenRejectedError('expired');
    return verified;
  }

  /**
   * Follows a token this verifier trusts now (an event stream's, verified as it opened), so that
   * its holder checks it again when `forget` or `clear` may concern it rather than at each use:
   * a stream's thousand messages then cost no lookup. Undefined for a token it has not verified.
   */
  watch(token: string, onChange: () => void): (() => void) | undefined {
    const hash = hashToken(token);
    const verified = this.cache?.get(hash, { allowStale: true });
    if (!verified) return undefined;
    const userId = verified.principal.userId;
    const listener = () => onChange();
    addTo(this.watchers.byHash, hash, listener);
    addTo(this.watchers.byUser, userId, listener);
    return () => {
      removeFrom(this.watchers.byHash, hash, listener);
      removeFrom(this.watchers.byUser, userId, listener);
    };
  }

  /** Drops the decisions the change makes wrong, and tells the watchers it concerns. A lookup under way for such a token is abandoned. */
  forget(change: IdentityChange): void {
    this.forgetCached(change);
    const { byHash, byUser } = this.watchers;
    const concerned = 'everyone' in change ? [...byHash.values()] : 'tokenHashes' in change ? change.tokenHashes.map((hash) => byHash.get(hash)) : [byUser.get(change.userId)];
    for (const listener of concerned.flatMap((set) => [...(set ?? [])])) listener();
  }

  clear(): void {
    this.forget({ everyone: true });
  }

  private forgetCached(change: IdentityChange): void {
    const cache = this.cache;
    if (!cache) return;
    if ('everyone' in change) return cache.clear();
    if ('tokenHashes' in change) {
      for (const hash of change.tokenHashes) cache.delete(hash);
      return;
    }
    const stale: string[] = [];
    cache.forEach((verified, hash) => {
      if (verified.principal.userId === change.userId) stale.push(hash);
    });
    for (const hash of stale) cache.delete(hash);
  }
}

function addTo(map: Map<string, Set<() => void>>, key: string, listener: () => void): void {
  const set = map.get(key) ?? new Set();
  set.add(listener);
  map.set(key, set);
}

function removeFrom(map: Map<string, Set<() => void>>, key: string, listener: () => void): void {
  const set = map.get(key);
  set?.delete(listener);
  if (set?.size === 0) map.delete(key);
}
