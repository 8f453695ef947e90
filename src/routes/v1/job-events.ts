import type { FastifyReply, FastifyRequest } from 'fastify';
import { principalOf } from '../../http/auth.js';
import type { JobMessage } from '../../jobs/events.js';
import type { JobService } from '../../jobs/service.js';

const HEARTBEAT_MS = 15_000;

function isFinal(message: JobMessage): boolean {
  return message.type === 'state' && (message.status === 'Failed' || message.status === 'Deleted');
}

function frame(message: JobMessage): string {
  return `event: ${message.type}\ndata: ${JSON.stringify(message)}\n\n`;
}

/**
 * Server-sent events: first what has happened (recent progress and the current state), then each
 * change, until the job is Failed or Deleted or the page goes away. Access is checked before the
 * stream opens, so refusals are ordinary JSON errors.
 */
export async function streamJobEvents(
  jobs: JobService,
  request: FastifyRequest,
  reply: FastifyReply,
  jobId: string,
  openStreams: Set<() => void>,
): Promise<void> {
  const pending: JobMessage[] = [];
  let write: (message: JobMessage) => void = (message) => pending.push(message);
  const { history, stop } = await jobs.watch(principalOf(request), jobId, (message) => write(message));

  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // Proxies such as nginx would otherwise hold the stream back.
    'x-accel-buffering': 'no',
  });
  const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
  const close = () => {
    clearInterval(heartbeat);
    stop();
    openStreams.delete(close);
    if (!raw.writableEnded) raw.end();
  };
  openStreams.add(close);
  raw.on('close', close);
  write = (message) => {
    if (raw.writableEnded) return;
    raw.write(frame(message));
    if (isFinal(message)) close();
  };
  raw.write('retry: 3000\n\n');
  for (const message of [...history, ...pending]) write(message);
}
