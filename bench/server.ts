// The classlab server as the README starts it: the real `serve` command (`node dist/cli/main.js
// serve`, what `npm start` execs) in a child process of its own.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { send } from './http-client.js';

export const PROJECT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(PROJECT_DIR, 'dist/cli/main.js');
const START_TIMEOUT_MS = 60_000;
/** USER_HZ on Linux: /proc/<pid>/stat counts CPU time in these. */
const CLOCK_TICKS = 100;

export interface ServerSettings {
  /** The PGlite folder, or a PostgreSQL URL. */
  database: { dataDir: string } | { url: string };
  /** Extra settings (the runtime, its kubeconfig). */
  env?: Record<string, string>;
  logFile: string;
  /** Write a V8 CPU profile into this folder when the server exits. */
  cpuProfileDir?: string;
}

/** Settings the bench needs whatever the scenario; each is a documented setting, none a hook. */
const BENCH_ENV: Record<string, string> = {
  HOST: '127.0.0.1',
  CLASSLAB_IDENTITY_PORT: 'off',
  CLASSLAB_ADMIN_PASSWORD: 'bench-admin-password',
  // 1,000 open event streams plus autocannon's connections.
  CLASSLAB_MAX_CONNECTIONS: '5000',
  // No bubblewrap or root needed: the bench measures the platform, not the sandbox.
  CLASSLAB_LOCAL_ISOLATION: 'off',
  CLASSLAB_LOCAL_MAX_JOBS: '100000',
  CLASSLAB_JOB_LIMITS: 'off',
  // Seeded active jobs are rows in state Created with no process behind them: young enough that
  // reconciling keeps them.
  CLASSLAB_LAUNCH_TIMEOUT: '3600',
};

export class ClasslabServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    /** From spawn to the first 200 of POST /v1/health/database. */
    readonly startMs: number,
    private readonly logFile: string,
  ) {}

  static async start(settings: ServerSettings): Promise<ClasslabServer> {
    buildIfStale();
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (key.startsWith('CLASSLAB_') || ['DATABASE_URL', 'PORT', 'HOST', 'KUBECONFIG'].includes(key)) continue;
      env[key] = value;
    }
    Object.assign(env, BENCH_ENV, { PORT: String(port) }, settings.env);
    if ('url' in settings.database) env['DATABASE_URL'] = settings.database.url;
    else env['CLASSLAB_DATA_DIR'] = settings.database.dataDir;
    const nodeArgs = cpuProfileArgs(settings.cpuProfileDir);
    const log = openSync(settings.logFile, 'a');
    const began = performance.now();
    const child = spawn(process.execPath, [...nodeArgs, CLI, 'serve'], { cwd: PROJECT_DIR, env, stdio: ['ignore', log, log] });
    closeSync(log);
    const url = `http://127.0.0.1:${port}`;
    let exited: number | null | undefined;
    child.once('exit', (code) => (exited = code));
    for (;;) {
      if (exited !== undefined) throw new Error(`the server exited ${exited} while starting; see ${settings.logFile}:\n${tail(settings.logFile)}`);
      if (performance.now() - began > START_TIMEOUT_MS) {
        child.kill('SIGKILL');
        throw new Error(`the server did not answer within ${START_TIMEOUT_MS} ms; see ${settings.logFile}`);
      }
      const answer = await send(url, { method: 'POST', path: '/v1/health/database', body: {} }).catch(() => undefined);
      if (answer?.status === 200) return new ClasslabServer(child, url, performance.now() - began, settings.logFile);
      await sleep(10);
    }
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Resident memory now, from /proc. */
  rssBytes(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
    return kb * 1024;
  }

  /** CPU seconds the server has used (user + system), from /proc. */
  cpuSeconds(): number {
    const fields = readFileSync(`/proc/${this.pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  }

  /**
   * Waits until the server has used under a fifth of a core for a second (work still queued from
   * an earlier scenario would skew the next one), or `maxMs` has passed. Answers the time waited.
   */
  async waitQuiet(maxMs: number): Promise<number> {
    const began = performance.now();
    while (performance.now() - began < maxMs) {
      const before = this.cpuSeconds();
      await sleep(1_000);
      if (this.cpuSeconds() - before < 0.2) break;
    }
    return performance.now() - began;
  }

  /** SIGTERM, as Ctrl-C would; the server closes its ports and its database before it exits. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((done) => this.child.once('exit', () => done()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }

  logTail(): string {
    return tail(this.logFile);
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}

/** Node's flags that write a V8 CPU profile into `dir` when the process exits; none without a dir. */
export function cpuProfileArgs(dir: string | undefined): string[] {
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

/** The server runs from dist, as `npm start` does: rebuild it when a source is newer. */
function buildIfStale(): void {
  const built = existsSync(CLI) ? statSync(CLI).mtimeMs : 0;
  if (built > 0 && newestMtime(join(PROJECT_DIR, 'src')) <= built) return;
  process.stderr.write('bench: building dist (npm run build)\n');
  execFileSync(process.execPath, [join(PROJECT_DIR, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: PROJECT_DIR, stdio: 'inherit' });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}
