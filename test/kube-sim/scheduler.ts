// The scheduler: binds pending pods to Ready nodes with room for their requests (GPUs above all),
// or marks them Unschedulable in kube-scheduler's words and tries again when capacity frees up.
// A pod that fits nowhere preempts lower-priority pods where that makes room (priority.ts), and
// the node it is nominated for keeps that room from pods of lower priority meanwhile.
import type { ResourceApi } from './api.js';
import { conditionStatus, podIsTerminal, podRequests, setCondition, type ResourceAmounts } from './pod-resources.js';
import { planPreemption, podPriority, type NodeFit, type Preemption } from './priority.js';
import { parseQuantity } from './quantities.js';
import type { EventRecorder } from './recorder.js';
import type { ObjectStore } from './store.js';
import { isRecord, type KubeObject, type StoreEvent } from './types.js';

export interface SchedulerOptions {
  gpuResource: string;
  scheduleMs: number;
}

type Fit = NodeFit;

export class Scheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private retryTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly api: ResourceApi,
    private readonly recorder: EventRecorder,
    private readonly options: SchedulerOptions,
  ) {}

  start(): void {
    this.unsubscribe = this.store.subscribe((event) => this.onChange(event));
    for (const pod of this.api.list('pods')) if (!pod.spec?.['nodeName']) this.scheduleSoon(pod);
  }

  stop(): void {
    this.unsubscribe?.();
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  private onChange(event: StoreEvent): void {
    if (event.resource === 'pods') {
      if (event.type === 'ADDED' && !event.object.spec?.['nodeName']) this.scheduleSoon(event.object);
      // Capacity frees when a bound pod goes away or finishes.
      const wasBound = Boolean((event.previous ?? event.object).spec?.['nodeName']);
      if (event.type === 'DELETED') {
        this.forget(event.object);
        if (wasBound) this.retryUnschedulable();
      }
      if (event.type === 'MODIFIED' && wasBound && podIsTerminal(event.object) && event.previous && !podIsTerminal(event.previous)) {
        this.retryUnschedulable();
      }
    }
    if (event.resource === 'nodes' && event.type !== 'DELETED') this.retryUnschedulable();
    // A claim that binds (or appears) may free a pod that waited for it.
    if (event.resource === 'persistentvolumeclaims' && event.type !== 'DELETED' && event.object.status?.['phase'] === 'Bound') this.retryUnschedulable();
  }

  private forget(pod: KubeObject): void {
    const uid = pod.metadata.uid ?? '';
    const timer = this.timers.get(uid);
    if (timer) clearTimeout(timer);
    this.timers.delete(uid);
  }

  private scheduleSoon(pod: KubeObject): void {
    const uid = pod.metadata.uid ?? '';
    if (this.timers.has(uid)) return;
    const { namespace, name = '' } = pod.metadata;
    this.timers.set(uid, setTimeout(() => {
      this.timers.delete(uid);
      this.attempt(namespace, name);
    }, this.options.scheduleMs));
  }

  /** Waits a little so a burst of changes (a deployment's pods all deleted) is one retry. */
  private retryUnschedulable(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      for (const pod of this.api.peek('pods', (pod) => !pod.spec?.['nodeName'] && conditionStatus(pod, 'PodScheduled') === 'False')) this.scheduleSoon(pod);
    }, Math.max(1, this.options.scheduleMs));
  }

  private attempt(namespace: string | undefined, name: string): void {
    const pod = this.api.find('pods', namespace, name);
    if (!pod || pod.spec?.['nodeName'] || podIsTerminal(pod)) return;
    const nodes = this.api.list('nodes').sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
    const claimProblem = this.claimProblem(pod);
    if (claimProblem !== undefined) {
      this.markUnschedulable(pod, `0/${nodes.length} nodes are available: ${claimProblem}.`);
      return;
    }
    const fits = nodes.map((node) => this.fit(pod, node));
    const gpu = this.options.gpuResource;
    const candidates = fits
      .filter((fit) => fit.reasons.length === 0)
      .sort((a, b) => (b.free[gpu] ?? 0) - (a.free[gpu] ?? 0) || (b.free['cpu'] ?? 0) - (a.free['cpu'] ?? 0));
    const chosen = candidates[0];
    if (chosen) {
      this.bind(pod, chosen.node);
      return;
    }
    const preemption = planPreemption(pod, fits, (nodeName) => this.boundTo(nodeName), gpu);
    if (preemption) this.preempt(pod, preemption);
    this.markUnschedulable(pod, unschedulableMessage(fits), preemption?.node.metadata.name);
  }

  private boundTo(nodeName: string): readonly Readonly<KubeObject>[] {
    return this.api.peek('pods', (pod) => pod.spec?.['nodeName'] === nodeName && !podIsTerminal(pod));
  }

  /** Evicts the victims at once (the simulator has no grace period); their controllers make new pods, which wait. */
  private preempt(pod: KubeObject, { node, victims }: Preemption): void {
    const by = `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
    for (const victim of victims) {
      this.recorder.record(victim as KubeObject, 'Normal', 'Preempted', `Preempted by ${by} on node ${node.metadata.name ?? ''}`, { component: 'default-scheduler' });
      this.api.delete('pods', victim.metadata.namespace, victim.metadata.name ?? '');
    }
  }

  /** The VolumeBinding plugin's verdict before any node is tried: every claim must exist and be Bound. */
  private claimProblem(pod: KubeObject): string | undefined {
    const volumes = Array.isArray(pod.spec?.['volumes']) ? pod.spec['volumes'].filter(isRecord) : [];
    let unbound = false;
    for (const volume of volumes) {
      const source = isRecord(volume['persistentVolumeClaim']) ? volume['persistentVolumeClaim'] : undefined;
      if (source === undefined) continue;
      const claimName = String(source['claimName'] ?? '');
      const claim = this.api.find('persistentvolumeclaims', pod.metadata.namespace, claimName);
      if (!claim) return `persistentvolumeclaim "${claimName}" not found`;
      if (claim.status?.['phase'] !== 'Bound') unbound = true;
    }
    return unbound ? 'pod has unbound immediate PersistentVolumeClaims' : undefined;
  }

  private fit(pod: KubeObject, node: KubeObject): Fit {
    const reasons: string[] = [];
    const nodeName = node.metadata.name ?? '';
    const taints = Array.isArray(node.spec?.['taints']) ? node.spec['taints'].filter(isRecord) : [];
    const blocking = taints.find((taint) => taint['effect'] === 'NoSchedule' || taint['effect'] === 'NoExecute');
    if (blocking) reasons.push(`node(s) had untolerated taint {${String(blocking['key'])}: ${String(blocking['value'] ?? '')}}`);
    else if (conditionStatus(node, 'Ready') !== 'True') reasons.push('node(s) had untolerated taint {node.kubernetes.io/not-ready: }');
    if (node.spec?.['unschedulable'] === true) reasons.push('node(s) were unschedulable');
    const selector = isRecord(pod.spec?.['nodeSelector']) ? pod.spec['nodeSelector'] : {};
    const labels = node.metadata.labels ?? {};
    if (Object.entries(selector).some(([key, value]) => labels[key] !== value)) {
      reasons.push("node(s) didn't match Pod's node affinity/selector");
    }
    const allocatable = isRecord(node.status?.['allocatable']) ? node.status['allocatable'] : {};
    const used: ResourceAmounts = { pods: 0 };
    // Read in place: one attempt looks at every node, and copying every pod for each node made
    // scheduling cost the square of the pods.
    // Pods nominated here by a preemption count as placed, unless less important than this one.
    const holds = (other: Readonly<KubeObject>): boolean =>
      other.spec?.['nodeName'] === nodeName ||
      (!other.spec?.['nodeName'] && other.status?.['nominatedNodeName'] === nodeName && other.metadata.uid !== pod.metadata.uid && podPriority(other) >= podPriority(pod));
    for (const other of this.api.peek('pods', (candidate) => holds(candidate) && !podIsTerminal(candidate))) {
      used['pods'] = (used['pods'] ?? 0) + 1;
      for (const [resource, amount] of Object.entries(podRequests(other, this.options.gpuResource))) {
        used[resource] = (used[resource] ?? 0) + amount;
      }
    }
    const free: ResourceAmounts = {};
    for (const [resource, quantity] of Object.entries(allocatable)) free[resource] = parseQuantity(quantity) - (used[resource] ?? 0);
    if ((free['pods'] ?? 0) < 1) reasons.push('Too many pods');
    for (const [resource, amount] of Object.entries(podRequests(pod, this.options.gpuResource))) {
      if (amount > 0 && amount > (free[resource] ?? 0)) reasons.push(`Insufficient ${resource}`);
    }
    return { node, reasons, free };
  }

  private bind(pod: KubeObject, node: KubeObject): void {
    const nodeName = node.metadata.name ?? '';
    pod.spec = { ...pod.spec, nodeName };
    if (pod.status) delete pod.status['nominatedNodeName'];
    setCondition(pod, { type: 'PodScheduled', status: 'True' }, { lastProbeTime: null });
    this.api.systemUpdate('pods', pod);
    this.recorder.record(pod, 'Normal', 'Scheduled', `Successfully assigned ${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''} to ${nodeName}`, {
      component: 'default-scheduler',
    });
  }

  private markUnschedulable(pod: KubeObject, message: string, nominatedNodeName?: string): void {
    setCondition(pod, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }, { lastProbeTime: null });
    pod.status = { ...pod.status, phase: 'Pending', ...(nominatedNodeName ? { nominatedNodeName } : {}) };
    this.api.systemUpdate('pods', pod);
    this.recorder.record(pod, 'Warning', 'FailedScheduling', message, { component: 'default-scheduler' });
  }
}

/** `0/2 nodes are available: 1 Insufficient cpu, 2 Insufficient nvidia.com/gpu.` */
export function unschedulableMessage(fits: Fit[]): string {
  if (fits.length === 0) return 'no nodes available to schedule pods';
  const counts = new Map<string, number>();
  for (const fit of fits) for (const reason of fit.reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  const reasons = [...counts.entries()].map(([reason, count]) => `${count} ${reason}`).sort();
  return `0/${fits.length} nodes are available: ${reasons.join(', ')}.`;
}
