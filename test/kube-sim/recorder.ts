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
    const existing = this.api
      .list(
        'events',
        namespace,
        (event) =>
          (event['involvedObject'] as { uid?: string } | undefined)?.uid === involvedObject.uid &&
          event['reason'] === reason &&
          event['message'] === message &&
          event['type'] === type,
      )
      .at(0);
    if (existing) {
      existing['count'] = (typeof existing['count'] === 'number' ? existing['count'] : 1) + 1;
      existing['lastTimestamp'] = now();
      this.api.systemUpdate('events', existing);
      return;
    }
    const timestamp = now();
    this.api.create('events', namespace, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: eventName(involvedObject.name), namespace },
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
