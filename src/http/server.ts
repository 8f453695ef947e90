import Fastify, { type FastifyBaseLogger, type FastifyHttpOptions, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { BODY_LIMIT_BYTES, acceptJsonOfAnyContentType } from './json-body.js';
import { describeValidationErrors } from './validation.js';

export type HttpApp = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

type FrameworkErrors = NonNullable<FastifyHttpOptions<Server>['frameworkErrors']>;

/** A URL without its query, which may hold secrets: fit to repeat in an error message. */
export function pathOf(url: string): string {
  return url.split('?')[0] ?? '';
}

/**
 * What both listeners share: the body limit, JSON bodies of any content type, paths with or
 * without a trailing slash (never a redirect, which would break CORS preflight), and validation
 * that refuses wrong types instead of coercing them.
 */
export function createHttpApp(logger: FastifyBaseLogger, frameworkErrors: FrameworkErrors): HttpApp {
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { ignoreTrailingSlash: true },
    frameworkErrors,
    schemaErrorFormatter: describeValidationErrors,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, verbose: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  acceptJsonOfAnyContentType(app);
  return app;
}
