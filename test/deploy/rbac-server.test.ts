// classlab serve, as the Deployment runs it: the Kubernetes runtime on the ServiceAccount's token
// in the jobs' namespace of the shipped manifests. Reconciling at start, health, datasets, a
// launch through the API to Ready, and a delete all work, and the API server refused nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CATALOG } from '../../src/config/image-catalog.js';
import { buildDeployment, buildService, planJob } from '../../src/runtime/kubernetes/manifests.js';
import type { Json } from '../support/platform.js';
import { call, cleanUp, freePorts, startServer, tempDir, tokenOf } from '../e2e/cli-process.js';
import { launchSpec, TEST_MANIFEST_SETTINGS } from '../runtime/support-k8s.js';
import { findKubectl } from './render.js';
import { shippedPolicy, startShippedCluster, type ShippedPolicy } from './rbac-lab.js';

const kubectl = findKubectl();
const ADMIN_PASSWORD = 'admin-password';

async function until<T>(read: () => Promise<T> | T, accept: (value: T) => boolean, what: string): Promise<T> {
  for (let tries = 0; tries < 300; tries += 1) {
    const value = await read();
    if (accept(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what}: not reached`);
}

describe.skipIf(!kubectl)(`classlab serve under the shipped RBAC${kubectl ? '' : ' (skipped: no kubectl on PATH)'}`, () => {
  let policy: ShippedPolicy;
  let cluster: Awaited<ReturnType<typeof startShippedCluster>>;
  beforeAll(async () => {
    policy = shippedPolicy(kubectl ?? 'kubectl');
    cluster = await startShippedCluster(policy);
  });
  afterAll(async () => {
    await cleanUp();
    await cluster?.close();
  });

  it('reconciles, reports health, launches, follows to Ready and deletes, with no request refused', { timeout: 120_000 }, async () => {
    const { sim } = cluster;
    const namespace = policy.jobsNamespace;
    const managed = () =>
      [...sim.objects('deployments', namespace), ...sim.objects('services', namespace)].filter(
        (object) => object.metadata.labels?.['app.kubernetes.io/managed-by'] === 'classlab',
      );
    // Objects of a job the database does not know: reconciling at start must delete them.
    const orphan = launchSpec({ datasets: [] });
    const plan = planJob(orphan, DEFAULT_CATALOG, 'orphan-token');
    const settings = { ...TEST_MANIFEST_SETTINGS, namespace };
    sim.applyObject('deployments', buildDeployment(orphan, plan, settings) as never);
    sim.applyObject('services', buildService(orphan, plan, settings) as never);
    expect(managed()).toHaveLength(2);

    const [port, identityPort] = await freePorts(2);
    const server = await startServer({
      PORT: String(port),
      CLASSLAB_IDENTITY_PORT: `127.0.0.1:${identityPort}`,
      CLASSLAB_ADMIN_PASSWORD: ADMIN_PASSWORD,
      CLASSLAB_DATA_DIR: tempDir(),
      CLASSLAB_RUNTIME: 'kubernetes',
      CLASSLAB_NAMESPACE: namespace,
      KUBECONFIG: cluster.kubeconfig,
    });
    const api = server.api ?? '';
    const identity = server.identity ?? '';
    await until(managed, (objects) => objects.length === 0, 'the orphan reconciled away');

    const health = await call('GET', `${api}/v1/health/kubernetes`);
    expect(health.body).toEqual({ error: false, message: [{ name: 'gpu-1', status: 'Ready' }, { name: 'gpu-2', status: 'Ready' }], warnings: [] });
    const admin = await tokenOf(identity, 'admin', ADMIN_PASSWORD);
    expect((await call('GET', `${api}/v1/datasets`, { token: admin })).body.datasets).toEqual([{ label: 'mnist', value: 'mnist' }]);

    const course = await call('POST', `${api}/v1/course/create`, {
      token: admin,
      body: { name: 'notebook', image: 'jupyter/base-notebook:latest', level: 'basic', GPU: 1, datasets: ['mnist'] },
    });
    expect(course.status, JSON.stringify(course.body)).toBe(200);
    expect((await call('POST', `${api}/v1/auth/register`, { body: { username: 'jimmy@nchc', password: 'student-pass' } })).status).toBe(200);
    const student = await tokenOf(identity, 'jimmy@nchc', 'student-pass');
    const launched = await call('POST', `${api}/v1/job/launch`, { token: student, body: { course_id: course.body.id, user: 'jimmy@nchc' } });
    expect(launched.status, JSON.stringify(launched.body)).toBe(200);
    const jobId: string = launched.body.job.job_id;
    await until(() => call('GET', `${api}/v1/job/ready/${jobId}`, { token: student }), (reply) => (reply.body as Json).job?.ready === true, 'job Ready');

    expect((await call('DELETE', `${api}/v1/job/jimmy@nchc/${jobId}`, { token: student })).status).toBe(200);
    await until(managed, (objects) => objects.length === 0, 'the job\'s objects deleted');
    await server.stop();
    expect(sim.denials()).toEqual([]);
  });
});
