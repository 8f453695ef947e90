// Checks what a real API server checks before it stores an object: the official schema (through
// kubernetes-models), then the rules the schema cannot express: names, labels, selectors, ports.
import { Deployment, ReplicaSet } from 'kubernetes-models/apps/v1';
import { Lease } from 'kubernetes-models/coordination.k8s.io/v1';
import { StorageClass } from 'kubernetes-models/storage.k8s.io/v1';
import { Event, Namespace, Node, PersistentVolumeClaim, Pod, Service } from 'kubernetes-models/v1';
import { deployModels } from './deploy-resources.js';
import {
  checkDns1035Label,
  checkDns1123Label,
  checkDns1123Subdomain,
  checkLabelValue,
  checkPortName,
  checkQualifiedName,
} from './names.js';
import { labelSelectorObjectMatches } from './selectors.js';
import { invalid, type StatusCause } from './status.js';
import type { ResourceType } from './resources.js';
import { isRecord, type KubeObject } from './types.js';

interface SchemaError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}
type Validating = { validate(): void };

// Each kind's model class; `validate()` throws an ajv ValidationError listing schema violations.
const models: Record<string, (data: unknown) => Validating> = {
  Namespace: (data) => new Namespace(data as never),
  Node: (data) => new Node(data as never),
  Pod: (data) => new Pod(data as never),
  Service: (data) => new Service(data as never),
  PersistentVolumeClaim: (data) => new PersistentVolumeClaim(data as never),
  Event: (data) => new Event(data as never),
  Deployment: (data) => new Deployment(data as never),
  ReplicaSet: (data) => new ReplicaSet(data as never),
  Lease: (data) => new Lease(data as never),
  StorageClass: (data) => new StorageClass(data as never),
  ...deployModels,
};

/** `/spec/template/spec/containers/0` → `spec.template.spec.containers[0]`. */
function fieldPath(pointer: string): string {
  return pointer
    .split('/')
    .filter((part) => part !== '')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

function valueAt(object: unknown, pointer: string): unknown {
  let current = object;
  for (const part of pointer.split('/').filter((p) => p !== '')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** Go's %#v of a value, which the API server prints after "Invalid value:". */
export function goValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (isRecord(value) && Object.values(value).every((v) => typeof v === 'string')) {
    const entries = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
    return `map[string]string{${entries.join(', ')}}`;
  }
  return JSON.stringify(value);
}

function schemaCauses(object: KubeObject): StatusCause[] {
  const model = object.kind ? models[object.kind] : undefined;
  if (!model) return [];
  try {
    model(object).validate();
    return [];
  } catch (error) {
    const errors = (error as { errors?: SchemaError[] }).errors;
    if (!Array.isArray(errors)) {
      return [{ reason: 'FieldValueInvalid', message: String((error as Error).message) }];
    }
    return errors.map((schemaError) => {
      const pointer = schemaError.instancePath ?? '';
      if (schemaError.keyword === 'required') {
        const missing = String(schemaError.params?.['missingProperty'] ?? '');
        const field = [fieldPath(pointer), missing].filter(Boolean).join('.');
        return { reason: 'FieldValueRequired', field, message: `Required value: ${schemaError.message ?? ''}`.trim() };
      }
      return {
        reason: 'FieldValueInvalid',
        field: fieldPath(pointer),
        message: `Invalid value: ${goValue(valueAt(object, pointer))}: ${schemaError.message ?? 'invalid'}`,
      };
    });
  }
}

function invalidValue(field: string, value: unknown, message: string): StatusCause {
  return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${goValue(value)}: ${message}` };
}

function required(field: string, detail = ''): StatusCause {
  return { reason: 'FieldValueRequired', field, message: detail ? `Required value: ${detail}` : 'Required value' };
}

function labelCauses(labels: unknown, field: string): StatusCause[] {
  if (!isRecord(labels)) return [];
  const causes: StatusCause[] = [];
  for (const [key, value] of Object.entries(labels)) {
    for (const message of checkQualifiedName(key)) causes.push(invalidValue(field, key, message));
    for (const message of checkLabelValue(String(value))) causes.push(invalidValue(field, value, message));
  }
  return causes;
}

function annotationCauses(annotations: unknown, field: string): StatusCause[] {
  if (!isRecord(annotations)) return [];
  const causes: StatusCause[] = [];
  let size = 0;
  for (const [key, value] of Object.entries(annotations)) {
    size += key.length + String(value).length;
    for (const message of checkQualifiedName(key)) causes.push(invalidValue(field, key, message));
  }
  if (size > 262144) causes.push({ reason: 'FieldValueTooLong', field, message: 'Too long: must have at most 262144 bytes' });
  return causes;
}

function nameCauses(type: ResourceType, name: string): StatusCause[] {
  if (name === '') return [required('metadata.name', 'name or generateName is required')];
  const check =
    type.nameRule === 'label' ? checkDns1123Label : type.nameRule === 'dns1035' ? checkDns1035Label : checkDns1123Subdomain;
  return check(name).map((message) => invalidValue('metadata.name', name, message));
}

type Container = { name?: unknown; image?: unknown; ports?: { name?: unknown }[] };

function podSpecCauses(spec: unknown, field: string): StatusCause[] {
  if (!isRecord(spec)) return [required(field)];
  const containers = spec['containers'];
  if (!Array.isArray(containers) || containers.length === 0) return [required(`${field}.containers`)];
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  (containers as Container[]).forEach((container, index) => {
    const at = `${field}.containers[${index}]`;
    const name = typeof container.name === 'string' ? container.name : '';
    for (const message of checkDns1123Label(name)) causes.push(invalidValue(`${at}.name`, name, message));
    if (seen.has(name)) causes.push({ reason: 'FieldValueDuplicate', field: `${at}.name`, message: `Duplicate value: ${goValue(name)}` });
    seen.add(name);
    if (typeof container.image !== 'string' || container.image.trim() === '') causes.push(required(`${at}.image`));
    (container.ports ?? []).forEach((port, portIndex) => {
      if (typeof port.name !== 'string' || port.name === '') return;
      for (const message of checkPortName(port.name)) {
        causes.push(invalidValue(`${at}.ports[${portIndex}].name`, port.name, message));
      }
    });
  });
  return causes;
}

function deploymentCauses(object: KubeObject, specField: string): StatusCause[] {
  const spec = object.spec ?? {};
  const causes: StatusCause[] = [];
  const replicas = spec['replicas'];
  if (typeof replicas === 'number' && replicas < 0) {
    causes.push(invalidValue(`${specField}.replicas`, replicas, 'must be greater than or equal to 0'));
  }
  const template = isRecord(spec['template']) ? spec['template'] : {};
  const templateMeta = isRecord(template['metadata']) ? template['metadata'] : {};
  const templateLabels = isRecord(templateMeta['labels']) ? (templateMeta['labels'] as Record<string, string>) : {};
  causes.push(...labelCauses(templateLabels, `${specField}.template.metadata.labels`));
  const selector = isRecord(spec['selector']) ? spec['selector'] : {};
  const selectorEmpty =
    Object.keys(isRecord(selector['matchLabels']) ? selector['matchLabels'] : {}).length === 0 &&
    !(Array.isArray(selector['matchExpressions']) && selector['matchExpressions'].length > 0);
  if (selectorEmpty) {
    causes.push(invalidValue(`${specField}.selector`, selector, 'empty selector is invalid for deployment'));
  } else if (!labelSelectorObjectMatches(selector as never, templateLabels)) {
    causes.push(invalidValue(`${specField}.template.metadata.labels`, templateLabels, '`selector` does not match template `labels`'));
  }
  const podSpec = template['spec'];
  causes.push(...podSpecCauses(podSpec, `${specField}.template.spec`));
  const restartPolicy = isRecord(podSpec) ? podSpec['restartPolicy'] : undefined;
  if (restartPolicy !== undefined && restartPolicy !== 'Always') {
    causes.push({
      reason: 'FieldValueNotSupported',
      field: `${specField}.template.spec.restartPolicy`,
      message: `Unsupported value: ${goValue(restartPolicy)}: supported values: "Always"`,
    });
  }
  return causes;
}

type ServicePort = { name?: unknown; port?: unknown };

function serviceCauses(object: KubeObject): StatusCause[] {
  const spec = object.spec ?? {};
  const causes: StatusCause[] = [];
  const type = spec['type'] ?? 'ClusterIP';
  if (!['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(String(type))) {
    causes.push({
      reason: 'FieldValueNotSupported',
      field: 'spec.type',
      message: `Unsupported value: ${goValue(type)}: supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`,
    });
  }
  const ports = Array.isArray(spec['ports']) ? (spec['ports'] as ServicePort[]) : [];
  if (ports.length === 0 && type !== 'ExternalName' && spec['clusterIP'] !== 'None') causes.push(required('spec.ports'));
  const names = new Set<string>();
  ports.forEach((port, index) => {
    const at = `spec.ports[${index}]`;
    const name = typeof port.name === 'string' ? port.name : '';
    if (name === '' && ports.length > 1) causes.push(required(`${at}.name`));
    if (name !== '') for (const message of checkDns1123Label(name)) causes.push(invalidValue(`${at}.name`, name, message));
    if (name !== '' && names.has(name)) causes.push({ reason: 'FieldValueDuplicate', field: `${at}.name`, message: `Duplicate value: ${goValue(name)}` });
    names.add(name);
    if (typeof port.port === 'number' && (port.port < 1 || port.port > 65535)) {
      causes.push(invalidValue(`${at}.port`, port.port, 'must be between 1 and 65535, inclusive'));
    }
  });
  return causes;
}

function pvcCauses(object: KubeObject): StatusCause[] {
  const spec = object.spec ?? {};
  const causes: StatusCause[] = [];
  if (!Array.isArray(spec['accessModes']) || spec['accessModes'].length === 0) {
    causes.push(required('spec.accessModes', 'at least 1 access mode is required'));
  }
  const resources = isRecord(spec['resources']) ? spec['resources'] : {};
  const requests = isRecord(resources['requests']) ? resources['requests'] : {};
  if (requests['storage'] === undefined) causes.push(required('spec.resources[storage]'));
  return causes;
}

function kindCauses(object: KubeObject): StatusCause[] {
  switch (object.kind) {
    case 'Deployment':
    case 'ReplicaSet':
      return deploymentCauses(object, 'spec');
    case 'Pod':
      return podSpecCauses(object.spec, 'spec');
    case 'Service':
      return serviceCauses(object);
    case 'PersistentVolumeClaim':
      return pvcCauses(object);
    default:
      return [];
  }
}

/** Throws a 422 Status listing every problem, as the API server does. */
export function validateObject(type: ResourceType, object: KubeObject): void {
  const name = object.metadata.name ?? '';
  const causes: StatusCause[] = [
    ...schemaCauses(object),
    ...nameCauses(type, name),
    ...labelCauses(object.metadata.labels, 'metadata.labels'),
    ...annotationCauses(object.metadata.annotations, 'metadata.annotations'),
  ];
  // Kind rules read fields the schema has already vouched for; skip them when it has not.
  if (causes.length === 0) causes.push(...kindCauses(object));
  if (causes.length > 0) throw invalid(type.kind, type.group, name, causes);
}
