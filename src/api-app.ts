import compress from '@fastify/compress';
import cors from '@fastify/cors';
import type { FastifyBaseLogger } from 'fastify';
import { fileURLToPath } from 'node:url';
import type { HttpLimits } from './config/http-settings.js';
import { oauthRoutes } from './oauth/http.js';
import { v1Routes } from './routes/v1/index.js';
import type { Services } from './services.js';
import { registerDocs } from './http/docs.js';
import { HttpError } from './http/envelope.js';
import { sendV1Error } from './http/errors.js';
import { registerMetrics, type MetricsOptions } from './http/metrics.js';
import { registerProbes, type Readiness } from './http/probes.js';
import { createHttpApp, pathOf, type HttpApp } from './http/server.js';
import { holdUntilStarted } from './http/startup.js';
import { registerWebApp } from './http/web-app.js';

export interface ApiOptions {
  services: Services;
  logger: FastifyBaseLogger;
  corsOrigins: '*' | false | string[];
  /** Requests wait for it: the end of the server's start-up. */
  startup?: Promise<void>;
  /** Served here, without a token, unless it says otherwise. */
  metrics?: MetricsOptions;
  /** Request timeouts and the connection limit; their defaults when absent. */
  limits?: HttpLimits;
  /** When given, /livez and /readyz are served (top level, without a token). */
  readiness?: Readiness;
  /** The built web app; `web/dist` of this package unless a test brings its own. */
  webDist?: string;
}

const DEFAULT_WEB_DIST = fileURLToPath(new URL('../web/dist', import.meta.url));

/**
 * The public API, assembled beside main.ts from the generic HTTP layer (src/http/), the v1 routes
 * and OAuth: v1 routes, docs at /docs, metrics at /metrics (unless they have a port of their own),
 * probes at /livez and /readyz.
 */
export async function buildApiApp({ services, logger, corsOrigins, startup, metrics, limits, readiness, webDist }: ApiOptions): Promise<HttpApp> {
  const app = createHttpApp(
    logger,
    (error, request, reply) => {
      const tooLong = (error as { code?: string }).code === 'FST_ERR_MAX_PARAM_LENGTH';
      const message = tooLong ? 'URI path parameter too long' : `Malformed URL: ${pathOf(request.url)}`;
      sendV1Error(new HttpError(tooLong ? 414 : 400, message), request, reply);
    },
    (statusCode, message) => ({ statusCode, body: { error: true, message } }),
    limits,
  );
  if (startup) holdUntilStarted(app, startup);
  app.setErrorHandler(sendV1Error);
  const webApp = await registerWebApp(app, webDist ?? DEFAULT_WEB_DIST);
  app.setNotFoundHandler(async (request, reply) => {
    if (await webApp.answerUnrouted(request, reply)) return reply;
    sendV1Error(new HttpError(404, `Route ${request.method} ${pathOf(request.url)} not found`), request, reply);
    return reply;
  });
  if (corsOrigins) {
    // Bearer tokens, not cookies, carry identity, so credentials are never allowed cross-origin.
    await app.register(cors, {
      origin: corsOrigins === '*' ? '*' : corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
      credentials: false,
      maxAge: 600,
    });
  }
  // Answers over 1 KiB to clients that accept gzip, brotli or deflate; event streams stay as they are.
  await app.register(compress);
  if (readiness) registerProbes(app, readiness);
  registerMetrics(app, { jobsByStatus: () => services.jobs.countByStatus(), gpuSecondsByCourse: () => services.usage.gpuSecondsByCourse() }, metrics);
  await registerDocs(app, {
    title: 'classlab API',
    description:
      'Courses, jobs, datasets, images, accounts and health checks of classlab, a platform for GPU teaching labs. Errors are `{error: true, message}`.',
  });
  await app.register(v1Routes, { prefix: '/v1', services });
  await app.register(oauthRoutes, { oauth: services.oauth });
  return app;
}
