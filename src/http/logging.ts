import type { IncomingMessage } from 'node:http';
import { DrizzleQueryError } from 'drizzle-orm';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/settings.js';

/**
 * Query parameters whose values are secrets: the identity API accepts tokens in the query, and
 * OAuth clients send codes and tokens of every kind there. Any name that ends in token, secret or
 * password counts too (id_token, subject_token, api_secret…).
 */
const SECRET_QUERY_KEYS = new Set(['code', 'code_verifier', 'assertion', 'client_assertion', 'api_key', 'apikey', 'key', 'signature', 'passwd']);
const SECRET_QUERY_SUFFIX = /(token|secret|password)$/;

function isSecretQueryKey(key: string): boolean {
  const name = key.toLowerCase().replace(/\[\]$/, ''); // `token[]` is a token too
  return SECRET_QUERY_KEYS.has(name) || SECRET_QUERY_SUFFIX.test(name);
}

/** Body and header fields that are secrets, wherever they appear in a log line. */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'password',
  'token',
  'refresh_token',
  '*.password',
  '*.token',
  '*.refresh_token',
  '*.authorization',
  '*.client_secret',
  'id_token',
  'access_token',
  '*.id_token',
  '*.access_token',
];

export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart < 0) return url;
  const query = url
    .slice(queryStart + 1)
    .split('&')
    .map((pair) => {
      const key = decodeURIComponentSafely(pair.split('=')[0] ?? '');
      return isSecretQueryKey(key) ? `${key}=[redacted]` : pair;
    });
  return `${url.slice(0, queryStart)}?${query.join('&')}`;
}

function decodeURIComponentSafely(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/**
 * Drizzle writes a failed query's parameters into its error's message: password hashes, token
 * hashes, course text. Logs get a copy of the error chain in which such an error says only its
 * SQL. (Cutting the parameters out of the text afterwards fails when they hold line breaks.)
 */
export function withoutQueryParameters(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error) || depth > 8) return error;
  const cause = withoutQueryParameters(error.cause, depth + 1);
  if (error instanceof DrizzleQueryError) {
    const scrubbed = new Error(`Failed query: ${error.query}`, { cause });
    scrubbed.name = 'DrizzleQueryError';
    const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
    scrubbed.stack = [`DrizzleQueryError: Failed query: ${error.query}`, ...frames].join('\n');
    return scrubbed;
  }
  if (cause === error.cause) return error;
  const copy = Object.create(Object.getPrototypeOf(error), Object.getOwnPropertyDescriptors(error)) as Error;
  Object.defineProperty(copy, 'cause', { value: cause, writable: true, configurable: true, enumerable: false });
  return copy;
}

/** JSON logs to stdout (or a given stream), with secrets censored. */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: {
        req: (request: IncomingMessage & { ip?: string }) => ({
          method: request.method,
          url: redactUrl(request.url ?? ''),
          remoteAddress: request.ip ?? request.socket?.remoteAddress,
        }),
        res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }),
        err: (error: Error) => pino.stdSerializers.err(withoutQueryParameters(error) as Error),
      },
    },
    destination,
  );
}
