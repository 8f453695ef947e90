import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider from 'oidc-provider';

export interface RunningProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The private key the provider signs with (RS256), so that a test can sign tokens of its own. */
  signingKey: JWK & { kid: string };
  /** Requests so far, as `METHOD /path`. */
  requests: string[];
  /** Signs `login` in through the provider's own pages and answers the code of the redirect. */
  codeFor(login: string, query: Record<string, string>): Promise<string>;
  stop(): Promise<void>;
}

export interface ProviderOptions {
  /**
   * Issue access tokens as JWTs (RFC 9068) for the client as audience, carrying the profile
   * claims, instead of opaque tokens that only userinfo can explain.
   */
  jwtAccessTokens?: boolean;
  /** Offer RFC 7009 revocation, announced in the discovery document. */
  revocation?: boolean;
}

const claimsOf = (sub: string) => ({ sub, preferred_username: `ext-${sub}`, email: `${sub}@uni.example`, classlab_roles: ['lab-teacher', 'other'] });

/** A real OpenID Connect provider (oidc-provider, from npm) on a loopback port. */
export async function startOidcProvider(redirectUri: string, options: ProviderOptions = {}): Promise<RunningProvider> {
  let handler: ReturnType<Provider['callback']> | undefined;
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    requests.push(`${request.method} ${new URL(request.url ?? '/', 'http://provider').pathname}`);
    handler?.(request, response);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'classlab';
  const clientSecret = 'a-client-secret-of-the-test-provider';
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'test-key-1', alg: 'RS256', use: 'sig' };
  const jwt = options.jwtAccessTokens
    ? {
        resourceIndicators: {
          enabled: true,
          defaultResource: () => 'urn:classlab:api',
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({ scope: 'openid profile email', audience: clientId, accessTokenFormat: 'jwt' as const }),
        },
      }
    : {};
  const provider = new Provider(issuer, {
    jwks: { keys: [signingKey] },
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    cookies: { keys: ['test-cookie-key'] },
    claims: { openid: ['sub'], profile: ['preferred_username', 'classlab_roles'], email: ['email'] },
    features: { devInteractions: { enabled: true }, revocation: { enabled: options.revocation ?? false }, ...jwt },
    issueRefreshToken: async () => true,
    // A JWT access token carries these; an opaque one is explained by userinfo.
    async extraTokenClaims(_ctx, token) {
      const { preferred_username, classlab_roles } = claimsOf((token as { accountId: string }).accountId);
      return { preferred_username, classlab_roles };
    },
    async findAccount(_ctx, sub) {
      return { accountId: sub, claims: async () => claimsOf(sub) };
    },
  });
  handler = provider.callback();

  const codeFor = async (login: string, query: Record<string, string>): Promise<string> => {
    const cookies = new Map<string, string>();
    const remember = (response: Response) => {
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const [name, ...value] = (pair ?? '').split('=');
        if (name) cookies.set(name, value.join('='));
      }
    };
    const jar = () => [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    let url = new URL(`${issuer}/auth?${new URLSearchParams(query)}`);
    for (let step = 0; step < 12; step += 1) {
      if (url.href.startsWith(redirectUri)) {
        const code = url.searchParams.get('code');
        if (!code) throw new Error(`provider refused: ${url.href}`);
        return code;
      }
      const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar() } });
      remember(response);
      if (response.status >= 300 && response.status < 400) {
        url = new URL(response.headers.get('location') ?? '', url);
        continue;
      }
      const page = await response.text();
      const prompt = /name="prompt" value="(\w+)"/.exec(page)?.[1];
      if (!prompt) throw new Error(`unexpected provider page ${response.status}: ${page.slice(0, 200)}`);
      const body = new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'any' } : { prompt });
      const submitted = await fetch(url, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: jar(), 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      remember(submitted);
      url = new URL(submitted.headers.get('location') ?? '', url);
    }
    throw new Error('the provider never redirected back');
  };

  return {
    issuer,
    clientId,
    clientSecret,
    signingKey,
    requests,
    codeFor,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** classlab's settings for signing in with this provider, with its roles claim mapped to teacher. */
export function settingsFor(provider: RunningProvider, redirectUri: string) {
  return {
    oauthIssuer: provider.issuer,
    oauthClientId: provider.clientId,
    oauthClientSecret: provider.clientSecret,
    oauthRedirectUri: redirectUri,
    oauthRolesClaim: 'classlab_roles',
    oauthRoleMap: { 'lab-teacher': 'teacher' },
  };
}
