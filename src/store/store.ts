import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { asc, eq } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import { pgSchema, text, type PgDatabase, type PgQueryResultHKT, type PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import pg from 'pg';
import { privateFolder } from '../common/private-folder.js';
import { openEmbeddedPostgres } from './embedded-postgres.js';
import { LocalChangeFeed, PostgresChangeFeed, type ChangeFeed, type FeedErrorReporter } from './change-feed.js';
import { lockDataDir } from './data-dir-lock.js';
import * as schema from './schema.js';

export type Schema = typeof schema;
/** Both drivers give this one type, so every query has one code path. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
export type Transaction = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Either the database or a transaction on it: what a query needs to run. */
export type Queryable = Database | Transaction;

export interface Store {
  readonly db: Database;
  /** For logs: where the data lives, without credentials. */
  readonly location: string;
  /** Tells every server on this database what changed, so that their caches stay true. */
  readonly changes: ChangeFeed;
  /** An embedded database: one process owns it, so no other server writes its rows. */
  readonly soleServer: boolean;
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export type StoreOptions =
  | { kind: 'postgres'; url: string; poolSize?: number; onPoolError?: (error: Error) => void; onFeedError?: FeedErrorReporter }
  | { kind: 'pglite'; dataDir: string; onFeedError?: FeedErrorReporter }
  | { kind: 'memory'; onFeedError?: FeedErrorReporter };

const MIGRATIONS_FOLDER = resolve(dirname(fileURLToPath(import.meta.url)), '../../drizzle');
/** Any constant works; it only has to be the same in every classlab process. */
const MIGRATION_LOCK_KEY = 0x636c_6173;

export async function openStore(options: StoreOptions): Promise<Store> {
  return options.kind === 'postgres' ? openServer(options) : openEmbedded(options);
}

async function openServer(options: Extract<StoreOptions, { kind: 'postgres' }>): Promise<Store> {
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
  // An idle connection that drops (server restart) must not crash the process: the pool
  // replaces it on the next query.
  pool.on('error', (error) => options.onPoolError?.(error));
  const db = drizzleNodePg({ client: pool, schema });
  const changes = new PostgresChangeFeed({
    connect: () => new pg.Client({ connectionString: options.url, keepAlive: true }),
    query: (text, values) => pool.query(text, values),
    ...(options.onFeedError ? { report: options.onFeedError } : {}),
  });
  // A database that is down now is reported by the first query; the listener keeps retrying.
  await changes.start().catch(() => {});
  return {
    db,
    location: redactUrl(options.url),
    soleServer: false,
    changes,
    async migrate() {
      // Two processes may start at once: the advisory lock lets one migrate while the other waits.
      const client = await pool.connect();
      try {
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
        try {
          await migrateNodePg(drizzleNodePg({ client, schema }), { migrationsFolder: MIGRATIONS_FOLDER });
        } finally {
          await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
        }
      } finally {
        client.release();
      }
    },
    async close() {
      await changes.close();
      await pool.end();
    },
  };
}

async function openEmbedded(options: Extract<StoreOptions, { kind: 'pglite' | 'memory' }>): Promise<Store> {
  let release = () => {};
  let client: PGlite;
  let location = 'memory';
  if (options.kind === 'pglite') {
    location = resolve(options.dataDir);
    await privateFolder(location);
    release = lockDataDir(location).release;
    try {
      client = await openEmbeddedPostgres(join(location, 'pg'));
    } catch (error) {
      release();
      throw error;
    }
  } else {
    client = await openEmbeddedPostgres();
  }
  const db = drizzlePglite({ client, schema });
  // One process owns an embedded database, so its changes need not travel.
  const changes = new LocalChangeFeed(options.onFeedError);
  return {
    db,
    location,
    soleServer: true,
    changes,
    migrate: () => migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER }),
    async close() {
      await changes.close();
      try {
        await client.close();
      } finally {
        release();
      }
    },
  };
}

/** Kept out of schema.ts so that drizzle-kit does not try to create it. */
const informationSchemaTables = pgSchema('information_schema').table('tables', {
  tableSchema: text('table_schema').notNull(),
  tableName: text('table_name').notNull(),
});

/** Table names in the public schema, for the database health check. */
export async function listTables(db: Queryable): Promise<string[]> {
  const rows = await db
    .select({ name: informationSchemaTables.tableName })
    .from(informationSchemaTables)
    .where(eq(informationSchemaTables.tableSchema, 'public'))
    .orderBy(asc(informationSchemaTables.tableName));
  return rows.map((row) => row.name);
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres';
  }
}
