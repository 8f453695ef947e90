/**
 * The files side of a local job: the datasets folder's subfolders, and each job's work folder
 * `<dataDir>/jobs/<jobId>`. A job that mounts its user's home (homes.ts) keeps only the sandbox's
 * files there; one without has its own `home/` there, with its datasets under `datasets/<name>`.
 */

import { chown, mkdir, readdir, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PrivateParents } from './private-parents.js';

/** Subfolders of the datasets folder, sorted; hidden ones are not datasets. Missing folder: none. */
export async function listDatasets(datasetsDir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(datasetsDir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const names: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    // A symlink to a folder counts: an admin may link a dataset in from another disk.
    if (entry.isDirectory() || (entry.isSymbolicLink() && (await isFolder(join(datasetsDir, entry.name))))) names.push(entry.name);
  }
  return names.sort();
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** A name that is one plain path segment, so it cannot climb out of the folder it names a child of. */
export function isPlainName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.startsWith('.') && !/[/\\\0]/.test(name);
}

/** The datasets among `names` that this machine does not have. */
export async function missingDatasets(datasetsDir: string, names: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const name of names) if (!isPlainName(name) || !(await isFolder(join(datasetsDir, name)))) missing.push(name);
  return missing;
}

export interface WorkFolder {
  /** `<dataDir>/jobs/<jobId>`: the server's alone (0700); holds the sandbox's files, and a home of the job's own. */
  path: string;
  /** The job's home on the host: its user's (see {@link WorkFolderRequest.userHome}), or its own `<path>/home`, owned by the job's user, 0700. */
  home: string;
  /**
   * Where the datasets the job asked for appear under their names: `<home>/datasets` in a home of
   * its own; `<path>/datasets` beside a user's home, so that no link is ever written into it.
   */
  datasetsPath: string;
  /** False when the folder was already there (a job id reused), so a failed launch keeps it. */
  created: boolean;
}

export interface WorkFolderRequest {
  datasetsDir: string;
  datasets: readonly string[];
  /**
   * The job's own user id, for a sandboxed job: a home of its own is given to it, and the datasets
   * get empty folders there that the sandbox mounts them on. Without it, the datasets are linked in.
   */
  owner?: number | undefined;
  /** The user's persistent home, for a job that has one: then no home of the job's own is made. */
  userHome?: string | undefined;
  /** The runtime's memory of the data and jobs folders being private already; checked afresh without it. */
  parents?: PrivateParents;
}

/** Job ids that have a work folder. */
export async function listWorkFolders(dataDir: string): Promise<string[]> {
  try {
    return (await readdir(join(dataDir, 'jobs'), { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export function workFolderPath(dataDir: string, jobId: string): string {
  return join(dataDir, 'jobs', jobId);
}

/** Where a job's work folder, home and datasets folder will be, before anything is made. */
export function workFolderLayout(dataDir: string, jobId: string, userHome: string | undefined): Omit<WorkFolder, 'created'> {
  const path = workFolderPath(dataDir, jobId);
  const home = userHome ?? join(path, 'home');
  // Beside a user's home, never inside it: the links of an unsandboxed job go in the work folder.
  return { path, home, datasetsPath: join(userHome === undefined ? home : path, 'datasets') };
}

export async function createWorkFolder(dataDir: string, jobId: string, request: WorkFolderRequest): Promise<WorkFolder> {
  const { path, home, datasetsPath } = workFolderLayout(dataDir, jobId, request.userHome);
  const created = await (request.parents ?? new PrivateParents()).within([dataDir, join(dataDir, 'jobs')], () =>
    mkdir(path, { mode: 0o700 }).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
        return false;
      },
    ),
  );
  const ownHome = request.userHome === undefined;
  const owner = request.owner;
  try {
    // What a reused job id left there goes; a folder just made has nothing to remove.
    if (!created) await rm(ownHome ? home : datasetsPath, { recursive: true, force: true });
    await mkdir(datasetsPath, { recursive: true, mode: 0o700 });
    for (const name of request.datasets) {
      if (owner === undefined) await symlink(join(request.datasetsDir, name), join(datasetsPath, name), 'dir');
      // Beside a user's home, a sandboxed job sees its datasets where the sandbox mounts them: nothing to make.
      else if (ownHome) await mkdir(join(datasetsPath, name));
    }
    if (ownHome && owner !== undefined) {
      for (const folder of [home, datasetsPath, ...request.datasets.map((name) => join(datasetsPath, name))]) await chown(folder, owner, owner);
    }
  } catch (error) {
    if (created) await removeWorkFolder(path);
    throw error;
  }
  return { path, home, datasetsPath, created };
}

export async function removeWorkFolder(path: string): Promise<void> {
  // rm does not follow symlinks, so the datasets themselves are never touched.
  await rm(path, { recursive: true, force: true, maxRetries: 3 });
}
