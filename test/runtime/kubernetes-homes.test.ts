// Homes on the Kubernetes runtime, against the simulator: one claim per user that outlives every
// job, mounted by each of them; a claim that cannot bind holds its jobs Pending in the cluster's
// words; growing only where the StorageClass allows it.
import { describe, expect, it, vi } from 'vitest';
import type { V1Deployment, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { homeClaimName } from '../../src/runtime/kubernetes/labels.js';
import { buildDeployment, planJob } from '../../src/runtime/kubernetes/manifests.js';
import { HomeExpansionRefused, type HomeRef, type LaunchSpec } from '../../src/runtime/types.js';
import { NAMESPACE, TEST_MANIFEST_SETTINGS, labPerTest, launchSpec, waitForState, type Lab } from './support-k8s.js';

const open = labPerTest();

const USER_ID = '0c7a1d9e-1111-4222-8333-444455556666';
const home: HomeRef = { name: 'home-0c7a1d9e', userId: USER_ID, userName: 'jimmy@nchc', capacity: '10Gi' };
const CLAIM = 'classlab-home-0c7a1d9e';

function withHome(overrides: Partial<LaunchSpec> = {}, mountPath = '/home/jovyan'): LaunchSpec {
  return launchSpec({ userId: USER_ID, datasets: [], home: { name: home.name, mountPath, capacity: home.capacity }, ...overrides });
}

function claims(lab: Lab): V1PersistentVolumeClaim[] {
  return (lab.sim.objects('persistentvolumeclaims', NAMESPACE) as V1PersistentVolumeClaim[]).filter((claim) => claim.metadata?.name === CLAIM);
}

function deploymentOf(lab: Lab, jobId: string): V1Deployment | undefined {
  return (lab.sim.objects('deployments', NAMESPACE) as V1Deployment[]).find((d) => d.metadata?.name === `classlab-${jobId}`);
}

describe('a home claim', () => {
  it('is made once for two launches, mounted by both, and outlives them', async () => {
    const lab = await open();
    const { runtime } = lab;
    lab.sim.resetStats();
    // Made Pending, and Bound a moment later by the cluster: ensure answers whichever the watch has shown.
    expect(['Pending', 'Bound']).toContain((await runtime.homes.ensure(home)).state);
    await vi.waitFor(async () => expect(await runtime.homes.status(home)).toEqual({ state: 'Bound', capacity: '10Gi' }));
    const first = withHome();
    await runtime.launch(first);
    // The second launch's ensure reads the watch: no second create, no read.
    expect(await runtime.homes.ensure(home)).toMatchObject({ state: 'Bound' });
    const second = withHome({}, '/workspace');
    await runtime.launch(second);
    expect(lab.sim.stats()['create persistentvolumeclaims']).toBe(1);
    expect(lab.sim.stats()['list persistentvolumeclaims'] ?? 0).toBe(0);
    expect(claims(lab)).toHaveLength(1);

    for (const [spec, mountPath] of [[first, '/home/jovyan'], [second, '/workspace']] as const) {
      const podSpec = deploymentOf(lab, spec.jobId)?.spec?.template.spec;
      expect(podSpec?.volumes).toContainEqual({ name: 'home', persistentVolumeClaim: { claimName: CLAIM } });
      expect(podSpec?.containers[0]?.volumeMounts).toContainEqual({ name: 'home', mountPath });
      // Writable by the notebook's user (group 100) however the volume was provisioned.
      expect(podSpec?.securityContext).toEqual({ fsGroup: 100, fsGroupChangePolicy: 'OnRootMismatch' });
      await waitForState(lab, spec.jobId, (state) => state.status === 'Ready');
    }

    await runtime.stop(first.jobId);
    await runtime.stop(second.jobId);
    expect(lab.sim.objects('deployments', NAMESPACE)).toEqual([]);
    expect(claims(lab)).toHaveLength(1);
    expect(await runtime.homes.status(home)).toEqual({ state: 'Bound', capacity: '10Gi' });
  });

  it('belongs to no job: no ownerReferences, the home and user labels, the user name kept whole', async () => {
    // A dataset prefix that home claims share: they must still not be listed as datasets.
    const lab = await open({}, { homeAccessMode: 'ReadWriteOncePod', datasetPrefix: 'classlab-' });
    const { runtime } = lab;
    await runtime.homes.ensure(home);
    const [claim] = claims(lab);
    expect(claim?.metadata?.ownerReferences).toBeUndefined();
    expect(claim?.metadata?.labels).toEqual({
      'app.kubernetes.io/managed-by': 'classlab',
      'classlab.io/component': 'home',
      'classlab.io/user': USER_ID,
    });
    expect(claim?.metadata?.annotations).toMatchObject({ 'classlab.io/user-name': 'jimmy@nchc', 'classlab.io/home': home.name });
    expect(claim?.spec?.accessModes).toEqual(['ReadWriteOncePod']);
    expect(claim?.spec?.resources?.requests).toEqual({ storage: '10Gi' });
    // No class named: the cluster's default class is the one it gets.
    expect(claim?.spec?.storageClassName).toBe('standard');
    expect(await runtime.datasets()).toEqual([]);
  });

  it('survives a launch that fails half way', async () => {
    const lab = await open();
    const { runtime } = lab;
    await runtime.homes.ensure(home);
    lab.sim.failNext({ method: 'create', resource: 'services', status: 500, message: 'etcdserver: request timed out' });
    await expect(runtime.launch(withHome())).rejects.toThrow(/etcdserver/);
    expect(lab.sim.objects('deployments', NAMESPACE)).toEqual([]);
    expect(claims(lab)).toHaveLength(1);
  });

  it('is not mounted, nor its group set, for a launch without a home', () => {
    const spec = launchSpec({ datasets: [] });
    const podSpec = buildDeployment(spec, planJob(spec, TEST_MANIFEST_SETTINGS.catalog, 't'), TEST_MANIFEST_SETTINGS).spec?.template.spec;
    expect(podSpec?.volumes?.map((volume) => volume.name)).toEqual(['shm']);
    expect(podSpec?.securityContext).toBeUndefined();
  });

  it('is named from the home name as a valid object name, and two names never share one', () => {
    expect(homeClaimName('home-0c7a1d9e')).toBe(CLAIM);
    const odd = ['Home_Of.Jimmy', 'home_of.jimmy', 'x'.repeat(80), 'x'.repeat(81), '---'];
    const names = odd.map(homeClaimName);
    for (const name of names) expect(name).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
    expect(new Set(names).size).toBe(odd.length);
    expect(homeClaimName('Home_Of.Jimmy')).toBe(homeClaimName('Home_Of.Jimmy'));
  });
});

describe('a claim that cannot bind', () => {
  it('keeps the home Pending and its job Pending with the cluster\'s words, until it binds', async () => {
    const lab = await open({}, { homeStorageClass: 'fast' });
    const { runtime } = lab;
    const made = await runtime.homes.ensure(home);
    expect(made.state).toBe('Pending');
    await vi.waitFor(async () => expect(await runtime.homes.status(home)).toEqual({ state: 'Pending', reason: 'storageclass.storage.k8s.io "fast" not found' }));
    const spec = withHome();
    await runtime.launch(spec);
    await waitForState(lab, spec.jobId, (state) => state.status === 'Pending' && state.reason === 'waiting for home volume: storageclass.storage.k8s.io "fast" not found');

    lab.sim.applyObject('storageclasses', { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast' }, provisioner: 'kube-lab.sim.io/hostpath' } as never);
    await waitForState(lab, spec.jobId, (state) => state.status === 'Ready');
    expect(await runtime.homes.status(home)).toEqual({ state: 'Bound', capacity: '10Gi' });
  });

  it('with no storage class in the cluster, says that no volume is available', async () => {
    const lab = await open({ storageClasses: [] });
    const { runtime } = lab;
    await runtime.homes.ensure(home);
    const spec = withHome();
    await runtime.launch(spec);
    const reason = 'no persistent volumes available for this claim and no storage class is set';
    await waitForState(lab, spec.jobId, (state) => state.status === 'Pending' && state.reason === `waiting for home volume: ${reason}`);
    expect(await runtime.jobs()).toMatchObject([{ jobId: spec.jobId, state: { status: 'Pending', reason: `waiting for home volume: ${reason}` } }]);
    expect(await runtime.homes.status(home)).toEqual({ state: 'Pending', reason });

    // Later news about the claim alone reaches the job: a warning says more. The scheduler has
    // marked the pod by then, so nothing but the claim's Event can change the job's state.
    await vi.waitFor(() => {
      const pod = lab.sim.objects('pods', NAMESPACE).find((p) => p.metadata.labels?.['classlab.io/job'] === spec.jobId) as V1Pod | undefined;
      expect(pod?.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('False');
    });
    const [claim] = claims(lab);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    lab.sim.applyObject('events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${CLAIM}.quota`, namespace: NAMESPACE },
      involvedObject: { kind: 'PersistentVolumeClaim', namespace: NAMESPACE, name: CLAIM, uid: claim?.metadata?.uid ?? '', apiVersion: 'v1' },
      type: 'Warning',
      reason: 'ProvisioningFailed',
      message: 'exceeded quota: storage, requested: requests.storage=10Gi',
      firstTimestamp: now,
      lastTimestamp: now,
    });
    await waitForState(lab, spec.jobId, (state) => state.status === 'Pending' && state.reason === 'waiting for home volume: exceeded quota: storage, requested: requests.storage=10Gi', 3000);
  });
});

describe('growing and deleting a home', () => {
  it('expands the claim where the StorageClass allows it', async () => {
    const lab = await open();
    const { runtime } = lab;
    await runtime.homes.ensure(home);
    await runtime.homes.expand(home, '20Gi');
    expect(claims(lab)[0]?.spec?.resources?.requests).toEqual({ storage: '20Gi' });
    await vi.waitFor(async () => expect(await runtime.homes.status(home)).toEqual({ state: 'Bound', capacity: '20Gi' }));
  });

  it('refuses where the StorageClass does not allow expansion, and leaves the claim as it was', async () => {
    const lab = await open({ storageClasses: [{ name: 'slow', default: true, allowVolumeExpansion: false }] });
    const { runtime } = lab;
    await runtime.homes.ensure(home);
    const refusal = await runtime.homes.expand(home, '20Gi').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(HomeExpansionRefused);
    expect((refusal as Error).message).toBe('storage class slow does not allow volume expansion');
    expect(claims(lab)[0]?.spec?.resources?.requests).toEqual({ storage: '10Gi' });
  });

  it('refuses a claim with no storage class', async () => {
    const lab = await open({ storageClasses: [] });
    const { runtime } = lab;
    await runtime.homes.ensure(home);
    await expect(runtime.homes.expand(home, '20Gi')).rejects.toThrow(HomeExpansionRefused);
  });

  it('removes the claim, and removing it again is no error', async () => {
    const lab = await open();
    const { runtime } = lab;
    await runtime.homes.ensure(home);
    await runtime.homes.remove(home);
    expect(claims(lab)).toEqual([]);
    await runtime.homes.remove(home);
    await vi.waitFor(async () => expect(await runtime.homes.status(home)).toEqual({ state: 'Absent' }));
  });
});

describe('single attach', () => {
  it('is true for ReadWriteOnce (the default) and ReadWriteOncePod, false for ReadWriteMany', async () => {
    expect((await open()).runtime.homes.singleAttach).toBe(true);
    expect((await open({}, { homeAccessMode: 'ReadWriteOncePod' })).runtime.homes.singleAttach).toBe(true);
    const rwx = await open({}, { homeAccessMode: 'ReadWriteMany' });
    expect(rwx.runtime.homes.singleAttach).toBe(false);
    await rwx.runtime.homes.ensure(home);
    expect(claims(rwx)[0]?.spec?.accessModes).toEqual(['ReadWriteMany']);
  });
});
