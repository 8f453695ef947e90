/**
 * Telling whether a process recorded earlier (in a lock file, in a lease) still runs. A pid alone
 * is not enough: `process.kill(pid, 0)` succeeds for a zombie, which a killed server stays until
 * its parent reaps it, and pids are reused. On Linux /proc gives each process's state and start
 * time, so a record holds both; elsewhere only the pid is known.
 */

import { readFileSync, readlinkSync } from 'node:fs';

export interface ProcessStamp {
  pid: number;
  /** Clock ticks after boot at which the process started (/proc/<pid>/stat field 22); absent where /proc is not. */
  startTime?: string;
}

interface ProcStat {
  state: string;
  /** The process group it belongs to (field 5). */
  groupId: number;
  startTime: string;
}

/**
 * `pid (comm) state ppid …`: comm may hold spaces and parentheses, so fields count from the last
 * `)`. Undefined where /proc cannot show the process (no /proc, or another user's hidden by hidepid).
 */
function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state, groupId, startTime] = [fields[0], fields[2], fields[19]];
  return state === undefined || groupId === undefined || startTime === undefined ? undefined : { state, groupId: Number(groupId), startTime };
}

/** The process group of a pid, where /proc shows it. */
export function processGroupOf(pid: number): number | undefined {
  return readProcStat(pid)?.groupId;
}

/** This process, as a record that a later process can check. */
export function currentProcessStamp(): ProcessStamp {
  return processStampOf(process.pid);
}

/** A process's record: with its start time where /proc shows it. */
export function processStampOf(pid: number): ProcessStamp {
  const stat = readProcStat(pid);
  return stat ? { pid, startTime: stat.startTime } : { pid };
}

/**
 * Whether the recorded process still runs: a zombie, or another process that has since been
 * given the same pid, does not.
 */
export function isProcessRunning(stamp: ProcessStamp): boolean {
  const stat = readProcStat(stamp.pid);
  // Where /proc cannot tell, the kernel still can: a pid nobody has is gone.
  if (stat === undefined) return answersSignals(stamp.pid);
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return stamp.startTime === undefined || stamp.startTime === stat.startTime;
}

function answersSignals(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * What processes that see the same pids share: the kernel's boot and the pid namespace. Two
 * containers on one host share the boot but not the namespace, so neither judges the other's
 * pids. Undefined where /proc cannot tell.
 */
export function pidSpace(): string | undefined {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const namespace = readlinkSync('/proc/self/ns/pid');
    return `${boot}/${namespace}`;
  } catch {
    return undefined;
  }
}
