// The deployment and replicaset controllers: a Deployment owns one ReplicaSet per pod template
// (named `<deployment>-<template hash>`), each ReplicaSet keeps `replicas` pods
// (`<replicaset>-<5 chars>`), and both report status the way kube-controller-manager does.
import type { ResourceApi } from './api.js';
import { conditionStatus, podIsTerminal, setCondition } from './pod-resources.js';
import { labelSelectorObjectMatches } from './selectors.js';
import type { ObjectStore } from './store.js';
import { deepClone, isRecord, type KubeObject, type OwnerReference } from './types.js';

const revisionAnnotation = 'deployment.kubernetes.io/revision';

/** FNV-1a 32-bit, then client-go's SafeEncodeString over its decimal digits: like pod-template-hash. */
export function templateHash(template: unknown): string {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(JSON.stringify(template))) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...String(hash)].map((char) => alphabet[char.charCodeAt(0) % alphabet.length]).join('');
}

function ownedBy(object: KubeObject, owner: KubeObject): boolean {
  return (object.metadata.ownerReferences ?? []).some((ref) => ref.uid === owner.metadata.uid && ref.controller === true);
}

function controllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

const replicasOf = (object: KubeObject): number => (typeof object.spec?.['replicas'] === 'number' ? object.spec['replicas'] : 1);
const isReady = (pod: KubeObject): boolean => conditionStatus(pod, 'Ready') === 'True';

/** `namespace/name`, the key workloads are tracked by between passes. */
type WorkloadKey = string;

const keyOf = (namespace: string | undefined, name: string): WorkloadKey => `${namespace ?? ''}/${name}`;

function splitKey(key: WorkloadKey): [string | undefined, string] {
  const at = key.indexOf('/');
  return [key.slice(0, at) || undefined, key.slice(at + 1)];
}

/** The name of the object's controlling owner of `kind`, if it has one. */
function controllerName(object: KubeObject, kind: string): string | undefined {
  return object.metadata.ownerReferences?.find((ref) => ref.controller === true && ref.kind === kind)?.name;
}

export class WorkloadControllers {
  private pending: NodeJS.Immediate | undefined;
  private unsubscribe: (() => void) | undefined;
  /**
   * What changed since the last pass: a pass syncs these workloads, not every one. Passing over
   * every workload on every change made a burst of N launches cost N² object copies, which made
   * the simulator, not the client, the bottleneck of a benchmark.
   */
  private readonly dirtyDeployments = new Set<WorkloadKey>();
  private readonly dirtyReplicaSets = new Set<WorkloadKey>();

  constructor(
    private readonly store: ObjectStore,
    private readonly api: ResourceApi,
  ) {}

  start(): void {
    this.unsubscribe = this.store.subscribe((event) => this.changed(event.resource, event.object));
    for (const deployment of this.api.list('deployments')) this.dirtyDeployments.add(keyOf(deployment.metadata.namespace, deployment.metadata.name ?? ''));
    for (const replicaSet of this.api.list('replicasets')) this.dirtyReplicaSets.add(keyOf(replicaSet.metadata.namespace, replicaSet.metadata.name ?? ''));
    this.syncSoon();
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.pending) clearImmediate(this.pending);
  }

  /** Marks the workloads a change may concern: the object itself, and the controller above it. */
  private changed(resource: string, object: KubeObject): void {
    const namespace = object.metadata.namespace;
    if (resource === 'deployments') {
      this.dirtyDeployments.add(keyOf(namespace, object.metadata.name ?? ''));
    } else if (resource === 'replicasets') {
      this.dirtyReplicaSets.add(keyOf(namespace, object.metadata.name ?? ''));
    } else if (resource === 'pods') {
      const owner = controllerName(object, 'ReplicaSet');
      if (owner !== undefined) this.dirtyReplicaSets.add(keyOf(namespace, owner));
    } else {
      return;
    }
    this.syncSoon();
  }

  /** Coalesces a burst of changes into one pass over the workloads they concern. */
  private syncSoon(): void {
    if (this.pending) return;
    this.pending = setImmediate(() => {
      this.pending = undefined;
      try {
        this.pass();
      } catch (error) {
        console.error('kube-sim: workload sync failed', error);
      }
    });
  }

  private pass(): void {
    const deploymentKeys = [...this.dirtyDeployments];
    const replicaSetKeys = new Set(this.dirtyReplicaSets);
    this.dirtyDeployments.clear();
    this.dirtyReplicaSets.clear();
    const find = (resource: string, key: WorkloadKey): KubeObject | undefined => this.api.find(resource, ...splitKey(key));
    for (const key of deploymentKeys) {
      const deployment = find('deployments', key);
      if (!deployment) continue;
      this.syncDeployment(deployment);
      for (const replicaSet of this.ownedReplicaSets(deployment)) replicaSetKeys.add(keyOf(replicaSet.metadata.namespace, replicaSet.metadata.name ?? ''));
    }
    // A Deployment's status follows its ReplicaSets' pods.
    const statusKeys = new Set(deploymentKeys);
    for (const key of replicaSetKeys) {
      const replicaSet = find('replicasets', key);
      if (!replicaSet) continue;
      this.syncReplicaSet(replicaSet);
      const owner = controllerName(replicaSet, 'Deployment');
      if (owner !== undefined) statusKeys.add(keyOf(replicaSet.metadata.namespace, owner));
    }
    for (const key of statusKeys) {
      const deployment = find('deployments', key);
      if (deployment) this.syncDeploymentStatus(deployment);
    }
  }

  // Filtered before copying: each pass looks at every workload, so copying every object for each
  // one made a pass cost the square of the objects (100 launches took a minute in the simulator).
  private ownedReplicaSets(deployment: KubeObject): KubeObject[] {
    return this.api.list('replicasets', deployment.metadata.namespace, (rs) => ownedBy(rs, deployment));
  }

  private ownedPods(replicaSet: KubeObject): KubeObject[] {
    return this.api.list('pods', replicaSet.metadata.namespace, (pod) => ownedBy(pod, replicaSet) && !podIsTerminal(pod));
  }

  private syncDeployment(deployment: KubeObject): void {
    const namespace = deployment.metadata.namespace;
    const template = deepClone(isRecord(deployment.spec?.['template']) ? deployment.spec['template'] : {});
    const hash = templateHash(template);
    const name = `${deployment.metadata.name ?? ''}-${hash}`;
    const owned = this.ownedReplicaSets(deployment);
    const revisions = owned.map((rs) => Number(rs.metadata.annotations?.[revisionAnnotation] ?? 0));
    let current = owned.find((rs) => rs.metadata.name === name);
    const desired = replicasOf(deployment);

    if (!current) {
      const revision = String(Math.max(0, ...revisions) + 1);
      const metadata = isRecord(template['metadata']) ? template['metadata'] : {};
      const labels = { ...(isRecord(metadata['labels']) ? (metadata['labels'] as Record<string, string>) : {}), 'pod-template-hash': hash };
      const selector = isRecord(deployment.spec?.['selector']) ? deployment.spec['selector'] : {};
      const matchLabels = isRecord(selector['matchLabels']) ? selector['matchLabels'] : {};
      current = this.api.create('replicasets', namespace, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name,
          namespace,
          labels,
          annotations: { [revisionAnnotation]: revision, 'deployment.kubernetes.io/desired-replicas': String(desired) },
          ownerReferences: [controllerRef(deployment, 'apps/v1', 'Deployment')],
        },
        spec: {
          replicas: desired,
          selector: { ...selector, matchLabels: { ...matchLabels, 'pod-template-hash': hash } },
          template: { ...template, metadata: { ...metadata, labels } },
        },
      });
      if (deployment.metadata.annotations?.[revisionAnnotation] !== revision) {
        deployment.metadata.annotations = { ...deployment.metadata.annotations, [revisionAnnotation]: revision };
        this.api.systemUpdate('deployments', deployment);
      }
    } else if (replicasOf(current) !== desired) {
      current.spec = { ...current.spec, replicas: desired };
      this.api.systemUpdate('replicasets', current);
    }
    // Old templates scale to zero at once: the simulator rolls out like the Recreate strategy.
    for (const old of owned) {
      if (old.metadata.name === name || replicasOf(old) === 0) continue;
      old.spec = { ...old.spec, replicas: 0 };
      this.api.systemUpdate('replicasets', old);
    }
  }

  private syncReplicaSet(replicaSet: KubeObject): void {
    const pods = this.ownedPods(replicaSet);
    const desired = replicasOf(replicaSet);
    const namespace = replicaSet.metadata.namespace;
    const template = isRecord(replicaSet.spec?.['template']) ? replicaSet.spec['template'] : {};
    const metadata = isRecord(template['metadata']) ? template['metadata'] : {};
    for (let missing = desired - pods.length; missing > 0; missing -= 1) {
      this.api.create('pods', namespace, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          generateName: `${replicaSet.metadata.name ?? ''}-`,
          namespace,
          labels: isRecord(metadata['labels']) ? metadata['labels'] : {},
          ...(isRecord(metadata['annotations']) ? { annotations: metadata['annotations'] } : {}),
          ownerReferences: [controllerRef(replicaSet, 'apps/v1', 'ReplicaSet')],
        },
        spec: deepClone(isRecord(template['spec']) ? template['spec'] : {}),
      });
    }
    if (pods.length > desired) {
      // Like the real controller: unscheduled first, then unready, then the newest.
      const rank = (pod: KubeObject): number => (!pod.spec?.['nodeName'] ? 0 : !isReady(pod) ? 1 : 2);
      const victims = [...pods]
        .sort((a, b) => rank(a) - rank(b) || (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''))
        .slice(0, pods.length - desired);
      for (const pod of victims) this.api.delete('pods', namespace, pod.metadata.name ?? '');
    }
    const current = this.ownedPods(replicaSet);
    const selector = isRecord(replicaSet.spec?.['selector']) ? replicaSet.spec['selector'] : {};
    const ready = current.filter(isReady).length;
    const status = {
      replicas: current.length,
      fullyLabeledReplicas: current.filter((pod) => labelSelectorObjectMatches(selector as never, pod.metadata.labels ?? {})).length,
      readyReplicas: ready,
      availableReplicas: ready,
      observedGeneration: replicaSet.metadata.generation ?? 1,
    };
    if (JSON.stringify(replicaSet.status) !== JSON.stringify(status)) {
      this.api.mutate('replicasets', namespace, replicaSet.metadata.name ?? '', (latest) => ({ ...latest, status }), 'status');
    }
  }

  private syncDeploymentStatus(deployment: KubeObject): void {
    const hash = templateHash(isRecord(deployment.spec?.['template']) ? deployment.spec['template'] : {});
    const newName = `${deployment.metadata.name ?? ''}-${hash}`;
    const replicaSets = this.ownedReplicaSets(deployment);
    const pods = replicaSets.flatMap((rs) => this.ownedPods(rs).map((pod) => ({ pod, isNew: rs.metadata.name === newName })));
    const desired = replicasOf(deployment);
    const ready = pods.filter(({ pod }) => isReady(pod)).length;
    const updated = pods.filter(({ isNew }) => isNew).length;
    const updatedReady = pods.filter(({ pod, isNew }) => isNew && isReady(pod)).length;
    const next: KubeObject = deepClone(deployment);
    const previousStatus = deployment.status ?? {};
    next.status = {
      observedGeneration: deployment.metadata.generation ?? 1,
      replicas: pods.length,
      updatedReplicas: updated,
      readyReplicas: ready,
      availableReplicas: ready,
      ...(desired - ready > 0 ? { unavailableReplicas: desired - ready } : {}),
      ...(previousStatus['conditions'] ? { conditions: previousStatus['conditions'] } : {}),
    };
    for (const [key, value] of Object.entries(next.status)) if (value === 0 && key !== 'observedGeneration') delete next.status[key];
    const timestamps = { lastUpdateTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
    const available = ready >= desired;
    setCondition(next, available
      ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
      : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
      timestamps);
    const complete = updatedReady >= desired && pods.length === updated;
    setCondition(next, complete
      ? { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${newName}" has successfully progressed.` }
      : { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${newName}" is progressing.` },
      timestamps);
    if (sameIgnoringUpdateTimes(deployment.status, next.status)) return;
    this.api.mutate('deployments', deployment.metadata.namespace, deployment.metadata.name ?? '', (latest) => ({ ...latest, status: next.status ?? {} }), 'status');
  }
}

/** Conditions' lastUpdateTime changes every second; only real changes are worth a write. */
function sameIgnoringUpdateTimes(a: unknown, b: unknown): boolean {
  const strip = (value: unknown): string => JSON.stringify(value, (key, v: unknown) => (key === 'lastUpdateTime' ? undefined : v));
  return strip(a) === strip(b);
}
