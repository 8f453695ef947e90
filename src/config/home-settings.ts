/**
 * Settings of students' persistent homes: how large one is made, where jobs mount it, and, on
 * Kubernetes, the claim's StorageClass and access mode.
 */

import { boolean, optionalString, type RawValue, type Setting } from './parsers.js';
import { sizeBytes } from '../common/quantity.js';
import { oneOf } from './runtime-settings.js';

export const HOME_ACCESS_MODES = ['ReadWriteOnce', 'ReadWriteOncePod', 'ReadWriteMany'] as const;
export type HomeAccessMode = (typeof HOME_ACCESS_MODES)[number];

/** An absolute path inside the job, without `..`: where the home appears. */
export function mountPath(raw: RawValue): string {
  const text = String(raw).trim();
  if (!text.startsWith('/') || text === '/' || text.split('/').some((part) => part === '..' || part === '.')) {
    throw new Error(`must be an absolute path such as /home/jovyan, got ${JSON.stringify(raw)}`);
  }
  return text.replace(/\/+$/, '');
}

/**
 * A storage size as homes compare them (`10Gi`, `500M`): read by the same parser that compares a
 * home's growth, so a setting such as `500m` or `0`, which a CPU quantity would allow, is refused
 * here rather than compared as nothing later.
 */
export function storageSize(raw: RawValue): string {
  const text = String(raw).trim();
  if (sizeBytes(text) === undefined) throw new Error(`must be a positive size such as 10Gi, 500Mi or 20G, got ${JSON.stringify(raw)}`);
  return text;
}

export const homeSettings = {
  homeCapacity: {
    env: 'CLASSLAB_HOME_CAPACITY',
    description: "size of a new user's home (a Kubernetes quantity); admins can expand one later",
    default: '10Gi',
    parse: storageSize,
  } satisfies Setting<string>,
  homeMountPath: {
    env: 'CLASSLAB_HOME_MOUNT_PATH',
    description: "where a job sees its user's home when neither the course nor the image catalog says",
    default: '/home/classlab',
    parse: mountPath,
  } satisfies Setting<string>,
  homeStorageClass: {
    env: 'CLASSLAB_HOME_STORAGE_CLASS',
    description: "StorageClass of home claims on Kubernetes; unset means the cluster's default",
    default: undefined as string | undefined,
    parse: optionalString,
  } satisfies Setting<string | undefined>,
  homeAccessMode: {
    env: 'CLASSLAB_HOME_ACCESS_MODE',
    description: 'access mode of home claims: with ReadWriteOnce a user runs one job at a time',
    default: 'ReadWriteOnce' as HomeAccessMode,
    parse: oneOf(HOME_ACCESS_MODES),
  } satisfies Setting<HomeAccessMode>,
  homeDeleteWithUser: {
    env: 'CLASSLAB_HOME_DELETE_WITH_USER',
    description: "delete a user's home with the user; by default it is kept and listed as orphaned",
    default: false,
    parse: boolean,
  } satisfies Setting<boolean>,
};
