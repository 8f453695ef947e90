// Records core/v1 Events the way components do, including the aggregation of repeats into one
// Event with a growing `count`, which is what `kubectl describe` and job status pages show.
import type { ResourceApi } from './api.js';
import type { KubeObject } from './types.js';

export interface EventSource {
  component: string;
  host?: string;
}

let sequence = 0;

function eventName(involvedName: string): string {
  // Like client-go's `<name>.<unix nanoseconds in hex>`, kept unique within one process.
  sequence += 1;
  const nanos = BigInt(Date.now()) * 1_000_000n + BigInt(sequence % 1_000_000);
  return `${involvedName}.${nanos.toString(16)}`;
}

const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export class EventRecorder {
  /**
   * The Event recorded for each repeatable key (involved object, reason, message, type), by name:
   * finding it by listing every Event made a burst of launches cost the square of the pods.
   */
  private readonly recorded = new Map<string, string>();

  constructor(
    private readonly api: ResourceApi,
    private readonly fallbackNamespace: string,
  ) {}

  record(involved: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, source: EventSource, fieldPath?: string): void {
    const namespace = involved.metadata.namespace ?? this.fallbackNamespace;
    const involvedObject = {
      kind: involved.kind ?? '',
      namespace: involved.metadata.namespace ?? '',
      name: involved.metadata.name ?? '',
      uid: involved.metadata.uid ?? '',
      apiVersion: involved.apiVersion ?? 'v1',
      resourceVersion: involved.metadata.resourceVersion ?? '',
      ...(fieldPath ? { fieldPath } : {}),
    };
    if (!this.api.find('namespaces', undefined, namespace)) return;
    const key = JSON.stringify([namespace, involvedObject.uid, reason, message, type]);
    const recordedName = this.recorded.get(key);
    const existing = recordedName === undefined ? undefined : this.api.find('events', namespace, recordedName);
    if (existing) {
      existing['count'] = (typeof existing['count'] === 'number' ? existing['count'] : 1) + 1;
      existing['lastTimestamp'] = now();
      this.api.systemUpdate('events', existing);
      return;
    }
    const timestamp = now();
    const name = eventName(involvedObject.name);
    this.recorded.set(key, name);
    this.api.create('events', namespace, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject,
      reason,
      message,
      source,
      type,
      count: 1,
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      eventTime: null,
      reportingComponent: source.component,
      reportingInstance: source.host ?? '',
    });
  }
}
