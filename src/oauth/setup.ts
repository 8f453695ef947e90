import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { CachedTokenVerifier, type TokenVerifier } from '../auth/verifier.js';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/settings.js';
import type { IdentityService } from '../identity/service.js';
import type { Database } from '../store/store.js';
import { ExternalAccounts } from './accounts.js';
import { ClientRegistry } from './clients.js';
import { OidcProvider, type ExternalProvider } from './external.js';
import { GITHUB_ISSUER, GitHubProvider } from './github.js';
import { GrantStore } from './grants.js';
import { BuiltInProvider } from './provider.js';
import { BuiltInProxy, type TokenProxy } from './proxy.js';
import { ExternalTokenVerifier, TokenVerifierChain } from './verifier.js';

/** What the HTTP layer needs of OAuth2 sign-in. */
export interface OAuthServices {
  /** Absent when an external provider is configured: then classlab is only its client. */
  provider: BuiltInProvider | undefined;
  proxy: TokenProxy;
  /** Every bearer token: classlab's own, then the external provider's. */
  verifier: TokenVerifier;
  /** Requests per client address and minute on the login and token endpoints. */
  rateLimitPerMinute: number;
  /** Whether cookies need `Secure`: the public URL is https. */
  secureCookies: boolean;
  close(): void;
}

export interface OAuthDependencies {
  db: Database;
  identity: IdentityService;
  /** The verifier of classlab's own tokens, with its cache. */
  localVerifier: TokenVerifier;
  logger: Logger;
  /** The provider to use instead of the one CLASSLAB_OAUTH_ISSUER names: tests bring a fake GitHub. */
  external?: ExternalProvider;
}

const PURGE_INTERVAL_MS = 60 * 60 * 1000;

export function createOAuth(config: Config, deps: OAuthDependencies): OAuthServices {
  const publicUrl = config.publicUrl ?? `http://localhost:${config.port}`;
  const redirectUri = config.oauthRedirectUri ?? `${publicUrl}/oauth/callback`;
  const common = {
    rateLimitPerMinute: config.oauthRateLimit,
    secureCookies: publicUrl.startsWith('https:'),
  };

  if (config.oauthIssuer) {
    const options = {
      issuer: config.oauthIssuer,
      clientId: config.oauthClientId,
      clientSecret: config.oauthClientSecret,
      redirectUri,
      ...(config.oauthAudience ? { audience: config.oauthAudience } : {}),
    };
    const external: ExternalProvider =
      deps.external ?? (config.oauthIssuer === GITHUB_ISSUER ? new GitHubProvider(options) : new OidcProvider(options));
    const accounts = new ExternalAccounts(deps.db, deps.identity, { claim: config.oauthRolesClaim, map: config.oauthRoleMap });
    // Its own cache, longer than the local one and not cleared by local changes: it is what
    // keeps signed-in people working through a provider outage.
    const externalVerifier = new CachedTokenVerifier(new ExternalTokenVerifier(external, accounts), {
      ttlMs: config.oauthTokenCacheSeconds * 1000,
    });
    return {
      ...common,
      provider: undefined,
      proxy: external,
      verifier: new TokenVerifierChain(deps.localVerifier, externalVerifier),
      close: () => undefined,
    };
  }

  // The proxy's own client is registered at the built-in provider. Without a configured secret,
  // one is made up: only this process uses it.
  const proxyClient = { id: config.oauthClientId, secret: config.oauthClientSecret ?? randomBytes(32).toString('base64url'), redirectUri };
  if (config.oauthClients.some((client) => client.id === proxyClient.id)) {
    throw new ConfigError(
      `Invalid configuration: CLASSLAB_OAUTH_CLIENTS registers ${proxyClient.id}, which is the proxy's own CLASSLAB_OAUTH_CLIENT_ID; choose another id`,
    );
  }
  const clients = new ClientRegistry([
    { id: proxyClient.id, secret: proxyClient.secret, redirectUris: [redirectUri], scopes: ['profile'] },
    ...config.oauthClients,
  ]);
  const provider = new BuiltInProvider({
    issuer: publicUrl,
    identity: deps.identity,
    grants: new GrantStore(deps.db),
    clients,
    accessTtlSeconds: config.oauthAccessTtlSeconds,
    refreshTtlSeconds: config.oauthRefreshTtlSeconds,
    logger: deps.logger,
  });
  const purge = setInterval(() => {
    provider.purgeExpired().catch((err: unknown) => deps.logger.warn({ err }, 'purging expired OAuth codes failed; will retry'));
  }, PURGE_INTERVAL_MS).unref();
  return {
    ...common,
    provider,
    proxy: new BuiltInProxy(provider, proxyClient),
    verifier: new TokenVerifierChain(deps.localVerifier, undefined),
    close: () => clearInterval(purge),
  };
}
