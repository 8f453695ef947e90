import type { RegisteredClient } from './clients.js';
import type { BuiltInProvider } from './provider.js';

/** What the proxy routes answer: the spec's `{token, refresh_token}`. */
export interface TokenPair {
  token: string;
  refreshToken: string;
}

export interface CodeExchange {
  code: string;
  codeVerifier?: string;
  redirectUri?: string;
}

/** The server side of the web client: it holds the client secret, so the browser never does. */
export interface TokenProxy {
  /** Where the built-in sign-in page sends the browser: the provider's authorization endpoint. */
  authorizationUrl(parameters: { state: string; codeChallenge: string }): Promise<URL>;
  exchange(request: CodeExchange): Promise<TokenPair>;
  refresh(refreshToken: string): Promise<TokenPair>;
  /**
   * Sign-out: the token (refresh or access) stops working, as far as the provider allows; a
   * refresh token takes the access tokens issued with it along. Unknown tokens are no error.
   */
  revoke(token: string): Promise<void>;
}

/**
 * An exchange that failed. `refused`: the provider said the code or refresh token is bad (the
 * caller's fault, 400); otherwise the provider or classlab failed (500). Either way the message
 * begins "Exchange Token fail", as the spec says.
 */
export class ExchangeError extends Error {
  override readonly name = 'ExchangeError';
  constructor(
    readonly refused: boolean,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The proxy's client at the built-in provider, called in this process: no HTTP round trip to ourselves. */
export class BuiltInProxy implements TokenProxy {
  constructor(
    private readonly provider: BuiltInProvider,
    private readonly client: RegisteredClient & { secret: string; redirectUri: string },
  ) {}

  async authorizationUrl({ state, codeChallenge }: { state: string; codeChallenge: string }): Promise<URL> {
    const url = new URL(`${this.provider.issuer}/oauth/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.client.id,
      redirect_uri: this.client.redirectUri,
      scope: this.client.scopes.join(' '),
      state,
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
    }).toString();
    return url;
  }

  /**
   * A code of another registered client is exchanged as that client, with the secret classlab
   * holds for it; the redirect URI, unless the caller names one, is the code's own.
   */
  async exchange(request: CodeExchange): Promise<TokenPair> {
    const holder = await this.holder({ code: request.code });
    const form: Record<string, string> = {
      grant_type: 'authorization_code',
      code: request.code,
      redirect_uri: request.redirectUri ?? holder?.redirectUri ?? this.client.redirectUri,
    };
    if (request.codeVerifier) form.code_verifier = request.codeVerifier;
    return this.grant(form, holder?.client ?? this.client);
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    const holder = await this.holder({ refreshToken });
    return this.grant({ grant_type: 'refresh_token', refresh_token: refreshToken }, holder?.client ?? this.client);
  }

  async revoke(token: string): Promise<void> {
    const client = (await this.holder({ refreshToken: token }))?.client ?? this.client;
    const credentials: Record<string, string> = { client_id: client.id };
    if (client.secret !== undefined) credentials.client_secret = client.secret;
    await this.provider.revoke({ token, ...credentials });
  }

  private async holder(grant: { code: string } | { refreshToken: string }) {
    try {
      return await this.provider.holderOf(grant);
    } catch (error) {
      throw new ExchangeError(false, error instanceof Error ? error.message : String(error), { cause: error });
    }
  }

  private async grant(form: Record<string, string>, client: RegisteredClient): Promise<TokenPair> {
    let answer;
    try {
      const credentials: Record<string, string> = { client_id: client.id };
      if (client.secret !== undefined) credentials.client_secret = client.secret;
      answer = await this.provider.token({ ...form, ...credentials });
    } catch (error) {
      throw new ExchangeError(false, error instanceof Error ? error.message : String(error), { cause: error });
    }
    const { body } = answer;
    if (answer.status === 200 && typeof body.access_token === 'string') {
      return { token: body.access_token, refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : '' };
    }
    const error = String(body.error ?? 'server_error');
    // invalid_client here means our own registration is wrong: not the caller's fault.
    throw new ExchangeError(error !== 'invalid_client' && answer.status < 500, `${error}: ${String(body.error_description ?? '')}`);
  }
}
