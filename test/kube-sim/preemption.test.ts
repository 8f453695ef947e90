// Priority and preemption in the simulator: a pod's priority comes from its PriorityClass at
// creation, and a pod that fits nowhere evicts the fewest lower-priority pods of one node, whose
// ReplicaSet makes new ones that wait, as in a real cluster.
import { describe, expect, it } from 'vitest';
import type { KubeObject, KubeSimulator } from './index.js';
import { call, conditionOf, deployment, eventually, simPerTest } from './test-client.js';

const open = simPerTest();
const deployments = '/apis/apps/v1/namespaces/default/deployments';
const pods = '/api/v1/namespaces/default/pods';

function priorityClass(name: string, value: number, extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, ...extra } as KubeObject;
}

/** A Deployment whose pods run at a class. */
function withClass(object: KubeObject, className: string): KubeObject {
  const template = object.spec?.['template'] as { spec: Record<string, unknown> };
  template.spec['priorityClassName'] = className;
  return object;
}

const podsOf = (sim: KubeSimulator, app: string): KubeObject[] => sim.objects('pods', 'default').filter((pod) => pod.metadata.labels?.['app'] === app);
const running = (sim: KubeSimulator, app: string): KubeObject[] => podsOf(sim, app).filter((pod) => pod.status?.['phase'] === 'Running');

async function fillWithPlaceholders(sim: KubeSimulator, replicas: number): Promise<KubeObject[]> {
  sim.applyObject('priorityclasses', priorityClass('placeholder', -10, { preemptionPolicy: 'Never', globalDefault: false }));
  expect((await call(sim, 'POST', deployments, withClass(deployment('placeholder', { gpus: 1, replicas }), 'placeholder'))).status).toBe(201);
  return eventually(() => (running(sim, 'placeholder').length === replicas ? running(sim, 'placeholder') : undefined), 5000, 'placeholders running');
}

describe('kube-sim priority', () => {
  it("gives a pod its class's value and preemption policy, the global default's without one, and refuses an unknown class", async () => {
    const sim = await open();
    sim.applyObject('priorityclasses', priorityClass('low', -10, { preemptionPolicy: 'Never' }));
    const pod = (name: string, className?: string) => ({
      metadata: { name },
      spec: { containers: [{ name: 'main', image: 'busybox:1.36' }], ...(className ? { priorityClassName: className } : {}) },
    });
    const low = await call<KubeObject>(sim, 'POST', pods, pod('low', 'low'));
    expect(low.body.spec).toMatchObject({ priorityClassName: 'low', priority: -10, preemptionPolicy: 'Never' });
    const plain = await call<KubeObject>(sim, 'POST', pods, pod('plain'));
    expect(plain.body.spec).toMatchObject({ priority: 0, preemptionPolicy: 'PreemptLowerPriority' });
    const unknown = await call(sim, 'POST', pods, pod('unknown', 'missing'));
    expect(unknown.status).toBe(403);
    expect(unknown.body['message']).toBe('pods "unknown" is forbidden: no PriorityClass with name missing was found');

    sim.applyObject('priorityclasses', priorityClass('normal', 5, { globalDefault: true }));
    const defaulted = await call<KubeObject>(sim, 'POST', pods, pod('defaulted'));
    expect(defaulted.body.spec).toMatchObject({ priorityClassName: 'normal', priority: 5, preemptionPolicy: 'PreemptLowerPriority' });
  });
});

describe('kube-sim preemption', () => {
  it('evicts one lower-priority pod for a pod that fits nowhere; its ReplicaSet makes a new one, which waits', async () => {
    const sim = await open({ nodes: [{ name: 'gpu-1', gpus: 2 }] });
    const [first, second] = await fillWithPlaceholders(sim, 2);
    await call(sim, 'POST', deployments, deployment('job', { gpus: 1 }));

    const [job] = await eventually(() => (running(sim, 'job').length === 1 ? running(sim, 'job') : undefined), 5000, 'the job running');
    expect(job?.spec?.['nodeName']).toBe('gpu-1');
    // The fewest victims: one placeholder went, the other still runs.
    const left = running(sim, 'placeholder').map((pod) => pod.metadata.name);
    expect(left).toHaveLength(1);
    const evicted = [first, second].find((pod) => !left.includes(pod?.metadata.name))?.metadata.name;
    const preempted = sim.objects('events', 'default').find((event) => event['reason'] === 'Preempted');
    expect(preempted).toMatchObject({ involvedObject: { name: evicted }, message: `Preempted by default/${job?.metadata.name ?? ''} on node gpu-1` });
    // The Deployment still wants two: the new pod waits for a GPU and takes none from the job.
    const replacement = await eventually(() => podsOf(sim, 'placeholder').find((pod) => conditionOf(pod, 'PodScheduled')?.['reason'] === 'Unschedulable'), 5000, 'a waiting placeholder');
    expect(replacement.spec?.['nodeName']).toBeUndefined();
    expect(conditionOf(replacement, 'PodScheduled')?.['message']).toBe('0/1 nodes are available: 1 Insufficient nvidia.com/gpu.');
    expect(running(sim, 'job')).toHaveLength(1);
  });

  it('evicts nothing of equal priority, nor for a pod whose policy is Never', async () => {
    const sim = await open({ nodes: [{ name: 'gpu-1', gpus: 1 }] });
    await call(sim, 'POST', deployments, deployment('first', { gpus: 1 }));
    await eventually(() => running(sim, 'first').length === 1, 5000, 'the first job running');
    sim.applyObject('priorityclasses', priorityClass('polite', 100, { preemptionPolicy: 'Never' }));
    await call(sim, 'POST', deployments, deployment('second', { gpus: 1 }));
    await call(sim, 'POST', deployments, withClass(deployment('third', { gpus: 1 }), 'polite'));

    for (const app of ['second', 'third']) {
      const waiting = await eventually(() => podsOf(sim, app).find((pod) => conditionOf(pod, 'PodScheduled')?.['reason'] === 'Unschedulable'), 5000, `${app} waiting`);
      expect(waiting.status?.['nominatedNodeName']).toBeUndefined();
    }
    expect(running(sim, 'first')).toHaveLength(1);
    expect(sim.objects('events', 'default').filter((event) => event['reason'] === 'Preempted')).toEqual([]);
  });
});
