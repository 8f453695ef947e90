/** The GPUs this machine hands out, and which job holds each. */

export class GpuPool {
  private readonly holders = new Map<string, string>();

  constructor(private readonly gpus: readonly string[]) {}

  get size(): number {
    return this.gpus.length;
  }

  free(): string[] {
    return this.gpus.filter((gpu) => !this.holders.has(gpu));
  }

  /** Takes `count` free GPUs for the job, or answers undefined and takes none. */
  take(jobId: string, count: number): string[] | undefined {
    const free = this.free();
    if (free.length < count) return undefined;
    const taken = free.slice(0, count);
    for (const gpu of taken) this.holders.set(gpu, jobId);
    return taken;
  }

  release(jobId: string): void {
    for (const [gpu, holder] of this.holders) if (holder === jobId) this.holders.delete(gpu);
  }
}
