import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ChangeFeed } from '../store/change-feed.js';
import { RowCompactor } from './compact-rows.js';
import type { JobRepository, JobRow } from './repository.js';

/** How long a failed load waits before it is tried again; reads go to the database meanwhile. */
const LOAD_RETRY_MS = 1000;

/** The `jobs` channel's payload that names every job: `<origin> <job id>` names one. */
export const EVERY_JOB = '*';

type RemoteChangeListener = (job: JobRow) => void;

/** How a write ahead ended; see `JobView.writeAhead`. */
export interface WrittenAhead {
  /** The row the write changed; undefined when it changed nothing, or failed. */
  changed: JobRow | undefined;
  /** Why the write failed, if it did. */
  error?: unknown;
  /** The row as the database holds it, when that is not what was expected. */
  correction?: JobRow;
}

/** What pages are told of a job: its state, its reason, whether it has its URLs. */
export function sameState(a: JobRow, b: JobRow): boolean {
  return a.status === b.status && a.reason === b.reason && a.services.length === b.services.length;
}

/**
 * Every job that is not deleted, in memory, so that the job-ready polls, a user's job list and the
 * event streams do not queue behind the database. It stays true three ways:
 * - this server's writes go through `write`, which keeps the row it read back before the write answers,
 *   or `writeAhead`, which keeps the row expected at once and the database's answer after the commit;
 * - other servers' writes arrive on the change feed (channel `jobs`, payload: the job id), and are
 *   read again from the database;
 * - when notifications may have been lost (a gap), when accounts or courses change (a deleted user
 *   or course takes its jobs with it), everything is read again.
 * Work on one job (a write and its read-back, or a read after a notification) runs one at a time,
 * so an older read never replaces a newer one. A deleted job is not kept: reading it goes to the
 * database, as does every read until the first load has finished.
 */
export class JobView {
  private readonly jobs = new Map<string, JobRow>();
  private readonly byUser = new Map<string, Set<string>>();
  private readonly compactor = new RowCompactor();
  /** Per job, the work in progress: later work waits for it. */
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Per job, the writes ahead (see `writeAhead`) not settled yet: only the last one settles the row. */
  private readonly expecting = new Map<string, number>();
  /** Jobs written or read one by one during a full load: that load's older copy must not replace them. */
  private touchedDuringLoad: Set<string> | undefined;
  /** Set by `start`: a view nobody started (a command that only opens the store) never loads. */
  private started = false;
  private loaded = false;
  private loading: Promise<void> | undefined;
  private reloadAgain = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly origin = randomUUID();
  private readonly remoteListeners = new Set<RemoteChangeListener>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly repository: JobRepository,
    private readonly feed: ChangeFeed,
    private readonly logger: Logger,
  ) {
    this.unsubscribe = feed.subscribe(
      'jobs',
      (payload) => this.heard(payload),
      () => this.distrust(),
    );
  }

  /** Reads everything now; later calls wait for that load. Never rejects: until it succeeds, reads use the database. */
  start(): Promise<void> {
    this.started = true;
    if (!this.loaded && !this.loading) this.reload();
    return this.loading ?? Promise.resolve();
  }

  /**
   * Reads everything at the first read of a job, not now: a server starting on many jobs answers
   * its first requests without that load ahead of them in the database's queue.
   */
  startAtFirstRead(): void {
    this.started = true;
  }

  /** Before the first load (or after a gap), a read asks for one and is answered by the database meanwhile. */
  private memory(): Map<string, JobRow> | undefined {
    if (this.loaded) return this.jobs;
    // After a failed load, the retry timer decides when to try again, not each read.
    if (this.started && !this.loading && !this.retryTimer) this.reload();
    return undefined;
  }

  /** Reads everything again (after lost notifications, or a change to accounts or courses). Overlapping calls share a load. */
  reload(): void {
    if (this.closed || !this.started) return;
    if (this.loading) {
      this.reloadAgain = true;
      return;
    }
    this.loading = this.loadAll().finally(() => {
      this.loading = undefined;
      if (this.reloadAgain) {
        this.reloadAgain = false;
        this.reload();
      }
    });
  }

  /** Changes were missed, or could not be read: until a reload succeeds, the database answers. */
  private distrust(): void {
    this.loaded = false;
    this.reload();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.unsubscribe();
    this.remoteListeners.clear();
  }

  /** Told of each change another server made, once it has been read here. */
  onRemoteChange(listener: RemoteChangeListener): () => void {
    this.remoteListeners.add(listener);
    return () => this.remoteListeners.delete(listener);
  }

  /** The job from memory; a deleted or unknown one (or any, before the first load) from the database. */
  async find(id: string): Promise<JobRow | undefined> {
    const kept = this.memory()?.get(id);
    if (kept) return kept;
    // Not kept: deleted, unknown, or made by another server a moment ago. Keep it if it is active.
    return this.run(id, () => this.readBack(id));
  }

  /** The job as memory holds it, without waiting; undefined when not kept (or not loaded yet). */
  peek(id: string): JobRow | undefined {
    return this.memory()?.get(id);
  }

  /** Resolves once the work queued on the job so far (a launch writing its row) is done. */
  async idle(id: string): Promise<void> {
    await this.queues.get(id);
  }

  /** A user's jobs that are not deleted, newest first; undefined until loaded (ask the database then). */
  listForUser(userId: string): JobRow[] | undefined {
    if (!this.memory()) return undefined;
    const rows: JobRow[] = [];
    for (const id of this.byUser.get(userId) ?? []) {
      const row = this.jobs.get(id);
      if (row) rows.push(row);
    }
    return rows.sort(newestFirst);
  }

  /**
   * This server's write to one job, and the row read back after it (undefined: read it again, as
   * when the write changed nothing). The row is kept before this resolves, and other servers are told.
   */
  async write<T>(id: string, work: () => Promise<T>, rowOf: (result: T) => JobRow | undefined): Promise<T> {
    return this.run(id, async () => {
      let result: T;
      try {
        result = await work();
      } catch (error) {
        // The write may have committed before it failed: read the job again rather than guess.
        await this.readBack(id).catch(() => this.distrust());
        throw error;
      } finally {
        void this.feed.publish('jobs', `${this.origin} ${id}`);
      }
      const row = rowOf(result);
      if (row) this.keep(id, row);
      else await this.readBack(id);
      return result;
    });
  }

  /**
   * A write whose outcome is known before it commits (a state the runtime reported): `expected` is
   * kept at once, so that reads see it now, and the database's answer replaces it once `committing`
   * settles: the row it answered, or the row read again when it changed nothing or failed (read
   * again too, as `write` does). Other servers are told after the commit, never before. When a later
   * expectation of the same job is still pending, that one settles the row instead. Never rejects:
   * `error` says the write failed, and `correction` is the truth when it is not what was expected,
   * which whoever announced `expected` must announce too.
   */
  writeAhead(id: string, expected: JobRow, committing: Promise<JobRow | undefined>): Promise<WrittenAhead> {
    this.expecting.set(id, (this.expecting.get(id) ?? 0) + 1);
    this.keep(id, expected);
    return this.run(id, async () => {
      let outcome: WrittenAhead;
      try {
        outcome = { changed: await committing };
      } catch (error) {
        outcome = { changed: undefined, error };
      } finally {
        void this.feed.publish('jobs', `${this.origin} ${id}`);
      }
      const later = (this.expecting.get(id) ?? 1) - 1;
      if (later > 0) this.expecting.set(id, later);
      else this.expecting.delete(id);
      if (later > 0) return outcome;
      let truth: JobRow | undefined;
      try {
        if (outcome.changed) this.keep(id, (truth = outcome.changed));
        else truth = await this.readBack(id);
      } catch (err) {
        this.logger.warn({ err, jobId: id }, 'could not read a job back after writing it; reading all of them again');
        this.distrust();
        return outcome;
      }
      if (!truth || sameState(truth, expected)) return outcome;
      return { ...outcome, correction: truth };
    });
  }

  private heard(payload: string): void {
    // Whoever wrote jobs without saying which (by hand, or a test): read them all again.
    if (payload === EVERY_JOB) return this.distrust();
    const space = payload.indexOf(' ');
    if (space < 0 || payload.slice(0, space) === this.origin) return;
    const id = payload.slice(space + 1);
    void this.run(id, async () => {
      const before = this.jobs.get(id);
      const row = await this.readBack(id);
      if (row && (!before || !sameState(row, before))) {
        for (const listener of this.remoteListeners) listener(row);
      }
    }).catch((err: unknown) => {
      this.logger.warn({ err, jobId: id }, 'could not read a job another server changed; reading all of them again');
      this.distrust();
    });
  }

  /** Reads one job from the database and keeps what it says; a Deleted job is dropped. */
  private async readBack(id: string): Promise<JobRow | undefined> {
    const row = await this.repository.find(id);
    this.keep(id, row);
    return row;
  }

  private keep(id: string, row: JobRow | undefined): void {
    this.touchedDuringLoad?.add(id);
    if (row && row.status !== 'Deleted') this.put(row);
    else this.drop(id);
  }

  private put(fresh: JobRow): void {
    const row = this.compactor.compact(fresh);
    const before = this.jobs.get(row.id);
    if (before && before.userId !== row.userId) this.byUser.get(before.userId)?.delete(row.id);
    this.jobs.set(row.id, row);
    let ids = this.byUser.get(row.userId);
    if (!ids) this.byUser.set(row.userId, (ids = new Set()));
    ids.add(row.id);
  }

  private drop(id: string): void {
    const before = this.jobs.get(id);
    if (!before) return;
    this.jobs.delete(id);
    const ids = this.byUser.get(before.userId);
    ids?.delete(id);
    if (ids?.size === 0) this.byUser.delete(before.userId);
  }

  /** Work on one job after the work already queued for it. */
  private run<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(id) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(id, settled);
    void settled.then(() => {
      if (this.queues.get(id) === settled) this.queues.delete(id);
    });
    return next;
  }

  private async loadAll(): Promise<void> {
    const touched = new Set<string>();
    this.touchedDuringLoad = touched;
    try {
      const rows = await this.repository.listNotDeletedRows();
      const fresh = new Map(rows.map((row) => [row.id, row]));
      // Every row is put again below: the shared strings of jobs gone since are dropped with the old table.
      this.compactor.reset();
      // What was read one by one while the load ran is at least as new as the load.
      for (const id of this.jobs.keys()) if (!fresh.has(id) && !touched.has(id)) this.drop(id);
      for (const row of rows) if (!touched.has(row.id)) this.put(row);
      this.loaded = true;
    } catch (err) {
      this.logger.warn({ err }, 'could not load the jobs into memory; reading them from the database until it works');
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.reload();
      }, LOAD_RETRY_MS).unref();
    } finally {
      if (this.touchedDuringLoad === touched) this.touchedDuringLoad = undefined;
    }
  }
}

function newestFirst(a: JobRow, b: JobRow): number {
  return b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}
