/**
 * Runs the real `classlab` command from the sources (`node --import tsx src/cli/main.ts`), as a
 * user would, and keeps track of every process and temporary directory so that tests can clean up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Json } from '../support/platform.js';

export const PROJECT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = 'src/cli/main.ts';
const READY_TIMEOUT_MS = 30_000;


const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

/** A new empty directory under the system's temporary directory, removed by cleanUp(). */
export function tempDir(prefix = 'classlab-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0] as number;
}

/** Distinct ports nobody listens on right now: all are held open until each is known. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolveServer, reject) => {
          const server = createServer();
          server.unref();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolveServer(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((closed) => server.close(closed))));
  return ports;
}

/**
 * The environment of a spawned command: this process's, minus every classlab setting (so that
 * nothing such as DATABASE_URL leaks in), plus the given ones.
 */
export function cliEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('CLASSLAB_') || ['DATABASE_URL', 'PORT', 'HOST'].includes(key)) continue;
    env[key] = value;
  }
  // No drain after SIGTERM unless a test asks for one: nothing balances load in front of it.
  return { ...env, HOST: '127.0.0.1', CLASSLAB_LOG_LEVEL: 'info', CLASSLAB_SHUTDOWN_DRAIN: '0', ...settings };
}

function spawnCli(args: string[], settings: Record<string, string>): ChildProcess {
  return spawnTracked(process.execPath, ['--import', 'tsx', CLI, ...args], settings);
}

function spawnTracked(command: string, args: string[], settings: Record<string, string>, options: { detached?: boolean } = {}): ChildProcess {
  const child = spawn(command, args, {
    ...options,
    cwd: PROJECT_DIR,
    env: cliEnv(settings),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command that ends by itself (migrate, user ...), optionally feeding it standard input. */
export function runCli(
  args: string[],
  settings: Record<string, string>,
  options: { input?: string; timeoutMs?: number } = {},
): Promise<Finished> {
  const child = spawnCli(args, settings);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr?.on('data', (chunk) => (stderr += String(chunk)));
  child.stdin?.end(options.input ?? '');
  return new Promise((resolveRun, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`classlab ${args.join(' ')} did not finish; stderr: ${stderr}`));
    }, options.timeoutMs ?? READY_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr });
    });
  });
}

export interface RunningCli {
  child: ChildProcess;
  pid: number;
  /** The fields of the "classlab is ready" log line. */
  ready: Json;
  api: string | undefined;
  identity: string | undefined;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal and waits for the process to exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `classlab serve` (or another long-running command) and resolves when it logs that it is
 * ready; rejects with its standard error if it exits first or takes longer than 30 s.
 */
export function startServer(settings: Record<string, string>, args: string[] = ['serve']): Promise<RunningCli> {
  return untilReady(spawnCli(args, settings), `classlab ${args.join(' ')}`);
}

/**
 * Runs `npm start` as a user does (it needs `npm run build` first). Its pid is npm's; the
 * server's own pid is the `pid` field of the ready line.
 */
export function startWithNpm(settings: Record<string, string>): Promise<RunningCli> {
  // A process group of its own, as a terminal gives a command: a test can signal the whole group.
  return untilReady(spawnTracked('npm', ['start'], settings, { detached: true }), 'npm start');
}

function untilReady(child: ChildProcess, what: string): Promise<RunningCli> {
  child.stdin?.end();
  let stdout = '';
  let stderr = '';
  let pending = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once('close', (code, signal) => resolveExit({ code, signal }));
  });
  child.stderr?.on('data', (chunk) => (stderr += String(chunk)));

  return new Promise<RunningCli>((resolveStart, reject) => {
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`${message}\n--- stderr ---\n${stderr}\n--- stdout ---\n${stdout}`));
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(`${what} was not ready within ${READY_TIMEOUT_MS} ms`);
    }, READY_TIMEOUT_MS);
    child.once('error', (error) => fail(`${what} could not be spawned: ${error.message}`));
    void exited.then(({ code, signal }) => fail(`${what} exited (code ${code}, signal ${signal}) before it was ready`));

    child.stdout?.on('data', (chunk) => {
      const text = String(chunk);
      stdout += text;
      pending += text;
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        let entry: Json;
        try {
          entry = JSON.parse(line);
        } catch {
          continue;
        }
        if (entry?.msg !== 'classlab is ready' || settled) continue;
        settled = true;
        clearTimeout(timer);
        resolveStart({
          child,
          pid: child.pid as number,
          ready: entry,
          api: entry.api,
          identity: entry.identity,
          stdout: () => stdout,
          stderr: () => stderr,
          exited,
          async stop(signal: NodeJS.Signals = 'SIGTERM') {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return withTimeout(exited, 20_000, `${what} did not exit after ${signal}`);
          },
        });
      }
    });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Kills every process still running (SIGKILL) and waits for it; removes the temporary directories. */
export async function cleanUp(): Promise<void> {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolveKill) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolveKill();
          child.once('close', () => resolveKill());
          child.kill('SIGKILL');
        }),
    ),
  );
  children.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

export interface Reply {
  status: number;
  body: Json;
}

/** A JSON request with global fetch. */
export async function call(
  method: string,
  url: string,
  options: { body?: unknown; token?: string } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  let body: Json;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, body };
}

/** Signs in through the identity service and returns the whole reply. */
export function signIn(identityUrl: string, userName: string, password: string): Promise<Reply> {
  return call('POST', `${identityUrl}/user/auth`, { body: { user_name: userName, password } });
}

/** Signs in and returns the token, failing with the reply if there is none. */
export async function tokenOf(identityUrl: string, userName: string, password: string): Promise<string> {
  const reply = await signIn(identityUrl, userName, password);
  const token = reply.body?.data?.token;
  if (reply.status !== 200 || typeof token !== 'string') {
    throw new Error(`${userName} could not sign in: ${reply.status} ${JSON.stringify(reply.body)}`);
  }
  return token;
}

/** Every admin password the first start printed, from its standard error. */
export function generatedPasswords(stderr: string): string[] {
  return [...stderr.matchAll(/generated password: (\S+)/g)].map((match) => match[1] as string);
}

/** The non-empty lines of a text. */
export function linesOf(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}
