/**
 * Why a service refused a request, independent of transport. The HTTP layer maps each kind to a
 * status; the message is shown to the user as it is, so it says what to do.
 */
export type RefusalKind = 'invalid' | 'not_found' | 'forbidden' | 'conflict' | 'busy' | 'unavailable';

export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly kind: RefusalKind,
    message: string,
    /** For `busy`: when trying again may succeed. */
    readonly retryAfterSeconds?: number,
    /** Fields the answer carries beside `error` and `message`, e.g. the jobs that block a delete. */
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

/**
 * A fault (the store or the cluster failed) whose message the spec words itself, e.g.
 * "create deployment for course {id = …} fail: …". Answered as a 500 with that message as it is.
 */
export class SpecFailure extends Error {
  override readonly name = 'SpecFailure';
}
