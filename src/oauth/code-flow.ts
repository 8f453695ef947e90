import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OAuthServices } from './setup.js';

const STATE_COOKIE = 'classlab_signin';
const STATE_COOKIE_PATH = '/oauth/callback';

/** A sign-in started here: its state and PKCE verifier, and, for the web app, where to go after. */
export interface PendingSignIn {
  state: string;
  verifier: string;
  /** Set when the web app started it: the same-origin path to return to. */
  appReturn?: string;
}

/**
 * Starts the code flow at the configured provider: a fresh state and PKCE pair, kept in an
 * HttpOnly cookie that only the callback reads, and a redirect to the provider.
 */
export async function startSignIn(oauth: OAuthServices, reply: FastifyReply, appReturn?: string): Promise<FastifyReply> {
  const state = randomBytes(16).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const target = await oauth.proxy.authorizationUrl({ state, codeChallenge: challenge });
  const parts = [state, verifier, ...(appReturn === undefined ? [] : [Buffer.from(appReturn).toString('base64url')])];
  // Lax, not Strict: the browser comes back from the provider in a cross-site navigation.
  void reply.setCookie(STATE_COOKIE, parts.join('.'), {
    path: STATE_COOKIE_PATH,
    httpOnly: true,
    sameSite: 'lax',
    secure: oauth.secureCookies,
    maxAge: 600,
  });
  return reply.code(302).header('cache-control', 'no-store').redirect(target.href);
}

/** The sign-in this browser started, read once: the cookie is cleared whatever it holds. */
export function takePendingSignIn(request: FastifyRequest, reply: FastifyReply): PendingSignIn | undefined {
  const [state, verifier, appReturn] = (request.cookies[STATE_COOKIE] ?? '').split('.');
  void reply.clearCookie(STATE_COOKIE, { path: STATE_COOKIE_PATH });
  if (!state || !verifier) return undefined;
  return { state, verifier, ...(appReturn === undefined ? {} : { appReturn: Buffer.from(appReturn, 'base64url').toString() }) };
}
