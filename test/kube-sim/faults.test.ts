import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSimulator, type KubeObject, type KubeSimulator } from './index.js';
import { call, deployment, eventually, openWatch } from './test-client.js';

const deployments = '/apis/apps/v1/namespaces/default/deployments';
type List = { metadata: { resourceVersion: string }; items: KubeObject[] };

describe('kube-sim fault injection and counters', () => {
  let sim: KubeSimulator;
  beforeAll(async () => {
    sim = await startKubeSimulator();
  });
  afterAll(() => sim.stop());

  it('fails the next matching request once with a Kubernetes Status, then serves normally', async () => {
    sim.failNext({ method: 'create', resource: 'deployments', status: 500, message: 'etcdserver: request timed out' });
    const other = await call(sim, 'GET', deployments);
    expect(other.status).toBe(200);
    const failed = await call(sim, 'POST', deployments, deployment('flaky'));
    expect(failed.status).toBe(500);
    expect(failed.body).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: 'etcdserver: request timed out', reason: 'InternalError', code: 500,
    });
    expect(sim.objects('deployments', 'default')).toEqual([]);
    expect((await call(sim, 'POST', deployments, deployment('flaky'))).status).toBe(201);
  });

  it('fails `count` requests by HTTP method too', async () => {
    sim.failNext({ method: 'GET', resource: 'nodes', status: 503, count: 2 });
    expect((await call(sim, 'GET', '/api/v1/nodes')).status).toBe(503);
    const second = await call(sim, 'GET', '/api/v1/nodes');
    expect(second.body).toMatchObject({ code: 503, reason: 'ServiceUnavailable' });
    expect((await call(sim, 'GET', '/api/v1/nodes')).status).toBe(200);
  });

  it('counts requests by verb and resource', async () => {
    sim.resetStats();
    await call(sim, 'GET', '/api/v1/namespaces/default/pods');
    await call(sim, 'GET', '/api/v1/nodes/node-1');
    await call(sim, 'DELETE', `${deployments}/flaky`);
    const watch = await openWatch(sim, `${deployments}?watch=1`);
    watch.close();
    expect(sim.stats()).toEqual({ 'list pods': 1, 'get nodes': 1, 'delete deployments': 1, 'watch deployments': 1 });
    sim.resetStats();
    expect(sim.stats()).toEqual({});
  });

  it('drops every open watch abruptly, and gracefully on request', async () => {
    const first = await openWatch(sim, '/api/v1/namespaces/default/pods?watch=1');
    const second = await openWatch(sim, `${deployments}?watch=true`);
    sim.dropWatches();
    expect(await first.ended).toBe('error');
    expect(await second.ended).toBe('error');
    const third = await openWatch(sim, `${deployments}?watch=true`);
    sim.dropWatches({ graceful: true });
    expect(await third.ended).toBe('end');
  });

  it('restarts on the same port, dropping watches and keeping objects and resourceVersions', async () => {
    await call(sim, 'POST', deployments, deployment('survivor'));
    const before = await call<List>(sim, 'GET', deployments);
    const watch = await openWatch(sim, `${deployments}?watch=1&resourceVersion=${before.body.metadata.resourceVersion}`);
    await sim.restart();
    expect(await watch.ended).toBe('error');
    const after = await call<List>(sim, 'GET', deployments);
    expect(after.body.items.map((item) => item.metadata.name)).toEqual(['survivor']);
    expect(Number(after.body.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(before.body.metadata.resourceVersion));
    // A client resuming from its last resourceVersion misses nothing.
    await call(sim, 'PATCH', `${deployments}/survivor`, { metadata: { labels: { after: 'restart' } } }, 'application/merge-patch+json');
    const resumed = await openWatch(sim, `${deployments}?watch=1&resourceVersion=${before.body.metadata.resourceVersion}`);
    await eventually(() => resumed.events.some((event) => event.object.metadata.labels?.['after'] === 'restart'), 5000, 'the change');
    resumed.close();
  });

  it('exposes the same controls over HTTP under /_sim/', async () => {
    const fail = await fetch(`${sim.url}/_sim/fail`, { method: 'POST', body: JSON.stringify({ method: 'list', resource: 'services', status: 429 }) });
    expect(fail.status).toBe(200);
    expect((await call(sim, 'GET', '/api/v1/namespaces/default/services')).status).toBe(429);
    const stats = (await (await fetch(`${sim.url}/_sim/stats`)).json()) as Record<string, number>;
    expect(stats['list services']).toBeGreaterThanOrEqual(1);
    const watch = await openWatch(sim, `${deployments}?watch=1`);
    await fetch(`${sim.url}/_sim/drop-watches`, { method: 'POST' });
    expect(await watch.ended).toBe('error');
    await fetch(`${sim.url}/_sim/nodes/node-2/ready`, { method: 'POST', body: JSON.stringify({ ready: false }) });
    const node = sim.objects('nodes').find((n) => n.metadata.name === 'node-2');
    expect((node?.status?.['conditions'] as { type: string; status: string }[]).find((c) => c.type === 'Ready')?.status).toBe('False');
  });
});
