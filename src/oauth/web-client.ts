import type { HttpApp } from '../http/server.js';
import { enterApp, leaveAppWithError } from './app-session.js';
import { secretsMatch } from './clients.js';
import { startSignIn, takePendingSignIn } from './code-flow.js';
import { errorPage, PAGE_HEADERS, signedInPage } from './pages.js';
import { ExchangeError } from './proxy.js';
import type { OAuthServices } from './setup.js';

/**
 * A minimal web client of classlab's own, so that a person can sign in with a browser and get a
 * token: /oauth/sign-in starts the code flow (state and PKCE), /oauth/callback finishes it
 * through the same proxy that POST /v1/proxy/token uses. Works with any configured provider.
 * A sign-in the web app started (/oauth/app/sign-in) ends in the app, with a session cookie.
 */
export async function webClientRoutes(app: HttpApp, { oauth }: { oauth: OAuthServices }): Promise<void> {
  const limited = { rateLimit: { max: oauth.rateLimitPerMinute, timeWindow: '1 minute' } };

  const tags = ['oauth'];
  app.get('/oauth/sign-in', { schema: { tags, summary: "Sign in with a browser: starts the code flow at the configured provider" } }, async (_request, reply) =>
    startSignIn(oauth, reply),
  );

  app.get('/oauth/callback', { schema: { tags, summary: 'Where the provider sends the browser back: shows the token, or enters the web app' }, config: limited }, async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const pending = takePendingSignIn(request, reply);
    const appReturn = pending?.appReturn;
    const fail = (status: number, message: string) =>
      appReturn === undefined ? reply.code(status).headers(PAGE_HEADERS).send(errorPage('Sign-in failed', message)) : leaveAppWithError(reply, message);
    if (query.error) return fail(400, `The provider refused: ${query.error}${query.error_description ? ` (${query.error_description})` : ''}`);
    if (!pending || !query.state || !secretsMatch(pending.state, query.state) || !query.code) {
      return fail(400, 'This sign-in was not started here, or it was already used. Start again at /oauth/sign-in.');
    }
    try {
      const pair = await oauth.proxy.exchange({ code: query.code, codeVerifier: pending.verifier });
      if (appReturn !== undefined) return enterApp(oauth, reply, pair, appReturn);
      const apiUrl = `${request.protocol}://${request.host}`;
      return reply.code(200).headers(PAGE_HEADERS).send(signedInPage(apiUrl, pair.token, pair.refreshToken));
    } catch (error) {
      if (!(error instanceof ExchangeError)) throw error;
      if (!error.refused) request.log.error({ err: error }, 'code exchange failed');
      return fail(error.refused ? 400 : 500, `Exchange Token fail: ${error.message}`);
    }
  });
}
