import OAuth2Server from '@node-oauth/oauth2-server';
import type { Logger } from 'pino';
import type { IdentityService } from '../identity/service.js';
import { hashToken, isWellFormedToken } from '../identity/tokens.js';
import { clientCredentials, type ClientRegistry, type RegisteredClient } from './clients.js';
import type { GrantStore } from './grants.js';
import { grantModel, type GrantUser } from './model.js';

/** RFC 6749 §4.1.2.1 caps codes at ten minutes and recommends less; the issue asks for at most a minute. */
export const CODE_TTL_SECONDS = 60;

export interface ProviderOptions {
  issuer: string;
  identity: IdentityService;
  grants: GrantStore;
  clients: ClientRegistry;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  logger: Logger;
}

/** An answer of the token, introspection or revocation endpoint, in OAuth's own JSON. */
export interface OAuthAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

/** The parameters of an authorization request, checked before the login form is shown. */
export interface AuthorizationRequest {
  client: RegisteredClient;
  redirectUri: string;
  /** Everything the login form sends back, to be handed to the library once the user is known. */
  params: Record<string, string>;
}

/**
 * Why an authorization request cannot go on. `redirect: false` when the redirect URI itself
 * cannot be trusted: the user sees an error page, never a redirect to an unregistered address.
 */
export class AuthorizationRequestError extends Error {
  override readonly name = 'AuthorizationRequestError';
  constructor(
    readonly error: string,
    message: string,
    readonly redirectTo?: string,
  ) {
    super(message);
  }
}

const AUTHORIZATION_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method'];

/**
 * The built-in authorization server: the authorization-code grant with PKCE and refresh-token
 * rotation (by @node-oauth/oauth2-server), plus introspection, revocation and metadata.
 */
export class BuiltInProvider {
  private readonly authorizeServer: OAuth2Server;
  private readonly tokenServer: OAuth2Server;

  constructor(private readonly options: ProviderOptions) {
    const shared = {
      accessTokenLifetime: options.accessTtlSeconds,
      refreshTokenLifetime: options.refreshTtlSeconds,
      authorizationCodeLifetime: CODE_TTL_SECONDS,
      allowEmptyState: true, // the original UI sends none; the proxy's client is confidential
      alwaysIssueNewRefreshToken: true,
      allowBearerTokensInQueryString: false,
    };
    this.authorizeServer = new OAuth2Server({ ...shared, model: grantModel({ ...options, mode: 'authorize' }) });
    this.tokenServer = new OAuth2Server({ ...shared, model: grantModel({ ...options, mode: 'token' }) });
  }

  get issuer(): string {
    return this.options.issuer;
  }

  /** RFC 8414. */
  metadata(): Record<string, unknown> {
    const base = this.options.issuer;
    return {
      issuer: base,
      authorization_endpoint: `${base}/oauth/authorize`,
      token_endpoint: `${base}/oauth/token`,
      introspection_endpoint: `${base}/oauth/introspect`,
      revocation_endpoint: `${base}/oauth/revoke`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      scopes_supported: [...new Set(this.options.clients.all().flatMap((client) => client.scopes))],
    };
  }

  /** Checks the request before anyone types a password into a form that would go nowhere. */
  checkAuthorizationRequest(query: Readonly<Record<string, string | undefined>>): AuthorizationRequest {
    const clientId = query.client_id;
    const client = clientId ? this.options.clients.find(clientId) : undefined;
    if (!client) throw new AuthorizationRequestError('invalid_client', `Unknown client ${JSON.stringify(clientId ?? '')}.`);
    const redirectUri = query.redirect_uri ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined);
    if (!redirectUri || !client.redirectUris.includes(redirectUri)) {
      throw new AuthorizationRequestError('invalid_request', `The redirect_uri is not one registered for client ${client.id}.`);
    }
    const refuse = (error: string, message: string) => {
      const target = new URL(redirectUri);
      target.searchParams.set('error', error);
      target.searchParams.set('error_description', message);
      if (query.state) target.searchParams.set('state', query.state);
      return new AuthorizationRequestError(error, message, target.href);
    };
    if (query.response_type !== 'code') throw refuse('unsupported_response_type', 'response_type must be code');
    if (query.code_challenge !== undefined && query.code_challenge_method !== 'S256') {
      throw refuse('invalid_request', 'code_challenge_method must be S256');
    }
    if (client.secret === undefined && query.code_challenge === undefined) {
      throw refuse('invalid_request', 'this client is public: it must use PKCE (code_challenge with S256)');
    }
    const params: Record<string, string> = { redirect_uri: redirectUri };
    for (const name of AUTHORIZATION_PARAMS) {
      const value = query[name];
      if (value !== undefined && name !== 'redirect_uri') params[name] = value;
    }
    return { client, redirectUri, params };
  }

  /** The login form: the user's id, or an IdentityError. `address` is the browser's, for the throttle. */
  async checkPassword(username: string, password: string, address: string): Promise<string> {
    return (await this.options.identity.checkCredentials(username, password, address)).id;
  }

  /** The user has proven who they are: issue a code, and answer where to send the browser. */
  async authorize(userId: string, request: AuthorizationRequest): Promise<string> {
    const libraryRequest = new OAuth2Server.Request({ method: 'POST', query: {}, headers: {}, body: request.params });
    const response = new OAuth2Server.Response();
    const user: GrantUser = { id: userId };
    try {
      await this.authorizeServer.authorize(libraryRequest, response, { authenticateHandler: { handle: () => user } });
    } catch (error) {
      const location = response.headers?.location;
      if (!location) throw error;
      this.options.logger.info({ error: (error as Error).name }, 'authorization request refused');
    }
    const location = response.headers?.location;
    if (!location) throw new Error('the authorization server gave no redirect');
    return location;
  }

  /** The token endpoint, for HTTP and for the proxy in this process alike. */
  async token(form: Readonly<Record<string, string>>, authorization?: string): Promise<OAuthAnswer> {
    const body = new URLSearchParams(form).toString();
    // type-is, which the library asks about the content type, wants to see that there is a body.
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) };
    if (authorization) headers.authorization = authorization;
    const request = new OAuth2Server.Request({ method: 'POST', query: {}, headers, body: { ...form } });
    const response = new OAuth2Server.Response();
    try {
      await this.tokenServer.token(request, response);
    } catch (error) {
      if (!(error instanceof OAuth2Server.OAuthError)) throw error;
      // ServerError wraps a failure of ours (the store); the caller reports it as such.
      if (error.code >= 500) throw (error as { inner?: unknown }).inner ?? error;
      // Some refusals come before the library fills in the response.
      response.status = error.code;
      response.body = { error: error.name, error_description: error.message };
    }
    return {
      status: response.status ?? 200,
      body: (response.body ?? {}) as Record<string, unknown>,
      headers: { 'cache-control': 'no-store', pragma: 'no-cache', ...stringHeaders(response.headers) },
    };
  }

  /**
   * The client an authorization code or refresh token was issued to, and the code's redirect URI:
   * the proxy exchanges it as that client. Undefined for a grant this provider does not know.
   */
  async holderOf(grant: { code: string } | { refreshToken: string }): Promise<{ client: RegisteredClient; redirectUri?: string } | undefined> {
    const { grants, clients } = this.options;
    if ('refreshToken' in grant) {
      const stored = await grants.findRefreshToken(hashToken(grant.refreshToken));
      const client = stored && clients.find(stored.clientId);
      return client ? { client } : undefined;
    }
    const stored = await grants.findCode(hashToken(grant.code));
    const client = stored && clients.find(stored.clientId);
    return client ? { client, ...(stored.redirectUri ? { redirectUri: stored.redirectUri } : {}) } : undefined;
  }

  /** The scope granted with an access token of this provider; undefined for other tokens. */
  async scopeOfAccessToken(token: string): Promise<string | undefined> {
    if (!isWellFormedToken(token)) return undefined;
    return (await this.options.grants.findByAccessToken(hashToken(token)))?.scope;
  }

  /** RFC 7662: only registered clients may ask, and they learn only about tokens of this server. */
  async introspect(form: Readonly<Record<string, string>>, authorization?: string): Promise<OAuthAnswer> {
    const client = this.authenticateClient(form, authorization);
    if (!client) return invalidClient();
    const token = form.token ?? '';
    const inactive = { status: 200, body: { active: false }, headers: { 'cache-control': 'no-store' } };
    if (form.token_type_hint !== 'access_token') {
      const refresh = await this.options.grants.findRefreshToken(hashToken(token));
      if (refresh && !refresh.usedAt && refresh.expiresAt > this.options.identity.now() && refresh.clientId === client.id) {
        const user = await this.options.identity.findUser({ id: refresh.userId });
        if (!user) return inactive;
        return { ...inactive, body: this.activeBody(user, refresh.scope, refresh.clientId, refresh.expiresAt, 'refresh_token') };
      }
    }
    if (!isWellFormedToken(token)) return inactive;
    try {
      const owner = await this.options.identity.tokenOwner(token);
      const grant = await this.options.grants.findByAccessToken(hashToken(token));
      return { ...inactive, body: this.activeBody({ id: owner.userId, name: owner.name, roles: [...owner.roles] }, grant?.scope ?? '', grant?.clientId, owner.expiresAt, 'access_token') };
    } catch (error) {
      if ((error as { status?: number }).status !== undefined) return inactive; // unknown or expired: an identity refusal
      throw error;
    }
  }

  private activeBody(user: { id: string; name: string; roles: string[] }, scope: string, clientId: string | undefined, expiresAt: Date, kind: string) {
    return {
      active: true,
      username: user.name,
      sub: user.id,
      roles: user.roles,
      scope,
      ...(clientId ? { client_id: clientId } : {}),
      exp: Math.floor(expiresAt.getTime() / 1000),
      token_type: kind === 'access_token' ? 'Bearer' : 'refresh_token',
      iss: this.options.issuer,
    };
  }

  /**
   * RFC 7009: always 200 for a token the client may not touch or that does not exist. Revoking a
   * refresh token revokes its whole family, access tokens included.
   */
  async revoke(form: Readonly<Record<string, string>>, authorization?: string): Promise<OAuthAnswer> {
    const client = this.authenticateClient(form, authorization);
    if (!client) return invalidClient();
    const token = form.token ?? '';
    const done = { status: 200, body: {}, headers: { 'cache-control': 'no-store' } };
    const refresh = await this.options.grants.findRefreshToken(hashToken(token));
    const family = refresh ?? (isWellFormedToken(token) ? await this.options.grants.findByAccessToken(hashToken(token)) : undefined);
    if (!family || family.clientId !== client.id) return done;
    if (refresh) {
      const accessHashes = await this.options.grants.deleteFamilies([family.familyId]);
      await this.options.identity.revokeTokenHashes(accessHashes);
    } else {
      await this.options.identity.revokeTokenHashes([hashToken(token)]);
    }
    return done;
  }

  private authenticateClient(form: Readonly<Record<string, string>>, authorization?: string): RegisteredClient | undefined {
    const credentials = clientCredentials(authorization, form);
    if (!credentials || credentials.secret === undefined) return undefined;
    return this.options.clients.authenticate(credentials.id, credentials.secret);
  }

  /** Expired codes and refresh tokens are of no more use, even to detect a replay. */
  purgeExpired(): Promise<void> {
    return this.options.grants.purgeExpired(this.options.identity.now());
  }
}

function invalidClient(): OAuthAnswer {
  return {
    status: 401,
    body: { error: 'invalid_client', error_description: 'client authentication failed' },
    headers: { 'www-authenticate': 'Basic realm="classlab"', 'cache-control': 'no-store' },
  };
}

function stringHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) if (typeof value === 'string') result[name.toLowerCase()] = value;
  return result;
}
