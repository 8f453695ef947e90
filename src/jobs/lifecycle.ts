import type { Logger } from 'pino';
import { rfc3339 } from '../common/time.js';
import { Batcher } from '../common/batcher.js';
import { RuntimeNotSynced, type JobRuntime, type RuntimeJob, type RuntimeJobState, type RuntimeUpdate } from '../runtime/types.js';
import type { JobStatus } from '../store/schema.js';
import { announceDeleted, announceState } from './announce.js';
import type { JobEventHub } from './events.js';
import type { JobView } from './job-view.js';
import type { DatabaseLease } from './lease.js';
import { runChores, type LeaseChore } from './chores.js';
import { cullDeadlines } from './cull-times.js';
import { formatDuration, type JobPolicy } from './quotas.js';
import type { JobRepository, JobRow } from './repository.js';
import { defaultEnding, isFinal, type Transition } from './transitions.js';
import type { UsageEnding } from './usage-records.js';

export interface LifecycleOptions {
  intervalMs: number;
  /** How long a launch may take to create its objects before reconciling calls it interrupted. */
  launchGraceMs?: number;
  now?: () => Date;
  /** Run by the lease holder after each reconcile and cull, with the same clock. */
  chores?: readonly LeaseChore[];
  /**
   * No other server writes the jobs (an embedded database). Only then is a final state told before
   * its write commits: with replicas, another server may have ended the job first (a delete writes
   * the row Deleted before its objects go, which this server then sees vanish), and a page told
   * Failed would close on the wrong end.
   */
  soleServer?: boolean;
}

export interface ReconcileReport {
  orphansStopped: string[];
  failed: string[];
  culled: string[];
  /** Jobs whose usage records were left open with no active job: closed as lost. */
  lostUsage: string[];
}

/**
 * Keeps the jobs table true to the runtime: applies the runtime's state changes as they come
 * (level-triggered), and, on the lease holder only, reconciles and culls at start and on a timer.
 */
export class JobLifecycle {
  private unsubscribe: (() => void) | undefined;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  /** The runtime's updates being applied, for `stop` to wait for. */
  private readonly updates = new Set<Promise<void>>();
  /** Per job not kept in the view yet, the updates waiting for its row: later ones wait behind them. */
  private readonly waitingForRow = new Map<string, Promise<void>>();
  /** The state changes of many jobs, written together. */
  private readonly writes: Batcher<Transition, JobRow | undefined>;
  private ticking: Promise<ReconcileReport | undefined> | undefined;
  private readonly launchGraceMs: number;
  private readonly now: () => Date;
  private readonly chores: LeaseChore[];

  constructor(
    private readonly repository: JobRepository,
    private readonly view: JobView,
    private readonly runtime: JobRuntime,
    private readonly hub: JobEventHub,
    private readonly policy: JobPolicy,
    private readonly lease: DatabaseLease,
    private readonly logger: Logger,
    private readonly options: LifecycleOptions,
  ) {
    this.launchGraceMs = options.launchGraceMs ?? 60_000;
    this.now = options.now ?? (() => new Date());
    this.chores = [...(options.chores ?? [])];
    // One change per job in a batch, so that one job's changes keep their order.
    this.writes = new Batcher(
      async (changes) => {
        const changed = await this.repository.transitionMany(changes);
        return changes.map((change) => changed.get(change.id));
      },
      { keyOf: (change) => change.id },
    );
  }

  start(): void {
    this.running = true;
    // Applied as each update arrives, with no queue per job: what orders one job's updates (its
    // place among the writes, its row in the view, its streams) happens before `apply` first
    // waits, or, for a job whose row is not in memory yet, behind the job's earlier updates (see
    // `record`); so its Pending cannot overwrite the Ready that followed it.
    this.unsubscribe = this.runtime.subscribe((update) => {
      const applied = this.apply(update).catch((err: unknown) => {
        this.logger.warn({ err, jobId: update.jobId }, 'could not record a job update; reconciling will catch up');
      });
      this.updates.add(applied);
      void applied.then(() => this.updates.delete(applied));
    });
    // At once when the runtime can tell what exists: after a restart, orphans and jobs that
    // vanished meanwhile must not wait a whole interval.
    void this.runtime.whenSynced().then(() => {
      if (this.running) void this.tick();
    });
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs).unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    clearInterval(this.timer);
    await this.ticking;
    await Promise.all(this.updates);
    await this.writes.idle();
    await this.lease.release().catch(() => undefined);
  }

  /** Adds work for the lease holder's rounds, run after each reconcile. */
  addChore(chore: LeaseChore): void {
    this.chores.push(chore);
  }

  /** Reconciles and culls if this server holds the lease. Overlapping ticks share one run. */
  tick(): Promise<ReconcileReport | undefined> {
    this.ticking ??= this.runTick().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private async runTick(): Promise<ReconcileReport | undefined> {
    try {
      if (!(await this.lease.acquire())) return undefined;
      const report = await this.reconcile();
      // Even before the runtime has synced: chores read the store and call the runtime themselves.
      await runChores(this.chores, this.now(), this.logger);
      if (!report) return undefined;
      report.culled = await this.cull();
      if (report.orphansStopped.length + report.failed.length + report.culled.length + report.lostUsage.length > 0) this.logger.info(report, 'reconciled jobs');
      return report;
    } catch (err) {
      this.logger.warn({ err }, 'reconciling jobs failed; will retry');
      return undefined;
    }
  }

  private async apply(update: RuntimeUpdate): Promise<void> {
    if (update.kind === 'event') {
      this.hub.publish({
        type: 'event',
        job_id: update.jobId,
        level: update.type,
        reason: update.reason,
        message: update.message,
        at: rfc3339(update.at),
      });
      return;
    }
    const state: RuntimeJobState = update.kind === 'gone' ? { status: 'Failed', reason: update.reason } : update.state;
    const changed = await this.record(update.jobId, state.status, 'reason' in state ? state.reason : null);
    // Only news when the job was still active: a job another server deleted was Deleted first.
    if (changed && update.kind === 'gone') this.logger.warn({ jobId: update.jobId, reason: update.reason }, 'job failed: its objects were deleted outside classlab');
  }

  /**
   * Writes a state; a job that fails is stopped, so it holds no GPU while its reason is read.
   * Answers whether this call changed the row. `ending` says how a final state ends its usage record.
   *
   * Pages hear of the state as soon as its write is asked for, not after it commits (it waits its
   * turn behind other writes, in a batch): what the view holds of an active job is the truth up
   * to writes already on their way, and the database refuses only what leaves a final state, which
   * is not predicted. If the database says otherwise (another server ended the job first, or the
   * write failed), the view takes the truth back and pages hear it; reconciling writes a state
   * that failed to be written again. A job not in memory (the view not loaded, or the job ended),
   * and a final state where other servers write too (see `soleServer`), is announced after its write.
   */
  private async record(jobId: string, status: JobStatus, reason: string | null, ending: UsageEnding = defaultEnding(status)): Promise<boolean> {
    // Already so in memory (this server's write, or another's it heard of): nothing to write, and
    // most runtime updates repeat the state they already reported.
    const kept = this.view.peek(jobId);
    const waiting = this.waitingForRow.get(jobId);
    if (!waiting && kept && kept.status === status && kept.reason === reason) {
      announceState(this.hub, kept);
      return false;
    }
    const committing = this.writes.call({ id: jobId, status, reason, ending });
    // Awaited below only once the job's earlier work in the view is done: a failure before then is not unhandled.
    committing.catch(() => undefined);
    let known = kept;
    if (!kept || waiting) {
      // A job launched a moment ago may be ready before its launch has written its URLs and kept
      // its row: wait for that write (ahead of this one in the database's queue anyway), and the
      // job's later updates wait behind this one.
      const turn = Promise.all([waiting, this.view.idle(jobId)]).then(() => undefined);
      this.waitingForRow.set(jobId, turn);
      await turn;
      if (this.waitingForRow.get(jobId) === turn) this.waitingForRow.delete(jobId);
      known = this.view.peek(jobId);
    }
    let changed: JobRow | undefined;
    const ahead = !isFinal(status) || this.options.soleServer === true;
    if (ahead && known && !isFinal(known.status)) {
      const expected: JobRow = { ...known, status, reason };
      announceState(this.hub, expected);
      const written = await this.view.writeAhead(jobId, expected, committing);
      if (written.correction) announceState(this.hub, written.correction);
      if (written.error !== undefined) throw written.error;
      changed = written.changed;
    } else {
      changed = await this.view.write(jobId, () => committing, (row) => row);
      // Another server may have written it first (the view read it again); pages watching this one still hear of it.
      const current = changed ?? (await this.view.find(jobId));
      if (current) announceState(this.hub, current);
    }
    if (!changed) return false;
    if (isFinal(status)) {
      await this.runtime.stop(jobId).catch((err: unknown) => this.logger.warn({ err, jobId }, 'could not stop a finished job; reconciling will retry'));
    }
    return true;
  }

  /**
   * The runtime's objects are the truth of what exists. Its snapshot is taken before the table is
   * read: a job launched in between then has a row but no objects yet, and is young enough to be
   * left alone.
   */
  async reconcile(): Promise<ReconcileReport | undefined> {
    let snapshot: RuntimeJob[];
    try {
      snapshot = await this.runtime.jobs();
    } catch (error) {
      if (error instanceof RuntimeNotSynced) return undefined;
      throw error;
    }
    const active = await this.repository.listActive();
    const report: ReconcileReport = { orphansStopped: [], failed: [], culled: [], lostUsage: [] };
    const activeIds = new Set(active.map((job) => job.id));
    let running = new Map(snapshot.map((job) => [job.jobId, job]));
    // A job past Created had all its objects, so a missing one was deleted; unless the job
    // launched between the snapshot and the table read. A second look, newer than the table, tells.
    if (active.some((job) => job.status !== 'Created' && !running.get(job.id)?.complete)) {
      running = new Map((await this.runtime.jobs()).map((job) => [job.jobId, job]));
    }
    // Before any is failed below: what is not held now keeps the last time it was.
    await this.repository.markSeen([...running.keys()]);
    const settled = new Date(this.now().getTime() - this.launchGraceMs);
    // The server that ended a job wrote the row first and is deleting its objects now: stopping
    // them here too would delete them twice. If that server died meanwhile, a later round stops them.
    const beingStopped = new Set(await this.repository.listEndedSince(settled));

    for (const job of snapshot) {
      if (activeIds.has(job.jobId) || beingStopped.has(job.jobId)) continue;
      await this.guarded(job.jobId, async () => {
        await this.runtime.stop(job.jobId);
        report.orphansStopped.push(job.jobId);
      });
    }
    for (const job of active) {
      await this.guarded(job.id, async () => {
        const outcome = await this.reconcileJob(job, running.get(job.id), job.createdAt >= settled);
        if (outcome === 'failed') report.failed.push(job.id);
      });
    }
    // Jobs whose rows went while their records stayed open: a safety net, since every end closes its record.
    report.lostUsage = await this.repository.closeOrphanedUsage();
    return report;
  }

  /**
   * One job against what the runtime holds. Only a job still Created may be launching, with its
   * objects half made; once it is older than the launch timeout, half made means interrupted. A
   * job that got further and lost an object is broken, whatever its age.
   */
  private async reconcileJob(job: JobRow, seen: RuntimeJob | undefined, young: boolean): Promise<'failed' | 'kept'> {
    const launching = job.status === 'Created';
    if (launching && young && !seen?.complete) return 'kept';
    if (!seen || !seen.complete) {
      // Failing it stops what is left of it.
      const reason = launching
        ? 'the launch was interrupted (the server stopped before it finished); launch the course again'
        : (seen?.missing ?? `the job's environment disappeared from the ${this.runtime.kind} runtime`);
      // Gone entirely, maybe while no server ran (kill -9, a restart): charged only until last seen.
      await this.record(job.id, 'Failed', reason, seen ? 'failed' : 'lost');
      return 'failed';
    }
    if (job.services.length === 0 && seen.services.length > 0) await this.view.write(job.id, () => this.repository.setServices(job.id, seen.services), (row) => row);
    await this.record(job.id, seen.state.status, 'reason' in seen.state ? seen.state.reason : null);
    return 'kept';
  }

  /** One job's trouble (a delete the cluster refused) must not stop the others being reconciled. */
  private async guarded(jobId: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.logger.warn({ err, jobId }, 'could not reconcile a job; will retry');
    }
  }

  /** Jobs past their role's maximum age, or idle past its timeout, are stopped and Deleted. */
  async cull(): Promise<string[]> {
    const active = await this.repository.listActive();
    const roles = await this.repository.rolesOfUsers([...new Set(active.map((job) => job.userId))]);
    const now = this.now().getTime();
    const culled: string[] = [];
    for (const job of active) {
      const userRoles = roles.get(job.userId) ?? [];
      const reason = (await this.cullReason(job, userRoles, now)) ?? undefined;
      if (!reason) continue;
      // The row first, as for a user's delete: see JobService.delete.
      await announceDeleted(this.repository, this.view, this.hub, job.id, reason, 'culled');
      await this.runtime.stop(job.id);
      culled.push(job.id);
    }
    return culled;
  }

  private async cullReason(job: JobRow, roles: string[], now: number): Promise<string | undefined> {
    const { age, idle } = await cullDeadlines(this.runtime, this.policy, job, roles);
    if (age && now > age.at.getTime()) return `culled: reached the maximum age of ${formatDuration(age.seconds)} for ${job.userName}'s role`;
    if (idle && now > idle.at.getTime()) return `culled: idle for more than ${formatDuration(idle.seconds)}`;
    return undefined;
  }
}
