// The resources the simulator serves. Discovery, routing, validation and field selectors all read
// this one table, so adding a kind is one entry here plus its schema in validation.ts.

export interface ResourceType {
  /** Plural, as in URLs: `deployments`. */
  resource: string;
  kind: string;
  group: string; // '' for core
  version: string;
  namespaced: boolean;
  shortNames: string[];
  singular: string;
  /** Resources with a status subresource ignore `status` on their main endpoint, as a real server does. */
  hasStatus: boolean;
  /** Fields a fieldSelector may use beyond metadata.name and metadata.namespace. */
  selectableFields: string[];
  /** Name rule: pods and deployments are DNS-1123 subdomains, services DNS-1035 labels. */
  nameRule: 'subdomain' | 'label' | 'dns1035';
  categories?: string[];
}

import { deployResourceTypes } from './deploy-resources.js';

const readWrite = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
export const verbsFor = (_type: ResourceType): string[] => readWrite;

export const resourceTypes: ResourceType[] = [
  {
    resource: 'namespaces', kind: 'Namespace', group: '', version: 'v1', namespaced: false,
    shortNames: ['ns'], singular: 'namespace', hasStatus: true, selectableFields: ['status.phase'], nameRule: 'label',
  },
  {
    resource: 'nodes', kind: 'Node', group: '', version: 'v1', namespaced: false,
    shortNames: ['no'], singular: 'node', hasStatus: true, selectableFields: ['spec.unschedulable'], nameRule: 'subdomain',
  },
  {
    resource: 'pods', kind: 'Pod', group: '', version: 'v1', namespaced: true,
    shortNames: ['po'], singular: 'pod', hasStatus: true, nameRule: 'subdomain', categories: ['all'],
    selectableFields: [
      'spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName',
      'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName',
    ],
  },
  {
    resource: 'services', kind: 'Service', group: '', version: 'v1', namespaced: true,
    shortNames: ['svc'], singular: 'service', hasStatus: true, selectableFields: ['spec.clusterIP', 'spec.type'],
    nameRule: 'dns1035', categories: ['all'],
  },
  {
    resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', group: '', version: 'v1', namespaced: true,
    shortNames: ['pvc'], singular: 'persistentvolumeclaim', hasStatus: true, selectableFields: [], nameRule: 'subdomain',
  },
  {
    resource: 'events', kind: 'Event', group: '', version: 'v1', namespaced: true,
    shortNames: ['ev'], singular: 'event', hasStatus: false, nameRule: 'subdomain',
    selectableFields: [
      'involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid',
      'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath',
      'reason', 'reportingComponent', 'source', 'type',
    ],
  },
  {
    resource: 'deployments', kind: 'Deployment', group: 'apps', version: 'v1', namespaced: true,
    shortNames: ['deploy'], singular: 'deployment', hasStatus: true, selectableFields: [], nameRule: 'subdomain',
    categories: ['all'],
  },
  {
    resource: 'replicasets', kind: 'ReplicaSet', group: 'apps', version: 'v1', namespaced: true,
    shortNames: ['rs'], singular: 'replicaset', hasStatus: true, selectableFields: ['status.replicas'],
    nameRule: 'subdomain', categories: ['all'],
  },
  {
    resource: 'storageclasses', kind: 'StorageClass', group: 'storage.k8s.io', version: 'v1', namespaced: false,
    shortNames: ['sc'], singular: 'storageclass', hasStatus: false, selectableFields: [], nameRule: 'subdomain',
  },
  {
    resource: 'leases', kind: 'Lease', group: 'coordination.k8s.io', version: 'v1', namespaced: true,
    shortNames: [], singular: 'lease', hasStatus: false, selectableFields: [], nameRule: 'subdomain',
  },
  ...deployResourceTypes,
];

export function apiVersionOf(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

export function findResource(group: string, version: string, resource: string): ResourceType | undefined {
  return resourceTypes.find((t) => t.group === group && t.version === version && t.resource === resource);
}

export function resourceByName(resource: string): ResourceType {
  const type = resourceTypes.find((t) => t.resource === resource);
  if (!type) throw new Error(`kube-sim serves no resource named ${resource}`);
  return type;
}

/** Group/versions in discovery order. */
export function groupVersions(): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const t of resourceTypes) seen.set(`${t.group}/${t.version}`, { group: t.group, version: t.version });
  return [...seen.values()];
}
