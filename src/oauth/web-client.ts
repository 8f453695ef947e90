import { createHash, randomBytes } from 'node:crypto';
import type { HttpApp } from '../http/server.js';
import { secretsMatch } from './clients.js';
import { errorPage, PAGE_HEADERS, signedInPage } from './pages.js';
import { ExchangeError } from './proxy.js';
import type { OAuthServices } from './setup.js';

const STATE_COOKIE = 'classlab_signin';

/**
 * A minimal web client of classlab's own, so that a person can sign in with a browser and get a
 * token: /oauth/sign-in starts the code flow (state and PKCE), /oauth/callback finishes it
 * through the same proxy that POST /v1/proxy/token uses. Works with any configured provider.
 */
export async function webClientRoutes(app: HttpApp, { oauth }: { oauth: OAuthServices }): Promise<void> {
  const limited = { rateLimit: { max: oauth.rateLimitPerMinute, timeWindow: '1 minute' } };

  const tags = ['oauth'];
  app.get('/oauth/sign-in', { schema: { tags, summary: "Sign in with a browser: starts the code flow at the configured provider" } }, async (_request, reply) => {
    const state = randomBytes(16).toString('base64url');
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const target = await oauth.proxy.authorizationUrl({ state, codeChallenge: challenge });
    // Lax, not Strict: the browser comes back from the provider in a cross-site navigation.
    void reply.setCookie(STATE_COOKIE, `${state}.${verifier}`, {
      path: '/oauth/callback',
      httpOnly: true,
      sameSite: 'lax',
      secure: oauth.secureCookies,
      maxAge: 600,
    });
    return reply.code(302).header('cache-control', 'no-store').redirect(target.href);
  });

  app.get('/oauth/callback', { schema: { tags, summary: 'Where the provider sends the browser back: shows the token' }, config: limited }, async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const [state, verifier] = (request.cookies[STATE_COOKIE] ?? '').split('.');
    void reply.clearCookie(STATE_COOKIE, { path: '/oauth/callback' });
    const fail = (status: number, message: string) => reply.code(status).headers(PAGE_HEADERS).send(errorPage('Sign-in failed', message));
    if (query.error) return fail(400, `The provider refused: ${query.error}${query.error_description ? ` (${query.error_description})` : ''}`);
    if (!state || !verifier || !query.state || !secretsMatch(state, query.state) || !query.code) {
      return fail(400, 'This sign-in was not started here, or it was already used. Start again at /oauth/sign-in.');
    }
    try {
      const pair = await oauth.proxy.exchange({ code: query.code, codeVerifier: verifier });
      const apiUrl = `${request.protocol}://${request.host}`;
      return reply.code(200).headers(PAGE_HEADERS).send(signedInPage(apiUrl, pair.token, pair.refreshToken));
    } catch (error) {
      if (!(error instanceof ExchangeError)) throw error;
      if (!error.refused) request.log.error({ err: error }, 'code exchange failed');
      return fail(error.refused ? 400 : 500, `Exchange Token fail: ${error.message}`);
    }
  });
}
