import type { FastifyInstance, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';

export const BODY_LIMIT_BYTES = 1024 * 1024;

/** A body that is not JSON; `statusCode` makes Fastify treat it as the client's fault. */
export class BodyParseError extends Error {
  override readonly name = 'BodyParseError';
  readonly statusCode = 400;
  readonly code = 'CLASSLAB_BODY_NOT_JSON';
}

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  readonly statusCode = 413;
  readonly code = 'FST_ERR_CTP_BODY_TOO_LARGE';
  constructor() {
    super(`request body is larger than ${BODY_LIMIT_BYTES} bytes`);
  }
}

/**
 * Empty means no body. Prototype-poisoning keys are refused, as Fastify's own parser does, and so
 * are NUL characters, which PostgreSQL cannot store in text.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    throw new BodyParseError(`body is not valid JSON: ${(error as Error).message}`);
  }
  if (containsNul(parsed)) throw new BodyParseError('body contains a NUL character (\\u0000), which cannot be stored');
  return parsed;
}

function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\0');
  if (Array.isArray(value)) return value.some(containsNul);
  if (value !== null && typeof value === 'object') return Object.values(value).some(containsNul);
  return false;
}

/**
 * Every body, whatever its Content-Type, goes through one parser, in this app's context (a
 * plugin's own context can choose another).
 */
export function parseEveryBodyWith(app: FastifyInstance, parse: (text: string) => unknown): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parse(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/**
 * Bodies are JSON whatever the Content-Type says: the spec's own examples use `curl -d`, which
 * sends application/x-www-form-urlencoded.
 */
export function acceptJsonOfAnyContentType(app: FastifyInstance): void {
  parseEveryBodyWith(app, parseJsonBody);
}

/** A preValidation hook for routes whose whole body is optional: no body is an empty object. */
export async function absentBodyIsEmpty(request: FastifyRequest): Promise<void> {
  request.body ??= {};
}

/**
 * Fastify does not read bodies of GET requests, but the identity spec sends JSON with GET
 * (/token/role, /token/roles). Read it here, within the same size limit.
 */
export async function readGetBody(request: FastifyRequest): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request.raw) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT_BYTES) throw new BodyTooLargeError();
    chunks.push(chunk as Buffer);
  }
  return parseJsonBody(Buffer.concat(chunks).toString('utf8'));
}
