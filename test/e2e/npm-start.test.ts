/**
 * `npm start` as a process manager or a user with `kill` sees it: stopping npm's pid stops the
 * server, frees its ports and releases the data directory.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanUp, freePorts, PROJECT_DIR, startWithNpm, tempDir, type RunningCli } from './cli-process.js';

/** Whether a process with this pid exists (a signal 0 reaches it). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether this process can listen on the port, which it then gives back. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolveListen) => {
    const server = createServer();
    server.once('error', () => resolveListen(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveListen(true)));
  });
}

describe('npm start', () => {
  beforeAll(() => {
    // `npm start` runs the build; `npm ci` makes it, a checkout that skipped it gets it here.
    if (existsSync(join(PROJECT_DIR, 'dist/cli/main.js'))) return;
    const built = spawnSync('npm', ['run', 'build'], { cwd: PROJECT_DIR, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`npm run build failed: ${built.stderr}`);
  }, 180_000);
  afterEach(cleanUp);

  const stops: [string, (npm: RunningCli) => Promise<unknown>][] = [
    ['SIGTERM to npm, as a process manager or kill sends it', (npm) => npm.stop('SIGTERM')],
    [
      // The server gets it twice: from the terminal, and forwarded by npm.
      'SIGINT to its process group, as Ctrl-C in a terminal sends it',
      (npm) => {
        process.kill(-npm.pid, 'SIGINT');
        return npm.exited;
      },
    ],
  ];

  it.each(stops)('stops the server cleanly on %s: no process left, ports and data directory free', { timeout: 90_000 }, async (_how, stop) => {
    const dataDir = tempDir();
    const [port, identityPort] = (await freePorts(2)) as [number, number];
    const npm = await startWithNpm({ CLASSLAB_DATA_DIR: dataDir, PORT: String(port), CLASSLAB_IDENTITY_PORT: String(identityPort) });
    const serverPid = npm.ready.pid as number;
    try {
      expect(isRunning(serverPid)).toBe(true);
      expect(existsSync(join(dataDir, 'classlab.lock'))).toBe(true);

      await stop(npm);
      expect(isRunning(serverPid)).toBe(false);
      expect(await canListen(port)).toBe(true);
      expect(await canListen(identityPort)).toBe(true);
      // Released by a clean stop, not left for the next start to take over.
      expect(existsSync(join(dataDir, 'classlab.lock'))).toBe(false);
      expect(npm.stdout()).toContain('"msg":"stopping"');
    } finally {
      if (isRunning(serverPid)) process.kill(serverPid, 'SIGKILL');
    }
  });
});
