/**
 * Processes an earlier life of this server left running. Jobs run in their own process groups, so
 * a server killed with `kill -9` leaves them behind; they cannot be adopted (their stderr pipes and
 * exit codes went with the old server), so they are found by the marker in their environment and
 * killed. Linux only: elsewhere /proc is missing and nothing is found.
 */

import { readdir, readFile } from 'node:fs/promises';
import { isProcessRunning, processGroupOf } from '../../common/process-identity.js';
import { JOB_ID_VARIABLE, RUNTIME_MARKER } from './child-env.js';

export interface OrphanProcess {
  pid: number;
  jobId: string;
}

function environmentValue(environ: string, name: string): string | undefined {
  const prefix = `${name}=`;
  const entry = environ.split('\0').find((item) => item.startsWith(prefix));
  return entry?.slice(prefix.length);
}

/** Processes whose environment carries a job id and this runtime's marker, except `exclude`. */
export async function findOrphans(marker: string, exclude: ReadonlySet<number>): Promise<OrphanProcess[]> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const orphans: OrphanProcess[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid || exclude.has(pid)) continue;
    let environ: string;
    try {
      // Readable only for our own user's processes; the rest are none of our business.
      environ = await readFile(`/proc/${pid}/environ`, 'utf8');
    } catch {
      continue;
    }
    const jobId = environmentValue(environ, JOB_ID_VARIABLE);
    if (jobId !== undefined && environmentValue(environ, RUNTIME_MARKER) === marker) orphans.push({ pid, jobId });
  }
  return orphans;
}

/**
 * Signals the process group a job leads (spawned detached, its pid is its group id). A group id
 * is not reused while any member lives, so this is safe even after the leader has been reaped.
 */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the whole group is gone already.
  }
}

/** Signals every process of a group but `except`, found through /proc (Linux). */
export async function signalGroupMembers(pgid: number, signal: NodeJS.Signals, options: { except?: number } = {}): Promise<void> {
  for (const pid of await groupMembers(pgid)) {
    if (pid === options.except) continue;
    try {
      process.kill(pid, signal);
    } catch {
      // ESRCH: it exited meanwhile.
    }
  }
}

async function groupMembers(pgid: number): Promise<number[]> {
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((entry) => /^\d+$/.test(entry)).map(Number);
  return pids.filter((pid) => processGroupOf(pid) === pgid);
}

/** The group and the process itself: an orphan found by its environment may not lead a group. */
function signalTree(pid: number, signal: NodeJS.Signals): void {
  signalGroup(pid, signal);
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: already gone.
  }
}

/** SIGTERM, then SIGKILL to what is still alive after `graceMs`; resolves when all are gone. */
export async function killOrphans(orphans: readonly OrphanProcess[], graceMs: number): Promise<void> {
  for (const orphan of orphans) signalTree(orphan.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  let alive = [...orphans];
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    alive = filterAlive(alive);
  }
  for (const orphan of alive) signalTree(orphan.pid, 'SIGKILL');
  const killDeadline = Date.now() + 2000;
  while (alive.length > 0 && Date.now() < killDeadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    alive = filterAlive(alive);
  }
}

/** A zombie counts as gone: it has exited and only waits for its parent to reap it. */
function filterAlive(orphans: readonly OrphanProcess[]): OrphanProcess[] {
  return orphans.filter((orphan) => isProcessRunning({ pid: orphan.pid }));
}
