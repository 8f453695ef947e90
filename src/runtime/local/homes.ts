/**
 * Users' homes on the local runtime: a folder each, `<dataDir>/homes/<userId>/`, mode 0700, in a
 * `homes` folder that is the server's alone (0700). A sandbox hides the whole data folder and
 * mounts only its own user's home, and each user's jobs run under a user id of their own, so no
 * job reaches another user's home.
 *
 * Capacity is reported as requested and not enforced: a folder has no size of its own, and
 * holding it to one needs filesystem quotas (project quotas on XFS or ext4), which this runtime
 * does not set up. Used bytes are counted by walking the folder.
 */

import { lstat, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RuntimeError, type HomeRef, type HomeStatus, type HomeVolumes } from '../types.js';
import { reownTree, treeUsage } from './home-tree.js';
import { PrivateParents } from './private-parents.js';
import { isPlainName } from './work-folder.js';

/** How long a count of used bytes is answered again: a page that lists every home, refreshed, must not walk them all each time. */
const USAGE_CACHE_MS = 10_000;

export function homesFolder(dataDir: string): string {
  return join(dataDir, 'homes');
}

export class LocalHomes implements HomeVolumes {
  /** A folder can be mounted by any number of jobs at once. */
  readonly singleAttach = false;
  private readonly usage = new Map<string, { bytes: number; at: number }>();
  /** Each user's home handed to a new owner, by user id: launches of one user wait for each other's. */
  private readonly handovers = new Map<string, Promise<unknown>>();

  constructor(
    private readonly dataDir: string,
    private readonly now: () => number = Date.now,
    private readonly parents: PrivateParents = new PrivateParents(),
  ) {}

  /** The host folder of a user's home; refuses an id that is not one plain path segment. */
  folderOf(userId: string): string {
    if (!isPlainName(userId)) throw new RuntimeError(`user id ${JSON.stringify(userId)} cannot name a home folder`);
    return join(homesFolder(this.dataDir), userId);
  }

  /** Called before every launch: answers without counting used bytes, which would slow each launch. */
  async ensure(home: HomeRef): Promise<HomeStatus> {
    await this.makeFolder(home.userId);
    return { state: 'Bound', capacity: home.capacity };
  }

  async status(home: HomeRef): Promise<HomeStatus> {
    const folder = this.folderOf(home.userId);
    const info = await lstat(folder).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!info) return { state: 'Absent' };
    if (!info.isDirectory()) return { state: 'Lost', reason: `${folder} is not a folder`, capacity: home.capacity };
    return { state: 'Bound', usedBytes: await this.usedBytes(folder), capacity: home.capacity };
  }

  /** Succeeds and records nothing: the capacity is the homes service's row, and nothing here enforces one. */
  async expand(): Promise<void> {}

  async remove(home: HomeRef): Promise<void> {
    const folder = this.folderOf(home.userId);
    // rm does not follow links: a link in the home to elsewhere is removed, not what it names.
    await rm(folder, { recursive: true, force: true, maxRetries: 3 });
    this.usage.delete(folder);
  }

  /** The owner of the user's home folder, if it exists: the user id its next job should run as. */
  async ownerOf(userId: string): Promise<number | undefined> {
    return (await lstat(this.folderOf(userId)).catch(() => undefined))?.uid;
  }

  /**
   * Makes the user's home if it is missing and, for a sandboxed job, hands it and everything in it
   * to the job's user id when it is another's (a restart, or the id went to someone else
   * meanwhile). Answers the folder.
   */
  async prepare(userId: string, uid: number | undefined): Promise<string> {
    const folder = await this.makeFolder(userId);
    if (uid === undefined) return folder;
    // One handover at a time per user, and none while a job of the new owner could run: a second
    // launch of the same user, holding the same id, waits here until the first's is done.
    const previous = this.handovers.get(userId) ?? Promise.resolve();
    const handover = previous.catch(() => undefined).then(() => reownTree(folder, uid));
    this.handovers.set(userId, handover);
    try {
      await handover;
    } finally {
      if (this.handovers.get(userId) === handover) this.handovers.delete(userId);
    }
    return folder;
  }

  private async makeFolder(userId: string): Promise<string> {
    const folder = this.folderOf(userId);
    await this.parents.within([this.dataDir, homesFolder(this.dataDir)], () =>
      mkdir(folder, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      }),
    );
    return folder;
  }

  private async usedBytes(folder: string): Promise<number> {
    const cached = this.usage.get(folder);
    if (cached && this.now() - cached.at < USAGE_CACHE_MS) return cached.bytes;
    const { bytes } = await treeUsage(folder);
    this.usage.set(folder, { bytes, at: this.now() });
    return bytes;
  }
}
