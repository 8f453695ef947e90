import type { Logger } from 'pino';
import { isAdmin } from '../auth/permissions.js';
import { sameUserName } from '../common/account-rules.js';
import { ServiceError, SpecFailure } from '../common/errors.js';
import { sizeBytes } from '../common/quantity.js';
import { rfc3339 } from '../common/time.js';
import type { ImageCatalog } from '../config/image-catalog.js';
import type { IdentityService, Principal, UserRecord } from '../identity/service.js';
import { findCatalogEntry } from '../runtime/catalog.js';
import { HomeExpansionRefused, type HomeRef, type HomeState, type HomeStatus, type HomeVolumes } from '../runtime/types.js';
import { rootMessage } from '../store/errors.js';
import type { HomeRepository, HomeRow } from './repository.js';

export interface HomeSettings {
  /** Size of a new home, a Kubernetes quantity. */
  capacity: string;
  /** Where a job mounts the home when neither its course nor the image catalog says. */
  mountPath: string;
  catalog: ImageCatalog;
  /** Delete a user's home with the user, instead of keeping it orphaned. */
  deleteWithUser: boolean;
}

/** A home as the API answers it. */
export interface HomeView {
  /** Null before the user's first launch. */
  name: string | null;
  /** The user's name; for an orphaned home, the name it was made for. */
  user: string;
  capacity: string;
  mountPath: string;
  state: HomeState;
  reason: string | null;
  usedBytes: number | null;
  createAt: string | null;
  orphaned: boolean;
}

/** The name of a user's home: from the id, never the name, so that two `jimmy`s get two homes. */
export function homeNameOf(userId: string): string {
  return `home-${userId}`;
}

/**
 * Each user's one persistent home: made at their first launch and mounted by every job they run.
 * This service owns the rows; the runtime's {@link HomeVolumes} own the storage.
 */
export class HomeService {
  constructor(
    private readonly repository: HomeRepository,
    private readonly volumes: HomeVolumes,
    identity: IdentityService,
    private readonly settings: HomeSettings,
    private readonly logger: Logger,
  ) {
    if (settings.deleteWithUser) identity.onUserRemoved((user) => this.removeWithUser(user));
  }

  /** True when one home cannot be mounted by two jobs at once: a user then runs one job at a time. */
  get singleAttach(): boolean {
    return this.volumes.singleAttach;
  }

  /**
   * The user's home, made if it is not yet: first the storage, then the row, so that a home
   * the runtime could not make leaves nothing behind. Two first launches at once make one home:
   * the name is the user's alone, the runtime's ensure is idempotent, and the row is made once.
   * Failures are the runtime's errors, as they are.
   */
  async ensureFor(owner: Pick<Principal, 'userId' | 'name'>): Promise<HomeRef> {
    const existing = await this.repository.find(owner.userId);
    if (existing) {
      await this.volumes.ensure(refOf(existing));
      return refOf(existing);
    }
    const made: HomeRef = { name: homeNameOf(owner.userId), userId: owner.userId, userName: owner.name, capacity: this.settings.capacity };
    await this.volumes.ensure(made);
    return refOf(await this.repository.insertOnce({ userId: made.userId, name: made.name, ownerName: owner.name, capacity: made.capacity }));
  }

  /** Where a job of this course sees the home: the course's path, else the image catalog's, else the setting. */
  mountPathFor(course: { homePath: string | null; image: string }): string {
    return course.homePath ?? findCatalogEntry(this.settings.catalog, course.image)?.homePath ?? this.settings.mountPath;
  }

  /** The caller's home; before their first launch, the home they will get (Absent). */
  async mine(actor: Principal): Promise<HomeView> {
    const row = await this.repository.find(actor.userId);
    if (!row) {
      const { capacity, mountPath } = this.settings;
      return { name: null, user: actor.name, capacity, mountPath, state: 'Absent', reason: null, usedBytes: null, createAt: null, orphaned: false };
    }
    return this.view(row);
  }

  /** Every home, orphaned ones included (admins). */
  async list(actor: Principal): Promise<HomeView[]> {
    if (!isAdmin(actor)) throw new ServiceError('forbidden', 'Permission denied: only admins can list every home');
    const rows = await this.repository.list();
    return Promise.all(rows.map((row) => this.view(row)));
  }

  /** Grows a home (admins): never shrinks it; 409 with the runtime's reason when its storage cannot grow. */
  async expand(actor: Principal, userName: string, capacity: string): Promise<HomeView> {
    if (!isAdmin(actor)) throw new ServiceError('forbidden', 'Permission denied: only admins can expand homes');
    const wanted = sizeBytes(capacity);
    if (wanted === undefined) throw new ServiceError('invalid', `capacity must be a size such as 20Gi, got ${JSON.stringify(capacity)}`);
    const row = await this.resolve(userName);
    const current = sizeBytes(row.capacity) ?? 0;
    const user = ownerOf(row);
    if (wanted < current) throw new ServiceError('invalid', `home of ${user} is ${row.capacity}; a home can only grow, not shrink to ${capacity}`);
    if (wanted > current) {
      await this.volumes.expand(refOf(row), capacity).catch((error: unknown) => {
        if (error instanceof HomeExpansionRefused) throw new ServiceError('conflict', `home of ${user} cannot grow: ${error.message}`);
        throw new SpecFailure(`expand home ${row.name} of ${user} fail: ${rootMessage(error)}`, { cause: error });
      });
      await this.repository.setCapacity(row.userId, capacity);
      this.logger.info({ home: row.name, user, from: row.capacity, to: capacity, by: actor.name }, 'home expanded');
    }
    return this.view({ ...row, capacity: wanted > current ? capacity : row.capacity });
  }

  /**
   * Deletes a home and everything in it (its owner or an admin): refused while a job of the user
   * runs, since that job mounts it. The storage goes first, then the row.
   */
  async remove(actor: Principal, userName: string): Promise<{ name: string; user: string }> {
    const own = sameUserName(userName, actor.name);
    if (!own && !isAdmin(actor)) throw new ServiceError('forbidden', "Permission denied: only the home's owner or an admin can delete a home");
    const row = own ? await this.repository.find(actor.userId) : await this.resolve(userName);
    if (!row) throw new ServiceError('not_found', `user ${userName} has no home`);
    const user = ownerOf(row);
    const outcome = await this.removeRow(row);
    if ('mountedBy' in outcome) throw new ServiceError('conflict', `home of ${user} is in use by job ${outcome.mountedBy}; delete the job first`);
    this.logger.info({ home: row.name, user, by: actor.name }, 'home deleted');
    return { name: row.name, user };
  }

  /** With CLASSLAB_HOME_DELETE_WITH_USER, a deleted user's home goes too; a failure leaves it orphaned. */
  private async removeWithUser(user: UserRecord): Promise<void> {
    try {
      const row = await this.repository.find(user.id);
      if (row) await this.removeRow(row);
      if (row) this.logger.info({ home: row.name, user: user.name }, 'home deleted with its user');
    } catch (err) {
      this.logger.warn({ err, user: user.name }, 'could not delete the home of a deleted user; it is listed as orphaned');
    }
  }

  private removeRow(row: HomeRow): Promise<{ mountedBy: string } | { removed: true }> {
    return this.repository.removeUnlessMounted(row.userId, () =>
      this.volumes.remove(refOf(row)).catch((error: unknown) => {
        throw new SpecFailure(`delete home ${row.name} of ${ownerOf(row)} fail: ${rootMessage(error)}`, { cause: error });
      }),
    );
  }

  /**
   * The home an admin names by user: a user's, else an orphaned one made for that name, else a
   * home named so (for one of several orphaned homes of one name).
   */
  private async resolve(userName: string): Promise<HomeRow> {
    const live = await this.repository.findOfUser(userName);
    if (live) return live;
    const orphaned = await this.repository.findOrphaned(userName);
    if (orphaned.length > 1) {
      throw new ServiceError(
        'conflict',
        `${orphaned.length} orphaned homes were made for users named ${userName}: ${orphaned.map((row) => row.name).join(', ')}; name one of them instead of the user`,
      );
    }
    const found = orphaned[0] ?? (await this.repository.findByName(userName));
    if (!found) throw new ServiceError('not_found', `user ${userName} has no home`);
    return found;
  }

  private async view(row: HomeRow): Promise<HomeView> {
    const status: HomeStatus = await this.volumes.status(refOf(row));
    return {
      name: row.name,
      user: ownerOf(row),
      capacity: row.capacity,
      mountPath: this.settings.mountPath,
      state: status.state,
      reason: status.reason ?? null,
      usedBytes: status.usedBytes ?? null,
      createAt: rfc3339(row.createdAt),
      orphaned: row.userName === null,
    };
  }
}

function ownerOf(row: HomeRow): string {
  return row.userName ?? row.ownerName;
}

function refOf(row: HomeRow): HomeRef {
  return { name: row.name, userId: row.userId, userName: ownerOf(row), capacity: row.capacity };
}
