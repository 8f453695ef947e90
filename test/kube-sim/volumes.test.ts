// The simulator's storage: StorageClasses, default-class admission, binding (or the PV
// controller's Event when a claim cannot bind), the API server's expansion rules, and a scheduler
// that keeps a pod whose claim is not Bound unschedulable.
import { describe, expect, it } from 'vitest';
import type { KubeObject, KubeSimulator } from './index.js';
import { call, conditionOf, deployment, eventually, simPerTest } from './test-client.js';

const claimsPath = '/api/v1/namespaces/default/persistentvolumeclaims';

function claim(name: string, options: { storageClassName?: string; storage?: string } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name },
    spec: {
      accessModes: ['ReadWriteOnce'],
      ...(options.storageClassName !== undefined ? { storageClassName: options.storageClassName } : {}),
      resources: { requests: { storage: options.storage ?? '10Gi' } },
    },
  };
}

describe('kube-sim storage', () => {
  const start = simPerTest();
  const stored = (s: KubeSimulator, name: string) => s.objects('persistentvolumeclaims', 'default').find((c) => c.metadata.name === name);
  const eventsFor = (s: KubeSimulator, name: string) =>
    s.objects('events', 'default').filter((event) => (event['involvedObject'] as { name: string }).name === name);

  it('serves a default StorageClass that allows expansion, and binds a claim that names no class at once', async () => {
    const s = await start();
    expect(s.objects('storageclasses')).toEqual([
      expect.objectContaining({
        kind: 'StorageClass',
        metadata: expect.objectContaining({ name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }),
        allowVolumeExpansion: true,
      }),
    ]);
    const created = await call<KubeObject>(s, 'POST', claimsPath, claim('home-a'));
    expect(created.status).toBe(201);
    expect(created.body.spec?.['storageClassName']).toBe('standard');
    expect(stored(s, 'home-a')).toMatchObject({ spec: { volumeName: expect.stringMatching(/^pvc-/) }, status: { phase: 'Bound', capacity: { storage: '10Gi' } } });
  });

  it('leaves a claim Pending with the PV controller\'s words when there is no class, or its class is missing', async () => {
    const s = await start({ storageClasses: [] });
    await call(s, 'POST', claimsPath, claim('no-class'));
    await call(s, 'POST', claimsPath, claim('missing-class', { storageClassName: 'fast' }));
    expect(stored(s, 'no-class')?.status).toEqual({ phase: 'Pending' });
    expect(eventsFor(s, 'no-class')).toMatchObject([
      { type: 'Normal', reason: 'FailedBinding', message: 'no persistent volumes available for this claim and no storage class is set' },
    ]);
    expect(eventsFor(s, 'missing-class')).toMatchObject([{ type: 'Warning', reason: 'ProvisioningFailed', message: 'storageclass.storage.k8s.io "fast" not found' }]);
    // The class appears: the claim that named it binds.
    const made = await call(s, 'POST', '/apis/storage.k8s.io/v1/storageclasses', {
      apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast' }, provisioner: 'kube-sim.io/hostpath',
    });
    expect(made.status).toBe(201);
    expect(stored(s, 'missing-class')?.status?.['phase']).toBe('Bound');
    expect(stored(s, 'no-class')?.status?.['phase']).toBe('Pending');
  });

  it('grows a Bound claim where its class allows expansion, and refuses a shrink or a class that does not', async () => {
    const s = await start({ storageClasses: [{ name: 'standard', default: true, allowVolumeExpansion: true }, { name: 'fixed' }] });
    await call(s, 'POST', claimsPath, claim('grows'));
    await call(s, 'POST', claimsPath, claim('fixed', { storageClassName: 'fixed' }));
    const grow = [{ op: 'replace', path: '/spec/resources/requests/storage', value: '20Gi' }];
    expect((await call(s, 'PATCH', `${claimsPath}/grows`, grow, 'application/json-patch+json')).status).toBe(200);
    expect(stored(s, 'grows')?.status?.['capacity']).toEqual({ storage: '20Gi' });

    const merge = { spec: { resources: { requests: { storage: '20Gi' } } } };
    const refused = await call<{ message: string }>(s, 'PATCH', `${claimsPath}/fixed`, merge, 'application/merge-patch+json');
    expect(refused).toMatchObject({ status: 403, body: { message: expect.stringContaining('the storageclass that provisions the pvc must support resize') } });

    const shrink = await call<{ message: string }>(s, 'PATCH', `${claimsPath}/grows`, { spec: { resources: { requests: { storage: '5Gi' } } } }, 'application/strategic-merge-patch+json');
    expect(shrink).toMatchObject({ status: 422, body: { message: expect.stringContaining('field can not be less than previous value') } });
    const other = await call<{ message: string }>(s, 'PATCH', `${claimsPath}/grows`, { spec: { accessModes: ['ReadWriteMany'] } }, 'application/merge-patch+json');
    expect(other).toMatchObject({ status: 422, body: { message: expect.stringContaining('spec is immutable after creation') } });
  });

  it('keeps a pod whose claim is not Bound (or absent) unschedulable, and schedules it once the claim binds', async () => {
    const s = await start({ storageClasses: [] });
    await call(s, 'POST', claimsPath, claim('home-b', { storageClassName: 'late' }));
    const withClaim = (name: string, claimName: string): KubeObject => {
      const body = deployment(name);
      const podSpec = (body.spec?.['template'] as { spec: Record<string, unknown> }).spec;
      podSpec['volumes'] = [{ name: 'home', persistentVolumeClaim: { claimName } }];
      return body;
    };
    await call(s, 'POST', '/apis/apps/v1/namespaces/default/deployments', withClaim('lab', 'home-b'));
    await call(s, 'POST', '/apis/apps/v1/namespaces/default/deployments', withClaim('orphan', 'nobody'));
    const podOf = (app: string) => s.objects('pods', 'default').find((pod) => pod.metadata.labels?.['app'] === app);
    const waiting = await eventually(() => conditionOf(podOf('lab'), 'PodScheduled'), 5000, 'the pod marked unschedulable');
    expect(waiting).toMatchObject({ status: 'False', reason: 'Unschedulable', message: '0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims.' });
    const missing = await eventually(() => conditionOf(podOf('orphan'), 'PodScheduled'), 5000, 'the other pod marked unschedulable');
    expect(missing).toMatchObject({ status: 'False', message: '0/2 nodes are available: persistentvolumeclaim "nobody" not found.' });

    await call(s, 'POST', '/apis/storage.k8s.io/v1/storageclasses', { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'late' }, provisioner: 'kube-sim.io/hostpath' });
    await eventually(() => (conditionOf(podOf('lab'), 'Ready')?.['status'] === 'True' ? true : undefined), 5000, 'the pod Ready once its claim bound');
  });
});
