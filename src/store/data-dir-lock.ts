import { closeSync, linkSync, openSync, readFileSync, realpathSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { currentProcessStamp, isProcessRunning, type ProcessStamp } from '../common/process-identity.js';

export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`CLASSLAB_DATA_DIR ${dataDir} is in use by another classlab process (pid ${pid}); stop it or choose another directory`);
  }
}

export interface DataDirLock {
  release(): void;
}

const LOCK_FILE = 'classlab.lock';

/**
 * Directories this process holds. A lock file naming our own pid that is not in here is stale:
 * in a container the server is often pid 1 on every start.
 */
const heldHere = new Set<string>();

/**
 * One process per embedded database directory, as PostgreSQL does with postmaster.pid: the lock
 * file holds the owner's pid (and, on Linux, its start time), is created exclusively, and is taken
 * over when its owner is dead (for example after `kill -9`), a zombie, or its pid now another's. A stale lock is moved aside with an atomic rename, so two
 * processes racing for it cannot both win.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const directory = realpathSync(dataDir);
  if (heldHere.has(directory)) throw new DataDirLockedError(dataDir, process.pid);
  const lockPath = join(directory, LOCK_FILE);
  for (let attempt = 0; attempt < 10; attempt += 1) {
    if (tryCreate(lockPath)) {
      heldHere.add(directory);
      return {
        release: () => {
          heldHere.delete(directory);
          releaseIfOurs(lockPath);
        },
      };
    }
    const holder = readHolder(lockPath);
    if (holder !== undefined && isHeldByOther(holder)) throw new DataDirLockedError(dataDir, holder.pid);
    const aside = `${lockPath}.stale.${process.pid}`;
    try {
      renameSync(lockPath, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // someone else moved it: try again
      throw error;
    }
    // Between reading the pid and the rename, a live process may have replaced the stale lock.
    const moved = readHolder(aside);
    if (moved !== undefined && isHeldByOther(moved)) {
      try {
        linkSync(aside, lockPath);
      } catch {
        // A third process holds the lock now; the loop will report it.
      }
    }
    unlinkSync(aside);
  }
  throw new Error(`could not lock CLASSLAB_DATA_DIR ${dataDir}: the lock file ${lockPath} keeps changing`);
}

function tryCreate(lockPath: string): boolean {
  let fd: number;
  try {
    fd = openSync(lockPath, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    const own = currentProcessStamp();
    writeSync(fd, `${own.pid}\n${own.startTime ?? ''}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The pid on the first line; the start time, where recorded, on the second. */
function readHolder(path: string): ProcessStamp | undefined {
  try {
    const [pidLine, startLine] = readFileSync(path, 'utf8').split('\n');
    const pid = Number.parseInt(pidLine ?? '', 10);
    if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
    const startTime = startLine?.trim();
    return startTime ? { pid, startTime } : { pid };
  } catch {
    return undefined;
  }
}

function isHeldByOther(holder: ProcessStamp): boolean {
  return holder.pid !== process.pid && isProcessRunning(holder);
}

function releaseIfOurs(lockPath: string): void {
  if (readHolder(lockPath)?.pid !== process.pid) return;
  try {
    unlinkSync(lockPath);
  } catch {
    // Already gone; nothing to release.
  }
}
