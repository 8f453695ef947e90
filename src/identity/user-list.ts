import { asc, count, sql } from 'drizzle-orm';
import { rfc3339 } from '../common/time.js';
import { userRoles, users } from '../store/schema.js';
import type { Queryable } from '../store/store.js';

export interface ListedUser {
  name: string;
  roles: string[];
  createAt: string;
}

export interface UserPage {
  users: ListedUser[];
  /** How many users match the prefix, whatever the page. */
  total: number;
}

export interface UserQuery {
  /** Names that begin with it, in any case. */
  prefix?: string;
  limit: number;
  offset: number;
}

/** A user's role names, sorted, as one column. */
export const rolesOfUser = sql<string[]>`coalesce((select array_agg(${userRoles.roleName} order by ${userRoles.roleName}) from ${userRoles} where ${userRoles.userId} = ${users.id}), '{}')`;

/** `like` treats `%`, `_` and `\` as patterns; a name prefix means them literally. */
function likePrefix(prefix: string): string {
  return `${prefix.toLowerCase().replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/** A page of users by name, case-insensitively; the lower(name) index serves both the match and the order. */
export async function listUsers(db: Queryable, query: UserQuery): Promise<UserPage> {
  const matching = query.prefix ? sql`lower(${users.name}) like ${likePrefix(query.prefix)}` : undefined;
  const [rows, totals] = await Promise.all([
    db
      .select({ name: users.name, roles: rolesOfUser, createdAt: users.createdAt })
      .from(users)
      .where(matching)
      .orderBy(sql`lower(${users.name})`, asc(users.name))
      .limit(query.limit)
      .offset(query.offset),
    db.select({ n: count() }).from(users).where(matching),
  ]);
  return {
    users: rows.map(({ createdAt, ...user }) => ({ ...user, createAt: rfc3339(createdAt) })),
    total: totals[0]?.n ?? 0,
  };
}
