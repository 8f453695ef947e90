import { Type } from 'typebox';

/** Every v1 error, including the framework's own (404, 413, 414), has this shape. */
export const ErrorEnvelope = Type.Object({ error: Type.Literal(true), message: Type.String() });

export const MessageEnvelope = Type.Object({ error: Type.Literal(false), message: Type.String() });

/** Clients match on this prefix, doubled word included. */
export const PARSE_FAILURE = 'Failed to parse spec request request';

/** Error responses every v1 route documents. */
export const errorResponses = { '4xx': ErrorEnvelope, '5xx': ErrorEnvelope } as const;

/** An HTTP answer decided by a route: its status and the message the user sees. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly statusCode: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
