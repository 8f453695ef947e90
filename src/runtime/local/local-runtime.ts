/**
 * The local runtime: each job is a process on this machine, run from the image catalog's `local`
 * command with a free port, its share of the configured GPUs, and a work folder under
 * `<dataDir>/jobs/<jobId>` where its datasets are linked in. The embedded default, so that a
 * single machine (or a laptop with only Node) can run courses end to end.
 *
 * A job is held from launch until stop(): while it runs, and after it fails, so its Failed state
 * and reason stay visible to jobs() until the jobs service stops it. Its port and GPUs are freed
 * as soon as its process exits.
 */

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { Latch } from '../../common/latch.js';
import type { Config } from '../../config/settings.js';
import { catalogImages, fillPlaceholders, findCatalogEntry, type CatalogEntry, type ImageCatalog, type LocalCommand } from '../catalog.js';
import { LaunchRefused, RuntimeError, RuntimeNotSynced, type JobRuntime, type LaunchSpec, type NodeInfo, type RuntimeJob, type RuntimeUpdate, type ServiceUrl } from '../types.js';
import { jobEnvironment } from './child-env.js';
import { GpuPool } from './gpu-pool.js';
import { resolveHelloScript, type HelloScript } from './hello-command.js';
import { fetchLastActivity } from './http-probe.js';
import { LocalJob } from './local-job.js';
import { findOrphans, killOrphans } from './orphans.js';
import { freePort, httpOrigin } from './ports.js';
import { runnableImages, whyGpusCannotRun, whyImageCannotRun } from './runnable.js';
import { createWorkFolder, isPlainName, listDatasets, listWorkFolders, missingDatasets, removeWorkFolder, workFolderPath } from './work-folder.js';

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
}

const DEFAULT_PROBE_INTERVAL_MS = 500;
const DEFAULT_STOP_GRACE_MS = 5000;
const ACTIVITY_TIMEOUT_MS = 3000;
/** Free-port attempts before giving up, when the kernel keeps offering ports another job holds. */
const PORT_ATTEMPTS = 20;

export class LocalRuntime implements JobRuntime {
  readonly kind = 'local' as const;
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
  private readonly portsInUse = new Map<string, number>();
  private readonly listeners = new Set<(update: RuntimeUpdate) => void>();
  private helloScript: HelloScript | undefined;
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
    const leftFolders = (await listWorkFolders(this.dataDir)).filter((jobId) => !this.held.has(jobId) && !this.launching.has(jobId));
    if (leftFolders.length > 0) {
      this.logger.warn({ jobIds: leftFolders }, `removing ${leftFolders.length} work folder(s) of jobs an earlier run of the server left behind`);
      for (const jobId of leftFolders) await removeWorkFolder(workFolderPath(this.dataDir, jobId));
    }
    this.synced = true;
    this.started.open();
    if (process.getuid?.() === 0) this.logger.warn('the server runs as root, so local jobs do too: students\' code gets root on this machine');
    this.logger.info({ host: this.host, gpus: this.gpuPool.size, datasetsDir: this.datasetsDir }, 'local runtime started');
  }

  /** Stops every job, so a test or a Ctrl-C leaves no process behind. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled(this.launching.values());
    await Promise.all([...this.held.keys()].map((jobId) => this.stop(jobId)));
    this.listeners.clear();
  }

  async launch(spec: LaunchSpec): Promise<{ services: ServiceUrl[] }> {
    if (this.closed) throw new RuntimeError('the local runtime is closed', { stage: 'deployment' });
    if (!isPlainName(spec.jobId)) throw new LaunchRefused(`job id ${JSON.stringify(spec.jobId)} cannot name a work folder`);
    if (this.held.has(spec.jobId) || this.launching.has(spec.jobId)) throw new LaunchRefused(`job ${spec.jobId} is already running`);
    // Registered before the first await, so a second launch of the same id is refused above.
    const launched = this.checkAndLaunch(spec);
    this.launching.set(spec.jobId, launched);
    try {
      return await launched;
    } finally {
      this.launching.delete(spec.jobId);
    }
  }

  private async checkAndLaunch(spec: LaunchSpec): Promise<{ services: ServiceUrl[] }> {
    if (!Number.isInteger(spec.gpu) || spec.gpu < 0) throw new LaunchRefused(`gpu must be a whole number of GPUs, got ${spec.gpu}`);
    const entry = findCatalogEntry(this.catalog, spec.image);
    if (!entry?.local) throw new LaunchRefused(this.noCommandMessage(spec.image, entry));
    const missing = await missingDatasets(this.datasetsDir, spec.datasets);
    if (missing.length > 0) throw new LaunchRefused(`dataset ${missing.join(', ')} not found in ${this.datasetsDir}`);
    return this.launchProcess(spec, entry, entry.local);
  }

  private async launchProcess(spec: LaunchSpec, entry: CatalogEntry, local: LocalCommand): Promise<{ services: ServiceUrl[] }> {
    const gpus = this.gpuPool.take(spec.jobId, spec.gpu);
    if (!gpus) {
      throw new RuntimeError(`not enough GPUs on this machine: the job needs ${spec.gpu}, ${this.gpuPool.free().length} of ${this.gpuPool.size} are free`, { stage: 'deployment' });
    }
    let port: number | undefined;
    let workFolder: Awaited<ReturnType<typeof createWorkFolder>> | undefined;
    try {
      port = await this.reservePort(spec.jobId);
      workFolder = await createWorkFolder(this.dataDir, spec.jobId, this.datasetsDir, spec.datasets);
      const token = randomBytes(24).toString('hex');
      const origin = httpOrigin(this.host, port);
      const values: Record<string, string> = {
        node: process.execPath,
        host: this.host,
        port: String(port),
        token,
        workdir: workFolder.path,
        datasets: workFolder.datasetsPath,
      };
      const argv = this.commandLine(local.command, values);
      const env = jobEnvironment({
        jobId: spec.jobId,
        runtimeMarker: this.dataDir,
        cudaVisibleDevices: gpus.join(','),
        datasetsFolder: workFolder.datasetsPath,
        extra: Object.fromEntries(Object.entries(local.env ?? {}).map(([name, value]) => [name, this.fill(value, values)])),
      });
      const label = (spec.ports[0] ?? entry.ports[0])?.name ?? entry.name;
      const services = [{ label, value: `${origin}${fillPlaceholders(entry.urlPath ?? '/', { token })}` }];
      const job = new LocalJob(
        {
          jobId: spec.jobId,
          entryName: entry.name,
          argv,
          env,
          cwd: workFolder.path,
          readyUrl: `${origin}${local.readyPath ?? '/'}`,
          services,
          origin,
          token,
          probeIntervalMs: this.probeIntervalMs,
          stopGraceMs: this.stopGraceMs,
        },
        (update) => this.publish(update),
        this.logger,
        (exited) => this.release(exited.jobId),
      );
      const failure = await job.start();
      if (failure) {
        const command = argv[0];
        // A missing or unrunnable program will fail the same way on every retry: the catalog
        // names something this machine does not have, so the request cannot be served here.
        if (failure.code === 'ENOENT' || failure.code === 'EACCES') {
          throw new LaunchRefused(`image ${spec.image} cannot run on this machine: its command ${JSON.stringify(command)} ${failure.code === 'ENOENT' ? 'was not found on PATH' : 'is not executable'}`);
        }
        throw new RuntimeError(`could not start ${JSON.stringify(command)} for image ${spec.image}: ${failure.message}`, { stage: 'deployment' });
      }
      this.held.set(spec.jobId, job);
      return { services };
    } catch (error) {
      this.release(spec.jobId);
      if (workFolder?.created) await removeWorkFolder(workFolder.path).catch((err: unknown) => this.logger.warn({ err, jobId: spec.jobId }, 'could not remove the work folder of a failed launch'));
      if (error instanceof LaunchRefused || error instanceof RuntimeError) throw error;
      throw new RuntimeError(`could not prepare job ${spec.jobId}: ${(error as Error).message}`, { stage: 'deployment', cause: error });
    }
  }

  /** Idempotent: a job this runtime does not hold is already stopped. */
  async stop(jobId: string): Promise<void> {
    await this.launching.get(jobId)?.catch(() => undefined);
    const job = this.held.get(jobId);
    if (!job) return;
    await job.stop();
    if (this.held.get(jobId) === job) this.held.delete(jobId);
    await removeWorkFolder(workFolderPath(this.dataDir, jobId)).catch((error: unknown) => {
      throw new RuntimeError(`job ${jobId} stopped, but its work folder could not be removed: ${(error as Error).message}`, { cause: error });
    });
  }

  async jobs(): Promise<RuntimeJob[]> {
    if (!this.synced) throw new RuntimeNotSynced('the local runtime has not started yet');
    return [...this.held.values()].map((job) => ({ jobId: job.jobId, state: job.state, services: job.spec.services, complete: true }));
  }

  whenSynced(): Promise<void> {
    return this.started.opened;
  }

  subscribe(listener: (update: RuntimeUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async nodes(): Promise<NodeInfo[]> {
    return [{ name: hostname(), ready: true, gpuAllocatable: this.gpuPool.size, images: await this.images() }];
  }

  async datasets(): Promise<string[]> {
    return listDatasets(this.datasetsDir);
  }

  /** Only images this machine can run now: those whose catalog entry has a local command that is installed. */
  async images(): Promise<string[]> {
    return runnableImages(this.catalog);
  }

  async cannotRun(request: { image: string; gpu: number }): Promise<string | undefined> {
    return whyImageCannotRun(this.catalog, request.image) ?? whyGpusCannotRun(request.gpu, this.gpuPool.size);
  }

  async lastActivity(jobId: string): Promise<Date | undefined> {
    const job = this.held.get(jobId);
    if (!job || job.state.status !== 'Ready') return undefined;
    return fetchLastActivity(job.spec.origin, job.spec.token, ACTIVITY_TIMEOUT_MS);
  }

  private noCommandMessage(image: string, entry: CatalogEntry | undefined): string {
    const runnable = catalogImages(this.catalog.filter((candidate) => candidate.local));
    const why = entry ? `the catalog entry ${JSON.stringify(entry.name)} has no local command` : 'no catalog entry matches it';
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

  private hello(): HelloScript {
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

  private release(jobId: string): void {
    this.portsInUse.delete(jobId);
    this.gpuPool.release(jobId);
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
  });
}
