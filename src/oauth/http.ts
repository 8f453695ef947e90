import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../http/envelope.js';
import { classifyFailure } from '../http/errors.js';
import type { HttpApp } from '../http/server.js';
import { appSessionRoutes } from './app-session.js';
import { acceptForms } from './form-body.js';
import { providerRoutes } from './provider-routes.js';
import type { OAuthServices } from './setup.js';
import { webClientRoutes } from './web-client.js';

/** A rate-limit refusal, answered in whatever envelope the context uses. */
export function tooManyRequests(_request: FastifyRequest, context: { after: string }): HttpError {
  return new HttpError(429, `Too many requests: try again in ${context.after}`);
}

/**
 * The built-in provider (when there is one) and the sign-in pages, at the root of the API's
 * port. Own context: form bodies instead of JSON, cookies, and OAuth's error format.
 */
export async function oauthRoutes(app: HttpApp, { oauth }: { oauth: OAuthServices }): Promise<void> {
  acceptForms(app);
  await app.register(cookie);
  await app.register(rateLimit, { global: false, errorResponseBuilder: tooManyRequests });
  app.setErrorHandler(sendOAuthError);
  if (oauth.provider) await app.register(providerRoutes, { oauth, provider: oauth.provider });
  await app.register(webClientRoutes, { oauth });
  await app.register(appSessionRoutes, { oauth });
}

/** RFC 6749 §5.2: `{error, error_description}`. Never a stack, never a secret. */
export function sendOAuthError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const failure = classifyFailure(error);
  if (failure.kind === 'internal' || (failure.kind === 'refused' && failure.statusCode >= 500)) {
    request.log.error({ err: error }, 'OAuth request failed');
    void reply.code(500).send({ error: 'server_error', error_description: failure.detail });
    return;
  }
  const status = failure.kind === 'too-large' ? 413 : failure.kind === 'refused' ? failure.statusCode : 400;
  const code = status === 429 ? 'too_many_requests' : 'invalid_request';
  void reply.code(status).header('cache-control', 'no-store').send({ error: code, error_description: failure.detail });
}
