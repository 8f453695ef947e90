// The API server's write path, shared by HTTP handlers and the simulated controllers: defaulting,
// validation, optimistic concurrency, generation, status subresources and cascading deletion.
import { randomBytes, randomUUID } from 'node:crypto';
import { applyCreateDefaults, applyUpdateDefaults } from './defaults.js';
import { resourceByName, resourceTypes, apiVersionOf, type ResourceType } from './resources.js';
import { allocateServiceAddresses } from './service-allocator.js';
import { ApiError, alreadyExists, conflict, invalid, notFound } from './status.js';
import type { ObjectStore } from './store.js';
import { deepClone, isRecord, type KubeObject } from './types.js';
import { goValue, validateObject } from './validation.js';
import { admitPodPriority } from './priority.js';
import { admitClaim } from './volumes.js';

const tracksGeneration = new Set(['deployments', 'replicasets']);

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

export interface WriteOptions {
  dryRun?: boolean;
}

export interface DeleteOptions extends WriteOptions {
  propagationPolicy?: PropagationPolicy;
  preconditions?: { uid?: string; resourceVersion?: string };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** What `generateName` appends: 5 characters from the alphabet Kubernetes uses for them. */
export function randomSuffix(length = 5): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...randomBytes(length)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

export class ResourceApi {
  constructor(private readonly store: ObjectStore) {}

  get(resource: string, namespace: string | undefined, name: string): KubeObject {
    const type = resourceByName(resource);
    const object = this.store.get(resource, type.namespaced ? namespace : undefined, name);
    if (!object) throw notFound(resource, type.group, name);
    return object;
  }

  find(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const type = resourceByName(resource);
    return this.store.get(resource, type.namespaced ? namespace : undefined, name);
  }

  list(resource: string, namespace?: string, where?: (object: KubeObject) => boolean): KubeObject[] {
    return this.store.list(resource, resourceByName(resource).namespaced ? namespace : undefined, where);
  }

  /** Stored objects to read, not copied (ObjectStore.peek): never change them. */
  peek(resource: string, where?: (object: Readonly<KubeObject>) => boolean): readonly Readonly<KubeObject>[] {
    return this.store.peek(resource, where);
  }

  create(resource: string, namespace: string | undefined, body: unknown, options: WriteOptions = {}): KubeObject {
    const type = resourceByName(resource);
    const object = this.checkBody(type, body, namespace);
    const meta = object.metadata;
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix()}`;
    const name = meta.name ?? '';
    if (type.namespaced) this.requireNamespace(meta.namespace ?? '');
    for (const field of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'generation'] as const) {
      delete meta[field];
    }
    meta.uid = randomUUID();
    if (tracksGeneration.has(resource)) meta.generation = 1;
    applyCreateDefaults(resource, object);
    validateObject(type, object);
    if (name && this.store.get(resource, meta.namespace, name)) throw alreadyExists(resource, type.group, name);
    this.admit(resource, object, undefined);
    if (options.dryRun) return object;
    return this.store.create(resource, object);
  }

  /** PUT: the main resource (status ignored where a status subresource exists) or `/status`. */
  replace(resource: string, namespace: string | undefined, name: string, body: unknown, subresource?: string, options: WriteOptions = {}): KubeObject {
    const type = resourceByName(resource);
    const current = this.get(resource, namespace, name);
    const incoming = this.checkBody(type, body, namespace);
    if (incoming.metadata.name !== undefined && incoming.metadata.name !== name) {
      throw new ApiError(400, `the name of the object (${incoming.metadata.name}) does not match the name on the URL (${name})`, 'BadRequest');
    }
    const wanted = incoming.metadata.resourceVersion;
    if (wanted !== undefined && wanted !== '' && wanted !== current.metadata.resourceVersion) {
      throw conflict(resource, type.group, name);
    }
    const next = this.merged(type, current, incoming, subresource);
    return this.commitUpdate(type, current, next, options);
  }

  /** Applies a function to the stored object and writes the result; for controllers and PATCH. */
  mutate(
    resource: string,
    namespace: string | undefined,
    name: string,
    change: (object: KubeObject) => KubeObject,
    subresource?: string,
    options: WriteOptions = {},
  ): KubeObject {
    const type = resourceByName(resource);
    const current = this.get(resource, namespace, name);
    const changed = change(deepClone(current));
    if (!isRecord(changed) || !isRecord(changed.metadata)) {
      throw new ApiError(422, 'the patched object is not a Kubernetes object', 'Invalid');
    }
    const wanted = changed.metadata.resourceVersion;
    if (wanted !== undefined && wanted !== current.metadata.resourceVersion) throw conflict(resource, type.group, name);
    const next = this.merged(type, current, changed, subresource);
    return this.commitUpdate(type, current, next, options);
  }

  /**
   * A controller's write (binding, status, scale-down bookkeeping): no optimistic-concurrency check
   * and no spec/status split, but still validated so a simulator bug cannot store a bad object.
   */
  systemUpdate(resource: string, object: KubeObject): KubeObject {
    const type = resourceByName(resource);
    const current = this.get(resource, object.metadata.namespace, object.metadata.name ?? '');
    const next = deepClone(object);
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    validateObject(type, next);
    if (sameJson(current, next)) return current;
    return this.store.update(resource, next);
  }

  /** Answers the object deleted, for reading only (it is what its watch event carries). */
  delete(resource: string, namespace: string | undefined, name: string, options: DeleteOptions = {}): Readonly<KubeObject> {
    const type = resourceByName(resource);
    // Read in place: a delete copies nothing it does not keep.
    const current = this.store.peekOne(resource, type.namespaced ? namespace : undefined, name);
    if (!current) throw notFound(resource, type.group, name);
    const { uid, resourceVersion } = options.preconditions ?? {};
    if ((uid && uid !== current.metadata.uid) || (resourceVersion && resourceVersion !== current.metadata.resourceVersion)) {
      throw new ApiError(
        409,
        `Operation cannot be fulfilled on ${type.group ? `${resource}.${type.group}` : resource} "${name}": ` +
          `Precondition failed: UID in precondition: ${uid ?? ''}, UID in object meta: ${current.metadata.uid ?? ''}`,
        'Conflict',
      );
    }
    if (options.dryRun) return deepClone(current);
    if (resource === 'namespaces') this.emptyNamespace(name);
    const removed = this.store.remove(resource, type.namespaced ? namespace : undefined, name) ?? current;
    this.deleteDependents(removed, options.propagationPolicy ?? 'Background');
    return removed;
  }

  private checkBody(type: ResourceType, body: unknown, namespace: string | undefined): KubeObject {
    if (!isRecord(body)) throw new ApiError(400, 'the body of the request was in an unknown format', 'BadRequest');
    const object = deepClone(body) as KubeObject;
    object.apiVersion = object.apiVersion ?? apiVersionOf(type);
    object.kind = object.kind ?? type.kind;
    if (object.kind !== type.kind) {
      throw new ApiError(400, `the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${apiVersionOf(type)})`, 'BadRequest');
    }
    if (!isRecord(object.metadata)) object.metadata = {};
    if (type.namespaced) {
      if (object.metadata.namespace !== undefined && namespace !== undefined && object.metadata.namespace !== namespace) {
        throw new ApiError(400, 'the namespace of the provided object does not match the namespace sent on the request', 'BadRequest');
      }
      object.metadata.namespace = namespace ?? object.metadata.namespace;
    } else {
      delete object.metadata.namespace;
    }
    return object;
  }

  private requireNamespace(namespace: string): void {
    if (!this.store.get('namespaces', undefined, namespace)) throw notFound('namespaces', '', namespace);
  }

  /** The object a write ends up storing: system metadata kept, spec or status taken as asked. */
  private merged(type: ResourceType, current: KubeObject, incoming: KubeObject, subresource: string | undefined): KubeObject {
    if (subresource === 'status') {
      return { ...current, status: incoming.status ?? {} };
    }
    if (subresource !== undefined) throw new ApiError(404, `the server could not find the requested resource`, 'NotFound');
    const next: KubeObject = { ...incoming, apiVersion: current.apiVersion, kind: current.kind };
    next.metadata = {
      ...incoming.metadata,
      name: current.metadata.name,
      uid: current.metadata.uid,
      creationTimestamp: current.metadata.creationTimestamp,
      ...(current.metadata.namespace !== undefined ? { namespace: current.metadata.namespace } : {}),
      ...(current.metadata.generation !== undefined ? { generation: current.metadata.generation } : {}),
    };
    if (type.hasStatus) next.status = current.status;
    applyUpdateDefaults(type.resource, next);
    return next;
  }

  private commitUpdate(type: ResourceType, current: KubeObject, next: KubeObject, options: WriteOptions): KubeObject {
    validateObject(type, next);
    this.checkImmutable(type, current, next);
    if (tracksGeneration.has(type.resource) && !sameJson(current.spec, next.spec)) {
      next.metadata.generation = (current.metadata.generation ?? 1) + 1;
    }
    this.admit(type.resource, next, current);
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    if (sameJson(current, next)) return current; // a no-op write does not bump resourceVersion
    if (options.dryRun) return next;
    return this.store.update(type.resource, next);
  }

  private checkImmutable(type: ResourceType, current: KubeObject, next: KubeObject): void {
    if (type.resource === 'deployments' && !sameJson(current.spec?.['selector'], next.spec?.['selector'])) {
      throw invalid(type.kind, type.group, current.metadata.name ?? '', [
        { reason: 'FieldValueInvalid', field: 'spec.selector', message: `Invalid value: ${goValue(next.spec?.['selector'])}: field is immutable` },
      ]);
    }
  }

  private admit(resource: string, object: KubeObject, previous: KubeObject | undefined): void {
    if (resource === 'persistentvolumeclaims') admitClaim(this, object, previous);
    if (resource === 'pods' && previous === undefined) admitPodPriority(this, object);
    if (resource === 'services') {
      const others = this.store.peek('services', (s) => s.metadata.uid !== object.metadata.uid);
      allocateServiceAddresses(object, others, previous);
    }
  }

  private emptyNamespace(namespace: string): void {
    for (const type of resourceTypes.filter((t) => t.namespaced)) {
      for (const object of this.store.list(type.resource, namespace)) {
        this.store.remove(type.resource, namespace, object.metadata.name ?? '');
      }
    }
  }

  /** The garbage collector's job, done at once: dependents go with their owner unless orphaned. */
  private deleteDependents(owner: Readonly<KubeObject>, policy: PropagationPolicy): void {
    const uid = owner.metadata.uid;
    if (uid === undefined) return;
    for (const type of resourceTypes) {
      // From the store's index of owners, copied only when changed: scanning every object on each delete made deleting N jobs cost N².
      for (const found of this.store.dependentsOf(uid, type.resource)) {
        if (policy === 'Orphan') {
          const dependent = deepClone(found);
          dependent.metadata.ownerReferences = (dependent.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== uid);
          this.store.update(type.resource, dependent);
        } else {
          const removed = this.store.remove(type.resource, found.metadata.namespace, found.metadata.name ?? '');
          if (removed) this.deleteDependents(removed, policy);
        }
      }
    }
  }
}
