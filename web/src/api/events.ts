import { call } from './client';

export interface SseFrame {
  event: string;
  data: string;
}

/** Splits a text/event-stream into frames; keeps an unfinished frame for the next chunk. */
export class SseParser {
  private buffer = '';

  push(chunk: string): SseFrame[] {
    this.buffer += chunk.replace(/\r\n?/g, '\n');
    const frames: SseFrame[] = [];
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length > 0) frames.push({ event, data: data.join('\n') });
    }
    return frames;
  }
}

/**
 * Reads /v1/job/events/:id with fetch, so the token travels in a header (EventSource would need
 * it in the URL). Resolves when the server ends the stream; rejects as `call` does.
 */
export async function readJobEvents(jobId: string, onFrame: (frame: SseFrame) => void, signal: AbortSignal): Promise<void> {
  const response = await call('GET', `/v1/job/events/${encodeURIComponent(jobId)}`, { signal });
  if (!response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    for (const frame of parser.push(value)) onFrame(frame);
  }
}
