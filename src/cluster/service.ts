import { SpecFailure } from '../common/errors.js';
import type { JobRuntime, NodeInfo } from '../runtime/types.js';
import { rootMessage } from '../store/errors.js';

export interface LabelledValue {
  label: string;
  value: string;
}

export interface NodeCapacity {
  name: string;
  ready: boolean;
  /** `used` and `free` are null where the runtime cannot tell what its jobs hold. */
  gpu: { resource: string; total: number; used: number | null; free: number | null };
}

/** What the cluster offers, as the dataset, image and health routes show it. */
export class ClusterService {
  constructor(
    private readonly runtime: JobRuntime,
    private readonly namespace: string,
    /** The resource name GPUs go by, e.g. nvidia.com/gpu. */
    private readonly gpuResource: string,
  ) {}

  async nodes(): Promise<{ name: string; status: 'Ready' | 'NotReady' }[]> {
    return (await this.listNodes()).map((node) => ({ name: node.name, status: node.ready ? 'Ready' : 'NotReady' }));
  }

  /** Each node with its GPUs: all it can give to jobs, those classlab's jobs hold, and the rest. */
  async capacity(): Promise<NodeCapacity[]> {
    return (await this.listNodes()).map((node) => {
      const used = node.gpuInUse ?? null;
      return {
        name: node.name,
        ready: node.ready,
        gpu: { resource: this.gpuResource, total: node.gpuAllocatable, used, free: used === null ? null : Math.max(node.gpuAllocatable - used, 0) },
      };
    });
  }

  private listNodes(): Promise<NodeInfo[]> {
    return this.runtime.nodes().catch((error: unknown) => {
      throw new SpecFailure(`List Node fail: ${rootMessage(error)}`, { cause: error });
    });
  }

  /** How jobs run here, where an admin must act: unsandboxed, or unable to launch. */
  warnings(): string[] {
    return this.runtime.warnings?.() ?? [];
  }

  async datasets(): Promise<LabelledValue[]> {
    const names = await this.runtime.datasets().catch((error: unknown) => {
      throw new SpecFailure(`List Kubernetes ${this.namespace} namespace PVC fail: ${rootMessage(error)}`, { cause: error });
    });
    return names.map(labelled);
  }

  async images(): Promise<LabelledValue[]> {
    const images = await this.runtime.images().catch((error: unknown) => {
      throw new SpecFailure(`List Node fail: ${rootMessage(error)}`, { cause: error });
    });
    return images.map(labelled);
  }
}

function labelled(value: string): LabelledValue {
  return { label: value, value };
}
