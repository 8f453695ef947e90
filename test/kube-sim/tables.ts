// Server-side printing: `kubectl get` asks for a meta.k8s.io Table and prints its columns. Without
// it kubectl falls back to NAME and AGE only, which is correct but hides pod status from people.
import type { ResourceType } from './resources.js';
import { isRecord, type KubeObject } from './types.js';

interface Column {
  name: string;
  type: 'string' | 'integer' | 'date';
  format?: string;
  priority: number;
  cell(object: KubeObject): string | number;
}

export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '').split(',')[0]?.includes('as=Table') ?? false;
}

export function humanAge(timestamp: string | undefined, now = Date.now()): string {
  if (!timestamp) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now - Date.parse(timestamp)) / 1000));
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  const days = Math.floor(hours / 24);
  if (seconds < 120) return `${seconds}s`;
  if (minutes < 10) return `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  if (hours < 8) return `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (days < 8) return `${days}d${hours % 24}h`;
  return `${days}d`;
}

const records = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? value.filter(isRecord) : []);
const text = (value: unknown, fallback = '<none>'): string => (value === undefined || value === null || value === '' ? fallback : String(value));
const num = (value: unknown): number => (typeof value === 'number' ? value : 0);

const accessModeShort: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };

const name: Column = { name: 'Name', type: 'string', format: 'name', priority: 0, cell: (o) => o.metadata.name ?? '' };
const age: Column = { name: 'Age', type: 'string', priority: 0, cell: (o) => humanAge(o.metadata.creationTimestamp) };

function podStatus(pod: KubeObject): string {
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  for (const status of records(pod.status?.['containerStatuses'])) {
    const state = isRecord(status['state']) ? status['state'] : {};
    if (isRecord(state['waiting']) && state['waiting']['reason']) return String(state['waiting']['reason']);
  }
  if (pod.spec?.['nodeName'] && pod.status?.['phase'] === 'Pending') return 'ContainerCreating';
  return text(pod.status?.['phase'], 'Unknown');
}

function condition(object: KubeObject, type: string): string | undefined {
  return records(object.status?.['conditions']).find((c) => c['type'] === type)?.['status'] as string | undefined;
}

function servicePorts(service: KubeObject): string {
  const ports = records(service.spec?.['ports']);
  if (ports.length === 0) return '<none>';
  return ports.map((p) => `${String(p['port'])}${p['nodePort'] ? `:${String(p['nodePort'])}` : ''}/${text(p['protocol'], 'TCP')}`).join(',');
}

const columnsByResource: Record<string, Column[]> = {
  pods: [
    name,
    {
      name: 'Ready', type: 'string', priority: 0,
      cell: (o) => {
        const statuses = records(o.status?.['containerStatuses']);
        return `${statuses.filter((s) => s['ready'] === true).length}/${records(o.spec?.['containers']).length}`;
      },
    },
    { name: 'Status', type: 'string', priority: 0, cell: podStatus },
    { name: 'Restarts', type: 'string', priority: 0, cell: (o) => String(records(o.status?.['containerStatuses']).reduce((n, s) => n + num(s['restartCount']), 0)) },
    age,
    { name: 'IP', type: 'string', priority: 1, cell: (o) => text(o.status?.['podIP']) },
    { name: 'Node', type: 'string', priority: 1, cell: (o) => text(o.spec?.['nodeName']) },
  ],
  deployments: [
    name,
    { name: 'Ready', type: 'string', priority: 0, cell: (o) => `${num(o.status?.['readyReplicas'])}/${num(o.spec?.['replicas'])}` },
    { name: 'Up-to-date', type: 'integer', priority: 0, cell: (o) => num(o.status?.['updatedReplicas']) },
    { name: 'Available', type: 'integer', priority: 0, cell: (o) => num(o.status?.['availableReplicas']) },
    age,
  ],
  replicasets: [
    name,
    { name: 'Desired', type: 'integer', priority: 0, cell: (o) => num(o.spec?.['replicas']) },
    { name: 'Current', type: 'integer', priority: 0, cell: (o) => num(o.status?.['replicas']) },
    { name: 'Ready', type: 'integer', priority: 0, cell: (o) => num(o.status?.['readyReplicas']) },
    age,
  ],
  nodes: [
    name,
    { name: 'Status', type: 'string', priority: 0, cell: (o) => (condition(o, 'Ready') === 'True' ? 'Ready' : 'NotReady') },
    { name: 'Roles', type: 'string', priority: 0, cell: () => '<none>' },
    age,
    { name: 'Version', type: 'string', priority: 0, cell: (o) => text(isRecord(o.status?.['nodeInfo']) ? o.status['nodeInfo']['kubeletVersion'] : undefined) },
  ],
  services: [
    name,
    { name: 'Type', type: 'string', priority: 0, cell: (o) => text(o.spec?.['type'], 'ClusterIP') },
    { name: 'Cluster-IP', type: 'string', priority: 0, cell: (o) => text(o.spec?.['clusterIP']) },
    { name: 'External-IP', type: 'string', priority: 0, cell: () => '<none>' },
    { name: 'Port(s)', type: 'string', priority: 0, cell: servicePorts },
    age,
  ],
  persistentvolumeclaims: [
    name,
    { name: 'Status', type: 'string', priority: 0, cell: (o) => text(o.status?.['phase']) },
    { name: 'Volume', type: 'string', priority: 0, cell: (o) => text(o.spec?.['volumeName'], '') },
    { name: 'Capacity', type: 'string', priority: 0, cell: (o) => text(isRecord(o.status?.['capacity']) ? o.status['capacity']['storage'] : undefined, '') },
    { name: 'Access Modes', type: 'string', priority: 0, cell: (o) => (Array.isArray(o.status?.['accessModes']) ? (o.status['accessModes'] as string[]).map((m) => accessModeShort[m] ?? m).join(',') : '') },
    { name: 'StorageClass', type: 'string', priority: 0, cell: (o) => text(o.spec?.['storageClassName']) },
    age,
  ],
  events: [
    { name: 'Last Seen', type: 'string', priority: 0, cell: (o) => humanAge(text(o['lastTimestamp'], '') || o.metadata.creationTimestamp) },
    { name: 'Type', type: 'string', priority: 0, cell: (o) => text(o['type']) },
    { name: 'Reason', type: 'string', priority: 0, cell: (o) => text(o['reason']) },
    {
      name: 'Object', type: 'string', priority: 0,
      cell: (o) => {
        const involved = isRecord(o['involvedObject']) ? o['involvedObject'] : {};
        return `${String(involved['kind'] ?? '').toLowerCase()}/${String(involved['name'] ?? '')}`;
      },
    },
    { name: 'Message', type: 'string', priority: 0, cell: (o) => text(o['message'], '') },
  ],
  namespaces: [name, { name: 'Status', type: 'string', priority: 0, cell: (o) => text(o.status?.['phase']) }, age],
};

/** Watch events after the first carry no column definitions, as from a real server. */
export function toTable(type: ResourceType, objects: KubeObject[], resourceVersion: string, withColumns = true): Record<string, unknown> {
  const columns = columnsByResource[type.resource] ?? [name, age];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: (withColumns ? columns : []).map((column) => ({
      name: column.name,
      type: column.type,
      format: column.format ?? '',
      description: '',
      priority: column.priority,
    })),
    rows: objects.map((object) => ({
      cells: columns.map((column) => column.cell(object)),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata },
    })),
  };
}
