import { createHash, randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { Principal, IdentityService } from '../identity/service.js';
import { isValidUserName } from '../common/account-rules.js';
import { IdentityError, Status } from '../identity/status.js';
import { isUniqueViolation } from '../store/errors.js';
import type { Database } from '../store/store.js';
import { oauthIdentities } from '../store/schema.js';

/** What an external provider says about the holder of a token. */
export interface ExternalClaims {
  sub: string;
  [claim: string]: unknown;
}

export interface RoleMapping {
  /** A claim name or dotted path (`realm_access.roles`) holding a role or a list of roles. */
  claim?: string;
  /** Provider role → classlab role. */
  map: Readonly<Record<string, string>>;
}

/**
 * Turns an external provider's subject into a classlab user, creating a student on first
 * sign-in. Users are linked by (issuer, subject), never by name: an external account called
 * "admin" must not become the local admin.
 */
export class ExternalAccounts {
  constructor(
    private readonly db: Database,
    private readonly identity: IdentityService,
    private readonly roles: RoleMapping,
  ) {}

  async principalFor(issuer: string, claims: ExternalClaims): Promise<Principal> {
    const userId = (await this.linkedUser(issuer, claims.sub)) ?? (await this.createLinkedUser(issuer, claims));
    const user = await this.identity.findUser({ id: userId });
    if (!user) throw new Error(`the account linked to ${issuer} subject ${claims.sub} has disappeared`);
    const mapped = this.mappedRoles(claims);
    return { userId: user.id, name: user.name, roles: [...new Set([...user.roles, ...mapped])].sort() };
  }

  /** Roles the provider grants through the configured claim; unmapped provider roles are ignored. */
  mappedRoles(claims: ExternalClaims): string[] {
    if (!this.roles.claim) return [];
    let value: unknown = claims;
    for (const part of this.roles.claim.split('.')) {
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
    }
    const names = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : [];
    return names.flatMap((name) => {
      const role = typeof name === 'string' ? this.roles.map[name] : undefined;
      return role ? [role] : [];
    });
  }

  private async linkedUser(issuer: string, subject: string): Promise<string | undefined> {
    const [link] = await this.db
      .select({ userId: oauthIdentities.userId })
      .from(oauthIdentities)
      .where(and(eq(oauthIdentities.issuer, issuer), eq(oauthIdentities.subject, subject)));
    return link?.userId;
  }

  private async createLinkedUser(issuer: string, claims: ExternalClaims): Promise<string> {
    // Nobody knows this password: the account signs in through its provider only.
    const password = randomBytes(32).toString('base64url');
    let created: { id: string } | undefined;
    for (const name of candidateNames(issuer, claims)) {
      try {
        created = await this.identity.createUser(name, password, ['student']);
        break;
      } catch (error) {
        if (!(error instanceof IdentityError && error.status === Status.UserAlreadyExisting)) throw error;
      }
    }
    if (!created) throw new Error(`no free user name for ${issuer} subject ${claims.sub}`);
    try {
      await this.db.insert(oauthIdentities).values({ issuer, subject: claims.sub, userId: created.id });
      return created.id;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // A concurrent first sign-in of the same person won: use theirs, drop ours.
      await this.identity.removeUser({ id: created.id });
      const winner = await this.linkedUser(issuer, claims.sub);
      if (!winner) throw error;
      return winner;
    }
  }
}

/** `preferred_username`, else `email`, else `sub`; then each with a suffix that only this subject gets. */
function candidateNames(issuer: string, claims: ExternalClaims): string[] {
  const suffix = createHash('sha256').update(`${issuer} ${claims.sub}`).digest('hex').slice(0, 8);
  const bases = [claims.preferred_username, claims.email, claims.sub]
    .filter((value): value is string => typeof value === 'string')
    .map((value) => value.trim().replace(/[^A-Za-z0-9._@-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 55))
    .filter((value) => value !== '' && isValidUserName(value));
  const names = [...bases, ...bases.map((base) => `${base}-${suffix}`), `user-${suffix}`];
  return [...new Set(names)];
}
