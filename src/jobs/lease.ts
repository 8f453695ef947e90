import { sql } from 'drizzle-orm';
import { leases } from '../store/schema.js';
import type { Database } from '../store/store.js';

/**
 * A lease in the database: with several servers on one database, only the holder does a chore
 * such as reconciling or culling. The holder renews before expiry; a crashed holder's lease runs
 * out and another server takes over. Works the same on PGlite and on a server.
 */
export class DatabaseLease {
  constructor(
    private readonly db: Database,
    private readonly name: string,
    private readonly holder: string,
    private readonly ttlSeconds: number,
    private readonly isHolderGone: (holder: string) => boolean = () => false,
  ) {}

  /** Takes or renews the lease; answers whether this holder has it now. */
  async acquire(): Promise<boolean> {
    const expiresAt = this.expiry();
    const rows = await this.db
      .insert(leases)
      .values({ name: this.name, holder: this.holder, expiresAt })
      .onConflictDoUpdate({
        target: leases.name,
        set: { holder: this.holder, expiresAt },
        setWhere: sql`${leases.holder} = ${this.holder} or ${leases.expiresAt} < now()`,
      })
      .returning({ holder: leases.holder });
    return rows.length === 1 || (await this.takeOverFromDead());
  }

  /** Only from the very holder judged dead: a live server that took it meanwhile keeps it. */
  private async takeOverFromDead(): Promise<boolean> {
    const [current] = await this.db.select({ holder: leases.holder }).from(leases).where(sql`${leases.name} = ${this.name}`);
    if (!current || !this.isHolderGone(current.holder)) return false;
    const rows = await this.db
      .update(leases)
      .set({ holder: this.holder, expiresAt: this.expiry() })
      .where(sql`${leases.name} = ${this.name} and ${leases.holder} = ${current.holder}`)
      .returning({ holder: leases.holder });
    return rows.length === 1;
  }

  private expiry() {
    return sql`now() + make_interval(secs => ${this.ttlSeconds})`;
  }

  /** Lets another server take over at once, for a clean shutdown. */
  async release(): Promise<void> {
    await this.db.delete(leases).where(sql`${leases.name} = ${this.name} and ${leases.holder} = ${this.holder}`);
  }
}
