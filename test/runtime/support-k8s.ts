import { afterEach, vi } from 'vitest';
import { startKubeSimulator } from '../kube-sim/index.js';
import { capturingLogger } from '../support/logs.js';
import { DEFAULT_CATALOG } from '../../src/config/image-catalog.js';
import { KubernetesRuntime, type KubernetesRuntimeOptions } from '../../src/runtime/kubernetes/index.js';
import type { ManifestSettings } from '../../src/runtime/kubernetes/manifests.js';
import type { LaunchSpec, RuntimeJobState, RuntimeUpdate } from '../../src/runtime/types.js';

export type KubeSimulator = Awaited<ReturnType<typeof startKubeSimulator>>;
export type SimulatorOptions = NonNullable<Parameters<typeof startKubeSimulator>[0]>;

export const NAMESPACE = 'labs';

/** The runtime settings every Kubernetes test starts from. */
export const TEST_MANIFEST_SETTINGS: ManifestSettings = {
  namespace: NAMESPACE,
  gpuResource: 'nvidia.com/gpu',
  datasetPrefix: 'dataset-',
  datasetMountRoot: '/datasets',
  cpuRequest: '500m',
  cpuLimit: '4',
  memoryRequest: '1Gi',
  memoryLimit: '8Gi',
  shmSize: '2Gi',
  serviceType: 'NodePort',
  catalog: DEFAULT_CATALOG,
};

/** A simulated cluster, a runtime started against it, and every update and log line it produced. */
export interface Lab {
  sim: KubeSimulator;
  runtime: KubernetesRuntime;
  updates: RuntimeUpdate[];
  logLines: string[];
  close(): Promise<void>;
}

export async function startLab(
  simOptions: Partial<SimulatorOptions> = {},
  runtimeOptions: Partial<KubernetesRuntimeOptions> = {},
  beforeStart: (sim: KubeSimulator) => void = () => {},
): Promise<Lab> {
  const sim = await startKubeSimulator({
    namespace: NAMESPACE,
    nodes: [
      { name: 'gpu-1', gpus: 2, address: '10.0.0.11', images: ['jupyter/base-notebook:latest'] },
      { name: 'gpu-2', gpus: 2, address: '10.0.0.12', images: ['nvcr.io/nvidia/pytorch:24.01-py3'] },
    ],
    datasets: ['dataset-mnist', 'dataset-cifar10'],
    delays: { scheduleMs: 30, pullMs: 30, readyMs: 30 },
    failingImages: ['*does-not-exist*'],
    ...simOptions,
  });
  const { logger, lines } = capturingLogger();
  const runtime = new KubernetesRuntime({
    kubeconfig: sim.kubeconfigPath,
    ...TEST_MANIFEST_SETTINGS,
    logger,
    backoff: { initialMs: 50, maxMs: 400 },
    ...runtimeOptions,
  });
  const updates: RuntimeUpdate[] = [];
  runtime.subscribe((update) => updates.push(update));
  beforeStart(sim);
  await runtime.start();
  return {
    sim,
    runtime,
    updates,
    logLines: lines,
    async close() {
      await runtime.close();
      await sim.stop();
    },
  };
}

let jobCounter = 0;

/** A launch spec with a fresh UUID-shaped job id, as the jobs service makes them. */
export function launchSpec(overrides: Partial<LaunchSpec> = {}): LaunchSpec {
  jobCounter += 1;
  const serial = String(jobCounter).padStart(12, '0');
  return {
    jobId: `5b2f7c1e-0d4a-4c8e-9f3b-${serial}`,
    userId: '0c7a1d9e-1111-4222-8333-444455556666',
    userName: 'jimmy@nchc',
    courseId: 'c0ffee00-0000-4000-8000-000000000001',
    courseName: 'Deep Learning 101',
    image: 'jupyter/base-notebook:latest',
    gpu: 1,
    datasets: ['mnist'],
    ports: [],
    ...overrides,
  };
}

export function statesOf(updates: readonly RuntimeUpdate[], jobId: string): RuntimeJobState[] {
  return updates.flatMap((update) => (update.kind === 'state' && update.jobId === jobId ? [update.state] : []));
}

export async function waitForState(lab: Lab, jobId: string, matches: (state: RuntimeJobState) => boolean, timeout = 10_000): Promise<RuntimeJobState> {
  return vi.waitFor(
    () => {
      const found = statesOf(lab.updates, jobId).find(matches);
      if (!found) throw new Error(`job ${jobId} has not reached the state yet; states so far: ${JSON.stringify(statesOf(lab.updates, jobId))}`);
      return found;
    },
    { timeout, interval: 20 },
  );
}

/**
 * Opens a synced Lab for the test calling it, and closes it after the test (or when the test
 * opens another). Call once at the top of a file.
 */
export function labPerTest(): (...args: Parameters<typeof startLab>) => Promise<Lab> {
  let current: Lab | undefined;
  const closeCurrent = async () => {
    await current?.close();
    current = undefined;
  };
  afterEach(closeCurrent);
  return async (...args) => {
    await closeCurrent();
    current = await startLab(...args);
    await waitForSync(current);
    return current;
  };
}

/** Waits until the runtime has listed once, which jobs() reports by resolving. */
export async function waitForSync(lab: Lab, timeout = 10_000): Promise<void> {
  await vi.waitFor(() => lab.runtime.jobs(), { timeout, interval: 20 });
}

/** A kubeconfig for a plain-HTTP server, which client-node accepts only with TLS checks off. */
export function kubeconfigFor(server: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: test',
    '  cluster:',
    `    server: ${server}`,
    '    insecure-skip-tls-verify: true',
    'users:',
    '- name: test',
    '  user:',
    '    token: not-a-real-token',
    'contexts:',
    '- name: test',
    '  context: {cluster: test, user: test, namespace: labs}',
    'current-context: test',
    '',
  ].join('\n');
}
