// Classroom placeholders on the simulator: with an injected clock, none before `lead` minutes ahead
// of a window, the reserved GPUs held by Running placeholder pods from then on, a real job that
// needs those GPUs Ready by preempting them, and none left once the window ends. Through the
// platform's reconcile rounds, only when CLASSLAB_PLACEHOLDERS is on.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { PlaceholderPlanner } from '../../src/classrooms/placeholders.js';
import { DEFAULT_CATALOG } from '../../src/config/image-catalog.js';
import { buildDeployment, planJob } from '../../src/runtime/kubernetes/manifests.js';
import type { PlaceholderMode } from '../../src/config/placeholder-settings.js';
import type { Store } from '../../src/store/store.js';
import { at, seedClassroom, seedJob } from '../classrooms/placeholder-seed.js';
import type { KubeObject } from '../kube-sim/index.js';
import { startTestPlatform } from '../support/platform.js';
import { pgliteTarget } from '../support/stores.js';
import { NAMESPACE, TEST_MANIFEST_SETTINGS, labPerTest, launchSpec, waitForState, type KubeSimulator, type Lab } from './support-k8s.js';

const open = labPerTest();
const ONE_NODE = { nodes: [{ name: 'gpu-1', gpus: 2, address: '10.0.0.11', images: ['jupyter/base-notebook:latest'] }] };
const LECTURE = [{ startsAt: at('09:00:00'), endsAt: at('12:00:00') }];

/** What deploy/ makes, so that the placeholders' pods are admitted. */
function withPriorityClass(sim: KubeSimulator): void {
  const priorityClass = { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'classlab-placeholder' }, value: -10, preemptionPolicy: 'Never' };
  sim.applyObject('priorityclasses', priorityClass as KubeObject);
}

const placeholderDeployments = (lab: Lab) =>
  (lab.sim.objects('deployments', NAMESPACE) as V1Deployment[]).filter((d) => d.metadata?.labels?.['classlab.io/component'] === 'placeholder');
const placeholderPods = (lab: Lab) => (lab.sim.objects('pods', NAMESPACE) as V1Pod[]).filter((pod) => pod.metadata?.labels?.['classlab.io/component'] === 'placeholder');
const running = (lab: Lab) => placeholderPods(lab).filter((pod) => pod.status?.phase === 'Running');

let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe('classroom placeholders on the simulator', () => {
  it('appear lead minutes before a window, give way to a real launch, and go when the window ends', { timeout: 30_000 }, async () => {
    const lab = await open(ONE_NODE, {}, withPriorityClass);
    store = await pgliteTarget.open();
    const { db } = store;
    const room = await seedClassroom(db, { reservedGpu: 2, leadMinutes: 10, windows: LECTURE });
    const planner = new PlaceholderPlanner(db, lab.runtime.placeholders);

    await planner.run(at('08:49:59'));
    expect(placeholderDeployments(lab)).toEqual([]);

    await planner.run(at('08:50:00'));
    const [deployment] = placeholderDeployments(lab);
    expect(deployment?.metadata?.name).toBe(`classlab-placeholder-${room}`);
    expect(deployment?.metadata?.labels).toMatchObject({ 'classlab.io/classroom': room, 'app.kubernetes.io/managed-by': 'classlab' });
    await vi.waitFor(() => expect(running(lab)).toHaveLength(2), { timeout: 10_000 });
    for (const pod of running(lab)) {
      expect(pod.spec).toMatchObject({ priorityClassName: 'classlab-placeholder', priority: -10 });
      expect(pod.spec?.containers[0]?.resources?.limits).toEqual({ 'nvidia.com/gpu': '1' });
    }
    // Held for jobs to come, not by one: no job, and no GPU counted as a job's.
    expect(await lab.runtime.jobs()).toEqual([]);
    expect((await lab.runtime.nodes())[0]?.gpuInUse).toBe(0);

    // Both GPUs are held, so the job can only start by preempting one of them.
    const job = launchSpec({ gpu: 1, datasets: [] });
    await lab.runtime.launch(job);
    await waitForState(lab, job.jobId, (state) => state.status === 'Ready');
    expect(running(lab)).toHaveLength(1);
    expect(lab.sim.objects('events', NAMESPACE).filter((event) => event['reason'] === 'Preempted')).toHaveLength(1);

    // Once the job is the classroom's, the planner wants one fewer, and the placeholder that waits goes.
    await seedJob(db, room, 1, 'Ready');
    await planner.run(at('09:05:00'));
    expect(placeholderDeployments(lab)[0]?.spec?.replicas).toBe(1);
    await vi.waitFor(() => expect(placeholderPods(lab).map((pod) => pod.status?.phase)).toEqual(['Running']), { timeout: 10_000 });

    await planner.run(at('12:00:00'));
    expect(placeholderDeployments(lab)).toEqual([]);
    await vi.waitFor(() => expect(placeholderPods(lab)).toEqual([]), { timeout: 10_000 });
    expect((await lab.runtime.jobs()).map((found) => [found.jobId, found.state])).toEqual([[job.jobId, { status: 'Ready' }]]);
  });

  it('writes only what changed: nothing when all is as wanted, the template when another image or class was set', async () => {
    const lab = await open(ONE_NODE, {}, withPriorityClass);
    const classroomId = '7d0c2b1e-5a4f-4c3b-9e2d-0a1b2c3d4e5f';
    await lab.runtime.placeholders.sync([{ classroomId, gpu: 1 }]);
    lab.sim.resetStats();
    await lab.runtime.placeholders.sync([{ classroomId, gpu: 1 }]);
    expect(lab.sim.stats()).toEqual({ 'list deployments': 1 });

    // As a server with another CLASSLAB_PLACEHOLDER_IMAGE left it.
    const [stale] = lab.sim.objects('deployments', NAMESPACE).filter((d) => d.metadata.labels?.['classlab.io/classroom'] === classroomId) as V1Deployment[];
    const container = stale?.spec?.template.spec?.containers[0];
    if (container) container.image = 'example/old-pause:1';
    lab.sim.applyObject('deployments', stale as never);
    await lab.runtime.placeholders.sync([{ classroomId, gpu: 1 }]);
    expect(placeholderDeployments(lab)[0]?.spec?.template.spec?.containers[0]?.image).toBe('rancher/mirrored-pause:3.6');
  });

  for (const mode of ['on', 'off'] as const satisfies readonly PlaceholderMode[]) {
    it(`through the platform's reconcile rounds: ${mode === 'on' ? 'made while the setting is on' : 'none while the setting is off'}`, { timeout: 30_000 }, async () => {
      const lab = await open(ONE_NODE, {}, withPriorityClass);
      const platform = await startTestPlatform({
        runtime: lab.runtime,
        settings: { placeholders: mode, reconcileIntervalSeconds: 1 },
        now: () => at('08:55:00'),
      });
      try {
        await seedClassroom(platform.store.db, { reservedGpu: 2, windows: LECTURE });
        // A Deployment of a job nobody launched: a round deletes it. Gone twice, a round has run in full since the classroom was seeded.
        for (let round = 0; round < 2; round += 1) {
          const orphan = launchSpec({ datasets: [] });
          lab.sim.applyObject('deployments', buildDeployment(orphan, planJob(orphan, DEFAULT_CATALOG, 'orphan'), TEST_MANIFEST_SETTINGS) as never);
          await vi.waitFor(() => expect(lab.sim.objects('deployments', NAMESPACE).map((d) => d.metadata.name)).not.toContain(`classlab-${orphan.jobId}`), { timeout: 10_000 });
        }
        expect(placeholderDeployments(lab).map((d) => d.spec?.replicas)).toEqual(mode === 'on' ? [2] : []);
      } finally {
        await platform.close();
      }
    });
  }
});
