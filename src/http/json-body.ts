import type { FastifyInstance, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';

export const BODY_LIMIT_BYTES = 1024 * 1024;

/** No body the API accepts nests anywhere near this deep; deeper ones are refused before any use. */
export const BODY_MAX_DEPTH = 64;

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
 * are NUL characters, which PostgreSQL cannot store in text, and nesting deeper than
 * BODY_MAX_DEPTH, which recursive code further on (validation, serializers) would not survive.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    throw new BodyParseError(`body is not valid JSON: ${(error as Error).message}`);
  }
  const problem = structureProblem(parsed);
  if (problem) throw new BodyParseError(problem);
  return parsed;
}

/**
 * Walks the parsed value with an explicit stack, never recursion, so that depth cannot exhaust
 * the call stack: a body nested thousands of levels deep is a 400, not a crash.
 */
const NUL_PROBLEM = 'body contains a NUL character (\\u0000), which cannot be stored';

function structureProblem(root: unknown): string | undefined {
  const pending: { value: unknown; depth: number }[] = [{ value: root, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value, depth } = next;
    if (typeof value === 'string') {
      if (value.includes('\0')) return NUL_PROBLEM;
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= BODY_MAX_DEPTH) return `body is nested more than ${BODY_MAX_DEPTH} levels deep`;
    // Keys are strings too, and are stored as much as values are.
    for (const [key, child] of Object.entries(value)) {
      if (key.includes('\0')) return NUL_PROBLEM;
      pending.push({ value: child, depth: depth + 1 });
    }
  }
  return undefined;
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
