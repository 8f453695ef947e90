import { closeSync, linkSync, openSync, readFileSync, realpathSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

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
 * file holds the owner's pid, is created exclusively, and is taken over when its owner is dead
 * (for example after `kill -9`). A stale lock is moved aside with an atomic rename, so two
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
    const holder = readPid(lockPath);
    if (holder !== undefined && isHeldByOther(holder)) throw new DataDirLockedError(dataDir, holder);
    const aside = `${lockPath}.stale.${process.pid}`;
    try {
      renameSync(lockPath, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // someone else moved it: try again
      throw error;
    }
    // Between reading the pid and the rename, a live process may have replaced the stale lock.
    const moved = readPid(aside);
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
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isHeldByOther(pid: number): boolean {
  return pid !== process.pid && isAlive(pid);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function releaseIfOurs(lockPath: string): void {
  if (readPid(lockPath) !== process.pid) return;
  try {
    unlinkSync(lockPath);
  } catch {
    // Already gone; nothing to release.
  }
}
