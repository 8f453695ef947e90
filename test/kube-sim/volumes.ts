// Storage as the cluster's control plane runs it: StorageClasses (the default one named by the
// `storageclass.kubernetes.io/is-default-class` annotation), the DefaultStorageClass admission
// plugin, the PV controller's binding (a claim of an existing class is provisioned and Bound at
// once; any other stays Pending, with the Event the controller records), the expansion rules the
// API server enforces on a claim's update, and the resizer that grows a Bound claim's capacity.
import type { ResourceApi } from './api.js';
import { parseQuantity } from './quantities.js';
import type { EventRecorder } from './recorder.js';
import { ApiError, invalid } from './status.js';
import type { ObjectStore } from './store.js';
import { isRecord, type KubeObject, type StoreEvent } from './types.js';

export interface SimStorageClass {
  name: string;
  /** Marked the cluster's default: claims that name no class get it. */
  default?: boolean;
  allowVolumeExpansion?: boolean;
}

export const DEFAULT_STORAGE_CLASSES: SimStorageClass[] = [{ name: 'standard', default: true, allowVolumeExpansion: true }];

const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
const PV_CONTROLLER = { component: 'persistentvolume-controller' };
/** The PV controller's words for a claim with no class and no volume to bind (a Normal event in Kubernetes). */
export const NO_VOLUME_NO_CLASS = 'no persistent volumes available for this claim and no storage class is set';

export function storageClassObject(storageClass: SimStorageClass): KubeObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: storageClass.name, ...(storageClass.default ? { annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } } : {}) },
    provisioner: 'kube-sim.io/hostpath',
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
    ...(storageClass.allowVolumeExpansion !== undefined ? { allowVolumeExpansion: storageClass.allowVolumeExpansion } : {}),
  };
}

const requestedStorage = (claim: KubeObject): unknown => {
  const resources = isRecord(claim.spec?.['resources']) ? claim.spec['resources'] : {};
  return isRecord(resources['requests']) ? resources['requests']['storage'] : undefined;
};
const capacityOf = (claim: KubeObject): unknown => (isRecord(claim.status?.['capacity']) ? claim.status['capacity']['storage'] : undefined);
const classOf = (claim: KubeObject): string | undefined => {
  const name = claim.spec?.['storageClassName'];
  return typeof name === 'string' ? name : undefined;
};
const withoutRequests = (spec: Record<string, unknown> | undefined): string => {
  const { resources, volumeName: _volumeName, ...rest } = spec ?? {};
  const { requests: _requests, ...otherResources } = isRecord(resources) ? resources : {};
  return JSON.stringify({ ...rest, resources: otherResources });
};

/** Admission for claims: the default class on create; on update, only growing requests, and only where the class allows it. */
export function admitClaim(api: ResourceApi, claim: KubeObject, previous: KubeObject | undefined): void {
  if (previous === undefined) {
    if (classOf(claim) === undefined) {
      const defaultClass = api.list('storageclasses').find((sc) => sc.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true');
      if (defaultClass) claim.spec = { ...claim.spec, storageClassName: defaultClass.metadata.name ?? '' };
    }
    return;
  }
  const name = claim.metadata.name ?? '';
  if (withoutRequests(claim.spec) !== withoutRequests(previous.spec)) {
    throw invalid('PersistentVolumeClaim', '', name, [
      { reason: 'FieldValueForbidden', field: 'spec', message: 'Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims' },
    ]);
  }
  const before = parseQuantity(requestedStorage(previous));
  const after = parseQuantity(requestedStorage(claim));
  if (after === before) return;
  if (after < before) {
    throw invalid('PersistentVolumeClaim', '', name, [
      { reason: 'FieldValueForbidden', field: 'spec.resources.requests.storage', message: 'Forbidden: field can not be less than previous value' },
    ]);
  }
  const storageClass = api.find('storageclasses', undefined, classOf(claim) ?? '');
  if (previous.status?.['phase'] !== 'Bound' || storageClass?.['allowVolumeExpansion'] !== true) {
    throw new ApiError(
      403,
      `persistentvolumeclaims "${name}" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize`,
      'Forbidden',
    );
  }
}

/** The PV controller and the resizer, done at once: no PersistentVolume objects are kept. */
export class VolumeBinder {
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly api: ResourceApi,
    private readonly recorder: EventRecorder,
  ) {}

  start(): void {
    this.unsubscribe = this.store.subscribe((event) => this.onChange(event));
    this.bindPending();
  }

  stop(): void {
    this.unsubscribe?.();
  }

  private onChange(event: StoreEvent): void {
    if (event.resource === 'storageclasses' && event.type !== 'DELETED') this.bindPending();
    if (event.resource !== 'persistentvolumeclaims' || event.type === 'DELETED') return;
    const claim = event.object;
    if (claim.status?.['phase'] === 'Pending' && event.type === 'ADDED') this.bind(claim);
    if (claim.status?.['phase'] === 'Bound' && parseQuantity(requestedStorage(claim)) > parseQuantity(capacityOf(claim))) {
      this.api.systemUpdate('persistentvolumeclaims', { ...claim, status: { ...claim.status, capacity: { storage: requestedStorage(claim) } } });
    }
  }

  private bindPending(): void {
    for (const claim of this.api.list('persistentvolumeclaims', undefined, (c) => c.status?.['phase'] === 'Pending' && !c.metadata.deletionTimestamp)) {
      this.bind(claim);
    }
  }

  private bind(claim: KubeObject): void {
    const className = classOf(claim);
    if (!className) {
      this.recorder.record(claim, 'Normal', 'FailedBinding', NO_VOLUME_NO_CLASS, PV_CONTROLLER);
      return;
    }
    if (!this.api.find('storageclasses', undefined, className)) {
      this.recorder.record(claim, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`, PV_CONTROLLER);
      return;
    }
    const volumeName = `pvc-${claim.metadata.uid ?? ''}`;
    this.api.systemUpdate('persistentvolumeclaims', {
      ...claim,
      spec: { ...claim.spec, volumeName },
      status: { phase: 'Bound', accessModes: claim.spec?.['accessModes'] ?? [], capacity: { storage: requestedStorage(claim) ?? '1Gi' } },
    });
    this.recorder.record(claim, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${volumeName}`, PV_CONTROLLER);
  }
}
