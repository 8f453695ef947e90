import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { V1Deployment, V1Pod, V1Service } from '@kubernetes/client-node';
import { DEFAULT_CATALOG } from '../../src/config/image-catalog.js';
import { buildDeployment, planJob, type ManifestSettings } from '../../src/runtime/kubernetes/manifests.js';
import { KubernetesRuntime } from '../../src/runtime/kubernetes/index.js';
import { RuntimeError, RuntimeNotSynced } from '../../src/runtime/types.js';
import { capturingLogger } from '../support/logs.js';
import { NAMESPACE, TEST_MANIFEST_SETTINGS, kubeconfigFor, launchSpec, startLab, statesOf, waitForState, waitForSync, type Lab } from './support-k8s.js';

let lab: Lab | undefined;

afterEach(async () => {
  await lab?.close();
  lab = undefined;
});

async function open(...args: Parameters<typeof startLab>): Promise<Lab> {
  lab = await startLab(...args);
  await waitForSync(lab);
  return lab;
}

const nameOf = (jobId: string) => `classlab-${jobId}`;

const manifestSettings: ManifestSettings = TEST_MANIFEST_SETTINGS;

function stored<T>(lab: Lab, resource: string): T[] {
  return lab.sim.objects(resource, NAMESPACE) as T[];
}

function deploymentOf(lab: Lab, jobId: string): V1Deployment | undefined {
  return stored<V1Deployment>(lab, 'deployments').find((d) => d.metadata?.name === nameOf(jobId));
}

describe('launching a job', () => {
  it('goes Pending, then Ready, and answers NodePort URLs labelled with the port name', async () => {
    const { runtime, updates, sim } = await open();
    const spec = launchSpec();
    const { services } = await runtime.launch(spec);

    const service = stored<V1Service>(lab!, 'services').find((s) => s.metadata?.name === nameOf(spec.jobId));
    const nodePort = service?.spec?.ports?.[0]?.nodePort;
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    expect(services).toHaveLength(1);
    expect(services[0]?.label).toBe('jupyter');
    expect(services[0]?.value).toMatch(new RegExp(`^http://10\\.0\\.0\\.11:${nodePort}/\\?token=[0-9a-f]{48}$`));
    // Launch answers from the API server's answers; jobs() sees the job whole once the watches catch up.
    await vi.waitFor(async () => expect(await runtime.jobs()).toMatchObject([{ jobId: spec.jobId, services, complete: true }]));

    await waitForState(lab!, spec.jobId, (state) => state.status === 'Ready');
    const states = statesOf(updates, spec.jobId);
    expect(states[0]?.status).toBe('Pending');

    const [job] = await runtime.jobs();
    expect(job).toEqual({ jobId: spec.jobId, state: { status: 'Ready' }, services, complete: true });
    void sim;
  });

  it('answers without waiting for the watches to show the job, which catch up afterwards', async () => {
    const { runtime, sim } = await open();
    // The Deployment watch is down, and its lists fail for about 2 s (backoff 50 ms doubling to 400 ms).
    sim.failNext({ method: 'list', resource: 'deployments', status: 503, count: 8 });
    sim.dropWatches();
    const spec = launchSpec();
    await runtime.launch(spec);
    // Answered while the cache still lacks the Deployment (a launch used to wait for it).
    expect((await runtime.jobs()).find((job) => job.jobId === spec.jobId)?.complete ?? false).toBe(false);
    expect(deploymentOf(lab!, spec.jobId)).toBeDefined();
    await vi.waitFor(async () => expect(await runtime.jobs()).toMatchObject([{ jobId: spec.jobId, complete: true }]), { timeout: 10_000 });
  });

  it('labels objects with sanitised names and keeps the real ones in annotations', async () => {
    const { runtime } = await open();
    const spec = launchSpec({ userName: 'jimmy@nchc', courseName: 'GPU 程式設計' });
    await runtime.launch(spec);
    for (const resource of ['deployments', 'services']) {
      const object = stored<V1Deployment>(lab!, resource).find((o) => o.metadata?.name === nameOf(spec.jobId));
      expect(object?.metadata?.labels).toEqual({
        'app.kubernetes.io/managed-by': 'classlab',
        'classlab.io/job': spec.jobId,
        'classlab.io/user': 'jimmy-nchc',
        'classlab.io/course': spec.courseId,
      });
      expect(object?.metadata?.annotations?.['classlab.io/user-name']).toBe('jimmy@nchc');
      expect(object?.metadata?.annotations?.['classlab.io/course-name']).toBe('GPU 程式設計');
    }
    await vi.waitFor(() => expect(stored<V1Pod>(lab!, 'pods').some((p) => p.metadata?.labels?.['classlab.io/user'] === 'jimmy-nchc')).toBe(true));
  });

  it('asks for the GPUs, mounts datasets read-only and /dev/shm in memory', async () => {
    const { runtime } = await open();
    const spec = launchSpec({ gpu: 2, datasets: ['mnist', 'cifar10'] });
    await runtime.launch(spec);
    const podSpec = deploymentOf(lab!, spec.jobId)?.spec?.template.spec;
    const container = podSpec?.containers[0];
    expect(container?.resources?.limits?.['nvidia.com/gpu']).toBe('2');
    // The API server defaults an extended resource's request to its limit.
    expect(container?.resources?.requests).toEqual({ cpu: '500m', memory: '1Gi', 'nvidia.com/gpu': '2' });
    expect(container?.volumeMounts).toEqual(
      expect.arrayContaining([
        { name: 'dataset-0', mountPath: '/datasets/mnist', readOnly: true },
        { name: 'dataset-1', mountPath: '/datasets/cifar10', readOnly: true },
        { name: 'shm', mountPath: '/dev/shm' },
      ]),
    );
    expect(podSpec?.volumes).toEqual(
      expect.arrayContaining([
        { name: 'dataset-0', persistentVolumeClaim: { claimName: 'dataset-mnist', readOnly: true } },
        { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '2Gi' } },
      ]),
    );
    await waitForState(lab!, spec.jobId, (state) => state.status === 'Ready');
  });

  it('uses the course ports when the course names them', async () => {
    const { runtime } = await open();
    const spec = launchSpec({ image: 'nvidia/digits:6.0', ports: [{ name: 'digits', port: 5000 }, { name: 'tensorboard', port: 6006 }] });
    const { services } = await runtime.launch(spec);
    expect(services.map((s) => s.label)).toEqual(['digits', 'tensorboard']);
    expect(services.every((s) => /^http:\/\/10\.0\.0\.11:\d+$/.test(s.value))).toBe(true);
  });

  it('answers in-cluster URLs for a ClusterIP Service', async () => {
    const { runtime } = await open({}, { serviceType: 'ClusterIP' });
    const spec = launchSpec();
    const { services } = await runtime.launch(spec);
    expect(services).toEqual([{ label: 'jupyter', value: expect.stringMatching(new RegExp(`^http://classlab-${spec.jobId}\\.labs\\.svc:8888/\\?token=[0-9a-f]{48}$`)) }]);
    await vi.waitFor(async () => expect((await runtime.jobs())[0]?.services).toEqual(services));
  });

  it('are objects the simulator validates (it refuses a malformed one)', async () => {
    const { runtime, sim } = await open();
    await runtime.launch(launchSpec());
    expect(stored(lab!, 'deployments')).toHaveLength(1);
    // The check above only means something if the simulator does refuse bad objects.
    const response = await fetch(`${sim.url}/apis/apps/v1/namespaces/${NAMESPACE}/deployments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'bad' }, spec: { replicas: 'one' } }),
    });
    expect(response.status).toBe(422);
  });
});

describe('state in the cluster\'s own words', () => {
  it('reports an unschedulable GPU request with the scheduler\'s message', async () => {
    const { runtime } = await open();
    const spec = launchSpec({ gpu: 8 });
    await runtime.launch(spec);
    const state = await waitForState(lab!, spec.jobId, (s) => s.status === 'Pending' && s.reason.includes('Insufficient'));
    const pod = stored<V1Pod>(lab!, 'pods').find((p) => p.metadata?.labels?.['classlab.io/job'] === spec.jobId);
    const condition = pod?.status?.conditions?.find((c) => c.type === 'PodScheduled');
    expect(condition?.status).toBe('False');
    expect(state).toEqual({ status: 'Pending', reason: condition?.message });
    expect(condition?.message).toMatch(/^0\/2 nodes are available: .*Insufficient nvidia\.com\/gpu/);
  });

  it('reports an image that cannot be pulled as ErrImagePull with the kubelet\'s message', async () => {
    const { runtime } = await open();
    const spec = launchSpec({ image: 'example.org/does-not-exist:1' });
    await runtime.launch(spec);
    const state = await waitForState(lab!, spec.jobId, (s) => s.status === 'Pending' && s.reason.startsWith('ErrImagePull: '));
    expect(state.status === 'Pending' && state.reason.length).toBeGreaterThan('ErrImagePull: '.length);
  });

  it('passes on the Kubernetes Events about the job\'s pod', async () => {
    const { runtime, updates } = await open();
    const spec = launchSpec();
    await runtime.launch(spec);
    await waitForState(lab!, spec.jobId, (s) => s.status === 'Ready');
    await vi.waitFor(() => {
      const events = updates.filter((u) => u.kind === 'event' && u.jobId === spec.jobId);
      expect(events.map((e) => e.kind === 'event' && e.reason)).toContain('Scheduled');
    });
    const scheduled = updates.find((u) => u.kind === 'event' && u.reason === 'Scheduled');
    expect(scheduled).toMatchObject({ type: 'Normal', message: expect.stringContaining('gpu-') });
    expect(scheduled?.kind === 'event' && scheduled.at).toBeInstanceOf(Date);
  });
});

describe('a launch the cluster refuses', () => {
  it('deletes the Deployment when the Service cannot be created', async () => {
    const { runtime, sim, updates } = await open();
    sim.failNext({ method: 'create', resource: 'services', status: 500, message: 'etcdserver: request timed out' });
    const spec = launchSpec();
    const failure = await runtime.launch(spec).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RuntimeError);
    expect(failure).toMatchObject({ stage: 'service', message: expect.stringContaining('etcdserver: request timed out') });
    expect(stored(lab!, 'deployments')).toEqual([]);
    expect(stored(lab!, 'services')).toEqual([]);
    // The launch's own cleanup is no news: nothing reports the job gone.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(updates.filter((u) => u.kind === 'gone')).toEqual([]);
  });

  it('fails at the deployment stage with the API\'s message, leaving nothing', async () => {
    const { runtime, sim } = await open();
    sim.failNext({ method: 'create', resource: 'deployments', status: 500, message: 'admission webhook "gpu-quota" denied the request' });
    const failure = await runtime.launch(launchSpec()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RuntimeError);
    expect(failure).toMatchObject({ stage: 'deployment', message: expect.stringContaining('admission webhook "gpu-quota" denied the request') });
    expect(stored(lab!, 'deployments')).toEqual([]);
    expect(stored(lab!, 'services')).toEqual([]);
  });
});

describe('watching', () => {
  it('uses one watch per kind for ten jobs, and jobs() makes no API calls', async () => {
    const { runtime, sim } = await open();
    const specs = Array.from({ length: 10 }, () => launchSpec({ gpu: 0 }));
    for (const spec of specs) await runtime.launch(spec);
    for (const spec of specs) await waitForState(lab!, spec.jobId, (s) => s.status === 'Ready');
    const stats = sim.stats();
    for (const kind of ['deployments', 'pods', 'services', 'persistentvolumeclaims']) expect(stats[`watch ${kind}`], kind).toBe(1);
    // Events twice, whatever the number of jobs: pods' Events, and claims' Events (why a home waits).
    expect(stats['watch events']).toBe(2);
    // The NodePort host is found once, not per launch.
    expect(stats['list nodes'] ?? 0).toBeLessThanOrEqual(2);

    sim.resetStats();
    const jobs = await runtime.jobs();
    await runtime.jobs();
    expect(jobs).toHaveLength(10);
    expect(jobs.every((job) => job.complete && job.state.status === 'Ready')).toBe(true);
    expect(jobs.every((job) => job.services[0]?.value.startsWith('http://10.0.0.11:'))).toBe(true);
    expect(sim.stats()).toEqual({});
  });

  it('catches up after dropped watches with a change made while they were down', async () => {
    const { runtime, sim, updates } = await open();
    const spec = launchSpec();
    await runtime.launch(spec);
    await waitForState(lab!, spec.jobId, (s) => s.status === 'Ready');
    // Lists fail for a while, so the deletion below happens with no watch open.
    sim.failNext({ method: 'list', status: 503, count: 3 });
    sim.dropWatches();
    sim.deleteObject('deployments', NAMESPACE, nameOf(spec.jobId));
    await vi.waitFor(() => expect(updates).toContainEqual({ kind: 'gone', jobId: spec.jobId, reason: 'its Deployment was deleted outside classlab' }), { timeout: 10_000 });
    expect(lab!.logLines.some((line) => line.includes('kubernetes list/watch failed'))).toBe(true);
  });

  it('catches up after the API server restarts', async () => {
    const { runtime, sim } = await open();
    const before = launchSpec();
    await runtime.launch(before);
    await waitForState(lab!, before.jobId, (s) => s.status === 'Ready');
    await sim.restart();
    // Made while the runtime is still reconnecting: it must show up all the same.
    sim.deleteObject('deployments', NAMESPACE, nameOf(before.jobId));
    await vi.waitFor(() => expect(lab!.updates).toContainEqual({ kind: 'gone', jobId: before.jobId, reason: 'its Deployment was deleted outside classlab' }));
    const after = launchSpec();
    await runtime.launch(after);
    await waitForState(lab!, after.jobId, (s) => s.status === 'Ready');
    await vi.waitFor(async () =>
      expect((await runtime.jobs()).map((job) => [job.jobId, job.complete])).toEqual(
        [
          [before.jobId, false],
          [after.jobId, true],
        ].sort(),
      ),
    );
  });

  it('re-lists every resync period, quietly, without losing track of jobs', async () => {
    const { runtime, sim, logLines, updates } = await open({}, { resyncMs: 150 });
    const spec = launchSpec();
    await runtime.launch(spec);
    await waitForState(lab!, spec.jobId, (s) => s.status === 'Ready');
    sim.resetStats();
    await new Promise((resolve) => setTimeout(resolve, 600));
    const stats = sim.stats();
    expect(stats['list deployments']).toBeGreaterThanOrEqual(2);
    expect(stats['watch deployments']).toBeGreaterThanOrEqual(2);
    expect(logLines.filter((line) => line.includes('failed'))).toEqual([]);
    expect(updates.filter((u) => u.kind === 'gone')).toEqual([]);
    expect(await runtime.jobs()).toMatchObject([{ jobId: spec.jobId, state: { status: 'Ready' }, complete: true }]);
  });

  it('reports a job whose Deployment was deleted behind its back as gone', async () => {
    const { runtime, sim, updates } = await open();
    const spec = launchSpec();
    await runtime.launch(spec);
    sim.deleteObject('deployments', NAMESPACE, nameOf(spec.jobId));
    await vi.waitFor(() => expect(updates).toContainEqual({ kind: 'gone', jobId: spec.jobId, reason: 'its Deployment was deleted outside classlab' }));
    await vi.waitFor(async () => expect(await runtime.jobs()).toMatchObject([{ jobId: spec.jobId, complete: false, state: { status: 'Failed' } }]));
    // Stopping it deletes what is left, not the Deployment the watch saw go.
    sim.resetStats();
    await runtime.stop(spec.jobId);
    expect(sim.stats()).toEqual({ 'delete services': 1 });
    expect(stored(lab!, 'services')).toEqual([]);
  });

  it('after a restart, lists a job whose Deployment went while nobody watched as incomplete, saying what is missing', async () => {
    const { runtime, sim } = await open();
    const spec = launchSpec();
    await runtime.launch(spec);
    await waitForState(lab!, spec.jobId, (s) => s.status === 'Ready');
    await runtime.close();
    sim.deleteObject('deployments', NAMESPACE, nameOf(spec.jobId));
    const restarted = new KubernetesRuntime({ kubeconfig: sim.kubeconfigPath, ...TEST_MANIFEST_SETTINGS, logger: capturingLogger().logger });
    await restarted.start();
    try {
      await restarted.whenSynced();
      expect(await restarted.jobs()).toMatchObject([{ jobId: spec.jobId, complete: false, missing: 'its Deployment was deleted outside classlab' }]);
    } finally {
      await restarted.close();
    }
  });

  it('reports a job whose Service was deleted behind its back as gone', async () => {
    const { runtime, sim, updates } = await open();
    const spec = launchSpec();
    await runtime.launch(spec);
    sim.deleteObject('services', NAMESPACE, nameOf(spec.jobId));
    await vi.waitFor(() => expect(updates).toContainEqual({ kind: 'gone', jobId: spec.jobId, reason: 'its Service was deleted outside classlab' }));
    expect(updates.filter((u) => u.kind === 'gone')).toHaveLength(1);
  });

  it('reports no state for a half-launched job (a Deployment without its Service), so it stays Created', async () => {
    const { runtime, sim, updates } = await open();
    const spec = launchSpec({ gpu: 0 });
    const plan = planJob(spec, DEFAULT_CATALOG, 'token-of-a-server-killed-mid-launch');
    // What a server killed between the two creates leaves behind.
    sim.applyObject('deployments', buildDeployment(spec, plan, { ...manifestSettings, namespace: NAMESPACE }) as never);
    await vi.waitFor(() => expect(stored<V1Pod>(lab!, 'pods').some((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))).toBe(true));
    await vi.waitFor(async () => expect(await runtime.jobs()).toEqual([{ jobId: spec.jobId, state: { status: 'Ready' }, services: [], complete: false, missing: 'its Service was deleted outside classlab' }]));
    expect(statesOf(updates, spec.jobId)).toEqual([]);
  });

  it('rejects jobs() until it has listed, retrying with backoff meanwhile', async () => {
    lab = await startLab({}, {}, (sim) => sim.failNext({ method: 'list', resource: 'deployments', status: 503, count: 3 }));
    await expect(lab.runtime.jobs()).rejects.toBeInstanceOf(RuntimeNotSynced);
    await lab.runtime.whenSynced();
    expect(await lab.runtime.jobs()).toEqual([]);
    const retries = lab.logLines.filter((line) => line.includes('kubernetes list/watch failed') && line.includes('"resource":"deployments"'));
    expect(retries).toHaveLength(3);
    expect(retries.map((line) => (JSON.parse(line) as { retryInMs: number }).retryInMs)).toEqual([50, 100, 200]);
  });

  it('starts without a reachable cluster, and says so in the log', async () => {
    const unreachable = join(await mkdtemp(join(tmpdir(), 'classlab-k8s-')), 'kubeconfig');
    await writeFile(unreachable, kubeconfigFor('http://127.0.0.1:9'));
    lab = await startLab({}, { kubeconfig: unreachable });
    await expect(lab.runtime.jobs()).rejects.toBeInstanceOf(RuntimeNotSynced);
    await vi.waitFor(() => expect(lab!.logLines.some((line) => line.includes('kubernetes list/watch failed'))).toBe(true));
    await expect(lab.runtime.launch(launchSpec())).rejects.toBeInstanceOf(RuntimeError);
  });
});

describe('stopping a job', () => {
  it('removes the Deployment, Service and pod, reports nothing gone, and may be repeated', async () => {
    const { runtime, updates } = await open();
    const spec = launchSpec();
    await runtime.launch(spec);
    await waitForState(lab!, spec.jobId, (s) => s.status === 'Ready');
    await runtime.stop(spec.jobId);
    await runtime.stop(spec.jobId);
    expect(stored(lab!, 'deployments')).toEqual([]);
    expect(stored(lab!, 'services')).toEqual([]);
    await vi.waitFor(() => expect(stored(lab!, 'pods')).toEqual([]));
    await vi.waitFor(async () => expect(await runtime.jobs()).toEqual([]));
    expect(updates.filter((u) => u.kind === 'gone')).toEqual([]);
    await runtime.stop('5b2f7c1e-0d4a-4c8e-9f3b-ffffffffffff');
  });
});

describe('what the cluster offers', () => {
  it('lists nodes with their Ready condition, GPUs and images', async () => {
    const { runtime, sim } = await open();
    sim.setNodeReady('gpu-2', false);
    // From the node watch: the change arrives soon after, not with the answer.
    await vi.waitFor(async () => expect((await runtime.nodes()).map((node) => node.ready)).toEqual([true, false]));
    const nodes = await runtime.nodes();
    expect(nodes).toEqual([
      { name: 'gpu-1', ready: true, gpuAllocatable: 2, gpuInUse: 0, images: expect.arrayContaining(['jupyter/base-notebook:latest']) },
      { name: 'gpu-2', ready: false, gpuAllocatable: 2, gpuInUse: 0, images: expect.arrayContaining(['nvcr.io/nvidia/pytorch:24.01-py3']) },
    ]);
    expect(nodes.flatMap((node) => node.images).some((image) => image.includes('@sha256'))).toBe(false);
  });

  it("counts the GPUs a job's pod holds on the node it runs on", async () => {
    const { runtime } = await open();
    const spec = launchSpec({ gpu: 2 });
    await runtime.launch(spec);
    await waitForState(lab!, spec.jobId, (state) => state.status === 'Ready');
    const [pod, ...others] = stored<V1Pod>(lab!, 'pods');
    expect(others).toEqual([]);
    const nodeName = pod?.spec?.nodeName;
    expect(nodeName).toBeDefined();
    await vi.waitFor(async () => {
      const used = Object.fromEntries((await runtime.nodes()).map((node) => [node.name, node.gpuInUse]));
      expect(used[nodeName!]).toBe(2);
      expect(Object.values(used).reduce((a, b) => (a ?? 0) + (b ?? 0), 0)).toBe(2);
    });
  });

  it('reads nodes and dataset claims from watches: launches and checks make no list calls', async () => {
    const { runtime, sim } = await open();
    await vi.waitFor(async () => expect(await runtime.datasets()).toEqual(['cifar10', 'mnist']));
    await vi.waitFor(() => expect(sim.stats()['list nodes']).toBeGreaterThan(0));
    const before = sim.stats();
    for (let i = 0; i < 5; i += 1) {
      await runtime.nodes();
      await runtime.datasets();
      await runtime.cannotRun({ image: 'jupyter/base-notebook', gpu: 1 });
    }
    expect(sim.stats()).toEqual(before);
  });

  it('says the API\'s words when nodes cannot be listed (before the node watch has listed them)', async () => {
    const forbidden = { method: 'list', resource: 'nodes', status: 403, count: 1000, message: 'nodes is forbidden: User "system:serviceaccount:labs:classlab" cannot list resource "nodes"' };
    // Not waiting for the sync that cannot come: NodePort URLs need a node's address.
    lab = await startLab({}, {}, (sim) => sim.failNext(forbidden));
    const { runtime } = lab;
    const failure = await runtime.nodes().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RuntimeError);
    expect((failure as Error).message).toContain('cannot list resource "nodes"');
  });

  it('lists datasets without their prefix, and images from nodes and catalog', async () => {
    const { runtime } = await open();
    expect(await runtime.datasets()).toEqual(['cifar10', 'mnist']);
    const images = await runtime.images();
    expect(images).toEqual([...new Set(images)].sort());
    expect(images).toEqual(expect.arrayContaining(['jupyter/base-notebook:latest', 'nvcr.io/nvidia/pytorch:24.01-py3', 'classlab/hello', 'nvidia/digits']));
  });
});

describe('secrets', () => {
  it('never logs a job token', async () => {
    const { runtime, sim, logLines } = await open();
    const { services } = await runtime.launch(launchSpec());
    sim.dropWatches();
    await runtime.stop(launchSpec().jobId);
    const token = /token=([0-9a-f]+)/.exec(services[0]?.value ?? '')?.[1];
    expect(token).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(logLines.join('\n')).not.toContain(token);
  });
});

