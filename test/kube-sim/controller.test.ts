import { afterEach, describe, expect, it } from 'vitest';
import { startKubeSimulator, type KubeObject, type KubeSimOptions, type KubeSimulator } from './index.js';
import { call, conditionOf, deployment, eventually } from './test-client.js';

const deployments = '/apis/apps/v1/namespaces/default/deployments';

describe('kube-sim controllers', () => {
  let sim: KubeSimulator | undefined;
  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
  });
  async function start(options: KubeSimOptions = {}): Promise<KubeSimulator> {
    sim = await startKubeSimulator({ delays: { scheduleMs: 5, pullMs: 5, readyMs: 5 }, ...options });
    return sim;
  }
  const podsOf = (s: KubeSimulator, app: string): KubeObject[] =>
    s.objects('pods', 'default').filter((pod) => pod.metadata.labels?.['app'] === app);
  const eventsFor = (s: KubeSimulator, name: string): KubeObject[] =>
    s.objects('events', 'default').filter((event) => (event['involvedObject'] as { name: string }).name === name);

  it('runs a Deployment to Ready: owned pods on a node, events, and status', async () => {
    const s = await start();
    await call(s, 'POST', deployments, deployment('lab', { gpus: 1, replicas: 2 }));
    const ready = await eventually(() => {
      const found = s.objects('deployments', 'default').find((d) => d.metadata.name === 'lab');
      return found?.status?.['readyReplicas'] === 2 ? found : undefined;
    }, 5000, 'two ready replicas');
    expect(ready.status).toMatchObject({ replicas: 2, readyReplicas: 2, availableReplicas: 2, updatedReplicas: 2, observedGeneration: 1 });
    expect(conditionOf(ready, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect(conditionOf(ready, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });

    const [replicaSet] = s.objects('replicasets', 'default');
    const pods = podsOf(s, 'lab');
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(pod.metadata.name).toMatch(new RegExp(`^${replicaSet?.metadata.name ?? 'x'}-[a-z0-9]{5}$`));
      expect(pod.metadata.name).toMatch(/^lab-[a-z0-9]+-[a-z0-9]{5}$/);
      expect(pod.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', uid: replicaSet?.metadata.uid, controller: true });
      expect(pod.metadata.labels).toMatchObject({ app: 'lab', 'pod-template-hash': expect.any(String) });
      expect(pod.status).toMatchObject({ phase: 'Running', podIP: expect.any(String), hostIP: expect.any(String) });
      expect(conditionOf(pod, 'Ready')).toMatchObject({ status: 'True' });
    }
    // One GPU each on two 2-GPU nodes: the scheduler spreads them out.
    expect(new Set(pods.map((pod) => pod.spec?.['nodeName'])).size).toBe(2);
    const reasons = eventsFor(s, pods[0]?.metadata.name ?? '').map((event) => event['reason']);
    expect(reasons).toEqual(['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started']);
    const event = eventsFor(s, pods[0]?.metadata.name ?? '')[0];
    expect(event).toMatchObject({
      involvedObject: { kind: 'Pod', name: pods[0]?.metadata.name, namespace: 'default', uid: pods[0]?.metadata.uid },
      type: 'Normal',
      count: 1,
      firstTimestamp: expect.any(String),
      lastTimestamp: expect.any(String),
    });
  });

  it('leaves a pod Unschedulable in the scheduler\'s words while GPUs are short, and binds it when they free up', async () => {
    const s = await start({ nodes: [{ name: 'gpu-1', gpus: 1 }, { name: 'gpu-2', gpus: 1 }] });
    await call(s, 'POST', deployments, deployment('first', { gpus: 1, replicas: 2 }));
    await eventually(() => podsOf(s, 'first').filter((pod) => conditionOf(pod, 'Ready')?.['status'] === 'True').length === 2, 5000, 'first ready');
    await call(s, 'POST', deployments, deployment('second', { gpus: 1 }));
    const pending = await eventually(() => podsOf(s, 'second').find((pod) => conditionOf(pod, 'PodScheduled')?.['status'] === 'False'), 5000, 'unschedulable');
    expect(conditionOf(pending, 'PodScheduled')).toMatchObject({
      reason: 'Unschedulable',
      message: '0/2 nodes are available: 2 Insufficient nvidia.com/gpu.',
    });
    expect(pending.status?.['phase']).toBe('Pending');
    const warning = eventsFor(s, pending.metadata.name ?? '').find((event) => event['reason'] === 'FailedScheduling');
    expect(warning).toMatchObject({ type: 'Warning', message: '0/2 nodes are available: 2 Insufficient nvidia.com/gpu.' });

    s.deleteObject('deployments', 'default', 'first');
    expect(podsOf(s, 'first')).toEqual([]);
    const bound = await eventually(() => podsOf(s, 'second').find((pod) => conditionOf(pod, 'Ready')?.['status'] === 'True'), 5000, 'second ready');
    expect(bound.spec?.['nodeName']).toMatch(/^gpu-/);
  });

  it('counts a NotReady node in the reasons and schedules there once it is Ready', async () => {
    const s = await start({ nodes: [{ name: 'gpu-1', gpus: 2, ready: false }] });
    await call(s, 'POST', deployments, deployment('waits', { gpus: 1 }));
    const pending = await eventually(() => podsOf(s, 'waits').find((pod) => conditionOf(pod, 'PodScheduled')?.['status'] === 'False'), 5000, 'unschedulable');
    expect(conditionOf(pending, 'PodScheduled')?.['message']).toBe(
      '0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }.',
    );
    s.setNodeReady('gpu-1', true);
    await eventually(() => podsOf(s, 'waits').find((pod) => conditionOf(pod, 'Ready')?.['status'] === 'True'), 5000, 'ready');
    const node = s.objects('nodes').find((n) => n.metadata.name === 'gpu-1');
    expect(conditionOf(node, 'Ready')).toMatchObject({ status: 'True', reason: 'KubeletReady' });
    s.setNodeReady('gpu-1', false);
    await eventually(() => podsOf(s, 'waits').find((pod) => conditionOf(pod, 'Ready')?.['status'] === 'False'), 5000, 'pod unready with its node');
  });

  it('fails to pull a failing image: ErrImagePull, then ImagePullBackOff, with the kubelet\'s events', async () => {
    const s = await start({ failingImages: ['*/no-such-*'] });
    await call(s, 'POST', deployments, deployment('broken', { image: 'classlab/no-such-image:1.0' }));
    const backOff = await eventually(() => {
      const pod = podsOf(s, 'broken')[0];
      const statuses = pod?.status?.['containerStatuses'] as { state: { waiting?: { reason: string; message: string } } }[] | undefined;
      return statuses?.[0]?.state.waiting?.reason === 'ImagePullBackOff' ? { pod, waiting: statuses[0].state.waiting } : undefined;
    }, 5000, 'ImagePullBackOff');
    expect(backOff.waiting.message).toContain('pull access denied');
    expect(backOff.pod?.status?.['phase']).toBe('Pending');
    const events = eventsFor(s, backOff.pod?.metadata.name ?? '').map((event) => [event['reason'], event['message']]);
    expect(events).toContainEqual([
      'Failed',
      'Failed to pull image "classlab/no-such-image:1.0": failed to pull and unpack image "docker.io/classlab/no-such-image:1.0": ' +
        'failed to resolve reference "docker.io/classlab/no-such-image:1.0": pull access denied, repository does not exist or may ' +
        'require authorization: server message: insufficient_scope: authorization failed',
    ]);
    expect(events).toContainEqual(['Failed', 'Error: ErrImagePull']);
    expect(events).toContainEqual(['BackOff', 'Back-off pulling image "classlab/no-such-image:1.0"']);
    const status = s.objects('deployments', 'default')[0]?.status;
    expect(status?.['readyReplicas']).toBeUndefined();
    expect(conditionOf(s.objects('deployments', 'default')[0], 'Available')).toMatchObject({ status: 'False' });
  });

  it('skips the pull of an image already on the node', async () => {
    const s = await start({ nodes: [{ name: 'cached', gpus: 1, images: ['nvcr.io/nvidia/pytorch:24.01-py3'] }] });
    await call(s, 'POST', deployments, deployment('cached', { image: 'nvcr.io/nvidia/pytorch:24.01-py3' }));
    const pod = await eventually(() => podsOf(s, 'cached').find((p) => conditionOf(p, 'Ready')?.['status'] === 'True'), 5000, 'ready');
    const reasons = eventsFor(s, pod.metadata.name ?? '').map((event) => [event['reason'], event['message']]);
    expect(reasons).toContainEqual(['Pulled', 'Container image "nvcr.io/nvidia/pytorch:24.01-py3" already present on machine']);
    expect(reasons.map(([reason]) => reason)).not.toContain('Pulling');
  });

  it('rolls a template change out as a new ReplicaSet and deletes the old pods', async () => {
    const s = await start();
    await call(s, 'POST', deployments, deployment('roll'));
    const first = await eventually(() => podsOf(s, 'roll').find((p) => conditionOf(p, 'Ready')?.['status'] === 'True'), 5000, 'first pod');
    await call(s, 'PATCH', `${deployments}/roll`, { spec: { template: { spec: { containers: [{ name: 'main', image: 'jupyter/base-notebook:2024' }] } } } }, 'application/strategic-merge-patch+json');
    const second = await eventually(() => {
      const pods = podsOf(s, 'roll');
      return pods.length === 1 && pods[0]?.metadata.uid !== first.metadata.uid && conditionOf(pods[0], 'Ready')?.['status'] === 'True' ? pods[0] : undefined;
    }, 5000, 'rolled pod');
    expect(second.metadata.labels?.['pod-template-hash']).not.toBe(first.metadata.labels?.['pod-template-hash']);
    const roll = s.objects('deployments', 'default')[0];
    expect(roll?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    await eventually(() => s.objects('deployments', 'default')[0]?.status?.['observedGeneration'] === 2, 5000, 'observedGeneration 2');
  });

  it('serves seeded datasets as Bound PVCs and nodes with capacity, addresses and images', async () => {
    const s = await start({ datasets: ['dataset-mnist'], nodes: [{ name: 'n1', gpus: 4, address: '10.0.0.11', images: ['jupyter/base-notebook:latest'] }] });
    expect(s.objects('persistentvolumeclaims', 'default')[0]).toMatchObject({ metadata: { name: 'dataset-mnist' }, status: { phase: 'Bound' } });
    const node = s.objects('nodes')[0];
    expect(node?.status).toMatchObject({
      capacity: { 'nvidia.com/gpu': '4', cpu: '8', pods: '110' },
      allocatable: { 'nvidia.com/gpu': '4' },
      addresses: [{ type: 'InternalIP', address: '10.0.0.11' }, { type: 'Hostname', address: 'n1' }],
    });
    const images = node?.status?.['images'] as { names: string[]; sizeBytes: number }[];
    expect(images[0]?.names).toContain('docker.io/jupyter/base-notebook:latest');
    expect(images[0]?.sizeBytes).toBeGreaterThan(0);
  });
});
