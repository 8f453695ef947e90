/** Most items in one batch: one statement's parameters stay far below PostgreSQL's 65,535. */
const MAX_ITEMS_PER_BATCH = 500;

/** Serves many items in one round (one statement or transaction), answering each item's result in their order. */
export type ServeMany<T, R> = (items: readonly T[]) => Promise<readonly R[]>;

export interface BatcherOptions<T> {
  maxItems?: number;
  /**
   * Items with the same key are served in the order they were asked for, one per batch: a later
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
 * Collects the calls that arrive together (a hundred launches in one burst, a hundred Deployments
 * turning available, a lecture's first requests with new tokens) and serves them in one round, one
 * batch at a time: what arrives while a batch is served waits for it and goes in the next. On
 * PGlite's single connection a hundred writes or reads are then one round of statements, not a
 * hundred rounds that each queue behind the others.
 *
 * A batch that fails is served again one item at a time, so one item's trouble is its own.
 */
export class Batcher<T, R> {
  private queued: Array<Queued<T, R>> = [];
  private draining: Promise<void> | undefined;
  private readonly maxItems: number;

  constructor(
    private readonly serveMany: ServeMany<T, R>,
    private readonly options: BatcherOptions<T> = {},
  ) {
    this.maxItems = options.maxItems ?? MAX_ITEMS_PER_BATCH;
  }

  /** Resolves with the item's result once its batch is served. */
  call(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queued.push({ item, resolve, reject });
      // After this turn of the event loop: the calls that arrived with this one go in its batch.
      this.draining ??= new Promise<void>((turn) => setImmediate(turn)).then(() => this.drain());
    });
  }

  /** Resolves when every call made so far is served (or has failed). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queued.length > 0) await this.serveBatch(this.takeBatch());
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

  private async serveBatch(batch: ReadonlyArray<Queued<T, R>>): Promise<void> {
    let results: readonly R[];
    try {
      results = await this.serveMany(batch.map((entry) => entry.item));
    } catch (error) {
      if (batch.length === 1) return batch[0]?.reject(error);
      // One bad item must not fail its neighbours: each alone, and each answers for itself.
      for (const entry of batch) await this.serveBatch([entry]);
      return;
    }
    // Served, so not to be served again (a write must not repeat): a short answer is told to each.
    const short = results.length === batch.length ? undefined : new Error(`a batch of ${batch.length} calls answered ${results.length} results`);
    batch.forEach((entry, index) => (short ? entry.reject(short) : entry.resolve(results[index] as R)));
  }
}
