/**
 * The last lines a job wrote, bounded in lines and bytes so a chatty job cannot grow the
 * server's memory, for the reason of a Failed state.
 */
export class OutputTail {
  private text = '';

  constructor(
    private readonly maxLines = 20,
    private readonly maxChars = 4096,
  ) {}

  push(chunk: Buffer | string): void {
    this.text += String(chunk);
    // Keep a margin beyond the limits so a line cut in half at the front can still be dropped.
    if (this.text.length > this.maxChars * 2) this.text = this.text.slice(-this.maxChars * 2);
  }

  /** What is kept, as it came: for another process to rebuild the tail with `push`. */
  contents(): string {
    return this.text;
  }

  /** The last lines, blank lines dropped, with `secret` replaced wherever it appears. */
  lines(secret?: string): string[] {
    let text = secret ? this.text.split(secret).join('<token>') : this.text;
    let lines = text.split(/\r?\n/);
    if (text.length > this.maxChars) {
      text = text.slice(-this.maxChars);
      // The first line is cut in the middle (perhaps mid-secret): drop it.
      lines = text.split(/\r?\n/).slice(1);
    }
    return lines.map((line) => line.trimEnd()).filter((line) => line.trim() !== '').slice(-this.maxLines);
  }
}
