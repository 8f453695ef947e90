import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSimulator, type KubeObject, type KubeSimulator } from './index.js';
import { call, deployment } from './test-client.js';

const deployments = '/apis/apps/v1/namespaces/default/deployments';
const services = '/api/v1/namespaces/default/services';

function service(name: string, ports: Record<string, unknown>[], type = 'NodePort'): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { type, selector: { app: name }, ports } };
}

describe('kube-sim validation', () => {
  let sim: KubeSimulator;
  beforeAll(async () => {
    sim = await startKubeSimulator({ nodes: [] });
  });
  afterAll(() => sim.stop());

  it('refuses a Deployment that breaks the official schema with 422 and the schema message', async () => {
    const broken = deployment('broken');
    broken.spec = { ...broken.spec, replicas: 'two' };
    const reply = await call(sim, 'POST', deployments, broken);
    expect(reply.status).toBe(422);
    expect(reply.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422 });
    expect(reply.body['message']).toBe('Deployment.apps "broken" is invalid: spec.replicas: Invalid value: "two": must be integer');
    expect(sim.objects('deployments')).toEqual([]);
  });

  it('names a missing required field', async () => {
    const nameless = deployment('nameless');
    const template = nameless.spec?.['template'] as { spec: { containers: Record<string, unknown>[] } };
    delete template.spec.containers[0]?.['name'];
    const reply = await call(sim, 'POST', deployments, nameless);
    expect(reply.status).toBe(422);
    expect(reply.body['message']).toContain('spec.template.spec.containers[0].name: Required value');
  });

  it('refuses label values a real API server refuses', async () => {
    const reply = await call(sim, 'POST', deployments, deployment('labelled', { labels: { user: 'jimmy@nchc' } }));
    expect(reply.status).toBe(422);
    expect(reply.body['message']).toContain('metadata.labels: Invalid value: "jimmy@nchc": a valid label must be an empty string');
    const long = await call(sim, 'POST', deployments, deployment('long', { labels: { course: 'x'.repeat(64) } }));
    expect(long.body['message']).toContain('must be no more than 63 characters');
  });

  it('refuses names that are not DNS-1123 subdomains', async () => {
    const reply = await call(sim, 'POST', deployments, deployment('Jimmy_Lab'));
    expect(reply.status).toBe(422);
    expect(reply.body['message']).toContain('metadata.name: Invalid value: "Jimmy_Lab": a lowercase RFC 1123 subdomain');
  });

  it('refuses a selector that does not match the template labels', async () => {
    const mismatched = deployment('mismatch');
    mismatched.spec = { ...mismatched.spec, selector: { matchLabels: { app: 'other' } } };
    const reply = await call(sim, 'POST', deployments, mismatched);
    expect(reply.status).toBe(422);
    expect(reply.body['message']).toContain('`selector` does not match template `labels`');
  });

  it('refuses an unnamed port on a multi-port Service', async () => {
    const reply = await call(sim, 'POST', services, service('two-ports', [{ port: 80 }, { name: 'b', port: 81 }]));
    expect(reply.status).toBe(422);
    expect(reply.body['message']).toContain('spec.ports[0].name: Required value');
  });

  it('refuses an object in a namespace that does not exist', async () => {
    const reply = await call(sim, 'POST', '/apis/apps/v1/namespaces/nowhere/deployments', deployment('lost'));
    expect(reply.status).toBe(404);
    expect(reply.body['message']).toBe('namespaces "nowhere" not found');
  });
});

describe('kube-sim Service addresses', () => {
  let sim: KubeSimulator;
  beforeAll(async () => {
    sim = await startKubeSimulator({ nodes: [] });
  });
  afterAll(() => sim.stop());

  type Port = { name?: string; port: number; nodePort?: number; targetPort?: number };
  const portsOf = (object: KubeObject): Port[] => object.spec?.['ports'] as Port[];

  it('allocates a ClusterIP and unique NodePorts in 30000-32767, keeping port names', async () => {
    const first = await call<KubeObject>(sim, 'POST', services, service('lab-a', [{ name: 'jupyter', port: 8888 }, { name: 'digits', port: 5000 }]));
    const second = await call<KubeObject>(sim, 'POST', services, service('lab-b', [{ name: 'jupyter', port: 8888 }]));
    expect(first.status).toBe(201);
    expect(first.body.spec?.['clusterIP']).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(first.body.spec?.['clusterIP']).not.toBe(second.body.spec?.['clusterIP']);
    const ports = [...portsOf(first.body), ...portsOf(second.body)];
    expect(ports.map((p) => p.name)).toEqual(['jupyter', 'digits', 'jupyter']);
    expect(ports[0]?.targetPort).toBe(8888);
    for (const port of ports) expect(port.nodePort).toBeGreaterThanOrEqual(30000);
    for (const port of ports) expect(port.nodePort).toBeLessThanOrEqual(32767);
    expect(new Set(ports.map((p) => p.nodePort)).size).toBe(3);
  });

  it('honours a requested nodePort and refuses one already taken or out of range', async () => {
    const wanted = await call<KubeObject>(sim, 'POST', services, service('fixed', [{ port: 80, nodePort: 31234 }]));
    expect(portsOf(wanted.body)[0]?.nodePort).toBe(31234);
    const taken = await call(sim, 'POST', services, service('clash', [{ port: 80, nodePort: 31234 }]));
    expect(taken.status).toBe(422);
    expect(taken.body['message']).toBe('Service "clash" is invalid: spec.ports[0].nodePort: Invalid value: 31234: provided port is already allocated');
    const outside = await call(sim, 'POST', services, service('outside', [{ port: 80, nodePort: 80 }]));
    expect(outside.status).toBe(422);
    expect(outside.body['message']).toContain('provided port is not in the valid range. The range of valid ports is 30000-32767');
  });

  it('frees a NodePort when its Service is deleted, and keeps it across a replace that omits it', async () => {
    const created = (await call<KubeObject>(sim, 'POST', services, service('keeper', [{ port: 80, nodePort: 30555 }]))).body;
    const replaced = await call<KubeObject>(sim, 'PUT', `${services}/keeper`, { ...created, spec: { ...created.spec, ports: [{ port: 80 }] } });
    expect(portsOf(replaced.body)[0]?.nodePort).toBe(30555);
    expect((await call(sim, 'DELETE', `${services}/keeper`)).status).toBe(200);
    const reuse = await call<KubeObject>(sim, 'POST', services, service('reuse', [{ port: 80, nodePort: 30555 }]));
    expect(reuse.status).toBe(201);
  });
});
