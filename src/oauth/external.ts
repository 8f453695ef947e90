import * as client from 'openid-client';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { TokenRejectedError } from '../auth/verifier.js';
import { isLoopbackHost } from '../config/oauth-settings.js';
import type { ExternalClaims } from './accounts.js';
import { ExchangeError, type CodeExchange, type TokenPair, type TokenProxy } from './proxy.js';

export interface ExternalProviderOptions {
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  redirectUri: string;
  /** The audience a JWT access token must name; default: the client id, as `aud` or `azp`. */
  audience?: string;
  /** Provider requests that take longer fail, so that an outage answers quickly. */
  timeoutSeconds?: number;
}

export interface ExternalIdentity {
  claims: ExternalClaims;
  expiresAt?: Date;
}

/** A provider outside classlab: exchanges codes for the proxy and says who holds a bearer token. */
export interface ExternalProvider extends TokenProxy {
  readonly issuer: string;
  identify(accessToken: string): Promise<ExternalIdentity>;
}

/** OAuth errors that mean the caller sent something wrong, not that the provider or we failed. */
const CALLER_ERRORS = new Set([
  'invalid_grant',
  'invalid_request',
  'invalid_scope',
  'unsupported_grant_type',
  // GitHub's names for invalid_grant
  'bad_verification_code',
  'bad_refresh_token',
]);

export function exchangeFailure(error: unknown): ExchangeError {
  if (error instanceof client.ResponseBodyError) {
    const message = `${error.error}: ${error.error_description ?? error.message}`;
    return new ExchangeError(CALLER_ERRORS.has(error.error), message, { cause: error });
  }
  return new ExchangeError(false, describe(error), { cause: error });
}

/** fetch() says "fetch failed" and hides the reason (ECONNREFUSED) in its cause. */
export function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ? `${message} (${cause.code})` : cause?.message ? `${message}: ${cause.message}` : message;
}

/** Any OpenID Connect provider, found by discovery: Keycloak, Google, Azure AD, oidc-provider... */
export class OidcProvider implements ExternalProvider {
  private configuration: Promise<client.Configuration> | undefined;
  private jwks: JWTVerifyGetKey | undefined;

  constructor(private readonly options: ExternalProviderOptions) {}

  get issuer(): string {
    return this.options.issuer;
  }

  /** Discovered on first use, not at start: a provider down at start must not keep classlab down. */
  private config(): Promise<client.Configuration> {
    this.configuration ??= this.discover().catch((error: unknown) => {
      this.configuration = undefined; // try again next time
      throw error;
    });
    return this.configuration;
  }

  private async discover(): Promise<client.Configuration> {
    const { issuer, clientId, clientSecret, timeoutSeconds = 10 } = this.options;
    const insecure = new URL(issuer).protocol === 'http:' && isLoopbackHost(new URL(issuer).hostname);
    const auth = clientSecret ? client.ClientSecretPost(clientSecret) : client.None();
    return client.discovery(new URL(issuer), clientId, undefined, auth, {
      timeout: timeoutSeconds,
      ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
    });
  }

  async authorizationUrl({ state, codeChallenge }: { state: string; codeChallenge: string }): Promise<URL> {
    return authorizationUrlOf(await this.config(), this.options.redirectUri, 'openid profile email', state, codeChallenge);
  }

  async exchange(request: CodeExchange): Promise<TokenPair> {
    try {
      const config = await this.config();
      const parameters: Record<string, string> = { code: request.code, redirect_uri: request.redirectUri ?? this.options.redirectUri };
      if (request.codeVerifier) parameters.code_verifier = request.codeVerifier;
      return pairOf(await client.genericGrantRequest(config, 'authorization_code', parameters));
    } catch (error) {
      throw exchangeFailure(error);
    }
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    try {
      return pairOf(await client.refreshTokenGrant(await this.config(), refreshToken));
    } catch (error) {
      throw exchangeFailure(error);
    }
  }

  /** RFC 7009 where the provider offers it; a provider without revocation lets tokens run out. */
  async revoke(token: string): Promise<void> {
    const config = await this.config();
    if (!config.serverMetadata().revocation_endpoint) return;
    try {
      await client.tokenRevocation(config, token);
    } catch (error) {
      throw exchangeFailure(error);
    }
  }

  /** JWTs are checked against the provider's keys; opaque tokens by userinfo, else introspection. */
  async identify(accessToken: string): Promise<ExternalIdentity> {
    const config = await this.config();
    const metadata = config.serverMetadata();
    if (accessToken.split('.').length === 3 && metadata.jwks_uri) return this.verifyJwt(accessToken, metadata.issuer, metadata.jwks_uri);
    try {
      if (metadata.userinfo_endpoint) {
        const claims = await client.fetchUserInfo(config, accessToken, client.skipSubjectCheck);
        return { claims: claims as ExternalClaims };
      }
      if (metadata.introspection_endpoint) {
        const answer = await client.tokenIntrospection(config, accessToken);
        if (!answer.active || typeof answer.sub !== 'string') throw new TokenRejectedError('invalid');
        return { claims: { ...answer, sub: answer.sub }, ...(answer.exp ? { expiresAt: new Date(answer.exp * 1000) } : {}) };
      }
    } catch (error) {
      throw rejection(error);
    }
    throw new Error(`provider ${metadata.issuer} offers neither userinfo nor introspection to check opaque tokens`);
  }

  private async verifyJwt(token: string, issuer: string, jwksUri: string): Promise<ExternalIdentity> {
    this.jwks ??= createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: (this.options.timeoutSeconds ?? 10) * 1000 });
    try {
      const { payload } = await jwtVerify(token, this.jwks, { issuer });
      const audiences = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
      const expected = this.options.audience ?? this.options.clientId;
      if (!audiences.includes(expected) && payload.azp !== expected) throw new TokenRejectedError('invalid');
      if (typeof payload.sub !== 'string') throw new TokenRejectedError('invalid');
      return { claims: { ...payload, sub: payload.sub }, ...(payload.exp ? { expiresAt: new Date(payload.exp * 1000) } : {}) };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new TokenRejectedError('expired');
      if (error instanceof joseErrors.JOSEError && !(error instanceof joseErrors.JWKSTimeout)) throw new TokenRejectedError('invalid');
      throw error;
    }
  }
}

/** 401 from userinfo, or a provider's explicit refusal: the token is bad. Anything else: we could not ask. */
export function rejection(error: unknown): unknown {
  if (error instanceof TokenRejectedError) return error;
  if (error instanceof client.WWWAuthenticateChallengeError || error instanceof client.ResponseBodyError) {
    if (error.status === 401 || error.status === 400 || error.status === 403) return new TokenRejectedError('invalid');
  }
  return error;
}

export function pairOf(response: { access_token: string; refresh_token?: string }): TokenPair {
  // Some providers (GitHub's classic apps, Google without offline access) issue no refresh token.
  return { token: response.access_token, refreshToken: response.refresh_token ?? '' };
}

export function authorizationUrlOf(config: client.Configuration, redirectUri: string, scope: string, state: string, codeChallenge: string): URL {
  return client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    state,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
  });
}
