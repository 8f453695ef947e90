/** Where /metrics is served and who may read it: CLASSLAB_METRICS_PORT and CLASSLAB_METRICS_TOKEN. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { buildApiApp } from '../../src/api-app.js';
import { buildMetricsApp } from '../../src/http/metrics.js';
import type { HttpApp } from '../../src/http/server.js';
import { capturingLogger } from '../support/logs.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

const TOKEN = 'metrics-token-of-32-characters!!';

async function get(app: HttpApp, url: string, authorization?: string) {
  const response = await app.inject({ method: 'GET', url, headers: authorization === undefined ? {} : { authorization } });
  return { status: response.statusCode, text: response.body, json: () => JSON.parse(response.body) };
}

describe('/metrics', () => {
  let platform: TestPlatform;
  const apps: HttpApp[] = [];
  const { logger } = capturingLogger();
  beforeAll(async () => {
    platform = await startTestPlatform();
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await platform.close();
  });

  async function api(metrics: Parameters<typeof buildApiApp>[0]['metrics']): Promise<HttpApp> {
    const app = await buildApiApp({ services: platform.services, logger, corsOrigins: '*', metrics });
    apps.push(app);
    return app;
  }

  it('behind a token: refused without it or with another, served with it', async () => {
    const app = await api({ token: TOKEN });
    expect((await get(app, '/metrics')).status).toBe(401);
    const wrong = await get(app, '/metrics', `Bearer ${TOKEN}x`);
    expect(wrong.status).toBe(401);
    expect(wrong.json()).toEqual({ error: true, message: 'Invalid metrics token (CLASSLAB_METRICS_TOKEN)' });
    expect((await get(app, '/metrics', `Basic ${TOKEN}`)).status).toBe(401);

    const served = await get(app, '/metrics', `Bearer ${TOKEN}`);
    expect(served.status).toBe(200);
    expect(served.text).toContain('http_requests_total');
  });

  it('on a listener of its own: not on the API, and it counts the API requests', async () => {
    const registry = new Registry();
    const app = await api({ registry, serve: false });
    const own = buildMetricsApp({ registry, token: undefined, logger });
    apps.push(own);

    const onApi = await get(app, '/metrics');
    expect(onApi.status).toBe(404);
    expect(onApi.json()).toMatchObject({ error: true });
    expect((await get(app, '/v1/course/level/basic')).status).toBe(200);

    const served = await get(own, '/metrics');
    expect(served.status).toBe(200);
    expect(served.text).toMatch(/http_requests_total\{method="GET",route="\/v1\/course\/level\/:level",status_code="200"\} 1/);
    expect((await get(own, '/v1/course/level/basic')).status).toBe(404);
  });
});
