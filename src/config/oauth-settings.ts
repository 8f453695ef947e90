/**
 * Settings of sign-in: the built-in OAuth2 provider, the proxy's client, how identities of an
 * external provider become classlab users, and the limits on wrong passwords. Spread into
 * `settings`; same rules as there.
 */

import { integer, type RawValue, type Setting } from './parsers.js';

/** A client of the built-in provider, registered by configuration. No secret: a public client, which must use PKCE. */
export interface RegisteredClient {
  id: string;
  secret?: string;
  redirectUris: string[];
  scopes: string[];
}

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

/** Plain http is only acceptable where no one can listen in: this machine. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function optional(raw: RawValue): string | undefined {
  const text = String(raw).trim();
  return text === '' ? undefined : text;
}

/** An https URL, or http on a loopback host; without query or fragment; no trailing slash. */
function secureUrl(raw: RawValue, what: string): URL {
  let url: URL;
  try {
    url = new URL(String(raw).trim());
  } catch {
    throw new Error(`must be ${what} such as https://login.example.edu, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new Error(`must be an https:// URL (http:// only on localhost or 127.0.0.1), got ${JSON.stringify(raw)}`);
  }
  if (url.search || url.hash) throw new Error(`must not have a query or a fragment, got ${JSON.stringify(raw)}`);
  return url;
}

function issuer(raw: RawValue): string | undefined {
  if (optional(raw) === undefined) return undefined;
  return secureUrl(raw, 'an issuer URL').href.replace(/\/$/, '');
}

function publicUrl(raw: RawValue): string | undefined {
  const text = optional(raw);
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`must be a URL such as https://lab.example.edu, got ${JSON.stringify(raw)}`);
  }
  // `localhost:8080` parses as a URL whose scheme is "localhost:".
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`must be an http(s) URL such as https://lab.example.edu, got ${JSON.stringify(raw)}`);
  }
  if (url.search || url.hash) throw new Error(`must not have a query or a fragment, got ${JSON.stringify(raw)}`);
  return url.href.replace(/\/$/, '');
}

function redirectUri(raw: RawValue): string | undefined {
  const text = optional(raw);
  if (text === undefined) return undefined;
  try {
    return new URL(text).href;
  } catch {
    throw new Error(`must be an absolute URL, got ${JSON.stringify(raw)}`);
  }
}

const CLIENT_ID_PATTERN = /^[A-Za-z0-9._~-]{1,64}$/;
/** RFC 6749 §3.3's scope-token: printable ASCII but space, `"` and `\`. */
const SCOPE_PATTERN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Scope names separated by spaces or commas, or a JSON array of them in a config file. */
function scopeNames(raw: RawValue): string[] {
  const names = Array.isArray(raw) ? raw.map(String) : String(raw).split(/[\s,]+/).filter((name) => name !== '');
  const bad = names.find((name) => !SCOPE_PATTERN.test(name));
  if (names.length === 0 || bad !== undefined) {
    throw new Error(`must be one or more scope names separated by spaces, such as "profile read_write", got ${JSON.stringify(raw)}`);
  }
  return [...new Set(names)];
}

/** A JSON array: `[{"id": "...", "secret": "...", "redirect_uris": ["..."], "scopes": ["..."]}]`. */
function clients(raw: RawValue): RegisteredClient[] {
  let parsed: unknown = raw;
  try {
    // The environment gives JSON text; a config file may give the array itself.
    if (typeof raw === 'string') parsed = JSON.parse(raw);
  } catch {
    throw new Error('must be a JSON array of clients like [{"id":"web","secret":"...","redirect_uris":["https://..."]}]');
  }
  if (!Array.isArray(parsed)) throw new Error('must be a JSON array of clients');
  return parsed.map((entry: unknown, index) => {
    const where = `client ${index + 1}`;
    if (entry === null || typeof entry !== 'object') throw new Error(`${where} must be an object`);
    const { id, secret, redirect_uris: uris, scopes } = entry as Record<string, unknown>;
    if (typeof id !== 'string' || !CLIENT_ID_PATTERN.test(id)) {
      throw new Error(`${where}: id must be 1 to 64 letters, digits, ".", "_", "~" or "-"`);
    }
    if (secret !== undefined && (typeof secret !== 'string' || secret.length < 16)) {
      throw new Error(`${where} (${id}): secret must be a string of 16 characters or more, or absent for a public client`);
    }
    if (!Array.isArray(uris) || uris.length === 0 || !uris.every((uri) => typeof uri === 'string' && URL.canParse(uri))) {
      throw new Error(`${where} (${id}): redirect_uris must be a non-empty array of absolute URLs`);
    }
    if (scopes !== undefined && !(Array.isArray(scopes) && scopes.every((scope) => typeof scope === 'string' && SCOPE_PATTERN.test(scope)))) {
      throw new Error(`${where} (${id}): scopes must be an array of scope names`);
    }
    return { id, ...(secret === undefined ? {} : { secret }), redirectUris: uris as string[], scopes: (scopes as string[] | undefined) ?? ['profile'] };
  });
}

/** `provider-role=classlab-role,...`, e.g. `lab-teachers=teacher,lab-admins=admin`. */
function roleMap(raw: RawValue): Record<string, string> {
  const map: Record<string, string> = {};
  const text = String(raw).trim();
  if (text === '') return map;
  for (const pair of text.split(',')) {
    const match = /^\s*([^=\s]+)\s*=\s*([a-z][a-z0-9_-]{0,31})\s*$/.exec(pair);
    if (!match) throw new Error(`must be a comma-separated list of provider-role=classlab-role, got ${JSON.stringify(pair.trim())}`);
    map[match[1] as string] = match[2] as string;
  }
  return map;
}

function claimPath(raw: RawValue): string | undefined {
  const text = optional(raw);
  if (text !== undefined && !/^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$/.test(text)) {
    throw new Error(`must be a claim name or a dotted path such as realm_access.roles, got ${JSON.stringify(raw)}`);
  }
  return text;
}

export const oauthSettings = {
  publicUrl: {
    env: 'CLASSLAB_PUBLIC_URL',
    description: 'the URL browsers use to reach the API; the built-in provider is its issuer (default http://localhost:PORT)',
    default: undefined as string | undefined,
    parse: publicUrl,
  } satisfies Setting<string | undefined>,
  oauthIssuer: {
    env: 'CLASSLAB_OAUTH_ISSUER',
    description: 'an external OAuth2/OIDC provider (https://github.com for GitHub); unset: the built-in provider',
    default: undefined as string | undefined,
    parse: issuer,
  } satisfies Setting<string | undefined>,
  oauthClientId: {
    env: 'CLASSLAB_OAUTH_CLIENT_ID',
    description: "the proxy's client id at the provider",
    default: 'classlab-web',
    parse: (raw: RawValue) => {
      const text = String(raw).trim();
      if (!/^[\x21-\x7e]{1,256}$/.test(text)) throw new Error(`must be 1 to 256 printable characters without spaces, got ${JSON.stringify(raw)}`);
      return text;
    },
  } satisfies Setting<string>,
  oauthClientSecret: {
    env: 'CLASSLAB_OAUTH_CLIENT_SECRET',
    description: "the proxy's client secret; with the built-in provider, generated at start when unset",
    default: undefined as string | undefined,
    parse: optional,
    secret: true,
  } satisfies Setting<string | undefined>,
  oauthRedirectUri: {
    env: 'CLASSLAB_OAUTH_REDIRECT_URI',
    description: 'where the provider sends the browser back with a code (default: the built-in sign-in page, PUBLIC_URL/oauth/callback)',
    default: undefined as string | undefined,
    parse: redirectUri,
  } satisfies Setting<string | undefined>,
  oauthClients: {
    env: 'CLASSLAB_OAUTH_CLIENTS',
    description: 'more clients of the built-in provider, as a JSON array of {id, secret, redirect_uris, scopes}',
    default: [] as RegisteredClient[],
    parse: clients,
    structured: true,
  } satisfies Setting<RegisteredClient[]>,
  oauthRolesClaim: {
    env: 'CLASSLAB_OAUTH_ROLES_CLAIM',
    description: "the claim of an external provider's tokens that holds roles, e.g. realm_access.roles",
    default: undefined as string | undefined,
    parse: claimPath,
  } satisfies Setting<string | undefined>,
  oauthRoleMap: {
    env: 'CLASSLAB_OAUTH_ROLE_MAP',
    description: 'which provider roles become which classlab roles: provider-role=classlab-role,...',
    default: {} as Record<string, string>,
    parse: roleMap,
  } satisfies Setting<Record<string, string>>,
  oauthAudience: {
    env: 'CLASSLAB_OAUTH_AUDIENCE',
    description: "the audience a provider's JWT access tokens must name (default: the client id, as aud or azp)",
    default: undefined as string | undefined,
    parse: optional,
  } satisfies Setting<string | undefined>,
  oauthTokenCacheSeconds: {
    env: 'CLASSLAB_OAUTH_TOKEN_CACHE_SECONDS',
    description: "how long a token verified by an external provider is trusted without asking it again",
    default: 300,
    parse: integer(0, 3600),
  } satisfies Setting<number>,
  oauthAccessTtlSeconds: {
    env: 'CLASSLAB_OAUTH_ACCESS_TTL',
    description: 'lifetime of access tokens of the built-in provider, in seconds',
    default: 3600,
    parse: integer(60, 24 * 60 * 60),
  } satisfies Setting<number>,
  oauthRefreshTtlSeconds: {
    env: 'CLASSLAB_OAUTH_REFRESH_TTL',
    description: 'lifetime of refresh tokens of the built-in provider, in seconds',
    default: 30 * 24 * 60 * 60,
    parse: integer(300, 365 * 24 * 60 * 60),
  } satisfies Setting<number>,
  oauthRateLimit: {
    env: 'CLASSLAB_OAUTH_RATE_LIMIT',
    description: 'sign-in and token requests allowed per client address and minute, on each endpoint, right or wrong; high, for a class behind one address',
    default: 600,
    parse: integer(1, 100_000),
  } satisfies Setting<number>,
  oauthScopes: {
    env: 'CLASSLAB_OAUTH_SCOPES',
    description: "built-in provider: the scopes the proxy's own client may be granted, separated by spaces; its sign-in page asks for all of them",
    default: ['profile'],
    parse: scopeNames,
    structured: true,
  } satisfies Setting<string[]>,
  signInFailuresPerUser: {
    env: 'CLASSLAB_SIGNIN_FAILURES_PER_USER',
    description: 'wrong passwords for one user name, from anywhere, before that name is locked until its window ends',
    default: 5,
    parse: integer(1, 10_000),
  } satisfies Setting<number>,
  signInFailuresPerAddress: {
    env: 'CLASSLAB_SIGNIN_FAILURES_PER_ADDRESS',
    description: 'wrong passwords from one client address, for any names, before that address is locked until its window ends',
    default: 100,
    parse: integer(1, 1_000_000),
  } satisfies Setting<number>,
  signInWindowSeconds: {
    env: 'CLASSLAB_SIGNIN_WINDOW',
    description: 'seconds over which wrong passwords are counted, from the first one: the longest a lock lasts',
    default: 900,
    parse: integer(1, 24 * 60 * 60),
  } satisfies Setting<number>,
};
