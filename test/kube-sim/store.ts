// The object store: one global, monotonically increasing resourceVersion, like etcd's revision,
// and a bounded history of changes that watches resume from.
import { randomUUID } from 'node:crypto';
import { deepClone, type KubeObject, type StoreEvent, type WatchEventType } from './types.js';

export type StoreListener = (event: StoreEvent) => void;

function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

export class ObjectStore {
  private revision = 0;
  private readonly byResource = new Map<string, Map<string, KubeObject>>();
  /**
   * Per owner uid, the stored objects that name it in their ownerReferences, by resource and key:
   * the garbage collector found them by scanning every object of every kind, so deleting N jobs
   * cost N² and a burst of deletes queued behind one another.
   */
  private readonly dependents = new Map<string, Map<string, { resource: string; key: string }>>();
  private readonly history: StoreEvent[] = [];
  /** Highest revision dropped from history: a watch may not resume from before it. */
  private compactedRevision = 0;
  private readonly listeners = new Set<StoreListener>();
  /** Events not yet delivered: a listener that writes must not get its event ahead of the one it is handling. */
  private readonly undelivered: StoreEvent[] = [];
  private delivering = false;

  constructor(private readonly historyLimit: number) {}

  get currentRevision(): number {
    return this.revision;
  }

  get oldestResumableRevision(): number {
    return this.compactedRevision;
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Copies of the objects; `where` sees the stored ones (read only), so only matches are copied. */
  list(resource: string, namespace?: string, where: (object: KubeObject) => boolean = () => true): KubeObject[] {
    const objects = [...(this.byResource.get(resource)?.values() ?? [])];
    // Sorted by namespace and name, the order etcd keys give a real API server's lists.
    return objects
      .filter((object) => (namespace === undefined || object.metadata.namespace === namespace) && where(object))
      .sort((a, b) => keyOf(a.metadata.namespace, a.metadata.name ?? '').localeCompare(keyOf(b.metadata.namespace, b.metadata.name ?? '')))
      .map((object) => deepClone(object));
  }

  /**
   * The stored objects themselves, unsorted and not copied, for controllers that only read them:
   * copying every pod on each scheduling attempt made a burst of launches cost the square of the pods.
   */
  peek(resource: string, where: (object: Readonly<KubeObject>) => boolean = () => true): readonly Readonly<KubeObject>[] {
    return [...(this.byResource.get(resource)?.values() ?? [])].filter(where);
  }

  /** The stored objects (read only, not copied) whose ownerReferences name `uid`, of one resource. */
  dependentsOf(uid: string, resource: string): readonly Readonly<KubeObject>[] {
    const found: KubeObject[] = [];
    for (const entry of this.dependents.get(uid)?.values() ?? []) {
      const object = entry.resource === resource ? this.byResource.get(resource)?.get(entry.key) : undefined;
      if (object) found.push(object);
    }
    return found;
  }

  /** The stored object itself, not copied: for reading only. */
  peekOne(resource: string, namespace: string | undefined, name: string): Readonly<KubeObject> | undefined {
    return this.byResource.get(resource)?.get(keyOf(namespace, name));
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const object = this.peekOne(resource, namespace, name);
    return object ? deepClone(object) : undefined;
  }

  /** Stores a new object; the caller has checked it does not exist. */
  create(resource: string, object: KubeObject): KubeObject {
    const stored = deepClone(object);
    stored.metadata.uid = stored.metadata.uid ?? randomUUID();
    stored.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    return deepClone(this.write(resource, 'ADDED', stored, undefined));
  }

  /** Replaces a stored object wholesale; returns the stored copy with its new resourceVersion. */
  update(resource: string, object: KubeObject): KubeObject {
    const name = object.metadata.name ?? '';
    const previous = this.byResource.get(resource)?.get(keyOf(object.metadata.namespace, name));
    if (!previous) throw new Error(`kube-sim: update of missing ${resource} ${name}`);
    return deepClone(this.write(resource, 'MODIFIED', deepClone(object), previous));
  }

  /**
   * Answers the removed object as its watch event carries it, for reading only. Stored objects are
   * replaced, never changed in place, so the event shares their contents and copies only the metadata.
   */
  remove(resource: string, namespace: string | undefined, name: string): Readonly<KubeObject> | undefined {
    const previous = this.byResource.get(resource)?.get(keyOf(namespace, name));
    if (!previous) return undefined;
    return this.write(resource, 'DELETED', { ...previous, metadata: { ...previous.metadata } }, previous);
  }

  /** Watch events after `revision`, or undefined when history no longer reaches back that far. */
  eventsSince(revision: number): StoreEvent[] | undefined {
    if (revision < this.compactedRevision) return undefined;
    return this.history.filter((event) => event.resourceVersion > revision);
  }

  private write(resource: string, type: WatchEventType, object: KubeObject, previous: KubeObject | undefined): KubeObject {
    this.revision += 1;
    object.metadata.resourceVersion = String(this.revision);
    let objects = this.byResource.get(resource);
    if (!objects) {
      objects = new Map();
      this.byResource.set(resource, objects);
    }
    const key = keyOf(object.metadata.namespace, object.metadata.name ?? '');
    if (previous) this.indexOwners(resource, key, previous, false);
    if (type === 'DELETED') objects.delete(key);
    else {
      objects.set(key, object);
      this.indexOwners(resource, key, object, true);
    }

    const event: StoreEvent = { type, resource, object, resourceVersion: this.revision, ...(previous ? { previous } : {}) };
    this.history.push(event);
    while (this.history.length > this.historyLimit) {
      const dropped = this.history.shift();
      if (dropped) this.compactedRevision = dropped.resourceVersion;
    }
    this.undelivered.push(event);
    this.deliver();
    return object;
  }

  private indexOwners(resource: string, key: string, object: KubeObject, present: boolean): void {
    const entryKey = `${resource}\u0000${key}`;
    for (const { uid } of object.metadata.ownerReferences ?? []) {
      let owned = this.dependents.get(uid);
      if (present) {
        if (!owned) this.dependents.set(uid, (owned = new Map()));
        owned.set(entryKey, { resource, key });
      } else if (owned) {
        owned.delete(entryKey);
        if (owned.size === 0) this.dependents.delete(uid);
      }
    }
  }

  private deliver(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let event = this.undelivered.shift(); event; event = this.undelivered.shift()) {
        for (const listener of [...this.listeners]) {
          try {
            listener(event);
          } catch (error) {
            // A controller bug must not turn a stored write into a failed request.
            console.error('kube-sim: a store listener failed', error);
          }
        }
      }
    } finally {
      this.delivering = false;
    }
  }
}
