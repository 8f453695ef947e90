/**
 * One job running as a process on this machine: spawned in its own process group (by the spawner
 * process, spawner.ts), probed over HTTP until it answers, watched until it exits, and stopped
 * with SIGTERM then SIGKILL. It knows nothing of ports, GPUs or folders; the runtime hands those
 * in and takes them back on `onExit`.
 */

import { constants } from 'node:os';
import type { Logger } from 'pino';
import type { ServiceUrl } from '../../common/job-ports.js';
import type { RuntimeJobState, RuntimeUpdate } from '../types.js';
import { probeStatus } from './http-probe.js';
import { signalGroup, signalGroupMembers } from './orphans.js';
import { OutputTail } from './output-tail.js';
import type { ProcessExit, ProcessSpawner, SpawnFailure } from './spawner.js';

export interface LocalJobSpec {
  jobId: string;
  /** The catalog entry's name, for messages: "starting jupyter: …". */
  entryName: string;
  argv: [string, ...string[]];
  env: Record<string, string>;
  cwd: string;
  /** The URL probed for readiness. */
  readyUrl: string;
  services: ServiceUrl[];
  origin: string;
  token: string;
  probeIntervalMs: number;
  stopGraceMs: number;
  /**
   * The process is bwrap, which dies at SIGTERM at once and takes the sandbox with it; the
   * polite SIGTERM goes to the processes inside instead, so Jupyter can save and shut down.
   */
  sandboxed?: boolean;
  /** Why the process died, where the runtime knows better than its exit status (out of memory). */
  explainExit?: () => Promise<string | undefined>;
}

/**
 * The readiness probe's first retry; each next one waits twice as long, up to the probe interval.
 * Most jobs answer well within one interval, so a fixed interval made each wait half of one more.
 */
const FIRST_PROBE_RETRY_MS = 50;

export class LocalJob {
  state: RuntimeJobState;
  private processId: number | undefined;
  private stopping: Promise<void> | undefined;
  /** Set the moment the process exits: from then on its pid may belong to someone else. */
  private processGone = false;
  private probeTimer: NodeJS.Timeout | undefined;
  private probeRetryMs = FIRST_PROBE_RETRY_MS;
  private readonly exited: Promise<void>;
  private markExited!: () => void;
  private readonly startedAt = Date.now();

  constructor(
    readonly spec: LocalJobSpec,
    private readonly emit: (update: RuntimeUpdate) => void,
    private readonly logger: Logger,
    /** Called once when the process has exited, whatever the cause: the runtime frees what it held. */
    private readonly onExit: (job: LocalJob) => void,
    private readonly spawner: ProcessSpawner,
  ) {
    this.state = { status: 'Pending', reason: `starting ${spec.entryName}: waiting for ${spec.readyUrl}` };
    this.exited = new Promise((resolve) => (this.markExited = resolve));
  }

  get jobId(): string {
    return this.spec.jobId;
  }

  get pid(): number | undefined {
    return this.processId;
  }

  /** Starts the process; resolves once it runs, or answers why it could not (the command is missing, …). */
  async start(): Promise<SpawnFailure | undefined> {
    const [command, ...args] = this.spec.argv;
    const spawned = await this.spawner.spawn({ command, args, cwd: this.spec.cwd, env: this.spec.env });
    if ('failure' in spawned) {
      this.processGone = true;
      this.markExited();
      return spawned.failure;
    }
    this.processId = spawned.pid;
    void spawned.exited.then((exit) => this.handleExit(exit));
    this.logger.info({ jobId: this.jobId, pid: spawned.pid, command }, 'local job started');
    this.emit({ kind: 'state', jobId: this.jobId, state: this.state });
    this.event('Normal', 'Started', `started ${this.spec.entryName} as process ${spawned.pid}`);
    this.scheduleProbe(0);
    return undefined;
  }

  /** SIGTERM to the process group, SIGKILL after the grace time; resolves once it has exited. */
  stop(): Promise<void> {
    this.stopping ??= this.terminate();
    return this.stopping;
  }

  private async terminate(): Promise<void> {
    this.clearProbe();
    const pid = this.processId;
    if (pid === undefined || this.processGone) {
      await this.exited;
      return;
    }
    if (this.spec.sandboxed) await signalGroupMembers(pid, 'SIGTERM', { except: pid });
    else signalGroup(pid, 'SIGTERM');
    const killTimer = setTimeout(() => {
      if (this.processGone) return;
      this.logger.warn({ jobId: this.jobId, pid, graceMs: this.spec.stopGraceMs }, 'local job ignored SIGTERM; sending SIGKILL');
      this.event('Warning', 'Killed', `process ${pid} did not stop within ${this.spec.stopGraceMs} ms of SIGTERM; sent SIGKILL`);
      signalGroup(pid, 'SIGKILL');
    }, this.spec.stopGraceMs);
    await this.exited;
    clearTimeout(killTimer);
  }

  /** The spawner has killed the rest of its process group already, so nothing holds the port or GPUs. */
  private async handleExit(exit: ProcessExit): Promise<void> {
    this.processGone = true;
    this.clearProbe();
    const pid = this.processId;
    if (this.stopping) {
      this.logger.info({ jobId: this.jobId, pid, ...exit }, 'local job stopped');
    } else {
      const reason = 'lost' in exit ? exit.lost : await this.failureReason(exit);
      this.state = { status: 'Failed', reason };
      this.logger.warn({ jobId: this.jobId, pid, ...exit }, 'local job exited without a stop');
      this.emit({ kind: 'state', jobId: this.jobId, state: this.state });
    }
    this.onExit(this);
    this.markExited();
  }

  private async failureReason({ code, signal, stderr }: { code: number | null; signal: NodeJS.Signals | null; stderr: string }): Promise<string> {
    const explained = await this.spec.explainExit?.().catch(() => undefined);
    const how = explained ?? howItEnded(code, signal ?? (this.spec.sandboxed ? signalOfStatus(code) : null));
    const output = new OutputTail();
    output.push(stderr);
    const tail = output.lines(this.spec.token);
    return tail.length > 0 ? `${how}: ${tail.join('\n')}` : how;
  }

  private scheduleProbe(delayMs: number): void {
    this.probeTimer = setTimeout(() => void this.probe(), delayMs);
    this.probeTimer.unref();
  }

  private clearProbe(): void {
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
  }

  private async probe(): Promise<void> {
    this.probeTimer = undefined;
    if (this.state.status !== 'Pending' || this.stopping) return;
    const status = await probeStatus(this.spec.readyUrl, Math.max(1000, this.spec.probeIntervalMs * 2));
    if (this.state.status !== 'Pending' || this.stopping) return;
    if (status !== undefined && status < 500) {
      const seconds = ((Date.now() - this.startedAt) / 1000).toFixed(1);
      this.state = { status: 'Ready' };
      this.event('Normal', 'Ready', `${this.spec.readyUrl} answered ${status} after ${seconds} s`);
      this.emit({ kind: 'state', jobId: this.jobId, state: this.state });
      return;
    }
    this.scheduleProbe(Math.min(this.probeRetryMs, this.spec.probeIntervalMs));
    this.probeRetryMs *= 2;
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.emit({ kind: 'event', jobId: this.jobId, type, reason, message, at: new Date() });
  }
}

function howItEnded(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by signal ${signal}` : `exited with code ${code}`;
}

/** bwrap reports a program killed by a signal as the shell does: 128 + the signal's number. */
function signalOfStatus(code: number | null): NodeJS.Signals | null {
  if (code === null || code <= 128) return null;
  const entry = Object.entries(constants.signals).find(([, number]) => number === code - 128);
  return (entry?.[0] as NodeJS.Signals | undefined) ?? null;
}
