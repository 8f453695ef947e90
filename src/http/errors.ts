import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ServiceError, SpecFailure, type RefusalKind } from '../common/errors.js';
import { rootMessage } from '../store/errors.js';
import { HttpError, PARSE_FAILURE } from './envelope.js';
import { BODY_LIMIT_BYTES, BodyParseError } from './json-body.js';

/** How a failed request is answered, before either listener puts it in its own envelope. */
export type Failure =
  | { kind: 'unparsable'; detail: string }
  | { kind: 'too-large'; detail: string }
  | { kind: 'refused'; statusCode: number; detail: string; retryAfterSeconds?: number; details?: Readonly<Record<string, unknown>> }
  | { kind: 'internal'; detail: string };

const statusOfRefusal: Record<RefusalKind, number> = {
  invalid: 400,
  not_found: 400, // the spec answers unknown ids with 400 ("Course Id is not found")
  forbidden: 403,
  conflict: 409,
  busy: 429,
  unavailable: 503,
};

export function classifyFailure(error: unknown): Failure {
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) return { kind: 'unparsable', detail: fastifyError.message ?? 'invalid request' };
  if (error instanceof BodyParseError) return { kind: 'unparsable', detail: error.message };
  if (fastifyError.statusCode === 413) {
    return { kind: 'too-large', detail: `request body is larger than the limit of ${BODY_LIMIT_BYTES} bytes` };
  }
  if (error instanceof HttpError) return { kind: 'refused', statusCode: error.statusCode, detail: error.message };
  if (error instanceof SpecFailure) return { kind: 'refused', statusCode: 500, detail: error.message };
  if (error instanceof ServiceError) {
    return {
      kind: 'refused',
      statusCode: statusOfRefusal[error.kind],
      detail: error.message,
      ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
      ...(error.details === undefined ? {} : { details: error.details }),
    };
  }
  const statusCode = fastifyError.statusCode;
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    return { kind: 'refused', statusCode, detail: fastifyError.message ?? 'bad request' };
  }
  return { kind: 'internal', detail: rootMessage(error) };
}

/** v1's envelope: `{error: true, message}`. */
export function sendV1Error(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const failure = classifyFailure(error);
  switch (failure.kind) {
    case 'unparsable':
      void reply.code(400).send({ error: true, message: `${PARSE_FAILURE}: ${failure.detail}` });
      return;
    case 'too-large':
      void reply.code(413).send({ error: true, message: failure.detail });
      return;
    case 'refused':
      if (failure.statusCode >= 500) request.log.error({ err: error }, 'request failed');
      if (failure.retryAfterSeconds !== undefined) void reply.header('retry-after', String(failure.retryAfterSeconds));
      void reply.code(failure.statusCode).send({ ...failure.details, error: true, message: failure.detail });
      return;
    case 'internal':
      request.log.error({ err: error }, 'request failed');
      void reply.code(500).send({ error: true, message: `Internal server error: ${failure.detail}` });
  }
}

/**
 * Runs store work and, when it fails for a reason that is not a refusal, answers 500 with the
 * spec's message for that route, e.g. "Query courses table fail: <cause>".
 */
export async function failingAs<T>(spec: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ServiceError || error instanceof HttpError || error instanceof SpecFailure) throw error;
    throw new HttpError(500, `${spec}: ${rootMessage(error)}`, { cause: error });
  }
}

/**
 * The routes added after the spec answer an unknown object with 404, not the spec's 400 of older
 * routes: runs `work` and turns a not_found refusal into a 404 with its message.
 */
export async function notFoundAs404<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ServiceError && error.kind === 'not_found') throw new HttpError(404, error.message, { cause: error });
    throw error;
  }
}
