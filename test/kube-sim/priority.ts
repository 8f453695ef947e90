// Pod priority and preemption, as the Priority admission plugin and kube-scheduler's
// DefaultPreemption do them: a pod's priority comes from its PriorityClass when it is created, and
// a pending pod that fits nowhere may evict lower-priority pods from one node to make room there.
import type { ResourceApi } from './api.js';
import { podRequests, type ResourceAmounts } from './pod-resources.js';
import { ApiError } from './status.js';
import type { KubeObject } from './types.js';

const PREEMPT = 'PreemptLowerPriority';

export function podPriority(pod: Readonly<KubeObject>): number {
  const value = pod.spec?.['priority'];
  return typeof value === 'number' ? value : 0;
}

/** On create: the named class (which must exist), else the cluster's global default, else 0. */
export function admitPodPriority(api: ResourceApi, pod: KubeObject): void {
  const spec = pod.spec ?? {};
  pod.spec = spec;
  const named = typeof spec['priorityClassName'] === 'string' ? spec['priorityClassName'] : undefined;
  const priorityClass = named
    ? api.find('priorityclasses', undefined, named)
    : api.list('priorityclasses').find((candidate) => candidate['globalDefault'] === true);
  if (named && !priorityClass) {
    throw new ApiError(403, `pods "${pod.metadata.name ?? ''}" is forbidden: no PriorityClass with name ${named} was found`, 'Forbidden');
  }
  if (priorityClass) spec['priorityClassName'] = priorityClass.metadata.name;
  spec['priority'] = typeof priorityClass?.['value'] === 'number' ? priorityClass['value'] : 0;
  spec['preemptionPolicy'] = typeof priorityClass?.['preemptionPolicy'] === 'string' ? priorityClass['preemptionPolicy'] : PREEMPT;
}

export function mayPreempt(pod: Readonly<KubeObject>): boolean {
  return pod.spec?.['preemptionPolicy'] !== 'Never';
}

/** A node as the scheduler tried it: why the pod did not fit, and what was free. */
export interface NodeFit {
  node: KubeObject;
  reasons: string[];
  free: ResourceAmounts;
}

export interface Preemption {
  node: KubeObject;
  victims: Readonly<KubeObject>[];
}

/** Only a shortage can be cured by evicting pods; a taint or a selector cannot. */
const curable = (reason: string): boolean => reason.startsWith('Insufficient ') || reason === 'Too many pods';

function fitsWith(free: ResourceAmounts, asked: ResourceAmounts): boolean {
  return (free['pods'] ?? 0) >= 1 && Object.entries(asked).every(([resource, amount]) => amount <= 0 || amount <= (free[resource] ?? 0));
}

function release(free: ResourceAmounts, pod: Readonly<KubeObject>, gpuResource: string, sign: 1 | -1): void {
  free['pods'] = (free['pods'] ?? 0) + sign;
  for (const [resource, amount] of Object.entries(podRequests(pod as KubeObject, gpuResource))) free[resource] = (free[resource] ?? 0) + sign * amount;
}

/**
 * The node where evicting the fewest, lowest-priority pods lets `pod` fit, and those pods; none
 * when no node can be freed. Like kube-scheduler: every lower-priority pod is a candidate, then
 * the most important are spared again while the pod still fits.
 */
export function planPreemption(
  pod: Readonly<KubeObject>,
  fits: readonly NodeFit[],
  podsOn: (nodeName: string) => readonly Readonly<KubeObject>[],
  gpuResource: string,
): Preemption | undefined {
  if (!mayPreempt(pod)) return undefined;
  const priority = podPriority(pod);
  const asked = podRequests(pod as KubeObject, gpuResource);
  const plans: (Preemption & { worst: number })[] = [];
  for (const fit of fits) {
    if (fit.reasons.length === 0 || !fit.reasons.every(curable)) continue;
    const free = { ...fit.free };
    // Least important first; among equals the newest, which has done the least work.
    const lower = podsOn(fit.node.metadata.name ?? '')
      .filter((other) => podPriority(other) < priority)
      .sort((a, b) => podPriority(a) - podPriority(b) || (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''));
    for (const victim of lower) release(free, victim, gpuResource, 1);
    if (!fitsWith(free, asked)) continue;
    const victims: Readonly<KubeObject>[] = [];
    for (const candidate of [...lower].reverse()) {
      release(free, candidate, gpuResource, -1);
      if (fitsWith(free, asked)) continue;
      release(free, candidate, gpuResource, 1);
      victims.push(candidate);
    }
    plans.push({ node: fit.node, victims, worst: Math.max(...victims.map(podPriority)) });
  }
  plans.sort((a, b) => a.worst - b.worst || a.victims.length - b.victims.length);
  const best = plans[0];
  return best ? { node: best.node, victims: best.victims } : undefined;
}
