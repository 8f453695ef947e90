// Node objects as a kubelet would report them: capacity, allocatable, conditions, addresses, images.
import { createHash } from 'node:crypto';
import type { KubeObject } from './types.js';

export interface SimNode {
  name: string;
  gpus?: number;
  images?: string[];
  ready?: boolean;
  address?: string;
  /** CPU cores; 8 when absent. */
  cpu?: number;
  /** Memory as a quantity; "32Gi" when absent. */
  memory?: string;
}

export const defaultNodes = (): SimNode[] => [
  { name: 'node-1', gpus: 2 },
  { name: 'node-2', gpus: 2 },
];

/** `jupyter/base-notebook` → `docker.io/jupyter/base-notebook:latest`, as container runtimes name images. */
export function normalizeImage(image: string): string {
  const [first = '', ...rest] = image.split('/');
  const hasRegistry = rest.length > 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let reference = hasRegistry ? image : `docker.io/${rest.length === 0 ? `library/${image}` : image}`;
  const lastSegment = reference.split('/').pop() ?? '';
  if (!lastSegment.includes(':') && !reference.includes('@')) reference += ':latest';
  return reference;
}

export function imageSize(image: string): number {
  const digest = createHash('sha256').update(image).digest();
  return 50_000_000 + (digest.readUInt32BE(0) % 1_500_000_000);
}

/** The two names a kubelet reports for a pulled image: by digest and by tag. */
export function nodeImageEntry(image: string): { names: string[]; sizeBytes: number } {
  const normalized = normalizeImage(image);
  const repository = normalized.replace(/[:@][^/]*$/, '');
  const digest = createHash('sha256').update(normalized).digest('hex');
  return { names: [`${repository}@sha256:${digest}`, normalized], sizeBytes: imageSize(normalized) };
}

export function readyCondition(ready: boolean, since: string): Record<string, unknown> {
  return ready
    ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: since, lastTransitionTime: since }
    : {
        type: 'Ready', status: 'False', reason: 'KubeletNotReady',
        message: 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
        lastHeartbeatTime: since, lastTransitionTime: since,
      };
}

export const notReadyTaint = { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' };

export function buildNode(node: SimNode, index: number, gpuResource: string): KubeObject {
  const since = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const ready = node.ready ?? true;
  const gpus = node.gpus ?? 0;
  const resources: Record<string, string> = {
    cpu: String(node.cpu ?? 8),
    'ephemeral-storage': '102626232Ki',
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: node.memory ?? '32Gi',
    pods: '110',
    ...(gpus > 0 ? { [gpuResource]: String(gpus) } : {}),
  };
  const pressure = (type: string, reason: string, message: string) => ({
    type, status: 'False', reason, message, lastHeartbeatTime: since, lastTransitionTime: since,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': node.name,
        'kubernetes.io/os': 'linux',
        ...(gpus > 0 ? { 'nvidia.com/gpu.present': 'true' } : {}),
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: {
      podCIDR: `10.244.${index}.0/24`,
      podCIDRs: [`10.244.${index}.0/24`],
      ...(ready ? {} : { taints: [notReadyTaint] }),
    },
    status: {
      capacity: resources,
      allocatable: { ...resources, cpu: String(node.cpu ?? 8) },
      conditions: [
        pressure('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        pressure('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        pressure('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        readyCondition(ready, since),
      ],
      addresses: [
        { type: 'InternalIP', address: node.address ?? `192.168.49.${index + 2}` },
        { type: 'Hostname', address: node.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: createHash('md5').update(node.name).digest('hex'),
        systemUUID: createHash('md5').update(`uuid-${node.name}`).digest('hex'),
        bootID: createHash('md5').update(`boot-${node.name}`).digest('hex'),
        kernelVersion: '6.1.0-28-amd64',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'containerd://1.7.24',
        kubeletVersion: 'v1.32.4',
        kubeProxyVersion: 'v1.32.4',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      images: (node.images ?? []).map(nodeImageEntry),
    },
  };
}
