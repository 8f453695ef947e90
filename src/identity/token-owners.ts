import { eq, inArray } from 'drizzle-orm';
import type { Queryable } from '../store/store.js';
import { tokens, users } from '../store/schema.js';
import type { TokenOwner } from './service.js';
import { rolesOfUser } from './user-list.js';

/**
 * The owners of these token hashes, in their order (undefined: no such token), in one statement:
 * a lecture's first requests, each with a token not verified yet, are read together.
 */
export async function tokenOwnersByHash(db: Queryable, hashes: readonly string[]): Promise<Array<TokenOwner | undefined>> {
  const rows = await db
    .select({ hash: tokens.hash, userId: users.id, name: users.name, roles: rolesOfUser, expiresAt: tokens.expiresAt })
    .from(tokens)
    .innerJoin(users, eq(tokens.userId, users.id))
    .where(inArray(tokens.hash, [...new Set(hashes)]));
  const byHash = new Map(rows.map(({ hash, ...owner }) => [hash, owner]));
  return hashes.map((hash) => byHash.get(hash));
}
