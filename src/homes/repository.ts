import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { Batcher } from '../common/batcher.js';
import { activeJobIdsOfUser, lockJobAdmission } from '../store/active-jobs.js';
import { homes, userNamed, users } from '../store/schema.js';
import type { Database } from '../store/store.js';

/** A home's row, with its user's name now: null once the user is deleted (the home is orphaned). */
export interface HomeRow {
  userId: string;
  name: string;
  /** The name the home was made for. */
  ownerName: string;
  capacity: string;
  createdAt: Date;
  userName: string | null;
}

/** A home's row as a first launch makes it. */
export interface NewHome {
  userId: string;
  name: string;
  ownerName: string;
  capacity: string;
}

const homeColumns = {
  userId: homes.userId,
  name: homes.name,
  ownerName: homes.ownerName,
  capacity: homes.capacity,
  createdAt: homes.createdAt,
  userName: users.name,
};

/** The homes table, and nothing else: every query the homes service makes. */
export class HomeRepository {
  constructor(private readonly db: Database) {}

  /** The reads and first-launch inserts that arrive together (a lecture's launches) go in one statement each. */
  private readonly finds = new Batcher((userIds: readonly string[]) => this.findMany(userIds));
  private readonly inserts = new Batcher((made: readonly NewHome[]) => this.insertMany(made), { keyOf: (home) => home.userId });

  find(userId: string): Promise<HomeRow | undefined> {
    return this.finds.call(userId);
  }

  /** Each user's home, in their order (undefined: none). */
  private async findMany(userIds: readonly string[]): Promise<Array<HomeRow | undefined>> {
    const rows = await this.db.select(homeColumns).from(homes).leftJoin(users, eq(homes.userId, users.id)).where(inArray(homes.userId, [...new Set(userIds)]));
    const byUser = new Map(rows.map((row) => [row.userId, row]));
    return userIds.map((userId) => byUser.get(userId));
  }

  /** Every home, oldest first. */
  list(): Promise<HomeRow[]> {
    return this.db.select(homeColumns).from(homes).leftJoin(users, eq(homes.userId, users.id)).orderBy(asc(homes.createdAt), asc(homes.userId));
  }

  /** Orphaned homes made for a user of this name (in any case): several when the name was reused. */
  findOrphaned(ownerName: string): Promise<HomeRow[]> {
    return this.db
      .select(homeColumns)
      .from(homes)
      .leftJoin(users, eq(homes.userId, users.id))
      .where(and(sql`lower(${homes.ownerName}) = ${ownerName.toLowerCase()}`, isNull(users.id)))
      .orderBy(asc(homes.createdAt));
  }

  async findByName(name: string): Promise<HomeRow | undefined> {
    const [row] = await this.db.select(homeColumns).from(homes).leftJoin(users, eq(homes.userId, users.id)).where(eq(homes.name, name));
    return row;
  }

  /** The home of the user of this name, if that user exists and has one. */
  async findOfUser(userName: string): Promise<HomeRow | undefined> {
    const [row] = await this.db.select(homeColumns).from(homes).innerJoin(users, eq(homes.userId, users.id)).where(userNamed(userName));
    return row;
  }

  /** Makes the row unless the user has one; two first launches at once make one. Answers the row. */
  insertOnce(home: NewHome): Promise<HomeRow> {
    return this.inserts.call(home);
  }

  private async insertMany(made: readonly NewHome[]): Promise<HomeRow[]> {
    await this.db.insert(homes).values([...made]).onConflictDoNothing({ target: homes.userId });
    const rows = await this.findMany(made.map((home) => home.userId));
    return made.map((home, index) => {
      const row = rows[index];
      if (!row) throw new Error(`the home of ${home.ownerName} was neither made nor found`);
      return row;
    });
  }

  async setCapacity(userId: string, capacity: string): Promise<void> {
    await this.db.update(homes).set({ capacity }).where(eq(homes.userId, userId));
  }

  /**
   * Deletes the row once `removeStorage` has removed what it names, unless a job of the user is
   * active: that job's id is answered instead, and nothing is removed. Admission is locked
   * meanwhile, so no launch can start mounting the home between the check and the delete.
   */
  async removeUnlessMounted(userId: string, removeStorage: () => Promise<void>): Promise<{ mountedBy: string } | { removed: true }> {
    return this.db.transaction(async (tx) => {
      await lockJobAdmission(tx);
      const [mountedBy] = await activeJobIdsOfUser(tx, userId);
      if (mountedBy !== undefined) return { mountedBy };
      await removeStorage();
      await tx.delete(homes).where(eq(homes.userId, userId));
      return { removed: true as const };
    });
  }
}
