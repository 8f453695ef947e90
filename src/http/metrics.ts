import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { bearerToken } from './auth.js';
import { HttpError } from './envelope.js';
import { sendV1Error } from './errors.js';
import { createHttpApp, pathOf, type HttpApp } from './server.js';

/** Where /metrics is served, and whether it needs a token. */
export interface MetricsOptions {
  /** The registry to fill: a listener of its own serves the same one. */
  registry?: Registry;
  /** Whether this app serves /metrics itself (else a listener of its own does, or nobody). */
  serve?: boolean;
  /** When set, /metrics needs `Authorization: Bearer <token>`. */
  token?: string | undefined;
}

/**
 * Prometheus metrics at /metrics: requests and their latency by method, route pattern and
 * status. Route patterns, not raw URLs, keep the label set small; unknown paths share one label.
 */
export function registerMetrics(
  app: FastifyInstance,
  sources: { jobsByStatus?: () => Promise<Record<string, number>>; gpuSecondsByCourse?: () => Promise<Map<string, number>> } = {},
  { registry = new Registry(), serve = true, token }: MetricsOptions = {},
): Registry {
  collectDefaultMetrics({ register: registry });
  const { jobsByStatus, gpuSecondsByCourse } = sources;
  if (jobsByStatus) {
    // Read at scrape time, so every replica reports the shared table's truth.
    new Gauge({
      name: 'classlab_jobs',
      help: 'Jobs in the database, by status.',
      labelNames: ['status'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const [status, count] of Object.entries(await jobsByStatus())) this.set({ status }, count);
      },
    });
  }
  if (gpuSecondsByCourse) {
    // From the usage records at scrape time: ended jobs whole, running ones up to now.
    new Counter({
      name: 'classlab_gpu_seconds_total',
      help: 'GPU-seconds used by jobs since usage records began, by course id.',
      labelNames: ['course'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const [course, seconds] of await gpuSecondsByCourse()) this.inc({ course }, seconds);
      },
    });
  }
  const labelNames = ['method', 'route', 'status_code'] as const;
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route and status.',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by method, route and status.',
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  app.addHook('onResponse', async (request, reply) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status_code: String(reply.statusCode),
    };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
  });

  if (serve) serveMetrics(app, registry, token);
  return registry;
}

function serveMetrics(app: FastifyInstance, registry: Registry, token: string | undefined): void {
  const allowed = token === undefined ? undefined : digest(token);
  const requireToken = async (request: FastifyRequest) => {
    if (allowed === undefined) return;
    const presented = bearerToken(request.headers.authorization); // 401 when missing or not Bearer
    if (!timingSafeEqual(digest(presented), allowed)) throw new HttpError(401, 'Invalid metrics token (CLASSLAB_METRICS_TOKEN)');
  };
  app.get('/metrics', { schema: { hide: true }, config: { public: true }, onRequest: requireToken }, async (_request, reply) => {
    void reply.type(registry.contentType);
    return registry.metrics();
  });
}

/** Equal lengths for timingSafeEqual, whatever was presented. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** A listener of its own that serves only /metrics, for CLASSLAB_METRICS_PORT. */
export function buildMetricsApp({ registry, token, logger }: { registry: Registry; token: string | undefined; logger: FastifyBaseLogger }): HttpApp {
  const app = createHttpApp(
    logger,
    (_error, request, reply) => sendV1Error(new HttpError(400, `Malformed URL: ${pathOf(request.url)}`), request, reply),
    (statusCode, message) => ({ statusCode, body: { error: true, message } }),
  );
  app.setErrorHandler(sendV1Error);
  app.setNotFoundHandler((request, reply) => {
    sendV1Error(new HttpError(404, `Route ${request.method} ${pathOf(request.url)} not found: this listener serves only /metrics`), request, reply);
  });
  serveMetrics(app, registry, token);
  return app;
}
