import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { CachedTokenVerifier, type TokenVerifier } from '../auth/verifier.js';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/settings.js';
import type { IdentityService } from '../identity/service.js';
import type { Database } from '../store/store.js';
import { ExternalAccounts } from './accounts.js';
import { ClientRegistry, type RegisteredClient } from './clients.js';
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

  const proxyClient = proxyClientOf(config, redirectUri);
  const clients = new ClientRegistry([proxyClient, ...config.oauthClients.filter((client) => client.id !== proxyClient.id)]);
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
    proxy: new BuiltInProxy(provider, { ...proxyClient, redirectUri }),
    verifier: new TokenVerifierChain(deps.localVerifier, undefined),
    close: () => clearInterval(purge),
  };
}

/**
 * The proxy's own client at the built-in provider: CLASSLAB_OAUTH_SCOPES, the redirect URI, and
 * a secret (made up when none is configured: only this process uses it). An entry of
 * CLASSLAB_OAUTH_CLIENTS with the same id adds its redirect URIs, scopes and secret, so that an
 * existing web client keeps its registration.
 */
function proxyClientOf(config: Config, redirectUri: string): RegisteredClient & { secret: string } {
  const entry = config.oauthClients.find((client) => client.id === config.oauthClientId);
  if (entry?.secret !== undefined && config.oauthClientSecret !== undefined && entry.secret !== config.oauthClientSecret) {
    throw new ConfigError(
      `Invalid configuration: CLASSLAB_OAUTH_CLIENTS gives ${entry.id}, the proxy's own CLASSLAB_OAUTH_CLIENT_ID, another secret than CLASSLAB_OAUTH_CLIENT_SECRET; give one of them`,
    );
  }
  return {
    id: config.oauthClientId,
    secret: config.oauthClientSecret ?? entry?.secret ?? randomBytes(32).toString('base64url'),
    redirectUris: [...new Set([redirectUri, ...(entry?.redirectUris ?? [])])],
    scopes: [...new Set([...config.oauthScopes, ...(entry?.scopes ?? [])])],
  };
}
