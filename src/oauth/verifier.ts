import { TokenRejectedError, type TokenVerifier, type VerifiedToken } from '../auth/verifier.js';
import { isWellFormedToken } from '../identity/tokens.js';
import type { ExternalAccounts } from './accounts.js';
import type { ExternalProvider } from './external.js';

/** Checks an external provider's bearer tokens, and maps their holder to a classlab user. */
export class ExternalTokenVerifier implements TokenVerifier {
  constructor(
    private readonly provider: ExternalProvider,
    private readonly accounts: ExternalAccounts,
  ) {}

  async verify(token: string): Promise<VerifiedToken> {
    const { claims, expiresAt } = await this.provider.identify(token);
    const principal = await this.accounts.principalFor(this.provider.issuer, claims);
    return { principal, ...(expiresAt ? { expiresAt } : {}) };
  }
}

/**
 * classlab's own tokens (the identity service's, and so the built-in provider's) have one shape;
 * anything else goes to the external provider, if there is one. Each has its own cache.
 */
export class TokenVerifierChain implements TokenVerifier {
  constructor(
    private readonly local: TokenVerifier,
    private readonly external: TokenVerifier | undefined,
  ) {}

  async verify(token: string): Promise<VerifiedToken> {
    if (isWellFormedToken(token)) {
      try {
        return await this.local.verify(token);
      } catch (error) {
        if (!(this.external && error instanceof TokenRejectedError && error.reason === 'invalid')) throw error;
      }
    }
    if (!this.external) throw new TokenRejectedError('invalid');
    return this.external.verify(token);
  }

  /** classlab's own tokens only: a provider revokes its tokens without telling us, so those are asked about at each use. */
  watch(token: string, onChange: () => void): (() => void) | undefined {
    return this.local.watch?.(token, onChange);
  }
}
