/**
 * The local runtime: each job is a process on this machine, run from the image catalog's `local`
 * command with a free port, its share of the configured GPUs, its user's home
 * (`<dataDir>/homes/<userId>`, see homes.ts) and its datasets, and a work folder
 * `<dataDir>/jobs/<jobId>` for the rest. Every job runs in a sandbox under its user's user id
 * (see sandbox.ts), with memory, CPU and process limits. The embedded default, so that a single
 * machine can run courses end to end.
 *
 * A job is held from launch until stop(): while it runs, and after it fails, so its Failed state
 * and reason stay visible to jobs() until the jobs service stops it. Its port and GPUs are freed
 * as soon as its process exits.
 */

import { createHash, randomBytes } from 'node:crypto';
import { availableParallelism, hostname, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { ServiceUrl } from '../../common/job-ports.js';
import { Latch } from '../../common/latch.js';
import type { Config } from '../../config/settings.js';
import type { CatalogEntry, ImageCatalog, LocalCommand } from '../../config/image-catalog.js';
import { fillPlaceholders, findCatalogEntry } from '../catalog.js';
import type { IsolationMode, UidRange } from '../../config/local-settings.js';
import { LaunchRefused, RuntimeBusy, RuntimeError, RuntimeNotSynced, RuntimeUnavailable, type JobRuntime, type LaunchSpec, type NodeInfo, type RuntimeJob, type RuntimeJobState, type RuntimeUpdate } from '../types.js';
import { detectCgroups, type Cgroups, type JobCgroup, type JobLimits } from './cgroups.js';
import { jobEnvironment } from './child-env.js';
import { GpuPool } from './gpu-pool.js';
import { resolveHelloScript, type NodeScript } from './hello-command.js';
import { resolveCommand } from './host-paths.js';
import { fetchLastActivity } from './http-probe.js';
import { checkIsolation, type Isolation } from './isolation.js';
import { formatBytes, prepareSandbox } from './job-sandbox.js';
import { LocalHomes } from './homes.js';
import { LocalJob } from './local-job.js';
import { findOrphans, killOrphans } from './orphans.js';
import { freePort, httpOrigin } from './ports.js';
import { datasetsMountFor, homeMountProblem, SANDBOX_HOME, SANDBOX_USER } from './sandbox.js';
import { PrivateParents } from './private-parents.js';
import { Spawner } from './spawner.js';
import { StartQueue } from './start-queue.js';
import { UidPool } from './uid-pool.js';
import { imageReason, runnableImages, whyGpusCannotRun, whyImageCannotRun } from './runnable.js';
import { createWorkFolder, isPlainName, listDatasets, listWorkFolders, missingDatasets, removeWorkFolder, workFolderLayout, workFolderPath, type WorkFolder } from './work-folder.js';

export interface LocalRuntimeOptions {
  /** Address jobs listen on, and the host of their URLs. */
  host: string;
  /** CUDA_VISIBLE_DEVICES values this runtime hands out. */
  gpus: readonly string[];
  /** Folder whose subfolders are the datasets. */
  datasetsDir: string;
  /** Jobs' work folders live under `<dataDir>/jobs/<jobId>`. */
  dataDir: string;
  catalog: ImageCatalog;
  logger: Logger;
  probeIntervalMs?: number;
  /** Time between SIGTERM and SIGKILL when stopping a job. */
  stopGraceMs?: number;
  /** `sandbox` unless said otherwise: `off` runs jobs as the server, for one person's own machine. */
  isolation?: IsolationMode;
  /** User ids for sandboxed jobs. */
  uids?: UidRange;
  limits?: JobLimits;
  /** Jobs this machine runs at once; more are refused as busy. */
  maxJobs?: number;
  /** PATH to find bwrap, setpriv and the catalog's commands on; the server's by default. */
  pathVariable?: string;
  /**
   * Where admitted jobs wait to start: a burst of launches starts a few processes at a time, and
   * the rest is Pending, "waiting to start". One start per core by default (see start-queue.ts).
   */
  startQueue?: StartQueue;
  /** Spawns the jobs' processes; a spawner process of the runtime's own by default. */
  spawner?: Spawner;
}

/** A job admitted by launch() and not yet running: what its start needs, decided at admission. */
interface AdmittedJob {
  spec: LaunchSpec;
  entry: CatalogEntry;
  local: LocalCommand;
  gpus: string[];
  /** The job's user id when sandboxed. */
  uid: number | undefined;
  view: JobView;
  /** Placeholder values of the catalog's command and environment. */
  values: Record<string, string>;
  /** The job's own program (resolved on PATH) and arguments, before any sandbox goes in front. */
  command: [string, ...string[]];
  token: string;
  origin: string;
  services: ServiceUrl[];
  /** Why its start failed: it is listed Failed until stop(), as a process that exited is. */
  failed?: string;
}

const DEFAULT_UIDS: UidRange = { first: 524288, last: 589823 };
const DEFAULT_LIMITS: JobLimits = { memoryBytes: 2 * 2 ** 30, cpus: 2, processes: 1024 };
/** How long a launch refused for a full machine should wait: a job ends, or is culled, meanwhile. */
const RETRY_AFTER_FULL_SECONDS = 60;
/** classlab's own folder (above src/ or dist/): the built-in page and its loader live there. */
const APP_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const DEFAULT_PROBE_INTERVAL_MS = 500;
const DEFAULT_STOP_GRACE_MS = 5000;
const ACTIVITY_TIMEOUT_MS = 3000;
/** Free-port attempts before giving up, when the kernel keeps offering ports another job holds. */
const PORT_ATTEMPTS = 20;

export class LocalRuntime implements JobRuntime {
  readonly kind = 'local' as const;
  readonly homes: LocalHomes;
  private readonly host: string;
  private readonly dataDir: string;
  private readonly datasetsDir: string;
  private readonly catalog: ImageCatalog;
  private readonly logger: Logger;
  private readonly probeIntervalMs: number;
  private readonly stopGraceMs: number;
  private readonly gpuPool: GpuPool;
  private readonly held = new Map<string, LocalJob>();
  /** Launches under way, by job id: a stop() that arrives meanwhile waits for its launch first. */
  private readonly launching = new Map<string, Promise<unknown>>();
  /** Jobs admitted and not yet in `held`: waiting to start, starting, or failed to start. */
  private readonly admitted = new Map<string, AdmittedJob>();
  private readonly startQueue: StartQueue;
  private readonly spawner: Spawner;
  private readonly parents = new PrivateParents();
  private readonly portsInUse = new Map<string, number>();
  private readonly listeners = new Set<(update: RuntimeUpdate) => void>();
  private readonly isolationMode: IsolationMode;
  private readonly uidPool: UidPool;
  private readonly uids: UidRange;
  private readonly limits: JobLimits;
  private readonly maxJobs: number;
  /** Undefined: the server's PATH as it is at each look-up, so that a program installed later is found. */
  private readonly pathVariable: string | undefined;
  /** Found at start; until then nothing launches. */
  private isolation: Isolation = { mode: 'unavailable', problem: 'the local runtime has not started yet' };
  private cgroups: Cgroups | undefined;
  private readonly cgroupsOfJobs = new Map<string, { group: JobCgroup; removed?: Promise<void> }>();
  private helloScript: NodeScript | undefined;
  private synced = false;
  private readonly started = new Latch();
  private closed = false;

  constructor(options: LocalRuntimeOptions) {
    this.host = options.host;
    // Absolute, because the marker must compare equal across lives and dataset links must not
    // depend on the job's working directory.
    this.dataDir = resolve(options.dataDir);
    this.datasetsDir = resolve(options.datasetsDir);
    this.catalog = options.catalog;
    this.logger = options.logger;
    this.probeIntervalMs = options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
    this.stopGraceMs = options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
    this.gpuPool = new GpuPool(options.gpus);
    this.isolationMode = options.isolation ?? 'sandbox';
    this.uids = options.uids ?? DEFAULT_UIDS;
    this.uidPool = new UidPool(this.uids);
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.maxJobs = options.maxJobs ?? defaultMaxJobs(this.limits.memoryBytes);
    this.pathVariable = options.pathVariable;
    this.homes = new LocalHomes(this.dataDir, Date.now, this.parents);
    this.startQueue = options.startQueue ?? new StartQueue(availableParallelism());
    this.spawner = options.spawner ?? new Spawner(this.logger);
  }

  /**
   * Kills what an earlier life of this server left running, then removes every work folder no job
   * of this life holds: their jobs are gone, and nothing would ever stop them to clean up.
   */
  async start(): Promise<void> {
    const ours = new Set([...this.held.values()].flatMap((job) => (job.pid === undefined ? [] : [job.pid])));
    const orphans = await findOrphans(this.dataDir, ours);
    if (orphans.length > 0) {
      this.logger.warn({ orphans }, `killing ${orphans.length} process(es) an earlier run of the server left behind`);
      await killOrphans(orphans, this.stopGraceMs);
    }
    const leftFolders = (await listWorkFolders(this.dataDir)).filter((jobId) => !this.held.has(jobId) && !this.admitted.has(jobId) && !this.launching.has(jobId));
    if (leftFolders.length > 0) {
      this.logger.warn({ jobIds: leftFolders }, `removing ${leftFolders.length} work folder(s) of jobs an earlier run of the server left behind`);
      for (const jobId of leftFolders) await removeWorkFolder(workFolderPath(this.dataDir, jobId));
    }
    this.isolation = await checkIsolation({ mode: this.isolationMode, trialUid: this.uids.first, pathVariable: this.searchPath });
    if (this.isolation.mode === 'sandbox') {
      this.cgroups = await detectCgroups(cgroupScopeOf(this.dataDir));
      const stale = (await this.cgroups?.removeStale(new Set(this.held.keys()))) ?? [];
      if (stale.length > 0) this.logger.info({ jobIds: stale }, `removed the control groups of ${stale.length} job(s) an earlier run of the server left behind`);
    }
    this.synced = true;
    this.started.open();
    for (const warning of this.warnings()) this.logger.warn(warning);
    this.logger.info(
      {
        host: this.host,
        gpus: this.gpuPool.size,
        datasetsDir: this.datasetsDir,
        isolation: this.isolation.mode,
        cgroups: this.cgroups?.version ?? 'none',
        maxJobs: this.maxJobs,
        memoryPerJob: this.limits.memoryBytes === undefined ? 'off' : formatBytes(this.limits.memoryBytes),
        cpusPerJob: this.limits.cpus ?? 'off',
      },
      'local runtime started',
    );
  }

  /** What an admin must know: jobs that cannot launch, run unsandboxed, or are not held to their limits. */
  warnings(): string[] {
    if (this.isolation.mode === 'off') return ['CLASSLAB_LOCAL_ISOLATION=off: local jobs run unsandboxed, as the server\'s own user; any student can read the server\'s secrets and other students\' work'];
    if (this.isolation.mode === 'unavailable') return this.synced ? [this.isolation.problem] : [];
    if (!this.cgroups) {
      if (!this.isolation.programs.prlimit) return ['no writable cgroup tree and no prlimit: the memory, CPU and process limits of local jobs are not enforced'];
      const unenforced = this.limits.cpus === undefined ? '' : '; CPU limits are not enforced';
      return [`no writable cgroup tree: memory and process limits of local jobs fall back to prlimit${unenforced}`];
    }
    return [];
  }

  private get searchPath(): string | undefined {
    return this.pathVariable ?? process.env.PATH;
  }

  /**
   * Stops every job, so a test or a Ctrl-C leaves no process behind. Jobs still waiting to start
   * are taken out of the queue and never start; nothing was made for them but what the launch
   * held in memory (port, GPUs, user id), which is let go. Starts under way finish, then stop.
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled(this.launching.values());
    try {
      await Promise.all([...new Set([...this.admitted.keys(), ...this.held.keys()])].map((jobId) => this.stop(jobId)));
    } finally {
      await this.spawner.close();
      this.listeners.clear();
    }
  }

  /**
   * Admits the job and answers its URLs without waiting for its process: what can be refused
   * (no command, no free user id or GPU, a home path the sandbox cannot mount) is refused here;
   * the work folder, the sandbox and the process follow in the start queue, and a start that
   * fails there reports the job Failed through the updates, as a process that exits does.
   */
  async launch(spec: LaunchSpec): Promise<{ services: ServiceUrl[] }> {
    if (this.closed) throw new RuntimeError('the local runtime is closed', { stage: 'deployment' });
    if (!isPlainName(spec.jobId)) throw new LaunchRefused(`job id ${JSON.stringify(spec.jobId)} cannot name a work folder`);
    if (this.held.has(spec.jobId) || this.admitted.has(spec.jobId) || this.launching.has(spec.jobId)) throw new LaunchRefused(`job ${spec.jobId} is already running`);
    // Registered before the first await, so a second launch of the same id is refused above.
    const launched = this.admitAndQueue(spec);
    this.launching.set(spec.jobId, launched);
    try {
      return await launched;
    } finally {
      this.launching.delete(spec.jobId);
    }
  }

  private async admitAndQueue(spec: LaunchSpec): Promise<{ services: ServiceUrl[] }> {
    // Before the first await: launches arriving together all count each other.
    if (this.activeJobs >= this.maxJobs) {
      throw new RuntimeBusy(`this machine already runs ${this.activeJobs} job(s), its limit (CLASSLAB_LOCAL_MAX_JOBS=${this.maxJobs}); try again when one ends`, RETRY_AFTER_FULL_SECONDS);
    }
    if (this.isolation.mode === 'unavailable') throw new RuntimeUnavailable(this.isolation.problem);
    if (!Number.isInteger(spec.gpu) || spec.gpu < 0) throw new LaunchRefused(`gpu must be a whole number of GPUs, got ${spec.gpu}`);
    const entry = findCatalogEntry(this.catalog, spec.image);
    if (!entry?.local) throw new LaunchRefused(this.noCommandMessage(spec.image));
    const homeProblem = spec.home && this.isolation.mode === 'sandbox' ? homeMountProblem(spec.home.mountPath) : undefined;
    if (homeProblem) throw new LaunchRefused(homeProblem);
    const missing = await missingDatasets(this.datasetsDir, spec.datasets);
    if (missing.length > 0) throw new LaunchRefused(`dataset ${missing.join(', ')} not found in ${this.datasetsDir}`);
    const admitted = await this.admit(spec, entry, entry.local);
    if (this.closed) {
      this.release(spec.jobId);
      throw new RuntimeError('the local runtime is closed', { stage: 'deployment' });
    }
    this.admitted.set(spec.jobId, admitted);
    this.startQueue.enqueue(spec.jobId, () => this.startAdmitted(admitted));
    const position = this.startQueue.position(spec.jobId);
    if (position?.waiting) this.event(spec.jobId, 'Normal', 'Queued', waitingReason(position.ahead));
    return { services: admitted.services };
  }

  /** Jobs that hold a place on this machine: running or starting, not failed. */
  private get activeJobs(): number {
    let count = 0;
    // A launch is in `launching` until its caller resumes, and in `admitted` from just before: once.
    for (const jobId of this.launching.keys()) if (!this.admitted.has(jobId)) count += 1;
    for (const job of this.held.values()) if (job.state.status !== 'Failed') count += 1;
    for (const job of this.admitted.values()) if (job.failed === undefined) count += 1;
    return count;
  }

  /** Takes the job's GPUs, user id and port, and decides its URLs and command line; makes nothing on disk. */
  private async admit(spec: LaunchSpec, entry: CatalogEntry, local: LocalCommand): Promise<AdmittedJob> {
    const gpus = this.gpuPool.take(spec.jobId, spec.gpu);
    if (!gpus) {
      throw new RuntimeError(`not enough GPUs on this machine: the job needs ${spec.gpu}, ${this.gpuPool.free().length} of ${this.gpuPool.size} are free`, { stage: 'deployment' });
    }
    const sandboxed = this.isolation.mode === 'sandbox';
    try {
      // All jobs of one user run as one user id, preferably the one their home already belongs to.
      const uid = sandboxed ? this.uidPool.take(spec.jobId, spec.userId, spec.home && (await this.homes.ownerOf(spec.userId))) : undefined;
      if (sandboxed && uid === undefined) throw new RuntimeBusy(`every user id of CLASSLAB_LOCAL_UIDS (${this.uids.first}-${this.uids.last}) is held by a running job`, RETRY_AFTER_FULL_SECONDS);
      const port = await this.reservePort(spec.jobId);
      const layout = workFolderLayout(this.dataDir, spec.jobId, spec.home ? this.homes.folderOf(spec.userId) : undefined);
      const view = jobView(layout, { sandboxed, mountPath: spec.home?.mountPath });
      const token = randomBytes(24).toString('hex');
      const origin = httpOrigin(this.host, port);
      const values: Record<string, string> = {
        node: process.execPath,
        host: this.host,
        port: String(port),
        token,
        workdir: view.home,
        datasets: view.datasets,
      };
      const [command, ...args] = this.commandLine(local.command, values);
      const program = resolveCommand(command, this.searchPath);
      // A missing program fails the same way on every retry: the catalog names something this
      // machine does not have, so the request cannot be served here.
      if (!program) throw new LaunchRefused(`image ${spec.image} cannot run on this machine: its command ${JSON.stringify(command)} was not found on PATH`);
      const label = (spec.ports[0] ?? entry.ports[0])?.name ?? entry.name;
      const services = [{ label, value: `${origin}${fillPlaceholders(entry.urlPath ?? '/', { token })}` }];
      return { spec, entry, local, gpus, uid, view, values, command: [program, ...args], token, origin, services };
    } catch (error) {
      this.release(spec.jobId);
      if (error instanceof LaunchRefused || error instanceof RuntimeError || error instanceof RuntimeBusy) throw error;
      throw new RuntimeError(`could not prepare job ${spec.jobId}: ${(error as Error).message}`, { stage: 'deployment', cause: error });
    }
  }

  /**
   * The queued part of a launch: the user's home handed over, the work folder and the sandbox
   * made, the process spawned. A failure lets go of everything the launch held or made (never
   * the user's home) and reports the job Failed; it stays listed so until stop().
   */
  private async startAdmitted(admitted: AdmittedJob): Promise<void> {
    const { spec, entry, local, gpus, uid, view, values } = admitted;
    if (this.closed) {
      // close() stops it: nothing is made for a job that could only be stopped at once.
      this.admitted.delete(spec.jobId);
      this.release(spec.jobId);
      return;
    }
    const sandboxed = uid !== undefined;
    let workFolder: WorkFolder | undefined;
    try {
      const userHome = spec.home ? await this.homes.prepare(spec.userId, uid) : undefined;
      workFolder = await createWorkFolder(this.dataDir, spec.jobId, { datasetsDir: this.datasetsDir, datasets: spec.datasets, owner: uid, userHome, parents: this.parents });
      const env = jobEnvironment({
        jobId: spec.jobId,
        runtimeMarker: this.dataDir,
        cudaVisibleDevices: gpus.join(','),
        datasetsFolder: view.datasets,
        home: view.home,
        ...(view.runtimeDir === undefined ? {} : { runtimeDir: view.runtimeDir }),
        ...(sandboxed ? { user: SANDBOX_USER } : {}),
        extra: Object.fromEntries(Object.entries(local.env ?? {}).map(([name, value]) => [name, this.fill(value, values)])),
      }, { ...process.env, PATH: this.searchPath });
      let argv = admitted.command;
      if (this.isolation.mode === 'sandbox' && uid !== undefined) {
        const prepared = await prepareSandbox(
          { programs: this.isolation.programs, cgroups: this.cgroups, limits: this.limits, appRoot: APP_ROOT, hidden: [this.dataDir, this.datasetsDir] },
          {
            jobId: spec.jobId,
            uid,
            folder: workFolder.path,
            home: workFolder.home,
            homeMount: view.home,
            datasets: spec.datasets.map((name) => ({ name, hostPath: join(this.datasetsDir, name) })),
            datasetsMount: view.datasets,
            gpus,
            command: argv,
          },
        );
        argv = prepared.argv;
        if (prepared.cgroup) this.cgroupsOfJobs.set(spec.jobId, { group: prepared.cgroup });
      }
      const job = new LocalJob(
        {
          jobId: spec.jobId,
          entryName: entry.name,
          argv,
          env,
          // bwrap changes into the home inside the sandbox; it starts where the server's user can be.
          cwd: sandboxed ? workFolder.path : workFolder.home,
          readyUrl: `${admitted.origin}${local.readyPath ?? '/'}`,
          services: admitted.services,
          origin: admitted.origin,
          token: admitted.token,
          probeIntervalMs: this.probeIntervalMs,
          stopGraceMs: this.stopGraceMs,
          sandboxed,
          explainExit: () => this.explainExit(spec.jobId),
        },
        (update) => this.publish(update),
        this.logger,
        (exited) => this.release(exited.jobId),
        this.spawner,
      );
      const failure = await job.start();
      if (failure) throw new RuntimeError(`could not start ${JSON.stringify(admitted.command[0])} for image ${spec.image}: ${failure.message}`, { stage: 'deployment' });
      this.held.set(spec.jobId, job);
      this.admitted.delete(spec.jobId);
    } catch (error) {
      this.release(spec.jobId);
      await this.cgroupsOfJobs.get(spec.jobId)?.removed;
      if (workFolder?.created) await removeWorkFolder(workFolder.path).catch((err: unknown) => this.logger.warn({ err, jobId: spec.jobId }, 'could not remove the work folder of a job that failed to start'));
      const reason = error instanceof RuntimeError ? error.message : `could not prepare job ${spec.jobId}: ${(error as Error).message}`;
      admitted.failed = reason;
      this.logger.warn({ err: error, jobId: spec.jobId }, 'local job failed to start');
      this.event(spec.jobId, 'Warning', 'FailedStart', reason);
      this.publish({ kind: 'state', jobId: spec.jobId, state: { status: 'Failed', reason } });
    }
  }

  /** Out of memory, when the kernel says it killed the job for its limit. */
  private async explainExit(jobId: string): Promise<string | undefined> {
    const kills = await this.cgroupsOfJobs.get(jobId)?.group.oomKills();
    if (!kills || this.limits.memoryBytes === undefined) return undefined;
    return `killed: out of memory, over its limit of ${formatBytes(this.limits.memoryBytes)} (CLASSLAB_LOCAL_JOB_MEMORY)`;
  }

  /**
   * Idempotent: a job this runtime does not hold is already stopped. A job still waiting to start
   * leaves the queue and never starts; one starting is stopped once its start is done.
   */
  async stop(jobId: string): Promise<void> {
    await this.launching.get(jobId)?.catch(() => undefined);
    if (this.startQueue.cancel(jobId)) {
      this.admitted.delete(jobId);
      this.release(jobId);
      return;
    }
    await this.startQueue.underWay(jobId);
    // Started (now held), or failed to start: then it let go of everything when it failed.
    this.admitted.delete(jobId);
    const job = this.held.get(jobId);
    if (!job) return;
    await job.stop();
    if (this.held.get(jobId) === job) this.held.delete(jobId);
    await this.cgroupsOfJobs.get(jobId)?.removed;
    await removeWorkFolder(workFolderPath(this.dataDir, jobId)).catch((error: unknown) => {
      throw new RuntimeError(`job ${jobId} stopped, but its work folder could not be removed: ${(error as Error).message}`, { cause: error });
    });
  }

  async jobs(): Promise<RuntimeJob[]> {
    if (!this.synced) throw new RuntimeNotSynced('the local runtime has not started yet');
    const running = [...this.held.values()].map((job) => ({ jobId: job.jobId, state: job.state, services: job.spec.services, complete: true }));
    // Complete: an admitted job has everything it will have until its start, so reconciling must not fail it.
    const admitted = [...this.admitted.values()].map((job) => ({ jobId: job.spec.jobId, state: this.admittedState(job), services: job.services, complete: true }));
    return [...running, ...admitted];
  }

  private admittedState(job: AdmittedJob): RuntimeJobState {
    if (job.failed !== undefined) return { status: 'Failed', reason: job.failed };
    const position = this.startQueue.position(job.spec.jobId);
    return { status: 'Pending', reason: position?.waiting ? waitingReason(position.ahead) : 'starting' };
  }

  private event(jobId: string, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.publish({ kind: 'event', jobId, type, reason, message, at: new Date() });
  }

  whenSynced(): Promise<void> {
    return this.started.opened;
  }

  subscribe(listener: (update: RuntimeUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async nodes(): Promise<NodeInfo[]> {
    const gpuInUse = this.gpuPool.size - this.gpuPool.free().length;
    return [{ name: hostname(), ready: true, gpuAllocatable: this.gpuPool.size, gpuInUse, images: await this.images() }];
  }

  async datasets(): Promise<string[]> {
    return listDatasets(this.datasetsDir);
  }

  /** Only images this machine can run now: those whose catalog entry has a local command that is installed. */
  async images(): Promise<string[]> {
    return runnableImages(this.catalog, this.searchPath);
  }

  async cannotRun(request: { image: string; gpu: number }): Promise<string | undefined> {
    return whyImageCannotRun(this.catalog, request.image, this.searchPath) ?? whyGpusCannotRun(request.gpu, this.gpuPool.size);
  }

  async lastActivity(jobId: string): Promise<Date | undefined> {
    const job = this.held.get(jobId);
    if (!job || job.state.status !== 'Ready') return undefined;
    return fetchLastActivity(job.spec.origin, job.spec.token, ACTIVITY_TIMEOUT_MS);
  }

  private noCommandMessage(image: string): string {
    const runnable = runnableImages(this.catalog, this.searchPath);
    const why = imageReason(this.catalog, image, this.searchPath);
    return `image ${image} cannot run on the local runtime (${why}); images it can run: ${runnable.join(', ') || 'none'}`;
  }

  /** Fills placeholders; a `{hello}` argument of its own becomes the script, after any loader it needs. */
  private commandLine(command: readonly string[], values: Record<string, string>): [string, ...string[]] {
    const argv = command.flatMap((arg) => {
      if (arg !== '{hello}') return [this.fill(arg, values)];
      const hello = this.hello();
      return [...hello.nodeArgs, hello.path];
    });
    const [first, ...rest] = argv;
    if (first === undefined || first === '') throw new LaunchRefused('the catalog entry has an empty local command');
    return [first, ...rest];
  }

  private fill(text: string, values: Record<string, string>): string {
    return fillPlaceholders(text, text.includes('{hello}') ? { ...values, hello: this.hello().path } : values);
  }

  private hello(): NodeScript {
    this.helloScript ??= resolveHelloScript();
    return this.helloScript;
  }

  /** A free port no other job of ours holds: another job's may be free only because it is still starting. */
  private async reservePort(jobId: string): Promise<number> {
    for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt += 1) {
      const port = await freePort(this.host);
      if ([...this.portsInUse.values()].includes(port)) continue;
      this.portsInUse.set(jobId, port);
      return port;
    }
    throw new RuntimeError(`no free port on ${this.host} after ${PORT_ATTEMPTS} attempts`, { stage: 'service' });
  }

  /** Frees what a job held once its process is gone: port, GPUs, user id and control groups. */
  private release(jobId: string): void {
    this.portsInUse.delete(jobId);
    this.gpuPool.release(jobId);
    this.uidPool.release(jobId);
    const cgroup = this.cgroupsOfJobs.get(jobId);
    if (cgroup && !cgroup.removed) {
      cgroup.removed = cgroup.group
        .remove()
        .catch((err: unknown) => this.logger.warn({ err, jobId }, 'could not remove the control groups of a job'))
        .finally(() => this.cgroupsOfJobs.delete(jobId));
    }
  }

  private publish(update: RuntimeUpdate): void {
    for (const listener of this.listeners) {
      try {
        listener(update);
      } catch (error) {
        this.logger.error({ err: error, jobId: update.jobId }, 'a runtime update listener threw');
      }
    }
  }
}

/** The local runtime as the configuration describes it. */
export function localRuntimeFromConfig(config: Config, logger: Logger): LocalRuntime {
  return new LocalRuntime({
    host: config.localHost,
    gpus: config.localGpus,
    datasetsDir: config.localDatasetsDir,
    dataDir: config.dataDir,
    catalog: config.imageCatalog,
    logger,
    isolation: config.localIsolation,
    uids: config.localUids,
    limits: { memoryBytes: config.localJobMemory, cpus: config.localJobCpus, processes: config.localJobProcesses },
    ...(config.localMaxJobs === undefined ? {} : { maxJobs: config.localMaxJobs }),
  });
}

/** As many jobs as the machine's memory holds at their limit each, and no more than 8 per core. */
function defaultMaxJobs(memoryPerJob: number | undefined): number {
  const byCores = 8 * availableParallelism();
  const byMemory = memoryPerJob === undefined ? byCores : Math.floor(totalmem() / memoryPerJob);
  return Math.max(1, Math.min(byCores, byMemory));
}

type JobView = { home: string; datasets: string; runtimeDir?: string };

/**
 * Where a job finds its home, its datasets and, with its user's home, Jupyter's runtime folder: in
 * the sandbox at their in-job paths; unsandboxed, at their folders on this machine (the mount
 * path cannot apply without a sandbox).
 */
function jobView(workFolder: Omit<WorkFolder, 'created'>, job: { sandboxed: boolean; mountPath: string | undefined }): JobView {
  if (!job.sandboxed) {
    if (job.mountPath === undefined) return { home: workFolder.home, datasets: workFolder.datasetsPath };
    return { home: workFolder.home, datasets: workFolder.datasetsPath, runtimeDir: join(workFolder.path, 'jupyter-runtime') };
  }
  if (job.mountPath === undefined) return { home: SANDBOX_HOME, datasets: join(SANDBOX_HOME, 'datasets') };
  // The sandbox's /tmp is the job's own.
  return { home: job.mountPath, datasets: datasetsMountFor(job.mountPath), runtimeDir: '/tmp/jupyter-runtime' };
}

function waitingReason(ahead: number): string {
  return `waiting to start (${ahead} ahead)`;
}

/** One data directory, one set of job groups: another server on this machine has its own. */
function cgroupScopeOf(dataDir: string): string {
  return createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12);
}
