import { and, count, eq, gt, inArray, lt, ne } from 'drizzle-orm';
import type { Database, Queryable } from '../store/store.js';
import { countActiveJobs } from '../store/active-jobs.js';
import { roles, tokens, userRoles, userNamed, users } from '../store/schema.js';
import { burnVerification, hashPassword, verifyPassword } from './passwords.js';
import type { SignInThrottle } from './sign-in-throttle.js';
import { BUILT_IN_ROLES, isUuid, isValidRoleName, isValidUserName, passwordProblem, ROLE_NAME_RULE, USER_NAME_RULE } from '../common/account-rules.js';
import { IdentityError, Status } from './status.js';
import { hashToken, isWellFormedToken, newToken } from './tokens.js';
import { tokenOwnersByHash } from './token-owners.js';
import { Batcher } from '../common/batcher.js';
import { listUsers, rolesOfUser, type UserPage, type UserQuery } from './user-list.js';

/**
 * What an identity change makes wrong in a cache of token decisions: some tokens (by hash), every
 * token of one user (deleted, or roles changed), or every token (a role deleted).
 */
export type IdentityChange = { tokenHashes: string[] } | { userId: string } | { everyone: true };

/** Who a request acts as, as decided by its token. */
export interface Principal {
  userId: string;
  name: string;
  roles: readonly string[];
}

export interface TokenOwner extends Principal {
  expiresAt: Date;
}

export interface IssuedToken {
  token: string;
  expiresAt: Date;
  renewed: boolean;
}

export interface UserRecord {
  id: string;
  name: string;
  roles: string[];
}

export type UserRef = { id: string } | { name: string };

export interface IdentityOptions {
  tokenTtlSeconds: number;
  /** The clock, replaceable so that tests can move time instead of waiting. */
  now?: () => Date;
  /** Limits wrong passwords wherever one is proven; none when absent. */
  throttle?: SignInThrottle;
}

/** Users, roles and tokens: the logic behind both the identity API and the v1 auth routes. */
export class IdentityService {
  private readonly changeListeners = new Set<(change: IdentityChange) => void>();
  private readonly removalListeners = new Set<(user: UserRecord) => Promise<void>>();
  /** Token checks that arrive together read their owners in one statement. */
  private readonly tokenLookups = new Batcher((hashes: readonly string[]) => tokenOwnersByHash(this.db, hashes));

  constructor(
    private readonly db: Database,
    private readonly options: IdentityOptions,
  ) {}

  now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /**
   * Called after any change that can make a cached token decision wrong: a revoked or renewed
   * token, a deleted user, a role granted or taken away.
   */
  onChange(listener: (change: IdentityChange) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /**
   * Called once a user is deleted, and awaited before the delete answers, for what outlives a
   * user only by choice (their home). A listener handles its own failures: the user is gone
   * whatever it does.
   */
  onUserRemoved(listener: (user: UserRecord) => Promise<void>): () => void {
    this.removalListeners.add(listener);
    return () => this.removalListeners.delete(listener);
  }

  private changed(change: IdentityChange): void {
    for (const listener of this.changeListeners) listener(change);
  }

  async createUser(name: string, password: string, requestedRoles: readonly string[] = ['student']): Promise<UserRecord> {
    requireUserName(name);
    const roleNames = [...new Set(requestedRoles)].sort();
    const problem = passwordProblem(password);
    if (problem) throw new IdentityError(Status.InvalidArgument, problem);
    const passwordHash = await hashPassword(password);
    return this.db.transaction(async (tx) => {
      const [user] = await tx
        .insert(users)
        .values({ name, passwordHash })
        // Any conflict is the name's, in any case: ids are random.
        .onConflictDoNothing()
        .returning({ id: users.id, name: users.name });
      if (!user) throw new IdentityError(Status.UserAlreadyExisting, `user ${name} already exists`);
      await requireRoles(tx, roleNames);
      if (roleNames.length > 0) {
        await tx.insert(userRoles).values(roleNames.map((roleName) => ({ userId: user.id, roleName })));
      }
      return { ...user, roles: roleNames };
    });
  }

  async findUser(ref: UserRef): Promise<UserRecord | undefined> {
    if (!canExist(ref)) return undefined;
    const [user] = await this.db
      .select({ id: users.id, name: users.name, roles: rolesOfUser })
      .from(users)
      .where(userCondition(ref));
    return user;
  }

  /** DeleteUser: the password proves the right to delete. `address` is the caller's, for the throttle. */
  async deleteUser(name: string, password: string, address?: string): Promise<void> {
    const user = await this.verifyCredentials(name, password, address);
    await this.removeUser({ id: user.id });
  }

  /**
   * Deletes a user whose right to be deleted the caller has already checked. Refuses while the
   * user still has running jobs (they would hold GPUs with no owner), and refuses to delete the
   * last admin (no one could manage the platform).
   */
  async removeUser(ref: UserRef): Promise<UserRecord> {
    const removed = await this.db.transaction(async (tx) => {
      const [user] = canExist(ref)
        ? await tx.select({ id: users.id, name: users.name, roles: rolesOfUser }).from(users).where(userCondition(ref)).for('update')
        : [];
      if (!user) throw new IdentityError(Status.UserNotFound, `user ${describeRef(ref)} not found`);
      const active = await countActiveJobs(tx, { userId: user.id });
      if (active > 0) {
        throw new IdentityError(
          Status.InvalidArgument,
          `user ${user.name} still has ${active} running job(s); delete them first`,
          { conflict: true },
        );
      }
      if (user.roles.includes('admin')) await requireAnotherAdmin(tx, user.id);
      await tx.delete(users).where(eq(users.id, user.id));
      return user;
    });
    this.changed({ userId: removed.id });
    await Promise.allSettled([...this.removalListeners].map((listener) => listener(removed)));
    return removed;
  }

  async addUserRole(name: string, roleName: string): Promise<void> {
    const userId = await this.db.transaction(async (tx) => {
      const user = await requireUser(tx, name);
      await requireRoles(tx, [roleName]);
      const added = await tx.insert(userRoles).values({ userId: user.id, roleName }).onConflictDoNothing().returning();
      if (added.length === 0) throw new IdentityError(Status.UserRoleAlreadyExisting, `user ${name} already has role ${roleName}`);
      return user.id;
    });
    this.changed({ userId });
  }

  async removeUserRole(name: string, roleName: string): Promise<void> {
    const userId = await this.db.transaction(async (tx) => {
      const user = await requireUser(tx, name);
      await requireRoles(tx, [roleName]);
      if (roleName === 'admin') await requireAnotherAdmin(tx, user.id);
      const removed = await tx
        .delete(userRoles)
        .where(and(eq(userRoles.userId, user.id), eq(userRoles.roleName, roleName)))
        .returning();
      if (removed.length === 0) throw new IdentityError(Status.RoleNotFound, `user ${name} does not have role ${roleName}`);
      return user.id;
    });
    this.changed({ userId });
  }

  /** The admin's user list: a page of users by name, with their roles. */
  listUsers(query: UserQuery): Promise<UserPage> {
    return listUsers(this.db, query);
  }

  async createRole(name: string): Promise<void> {
    if (!isValidRoleName(name)) throw new IdentityError(Status.InvalidArgument, `role_name must be ${ROLE_NAME_RULE}`);
    const created = await this.db.insert(roles).values({ name }).onConflictDoNothing().returning();
    if (created.length === 0) throw new IdentityError(Status.RoleAlreadyExisting, `role ${name} already exists`);
  }

  async deleteRole(name: string): Promise<void> {
    if ((BUILT_IN_ROLES as readonly string[]).includes(name)) {
      throw new IdentityError(Status.InvalidArgument, `role ${name} is built in and cannot be deleted`);
    }
    const deleted = isValidRoleName(name) ? await this.db.delete(roles).where(eq(roles.name, name)).returning() : [];
    if (deleted.length === 0) throw new IdentityError(Status.RoleNotFound, `role ${name} not found`);
    this.changed({ everyone: true });
  }

  /**
   * AuthenticateUser. When the caller presents its own valid token, that token is extended
   * (20007) rather than a second one created (20008).
   */
  async authenticate(name: string, password: string, presentedToken?: string, address?: string): Promise<IssuedToken> {
    const user = await this.verifyCredentials(name, password, address);
    const now = this.now();
    const expiresAt = new Date(now.getTime() + this.options.tokenTtlSeconds * 1000);
    if (presentedToken !== undefined && isWellFormedToken(presentedToken)) {
      const renewed = await this.db
        .update(tokens)
        .set({ expiresAt })
        .where(and(eq(tokens.hash, hashToken(presentedToken)), eq(tokens.userId, user.id), gt(tokens.expiresAt, now)))
        .returning({ hash: tokens.hash });
      if (renewed.length > 0) {
        this.changed({ tokenHashes: renewed.map((row) => row.hash) });
        return { token: presentedToken, expiresAt, renewed: true };
      }
    }
    const token = newToken();
    await this.db.insert(tokens).values({ hash: hashToken(token), userId: user.id, expiresAt, createdAt: now });
    return { token, expiresAt, renewed: false };
  }

  async invalidate(token: string): Promise<void> {
    requireWellFormedToken(token);
    const deleted = await this.db.delete(tokens).where(eq(tokens.hash, hashToken(token))).returning({ hash: tokens.hash });
    if (deleted.length === 0) throw new IdentityError(Status.TokenNotFound);
    this.changed({ tokenHashes: deleted.map((row) => row.hash) });
  }

  /** Whose token this is, and their roles. Refuses malformed (40020), unknown (40018) and expired (40019) tokens. */
  async tokenOwner(token: string): Promise<TokenOwner> {
    requireWellFormedToken(token);
    const owner = await this.tokenLookups.call(hashToken(token));
    if (!owner) throw new IdentityError(Status.TokenNotFound);
    if (owner.expiresAt.getTime() <= this.now().getTime()) throw new IdentityError(Status.TokenExpired);
    return owner;
  }

  async checkRole(token: string, roleName: string): Promise<void> {
    const owner = await this.tokenOwner(token);
    if (owner.roles.includes(roleName)) return;
    await requireRoles(this.db, [roleName]);
    throw new IdentityError(Status.TokenRoleNotFound);
  }

  async countUsersWithRole(roleName: string): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(userRoles).where(eq(userRoles.roleName, roleName));
    return row?.n ?? 0;
  }

  /** Expired tokens are kept a while, so that their owners hear "expired" rather than "invalid". */
  async purgeTokensExpiredBefore(before: Date): Promise<number> {
    const purged = await this.db.delete(tokens).where(lt(tokens.expiresAt, before)).returning({ hash: tokens.hash });
    return purged.length;
  }

  /** Proves a password without issuing a token: the built-in provider's login form. */
  async checkCredentials(name: string, password: string, address?: string): Promise<{ id: string }> {
    return this.verifyCredentials(name, password, address);
  }

  /**
   * A token for a user whose identity something else has proven: the built-in OAuth2 provider,
   * after its login form. The bearer check accepts it like any other.
   */
  async issueToken(userId: string, ttlSeconds: number): Promise<IssuedToken> {
    const now = this.now();
    const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
    const token = newToken();
    await this.db.insert(tokens).values({ hash: hashToken(token), userId, expiresAt, createdAt: now });
    return { token, expiresAt, renewed: false };
  }

  /** Revokes tokens known only by their hashes, e.g. a refresh-token family's access tokens. */
  async revokeTokenHashes(hashes: readonly string[]): Promise<number> {
    if (hashes.length === 0) return 0;
    const deleted = await this.db.delete(tokens).where(inArray(tokens.hash, [...hashes])).returning({ hash: tokens.hash });
    if (deleted.length > 0) this.changed({ tokenHashes: deleted.map((row) => row.hash) });
    return deleted.length;
  }

  /** Every password check goes through here, so one throttle counts wrong passwords on every route. */
  private async verifyCredentials(name: string, password: string, address: string | undefined): Promise<{ id: string }> {
    const { throttle } = this.options;
    const verify = () => this.checkPassword(name, password);
    return throttle ? throttle.guard({ name, address }, verify) : verify();
  }

  private async checkPassword(name: string, password: string): Promise<{ id: string }> {
    const [user] = isValidUserName(name)
      ? await this.db.select({ id: users.id, passwordHash: users.passwordHash }).from(users).where(userNamed(name))
      : [];
    if (!user) {
      await burnVerification(password);
      throw new IdentityError(Status.UserNotFound, `user ${name} not found`);
    }
    if (!(await verifyPassword(user.passwordHash, password))) throw new IdentityError(Status.UserPasswordNotMatch);
    return { id: user.id };
  }
}

/**
 * A name that breaks the naming rule, or an id that is no UUID, names no one: answer that
 * without asking the database, which would refuse some of them (NUL characters) as errors.
 */
function canExist(ref: UserRef): boolean {
  return 'id' in ref ? isUuid(ref.id) : isValidUserName(ref.name);
}

function userCondition(ref: UserRef) {
  return 'id' in ref ? eq(users.id, ref.id) : userNamed(ref.name);
}

function describeRef(ref: UserRef): string {
  return 'id' in ref ? ref.id : ref.name;
}

function requireUserName(name: string): void {
  if (!isValidUserName(name)) throw new IdentityError(Status.InvalidArgument, `user_name must be ${USER_NAME_RULE}`);
}

function requireWellFormedToken(token: string): void {
  if (!isWellFormedToken(token)) throw new IdentityError(Status.TokenIsInvalid);
}

async function requireUser(db: Queryable, name: string): Promise<{ id: string }> {
  const [user] = isValidUserName(name) ? await db.select({ id: users.id }).from(users).where(userNamed(name)) : [];
  if (!user) throw new IdentityError(Status.UserNotFound, `user ${name} not found`);
  return user;
}

async function requireRoles(db: Queryable, roleNames: readonly string[]): Promise<void> {
  if (roleNames.length === 0) return;
  const valid = roleNames.filter(isValidRoleName);
  const found = valid.length > 0 ? await db.select({ name: roles.name }).from(roles).where(inArray(roles.name, valid)) : [];
  const missing = roleNames.filter((name) => !found.some((role) => role.name === name));
  if (missing.length > 0) throw new IdentityError(Status.RoleNotFound, `role ${missing.join(', ')} not found`);
}

/**
 * Locks the admin role row so that two admins cannot remove each other at the same moment and
 * leave the platform with none. NO KEY UPDATE, unlike UPDATE, does not wait for role grants,
 * whose foreign-key checks hold KEY SHARE on the same row.
 */
async function requireAnotherAdmin(db: Queryable, userId: string): Promise<void> {
  await db.select({ name: roles.name }).from(roles).where(eq(roles.name, 'admin')).for('no key update');
  const [others] = await db
    .select({ n: count() })
    .from(userRoles)
    .where(and(eq(userRoles.roleName, 'admin'), ne(userRoles.userId, userId)));
  if (!others || others.n === 0) {
    throw new IdentityError(Status.InvalidArgument, 'the last admin cannot be removed', { conflict: true });
  }
}
