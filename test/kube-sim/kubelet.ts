// The kubelets of every node: for a pod bound to a node, pull its images (or fail to, in a real
// kubelet's words), start its containers, and report it Ready after a delay, with the Events a
// real kubelet records along the way.
import type { ResourceApi } from './api.js';
import { normalizeImage, nodeImageEntry, imageSize } from './nodes.js';
import { conditionStatus, setCondition } from './pod-resources.js';
import type { EventRecorder } from './recorder.js';
import type { ObjectStore } from './store.js';
import { isRecord, type KubeObject, type StoreEvent } from './types.js';

export interface KubeletOptions {
  pullMs: number;
  readyMs: number;
  failingImages: string[];
}

interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
}

const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

export function pullErrorMessage(image: string): string {
  const reference = normalizeImage(image);
  return (
    `failed to pull and unpack image "${reference}": failed to resolve reference "${reference}": ` +
    'pull access denied, repository does not exist or may require authorization: server message: ' +
    'insufficient_scope: authorization failed'
  );
}

function containersOf(pod: KubeObject): Container[] {
  const containers = Array.isArray(pod.spec?.['containers']) ? pod.spec['containers'].filter(isRecord) : [];
  return containers.map((c) => ({
    name: String(c['name'] ?? ''),
    image: String(c['image'] ?? ''),
    ...(typeof c['imagePullPolicy'] === 'string' ? { imagePullPolicy: c['imagePullPolicy'] } : {}),
  }));
}

export class Kubelets {
  private readonly timers = new Map<string, Set<NodeJS.Timeout>>();
  private readonly started = new Set<string>();
  private readonly failing: RegExp[];
  private podIpCounter = 0;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly api: ResourceApi,
    private readonly recorder: EventRecorder,
    private readonly options: KubeletOptions,
  ) {
    this.failing = options.failingImages.map(globToRegExp);
  }

  start(): void {
    this.unsubscribe = this.store.subscribe((event) => this.onChange(event));
  }

  stop(): void {
    this.unsubscribe?.();
    for (const timers of this.timers.values()) for (const timer of timers) clearTimeout(timer);
    this.timers.clear();
  }

  private onChange(event: StoreEvent): void {
    if (event.resource === 'pods') {
      const uid = event.object.metadata.uid ?? '';
      if (event.type === 'DELETED') {
        for (const timer of this.timers.get(uid) ?? []) clearTimeout(timer);
        this.timers.delete(uid);
        this.started.delete(uid);
      } else if (event.object.spec?.['nodeName'] && !this.started.has(uid)) {
        this.started.add(uid);
        this.later(uid, 0, () => this.startPod(event.object));
      }
    }
    if (event.resource === 'nodes' && event.type === 'MODIFIED' && event.previous) {
      const wasReady = conditionStatus(event.previous, 'Ready') === 'True';
      const isReady = conditionStatus(event.object, 'Ready') === 'True';
      if (wasReady !== isReady) this.nodeReadinessChanged(event.object.metadata.name ?? '', isReady);
    }
  }

  private later(uid: string, delayMs: number, step: () => void): void {
    const timers = this.timers.get(uid) ?? new Set();
    this.timers.set(uid, timers);
    const timer = setTimeout(() => {
      timers.delete(timer);
      step();
    }, delayMs);
    timers.add(timer);
  }

  /** Runs `change` on the pod's latest version, if it still exists. */
  private update(pod: KubeObject, change: (latest: KubeObject) => void): KubeObject | undefined {
    const latest = this.api.find('pods', pod.metadata.namespace, pod.metadata.name ?? '');
    if (!latest || latest.metadata.uid !== pod.metadata.uid) return undefined;
    change(latest);
    return this.api.systemUpdate('pods', latest);
  }

  private source(pod: KubeObject): { component: string; host: string } {
    return { component: 'kubelet', host: String(pod.spec?.['nodeName'] ?? '') };
  }

  private nodeOf(pod: KubeObject): KubeObject | undefined {
    return this.api.find('nodes', undefined, String(pod.spec?.['nodeName'] ?? ''));
  }

  private startPod(pod: KubeObject): void {
    const node = this.nodeOf(pod);
    const hostIP = (Array.isArray(node?.status?.['addresses']) ? node.status['addresses'].filter(isRecord) : []).find(
      (address) => address['type'] === 'InternalIP',
    )?.['address'];
    const containers = containersOf(pod);
    const bound = this.update(pod, (latest) => {
      latest.status = {
        ...latest.status,
        phase: 'Pending',
        ...(hostIP ? { hostIP, hostIPs: [{ ip: hostIP }] } : {}),
        startTime: now(),
        containerStatuses: containers.map((c) => ({
          name: c.name, image: c.image, imageID: '', ready: false, restartCount: 0, started: false,
          state: { waiting: { reason: 'ContainerCreating' } }, lastState: {},
        })),
      };
      setCondition(latest, { type: 'PodReadyToStartContainers', status: 'False' }, { lastProbeTime: null });
      setCondition(latest, { type: 'Initialized', status: 'True' }, { lastProbeTime: null });
      const unready = `containers with unready status: [${containers.map((c) => c.name).join(' ')}]`;
      setCondition(latest, { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: unready }, { lastProbeTime: null });
      setCondition(latest, { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: unready }, { lastProbeTime: null });
    });
    if (!bound) return;
    const present = new Set(
      (Array.isArray(node?.status?.['images']) ? node.status['images'].filter(isRecord) : []).flatMap((entry) =>
        Array.isArray(entry['names']) ? entry['names'].map(String) : [],
      ),
    );
    const toPull = containers.filter((c) => c.imagePullPolicy === 'Always' || !present.has(normalizeImage(c.image)));
    for (const container of containers) {
      const fieldPath = `spec.containers{${container.name}}`;
      if (toPull.includes(container)) {
        this.recorder.record(bound, 'Normal', 'Pulling', `Pulling image "${container.image}"`, this.source(bound), fieldPath);
      } else {
        this.recorder.record(bound, 'Normal', 'Pulled', `Container image "${container.image}" already present on machine`, this.source(bound), fieldPath);
      }
    }
    const uid = pod.metadata.uid ?? '';
    this.later(uid, toPull.length > 0 ? this.options.pullMs : 0, () => this.afterPull(bound, toPull));
  }

  private afterPull(pod: KubeObject, pulled: Container[]): void {
    const failed = pulled.filter((c) => this.failing.some((pattern) => pattern.test(c.image) || pattern.test(normalizeImage(c.image))));
    if (failed.length > 0) {
      this.pullFailed(pod, failed);
      return;
    }
    for (const container of pulled) {
      const fieldPath = `spec.containers{${container.name}}`;
      const took = `${this.options.pullMs}ms`;
      this.recorder.record(pod, 'Normal', 'Pulled',
        `Successfully pulled image "${container.image}" in ${took} (${took} including waiting). Image size: ${imageSize(normalizeImage(container.image))} bytes.`,
        this.source(pod), fieldPath);
    }
    this.rememberImages(pod, pulled);
    const containers = containersOf(pod);
    for (const container of containers) {
      const fieldPath = `spec.containers{${container.name}}`;
      this.recorder.record(pod, 'Normal', 'Created', `Created container: ${container.name}`, this.source(pod), fieldPath);
      this.recorder.record(pod, 'Normal', 'Started', `Started container ${container.name}`, this.source(pod), fieldPath);
    }
    const podIP = this.nextPodIp(pod);
    const running = this.update(pod, (latest) => {
      const startedAt = now();
      latest.status = {
        ...latest.status,
        phase: 'Running',
        podIP,
        podIPs: [{ ip: podIP }],
        containerStatuses: containers.map((c) => ({
          name: c.name, image: normalizeImage(c.image), imageID: nodeImageEntry(c.image).names[0] ?? '',
          containerID: `containerd://${(pod.metadata.uid ?? '').replace(/-/g, '')}${c.name}`.slice(0, 77),
          ready: false, restartCount: 0, started: true, state: { running: { startedAt } }, lastState: {},
        })),
      };
      setCondition(latest, { type: 'PodReadyToStartContainers', status: 'True' }, { lastProbeTime: null });
    });
    if (running) this.later(pod.metadata.uid ?? '', this.options.readyMs, () => this.becomeReady(running));
  }

  private pullFailed(pod: KubeObject, failed: Container[]): void {
    const waiting = (reason: string, message: (c: Container) => string) =>
      this.update(pod, (latest) => {
        const statuses = Array.isArray(latest.status?.['containerStatuses']) ? latest.status['containerStatuses'].filter(isRecord) : [];
        for (const status of statuses) {
          const container = failed.find((c) => c.name === status['name']);
          if (container) status['state'] = { waiting: { reason, message: message(container) } };
        }
      });
    for (const container of failed) {
      const fieldPath = `spec.containers{${container.name}}`;
      this.recorder.record(pod, 'Warning', 'Failed', `Failed to pull image "${container.image}": ${pullErrorMessage(container.image)}`, this.source(pod), fieldPath);
      this.recorder.record(pod, 'Warning', 'Failed', 'Error: ErrImagePull', this.source(pod), fieldPath);
    }
    if (!waiting('ErrImagePull', (c) => pullErrorMessage(c.image))) return;
    // The kubelet backs off before the next pull; until then the container waits in ImagePullBackOff.
    this.later(pod.metadata.uid ?? '', this.options.pullMs, () => {
      for (const container of failed) {
        const fieldPath = `spec.containers{${container.name}}`;
        this.recorder.record(pod, 'Normal', 'BackOff', `Back-off pulling image "${container.image}"`, this.source(pod), fieldPath);
        this.recorder.record(pod, 'Warning', 'Failed', 'Error: ImagePullBackOff', this.source(pod), fieldPath);
      }
      waiting('ImagePullBackOff', (c) => `Back-off pulling image "${c.image}": ErrImagePull: ${pullErrorMessage(c.image)}`);
    });
  }

  private becomeReady(pod: KubeObject): void {
    const node = this.nodeOf(pod);
    // A pod on a NotReady node stays unready; nodeReadinessChanged makes it Ready later.
    if (!node || conditionStatus(node, 'Ready') !== 'True') return;
    this.update(pod, (latest) => setPodReady(latest, true));
  }

  private nodeReadinessChanged(nodeName: string, ready: boolean): void {
    for (const pod of this.api.list('pods')) {
      if (pod.spec?.['nodeName'] !== nodeName || pod.status?.['phase'] !== 'Running') continue;
      if (!ready) this.recorder.record(pod, 'Warning', 'NodeNotReady', 'Node is not ready', { component: 'node-controller' });
      this.update(pod, (latest) => setPodReady(latest, ready));
    }
  }

  private rememberImages(pod: KubeObject, pulled: Container[]): void {
    const node = this.nodeOf(pod);
    if (!node || pulled.length === 0) return;
    const images = Array.isArray(node.status?.['images']) ? node.status['images'].filter(isRecord) : [];
    const known = new Set(images.flatMap((entry) => (Array.isArray(entry['names']) ? entry['names'].map(String) : [])));
    const added = pulled.map((c) => nodeImageEntry(c.image)).filter((entry) => !entry.names.some((n) => known.has(n)));
    if (added.length === 0) return;
    node.status = { ...node.status, images: [...images, ...added] };
    this.api.systemUpdate('nodes', node);
  }

  private nextPodIp(pod: KubeObject): string {
    const node = this.nodeOf(pod);
    const cidr = String(node?.spec?.['podCIDR'] ?? '10.244.0.0/24');
    this.podIpCounter += 1;
    return cidr.replace(/\.0\/24$/, `.${(this.podIpCounter % 250) + 2}`);
  }
}

function setPodReady(pod: KubeObject, ready: boolean): void {
  const statuses = Array.isArray(pod.status?.['containerStatuses']) ? pod.status['containerStatuses'].filter(isRecord) : [];
  const running = statuses.every((status) => isRecord(status['state']) && isRecord(status['state']['running']));
  const isReady = ready && running;
  for (const status of statuses) status['ready'] = isReady;
  const names = statuses.map((s) => String(s['name'])).join(' ');
  if (isReady) {
    setCondition(pod, { type: 'ContainersReady', status: 'True' }, { lastProbeTime: null });
    setCondition(pod, { type: 'Ready', status: 'True' }, { lastProbeTime: null });
  } else {
    setCondition(pod, { type: 'ContainersReady', status: running ? 'True' : 'False' }, { lastProbeTime: null });
    setCondition(pod, { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${names}]` }, { lastProbeTime: null });
  }
}
