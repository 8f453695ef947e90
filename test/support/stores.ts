import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore, type Store } from '../../src/store/store.js';

/** Where a store suite runs: always PGlite, and a PostgreSQL server when TEST_DATABASE_URL is set. */
export interface StoreTarget {
  name: 'pglite' | 'postgres';
  /** A new, empty, migrated store of its own. */
  open(): Promise<Store>;
}

const serverUrl = process.env.TEST_DATABASE_URL;

export const pgliteTarget: StoreTarget = {
  name: 'pglite',
  async open() {
    const store = await openStore({ kind: 'memory' });
    await store.migrate();
    return store;
  },
};

/**
 * Each suite gets a database of its own on the server, dropped when the store closes, so that
 * suites running in parallel never see each other's rows.
 */
export const postgresTarget: StoreTarget | undefined = serverUrl
  ? {
      name: 'postgres',
      async open() {
        const database = await createScratchDatabase();
        const store = await openStore({ kind: 'postgres', url: database.url, poolSize: 5 });
        await store.migrate();
        return {
          ...store,
          async close() {
            await store.close();
            await database.drop();
          },
        };
      },
    }
  : undefined;

export const storeTargets: StoreTarget[] = postgresTarget ? [pgliteTarget, postgresTarget] : [pgliteTarget];

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createScratchDatabase(): Promise<ScratchDatabase> {
  if (!serverUrl) throw new Error('TEST_DATABASE_URL is not set');
  const base = new URL(serverUrl);
  const name = `${base.pathname.slice(1) || 'classlab'}_${randomBytes(4).toString('hex')}`;
  await asAdmin(`create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => asAdmin(`drop database if exists "${name}" with (force)`) };
}

async function asAdmin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
