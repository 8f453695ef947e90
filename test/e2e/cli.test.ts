/**
 * The `classlab` command as a user runs it: real processes, real ports, a real data directory.
 * Each server gets its own temporary CLASSLAB_DATA_DIR and its own ports.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createScratchDatabase, type ScratchDatabase } from '../support/stores.js';
import {
  call,
  cleanUp,
  freePort,
  freePorts,
  generatedPasswords,
  linesOf,
  runCli,
  signIn,
  startServer,
  tempDir,
  tokenOf,
  type RunningCli,
} from './cli-process.js';

/** One line, prefixed with the command's name, and nothing else: no stack trace. */
const ONE_LINE = /^classlab: [^\n]+\n$/;
const LOCKED = 'is in use by another classlab process';

/** Settings for a server on a data directory of its own (or the given one), on free ports. */
async function serverSettings(dataDir: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return { CLASSLAB_DATA_DIR: dataDir, PORT: '0', CLASSLAB_IDENTITY_PORT: String(await freePort()), ...extra };
}

function urlsOf(server: RunningCli): { api: string; identity: string } {
  expect(server.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(server.identity).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  return { api: server.api as string, identity: server.identity as string };
}

/** The one admin password a first start printed. */
function onlyGeneratedPassword(server: RunningCli): string {
  const passwords = generatedPasswords(server.stderr());
  expect(passwords).toHaveLength(1);
  return passwords[0] as string;
}

afterEach(cleanUp);

describe('classlab (the command)', () => {
  describe('a bad setting stops the start with one line naming it', () => {
    it.each([
      { key: 'PORT', value: 'abc' },
      { key: 'CLASSLAB_TOKEN_TTL', value: '5' },
      { key: 'DATABASE_URL', value: 'mysql://x' },
      { key: 'CLASSLAB_IDENTITY_PORT', value: '0' },
      { key: 'CLASSLAB_LOG_LEVEL', value: 'loud' },
    ])('$key=$value', async ({ key, value }) => {
      const dataDir = join(tempDir(), 'data');
      const result = await runCli(['serve'], { CLASSLAB_DATA_DIR: dataDir, PORT: '0', CLASSLAB_IDENTITY_PORT: 'off', [key]: value });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(ONE_LINE);
      expect(result.stderr).toContain(key);
      expect(result.stderr).toContain('Invalid configuration');
      expect(result.stdout).not.toContain('classlab is ready');
      // The settings are checked before anything is touched.
      expect(existsSync(dataDir)).toBe(false);
    });

    it('an unknown key in a --config file is named', async () => {
      const dir = tempDir();
      const file = join(dir, 'classlab.json');
      writeFileSync(file, JSON.stringify({ PORT: 0, CLASSLAB_DATA_DIR: join(dir, 'data'), CLASSLAB_NOT_A_SETTING: 'x' }));
      const result = await runCli(['--config', file, 'serve'], {});
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(ONE_LINE);
      expect(result.stderr).toContain('CLASSLAB_NOT_A_SETTING');
      expect(result.stderr).toContain(file);
      expect(existsSync(join(dir, 'data'))).toBe(false);
    });

    it('a bad value in a --config file names the key and the file', async () => {
      const dir = tempDir();
      const file = join(dir, 'classlab.json');
      writeFileSync(file, JSON.stringify({ CLASSLAB_TOKEN_TTL: 5 }));
      const result = await runCli(['--config', file, 'migrate'], { CLASSLAB_DATA_DIR: join(dir, 'data') });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(ONE_LINE);
      expect(result.stderr).toContain(`CLASSLAB_TOKEN_TTL (in ${file})`);
    });

    it('a --config file is read, and the environment wins over it', async () => {
      const dir = tempDir();
      const file = join(dir, 'classlab.json');
      writeFileSync(file, JSON.stringify({ CLASSLAB_DATA_DIR: join(dir, 'from-file') }));

      const fromFile = await runCli(['--config', file, 'migrate'], {});
      expect(fromFile.stderr).toBe('');
      expect(fromFile.code).toBe(0);
      expect(fromFile.stdout).toContain(resolve(dir, 'from-file'));

      const fromEnv = await runCli(['--config', file, 'migrate'], { CLASSLAB_DATA_DIR: join(dir, 'from-env') });
      expect(fromEnv.code).toBe(0);
      expect(fromEnv.stdout).toContain(resolve(dir, 'from-env'));
      expect(existsSync(join(dir, 'from-env', 'pg'))).toBe(true);
    });
  });

  it('prints a generated admin password on first start, once, and it signs in', { timeout: 60_000 }, async () => {
    const dataDir = tempDir();
    const server = await startServer(await serverSettings(dataDir));
    const { api, identity } = urlsOf(server);
    expect(server.ready.database).toBe(resolve(dataDir));

    const password = onlyGeneratedPassword(server);
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect(server.stderr()).toContain('Created the admin account "admin"');
    // Shown to the person starting the server, never written to the logs.
    expect(server.stdout()).not.toContain(password);

    const auth = await signIn(identity, 'admin', password);
    expect(auth.status).toBe(200);
    expect(auth.body).toMatchObject({ status: 20008, message: 'token created', data: { token: expect.any(String) } });
    const token = auth.body.data.token as string;

    const wrong = await signIn(identity, 'admin', `${password}x`);
    expect(wrong.status).toBe(400);
    expect(wrong.body.status).toBe(40014);

    const health = await call('POST', `${api}/v1/health/databaseAuth`, { token, body: { message: 'hello' } });
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ error: false, message: 'hello' });
    expect(health.body.tables).toEqual(expect.arrayContaining(['courses', 'tokens', 'users']));

    const withoutToken = await call('POST', `${api}/v1/health/databaseAuth`, { body: {} });
    expect(withoutToken.status).toBe(401);
    const badToken = await call('POST', `${api}/v1/health/databaseAuth`, { token: 'bm90LWEtdG9rZW4', body: {} });
    expect(badToken.status).toBe(403);

    // The lock file names the server.
    expect(readFileSync(join(dataDir, 'classlab.lock'), 'utf8').split('\n')[0]).toBe(String(server.pid));
    expect(await server.stop('SIGINT')).toEqual({ code: 0, signal: null });
  });

  it('a port in use stops the start with one line naming PORT, writes nothing, and frees the data directory', { timeout: 90_000 }, async () => {
    const dataDir = tempDir();
    const taken = createServer();
    await new Promise<void>((listening) => taken.listen(0, '127.0.0.1', listening));
    try {
      const port = (taken.address() as AddressInfo).port;
      const result = await runCli(['serve'], await serverSettings(dataDir, { PORT: String(port) }));
      expect(result.code).toBe(1);
      // One line: no admin was created, so no password was printed for an account that a
      // failed start would leave behind.
      expect(result.stderr).toMatch(ONE_LINE);
      expect(result.stderr).toContain(`PORT: 127.0.0.1:${port} is already in use`);
      expect(result.stdout).not.toContain('classlab is ready');
    } finally {
      await new Promise((closed) => taken.close(closed));
    }
    expect(existsSync(join(dataDir, 'classlab.lock'))).toBe(false);
    const server = await startServer(await serverSettings(dataDir));
    const [password] = generatedPasswords(server.stderr());
    expect(password).toBeDefined();
    expect((await signIn(server.identity as string, 'admin', password as string)).body.status).toBe(20008);
    await server.stop();
  });

  it('refuses CLASSLAB_RUNTIME=kubernetes with no kubeconfig and no cluster around, in one line, before creating anything', { timeout: 120_000 }, async () => {
    const dataDir = tempDir();
    const result = await runCli(
      ['serve'],
      await serverSettings(dataDir, { CLASSLAB_RUNTIME: 'kubernetes', HOME: tempDir('classlab-home-'), KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '' }),
      { timeoutMs: 90_000 },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(ONE_LINE);
    expect(result.stderr).toContain('set KUBECONFIG to a kubeconfig file, or run classlab inside a cluster');
    expect(result.stdout).not.toContain('classlab is ready');
  });

  it('refuses a second serve on a data directory in use, in one line', { timeout: 60_000 }, async () => {
    const dataDir = tempDir();
    const first = await startServer(await serverSettings(dataDir));
    const password = onlyGeneratedPassword(first);

    const second = await runCli(['serve'], await serverSettings(dataDir));
    expect(second.code).not.toBe(0);
    expect(second.code).not.toBeNull();
    expect(second.stderr).toMatch(ONE_LINE);
    expect(second.stderr).toContain(LOCKED);
    expect(second.stderr).toContain(`pid ${first.pid}`);
    expect(second.stdout).not.toContain('classlab is ready');

    // The first one is unharmed and still holds the directory.
    expect(first.child.exitCode).toBeNull();
    await tokenOf(first.identity as string, 'admin', password);
    expect(readFileSync(join(dataDir, 'classlab.lock'), 'utf8').split('\n')[0]).toBe(String(first.pid));
  });

  it('keeps accounts, roles, tokens and courses across a stop and a start', { timeout: 120_000 }, async () => {
    const dataDir = tempDir();
    const first = await startServer(await serverSettings(dataDir));
    const urls = urlsOf(first);
    const adminPassword = onlyGeneratedPassword(first);
    const adminToken = await tokenOf(urls.identity, 'admin', adminPassword);

    const registered = await call('POST', `${urls.api}/v1/auth/register`, {
      body: { username: 'teacher-name', password: 'teacher-password' },
    });
    expect(registered.status).toBe(200);
    expect(registered.body).toMatchObject({ error: false });

    const granted = await call('POST', `${urls.identity}/user/role`, {
      token: adminToken,
      body: { user_name: 'teacher-name', role_name: 'teacher' },
    });
    expect(granted.body).toMatchObject({ status: 20004 });
    expect(granted.status).toBe(200);

    const teacherToken = await tokenOf(urls.identity, 'teacher-name', 'teacher-password');
    const created = await call('POST', `${urls.api}/v1/course/create`, {
      token: teacherToken,
      body: {
        name: 'image process',
        introduction: '# md',
        image: 'classlab/hello',
        level: 'basic',
        GPU: 0,
        datasets: ['mnist', 'caltech256'],
      },
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ error: false, course: { gpu: 0, user: 'teacher-name' } });
    const courseId = created.body.id as string;

    expect(await first.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    // A clean stop gives the directory back.
    expect(existsSync(join(dataDir, 'classlab.lock'))).toBe(false);

    const second = await startServer(await serverSettings(dataDir));
    const again = urlsOf(second);
    expect(generatedPasswords(second.stderr())).toEqual([]);
    expect(second.stderr()).not.toContain('Created the admin account');

    const teacherAgain = await tokenOf(again.identity, 'teacher-name', 'teacher-password');
    const listed = await call('GET', `${again.api}/v1/course/level/basic`);
    expect(listed.status).toBe(200);
    expect(listed.body.courses).toEqual([
      expect.objectContaining({
        id: courseId,
        name: 'image process',
        introduction: '# md',
        image: 'classlab/hello',
        level: 'basic',
        gpu: 0,
        datasets: ['mnist', 'caltech256'],
        user: 'teacher-name',
      }),
    ]);

    const roles = await call('GET', `${again.identity}/token/roles?token=${encodeURIComponent(teacherAgain)}`);
    expect(roles.status).toBe(200);
    expect(roles.body).toMatchObject({ status: 20001, data: { user_name: 'teacher-name' } });
    expect(roles.body.data.roles).toContain('teacher');

    // The admin's password and the token issued before the restart still work.
    await tokenOf(again.identity, 'admin', adminPassword);
    const health = await call('POST', `${again.api}/v1/health/databaseAuth`, { token: adminToken, body: {} });
    expect(health.status).toBe(200);
  });

  it('takes over the lock of a server killed with SIGKILL, and the data is there', { timeout: 120_000 }, async () => {
    const dataDir = tempDir();
    const first = await startServer(await serverSettings(dataDir));
    const urls = urlsOf(first);
    const adminPassword = onlyGeneratedPassword(first);
    const registered = await call('POST', `${urls.api}/v1/auth/register`, {
      body: { username: 'survivor', password: 'survivor-password' },
    });
    expect(registered.status).toBe(200);

    expect(await first.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    // The dead server's lock is still there: the next start has to take it over.
    expect(readFileSync(join(dataDir, 'classlab.lock'), 'utf8').split('\n')[0]).toBe(String(first.pid));

    const second = await startServer(await serverSettings(dataDir));
    const again = urlsOf(second);
    expect(generatedPasswords(second.stderr())).toEqual([]);
    expect(readFileSync(join(dataDir, 'classlab.lock'), 'utf8').split('\n')[0]).toBe(String(second.pid));
    await tokenOf(again.identity, 'survivor', 'survivor-password');
    await tokenOf(again.identity, 'admin', adminPassword);
    expect(readdirSync(dataDir).filter((name) => name.includes('.stale.'))).toEqual([]);
  });

  it('migrate and user add/role manage a data directory without a server', { timeout: 120_000 }, async () => {
    const dataDir = tempDir();
    const settings = { CLASSLAB_DATA_DIR: dataDir };

    const migrated = await runCli(['migrate'], settings);
    expect(migrated.stderr).toBe('');
    expect(migrated.code).toBe(0);
    expect(linesOf(migrated.stdout)).toEqual([`Database at ${resolve(dataDir)} is up to date.`]);
    // Running it again on a migrated database is fine too.
    expect((await runCli(['migrate'], settings)).code).toBe(0);

    const added = await runCli(['user', 'add', 'prof', '--role', 'teacher'], { ...settings, CLASSLAB_USER_PASSWORD: 'prof-password' });
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('Created prof with roles teacher');

    // Without CLASSLAB_USER_PASSWORD, a script can pipe the password in.
    const piped = await runCli(['user', 'add', 'piped'], settings, { input: 'piped-password\n' });
    expect(piped.code).toBe(0);
    expect(piped.stdout).toContain('Created piped with roles student');

    const duplicate = await runCli(['user', 'add', 'prof'], { ...settings, CLASSLAB_USER_PASSWORD: 'other-password' });
    expect(duplicate.code).not.toBe(0);
    expect(duplicate.code).not.toBeNull();
    expect(duplicate.stderr).toMatch(ONE_LINE);
    expect(duplicate.stderr).toContain('prof');
    expect(duplicate.stderr).toContain('40012');

    const role = await runCli(['user', 'role', 'prof', 'admin'], settings);
    expect(role.stderr).toBe('');
    expect(role.code).toBe(0);
    expect(role.stdout).toContain('prof has role admin');

    const server = await startServer(await serverSettings(dataDir));
    const { identity } = urlsOf(server);
    // prof is an admin now, so no admin account is made and no password printed.
    expect(generatedPasswords(server.stderr())).toEqual([]);
    expect((await signIn(identity, 'admin', 'whatever-password')).body.status).toBe(40013);

    const profToken = await tokenOf(identity, 'prof', 'prof-password');
    const roles = await call('GET', `${identity}/token/roles?token=${encodeURIComponent(profToken)}`);
    expect(roles.status).toBe(200);
    expect([...roles.body.data.roles].sort()).toEqual(['admin', 'teacher']);
    // The duplicate did not change prof's password.
    expect((await signIn(identity, 'prof', 'other-password')).body.status).toBe(40014);
    await tokenOf(identity, 'piped', 'piped-password');

    // While the server holds the directory, the commands refuse it.
    const locked = await runCli(['user', 'add', 'late'], { ...settings, CLASSLAB_USER_PASSWORD: 'late-password' });
    expect(locked.code).not.toBe(0);
    expect(locked.code).not.toBeNull();
    expect(locked.stderr).toMatch(ONE_LINE);
    expect(locked.stderr).toContain(LOCKED);
    expect((await signIn(identity, 'late', 'late-password')).body.status).toBe(40013);
    expect(server.child.exitCode).toBeNull();
  });

  it('identity runs the identity service alone, without the API', { timeout: 60_000 }, async () => {
    const dataDir = tempDir();
    const apiPort = await freePort();
    const server = await startServer(await serverSettings(dataDir, { PORT: String(apiPort) }), ['identity']);
    expect(server.api).toBeUndefined();
    expect(server.identity).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const password = onlyGeneratedPassword(server);
    const auth = await signIn(server.identity as string, 'admin', password);
    expect(auth.status).toBe(200);
    expect(auth.body.status).toBe(20008);

    // Nothing listens on the API's port.
    await expect(fetch(`http://127.0.0.1:${apiPort}/v1/health/database`, { method: 'POST' })).rejects.toThrow();
    expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  describe.skipIf(!process.env.TEST_DATABASE_URL)('on a PostgreSQL server (TEST_DATABASE_URL)', () => {
    let database: ScratchDatabase | undefined;
    afterEach(async () => {
      await cleanUp(); // the servers must be gone before their database is dropped
      await database?.drop();
      database = undefined;
    });

    it('two servers starting at once on a new database both start, and one admin password is made', { timeout: 120_000 }, async () => {
      database = await createScratchDatabase();
      const unusedDataDirs = [join(tempDir(), 'data'), join(tempDir(), 'data')];
      const identityPorts = await freePorts(2);
      const [one, two] = await Promise.all(
        unusedDataDirs.map((dataDir, index) =>
          startServer({
            CLASSLAB_DATA_DIR: dataDir,
            DATABASE_URL: (database as ScratchDatabase).url,
            PORT: '0',
            CLASSLAB_IDENTITY_PORT: String(identityPorts[index]),
          }),
        ),
      );
      if (!one || !two) throw new Error('expected two servers');
      for (const server of [one, two]) {
        urlsOf(server);
        expect(server.ready.database).toContain(new URL(database.url).pathname);
      }

      const passwords = [...generatedPasswords(one.stderr()), ...generatedPasswords(two.stderr())];
      expect(passwords).toHaveLength(1);
      const password = passwords[0] as string;
      // One database: the admin signs in through either identity service.
      await tokenOf(one.identity as string, 'admin', password);
      await tokenOf(two.identity as string, 'admin', password);
      for (const server of [one, two]) expect(server.stdout()).not.toContain('stopping failed');

      // The embedded database's directory is not used.
      for (const dataDir of unusedDataDirs) expect(existsSync(dataDir)).toBe(false);

      const [stopOne, stopTwo] = await Promise.all([one.stop('SIGTERM'), two.stop('SIGTERM')]);
      expect(stopOne).toEqual({ code: 0, signal: null });
      expect(stopTwo).toEqual({ code: 0, signal: null });
    });
  });
});

describe('classlab user add without a terminal', () => {
  it.each([
    ['an empty standard input (< /dev/null)', ''],
    ['an empty first line', '\n'],
  ])('with %s says that no password was given, and how to give one', { timeout: 60_000 }, async (_case, input) => {
    const settings = { CLASSLAB_DATA_DIR: tempDir() };
    const added = await runCli(['user', 'add', 'quiet'], settings, { input });
    expect(added.code).toBe(1);
    expect(added.stderr).toMatch(ONE_LINE);
    expect(added.stderr).toContain('standard input is not a terminal');
    expect(added.stderr).toContain('CLASSLAB_USER_PASSWORD');
    expect(added.stderr).not.toContain('at least 8 characters');
  });
});
