import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { HttpApp } from '../http/server.js';
import { IdentityError } from '../identity/status.js';
import { secretsMatch } from './clients.js';
import { errorPage, loginPage, PAGE_HEADERS } from './pages.js';
import { AuthorizationRequestError, type AuthorizationRequest, type BuiltInProvider, type OAuthAnswer } from './provider.js';
import type { OAuthServices } from './setup.js';

const CSRF_COOKIE = 'classlab_login_csrf';
type Params = Record<string, string | undefined>;

/** The built-in authorization server's endpoints. */
export async function providerRoutes(app: HttpApp, { oauth, provider }: { oauth: OAuthServices; provider: BuiltInProvider }): Promise<void> {
  const limited = { rateLimit: { max: oauth.rateLimitPerMinute, timeWindow: '1 minute' } };
  const tags = ['oauth'];

  app.get('/.well-known/oauth-authorization-server', { schema: { tags, summary: "The built-in provider's metadata (RFC 8414)" } }, async (_request, reply) => {
    void reply.header('cache-control', 'public, max-age=3600');
    return provider.metadata();
  });

  /** Shows the login form, once the request is known to be sound. */
  const authorizeDoc = 'Query: response_type=code, client_id, redirect_uri, scope, state; code_challenge and code_challenge_method=S256 (PKCE, required of public clients).';
  app.get('/oauth/authorize', { schema: { tags, summary: 'Authorization endpoint (RFC 6749 §4.1): the login form', description: authorizeDoc } }, async (request, reply) => {
    const authorization = checkRequest(provider, request.query as Params, reply);
    if (!authorization) return reply;
    const csrf = randomBytes(24).toString('base64url');
    void reply.setCookie(CSRF_COOKIE, csrf, {
      path: '/oauth/authorize',
      httpOnly: true,
      sameSite: 'strict',
      secure: oauth.secureCookies,
    });
    return reply.code(200).headers(PAGE_HEADERS).send(loginPage({ clientId: authorization.client.id, params: authorization.params, csrf }));
  });

  /**
   * The login form's answer. CSRF: the form's hidden token must equal the cookie set with it,
   * which another site can neither read nor send (SameSite=Strict).
   */
  const loginDoc = 'The login form: the fields of the authorization request, csrf, username and password, as a form. Wrong passwords are limited per user name and address (429).';
  app.post('/oauth/authorize', { schema: { tags, summary: 'The login form: on success, a redirect with the code', description: loginDoc }, config: limited }, async (request, reply) => {
    const form = (request.body ?? {}) as Params;
    const cookieToken = request.cookies[CSRF_COOKIE];
    if (!cookieToken || !form.csrf || !secretsMatch(cookieToken, form.csrf)) {
      return reply
        .code(403)
        .headers(PAGE_HEADERS)
        .send(errorPage('Sign-in expired', 'This sign-in form was not sent from this site, or it has expired. Go back to the application and start again.'));
    }
    const authorization = checkRequest(provider, form, reply);
    if (!authorization) return reply;
    const { csrf } = form;
    const username = form.username ?? '';
    let userId: string;
    try {
      userId = await provider.checkPassword(username, form.password ?? '', request.ip);
    } catch (error) {
      if (!(error instanceof IdentityError)) throw error;
      const page = (message: string) => loginPage({ clientId: authorization.client.id, params: authorization.params, csrf, username, error: message });
      if (error.retryAfterSeconds !== undefined) {
        const minutes = Math.ceil(error.retryAfterSeconds / 60);
        const again = page(`Too many wrong passwords. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`);
        return reply.code(429).header('retry-after', String(error.retryAfterSeconds)).headers(PAGE_HEADERS).send(again);
      }
      return reply.code(401).headers(PAGE_HEADERS).send(page('Wrong user name or password.'));
    }
    void reply.clearCookie(CSRF_COOKIE, { path: '/oauth/authorize' });
    return reply.code(302).header('cache-control', 'no-store').redirect(await provider.authorize(userId, authorization));
  });

  const formEndpoint = (
    path: string,
    summary: string,
    handle: (form: Record<string, string>, authorization?: string) => Promise<OAuthAnswer>,
    rateLimited: boolean,
  ) => {
    const description = 'A form (application/x-www-form-urlencoded); client credentials by HTTP Basic or client_id and client_secret. Answers in OAuth2 JSON.';
    app.post(path, { schema: { tags, summary, description, consumes: ['application/x-www-form-urlencoded'] }, ...(rateLimited ? { config: limited } : {}) }, async (request, reply) => {
      const answer = await handle((request.body ?? {}) as Record<string, string>, request.headers.authorization);
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    });
  };
  formEndpoint('/oauth/token', 'Token endpoint (RFC 6749 §3.2): authorization_code and refresh_token grants', (form, authorization) => provider.token(form, authorization), true);
  formEndpoint('/oauth/introspect', 'Token introspection (RFC 7662), for registered clients', (form, authorization) => provider.introspect(form, authorization), false);
  formEndpoint('/oauth/revoke', 'Token revocation (RFC 7009), for registered clients', (form, authorization) => provider.revoke(form, authorization), false);
}

/** A sound request, or the reply is already decided: an error page, or a redirect with the error. */
function checkRequest(provider: BuiltInProvider, params: Params, reply: FastifyReply): AuthorizationRequest | undefined {
  try {
    return provider.checkAuthorizationRequest(params);
  } catch (error) {
    if (!(error instanceof AuthorizationRequestError)) throw error;
    if (error.redirectTo) void reply.code(302).header('cache-control', 'no-store').redirect(error.redirectTo);
    else void reply.code(400).headers(PAGE_HEADERS).send(errorPage('Cannot sign in', error.message));
    return undefined;
  }
}
