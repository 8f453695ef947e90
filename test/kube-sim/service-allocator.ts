// ClusterIP and NodePort allocation. It keeps no state of its own: what is taken is read from the
// stored Services, so deletes free ports with no bookkeeping and dry runs reserve nothing.
import { ApiError, invalid, type StatusCause } from './status.js';
import { isRecord, type KubeObject } from './types.js';

export const nodePortRange = { min: 30000, max: 32767 };

interface Port {
  name?: string;
  port?: number;
  nodePort?: number;
}

function portsOf(service: Readonly<KubeObject> | undefined): Port[] {
  const ports = service?.spec?.['ports'];
  return Array.isArray(ports) ? (ports.filter(isRecord) as Port[]) : [];
}

function needsNodePorts(service: KubeObject): boolean {
  const type = service.spec?.['type'];
  return type === 'NodePort' || type === 'LoadBalancer';
}

function randomFreePort(taken: Set<number>): number {
  const size = nodePortRange.max - nodePortRange.min + 1;
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const candidate = nodePortRange.min + Math.floor(Math.random() * size);
    if (!taken.has(candidate)) return candidate;
  }
  for (let port = nodePortRange.min; port <= nodePortRange.max; port += 1) if (!taken.has(port)) return port;
  throw new ApiError(500, 'Internal error occurred: failed to allocate a nodePort: range is full', 'InternalError');
}

/**
 * Fills in spec.clusterIP and nodePorts for a Service being created or replaced.
 * `others` are every other stored Service; `previous` the one being replaced, whose allocations
 * carry over when the new body leaves them out (as the API server does on update).
 */
export function allocateServiceAddresses(service: KubeObject, others: readonly Readonly<KubeObject>[], previous?: KubeObject): void {
  const spec = service.spec ?? {};
  service.spec = spec;
  const name = service.metadata.name ?? '';

  const previousIp = previous?.spec?.['clusterIP'];
  if (spec['clusterIP'] === undefined || spec['clusterIP'] === '') {
    if (typeof previousIp === 'string') spec['clusterIP'] = previousIp;
    else if (spec['type'] !== 'ExternalName') spec['clusterIP'] = nextClusterIp(others);
  }
  if (typeof spec['clusterIP'] === 'string') spec['clusterIPs'] = [spec['clusterIP']];

  const ports = portsOf(service);
  if (!needsNodePorts(service)) {
    for (const port of ports) delete port.nodePort;
    return;
  }
  const taken = new Set(others.flatMap((other) => portsOf(other).map((port) => port.nodePort ?? 0)));
  const previousPorts = portsOf(previous);
  const causes: StatusCause[] = [];
  ports.forEach((port, index) => {
    const field = `spec.ports[${index}].nodePort`;
    if (port.nodePort === undefined || port.nodePort === 0) {
      const carried = previousPorts.find((old) => old.port === port.port && old.name === port.name)?.nodePort;
      port.nodePort = carried ?? randomFreePort(taken);
    } else if (port.nodePort < nodePortRange.min || port.nodePort > nodePortRange.max) {
      causes.push({
        reason: 'FieldValueInvalid',
        field,
        message:
          `Invalid value: ${port.nodePort}: provided port is not in the valid range. ` +
          `The range of valid ports is ${nodePortRange.min}-${nodePortRange.max}`,
      });
    } else if (taken.has(port.nodePort)) {
      causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${port.nodePort}: provided port is already allocated` });
    }
    taken.add(port.nodePort ?? 0);
  });
  if (causes.length > 0) throw invalid('Service', '', name, causes);
}

function nextClusterIp(others: readonly Readonly<KubeObject>[]): string {
  const taken = new Set(others.map((other) => other.spec?.['clusterIP']));
  // 10.96.0.0/16 of the default 10.96.0.0/12; 10.96.0.1 is the `kubernetes` Service's, as in a cluster.
  for (let n = 1; n < 65535; n += 1) {
    const candidate = `10.96.${Math.floor(n / 256)}.${n % 256}`;
    if (!taken.has(candidate)) return candidate;
  }
  throw new ApiError(500, 'Internal error occurred: failed to allocate a serviceIP: range is full', 'InternalError');
}
