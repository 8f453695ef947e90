/**
 * The local runtime's spawner: a small Node process the runtime forks once, which spawns the jobs'
 * processes on its behalf (spawner.ts). Node forks the calling process to spawn, and a fork copies
 * its memory map: from the server (hundreds of MB) each spawn blocked its event loop 10-30 ms,
 * from this process (tens of MB) it blocks only this one. It imports only the output tail and the
 * process-group helpers, so it stays small.
 *
 * Each job is spawned in its own process group, its stderr kept here (bounded); when it exits, the
 * rest of its group is killed, so nothing holds its port or GPUs, and the exit status goes back
 * with the tail. The spawner exits when the runtime disconnects (its server stopped or died): the
 * jobs then live on as they would have without it, and the server's next life finds them as
 * orphans by their environment (orphans.ts).
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { signalGroup } from './orphans.js';
import { OutputTail } from './output-tail.js';
import type { SpawnerReply, SpawnRequest } from './spawner-protocol.js';

/** How long after the exit the last stderr bytes may still be arriving through the pipe. */
const STDERR_DRAIN_MS = 250;

function reply(message: SpawnerReply): void {
  process.send?.(message);
}

function start(request: SpawnRequest): void {
  let child: ChildProcess;
  try {
    child = spawn(request.command, request.args, {
      cwd: request.cwd,
      env: request.env,
      // Its own process group, so a stop reaches whatever it starts (Jupyter's kernels) and a
      // Ctrl-C meant for the server is not delivered to the job as well.
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (error) {
    // Arguments Node refuses before forking (a NUL byte in the environment, …).
    reply({ kind: 'failed', id: request.id, code: (error as NodeJS.ErrnoException).code, message: (error as Error).message });
    return;
  }
  const stderr = new OutputTail();
  let spawned = false;
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.once('spawn', () => {
    spawned = true;
    reply({ kind: 'spawned', id: request.id, pid: child.pid as number });
  });
  child.once('error', (error: NodeJS.ErrnoException) => {
    if (!spawned) reply({ kind: 'failed', id: request.id, code: error.code, message: error.message });
  });
  child.once('exit', (code, signal) => {
    // Whatever the leader started (kernels, workers) goes with it.
    if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    void drained(child).then(() => reply({ kind: 'exited', id: request.id, code, signal, stderr: stderr.contents() }));
  });
}

function drained(child: ChildProcess): Promise<void> {
  const stderr = child.stderr;
  if (!stderr || stderr.readableEnded || stderr.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, STDERR_DRAIN_MS);
    function done(): void {
      clearTimeout(timer);
      resolve();
    }
    stderr.once('end', done);
    stderr.once('close', done);
  });
}

process.on('message', (request: SpawnRequest) => {
  if (request.kind === 'spawn') start(request);
});
process.once('disconnect', () => process.exit(0));
// A Ctrl-C at the server's terminal reaches its whole process group, and a service manager's stop
// may signal every process of the server's: the server then stops its jobs, gracefully, and
// hears their exits through this process, so it stays until the server lets it go.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => undefined);
