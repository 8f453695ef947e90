/**
 * The seam between the jobs service and wherever jobs run, in the spirit of JupyterHub's Spawner:
 * launch, stop, a stream of state changes and events, and what the cluster offers (nodes,
 * datasets, images). The jobs service owns the database; a runtime owns its cluster and never
 * writes job rows itself.
 */

import type { PortSpec, ServiceUrl } from '../common/job-ports.js';

/** Everything a runtime needs to start one job. Names are the real ones; runtimes sanitise. */
export interface LaunchSpec {
  jobId: string;
  userId: string;
  userName: string;
  courseId: string;
  courseName: string;
  image: string;
  gpu: number;
  /** Dataset names as courses store them (without the PVC prefix). */
  datasets: readonly string[];
  /** Ports the course names itself; when empty the runtime takes them from the image catalog. */
  ports: readonly PortSpec[];
  /** The user's home, made before the launch by the homes service, and where the job sees it. */
  home?: { name: string; mountPath: string; capacity: string };
}

/**
 * What a runtime can say about a job. `Created` is the jobs service's own state (the row exists,
 * nothing runs yet), so a runtime starts at `Pending`.
 */
export type RuntimeJobState =
  | { status: 'Pending'; reason: string }
  | { status: 'Ready' }
  | { status: 'Failed'; reason: string };

/** One job as the runtime sees it now, for reconciling. */
export interface RuntimeJob {
  jobId: string;
  state: RuntimeJobState;
  services: ServiceUrl[];
  /** False when only part of the job's objects exist: a launch that was interrupted, or a job that lost one. */
  complete: boolean;
  /** For an incomplete job, why it is: the reason to give if the job had all its objects before. */
  missing?: string;
}

export type RuntimeUpdate =
  /** The job's state changed (level-triggered: the same state may be reported again). */
  | { kind: 'state'; jobId: string; state: RuntimeJobState }
  /** Something happened to the job, for progress pages: scheduling, pulling, probes. */
  | { kind: 'event'; jobId: string; type: 'Normal' | 'Warning'; reason: string; message: string; at: Date }
  /** The job's objects disappeared without a stop from us. */
  | { kind: 'gone'; jobId: string; reason: string };

export interface NodeInfo {
  name: string;
  ready: boolean;
  /** GPUs this node can give to jobs (allocatable), 0 when it has none. */
  gpuAllocatable: number;
  /** GPUs that classlab's jobs hold on this node, where the runtime can tell. */
  gpuInUse?: number;
  /** Images present on the node, by name (`repo/name:tag`). */
  images: string[];
}

export interface JobRuntime {
  readonly kind: 'local' | 'kubernetes';
  /** Connects and starts watching. Resolves once watching has begun; it need not be synced. */
  start(): Promise<void>;
  close(): Promise<void>;
  /**
   * Creates the job's objects and answers its URLs. On failure nothing the launch created is left
   * behind, and the error is a {@link RuntimeError} (cluster fault) or {@link LaunchRefused}
   * (the request cannot be served, such as an image with no command in the local catalog).
   */
  launch(spec: LaunchSpec): Promise<{ services: ServiceUrl[] }>;
  /** Deletes everything the job has. Idempotent: stopping a job that is gone succeeds. */
  stop(jobId: string): Promise<void>;
  /** Every job the runtime holds objects for. Rejects with RuntimeNotSynced before the first sync. */
  jobs(): Promise<RuntimeJob[]>;
  /** Resolves once jobs() can answer, so reconciling after a start need not wait for a timer. */
  whenSynced(): Promise<void>;
  /** Adds a listener for updates; answers a function that removes it. */
  subscribe(listener: (update: RuntimeUpdate) => void): () => void;
  nodes(): Promise<NodeInfo[]>;
  /** Dataset names, without the PVC prefix. */
  datasets(): Promise<string[]>;
  /** Images a course can use here now: on Kubernetes those on the nodes plus the catalog's; locally those whose command is installed. */
  images(): Promise<string[]>;
  /**
   * Why a job of this image and GPU count could never start here, as far as the runtime can tell
   * now, worded to follow "course <name> " and naming what would work; undefined when it could.
   */
  cannotRun(request: { image: string; gpu: number }): Promise<string | undefined>;
  /** When the job's environment was last used, where the runtime can tell; otherwise undefined. */
  lastActivity(jobId: string): Promise<Date | undefined>;
  /** Users' persistent homes on this runtime. */
  readonly homes: HomeVolumes;
  /** What an admin must know about how jobs run here (unsandboxed, cannot launch), one line each. */
  warnings?(): string[];
  /** Placeholders that hold classrooms' reserved GPUs ahead of their windows, where the runtime has them. */
  readonly placeholders?: PlaceholderPods;
}

/** GPUs one classroom wants held by placeholders now. */
export interface PlaceholderWant {
  classroomId: string;
  gpu: number;
}

/**
 * Low-priority pods that keep GPUs warm for a classroom until real jobs preempt them (z2jh's user
 * placeholders). Level-triggered: each sync makes what is wanted and removes every other.
 */
export interface PlaceholderPods {
  sync(wanted: readonly PlaceholderWant[]): Promise<void>;
}

export const HOME_STATES = ['Absent', 'Pending', 'Bound', 'Lost'] as const;
export type HomeState = (typeof HOME_STATES)[number];

/** A home as the runtime holds it. */
export interface HomeStatus {
  state: HomeState;
  /** Why it is not Bound, in the cluster's words ("no persistent volumes available…"). */
  reason?: string;
  /** Bytes used, where the runtime can tell. */
  usedBytes?: number;
  /** Size the runtime actually gives it, where it can tell (a claim's status.capacity). */
  capacity?: string;
}

/** One user's home, as the homes service describes it to a runtime. */
export interface HomeRef {
  name: string;
  userId: string;
  userName: string;
  /** Requested size, a Kubernetes quantity. */
  capacity: string;
}

/**
 * Users' persistent homes where jobs run: a PersistentVolumeClaim each on Kubernetes, a folder
 * each locally. A home is never owned by a job, so it outlives every job. The homes service owns
 * the rows; a runtime owns the storage.
 */
export interface HomeVolumes {
  /** True when one home cannot be mounted by two jobs at once (a ReadWriteOnce claim). */
  readonly singleAttach: boolean;
  /** Makes the home if it is absent; idempotent. Answers its state now. */
  ensure(home: HomeRef): Promise<HomeStatus>;
  status(home: HomeRef): Promise<HomeStatus>;
  /** Grows the home; rejects with {@link HomeExpansionRefused} when the storage cannot grow. */
  expand(home: HomeRef, capacity: string): Promise<void>;
  /** Deletes the home and everything in it; a home that is absent is already deleted. */
  remove(home: HomeRef): Promise<void>;
}

/** The storage cannot grow this home (a StorageClass without allowVolumeExpansion): 409 with why. */
export class HomeExpansionRefused extends Error {
  override readonly name = 'HomeExpansionRefused';
}

/** The cluster (or machine) failed: the API answered an error or could not be reached. */
export class RuntimeError extends Error {
  override readonly name: string = 'RuntimeError';
  /** Which step of a launch failed, for the spec's messages. */
  readonly stage: 'deployment' | 'service' | 'other';
  constructor(message: string, options: { stage?: 'deployment' | 'service' | 'other'; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.stage = options.stage ?? 'other';
  }
}

/** The runtime's settings cannot work (no cluster to talk to): the start stops with this one line. */
export class RuntimeSetupError extends RuntimeError {
  override readonly name = 'RuntimeSetupError';
}

/** The launch asks for something this runtime cannot give; the caller's request is at fault. */
export class LaunchRefused extends Error {
  override readonly name = 'LaunchRefused';
}

/** The machine is full for now (its job limit, its user ids): the same launch may succeed later. */
export class RuntimeBusy extends Error {
  override readonly name = 'RuntimeBusy';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** The runtime cannot launch anything until an admin fixes the machine (no sandbox can be made). */
export class RuntimeUnavailable extends Error {
  override readonly name = 'RuntimeUnavailable';
}

/** The runtime has not finished its first listing, so it cannot tell what exists yet. */
export class RuntimeNotSynced extends Error {
  override readonly name = 'RuntimeNotSynced';
}
