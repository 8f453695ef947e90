/**
 * Questions about this machine's files that the sandbox asks before it is made: where a command
 * lives, which folder a program was installed under, and whether a job's own user, which is no
 * one's account, could reach a path at all.
 */

import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve, sep } from 'node:path';

/** The executable `command` names, as execvp would find it on `pathVariable`; undefined when none. */
export function resolveCommand(command: string, pathVariable: string | undefined): string | undefined {
  if (command.includes('/')) return isExecutableFile(resolve(command)) ? resolve(command) : undefined;
  for (const folder of (pathVariable ?? '').split(delimiter)) {
    if (folder === '' || !isAbsolute(folder)) continue;
    const candidate = join(folder, command);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The folder a program was installed into, so that its interpreter and libraries come along:
 * `/opt/venv/bin/jupyter` → `/opt/venv`; a program not in a `bin` folder → its own folder.
 */
export function installRoot(executable: string): string {
  let real = executable;
  try {
    real = realpathSync(executable);
  } catch {
    // A dangling link: the path as given is the best answer.
  }
  const folder = dirname(real);
  return folder.endsWith(`${sep}bin`) ? dirname(folder) : folder;
}

/** `/a/b/c` → `['/a', '/a/b', '/a/b/c']`. */
export function pathPrefixes(path: string): string[] {
  const parts = resolve(path).split(sep).filter((part) => part !== '');
  return parts.map((_, index) => sep + parts.slice(0, index + 1).join(sep));
}

/** Whether `path` is `folder` or lies inside it. */
export function isWithin(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

/**
 * The outermost folder above `path` that users other than its owner cannot pass through (no
 * `x` for others), such as `/root` or a `mktemp -d` folder; undefined when every one is open.
 */
export function closedAncestor(path: string, isOpen: (folder: string) => boolean = isOpenToOthers): string | undefined {
  return pathPrefixes(path)
    .slice(0, -1)
    .find((folder) => !isOpen(folder));
}

function isOpenToOthers(folder: string): boolean {
  try {
    return (statSync(folder).mode & 0o001) !== 0;
  } catch {
    return false;
  }
}
