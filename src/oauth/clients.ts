import { createHash, timingSafeEqual } from 'node:crypto';
import type { RegisteredClient } from '../config/oauth-settings.js';

export type { RegisteredClient };

/** Compares secrets in constant time; hashing first makes the lengths equal without revealing them. */
export function secretsMatch(expected: string, presented: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(expected), digest(presented));
}

/** The built-in provider's clients, by id. */
export class ClientRegistry {
  private readonly byId = new Map<string, RegisteredClient>();

  constructor(clients: readonly RegisteredClient[]) {
    for (const client of clients) {
      if (this.byId.has(client.id)) throw new Error(`client ${client.id} is registered twice`);
      this.byId.set(client.id, client);
    }
  }

  all(): RegisteredClient[] {
    return [...this.byId.values()];
  }

  find(id: string): RegisteredClient | undefined {
    return this.byId.get(id);
  }

  /**
   * A confidential client must prove its secret; a public one (no secret) must not claim one, and
   * makes up for it with PKCE, which the authorization endpoint requires of it.
   */
  authenticate(id: string, secret: string | undefined): RegisteredClient | undefined {
    const client = this.byId.get(id);
    if (!client) return undefined;
    if (client.secret === undefined) return secret ? undefined : client;
    return secret !== undefined && secretsMatch(client.secret, secret) ? client : undefined;
  }
}

/** `Authorization: Basic` client credentials (RFC 6749 §2.3.1), or those of the form body. */
export function clientCredentials(
  authorization: string | undefined,
  form: Readonly<Record<string, string>>,
): { id: string; secret: string | undefined } | undefined {
  const basic = authorization ? /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(authorization) : null;
  if (basic) {
    const decoded = Buffer.from(basic[1] as string, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    try {
      return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
    } catch {
      return undefined;
    }
  }
  if (!form.client_id) return undefined;
  return { id: form.client_id, secret: form.client_secret };
}
