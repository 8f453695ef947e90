/**
 * Turns one job's command into the command that runs it sandboxed: its control groups made and
 * limited, its passwd entry written, and the launcher that joins the groups, then bwrap, setpriv
 * and (without cgroups) prlimit in front of the job's own program.
 */

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cgroups, JobCgroup, JobLimits } from './cgroups.js';
import { gpuDeviceFiles } from './gpu-devices.js';
import { installRoot } from './host-paths.js';
import { identityFiles, sandboxArguments, type SandboxPrograms } from './sandbox.js';

export interface SandboxSettings {
  programs: SandboxPrograms;
  /** Undefined where no cgroup tree is writable: prlimit limits what it can instead. */
  cgroups: Cgroups | undefined;
  limits: JobLimits;
  /** classlab's own folder: the built-in page's script and its loader live there. */
  appRoot: string;
  /** Folders no job may see: the data folder, the datasets folder. */
  hidden: readonly string[];
}

export interface SandboxedJob {
  jobId: string;
  uid: number;
  /** `<dataDir>/jobs/<id>`, the server's own: the sandbox's passwd and group files go there. */
  folder: string;
  /** The job's home on the host, and where the job sees it. */
  home: string;
  homeMount: string;
  datasets: readonly { name: string; hostPath: string }[];
  /** Where the job sees its datasets, each under its name. */
  datasetsMount: string;
  gpus: readonly string[];
  /** The job's program, as an absolute path, and its arguments. */
  command: readonly [string, ...string[]];
}

export interface PreparedSandbox {
  argv: [string, ...string[]];
  cgroup: JobCgroup | undefined;
}

/** Joins each cgroup named before the command, then becomes the command: nothing escapes. */
const JOIN_CGROUPS = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; n=$((n - 1)); shift; done; exec "$@"';

export async function prepareSandbox(settings: SandboxSettings, job: SandboxedJob): Promise<PreparedSandbox> {
  const passwdFile = join(job.folder, 'passwd');
  const groupFile = join(job.folder, 'group');
  const files = identityFiles(await readFile('/etc/passwd', 'utf8').catch(() => ''), await readFile('/etc/group', 'utf8').catch(() => ''), job.uid, job.homeMount);
  await writeFile(passwdFile, files.passwd, { mode: 0o644 });
  await writeFile(groupFile, files.group, { mode: 0o644 });
  const cgroup = await settings.cgroups?.create(job.jobId, settings.limits);
  const sandbox = sandboxArguments(
    {
      uid: job.uid,
      home: job.home,
      homeMount: job.homeMount,
      passwdFile,
      groupFile,
      datasets: job.datasets,
      datasetsMount: job.datasetsMount,
      devices: gpuDeviceFiles(job.gpus),
      tools: [settings.appRoot, installRoot(process.execPath), installRoot(job.command[0])],
      hidden: settings.hidden,
      ...(cgroup ? {} : { rlimits: { addressSpaceBytes: settings.limits.memoryBytes, processes: settings.limits.processes } }),
    },
    settings.programs,
  );
  const inSandbox: [string, ...string[]] = [settings.programs.bwrap, ...sandbox, ...job.command];
  if (!cgroup) return { argv: inSandbox, cgroup };
  return { argv: ['/bin/sh', '-c', JOIN_CGROUPS, 'classlab-job', String(cgroup.procsFiles.length), ...cgroup.procsFiles, ...inSandbox], cgroup };
}

/** `2147483648` → `2 GiB`, for messages. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}
