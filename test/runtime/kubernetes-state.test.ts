import { describe, expect, it } from 'vitest';
import type { V1ContainerStatus, V1Deployment, V1Pod, V1PodCondition } from '@kubernetes/client-node';
import { currentPod, deriveJobState, sameState } from '../../src/runtime/kubernetes/job-state.js';

function deployment(status: V1Deployment['status'] = {}): V1Deployment {
  return { metadata: { name: 'classlab-j1' }, status };
}

function pod(options: { conditions?: V1PodCondition[]; containers?: Partial<V1ContainerStatus>[]; phase?: string; created?: string; deleting?: boolean; name?: string } = {}): V1Pod {
  return {
    metadata: {
      name: options.name ?? 'classlab-j1-abc-xyz',
      creationTimestamp: new Date(options.created ?? '2026-01-01T00:00:00Z'),
      ...(options.deleting ? { deletionTimestamp: new Date('2026-01-01T01:00:00Z') } : {}),
    },
    status: {
      phase: options.phase ?? 'Pending',
      conditions: options.conditions ?? [],
      containerStatuses: (options.containers ?? []).map((c) => ({ name: 'job', image: 'x', imageID: '', ready: false, restartCount: 0, ...c })),
    },
  };
}

const scheduled: V1PodCondition = { type: 'PodScheduled', status: 'True' };

describe('deriving a job state', () => {
  it('is Ready once the Deployment has an available replica', () => {
    expect(deriveJobState(deployment({ availableReplicas: 1 }), undefined)).toEqual({ status: 'Ready' });
  });

  it('is Ready when the pod is Ready before the Deployment says so', () => {
    const ready = pod({ phase: 'Running', conditions: [scheduled, { type: 'Ready', status: 'True' }] });
    expect(deriveJobState(deployment(), ready)).toEqual({ status: 'Ready' });
  });

  it('says the scheduler\'s words for an unschedulable pod', () => {
    const message = '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.';
    const unschedulable = pod({ conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }] });
    expect(deriveJobState(deployment(), unschedulable)).toEqual({ status: 'Pending', reason: message });
  });

  it('says the reason and the kubelet\'s message for an image that cannot be pulled', () => {
    const pulling = pod({
      conditions: [scheduled],
      containers: [{ state: { waiting: { reason: 'ErrImagePull', message: 'pull access denied for nope/does-not-exist' } } }],
    });
    expect(deriveJobState(deployment(), pulling)).toEqual({ status: 'Pending', reason: 'ErrImagePull: pull access denied for nope/does-not-exist' });
  });

  it('says ContainerCreating while the container is made', () => {
    const creating = pod({ conditions: [scheduled], containers: [{ state: { waiting: { reason: 'ContainerCreating' } } }] });
    expect(deriveJobState(deployment(), creating)).toEqual({ status: 'Pending', reason: 'ContainerCreating' });
    expect(deriveJobState(deployment(), pod({ conditions: [scheduled] }))).toEqual({ status: 'Pending', reason: 'ContainerCreating' });
  });

  it('waits for the home volume, in the claim\'s words, while the home claim is not Bound', () => {
    const claimSays = 'no persistent volumes available for this claim and no storage class is set';
    const unschedulable = pod({ conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims.' }] });
    expect(deriveJobState(deployment(), unschedulable, claimSays)).toEqual({ status: 'Pending', reason: `waiting for home volume: ${claimSays}` });
    expect(deriveJobState(deployment(), undefined, claimSays)).toEqual({ status: 'Pending', reason: `waiting for home volume: ${claimSays}` });
    // A job that runs has its home, whatever the claim shows later; a Failed one stays Failed.
    expect(deriveJobState(deployment({ availableReplicas: 1 }), undefined, claimSays)).toEqual({ status: 'Ready' });
    const stalled = deployment({ conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'too slow' }] });
    expect(deriveJobState(stalled, undefined, claimSays)).toEqual({ status: 'Failed', reason: 'ProgressDeadlineExceeded: too slow' });
  });

  it('waits for scheduling when there is no pod yet, or the pod is not scheduled', () => {
    expect(deriveJobState(deployment(), undefined)).toEqual({ status: 'Pending', reason: 'waiting for the pod to be scheduled' });
    expect(deriveJobState(deployment(), pod())).toEqual({ status: 'Pending', reason: 'waiting for the pod to be scheduled' });
  });

  it('passes on why the ReplicaSet could not make a pod', () => {
    const quota = deployment({ conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'exceeded quota: gpu' }] });
    expect(deriveJobState(quota, undefined)).toEqual({ status: 'Pending', reason: 'FailedCreate: exceeded quota: gpu' });
  });

  it('fails a Deployment that stopped progressing', () => {
    const stuck = deployment({
      conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "classlab-j1-abc" has timed out progressing.' }],
    });
    expect(deriveJobState(stuck, pod({ conditions: [scheduled] }))).toEqual({
      status: 'Failed',
      reason: 'ProgressDeadlineExceeded: ReplicaSet "classlab-j1-abc" has timed out progressing.',
    });
  });

  it('fails a crash-looping container and says its exit code, even with a replica once available', () => {
    const crashing = pod({
      phase: 'Running',
      conditions: [scheduled],
      containers: [{ restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }],
    });
    expect(deriveJobState(deployment({ availableReplicas: 1 }), crashing)).toEqual({
      status: 'Failed',
      reason: 'CrashLoopBackOff: container job exited with code 137 (OOMKilled) after 3 restarts',
    });
  });

  it('is Failed without a Deployment', () => {
    expect(deriveJobState(undefined, undefined).status).toBe('Failed');
  });
});

describe('the pod that speaks for a job', () => {
  it('is the newest one not being deleted and not finished', () => {
    const old = pod({ name: 'old', created: '2026-01-01T00:00:00Z' });
    const newer = pod({ name: 'newer', created: '2026-01-01T00:05:00Z' });
    const leaving = pod({ name: 'leaving', created: '2026-01-01T00:09:00Z', deleting: true });
    const evicted = pod({ name: 'evicted', created: '2026-01-01T00:10:00Z', phase: 'Failed' });
    expect(currentPod([old, newer, leaving, evicted])?.metadata?.name).toBe('newer');
    expect(currentPod([leaving])).toBeUndefined();
  });
});

describe('comparing states', () => {
  it('tells reasons apart', () => {
    expect(sameState({ status: 'Pending', reason: 'a' }, { status: 'Pending', reason: 'a' })).toBe(true);
    expect(sameState({ status: 'Pending', reason: 'a' }, { status: 'Pending', reason: 'b' })).toBe(false);
    expect(sameState({ status: 'Ready' }, { status: 'Ready' })).toBe(true);
    expect(sameState(undefined, { status: 'Ready' })).toBe(false);
  });
});
