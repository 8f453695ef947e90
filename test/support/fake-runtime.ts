import { gpuShortfall } from '../../src/runtime/capacity.js';
import { RuntimeError, RuntimeNotSynced, type JobRuntime, type LaunchSpec, type NodeInfo, type RuntimeJob, type RuntimeJobState, type RuntimeUpdate } from '../../src/runtime/types.js';
import type { ServiceUrl } from '../../src/common/job-ports.js';
import { ScriptedHomes } from './scripted-homes.js';

/**
 * A runtime the test drives by hand: it records launches and stops, and the test decides each
 * job's state, the cluster's nodes and datasets, and which call fails. For the jobs service's own
 * rules; the real runtimes have suites of their own.
 */
export class ScriptedRuntime implements JobRuntime {
  readonly kind = 'kubernetes' as const;
  readonly launched: LaunchSpec[] = [];
  readonly stopped: string[] = [];
  readonly running = new Map<string, RuntimeJob>();
  readonly homes = new ScriptedHomes();
  nodeList: NodeInfo[] = [{ name: 'node-1', ready: true, gpuAllocatable: 2, images: ['nvidia/digits:6.0'] }];
  datasetNames = ['mnist', 'cifar-10'];
  /** Images cannotRun() refuses. */
  unrunnableImages: string[] = [];
  synced = true;
  private syncWaiters: (() => void)[] = [];
  activity = new Map<string, Date>();
  /** The next launch fails at this stage. */
  failLaunchAt: 'deployment' | 'service' | undefined;
  failNodes = false;
  /** The next launch throws this, as the runtime would refuse it (busy, unavailable). */
  launchError: Error | undefined;
  /** Launches wait on this, to hold one in flight. */
  launchGate: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<(update: RuntimeUpdate) => void>();

  async start(): Promise<void> {}
  async close(): Promise<void> {}

  async launch(spec: LaunchSpec): Promise<{ services: ServiceUrl[] }> {
    await this.launchGate;
    const refusal = this.launchError;
    this.launchError = undefined;
    if (refusal) throw refusal;
    if (this.failLaunchAt) {
      const stage = this.failLaunchAt;
      this.failLaunchAt = undefined;
      throw new RuntimeError(`admission webhook denied the ${stage}`, { stage });
    }
    this.launched.push(spec);
    const services = [{ label: 'jupyter', value: `http://10.0.0.1:${30000 + this.launched.length}` }];
    this.running.set(spec.jobId, { jobId: spec.jobId, state: { status: 'Pending', reason: 'ContainerCreating' }, services, complete: true });
    return { services };
  }

  async stop(jobId: string): Promise<void> {
    this.stopped.push(jobId);
    this.running.delete(jobId);
  }

  async jobs(): Promise<RuntimeJob[]> {
    if (!this.synced) throw new RuntimeNotSynced('not synced');
    return [...this.running.values()];
  }

  whenSynced(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** Ends a sync the test held back with `synced = false`. */
  finishSync(): void {
    this.synced = true;
    for (const resolve of this.syncWaiters.splice(0)) resolve();
  }

  subscribe(listener: (update: RuntimeUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async nodes(): Promise<NodeInfo[]> {
    if (this.failNodes) throw new RuntimeError('connect ECONNREFUSED 10.0.0.1:6443');
    return this.nodeList;
  }

  async datasets(): Promise<string[]> {
    return this.datasetNames;
  }

  async images(): Promise<string[]> {
    return ['nvidia/digits:6.0'];
  }

  async cannotRun(request: { image: string; gpu: number }): Promise<string | undefined> {
    return this.unrunnableImages.includes(request.image) ? `uses image ${request.image}, which this runtime cannot run` : gpuShortfall(await this.nodes(), request.gpu);
  }

  async lastActivity(jobId: string): Promise<Date | undefined> {
    return this.activity.get(jobId);
  }

  /** Reports a state, as an informer would. */
  report(jobId: string, state: RuntimeJobState): void {
    const job = this.running.get(jobId);
    if (job) job.state = state;
    this.emit({ kind: 'state', jobId, state });
  }

  emit(update: RuntimeUpdate): void {
    for (const listener of this.listeners) listener(update);
  }
}
