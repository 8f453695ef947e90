import Fastify, { type FastifyBaseLogger, type FastifyHttpOptions, type FastifyInstance, type FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from '../config/http-settings.js';
import { clientErrorHandler, type ClientErrorAnswer } from './client-errors.js';
import { BODY_LIMIT_BYTES, acceptJsonOfAnyContentType } from './json-body.js';
import { describeValidationErrors } from './validation.js';

export type HttpApp = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

type FrameworkErrors = NonNullable<FastifyHttpOptions<Server>['frameworkErrors']>;

/** A URL without its query, which may hold secrets: fit to repeat in an error message. */
export function pathOf(url: string): string {
  return url.split('?')[0] ?? '';
}

/** Fastify's own default: longer than the usual proxies' 60 s, so that they close first. */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;
/** How often Node looks for requests past their timeouts. */
const TIMEOUT_CHECK_INTERVAL_MS = 1000;

/**
 * The server under every address a listener binds (`localhost` may bind two): a client that
 * sends slowly is cut off, and connections past the limit are closed as they arrive, so that
 * slow clients cannot hold every file descriptor.
 */
function limitedServerFactory(limits: HttpLimits): FastifyHttpOptions<Server>['serverFactory'] {
  return (handler) => {
    const server = createServer(
      {
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: limits.requestTimeoutMs,
        connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
      },
      handler,
    );
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    server.maxConnections = limits.maxConnections;
    return server;
  };
}

/**
 * What both listeners share: the body limit, request timeouts and a connection limit, JSON
 * bodies of any content type, paths with or without a trailing slash (never a redirect, which
 * would break CORS preflight), validation that refuses wrong types instead of coercing them, and
 * what Node itself refuses answered in the listener's envelope.
 */
export function createHttpApp(logger: FastifyBaseLogger, frameworkErrors: FrameworkErrors, clientErrors: ClientErrorAnswer, limits: HttpLimits = DEFAULT_HTTP_LIMITS): HttpApp {
  const app = Fastify({
    loggerInstance: logger,
    serverFactory: limitedServerFactory(limits),
    clientErrorHandler: clientErrorHandler(clientErrors),
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { ignoreTrailingSlash: true },
    frameworkErrors,
    schemaErrorFormatter: describeValidationErrors,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, verbose: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  acceptJsonOfAnyContentType(app);
  return app;
}

/**
 * Sends an answer that is JSON already (a cached, shared copy) as it is: the route's serializer,
 * which would copy it once per request, is skipped. The route's response schema still documents it.
 */
export function sendSerializedJson(reply: FastifyReply, json: Buffer): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(json);
}
