import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { TokenRejectedError } from '../auth/verifier.js';
import { bearerToken } from '../http/auth.js';
import { errorResponses, HttpError } from '../http/envelope.js';
import { sendV1Error } from '../http/errors.js';
import type { HttpApp } from '../http/server.js';
import { startSignIn } from './code-flow.js';
import { rootMessage } from '../store/errors.js';
import { ExchangeError, type TokenPair } from './proxy.js';
import type { OAuthServices } from './setup.js';

/**
 * The web app's session. The refresh token lives in an HttpOnly, SameSite=Strict cookie that only
 * /oauth/session/* receives, so a script injected into the app cannot read it; the access token
 * lives in the app's memory only. The custom header makes a cross-origin caller preflight, which
 * classlab's CORS (never with credentials) refuses.
 */
const SESSION_COOKIE = 'classlab_session';
const SESSION_PATH = '/oauth/session';
const APP_HEADER = 'x-classlab-app';
const SESSION_ENDED = 'Your session has ended; please sign in again';
/** When the provider does not say how long an access token lasts: refresh soon rather than late. */
const UNKNOWN_LIFETIME_SECONDS = 300;
const MAX_RETURN_LENGTH = 1024;
const BASE = 'http://app.invalid';

/** A path on this server, or `/`: a sign-in never sends the browser elsewhere. */
export function sameOriginPath(value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_RETURN_LENGTH || !value.startsWith('/')) return '/';
  try {
    const url = new URL(value, BASE);
    return url.origin === BASE ? `${url.pathname}${url.search}${url.hash}` : '/';
  } catch {
    return '/';
  }
}

function setSession(oauth: OAuthServices, reply: FastifyReply, refreshToken: string): void {
  void reply.setCookie(SESSION_COOKIE, refreshToken, { path: SESSION_PATH, httpOnly: true, sameSite: 'strict', secure: oauth.secureCookies });
}

function clearSession(oauth: OAuthServices, reply: FastifyReply): void {
  void reply.clearCookie(SESSION_COOKIE, { path: SESSION_PATH, httpOnly: true, sameSite: 'strict', secure: oauth.secureCookies });
}

/** The end of an app sign-in: the session cookie is set and the browser goes back into the app. */
export function enterApp(oauth: OAuthServices, reply: FastifyReply, pair: TokenPair, returnTo: string): FastifyReply {
  setSession(oauth, reply, pair.refreshToken);
  return reply.code(302).header('cache-control', 'no-store').redirect(sameOriginPath(returnTo));
}

/** An app sign-in that failed goes back to the app's sign-in page, which shows why. */
export function leaveAppWithError(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(302).header('cache-control', 'no-store').redirect(`/sign-in?error=${encodeURIComponent(message)}`);
}

function requireAppHeader(request: FastifyRequest): void {
  if (request.headers[APP_HEADER] !== '1') throw new HttpError(403, `Permission denied: the ${APP_HEADER.replace(/\b\w/g, (c) => c.toUpperCase())}: 1 header is required`);
}

const SessionAnswer = Type.Object({
  error: Type.Literal(false),
  access_token: Type.String(),
  expires_in: Type.Integer({ description: 'seconds the access token lasts' }),
  user: Type.Object({ name: Type.String(), roles: Type.Array(Type.String()) }),
});

/** The web app's sign-in, refresh and sign-out, answered in v1's envelope. */
export async function appSessionRoutes(app: HttpApp, { oauth }: { oauth: OAuthServices }): Promise<void> {
  app.setErrorHandler(sendV1Error);
  const tags = ['oauth'];
  const limited = { rateLimit: { max: oauth.rateLimitPerMinute, timeWindow: '1 minute' } };
  const appHeader = Type.Object({ [APP_HEADER]: Type.Literal('1') });
  const failed = async (reply: FastifyReply, error: unknown): Promise<never> => {
    clearSession(oauth, reply);
    throw error;
  };

  app.get(
    '/oauth/app/sign-in',
    {
      schema: { tags, summary: "The web app's sign-in: the code flow at the configured provider, back into the app at `return`", querystring: Type.Object({ return: Type.Optional(Type.String()) }) },
    },
    async (request, reply) => startSignIn(oauth, reply, sameOriginPath(request.query.return)),
  );

  app.post(
    '/oauth/session/refresh',
    {
      config: limited,
      schema: { tags, summary: "A fresh access token for the web app, from its session cookie, which is rotated", headers: appHeader, response: { 200: SessionAnswer, ...errorResponses } },
      preValidation: async (request) => requireAppHeader(request),
    },
    async (request, reply) => {
      const refreshToken = request.cookies[SESSION_COOKIE];
      if (!refreshToken) return failed(reply, new HttpError(401, SESSION_ENDED));
      let pair: TokenPair;
      try {
        pair = await oauth.proxy.refresh(refreshToken);
      } catch (error) {
        if (error instanceof ExchangeError && error.refused) return failed(reply, new HttpError(401, SESSION_ENDED));
        throw error;
      }
      const { principal, expiresAt } = await oauth.verifier.verify(pair.token).catch((error: unknown) => {
        if (error instanceof TokenRejectedError) return failed(reply, new HttpError(401, SESSION_ENDED));
        throw error;
      });
      // A provider that does not rotate refresh tokens answers none: the cookie keeps the old one.
      if (pair.refreshToken) setSession(oauth, reply, pair.refreshToken);
      void reply.header('cache-control', 'no-store');
      return {
        error: false as const,
        access_token: pair.token,
        expires_in: expiresAt ? Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000)) : UNKNOWN_LIFETIME_SECONDS,
        user: { name: principal.name, roles: [...principal.roles] },
      };
    },
  );

  app.post(
    '/oauth/session/sign-out',
    {
      schema: { tags, summary: "The web app's sign-out: its refresh token and access token are revoked, the cookie cleared", headers: appHeader, response: { 200: Type.Object({ error: Type.Literal(false) }), ...errorResponses } },
      preValidation: async (request) => requireAppHeader(request),
    },
    async (request, reply) => {
      clearSession(oauth, reply);
      const revoke = (token: string) =>
        oauth.proxy.revoke(token).catch((error: unknown) => {
          throw new HttpError(500, `Sign-out failed: ${rootMessage(error)}`, { cause: error });
        });
      const refreshToken = request.cookies[SESSION_COOKIE];
      // The refresh token first: it takes the access tokens issued with it along.
      if (refreshToken) await revoke(refreshToken);
      const { authorization } = request.headers;
      if (authorization !== undefined) await revoke(bearerToken(authorization));
      return { error: false as const };
    },
  );
}
