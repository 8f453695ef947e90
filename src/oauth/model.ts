import { randomUUID } from 'node:crypto';
import type OAuth2Server from '@node-oauth/oauth2-server';
import type { Logger } from 'pino';
import type { IdentityService } from '../identity/service.js';
import { hashToken } from '../identity/tokens.js';
import type { ClientRegistry, RegisteredClient } from './clients.js';
import type { GrantStore } from './grants.js';

type Model = OAuth2Server.AuthorizationCodeModel & OAuth2Server.RefreshTokenModel;

/**
 * Who a grant is for, as the library hands it from one model call to the next. `familyId` and
 * `codeHash` ride along so that saveToken can put a new refresh token in its family.
 */
export interface GrantUser {
  id: string;
  familyId?: string;
  codeHash?: string;
}

export interface ModelOptions {
  identity: IdentityService;
  grants: GrantStore;
  clients: ClientRegistry;
  accessTtlSeconds: number;
  logger: Logger;
  /**
   * `authorize`: the client is named, not authenticated (the user agent is talking).
   * `token`: the client must prove its secret, unless it is public.
   */
  mode: 'authorize' | 'token';
}

export const GRANTS = ['authorization_code', 'refresh_token'];

export function asLibraryClient(client: RegisteredClient): OAuth2Server.Client {
  return { id: client.id, redirectUris: client.redirectUris, grants: GRANTS, scopes: client.scopes };
}

const scopeList = (scope: string): string[] => (scope === '' ? [] : scope.split(' '));

/** The storage behind @node-oauth/oauth2-server: identity tokens as access tokens, codes and refresh tokens in GrantStore. */
export function grantModel(options: ModelOptions): Model {
  const { identity, grants, clients, logger } = options;
  const libraryClient = (id: string) => {
    const client = clients.find(id);
    return client ? asLibraryClient(client) : undefined;
  };

  /** Reuse means a copy leaked: revoke everything the grant produced. */
  const revokeFamilies = async (familyIds: string[], why: string) => {
    const accessHashes = await grants.deleteFamilies(familyIds);
    await identity.revokeTokenHashes(accessHashes);
    logger.warn({ families: familyIds.length, accessTokens: accessHashes.length }, `${why}: revoked the grant`);
  };

  return {
    async getClient(clientId, clientSecret) {
      if (options.mode === 'authorize') return libraryClient(clientId);
      const client = clients.authenticate(clientId, clientSecret || undefined);
      return client ? asLibraryClient(client) : undefined;
    },

    /**
     * RFC 6749 §3.3: the server may grant less than was asked, and says so in `scope`. Unknown
     * scopes are dropped rather than refused, so that an old client asking for `read_write` still
     * signs in; when nothing known is left, the client gets its registered scopes.
     */
    async validateScope(_user, client, requested) {
      const allowed = (client.scopes as string[] | undefined) ?? [];
      const granted = (requested ?? []).filter((scope) => allowed.includes(scope));
      return granted.length > 0 ? granted : allowed;
    },

    async saveAuthorizationCode(code, client, user) {
      await grants.saveCode({
        hash: hashToken(code.authorizationCode),
        clientId: client.id,
        userId: (user as GrantUser).id,
        redirectUri: code.redirectUri,
        scope: (code.scope ?? []).join(' '),
        codeChallenge: code.codeChallenge ?? null,
        codeChallengeMethod: code.codeChallengeMethod ?? null,
        expiresAt: code.expiresAt,
      });
      return { ...code, client, user };
    },

    async getAuthorizationCode(authorizationCode) {
      const codeHash = hashToken(authorizationCode);
      const stored = await grants.findCode(codeHash);
      if (!stored) return undefined;
      if (stored.usedAt) {
        await revokeFamilies(await grants.familiesOfCode(codeHash), 'an authorization code was used twice');
        return undefined;
      }
      const client = libraryClient(stored.clientId);
      if (!client) return undefined;
      const user: GrantUser = { id: stored.userId, codeHash };
      return {
        authorizationCode,
        expiresAt: stored.expiresAt,
        redirectUri: stored.redirectUri ?? '',
        scope: scopeList(stored.scope),
        client,
        user,
        ...(stored.codeChallenge ? { codeChallenge: stored.codeChallenge } : {}),
        ...(stored.codeChallengeMethod ? { codeChallengeMethod: stored.codeChallengeMethod } : {}),
      };
    },

    async revokeAuthorizationCode(code) {
      return grants.consumeCode(hashToken(code.authorizationCode), identity.now());
    },

    /** The access token is an identity token, so the API's bearer check accepts it as it is. */
    async saveToken(token, client, user) {
      const grantUser = user as GrantUser;
      const issued = await identity.issueToken(grantUser.id, options.accessTtlSeconds);
      if (token.refreshToken && token.refreshTokenExpiresAt) {
        await grants.saveRefreshToken({
          hash: hashToken(token.refreshToken),
          familyId: grantUser.familyId ?? randomUUID(),
          codeHash: grantUser.codeHash ?? null,
          clientId: client.id,
          userId: grantUser.id,
          scope: (token.scope ?? []).join(' '),
          accessTokenHash: hashToken(issued.token),
          expiresAt: token.refreshTokenExpiresAt,
        });
      }
      return { ...token, accessToken: issued.token, accessTokenExpiresAt: issued.expiresAt, client, user };
    },

    async getRefreshToken(refreshToken) {
      const stored = await grants.findRefreshToken(hashToken(refreshToken));
      if (!stored) return undefined;
      if (stored.usedAt) {
        await revokeFamilies([stored.familyId], 'a rotated refresh token was used again');
        return undefined;
      }
      const client = libraryClient(stored.clientId);
      if (!client) return undefined;
      const user: GrantUser = { id: stored.userId, familyId: stored.familyId };
      return { refreshToken, refreshTokenExpiresAt: stored.expiresAt, scope: scopeList(stored.scope), client, user };
    },

    /** Two requests racing with one refresh token: the loser is a reuse too. */
    async revokeToken(token) {
      if (await grants.consumeRefreshToken(hashToken(token.refreshToken), identity.now())) return true;
      const familyId = (token.user as GrantUser).familyId;
      if (familyId) await revokeFamilies([familyId], 'a refresh token was used twice at once');
      return false;
    },

    async getAccessToken(accessToken) {
      try {
        const owner = await identity.tokenOwner(accessToken);
        return { accessToken, accessTokenExpiresAt: owner.expiresAt, client: { id: '', grants: [] }, user: { id: owner.userId } };
      } catch {
        return undefined;
      }
    },
  };
}
