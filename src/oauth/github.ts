import * as client from 'openid-client';
import { TokenRejectedError } from '../auth/verifier.js';
import { isLoopbackHost } from '../config/oauth-settings.js';
import { authorizationUrlOf, describe, exchangeFailure, pairOf, type ExternalIdentity, type ExternalProvider, type ExternalProviderOptions } from './external.js';
import type { CodeExchange, TokenPair } from './proxy.js';

export const GITHUB_ISSUER = 'https://github.com';

/** Where GitHub answers: its web site signs people in and exchanges codes; its API says who holds a token. */
export interface GitHubEndpoints {
  web: string;
  api: string;
}

/** The only endpoints configuration (CLASSLAB_OAUTH_ISSUER=https://github.com) uses; tests hand a fake on loopback to the constructor. */
export const GITHUB_ENDPOINTS: GitHubEndpoints = { web: GITHUB_ISSUER, api: 'https://api.github.com' };

/**
 * GitHub refuses an exchange (`bad_verification_code`) with HTTP 200 and an error body. Passed on
 * as the 400 of RFC 6749, openid-client reports the OAuth error it is, not a malformed answer.
 */
const errorsAsBadRequest: client.CustomFetch = async (url, options) => {
  const response = await fetch(url, options);
  if (response.status !== 200) return response;
  const body: unknown = await response
    .clone()
    .json()
    .catch(() => undefined);
  if (body === null || typeof body !== 'object' || typeof (body as { error?: unknown }).error !== 'string') return response;
  return new Response(JSON.stringify(body), { status: 400, headers: { 'content-type': 'application/json' } });
};

/**
 * GitHub speaks OAuth2 but not OpenID Connect: no discovery, no JWTs, no userinfo with `sub`.
 * Its endpoints are written down here, and a token is checked by asking its API who owns it.
 */
export class GitHubProvider implements ExternalProvider {
  private readonly config: client.Configuration;

  constructor(
    private readonly options: ExternalProviderOptions,
    private readonly endpoints: GitHubEndpoints = GITHUB_ENDPOINTS,
  ) {
    this.config = new client.Configuration(
      {
        issuer: GITHUB_ISSUER,
        authorization_endpoint: `${endpoints.web}/login/oauth/authorize`,
        token_endpoint: `${endpoints.web}/login/oauth/access_token`,
      },
      options.clientId,
      undefined,
      client.ClientSecretPost(options.clientSecret),
    );
    this.config[client.customFetch] = errorsAsBadRequest;
    this.config.timeout = options.timeoutSeconds ?? 10;
    const web = new URL(endpoints.web);
    if (web.protocol === 'http:' && isLoopbackHost(web.hostname)) client.allowInsecureRequests(this.config);
  }

  get issuer(): string {
    return GITHUB_ISSUER;
  }

  async authorizationUrl({ state, codeChallenge }: { state: string; codeChallenge: string }): Promise<URL> {
    return authorizationUrlOf(this.config, this.options.redirectUri, 'read:user user:email', state, codeChallenge);
  }

  async exchange(request: CodeExchange): Promise<TokenPair> {
    const parameters: Record<string, string> = { code: request.code, redirect_uri: request.redirectUri ?? this.options.redirectUri };
    if (request.codeVerifier) parameters.code_verifier = request.codeVerifier;
    try {
      return pairOf(await client.genericGrantRequest(this.config, 'authorization_code', parameters));
    } catch (error) {
      throw exchangeFailure(error);
    }
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    try {
      return pairOf(await client.refreshTokenGrant(this.config, refreshToken));
    } catch (error) {
      throw exchangeFailure(error);
    }
  }

  /**
   * GitHub revokes a token only through its REST API with the app's own credentials; classlab does
   * not. The session cookie is cleared, and the token runs out at GitHub.
   */
  async revoke(): Promise<void> {}

  async identify(accessToken: string): Promise<ExternalIdentity> {
    let response: Response;
    try {
      response = await fetch(`${this.endpoints.api}/user`, {
        headers: { authorization: `Bearer ${accessToken}`, accept: 'application/vnd.github+json', 'user-agent': 'classlab' },
        signal: AbortSignal.timeout((this.options.timeoutSeconds ?? 10) * 1000),
      });
    } catch (error) {
      throw new Error(`GitHub API unreachable: ${describe(error)}`, { cause: error });
    }
    if (response.status === 401) throw new TokenRejectedError('invalid');
    if (!response.ok) throw new Error(`GitHub API answered ${response.status}`);
    const user = (await response.json()) as { id?: number; login?: string; email?: string | null };
    if (typeof user.id !== 'number') throw new Error('GitHub API answered without a user id');
    return { claims: { sub: String(user.id), preferred_username: user.login, email: user.email ?? undefined } };
  }
}
