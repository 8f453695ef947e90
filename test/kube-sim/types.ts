// The simulator keeps objects as plain JSON, exactly as they travel on the wire. Controllers that
// need typed access cast to the kubernetes-models interfaces (IPod, IDeployment…) at the edge.

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  [key: string]: unknown;
}

/** Any Kubernetes object as the simulator stores it: typed metadata, free-form spec and status. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [key: string]: unknown;
}

/** A stored object always has these; the store fills them in. */
export interface StoredMeta extends ObjectMeta {
  name: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change in the store. `previous` lets a filtered watch turn a MODIFIED into ADDED/DELETED. */
export interface StoreEvent {
  type: WatchEventType;
  resource: string;
  object: KubeObject;
  previous?: KubeObject;
  resourceVersion: number;
}

export function deepClone<T>(value: T): T {
  return structuredClone(value);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
