/**
 * The local runtime's side of its spawner process (spawner-process.ts): jobs' processes are
 * spawned there, so the server's event loop never blocks on a fork of the server. Started at the
 * first spawn, after the runtime has set up its control groups: it joins the server's group, and
 * cgroup v2 lets the runtime hand controllers to job groups only once the server sits in a leaf.
 *
 * If the spawner dies, the jobs it spawned can no longer be watched (their exit status and stderr
 * went with it): their process groups are killed and each is told why, spawns under way fail, and
 * the next spawn starts a new spawner.
 */

import { fork, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import { resolveNodeScript, type NodeScript } from './hello-command.js';
import { signalGroup } from './orphans.js';
import type { SpawnerReply, SpawnRequest } from './spawner-protocol.js';

export interface ProcessCommand {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

/** How a spawned process ended: its status and stderr tail, or why nothing could tell (`lost`). */
export type ProcessExit = { code: number | null; signal: NodeJS.Signals | null; stderr: string } | { lost: string };

export type SpawnFailure = { code: string | undefined; message: string };

/** A process running in its own process group (its pid is its group id), and its end. */
export interface SpawnedProcess {
  pid: number;
  exited: Promise<ProcessExit>;
}

export interface ProcessSpawner {
  spawn(command: ProcessCommand): Promise<SpawnedProcess | { failure: SpawnFailure }>;
}

/** The code of a spawn that failed because the spawner itself was gone or closed. */
export const SPAWNER_GONE = 'ESPAWNER';

type Pending = (outcome: SpawnedProcess | { failure: SpawnFailure }) => void;

export class Spawner implements ProcessSpawner {
  private child: ChildProcess | undefined;
  private nextId = 1;
  /** Requests sent and not yet answered, by id. */
  private readonly pending = new Map<number, Pending>();
  /** Processes spawned and not yet exited, by request id. */
  private readonly running = new Map<number, { pid: number; exit: (exit: ProcessExit) => void }>();
  private closed = false;
  private script: NodeScript | undefined;

  constructor(private readonly logger: Logger) {}

  /** The spawner's own pid while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  spawn(command: ProcessCommand): Promise<SpawnedProcess | { failure: SpawnFailure }> {
    if (this.closed) return Promise.resolve({ failure: { code: SPAWNER_GONE, message: 'the local runtime is closed' } });
    let child: ChildProcess;
    try {
      child = this.child ?? this.startChild();
    } catch (error) {
      return Promise.resolve({ failure: { code: SPAWNER_GONE, message: `could not start the spawner process: ${(error as Error).message}` } });
    }
    const id = this.nextId;
    this.nextId += 1;
    const request: SpawnRequest = { kind: 'spawn', id, ...command };
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.holdLoopWhileBusy();
      child.send(request, (error) => {
        // The request never left (the channel had closed): answered now, not at the spawner's exit.
        if (!error || !this.pending.delete(id)) return;
        resolve({ failure: { code: SPAWNER_GONE, message: `could not reach the spawner process: ${error.message}` } });
        this.holdLoopWhileBusy();
      });
    });
  }

  /** Lets the spawner go; it exits at once. Jobs still running are the caller's to stop first. */
  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Held until it has exited, so that whoever awaits this sees it through.
    child.ref();
    if (child.connected) child.disconnect();
    await exited;
  }

  private startChild(): ChildProcess {
    this.script ??= resolveNodeScript('spawner-process', 'the spawner process');
    // execArgv given: the server's own (--cpu-prof, --inspect) must not carry over.
    const child = fork(this.script.path, [], { execArgv: this.script.nodeArgs, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
    this.child = child;
    child.on('message', (reply: SpawnerReply) => this.receive(reply));
    child.once('exit', (code, signal) => this.lose(child, signal ? `was killed by signal ${signal}` : `exited with code ${code}`));
    // Only a fork that never ran ends in 'error' without 'exit'.
    child.on('error', (error) => {
      if (child.pid === undefined) this.lose(child, `could not start: ${error.message}`);
      else this.logger.warn({ err: error }, 'the spawner process reported an error');
    });
    // The spawner keeps the server running only while it has work (holdLoopWhileBusy).
    child.unref();
    child.channel?.unref();
    this.logger.debug({ pid: child.pid }, 'spawner process started');
    return child;
  }

  private receive(reply: SpawnerReply): void {
    if (reply.kind === 'exited') {
      const spawned = this.running.get(reply.id);
      this.running.delete(reply.id);
      spawned?.exit({ code: reply.code, signal: reply.signal, stderr: reply.stderr });
      this.holdLoopWhileBusy();
      return;
    }
    const resolve = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    if (!resolve) return;
    if (reply.kind === 'failed') {
      resolve({ failure: { code: reply.code, message: reply.message } });
      this.holdLoopWhileBusy();
      return;
    }
    let exit!: (exit: ProcessExit) => void;
    const exited = new Promise<ProcessExit>((done) => (exit = done));
    this.running.set(reply.id, { pid: reply.pid, exit });
    resolve({ pid: reply.pid, exited });
  }

  /**
   * Keeps this process's event loop alive while a spawn is answered or a process runs, as a child
   * process of its own did: the answer and the exit must not be lost to an exit of this process.
   */
  private holdLoopWhileBusy(): void {
    const channel = this.child?.channel;
    if (this.pending.size + this.running.size > 0) channel?.ref();
    else channel?.unref();
  }

  private lose(child: ChildProcess, how: string): void {
    if (this.child !== child) return;
    this.child = undefined;
    const why = `the local runtime's spawner process ${how}`;
    const affected = this.pending.size + this.running.size;
    if (!this.closed || affected > 0) this.logger.error({ pid: child.pid, jobs: affected }, `${why}; a new one starts with the next job`);
    child.channel?.unref();
    for (const resolve of this.pending.values()) resolve({ failure: { code: SPAWNER_GONE, message: why } });
    this.pending.clear();
    for (const { pid, exit } of this.running.values()) {
      // Its exit status and stderr went with the spawner: unwatched, it must not run on.
      signalGroup(pid, 'SIGKILL');
      exit({ lost: `${why}, which watched this job's process; the process was killed` });
    }
    this.running.clear();
  }
}
