// @kubernetes/client-node 1.4, unchanged, against the simulator: the runtime's own client.
import { AppsV1Api, CoreV1Api, KubeConfig, makeInformer, type V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSimulator, type KubeSimulator } from './index.js';
import { deployment, eventually } from './test-client.js';

describe('kube-sim with @kubernetes/client-node', () => {
  let sim: KubeSimulator;
  let kubeconfig: KubeConfig;
  beforeAll(async () => {
    sim = await startKubeSimulator({ datasets: ['dataset-mnist'] });
    kubeconfig = new KubeConfig();
    kubeconfig.loadFromFile(sim.kubeconfigPath);
  });
  afterAll(() => sim.stop());

  it('lists nodes and PVCs through CoreV1Api', async () => {
    const core = kubeconfig.makeApiClient(CoreV1Api);
    const nodes = await core.listNode();
    expect(nodes.items.map((node) => node.metadata?.name)).toEqual(['node-1', 'node-2']);
    expect(nodes.items[0]?.status?.allocatable?.['nvidia.com/gpu']).toBe('2');
    const claims = await core.listNamespacedPersistentVolumeClaim({ namespace: 'default' });
    expect(claims.items.map((claim) => [claim.metadata?.name, claim.status?.phase])).toEqual([['dataset-mnist', 'Bound']]);
  });

  it('reports API errors as ApiException with the Status code', async () => {
    const apps = kubeconfig.makeApiClient(AppsV1Api);
    await expect(apps.readNamespacedDeployment({ name: 'missing', namespace: 'default' })).rejects.toMatchObject({ code: 404 });
  });

  it('feeds an informer ADDED, MODIFIED and DELETED for a label selection', async () => {
    const apps = kubeconfig.makeApiClient(AppsV1Api);
    const informer = makeInformer(
      kubeconfig,
      '/apis/apps/v1/namespaces/default/deployments',
      () => apps.listNamespacedDeployment({ namespace: 'default', labelSelector: 'owner=classlab' }),
      'owner=classlab',
    );
    const seen: string[] = [];
    informer.on('add', (d: V1Deployment) => seen.push(`add ${d.metadata?.name ?? ''}`));
    informer.on('update', (d: V1Deployment) => seen.push(`update ${d.metadata?.name ?? ''} ready=${d.status?.readyReplicas ?? 0}`));
    informer.on('delete', (d: V1Deployment) => seen.push(`delete ${d.metadata?.name ?? ''}`));
    await informer.start();
    try {
      await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('informed', { labels: { owner: 'classlab' } }) as V1Deployment });
      await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('ignored') as V1Deployment });
      await eventually(() => seen.includes('update informed ready=1'), 5000, 'the deployment to become ready');
      await apps.deleteNamespacedDeployment({ name: 'informed', namespace: 'default' });
      await eventually(() => seen.includes('delete informed'), 5000, 'the delete');
      expect(seen[0]).toBe('add informed');
      expect(seen.some((line) => line.includes('ignored'))).toBe(false);
      expect(informer.list('default')).toEqual([]);
    } finally {
      await informer.stop();
    }
  });

  it('lets an informer catch up after its watch is dropped, by restarting from its resourceVersion', async () => {
    const core = kubeconfig.makeApiClient(CoreV1Api);
    const informer = makeInformer(kubeconfig, '/api/v1/namespaces/default/services', () => core.listNamespacedService({ namespace: 'default' }));
    const errors: unknown[] = [];
    informer.on('error', (error: unknown) => errors.push(error));
    await informer.start();
    try {
      sim.dropWatches();
      // client-node informers only report the error; restarting them is the caller's job.
      await eventually(() => errors.length > 0, 5000, 'the informer error');
      await core.createNamespacedService({
        namespace: 'default',
        body: { metadata: { name: 'late' }, spec: { ports: [{ name: 'jupyter', port: 8888 }] } },
      });
      await informer.start();
      await eventually(() => informer.list('default').some((svc) => svc.metadata?.name === 'late'), 5000, 'the missed service');
    } finally {
      await informer.stop();
    }
  });
});
