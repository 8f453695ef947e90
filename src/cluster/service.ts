import { SpecFailure } from '../common/errors.js';
import type { JobRuntime } from '../runtime/types.js';
import { rootMessage } from '../store/errors.js';

export interface LabelledValue {
  label: string;
  value: string;
}

/** What the cluster offers, as the dataset, image and health routes show it. */
export class ClusterService {
  constructor(
    private readonly runtime: JobRuntime,
    private readonly namespace: string,
  ) {}

  async nodes(): Promise<{ name: string; status: 'Ready' | 'NotReady' }[]> {
    const nodes = await this.runtime.nodes().catch((error: unknown) => {
      throw new SpecFailure(`List Node fail: ${rootMessage(error)}`, { cause: error });
    });
    return nodes.map((node) => ({ name: node.name, status: node.ready ? 'Ready' : 'NotReady' }));
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
