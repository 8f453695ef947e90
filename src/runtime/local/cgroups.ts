/**
 * Memory, CPU and process limits for local jobs through the kernel's control groups: one group
 * per job under the server's own group, on cgroup v2 (the unified tree) or v1 (one tree per
 * controller), whichever holds the memory controller here. The job's launcher joins the groups
 * before it starts anything, so nothing the job forks escapes them. Where neither tree is
 * writable, the runtime falls back to prlimit.
 */

import { readFile, mkdir, readdir, rmdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

export interface JobLimits {
  memoryBytes?: number | undefined;
  cpus?: number | undefined;
  processes: number;
}

export interface JobCgroup {
  /** `cgroup.procs` files the job's launcher writes its pid to. */
  readonly procsFiles: string[];
  /** How often the kernel's OOM killer has killed a process of the job. */
  oomKills(): Promise<number>;
  /** Removes the job's groups; they must be empty of processes. */
  remove(): Promise<void>;
}

export interface Cgroups {
  readonly version: 'v1' | 'v2';
  /** Where the job groups live, for the start-up log. */
  readonly folders: string[];
  create(jobId: string, limits: JobLimits): Promise<JobCgroup>;
  /** Removes the groups of jobs not in `keep`, left by an earlier life of the server. */
  removeStale(keep: ReadonlySet<string>): Promise<string[]>;
}

/**
 * The parent of one server's job groups. Each data directory has its own (`scope`), because two
 * servers on one machine may share a cgroup: one must never take the other's jobs for stale.
 */
const jobsGroup = (scope: string) => `classlab-jobs-${scope}`;
const CPU_PERIOD_US = 100_000;
const V1_CONTROLLERS = ['memory', 'cpu', 'pids'] as const;

interface CgroupMount {
  mountPoint: string;
  /** The folder of the hierarchy this mount shows (not `/` inside a container's namespace). */
  root: string;
  fsType: string;
  options: string[];
}

/** cgroup mounts from /proc/self/mountinfo. */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [fsType, , superOptions] = right.split(' ');
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    mounts.push({ root: fields[3] ?? '/', mountPoint: unescapeMountPath(fields[4] ?? ''), fsType, options: (superOptions ?? '').split(',') });
  }
  return mounts;
}

function unescapeMountPath(path: string): string {
  return path.replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** The process's group in each hierarchy, from /proc/self/cgroup: `memory` → `/a/b`, `` → v2's. */
export function parseOwnGroups(procCgroup: string): Map<string, string> {
  const groups = new Map<string, string>();
  for (const line of procCgroup.split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    for (const controller of (match[1] as string).split(',')) groups.set(controller, match[2] as string);
  }
  return groups;
}

function folderOf(mount: CgroupMount, group: string): string {
  // Inside a cgroup namespace or a container, the mount shows a subtree: paths are relative to it.
  return join(mount.mountPoint, relative(mount.root, group));
}

/** Finds a writable tree; undefined when this machine offers none (then prlimit stands in). */
export async function detectCgroups(scope: string, read: (path: string) => Promise<string> = (path) => readFile(path, 'utf8')): Promise<Cgroups | undefined> {
  let mounts: CgroupMount[];
  let own: Map<string, string>;
  try {
    mounts = parseCgroupMounts(await read('/proc/self/mountinfo'));
    own = parseOwnGroups(await read('/proc/self/cgroup'));
  } catch {
    return undefined;
  }
  const v1Memory = mounts.find((mount) => mount.fsType === 'cgroup' && mount.options.includes('memory'));
  if (v1Memory) return openV1(mounts, own, jobsGroup(scope));
  const v2 = mounts.find((mount) => mount.fsType === 'cgroup2');
  const ownV2 = own.get('');
  if (v2 && ownV2 !== undefined) return openV2(folderOf(v2, ownV2), jobsGroup(scope), read);
  return undefined;
}

async function openV1(mounts: CgroupMount[], own: Map<string, string>, jobsFolder: string): Promise<Cgroups | undefined> {
  const bases = new Map<string, string>();
  for (const controller of V1_CONTROLLERS) {
    const mount = mounts.find((candidate) => candidate.fsType === 'cgroup' && candidate.options.includes(controller));
    const group = own.get(controller);
    if (!mount || group === undefined) continue;
    const base = join(folderOf(mount, group), jobsFolder);
    try {
      await mkdir(base, { recursive: true });
    } catch {
      continue;
    }
    bases.set(controller, base);
  }
  if (!bases.has('memory')) return undefined;
  return {
    version: 'v1',
    folders: [...bases.values()],
    async create(jobId, limits) {
      const folders = [...bases.entries()].map(([controller, base]) => ({ controller, folder: join(base, jobId) }));
      for (const { folder } of folders) await mkdir(folder, { recursive: true });
      const group = jobGroup(folders.map(({ folder }) => folder), async () => counter(await readFile(join(bases.get('memory') as string, jobId, 'memory.oom_control'), 'utf8'), 'oom_kill'));
      try {
        for (const { controller, folder } of folders) await writeV1Limits(controller, folder, limits);
      } catch (error) {
        await group.remove().catch(() => undefined);
        throw error;
      }
      return group;
    },
    removeStale: (keep) => removeStaleGroups([...bases.values()], keep),
  };
}

async function writeV1Limits(controller: string, folder: string, limits: JobLimits): Promise<void> {
  if (controller === 'memory' && limits.memoryBytes !== undefined) {
    await writeFile(join(folder, 'memory.limit_in_bytes'), String(limits.memoryBytes));
    // Swap counts too, where the kernel accounts it; else a job pages out instead of stopping.
    await writeFile(join(folder, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes)).catch(() => undefined);
  }
  if (controller === 'cpu' && limits.cpus !== undefined) {
    await writeFile(join(folder, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
    await writeFile(join(folder, 'cpu.cfs_quota_us'), String(Math.round(limits.cpus * CPU_PERIOD_US)));
  }
  if (controller === 'pids') await writeFile(join(folder, 'pids.max'), String(limits.processes));
}

async function openV2(ownFolder: string, jobsFolder: string, read: (path: string) => Promise<string>): Promise<Cgroups | undefined> {
  const base = join(ownFolder, jobsFolder);
  try {
    const available = (await read(join(ownFolder, 'cgroup.controllers'))).trim().split(/\s+/);
    if (!available.includes('memory')) return undefined;
    const wanted = ['memory', 'cpu', 'pids'].filter((name) => available.includes(name));
    await enableControllers(ownFolder, wanted);
    await mkdir(base, { recursive: true });
    await writeFile(join(base, 'cgroup.subtree_control'), wanted.map((name) => `+${name}`).join(' '));
  } catch {
    return undefined;
  }
  return {
    version: 'v2',
    folders: [base],
    async create(jobId, limits) {
      const folder = join(base, jobId);
      await mkdir(folder, { recursive: true });
      const group = jobGroup([folder], async () => counter(await readFile(join(folder, 'memory.events'), 'utf8'), 'oom_kill'));
      try {
        if (limits.memoryBytes !== undefined) {
          await writeFile(join(folder, 'memory.max'), String(limits.memoryBytes));
          await writeFile(join(folder, 'memory.swap.max'), '0').catch(() => undefined);
        }
        if (limits.cpus !== undefined) await writeFile(join(folder, 'cpu.max'), `${Math.round(limits.cpus * CPU_PERIOD_US)} ${CPU_PERIOD_US}`).catch(() => undefined);
        await writeFile(join(folder, 'pids.max'), String(limits.processes)).catch(() => undefined);
      } catch (error) {
        await group.remove().catch(() => undefined);
        throw error;
      }
      return group;
    },
    removeStale: (keep) => removeStaleGroups([base], keep),
  };
}

/**
 * cgroup v2 lets a group hand controllers to its children only while it holds no process itself,
 * unless it is the root. The server's own group holds the server: move the server into a leaf of
 * its own first, as a delegated service manager would.
 */
async function enableControllers(ownFolder: string, controllers: string[]): Promise<void> {
  const control = join(ownFolder, 'cgroup.subtree_control');
  const request = controllers.map((name) => `+${name}`).join(' ');
  try {
    await writeFile(control, request);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EBUSY') throw error;
    const serverLeaf = join(ownFolder, 'classlab-server');
    await mkdir(serverLeaf, { recursive: true });
    await writeFile(join(serverLeaf, 'cgroup.procs'), String(process.pid));
    await writeFile(control, request);
  }
}

function jobGroup(folders: string[], oomKills: () => Promise<number>): JobCgroup {
  return {
    procsFiles: folders.map((folder) => join(folder, 'cgroup.procs')),
    oomKills: () => oomKills().catch(() => 0),
    async remove() {
      for (const folder of folders) await removeGroup(folder);
    },
  };
}

/** `oom_kill 2` in a flat-keyed cgroup file → 2. */
function counter(text: string, key: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${key} `));
  return Number(line?.slice(key.length + 1) ?? 0) || 0;
}

/** rmdir, retried briefly: the kernel frees a group a moment after its last process is reaped. */
async function removeGroup(folder: string): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await rmdir(folder);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function removeStaleGroups(bases: string[], keep: ReadonlySet<string>): Promise<string[]> {
  const removed = new Set<string>();
  for (const base of bases) {
    const entries = await readdir(base, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory() || keep.has(entry.name)) continue;
      await removeGroup(join(base, entry.name)).then(() => removed.add(entry.name), () => undefined);
    }
  }
  return [...removed];
}
