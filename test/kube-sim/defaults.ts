// Defaulting a real API server applies on write, so objects read back look like a cluster's.
import { isRecord, type KubeObject } from './types.js';

type Json = Record<string, unknown>;

function record(parent: Json, key: string): Json {
  const value = parent[key];
  if (isRecord(value)) return value;
  const created: Json = {};
  parent[key] = created;
  return created;
}

function setDefault(target: Json, key: string, value: unknown): void {
  if (target[key] === undefined) target[key] = value;
}

/** `:latest` or untagged images are pulled Always; pinned ones IfNotPresent. */
export function defaultPullPolicy(image: string): string {
  const withoutDigest = image.split('@')[0] ?? image;
  const lastSegment = withoutDigest.split('/').pop() ?? '';
  const tag = lastSegment.includes(':') ? lastSegment.split(':').pop() : undefined;
  if (image.includes('@')) return 'IfNotPresent';
  return tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(container: Json): void {
  setDefault(container, 'imagePullPolicy', defaultPullPolicy(String(container['image'] ?? '')));
  setDefault(container, 'terminationMessagePath', '/dev/termination-log');
  setDefault(container, 'terminationMessagePolicy', 'File');
  const resources = record(container, 'resources');
  // A limit without a request requests the limit, which is what scheduling counts.
  if (isRecord(resources['limits'])) {
    const requests = record(resources, 'requests');
    for (const [name, quantity] of Object.entries(resources['limits'])) setDefault(requests, name, quantity);
  }
  if (Array.isArray(container['ports'])) {
    for (const port of container['ports']) if (isRecord(port)) setDefault(port, 'protocol', 'TCP');
  }
}

export function defaultPodSpec(spec: Json): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const key of ['containers', 'initContainers']) {
    const containers = spec[key];
    if (Array.isArray(containers)) for (const container of containers) if (isRecord(container)) defaultContainer(container);
  }
}

function defaultPod(pod: KubeObject): void {
  const spec = pod.spec ?? {};
  pod.spec = spec;
  defaultPodSpec(spec);
  setDefault(spec, 'serviceAccountName', 'default');
  setDefault(spec, 'enableServiceLinks', true);
  setDefault(spec, 'priority', 0);
  setDefault(spec, 'tolerations', [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
}

function qosClass(pod: KubeObject): string {
  const containers = Array.isArray(pod.spec?.['containers']) ? (pod.spec['containers'] as Json[]) : [];
  const resources = containers.map((c) => (isRecord(c['resources']) ? c['resources'] : {}));
  const any = resources.some((r) => Object.keys(isRecord(r['requests']) ? r['requests'] : {}).length > 0 || isRecord(r['limits']));
  if (!any) return 'BestEffort';
  const guaranteed = resources.every((r) => {
    const limits = isRecord(r['limits']) ? r['limits'] : {};
    const requests = isRecord(r['requests']) ? r['requests'] : {};
    return ['cpu', 'memory'].every((name) => limits[name] !== undefined && limits[name] === requests[name]);
  });
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function defaultWorkload(object: KubeObject, isDeployment: boolean): void {
  const spec = object.spec ?? {};
  object.spec = spec;
  setDefault(spec, 'replicas', 1);
  setDefault(spec, 'revisionHistoryLimit', 10);
  if (isDeployment) {
    setDefault(spec, 'progressDeadlineSeconds', 600);
    setDefault(spec, 'strategy', { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  }
  const template = record(spec, 'template');
  const templateMeta = record(template, 'metadata');
  setDefault(templateMeta, 'creationTimestamp', null);
  defaultPodSpec(record(template, 'spec'));
}

function defaultService(service: KubeObject): void {
  const spec = service.spec ?? {};
  service.spec = spec;
  setDefault(spec, 'type', 'ClusterIP');
  setDefault(spec, 'sessionAffinity', 'None');
  setDefault(spec, 'ipFamilies', ['IPv4']);
  setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
  setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  if (spec['type'] === 'NodePort' || spec['type'] === 'LoadBalancer') setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  if (Array.isArray(spec['ports'])) {
    for (const port of spec['ports']) {
      if (!isRecord(port)) continue;
      setDefault(port, 'protocol', 'TCP');
      setDefault(port, 'targetPort', port['port']);
    }
  }
}

/** Applies defaults and the status a fresh object starts with. */
export function applyCreateDefaults(resource: string, object: KubeObject): void {
  switch (resource) {
    case 'pods':
      defaultPod(object);
      object.status = { phase: 'Pending', qosClass: qosClass(object) };
      break;
    case 'deployments':
      defaultWorkload(object, true);
      object.status = {};
      break;
    case 'replicasets':
      defaultWorkload(object, false);
      object.status = { replicas: 0 };
      break;
    case 'services':
      defaultService(object);
      object.status = { loadBalancer: {} };
      break;
    case 'persistentvolumeclaims': {
      // Pending until the PV controller (volumes.ts) binds it; the default class is admission's.
      const spec = object.spec ?? {};
      object.spec = spec;
      setDefault(spec, 'volumeMode', 'Filesystem');
      object.status = { phase: 'Pending' };
      break;
    }
    case 'namespaces':
      object.spec = { finalizers: ['kubernetes'] };
      object.status = { phase: 'Active' };
      object.metadata.labels = { ...object.metadata.labels, 'kubernetes.io/metadata.name': object.metadata.name ?? '' };
      break;
    default:
      break;
  }
}

export function applyUpdateDefaults(resource: string, object: KubeObject): void {
  if (resource === 'deployments') defaultWorkload(object, true);
  if (resource === 'replicasets') defaultWorkload(object, false);
  if (resource === 'services') defaultService(object);
  if (resource === 'pods' && object.spec) defaultPodSpec(object.spec);
}
