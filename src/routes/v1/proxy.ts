import rateLimit from '@fastify/rate-limit';
import { Type } from 'typebox';
import { TokenRejectedError } from '../../auth/verifier.js';
import { AuthMessages } from '../../http/auth.js';
import { errorResponses, HttpError } from '../../http/envelope.js';
import { absentBodyIsEmpty } from '../../http/json-body.js';
import type { HttpApp } from '../../http/server.js';
import { tooManyRequests } from '../../oauth/http.js';
import { ExchangeError, type TokenPair } from '../../oauth/proxy.js';
import type { Services } from '../../services.js';
import { rootMessage } from '../../store/errors.js';

const tags = ['proxy'];
const EXCHANGE_FAILURE = 'Exchange Token fail';

const TokenPairBody = Type.Object({ token: Type.String(), refresh_token: Type.String() });

/** RFC 7662's flat form, which the original UI reads. */
const Introspection = Type.Object({
  active: Type.Boolean(),
  username: Type.Optional(Type.String()),
  exp: Type.Optional(Type.Integer({ description: 'expiry, in seconds since 1970' })),
  scope: Type.Optional(Type.String()),
  roles: Type.Optional(Type.Array(Type.String())),
});

/** The web client's server side: code exchange and refresh with the provider, and who holds a token. */
export async function proxyRoutes(app: HttpApp, { services }: { services: Services }): Promise<void> {
  const { oauth } = services;
  await app.register(rateLimit, { global: false, errorResponseBuilder: tooManyRequests });
  const limited = { public: true, rateLimit: { max: oauth.rateLimitPerMinute, timeWindow: '1 minute' } };

  app.post(
    '/proxy/token',
    {
      config: limited,
      schema: {
        tags,
        summary: 'Exchange an authorization code for tokens, with the client secret only the server holds',
        body: Type.Object({
          code: Type.String({ minLength: 1, maxLength: 2048 }),
          code_verifier: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._~-]{43,128}$', description: 'a PKCE verifier: 43 to 128 characters of A-Z a-z 0-9 . _ ~ -' })),
          redirect_uri: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'the redirect URI of the authorization request, when it was not the configured one' })),
        }),
        response: { 200: TokenPairBody, ...errorResponses },
      },
    },
    async (request) => {
      const { code, code_verifier: codeVerifier, redirect_uri: redirectUri } = request.body;
      return answer(() => oauth.proxy.exchange({ code, ...(codeVerifier ? { codeVerifier } : {}), ...(redirectUri ? { redirectUri } : {}) }));
    },
  );

  app.post(
    '/proxy/refresh',
    {
      config: limited,
      schema: {
        tags,
        summary: 'Trade a refresh token for new tokens; the old refresh token stops working',
        body: Type.Object({ refresh_token: Type.String({ minLength: 1, maxLength: 4096 }) }),
        response: { 200: TokenPairBody, ...errorResponses },
      },
    },
    async (request) => answer(() => oauth.proxy.refresh(request.body.refresh_token)),
  );

  app.post(
    '/proxy/introspection',
    {
      config: { public: true },
      preValidation: absentBodyIsEmpty,
      schema: {
        tags,
        summary: 'Who a token belongs to; {"active": false} for no token or a bad one',
        body: Type.Object({ token: Type.Optional(Type.Union([Type.String({ maxLength: 8192 }), Type.Null()])) }),
        response: { 200: Introspection, ...errorResponses },
      },
    },
    async (request) => {
      const { token } = request.body;
      if (!token) return { active: false };
      try {
        const { principal, expiresAt } = await services.verifier.verify(token);
        const scope = oauth.provider ? await oauth.provider.scopeOfAccessToken(token) : undefined;
        return {
          active: true,
          username: principal.name,
          ...(expiresAt ? { exp: Math.floor(expiresAt.getTime() / 1000) } : {}),
          ...(scope !== undefined ? { scope } : {}),
          roles: [...principal.roles],
        };
      } catch (error) {
        if (error instanceof TokenRejectedError) return { active: false };
        throw new HttpError(500, `${AuthMessages.verifyFailed}: ${rootMessage(error)}`, { cause: error });
      }
    },
  );
}

async function answer(exchange: () => Promise<TokenPair>): Promise<{ token: string; refresh_token: string }> {
  try {
    const pair = await exchange();
    return { token: pair.token, refresh_token: pair.refreshToken };
  } catch (error) {
    if (error instanceof ExchangeError) throw new HttpError(error.refused ? 400 : 500, `${EXCHANGE_FAILURE}: ${error.message}`, { cause: error });
    throw new HttpError(500, `${EXCHANGE_FAILURE}: ${rootMessage(error)}`, { cause: error });
  }
}
