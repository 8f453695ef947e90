/** What the runtime tells about nodes: readiness, GPUs, images, and where NodePorts answer. */

import type { V1ContainerImage, V1Node, V1Pod } from '@kubernetes/client-node';
import type { NodeInfo } from '../types.js';

export function isNodeReady(node: V1Node): boolean {
  return node.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false;
}

/** The first Ready node's ExternalIP, else its InternalIP: where NodePorts answer when nobody said. */
export function nodePortHostOf(nodes: readonly V1Node[]): string | undefined {
  for (const node of nodes) {
    if (!isNodeReady(node)) continue;
    const addresses = node.status?.addresses ?? [];
    const address = addresses.find((a) => a.type === 'ExternalIP') ?? addresses.find((a) => a.type === 'InternalIP');
    if (address) return address.address;
  }
  return undefined;
}

/**
 * Container runtimes report Docker Hub images in full (`docker.io/library/python:3.12`); people and
 * the catalog write them as Docker does (`python:3.12`), so that is how they are listed.
 */
export function familiarImageName(name: string): string {
  if (name.startsWith('docker.io/library/')) return name.slice('docker.io/library/'.length);
  if (name.startsWith('docker.io/')) return name.slice('docker.io/'.length);
  return name;
}

/**
 * A node lists each image under several names, digests among them (`repo@sha256:…`). The tagged
 * name is what a course can ask for; a digest-only image is named by its repository.
 */
export function imageName(image: V1ContainerImage): string | undefined {
  const names = image.names ?? [];
  const tagged = names.find((name) => !name.includes('@'));
  const first = tagged ?? names[0]?.split('@')[0];
  return first === undefined ? undefined : familiarImageName(first);
}

/** Allocatable quantities of extended resources are whole numbers; anything else counts as none. */
function wholeQuantity(value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value.trim())) return 0;
  return Number(value.trim());
}

/**
 * GPUs held per node by the pods given (classlab's own), from their containers' limits: extended
 * resources are requested as limits. Pods that ended hold none.
 */
export function gpusInUseByNode(pods: readonly V1Pod[], gpuResource: string): Map<string, number> {
  const used = new Map<string, number>();
  for (const pod of pods) {
    const node = pod.spec?.nodeName;
    if (!node || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    const gpus = (pod.spec?.containers ?? []).reduce((total, container) => total + wholeQuantity(container.resources?.limits?.[gpuResource]), 0);
    used.set(node, (used.get(node) ?? 0) + gpus);
  }
  return used;
}

export function nodeInfoOf(node: V1Node, gpuResource: string, gpuInUse?: Map<string, number>): NodeInfo {
  const name = node.metadata?.name ?? '';
  return {
    name,
    ready: isNodeReady(node),
    gpuAllocatable: wholeQuantity(node.status?.allocatable?.[gpuResource]),
    ...(gpuInUse ? { gpuInUse: gpuInUse.get(name) ?? 0 } : {}),
    images: (node.status?.images ?? []).flatMap((image) => {
      const name = imageName(image);
      return name === undefined ? [] : [name];
    }),
  };
}
