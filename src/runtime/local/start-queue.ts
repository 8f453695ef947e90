/**
 * Starts of local jobs, in the order they were admitted, a few at a time. A burst of launches at
 * the start of a lecture would otherwise make every work folder and start every process at once:
 * the launch calls answer after admission, and the starts follow here, no more at once than the
 * machine has cores for. The spawns no longer block the server's loop (spawner.ts), but each new
 * process still competes with the server for the cores while it boots; two and four starts per
 * core did not make T7's jobs Ready sooner (docs/benchmarks.md, 2026-11-30 (2)).
 */

export type StartPosition = { waiting: true; ahead: number } | { waiting: false };

export class StartQueue {
  private readonly waiting: { jobId: string; start: () => Promise<void> }[] = [];
  /** Starts under way, by job id. */
  private readonly running = new Map<string, Promise<void>>();

  constructor(readonly concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`start concurrency must be a whole number ≥ 1, got ${concurrency}`);
  }

  /** Queues a start; `start` must not reject (it reports its own failure). */
  enqueue(jobId: string, start: () => Promise<void>): void {
    this.waiting.push({ jobId, start });
    this.next();
  }

  /** Where the job is: waiting with this many ahead of it, under way, or undefined when neither. */
  position(jobId: string): StartPosition | undefined {
    if (this.running.has(jobId)) return { waiting: false };
    const index = this.waiting.findIndex((entry) => entry.jobId === jobId);
    return index < 0 ? undefined : { waiting: true, ahead: index };
  }

  /** Takes a job out of the queue before its start began; answers whether it was waiting. */
  cancel(jobId: string): boolean {
    const index = this.waiting.findIndex((entry) => entry.jobId === jobId);
    if (index < 0) return false;
    this.waiting.splice(index, 1);
    return true;
  }

  /** The job's start, while it is under way. */
  underWay(jobId: string): Promise<void> | undefined {
    return this.running.get(jobId);
  }

  private next(): void {
    while (this.running.size < this.concurrency) {
      const entry = this.waiting.shift();
      if (!entry) return;
      const started = entry
        .start()
        .catch(() => undefined)
        .finally(() => {
          this.running.delete(entry.jobId);
          this.next();
        });
      this.running.set(entry.jobId, started);
    }
  }
}
