/**
 * A user's home as a PersistentVolumeClaim: the claim classlab creates, and what a claim the
 * watch shows says about the home. Pure functions, like manifests.ts, so each rule is read and
 * tested in one place.
 */

import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { HomeAccessMode } from '../../config/home-settings.js';
import type { HomeRef, HomeStatus } from '../types.js';
import { COMPONENT_LABEL, HOME_COMPONENT, MANAGED_BY_LABEL, MANAGED_BY_VALUE, USER_LABEL, USER_NAME_ANNOTATION, homeClaimName, sanitiseLabelValue } from './labels.js';

export interface HomeClaimSettings {
  namespace: string;
  accessMode: HomeAccessMode;
  /** Unset: the cluster's default StorageClass. */
  storageClass?: string;
}

/** The home's name as the homes service stored it, kept on the claim for people reading the cluster. */
export const HOME_NAME_ANNOTATION = 'classlab.io/home';

/** Why a claim waits when the cluster has said nothing about it yet. */
export const CLAIM_NOT_BOUND = 'the claim is not bound to a volume yet';

/** No ownerReferences: a home belongs to no job, so deleting jobs never takes it along. */
export function buildHomeClaim(home: HomeRef, settings: HomeClaimSettings): V1PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: homeClaimName(home.name),
      namespace: settings.namespace,
      labels: {
        [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
        [COMPONENT_LABEL]: HOME_COMPONENT,
        [USER_LABEL]: sanitiseLabelValue(home.userId),
      },
      annotations: { [USER_NAME_ANNOTATION]: home.userName, [HOME_NAME_ANNOTATION]: home.name },
    },
    spec: {
      accessModes: [settings.accessMode],
      ...(settings.storageClass !== undefined ? { storageClassName: settings.storageClass } : {}),
      resources: { requests: { storage: home.capacity } },
    },
  };
}

export function isHomeClaim(claim: V1PersistentVolumeClaim): boolean {
  return claim.metadata?.labels?.[COMPONENT_LABEL] === HOME_COMPONENT;
}

/**
 * The home as its claim shows it. `clusterSays` is the latest message the cluster recorded about
 * the claim (an Event: `no persistent volumes available for this claim…`), which is the reason
 * a claim that is not Bound gives.
 */
export function homeStatusOf(claim: V1PersistentVolumeClaim | undefined, clusterSays: string | undefined): HomeStatus {
  if (claim === undefined) return { state: 'Absent' };
  const capacity = claim.status?.capacity?.['storage'];
  const withCapacity = capacity !== undefined ? { capacity } : {};
  if (claim.metadata?.deletionTimestamp) {
    return { state: 'Pending', reason: `its claim ${claim.metadata.name ?? ''} is being deleted`, ...withCapacity };
  }
  switch (claim.status?.phase) {
    case 'Bound':
      return { state: 'Bound', ...withCapacity };
    case 'Lost':
      return { state: 'Lost', reason: clusterSays ?? `its PersistentVolume ${claim.spec?.volumeName ?? ''} is gone`, ...withCapacity };
    default:
      return { state: 'Pending', reason: clusterSays ?? CLAIM_NOT_BOUND };
  }
}
