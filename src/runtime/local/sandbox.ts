/**
 * The sandbox every local job runs in, made with bubblewrap (the sandbox Flatpak uses) and
 * setpriv. bwrap runs as root so that it can mount what the job needs from anywhere; setpriv then
 * drops to the job's own user id, with no capabilities and no way to gain any, before the job's
 * program starts. Inside, the job sees:
 * - its own processes only (PID namespace), so not the server's environment nor another job's;
 * - the machine's files read-only, with `/home` (other people's homes), `/tmp`, the server's data
 *   folder and the datasets folder hidden behind empty folders;
 * - its home, writable: its user's persistent home at the course's mount path, or, for a job
 *   without one, a home of its own at {@link SANDBOX_HOME};
 * - the datasets it asked for, read-only: beside a persistent home (at {@link datasetsMountFor}),
 *   so that nothing is ever written into it; inside a job's own home otherwise;
 * - a private `/tmp` and `/dev/shm`, a minimal `/dev`, and the device files of its GPUs only.
 * The network is shared: the job serves its page on a port of this machine.
 */

import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { closedAncestor, isWithin, pathPrefixes } from './host-paths.js';

/** Where a job's home is, inside the sandbox, when no course or setting says otherwise. */
export const SANDBOX_HOME = '/home/classlab';
export const SANDBOX_USER = 'classlab';
/** Folders every job gets empty and its own, whatever the machine has there. */
const PRIVATE_FOLDERS = ['/home', '/tmp'];

export interface SandboxLayout {
  uid: number;
  /** The job's home on the host, and where the job sees it (writable). */
  home: string;
  homeMount: string;
  /** passwd and group files that name the job's user, mounted over /etc's. */
  passwdFile: string;
  groupFile: string;
  /** Datasets, mounted read-only at `<datasetsMount>/<name>`. */
  datasets: readonly { name: string; hostPath: string }[];
  datasetsMount: string;
  /** Device files the job may open, such as `/dev/nvidia0` and `/dev/nvidiactl`. */
  devices: readonly string[];
  /** Folders the job's programs need (the node binary's, classlab's own): kept visible. */
  tools: readonly string[];
  /** Folders the job must not see (the server's data folder, the datasets folder). */
  hidden: readonly string[];
  /** Limits applied by prlimit, where cgroups cannot hold the job. */
  rlimits?: { addressSpaceBytes?: number; processes?: number };
}

export interface SandboxPrograms {
  bwrap: string;
  setpriv: string;
  prlimit?: string;
}

interface HostView {
  exists(path: string): boolean;
  /** The outermost folder above a path that others cannot pass through. */
  closedAncestor(path: string): string | undefined;
}

const realHost: HostView = { exists: existsSync, closedAncestor: (path) => closedAncestor(path) };

type Mount = { kind: 'tmpfs' | 'ro-bind'; path: string };

/**
 * The mounts that keep tools visible and hidden folders hidden. A tool under a private folder, or
 * under a folder only its owner may enter (`/root`, a `mktemp -d`), is mounted again at its own
 * path, above an empty folder in place of the closed one. Parents come before children, so a data
 * folder inside classlab's own folder is hidden even though classlab's folder is mounted.
 */
function visibilityMounts(layout: SandboxLayout, host: HostView): Mount[] {
  const mounts: Mount[] = PRIVATE_FOLDERS.map((path) => ({ kind: 'tmpfs', path }));
  for (const tool of layout.tools) {
    const closed = host.closedAncestor(tool);
    const underPrivate = PRIVATE_FOLDERS.some((folder) => isWithin(tool, folder));
    if (closed && !mounts.some((mount) => mount.path === closed)) mounts.push({ kind: 'tmpfs', path: closed });
    if (closed || underPrivate) mounts.push({ kind: 'ro-bind', path: tool });
  }
  // A folder that does not exist shows nothing; and bwrap cannot make one on the read-only root.
  for (const path of layout.hidden) if (host.exists(path)) mounts.push({ kind: 'tmpfs', path });
  const depth = (path: string) => pathPrefixes(path).length;
  return mounts.sort((a, b) => depth(a.path) - depth(b.path));
}

/** bwrap's arguments up to and including `--`, then setpriv's and prlimit's; the command follows. */
export function sandboxArguments(layout: SandboxLayout, programs: SandboxPrograms, host: HostView = realHost): string[] {
  const args = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--perms', '1777', '--tmpfs', '/dev/shm'];
  for (const mount of visibilityMounts(layout, host)) {
    if (mount.kind === 'tmpfs') args.push(...(mount.path === '/tmp' ? ['--perms', '1777'] : []), '--tmpfs', mount.path);
    else args.push('--ro-bind', mount.path, mount.path);
  }
  const makeFolders = (folders: string[]) => {
    for (const folder of folders) args.push('--perms', '0755', '--dir', folder);
  };
  makeFolders(foldersToMake(dirname(layout.homeMount), layout.homeMount));
  args.push('--bind', layout.home, layout.homeMount);
  // The datasets folder is there even when empty, as `{datasets}` and $CLASSLAB_DATASETS say.
  makeFolders(foldersToMake(layout.datasetsMount, layout.homeMount));
  for (const dataset of layout.datasets) args.push('--ro-bind', dataset.hostPath, `${layout.datasetsMount}/${dataset.name}`);
  args.push('--ro-bind', layout.passwdFile, '/etc/passwd', '--ro-bind', layout.groupFile, '/etc/group');
  for (const device of layout.devices) args.push('--dev-bind', device, device);
  args.push('--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--hostname', 'classlab', '--chdir', layout.homeMount, '--');
  args.push(...dropPrivileges(programs.setpriv, layout.uid));
  const { addressSpaceBytes, processes } = layout.rlimits ?? {};
  if (programs.prlimit && (addressSpaceBytes !== undefined || processes !== undefined)) {
    args.push(programs.prlimit, ...(addressSpaceBytes === undefined ? [] : [`--as=${addressSpaceBytes}`]), ...(processes === undefined ? [] : [`--nproc=${processes}`]), '--');
  }
  return args;
}

/**
 * `folder` and those above it that bwrap would make inside a private folder's empty tmpfs, for a
 * mount point: it makes them root's and 0700, which the job's user could not pass, so they are
 * made 0755 first. Folders inside the home are the job's own, and those outside private folders
 * exist already.
 */
function foldersToMake(folder: string, home: string): string[] {
  return pathPrefixes(folder).filter((candidate) => PRIVATE_FOLDERS.some((root) => candidate !== root && isWithin(candidate, root)) && !isWithin(candidate, home));
}

/**
 * Where a job with a persistent home at `homeMount` finds its datasets: `/home/datasets`, beside
 * the usual homes, so that the mount points are never made inside the home; `/tmp/datasets` for a
 * home at `/home` itself (or at `/home/datasets`).
 */
export function datasetsMountFor(homeMount: string): string {
  const candidates = ['/home/datasets', '/tmp/datasets'];
  return candidates.find((folder) => !isWithin(folder, homeMount) && !isWithin(homeMount, folder)) ?? '/tmp/datasets';
}

/**
 * Why the sandbox cannot show a home at `mountPath`, or undefined when it can: the machine's files
 * are mounted read-only, so a mount point outside the private folders (`/home`, `/tmp`) must exist
 * already, and the sandbox's own files (`/etc`, `/dev`, `/proc`) cannot be covered.
 */
export function homeMountProblem(mountPath: string, exists: (path: string) => boolean = existsSync): string | undefined {
  const reserved = ['/etc', '/dev', '/proc'].find((folder) => isWithin(folder, mountPath) || isWithin(mountPath, folder));
  if (reserved) return `the local sandbox cannot mount a home at ${mountPath}: ${reserved} is the sandbox's own`;
  if (PRIVATE_FOLDERS.some((folder) => isWithin(mountPath, folder)) || exists(mountPath)) return undefined;
  return `the local sandbox cannot mount a home at ${mountPath}: it shows this machine's files read-only, so a home path outside /home and /tmp must be a folder that exists on the machine`;
}

/** setpriv to the job's user and group alone, with no capabilities and no way to gain any. */
export function dropPrivileges(setpriv: string, uid: number): string[] {
  return [setpriv, `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--'];
}

/** passwd and group lines that give the job's user id a name and a home, after the machine's own. */
export function identityFiles(hostPasswd: string, hostGroup: string, uid: number, home: string = SANDBOX_HOME): { passwd: string; group: string } {
  const withNewline = (text: string) => (text === '' || text.endsWith('\n') ? text : `${text}\n`);
  return {
    passwd: `${withNewline(hostPasswd)}${SANDBOX_USER}:x:${uid}:${uid}:classlab job:${home}:/bin/sh\n`,
    group: `${withNewline(hostGroup)}${SANDBOX_USER}:x:${uid}:\n`,
  };
}
