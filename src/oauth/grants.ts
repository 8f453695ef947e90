import { and, eq, inArray, isNull, lt } from 'drizzle-orm';
import type { Database } from '../store/store.js';
import { oauthCodes, oauthRefreshTokens } from '../store/schema.js';

export type StoredCode = typeof oauthCodes.$inferSelect;
export type StoredRefreshToken = typeof oauthRefreshTokens.$inferSelect;

/**
 * The built-in provider's authorization codes and refresh tokens, by hash. "Consume" marks a
 * row used in one conditional update, so two concurrent uses cannot both win.
 */
export class GrantStore {
  constructor(private readonly db: Database) {}

  async saveCode(code: typeof oauthCodes.$inferInsert): Promise<void> {
    await this.db.insert(oauthCodes).values(code);
  }

  async findCode(hash: string): Promise<StoredCode | undefined> {
    const [code] = await this.db.select().from(oauthCodes).where(eq(oauthCodes.hash, hash));
    return code;
  }

  async consumeCode(hash: string, now: Date): Promise<boolean> {
    const used = await this.db
      .update(oauthCodes)
      .set({ usedAt: now })
      .where(and(eq(oauthCodes.hash, hash), isNull(oauthCodes.usedAt)))
      .returning({ hash: oauthCodes.hash });
    return used.length > 0;
  }

  async saveRefreshToken(token: typeof oauthRefreshTokens.$inferInsert): Promise<void> {
    await this.db.insert(oauthRefreshTokens).values(token);
  }

  async findRefreshToken(hash: string): Promise<StoredRefreshToken | undefined> {
    const [token] = await this.db.select().from(oauthRefreshTokens).where(eq(oauthRefreshTokens.hash, hash));
    return token;
  }

  async consumeRefreshToken(hash: string, now: Date): Promise<boolean> {
    const used = await this.db
      .update(oauthRefreshTokens)
      .set({ usedAt: now })
      .where(and(eq(oauthRefreshTokens.hash, hash), isNull(oauthRefreshTokens.usedAt)))
      .returning({ hash: oauthRefreshTokens.hash });
    return used.length > 0;
  }

  /** The refresh token issued with an access token: who it was for, and with which scope. */
  async findByAccessToken(accessTokenHash: string): Promise<StoredRefreshToken | undefined> {
    const [token] = await this.db.select().from(oauthRefreshTokens).where(eq(oauthRefreshTokens.accessTokenHash, accessTokenHash));
    return token;
  }

  async familiesOfCode(codeHash: string): Promise<string[]> {
    const rows = await this.db
      .selectDistinct({ familyId: oauthRefreshTokens.familyId })
      .from(oauthRefreshTokens)
      .where(eq(oauthRefreshTokens.codeHash, codeHash));
    return rows.map((row) => row.familyId);
  }

  /** Deletes a family's refresh tokens and answers the hashes of the access tokens issued with them. */
  async deleteFamilies(familyIds: readonly string[]): Promise<string[]> {
    if (familyIds.length === 0) return [];
    const deleted = await this.db
      .delete(oauthRefreshTokens)
      .where(inArray(oauthRefreshTokens.familyId, [...familyIds]))
      .returning({ accessTokenHash: oauthRefreshTokens.accessTokenHash });
    return deleted.flatMap((row) => (row.accessTokenHash ? [row.accessTokenHash] : []));
  }

  /**
   * Used codes and refresh tokens are kept until they expire, to recognise a replay; after that a
   * replay fails anyway.
   */
  async purgeExpired(before: Date): Promise<void> {
    await this.db.delete(oauthCodes).where(lt(oauthCodes.expiresAt, before));
    await this.db.delete(oauthRefreshTokens).where(lt(oauthRefreshTokens.expiresAt, before));
  }
}
