// The shipped RBAC, enforced by the simulator for the ServiceAccount's token: with it the
// runtime's launch, watch, delete, reconcile and health calls all work; without any one verb of
// the Role or the ClusterRole, a named path fails. So no rule is there without a reason.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KubeSimulator } from '../kube-sim/index.js';
import { launchSpec, statesOf } from '../runtime/support-k8s.js';
import { RuntimeNotSynced, type HomeRef } from '../../src/runtime/types.js';
import { findKubectl, only } from './render.js';
import { rulesOf, shippedPolicy, startRuntime, startShippedCluster, withoutVerb, type RuntimeUnderTest, type ShippedPolicy } from './rbac-lab.js';

const kubectl = findKubectl();

describe.skipIf(!kubectl)(`the shipped RBAC under kube-sim${kubectl ? '' : ' (skipped: no kubectl on PATH)'}`, () => {
  let policy: ShippedPolicy;
  let cluster: Awaited<ReturnType<typeof startShippedCluster>>;
  let sim: KubeSimulator;
  let current: RuntimeUnderTest | undefined;
  const start = async (): Promise<RuntimeUnderTest> => {
    current = await startRuntime(cluster.kubeconfig, policy.jobsNamespace);
    return current;
  };
  const objectsOf = (resource: 'deployments' | 'services' | 'persistentvolumeclaims') =>
    sim.objects(resource, policy.jobsNamespace).filter((object) => object.metadata.labels?.['app.kubernetes.io/managed-by'] === 'classlab');
  const home: HomeRef = { name: 'home-rbac', userId: 'u-rbac', userName: 'ada', capacity: '10Gi' };
  const claimOf = () => objectsOf('persistentvolumeclaims').find((object) => object.metadata.name === 'classlab-home-rbac');
  /** The runtime logged its list-and-watch of `resource` refused, and the server refused exactly `verb`. */
  const refused = (lab: RuntimeUnderTest, verb: string, resource: string): boolean =>
    sim.denials().some((denial) => denial.key === `${verb} ${resource}`) &&
    lab.logLines.some((line) => {
      const entry = JSON.parse(line) as { resource?: string; reason?: string; msg?: string };
      return entry.resource === resource && /list\/watch failed/.test(entry.msg ?? '') && /forbidden/i.test(entry.reason ?? '');
    });

  beforeAll(async () => {
    policy = shippedPolicy(kubectl ?? 'kubectl');
    cluster = await startShippedCluster(policy);
    sim = cluster.sim;
  });
  afterEach(async () => {
    await current?.runtime.close();
    current = undefined;
    sim.applyObject('roles', policy.role);
    sim.applyObject('clusterroles', policy.clusterRole);
    sim.resetDenials();
    for (const resource of ['deployments', 'services', 'persistentvolumeclaims'] as const) {
      for (const object of objectsOf(resource)) sim.deleteObject(resource, policy.jobsNamespace, object.metadata.name ?? '');
    }
  });
  afterAll(async () => cluster?.close());

  it('grants exactly the verbs the runtime uses, nothing wider', () => {
    const verbs = (role: typeof policy.role) => rulesOf(role).flatMap((rule) => rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${verb} ${resource}`)));
    expect(verbs(policy.role).sort()).toEqual([
      'create deployments', 'create persistentvolumeclaims', 'create services',
      'delete deployments', 'delete persistentvolumeclaims', 'delete services',
      'list deployments', 'list events', 'list persistentvolumeclaims', 'list pods', 'list services',
      'patch deployments', 'patch persistentvolumeclaims',
      'watch deployments', 'watch events', 'watch persistentvolumeclaims', 'watch pods', 'watch services',
    ]);
    expect(verbs(policy.clusterRole)).toEqual(['list nodes', 'watch nodes', 'get storageclasses']);
    for (const rule of [...rulesOf(policy.role), ...rulesOf(policy.clusterRole)]) {
      expect([...rule.apiGroups, ...rule.resources, ...rule.verbs]).not.toContain('*');
    }
  });

  it('under the ServiceAccount token: health, launch, watch, a failing image, deletion outside classlab, stop, all allowed', { timeout: 30_000 }, async () => {
    const lab = await start();
    await lab.runtime.whenSynced();
    expect((await lab.runtime.nodes()).map((node) => node.name)).toEqual(['gpu-1', 'gpu-2']);
    expect(await lab.runtime.datasets()).toEqual(['mnist']);
    expect(await lab.runtime.images()).toContain('jupyter/base-notebook:latest');
    expect(await lab.runtime.cannotRun({ image: 'jupyter/base-notebook:latest', gpu: 9 })).toMatch(/GPU/);

    const ready = launchSpec({ ports: [{ name: 'jupyter', port: 8888 }] });
    const { services } = await lab.runtime.launch(ready);
    expect(services).toEqual([{ label: 'jupyter', value: expect.stringMatching(/^http:\/\/10\.0\.0\.1[12]:3\d{4}\//) }]);
    await vi.waitFor(() => expect(statesOf(lab.updates, ready.jobId)).toContainEqual({ status: 'Ready' }), { timeout: 10_000 });
    expect((await lab.runtime.jobs()).map((job) => job.jobId)).toContain(ready.jobId);

    // Pods' Events reach the job: the image pull that fails.
    const broken = launchSpec({ image: 'example/does-not-exist:1', datasets: [] });
    await lab.runtime.launch(broken);
    await vi.waitFor(() => expect(lab.updates.some((u) => u.kind === 'event' && u.jobId === broken.jobId && /pull/i.test(u.message))).toBe(true), { timeout: 10_000 });

    // Deleted behind classlab's back: the watches report it gone (what reconciling acts on).
    sim.deleteObject('services', policy.jobsNamespace, `classlab-${broken.jobId}`);
    await vi.waitFor(() => expect((lab.runtime.jobs() as Promise<{ jobId: string; complete: boolean }[]>).then((jobs) => jobs.find((job) => job.jobId === broken.jobId)?.complete)).resolves.toBe(false), { timeout: 10_000 });

    await lab.runtime.stop(broken.jobId);
    await lab.runtime.stop(ready.jobId);
    expect([...objectsOf('deployments'), ...objectsOf('services')]).toEqual([]);

    // A home: made, mounted by a job that runs, grown, and deleted.
    await lab.runtime.homes.ensure(home);
    await vi.waitFor(async () => expect(await lab.runtime.homes.status(home)).toMatchObject({ state: 'Bound' }));
    const withHome = launchSpec({ datasets: [], home: { name: home.name, mountPath: '/home/jovyan', capacity: home.capacity } });
    await lab.runtime.launch(withHome);
    await vi.waitFor(() => expect(statesOf(lab.updates, withHome.jobId)).toContainEqual({ status: 'Ready' }), { timeout: 10_000 });
    await lab.runtime.stop(withHome.jobId);
    await lab.runtime.homes.expand(home, '20Gi');
    expect(claimOf()?.spec?.['resources']).toEqual({ requests: { storage: '20Gi' } });
    await lab.runtime.homes.remove(home);
    expect(claimOf()).toBeUndefined();
    expect(sim.denials()).toEqual([]);
  });

  it('create persistentvolumeclaims: without it a first launch cannot make the user\'s home', async () => {
    jobsRule('persistentvolumeclaims', 'create')();
    const lab = await start();
    await lab.runtime.whenSynced();
    await expect(lab.runtime.homes.ensure(home)).rejects.toThrow(/did not create PersistentVolumeClaim .*cannot create resource "persistentvolumeclaims"/);
    expect(claimOf()).toBeUndefined();
  });

  it('patch persistentvolumeclaims: without it a home cannot grow', async () => {
    const lab = await start();
    await lab.runtime.whenSynced();
    await lab.runtime.homes.ensure(home);
    jobsRule('persistentvolumeclaims', 'patch')();
    await expect(lab.runtime.homes.expand(home, '20Gi')).rejects.toThrow(/cannot patch resource "persistentvolumeclaims"/);
    expect(claimOf()?.spec?.['resources']).toEqual({ requests: { storage: '10Gi' } });
  });

  it('delete persistentvolumeclaims: without it a home cannot be deleted, and its claim stays', async () => {
    const lab = await start();
    await lab.runtime.whenSynced();
    await lab.runtime.homes.ensure(home);
    jobsRule('persistentvolumeclaims', 'delete')();
    await expect(lab.runtime.homes.remove(home)).rejects.toThrow(/cannot delete resource "persistentvolumeclaims"/);
    expect(claimOf()).toBeDefined();
  });

  const classroomId = '7d0c2b1e-5a4f-4c3b-9e2d-0a1b2c3d4e5f';
  const placeholder = () => objectsOf('deployments').find((object) => object.metadata.name === `classlab-placeholder-${classroomId}`);

  it('placeholders (CLASSLAB_PLACEHOLDERS): made, scaled and removed under the token, their pods admitted at the shipped PriorityClass', async () => {
    const lab = await start();
    await lab.runtime.placeholders.sync([{ classroomId, gpu: 2 }]);
    expect(placeholder()?.spec?.['replicas']).toBe(2);
    await lab.runtime.placeholders.sync([{ classroomId, gpu: 1 }]);
    expect(placeholder()?.spec?.['replicas']).toBe(1);
    const running = () => sim.objects('pods', policy.jobsNamespace).filter((pod) => pod.metadata.labels?.['classlab.io/component'] === 'placeholder' && pod.status?.['phase'] === 'Running');
    await vi.waitFor(() => expect(running()).toHaveLength(1));
    expect(running()[0]?.spec).toMatchObject({ priorityClassName: only(policy.objects, 'PriorityClass').metadata.name, priority: -10, preemptionPolicy: 'Never' });
    await lab.runtime.placeholders.sync([]);
    expect(placeholder()).toBeUndefined();
    expect(sim.denials()).toEqual([]);
  });

  it("patch deployments: without it a classroom's placeholders cannot shrink as its jobs start", async () => {
    const lab = await start();
    await lab.runtime.placeholders.sync([{ classroomId, gpu: 2 }]);
    jobsRule('deployments', 'patch')();
    await expect(lab.runtime.placeholders.sync([{ classroomId, gpu: 1 }])).rejects.toThrow(/cannot patch resource "deployments"/);
    expect(placeholder()?.spec?.['replicas']).toBe(2);
  });

  it('get storageclasses (ClusterRole): without it a home cannot grow, since its class cannot be asked', async () => {
    const lab = await start();
    await lab.runtime.whenSynced();
    await lab.runtime.homes.ensure(home);
    sim.applyObject('clusterroles', withoutVerb(policy.clusterRole, 'storageclasses', 'get'));
    await expect(lab.runtime.homes.expand(home, '20Gi')).rejects.toThrow(/cannot get resource "storageclasses" in API group "storage.k8s.io" at the cluster scope/);
    expect(claimOf()?.spec?.['resources']).toEqual({ requests: { storage: '10Gi' } });
  });

  const jobsRule = (resource: string, verb: string) => () => sim.applyObject('roles', withoutVerb(policy.role, resource, verb));

  it('create deployments: without it a launch is refused and leaves nothing behind', async () => {
    jobsRule('deployments', 'create')();
    const lab = await start();
    await lab.runtime.whenSynced();
    await expect(lab.runtime.launch(launchSpec())).rejects.toThrow(/did not create Deployment .*cannot create resource "deployments"/);
    expect(objectsOf('deployments')).toEqual([]);
  });

  it('create services: without it a launch fails at the Service, and its Deployment is deleted again', async () => {
    jobsRule('services', 'create')();
    const lab = await start();
    await lab.runtime.whenSynced();
    await expect(lab.runtime.launch(launchSpec())).rejects.toThrow(/did not create Service .*cannot create resource "services"/);
    expect(objectsOf('deployments')).toEqual([]);
  });

  for (const resource of ['deployments', 'services'] as const) {
    it(`delete ${resource}: without it a stop fails and the job's ${resource === 'deployments' ? 'Deployment' : 'Service'} stays`, { timeout: 15_000 }, async () => {
      const lab = await start();
      await lab.runtime.whenSynced();
      const spec = launchSpec({ datasets: [] });
      await lab.runtime.launch(spec);
      jobsRule(resource, 'delete')();
      await expect(lab.runtime.stop(spec.jobId)).rejects.toThrow(new RegExp(`cannot delete resource "${resource}"`));
      expect(objectsOf(resource).map((object) => object.metadata.name)).toEqual([`classlab-${spec.jobId}`]);
      sim.applyObject('roles', policy.role);
      await lab.runtime.stop(spec.jobId);
    });
  }

  // jobs() (reconciling, the job list) answers only once Deployments, Services and pods are listed.
  for (const resource of ['deployments', 'services', 'pods']) {
    it(`list ${resource}: without it the runtime never syncs, so jobs() and reconciling cannot run`, async () => {
      jobsRule(resource, 'list')();
      const lab = await start();
      await vi.waitFor(() => expect(refused(lab, 'list', resource)).toBe(true));
      await expect(lab.runtime.jobs()).rejects.toBeInstanceOf(RuntimeNotSynced);
    });
  }

  it('list events: without it the runtime cannot follow pods\' Events, which say why a job does not start', async () => {
    jobsRule('events', 'list')();
    const lab = await start();
    await vi.waitFor(() => expect(refused(lab, 'list', 'events')).toBe(true));
  });

  // A watch that is refused leaves the cache stale between re-lists: changes arrive late or never.
  for (const resource of ['deployments', 'services', 'pods', 'events']) {
    it(`watch ${resource}: without it the runtime's watch of ${resource} fails`, async () => {
      jobsRule(resource, 'watch')();
      const lab = await start();
      await vi.waitFor(() => expect(refused(lab, 'watch', resource)).toBe(true));
    });
  }

  it('list persistentvolumeclaims: without it datasets cannot be listed (course forms, launches with datasets)', async () => {
    jobsRule('persistentvolumeclaims', 'list')();
    const lab = await start();
    await expect(lab.runtime.datasets()).rejects.toThrow(/cannot list resource "persistentvolumeclaims"/);
  });

  it('watch persistentvolumeclaims: without it the claim watch fails, and datasets are read stale or listed again', async () => {
    jobsRule('persistentvolumeclaims', 'watch')();
    const lab = await start();
    await vi.waitFor(() => expect(refused(lab, 'watch', 'persistentvolumeclaims')).toBe(true));
  });

  it('watch nodes (ClusterRole): without it the node watch fails, so capacity and Ready states go stale', async () => {
    sim.applyObject('clusterroles', withoutVerb(policy.clusterRole, 'nodes', 'watch'));
    const lab = await start();
    await vi.waitFor(() => expect(refused(lab, 'watch', 'nodes')).toBe(true));
  });

  it('list nodes (ClusterRole): without it health, images and GPU checks fail, and NodePort URLs have no host', async () => {
    sim.applyObject('clusterroles', withoutVerb(policy.clusterRole, 'nodes', 'list'));
    const lab = await start();
    await expect(lab.runtime.nodes()).rejects.toThrow(/cannot list resource "nodes" in API group "" at the cluster scope/);
    await expect(lab.runtime.images()).rejects.toThrow(/nodes/);
    await expect(lab.runtime.jobs()).rejects.toThrow(/Ready node/);
  });
});
