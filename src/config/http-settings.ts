/**
 * Settings of both listeners (the API and the identity service): how long a client may take to
 * send a request, and how many connections each accepts. Spread into `settings`; same rules.
 */

import { integer, type Setting } from './parsers.js';
import { seconds } from './runtime-settings.js';

/** What a listener enforces on its clients. */
export interface HttpLimits {
  /** Time to send the request line and headers, from the moment the connection opens. */
  headersTimeoutMs: number;
  /** Time to send the whole request, body included. */
  requestTimeoutMs: number;
  /** Open connections at once; more are closed as they arrive. */
  maxConnections: number;
}

export const httpSettings = {
  headersTimeoutSeconds: {
    env: 'CLASSLAB_HEADERS_TIMEOUT',
    description: "how long a client may take to send a request's headers; then its connection is closed",
    default: 10,
    parse: seconds(1, 600),
  } satisfies Setting<number>,
  requestTimeoutSeconds: {
    env: 'CLASSLAB_REQUEST_TIMEOUT',
    description: 'how long a client may take to send a whole request, body included (at least the headers timeout)',
    default: 30,
    parse: seconds(1, 3600),
  } satisfies Setting<number>,
  shutdownDrainSeconds: {
    env: 'CLASSLAB_SHUTDOWN_DRAIN',
    description: 'on SIGTERM, seconds during which /readyz answers 503 while requests are still served, so that load balancers stop sending first; 0 stops at once',
    default: 5,
    parse: integer(0, 300),
  } satisfies Setting<number>,
  maxConnections: {
    env: 'CLASSLAB_MAX_CONNECTIONS',
    description: 'connections each listener (API, identity) keeps open at once; more are closed as they arrive',
    default: 400,
    parse: integer(1, 100_000),
  } satisfies Setting<number>,
};

/** The limits of a listener, from settings (or their defaults). */
export function httpLimitsOf(config: { headersTimeoutSeconds: number; requestTimeoutSeconds: number; maxConnections: number }): HttpLimits {
  return {
    // Node refuses a headers timeout longer than the request timeout: the headers are part of the request.
    headersTimeoutMs: Math.min(config.headersTimeoutSeconds, config.requestTimeoutSeconds) * 1000,
    requestTimeoutMs: config.requestTimeoutSeconds * 1000,
    maxConnections: config.maxConnections,
  };
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = httpLimitsOf({
  headersTimeoutSeconds: httpSettings.headersTimeoutSeconds.default,
  requestTimeoutSeconds: httpSettings.requestTimeoutSeconds.default,
  maxConnections: httpSettings.maxConnections.default,
});
