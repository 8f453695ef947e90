import type { FastifyRequest } from 'fastify';
import { TokenRejectedError, type TokenVerifier, type VerifiedToken } from '../auth/verifier.js';
import type { Principal } from '../identity/service.js';
import { rootMessage } from '../store/errors.js';
import { HttpError } from './envelope.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the bearer check on protected routes; null on public ones. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Routes are protected unless they say `public: true`. */
    public?: boolean;
  }
}

/** The exact messages of DESIGN.md's auth table: clients match on them. */
export const AuthMessages = {
  missing: 'Authorization header is missing',
  notBearer: 'Authorization header is not Bearer Token format or token is missing',
  invalid: 'Invalid API token',
  expired: 'Access token expired',
  verifyFailed: 'verify token fail',
} as const;

/** The token of an `Authorization: Bearer <token>` header, or why there is none. */
export function bearerToken(header: string | undefined): string {
  if (header === undefined) throw new HttpError(401, AuthMessages.missing);
  const match = /^Bearer +(\S+) *$/i.exec(header);
  if (!match) throw new HttpError(401, AuthMessages.notBearer);
  return match[1] as string;
}

/** A bearer token verified, or the HttpError of DESIGN.md's auth table: 403 for a bad token, 500 when the verifier failed. */
export async function verifyBearerToken(verifier: TokenVerifier, token: string): Promise<VerifiedToken> {
  try {
    return await verifier.verify(token);
  } catch (error) {
    if (error instanceof TokenRejectedError) {
      throw new HttpError(403, error.reason === 'expired' ? AuthMessages.expired : AuthMessages.invalid);
    }
    throw new HttpError(500, `${AuthMessages.verifyFailed}: ${rootMessage(error)}`, { cause: error });
  }
}

/** An onRequest hook: runs before the body is read, so strangers cannot make us parse 1 MiB. */
export function bearerAuthentication(verifier: TokenVerifier) {
  return async function authenticate(request: FastifyRequest): Promise<void> {
    if (request.routeOptions.config.public) return;
    request.principal = (await verifyBearerToken(verifier, bearerToken(request.headers.authorization))).principal;
  };
}

/** The caller of a protected route. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new HttpError(401, AuthMessages.missing);
  return request.principal;
}
