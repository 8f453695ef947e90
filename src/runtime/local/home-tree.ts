/**
 * Walks over a home's files, which a student's code wrote: neither walk follows a symbolic link,
 * so a link to `/etc` in a home is counted as a link and never handed to the job's user.
 */

import { lchown, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Entries a usage count looks at before it stops: a home with a Python environment can hold 100k files. */
export const USAGE_ENTRY_LIMIT = 100_000;

export interface TreeUsage {
  bytes: number;
  /** False when the walk stopped at its limit: `bytes` is then what it had counted. */
  complete: boolean;
}

/**
 * Bytes under `root` as `du -sb` counts them (apparent sizes, a hard-linked file once), walking
 * at most `limit` entries. Entries that vanish meanwhile (a job deleting files) count nothing.
 */
export async function treeUsage(root: string, limit = USAGE_ENTRY_LIMIT): Promise<TreeUsage> {
  const linkedSeen = new Set<string>();
  const folders = [root];
  let bytes = 0;
  let visited = 0;
  for (let folder = folders.pop(); folder !== undefined; folder = folders.pop()) {
    for (const name of await readdir(folder).catch(() => [] as string[])) {
      if (visited >= limit) return { bytes, complete: false };
      visited += 1;
      const path = join(folder, name);
      const info = await lstat(path, { bigint: true }).catch(() => undefined);
      if (!info) continue;
      if (info.isDirectory()) folders.push(path);
      else if (info.nlink > 1n) {
        const inode = `${info.dev}:${info.ino}`;
        if (linkedSeen.has(inode)) continue;
        linkedSeen.add(inode);
      }
      bytes += Number(info.size);
    }
  }
  return { bytes, complete: true };
}

/**
 * Gives `root` and everything under it to `uid` (user and group), without following links, when
 * `root` is not already theirs; answers whether it did. The top folder is changed last, so a walk
 * cut short is done again next time. The caller makes sure no process of `uid` runs meanwhile:
 * one could swap a folder for a link between the listing and the change.
 */
export async function reownTree(root: string, uid: number): Promise<boolean> {
  const top = await lstat(root);
  if (top.uid === uid && top.gid === uid) return false;
  const folders = [root];
  for (let folder = folders.pop(); folder !== undefined; folder = folders.pop()) {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      // A Dirent of a link is never a directory, so links are changed themselves, never entered.
      if (entry.isDirectory()) folders.push(path);
      await lchown(path, uid, uid);
    }
  }
  await lchown(root, uid, uid);
  return true;
}
