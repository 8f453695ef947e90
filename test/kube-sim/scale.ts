// The `scale` subresource of Deployments and ReplicaSets (autoscaling/v1 Scale), which
// `kubectl scale` and autoscalers read and write instead of the whole object.
import type { ResourceApi } from './api.js';
import { ApiError } from './status.js';
import { isRecord, type KubeObject } from './types.js';

export const scalableResources = new Set(['deployments', 'replicasets']);

function selectorString(object: KubeObject): string {
  const selector = isRecord(object.spec?.['selector']) ? object.spec['selector'] : {};
  const matchLabels = isRecord(selector['matchLabels']) ? selector['matchLabels'] : {};
  return Object.entries(matchLabels).map(([key, value]) => `${key}=${String(value)}`).join(',');
}

export function toScale(object: KubeObject): KubeObject {
  const { name, namespace, uid, resourceVersion, creationTimestamp } = object.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: typeof object.spec?.['replicas'] === 'number' ? object.spec['replicas'] : 1 },
    status: { replicas: typeof object.status?.['replicas'] === 'number' ? object.status['replicas'] : 0, selector: selectorString(object) },
  };
}

/** Writes a Scale (after the caller's patch or replace) back as the object's spec.replicas. */
export function writeScale(
  api: ResourceApi,
  resource: string,
  namespace: string | undefined,
  name: string,
  change: (scale: KubeObject) => KubeObject,
): KubeObject {
  const updated = api.mutate(resource, namespace, name, (object) => {
    const scale = change(toScale(object));
    const replicas = scale.spec?.['replicas'];
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw new ApiError(422, `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`, 'Invalid');
    }
    const wanted = scale.metadata.resourceVersion;
    return { ...object, metadata: { ...object.metadata, resourceVersion: wanted }, spec: { ...object.spec, replicas } };
  });
  return toScale(updated);
}
