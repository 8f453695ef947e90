/**
 * Why a service refused a request, independent of transport. The HTTP layer maps each kind to a
 * status; the message is shown to the user as it is, so it says what to do.
 */
export type RefusalKind = 'invalid' | 'not_found' | 'forbidden' | 'conflict';

export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly kind: RefusalKind,
    message: string,
  ) {
    super(message);
  }
}
