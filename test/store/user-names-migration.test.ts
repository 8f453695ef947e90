import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc } from 'drizzle-orm';
import { migrate } from 'drizzle-orm/pglite/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { IdentityService } from '../../src/identity/service.js';
import { users } from '../../src/store/schema.js';
import { openStore, type Schema } from '../../src/store/store.js';

interface Journal {
  entries: Array<{ tag: string }>;
}

/** The migrations folder as it was before names became unique regardless of case. */
function migrationsBefore(tag: string): string {
  const folder = mkdtempSync(join(tmpdir(), 'classlab-old-migrations-'));
  cpSync('drizzle', folder, { recursive: true });
  const journalPath = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as Journal;
  const index = journal.entries.findIndex((entry) => entry.tag === tag);
  expect(index).toBeGreaterThan(0);
  writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, index) }));
  return folder;
}

describe('the migration that makes user names unique regardless of case', () => {
  const folders: string[] = [];
  afterAll(() => {
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });

  it('starts on an older database holding Admin beside admin: the oldest keeps its name, later ones are renamed', async () => {
    const oldFolder = migrationsBefore('0004_users_name_case');
    folders.push(oldFolder);
    const store = await openStore({ kind: 'memory' });
    try {
      await migrate(store.db as unknown as PgliteDatabase<Schema>, { migrationsFolder: oldFolder });
      const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));
      await store.db.insert(users).values([
        { name: 'admin', passwordHash: 'x', createdAt: at(0) },
        { name: 'Admin', passwordHash: 'x', createdAt: at(1) },
        { name: 'ADMIN', passwordHash: 'x', createdAt: at(2) },
        { name: 'kim', passwordHash: 'x', createdAt: at(3) },
      ]);

      await store.migrate();

      const rows = await store.db.select({ id: users.id, name: users.name }).from(users).orderBy(asc(users.createdAt));
      const suffixOf = (id: string) => id.replace(/-/g, '').slice(0, 8);
      expect(rows.map((row) => row.name)).toEqual([
        'admin',
        `Admin-${suffixOf(rows[1]?.id ?? '')}`,
        `ADMIN-${suffixOf(rows[2]?.id ?? '')}`,
        'kim',
      ]);
      // And from now on the database itself refuses another case of a taken name.
      const identity = new IdentityService(store.db, { tokenTtlSeconds: 3600 });
      await expect(store.db.insert(users).values({ name: 'KIM', passwordHash: 'x' })).rejects.toThrow();
      expect((await identity.findUser({ name: 'ADMIN' }))?.id).toBe(rows[0]?.id);
    } finally {
      await store.close();
    }
  });
});
