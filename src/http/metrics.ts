import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics at /metrics: requests and their latency by method, route pattern and
 * status. Route patterns, not raw URLs, keep the label set small; unknown paths share one label.
 */
export function registerMetrics(
  app: FastifyInstance,
  sources: { jobsByStatus?: () => Promise<Record<string, number>> } = {},
  registry: Registry = new Registry(),
): Registry {
  collectDefaultMetrics({ register: registry });
  const { jobsByStatus } = sources;
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

  app.get('/metrics', { schema: { hide: true }, config: { public: true } }, async (_request, reply) => {
    void reply.type(registry.contentType);
    return registry.metrics();
  });
  return registry;
}
