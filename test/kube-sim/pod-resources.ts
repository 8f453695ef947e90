// What a pod asks of a node, summed over its containers, as the scheduler counts it.
import { parseQuantity } from './quantities.js';
import { isRecord, type KubeObject } from './types.js';

export type ResourceAmounts = Record<string, number>;

/** Requests per resource; extended resources such as GPUs count their limits (they must be equal). */
export function podRequests(pod: KubeObject, gpuResource: string): ResourceAmounts {
  const totals: ResourceAmounts = {};
  const containers = Array.isArray(pod.spec?.['containers']) ? pod.spec['containers'].filter(isRecord) : [];
  for (const container of containers) {
    const resources = isRecord(container['resources']) ? container['resources'] : {};
    const requests = isRecord(resources['requests']) ? resources['requests'] : {};
    const limits = isRecord(resources['limits']) ? resources['limits'] : {};
    for (const name of new Set([...Object.keys(requests), ...Object.keys(limits)])) {
      const quantity = name === gpuResource ? limits[name] ?? requests[name] : requests[name] ?? limits[name];
      totals[name] = (totals[name] ?? 0) + parseQuantity(quantity);
    }
  }
  return totals;
}

export function podIsTerminal(pod: KubeObject): boolean {
  const phase = pod.status?.['phase'];
  return phase === 'Succeeded' || phase === 'Failed';
}

export function conditionStatus(object: KubeObject, type: string): string | undefined {
  const conditions = Array.isArray(object.status?.['conditions']) ? object.status['conditions'].filter(isRecord) : [];
  const found = conditions.find((condition) => condition['type'] === type);
  return typeof found?.['status'] === 'string' ? found['status'] : undefined;
}

/** Replaces or adds one condition, keeping lastTransitionTime when the status did not change. */
export function setCondition(
  object: KubeObject,
  condition: { type: string; status: string; reason?: string; message?: string },
  extra: Record<string, unknown> = {},
): void {
  const status = object.status ?? {};
  object.status = status;
  const conditions = Array.isArray(status['conditions']) ? status['conditions'].filter(isRecord) : [];
  const previous = conditions.find((c) => c['type'] === condition.type);
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const next: Record<string, unknown> = {
    ...extra,
    ...condition,
    lastTransitionTime: previous && previous['status'] === condition.status ? previous['lastTransitionTime'] : now,
  };
  if (!condition.reason) delete next['reason'];
  if (!condition.message) delete next['message'];
  status['conditions'] = previous ? conditions.map((c) => (c === previous ? next : c)) : [...conditions, next];
}
