import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CourseService } from '../../src/courses/service.js';
import { IdentityService } from '../../src/identity/service.js';
import { DataDirLockedError, lockDataDir } from '../../src/store/data-dir-lock.js';
import { roles } from '../../src/store/schema.js';
import { listTables, openStore, type Store } from '../../src/store/store.js';
import { createScratchDatabase, postgresTarget, storeTargets } from '../support/stores.js';

describe.each(storeTargets)('migrations on $name', (target) => {
  it('create every table and the built-in roles, and can run again without effect', async () => {
    const store = await target.open();
    try {
      await store.migrate();
      expect(await listTables(store.db)).toEqual(['classroom_courses', 'classroom_members', 'classroom_windows', 'classrooms', 'course_datasets', 'courses', 'homes', 'jobs', 'leases', 'oauth_codes', 'oauth_identities', 'oauth_refresh_tokens', 'roles', 'sign_in_failures', 'tokens', 'usage_records', 'user_roles', 'users']);
      const builtIn = await store.db.select({ name: roles.name, builtIn: roles.builtIn }).from(roles).orderBy(roles.name);
      expect(builtIn).toEqual([
        { name: 'admin', builtIn: true },
        { name: 'student', builtIn: true },
        { name: 'teacher', builtIn: true },
      ]);
    } finally {
      await store.close();
    }
  });
});

describe.skipIf(!postgresTarget)('migrations on a PostgreSQL server', () => {
  it('are safe when several processes start at once', async () => {
    const database = await createScratchDatabase();
    const stores = await Promise.all(Array.from({ length: 4 }, () => openStore({ kind: 'postgres', url: database.url, poolSize: 2 })));
    try {
      await Promise.all(stores.map((store) => store.migrate()));
      const first = stores[0] as Store;
      const applied = await first.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
      // Each migration once, however many processes raced to apply it.
      const journal = JSON.parse(readFileSync('drizzle/meta/_journal.json', 'utf8')) as { entries: unknown[] };
      expect((applied as unknown as { rows: Array<{ n: number }> }).rows[0]?.n).toBe(journal.entries.length);
      const [roleCount] = await first.db.select({ n: count() }).from(roles);
      expect(roleCount?.n).toBe(3);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      await database.drop();
    }
  });
});

describe('the embedded database directory', () => {
  const dirs: string[] = [];
  const newDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'classlab-store-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps users, roles and courses across a restart', async () => {
    const dataDir = newDir();
    let store = await openStore({ kind: 'pglite', dataDir });
    await store.migrate();
    let identity = new IdentityService(store.db, { tokenTtlSeconds: 3600 });
    const teacher = await identity.createUser('tina', 'tina-password', ['teacher']);
    await identity.createRole('assistant');
    await identity.addUserRole('tina', 'assistant');
    const courseId = (
      await new CourseService(store.db, identity).create(
        { userId: teacher.id, name: 'tina', roles: teacher.roles },
        { name: 'c1', introduction: '# intro', image: 'img', gpu: 1, level: 'basic', datasets: ['mnist', 'cifar-10'], ports: [], homePath: null },
      )
    ).id;
    const token = (await identity.authenticate('tina', 'tina-password')).token;
    await store.close();

    store = await openStore({ kind: 'pglite', dataDir });
    try {
      await store.migrate();
      identity = new IdentityService(store.db, { tokenTtlSeconds: 3600 });
      expect((await identity.findUser({ name: 'tina' }))?.roles).toEqual(['assistant', 'teacher']);
      expect((await identity.tokenOwner(token)).name).toBe('tina');
      const course = await new CourseService(store.db, identity).get(courseId);
      expect(course).toMatchObject({ name: 'c1', introduction: '# intro', gpu: 1, datasets: ['mnist', 'cifar-10'], user: 'tina' });
    } finally {
      await store.close();
    }
  });

  it('cannot be opened twice at once, and can be opened again once closed', async () => {
    const dataDir = newDir();
    const store = await openStore({ kind: 'pglite', dataDir });
    await expect(openStore({ kind: 'pglite', dataDir })).rejects.toBeInstanceOf(DataDirLockedError);
    await store.close();
    expect(existsSync(join(dataDir, 'classlab.lock'))).toBe(false);
    const again = await openStore({ kind: 'pglite', dataDir });
    await again.close();
  });

  it('is refused while another live process holds it, naming that process', async () => {
    const dataDir = newDir();
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dataDir, 'classlab.lock'), `${holder.pid}\n`);
      expect(() => lockDataDir(dataDir)).toThrow(`in use by another classlab process (pid ${holder.pid})`);
      expect(readFileSync(join(dataDir, 'classlab.lock'), 'utf8')).toBe(`${holder.pid}\n`);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('is taken over from a process that died without releasing it (kill -9)', async () => {
    const dataDir = newDir();
    const dead = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((resolve) => dead.on('exit', resolve));
    writeFileSync(join(dataDir, 'classlab.lock'), `${dead.pid}\n`);
    const lock = lockDataDir(dataDir);
    expect(lockPid(dataDir)).toBe(process.pid);
    lock.release();
    expect(existsSync(join(dataDir, 'classlab.lock'))).toBe(false);
  });

  it.runIf(existsSync('/proc/self/stat'))('is taken over from a killed process that is still a zombie', async () => {
    const dataDir = newDir();
    // The shell starts a short child, prints its pid, and becomes `sleep`, which never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = Number.parseInt(await new Promise<string>((resolve) => parent.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()))), 10);
      await vi.waitFor(() => expect(processState(zombie)).toBe('Z'), { timeout: 5000, interval: 20 });
      writeFileSync(join(dataDir, 'classlab.lock'), `${zombie}\n`);
      const lock = lockDataDir(dataDir);
      expect(lockPid(dataDir)).toBe(process.pid);
      lock.release();
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it.runIf(existsSync('/proc/self/stat'))('is taken over when its pid now belongs to another process', async () => {
    const dataDir = newDir();
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      // The holder that wrote this started at another time than the process now under its pid.
      writeFileSync(join(dataDir, 'classlab.lock'), `${other.pid}\n1\n`);
      const lock = lockDataDir(dataDir);
      expect(lockPid(dataDir)).toBe(process.pid);
      lock.release();
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('is taken over from an empty or unreadable lock file', async () => {
    const dataDir = newDir();
    writeFileSync(join(dataDir, 'classlab.lock'), '');
    const lock = lockDataDir(dataDir);
    expect(lockPid(dataDir)).toBe(process.pid);
    lock.release();
  });

  it('treats a lock naming our own pid, left by an earlier life, as stale', async () => {
    // In a container the server is often pid 1 every time it starts.
    const dataDir = newDir();
    writeFileSync(join(dataDir, 'classlab.lock'), `${process.pid}\n`);
    const lock = lockDataDir(dataDir);
    expect(() => lockDataDir(dataDir)).toThrow(DataDirLockedError);
    lock.release();
  });
});

function lockPid(dataDir: string): number {
  return Number.parseInt(readFileSync(join(dataDir, 'classlab.lock'), 'utf8'), 10);
}

function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}
