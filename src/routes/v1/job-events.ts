import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TokenVerifier } from '../../auth/verifier.js';
import { AuthMessages, bearerToken, principalOf, verifyBearerToken } from '../../http/auth.js';
import { HttpError } from '../../http/envelope.js';
import type { JobMessage } from '../../jobs/events.js';
import type { JobService } from '../../jobs/service.js';

const HEARTBEAT_MS = 15_000;

function isFinal(message: JobMessage): boolean {
  return message.type === 'state' && (message.status === 'Failed' || message.status === 'Deleted');
}

function frame(message: JobMessage): string {
  return `event: ${message.type}\ndata: ${JSON.stringify(message)}\n\n`;
}

/** Longest a timer may wait: setTimeout fires at once beyond it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The token that opened a stream, checked again while it is open: the bearer check at the start
 * is not enough for a stream that can last hours. `onChange` hears when the verifier learns of a
 * change that may concern the token (`unwatch` then stops it); where it cannot tell, `unwatch` is
 * undefined and the token is checked at each message.
 */
async function tokenCheck(verifier: TokenVerifier, request: FastifyRequest, onChange: () => void) {
  const token = bearerToken(request.headers.authorization);
  const { expiresAt } = await verifyBearerToken(verifier, token);
  const unwatch = verifier.watch?.(token, onChange);
  /** Why the token no longer holds, or undefined while it does. */
  const refusal = async (): Promise<string | undefined> => {
    try {
      await verifyBearerToken(verifier, token);
      return undefined;
    } catch (error) {
      if (error instanceof HttpError && error.statusCode === 403) return error.message;
      // The verifier failed (store down): not the caller's fault; the next check decides.
      request.log.warn({ err: error }, 'could not check the token of an event stream; keeping it open');
      return undefined;
    }
  };
  return { expiresAt, refusal, unwatch };
}

/**
 * Server-sent events: first what has happened (recent progress and the current state), then each
 * change, until the job is Failed or Deleted, the page goes away, or the token is revoked or
 * expires (checked at each heartbeat, at its expiry, and when the verifier reports a change that
 * may concern it, or at each event where it cannot). A message is written as it comes, unless a
 * check is under way: it then waits for the check, so a revoked token hears nothing more. Access
 * is checked before the stream opens, so refusals are ordinary JSON errors.
 */
export async function streamJobEvents(
  jobs: JobService,
  verifier: TokenVerifier,
  request: FastifyRequest,
  reply: FastifyReply,
  jobId: string,
  openStreams: Set<() => void>,
): Promise<void> {
  const pending: JobMessage[] = [];
  let write: (message: JobMessage) => void = (message) => pending.push(message);
  let checkToken = (): void => undefined;
  const { history, stop } = await jobs.watch(principalOf(request), jobId, (message) => write(message));
  const token = await tokenCheck(verifier, request, () => checkToken()).catch((error: unknown) => {
    stop();
    throw error;
  });

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
  // Token checks, and the writes that came while one was under way, in order.
  let queued = 0;
  let queue = Promise.resolve();
  const enqueue = (work: () => void | Promise<void>) => {
    queued += 1;
    queue = queue.then(work).finally(() => (queued -= 1));
  };
  /** `last`: the stream ends with this text, in the same write. */
  const send = (text: string, last = false) => {
    const put = () => {
      if (raw.writableEnded) return;
      if (!last) return void raw.write(text);
      raw.end(text);
      close();
    };
    if (queued === 0) put();
    else enqueue(put);
  };
  checkToken = () =>
    enqueue(async () => {
      if (raw.writableEnded) return;
      const refusal = await token.refusal();
      if (refusal !== undefined) refuse(refusal);
    });
  const heartbeat = setInterval(() => {
    checkToken();
    send(': keep-alive\n\n');
  }, HEARTBEAT_MS);
  const untilExpiry = token.expiresAt ? token.expiresAt.getTime() - Date.now() : Infinity;
  const expiry = untilExpiry < MAX_TIMER_MS ? setTimeout(() => refuse(AuthMessages.expired), Math.max(0, untilExpiry)) : undefined;
  const close = () => {
    clearInterval(heartbeat);
    clearTimeout(expiry);
    token.unwatch?.();
    stop();
    openStreams.delete(close);
    if (!raw.writableEnded) raw.end();
  };
  /** The page hears why, as the v1 error envelope; reconnecting with the same token gets a 403. */
  const refuse = (message: string) => {
    if (!raw.writableEnded) raw.write(`event: error\ndata: ${JSON.stringify({ error: true, message })}\n\n`);
    close();
  };
  openStreams.add(close);
  raw.on('close', close);
  write = (message) => {
    if (token.unwatch === undefined) checkToken();
    send(frame(message), isFinal(message));
  };
  raw.write('retry: 3000\n\n');
  for (const message of [...history, ...pending]) write(message);
}
