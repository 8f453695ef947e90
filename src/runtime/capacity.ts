import type { NodeInfo } from './types.js';

/** Why no node could ever hold a job of `gpu` GPUs, whatever else runs; undefined when the largest can. */
export function gpuShortfall(nodes: readonly NodeInfo[], gpu: number): string | undefined {
  const largest = Math.max(0, ...nodes.map((node) => node.gpuAllocatable));
  if (gpu <= largest) return undefined;
  return `needs ${gpu} GPU(s) and ${largest === 0 ? 'this cluster has none' : `no node has more than ${largest}`}`;
}
