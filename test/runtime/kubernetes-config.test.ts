import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { V1Deployment } from '@kubernetes/client-node';
import { loadConfig } from '../../src/config/load.js';
import { kubernetesRuntimeFromConfig, type KubernetesRuntime } from '../../src/runtime/kubernetes/index.js';
import { RuntimeError, RuntimeSetupError } from '../../src/runtime/types.js';
import { startKubeSimulator } from '../kube-sim/index.js';
import { capturingLogger } from '../support/logs.js';
import { launchSpec } from './support-k8s.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('the Kubernetes runtime from the configuration', () => {
  it('takes the namespace, resources, shm size, GPU resource, NodePort host, catalog and home claims from the settings', async () => {
    const sim = await startKubeSimulator({
      namespace: 'gpu-lab',
      gpuResource: 'amd.com/gpu',
      nodes: [{ name: 'n1', gpus: 4 }],
      datasets: ['ds-imagenet'],
      storageClasses: [{ name: 'standard', default: true }, { name: 'shared-nfs', allowVolumeExpansion: true }],
    });
    const config = loadConfig({
      KUBECONFIG: sim.kubeconfigPath,
      CLASSLAB_RUNTIME: 'kubernetes',
      CLASSLAB_NAMESPACE: 'gpu-lab',
      CLASSLAB_GPU_RESOURCE: 'amd.com/gpu',
      CLASSLAB_DATASET_PREFIX: 'ds-',
      CLASSLAB_DATASET_MOUNT_ROOT: '/data',
      CLASSLAB_JOB_CPU_REQUEST: '250m',
      CLASSLAB_JOB_CPU_LIMIT: '2',
      CLASSLAB_JOB_MEMORY_REQUEST: '512Mi',
      CLASSLAB_JOB_MEMORY_LIMIT: '4Gi',
      CLASSLAB_SHM_SIZE: '256Mi',
      CLASSLAB_NODEPORT_HOST: 'lab.example.edu',
      CLASSLAB_HOME_STORAGE_CLASS: 'shared-nfs',
      CLASSLAB_HOME_ACCESS_MODE: 'ReadWriteMany',
    });
    const runtime: KubernetesRuntime = kubernetesRuntimeFromConfig(config, capturingLogger().logger);
    close = async () => {
      await runtime.close();
      await sim.stop();
    };
    await runtime.start();
    expect(runtime.kind).toBe('kubernetes');
    expect(await runtime.datasets()).toEqual(['imagenet']);

    const spec = launchSpec({ gpu: 1, datasets: ['imagenet'] });
    const { services } = await runtime.launch(spec);
    expect(services[0]?.value).toMatch(/^http:\/\/lab\.example\.edu:\d+\/\?token=/);
    const [deployment] = sim.objects('deployments', 'gpu-lab') as V1Deployment[];
    const podSpec = deployment?.spec?.template.spec;
    expect(podSpec?.containers[0]?.resources?.limits).toEqual({ cpu: '2', memory: '4Gi', 'amd.com/gpu': '1' });
    expect(podSpec?.containers[0]?.resources?.requests).toMatchObject({ cpu: '250m', memory: '512Mi' });
    expect(podSpec?.containers[0]?.volumeMounts).toContainEqual({ name: 'dataset-0', mountPath: '/data/imagenet', readOnly: true });
    expect(podSpec?.volumes).toContainEqual({ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '256Mi' } });
    await vi.waitFor(async () => expect((await runtime.jobs())[0]?.state).toEqual({ status: 'Ready' }));

    expect(runtime.homes.singleAttach).toBe(false);
    await runtime.homes.ensure({ name: 'home-1', userId: 'u-1', userName: 'ada', capacity: '10Gi' });
    const [claim] = sim.objects('persistentvolumeclaims', 'gpu-lab').filter((object) => object.metadata.name === 'classlab-home-1');
    expect(claim?.spec).toMatchObject({ storageClassName: 'shared-nfs', accessModes: ['ReadWriteMany'] });
  });

  it('refuses to start with no kubeconfig and no in-cluster service account, saying to set KUBECONFIG', async () => {
    vi.stubEnv('HOME', await mkdtemp(join(tmpdir(), 'classlab-home-')));
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '');
    vi.stubEnv('KUBECONFIG', '');
    try {
      const runtime = kubernetesRuntimeFromConfig(loadConfig({ CLASSLAB_RUNTIME: 'kubernetes' }), capturingLogger().logger);
      const failure = await runtime.start().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(RuntimeSetupError);
      expect((failure as Error).message).toMatch(/^CLASSLAB_RUNTIME=kubernetes needs a cluster: set KUBECONFIG to a kubeconfig file, or run classlab inside a cluster/);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('refuses to start with a kubeconfig file that is not there, naming it', async () => {
    const runtime = kubernetesRuntimeFromConfig(loadConfig({ CLASSLAB_RUNTIME: 'kubernetes', KUBECONFIG: '/nonexistent/kubeconfig' }), capturingLogger().logger);
    const failure = await runtime.start().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RuntimeError);
    expect((failure as Error).message).toContain('/nonexistent/kubeconfig');
  });
});
