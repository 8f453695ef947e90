/**
 * A job's state from its Deployment and its pod, in the cluster's own words. Pure, so each rule is
 * tested on its own; the runtime calls it whenever either object changes (level-triggered).
 */

import type { V1ContainerStatus, V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { RuntimeJobState } from '../types.js';

export const WAITING_FOR_SCHEDULING = 'waiting for the pod to be scheduled';
export const NO_DEPLOYMENT = 'its Deployment does not exist';
export const WAITING_FOR_HOME = 'waiting for home volume';

/** Waiting reasons that say the image cannot be had: shown with the kubelet's message. */
const IMAGE_PROBLEMS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'RegistryUnavailable']);

function withMessage(reason: string | undefined, message: string | undefined, fallback: string): string {
  if (reason && message) return `${reason}: ${message}`;
  return message || reason || fallback;
}

/**
 * The pod that speaks for the job: the newest one that is neither being deleted nor finished (an
 * evicted pod is replaced by the Deployment, so it no longer says anything about the job).
 */
export function currentPod(pods: Iterable<V1Pod>): V1Pod | undefined {
  let chosen: V1Pod | undefined;
  let chosenTime = -Infinity;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') continue;
    const created = pod.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp).getTime() : 0;
    if (chosen === undefined || created >= chosenTime) {
      chosen = pod;
      chosenTime = created;
    }
  }
  return chosen;
}

function crashLoopReason(status: V1ContainerStatus): string {
  const last = status.lastState?.terminated;
  const exit = last ? `exited with code ${last.exitCode}${last.reason ? ` (${last.reason})` : ''}` : 'keeps exiting';
  const restarts = status.restartCount > 0 ? ` after ${status.restartCount} restart${status.restartCount === 1 ? '' : 's'}` : '';
  return `CrashLoopBackOff: container ${status.name} ${exit}${restarts}`;
}

function podReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function deploymentFailure(deployment: V1Deployment): string | undefined {
  const progressing = deployment.status?.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.status === 'False') return withMessage(progressing.reason, progressing.message, 'the Deployment stopped progressing');
  return undefined;
}

function podPending(pod: V1Pod): string {
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False') return scheduled.message || scheduled.reason || WAITING_FOR_SCHEDULING;
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const status of statuses) {
    const waiting = status.state?.waiting;
    if (waiting && IMAGE_PROBLEMS.has(waiting.reason ?? '')) return withMessage(waiting.reason, waiting.message, 'the image cannot be pulled');
  }
  for (const status of statuses) {
    const waiting = status.state?.waiting;
    if (waiting?.reason) return withMessage(waiting.reason, waiting.message, waiting.reason);
  }
  if (scheduled?.status !== 'True') return WAITING_FOR_SCHEDULING;
  if (statuses.length === 0) return 'ContainerCreating';
  if (statuses.some((s) => s.state?.running)) return 'the container is running and not yet ready';
  return 'ContainerCreating';
}

/**
 * In order: a Deployment that stopped progressing or a container in CrashLoopBackOff is Failed;
 * an available replica (or a Ready pod) is Ready; a job whose home claim is not Bound is Pending
 * with the claim's reason (`homeWaiting`), since its pod cannot be scheduled before; anything else
 * is Pending, with the most specific words the cluster gave (unschedulable, image pull, container
 * waiting, not yet scheduled).
 */
export function deriveJobState(deployment: V1Deployment | undefined, pod: V1Pod | undefined, homeWaiting?: string): RuntimeJobState {
  if (deployment === undefined) return { status: 'Failed', reason: NO_DEPLOYMENT };
  const failure = deploymentFailure(deployment);
  if (failure !== undefined) return { status: 'Failed', reason: failure };
  const crashing = pod?.status?.containerStatuses?.find((s) => s.state?.waiting?.reason === 'CrashLoopBackOff');
  if (crashing) return { status: 'Failed', reason: crashLoopReason(crashing) };
  if ((deployment.status?.availableReplicas ?? 0) >= 1 || (pod !== undefined && podReady(pod))) return { status: 'Ready' };
  if (homeWaiting !== undefined) return { status: 'Pending', reason: `${WAITING_FOR_HOME}: ${homeWaiting}` };
  if (pod === undefined) {
    // The ReplicaSet could not make a pod at all, e.g. a quota: the cluster's message says why.
    const replicaFailure = deployment.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
    if (replicaFailure) return { status: 'Pending', reason: withMessage(replicaFailure.reason, replicaFailure.message, WAITING_FOR_SCHEDULING) };
    return { status: 'Pending', reason: WAITING_FOR_SCHEDULING };
  }
  return { status: 'Pending', reason: podPending(pod) };
}

export function sameState(a: RuntimeJobState | undefined, b: RuntimeJobState): boolean {
  if (a === undefined || a.status !== b.status) return false;
  return !('reason' in a) || !('reason' in b) || a.reason === b.reason;
}
