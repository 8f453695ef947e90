/**
 * Every setting classlab reads, described once: its environment variable (also its key in a
 * `--config` JSON file), its default, and how a raw value becomes a typed one. A parser throws a
 * plain message; the loader turns it into one line that names the key.
 */

import { boolean, hostAddress, integer, nonEmptyString, optionalString, type RawValue, type Setting } from './parsers.js';
import { localSettings } from './local-settings.js';
import { parseDuration, runtimeSettings } from './runtime-settings.js';
export type { RawValue, Setting } from './parsers.js';
import { oauthSettings } from './oauth-settings.js';
import { httpSettings } from './http-settings.js';
import { homeSettings } from './home-settings.js';
import { placeholderSettings } from './placeholder-settings.js';
import { PASSWORD_MIN_LENGTH, USER_NAME_PATTERN, USER_NAME_RULE } from '../common/account-rules.js';

export interface ListenAddress {
  host: string;
  port: number;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `8081`, `127.0.0.1:8081`, `[::1]:8081`, or `off` for no identity listener. */
function listenAddress(defaultHost: string) {
  const port = integer(1, 65535);
  return (raw: RawValue): ListenAddress | null => {
    const text = String(raw).trim();
    if (text === 'off') return null;
    const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text);
    if (!match) return { host: defaultHost, port: port(text) };
    let host: string;
    try {
      host = hostAddress((match[1] ?? match[2]) as string);
    } catch {
      throw new Error(`must be a port, host:port or off, where host is an IP address or a host name, got ${JSON.stringify(raw)}`);
    }
    return { host, port: port(match[3] as string) };
  };
}

export type MetricsListen = 'api' | ListenAddress | null;

/** `api` (on the API's port), `off`, or `port` / `host:port` of a listener of its own. */
function metricsListen(raw: RawValue): MetricsListen {
  const text = String(raw).trim();
  if (text === 'api') return 'api';
  try {
    return listenAddress('127.0.0.1')(text);
  } catch {
    throw new Error(`must be api, off, a port, or host:port, got ${JSON.stringify(raw)}`);
  }
}

function metricsToken(raw: RawValue): string | undefined {
  const text = optionalString(raw);
  if (text !== undefined && text.length < 16) throw new Error('must be at least 16 characters');
  return text;
}

function databaseUrl(raw: RawValue): string | undefined {
  const text = String(raw).trim();
  if (text === '') return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Not repeated: it may hold a password.
    throw new Error('must be a URL such as postgres://user@host:5432/database, got a value that is not a URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    if (url.password) url.password = '***';
    throw new Error(`must be a postgres:// URL, got ${JSON.stringify(url.href)}`);
  }
  return text;
}

function userName(raw: RawValue): string {
  const text = nonEmptyString(raw);
  if (!USER_NAME_PATTERN.test(text)) throw new Error(`is not a valid user name (${USER_NAME_RULE}), got ${JSON.stringify(raw)}`);
  return text;
}

function adminPassword(raw: RawValue): string | undefined {
  const text = optionalString(raw);
  if (text !== undefined && text.length < PASSWORD_MIN_LENGTH) {
    throw new Error(`must be at least ${PASSWORD_MIN_LENGTH} characters`);
  }
  return text;
}

/** Accounts one address may register in a window. */
export interface RegistrationRule {
  max: number;
  windowSeconds: number;
}

/** `30/10m`: at most 30 in any 10 minutes; `off`: no limit. */
function registrationRule(raw: RawValue): RegistrationRule | undefined {
  const text = String(raw).trim();
  if (text === 'off') return undefined;
  const [count, window, extra] = text.split('/');
  let seconds: number | undefined;
  try {
    seconds = window === undefined || extra !== undefined || window.trim() === 'off' ? undefined : parseDuration(window);
  } catch {
    seconds = undefined;
  }
  if (count === undefined || !/^\d+$/.test(count) || Number(count) < 1 || seconds === undefined) {
    throw new Error(`must be a count per duration such as 30/10m, or off, got ${JSON.stringify(raw)}`);
  }
  return { max: Number(count), windowSeconds: seconds };
}

/** `*` (any origin, no credentials), `off`, or a comma-separated list of origins. */
function corsOrigins(raw: RawValue): '*' | false | string[] {
  const text = String(raw).trim();
  if (text === '*') return '*';
  if (text === 'off' || text === '') return false;
  return text.split(',').map((origin) => {
    const trimmed = origin.trim();
    let url: URL;
    try {
      url = new URL(trimmed);
    } catch {
      throw new Error(`must be *, off, or a list of origins like https://lab.example.edu, got ${JSON.stringify(trimmed)}`);
    }
    return url.origin;
  });
}

function logLevel(raw: RawValue): LogLevel {
  const text = String(raw).trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(text)) {
    throw new Error(`must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return text as LogLevel;
}

export const settings = {
  host: {
    env: 'HOST',
    description: 'address the API listens on',
    default: '0.0.0.0',
    parse: hostAddress,
  } satisfies Setting<string>,
  port: {
    env: 'PORT',
    description: 'port of the API',
    default: 8080,
    parse: integer(0, 65535),
  } satisfies Setting<number>,
  identityListen: {
    env: 'CLASSLAB_IDENTITY_PORT',
    description: 'identity service listener: port, host:port, or off',
    default: { host: '127.0.0.1', port: 8081 } as ListenAddress | null,
    parse: listenAddress('127.0.0.1'),
  } satisfies Setting<ListenAddress | null>,
  dataDir: {
    env: 'CLASSLAB_DATA_DIR',
    description: 'directory of the embedded database (unused when DATABASE_URL is set)',
    default: './data',
    parse: nonEmptyString,
  } satisfies Setting<string>,
  databaseUrl: {
    env: 'DATABASE_URL',
    description: 'PostgreSQL server to use instead of the embedded database',
    default: undefined as string | undefined,
    parse: databaseUrl,
    secret: true,
  } satisfies Setting<string | undefined>,
  adminUser: {
    env: 'CLASSLAB_ADMIN_USER',
    description: 'name of the admin created on first start',
    default: 'admin',
    parse: userName,
  } satisfies Setting<string>,
  adminPassword: {
    env: 'CLASSLAB_ADMIN_PASSWORD',
    description: 'password of the admin created on first start; generated and printed once when unset',
    default: undefined as string | undefined,
    parse: adminPassword,
    secret: true,
  } satisfies Setting<string | undefined>,
  tokenTtlSeconds: {
    env: 'CLASSLAB_TOKEN_TTL',
    description: 'lifetime of a token, in seconds',
    default: 8 * 60 * 60,
    parse: integer(60, 90 * 24 * 60 * 60),
  } satisfies Setting<number>,
  tokenCacheMs: {
    env: 'CLASSLAB_TOKEN_CACHE_MS',
    description: 'how long a verified token is trusted without asking the store, in milliseconds',
    default: 1000,
    parse: integer(0, 10_000),
  } satisfies Setting<number>,
  selfRegistration: {
    env: 'CLASSLAB_SELF_REGISTRATION',
    description: 'whether anyone may register a student account',
    default: true,
    parse: boolean,
  } satisfies Setting<boolean>,
  registrationRateLimit: {
    env: 'CLASSLAB_REGISTRATION_RATE_LIMIT',
    description: 'accounts one address may register in a window, e.g. 30/10m, or off',
    default: { max: 30, windowSeconds: 600 } as RegistrationRule | undefined,
    parse: registrationRule,
  } satisfies Setting<RegistrationRule | undefined>,
  corsOrigins: {
    env: 'CLASSLAB_CORS_ORIGINS',
    description: 'browser origins allowed to call the API: *, off, or a comma-separated list',
    default: '*' as '*' | false | string[],
    parse: corsOrigins,
  } satisfies Setting<'*' | false | string[]>,
  logLevel: {
    env: 'CLASSLAB_LOG_LEVEL',
    description: 'log level',
    default: 'info' as LogLevel,
    parse: logLevel,
  } satisfies Setting<LogLevel>,
  metricsListen: {
    env: 'CLASSLAB_METRICS_PORT',
    description: 'where /metrics is served: api (on the API port), off, or a port or host:port of its own',
    default: 'api' as MetricsListen,
    parse: metricsListen,
  } satisfies Setting<MetricsListen>,
  metricsToken: {
    env: 'CLASSLAB_METRICS_TOKEN',
    description: 'when set, /metrics needs Authorization: Bearer with this token',
    default: undefined as string | undefined,
    parse: metricsToken,
  } satisfies Setting<string | undefined>,
  ...runtimeSettings,
  ...localSettings,
  ...oauthSettings,
  ...httpSettings,
  ...homeSettings,
  ...placeholderSettings,
};

type Settings = typeof settings;
export type Config = { [K in keyof Settings]: ReturnType<Settings[K]['parse']> };
