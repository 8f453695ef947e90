/** Most items in one write: one statement's parameters stay far below PostgreSQL's 65,535. */
const MAX_ITEMS_PER_BATCH = 500;

/** Writes many items in one round (one transaction), answering each item's result in their order. */
export type WriteMany<T, R> = (items: readonly T[]) => Promise<readonly R[]>;

export interface WriteBatchesOptions<T> {
  maxItems?: number;
  /**
   * Items with the same key are written in the order they were asked for, one per batch: a later
   * one waits for the next batch. Without it, a batch takes items in their order, up to the limit.
   */
  keyOf?: (item: T) => string;
}

interface Queued<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Collects the writes that arrive together (a hundred launches in one burst, a hundred Deployments
 * turning available) and writes them in one round, one batch at a time: what arrives while a batch
 * is being written waits for it and goes in the next. On PGlite's single connection a hundred
 * writes are then one round of statements, not a hundred rounds that each queue behind the others.
 *
 * A batch that fails is written again one item at a time, so one item's trouble is its own.
 */
export class WriteBatches<T, R> {
  private queued: Array<Queued<T, R>> = [];
  private draining: Promise<void> | undefined;
  private readonly maxItems: number;

  constructor(
    private readonly writeMany: WriteMany<T, R>,
    private readonly options: WriteBatchesOptions<T> = {},
  ) {
    this.maxItems = options.maxItems ?? MAX_ITEMS_PER_BATCH;
  }

  /** Resolves with the item's result once its batch is written. */
  write(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queued.push({ item, resolve, reject });
      // After this turn of the event loop: the writes that arrived with this one go in its batch.
      this.draining ??= new Promise<void>((turn) => setImmediate(turn)).then(() => this.drain());
    });
  }

  /** Resolves when every write asked for so far is done (or has failed). */
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

  /** The oldest item of each key, up to the limit; the rest keep their order for the next batch. */
  private takeBatch(): Array<Queued<T, R>> {
    const { keyOf } = this.options;
    if (!keyOf) return this.queued.splice(0, this.maxItems);
    const batch: Array<Queued<T, R>> = [];
    const rest: Array<Queued<T, R>> = [];
    const keys = new Set<string>();
    for (const entry of this.queued) {
      const key = keyOf(entry.item);
      if (batch.length < this.maxItems && !keys.has(key)) {
        keys.add(key);
        batch.push(entry);
      } else {
        rest.push(entry);
      }
    }
    this.queued = rest;
    return batch;
  }

  private async writeBatch(batch: ReadonlyArray<Queued<T, R>>): Promise<void> {
    let results: readonly R[];
    try {
      results = await this.writeMany(batch.map((entry) => entry.item));
    } catch (error) {
      if (batch.length === 1) return batch[0]?.reject(error);
      // One bad item must not fail its neighbours: each alone, and each answers for itself.
      for (const entry of batch) await this.writeBatch([entry]);
      return;
    }
    // Written, so not to be written again: a short answer is a fault of the writer, told to each.
    const short = results.length === batch.length ? undefined : new Error(`a batch of ${batch.length} writes answered ${results.length} results`);
    batch.forEach((entry, index) => (short ? entry.reject(short) : entry.resolve(results[index] as R)));
  }
}
