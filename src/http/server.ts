import Fastify, { type FastifyBaseLogger, type FastifyHttpOptions, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { clientErrorHandler, type ClientErrorAnswer } from './client-errors.js';
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
 * without a trailing slash (never a redirect, which would break CORS preflight), validation
 * that refuses wrong types instead of coercing them, and what Node itself refuses answered in the
 * listener's envelope.
 */
export function createHttpApp(logger: FastifyBaseLogger, frameworkErrors: FrameworkErrors, clientErrors: ClientErrorAnswer): HttpApp {
  const app = Fastify({
    loggerInstance: logger,
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
