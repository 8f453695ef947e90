import type { JobRow } from './repository.js';
import type { Transition } from './transitions.js';

/** Most jobs in one write: one statement's parameters stay far below PostgreSQL's 65,535. */
const MAX_JOBS_PER_BATCH = 500;

type WriteMany = (changes: readonly Transition[]) => Promise<Map<string, JobRow>>;

interface Queued {
  change: Transition;
  resolve: (row: JobRow | undefined) => void;
  reject: (error: unknown) => void;
}

/**
 * Collects the state changes that arrive together (a hundred Deployments turning available in
 * one burst) and writes them in one transaction, one batch at a time: what arrives while a batch
 * is being written waits for it and goes in the next. On PGlite's single connection a hundred
 * Readys are then one round of statements, not a hundred rounds that each queue behind the others.
 *
 * One job's changes are written in the order they were asked for: a batch holds at most one
 * change per job, and a later one waits for the next batch. A batch that fails is written again
 * one job at a time, so one job's trouble is its own.
 */
export class TransitionBatches {
  private queued: Queued[] = [];
  private draining: Promise<void> | undefined;

  constructor(
    private readonly writeMany: WriteMany,
    private readonly maxJobs = MAX_JOBS_PER_BATCH,
  ) {}

  /** Resolves once written: the row when it changed, undefined when the job was already there or final. */
  write(change: Transition): Promise<JobRow | undefined> {
    return new Promise((resolve, reject) => {
      this.queued.push({ change, resolve, reject });
      // After this turn of the event loop: the updates that arrived with this one go in its batch.
      this.draining ??= new Promise<void>((turn) => setImmediate(turn)).then(() => this.drain());
    });
  }

  /** Resolves when every change asked for so far is written (or has failed). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queued.length > 0) await this.writeBatch(this.takeBatch());
    } finally {
      this.draining = undefined;
    }
  }

  /** The oldest change of each job, up to the limit; the rest keep their order for the next batch. */
  private takeBatch(): Queued[] {
    const batch: Queued[] = [];
    const rest: Queued[] = [];
    const jobs = new Set<string>();
    for (const entry of this.queued) {
      if (batch.length < this.maxJobs && !jobs.has(entry.change.id)) {
        jobs.add(entry.change.id);
        batch.push(entry);
      } else {
        rest.push(entry);
      }
    }
    this.queued = rest;
    return batch;
  }

  private async writeBatch(batch: readonly Queued[]): Promise<void> {
    try {
      const changed = await this.writeMany(batch.map((entry) => entry.change));
      for (const entry of batch) entry.resolve(changed.get(entry.change.id));
    } catch (error) {
      if (batch.length === 1) return batch[0]?.reject(error);
      // One bad row must not fail its neighbours: each alone, and each answers for itself.
      for (const entry of batch) await this.writeBatch([entry]);
    }
  }
}
