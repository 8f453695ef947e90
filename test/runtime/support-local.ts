/** Shared pieces of the local runtime's tests: temp folders, a test catalog, waiting for updates. */

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { DEFAULT_CATALOG, type ImageCatalog } from '../../src/config/image-catalog.js';
import { checkIsolation } from '../../src/runtime/local/isolation.js';
import { LocalRuntime, type LocalRuntimeOptions } from '../../src/runtime/local/local-runtime.js';
import type { LaunchSpec, RuntimeJobState, RuntimeUpdate } from '../../src/runtime/types.js';

/** A server answering its own environment and the datasets it sees, as JSON: the job's view. */
const ENV_REPORTER = `
const http = require('node:http');
const fs = require('node:fs');
const [host, port] = process.argv.slice(1);
http.createServer((request, response) => {
  const datasets = fs.readdirSync(process.env.CLASSLAB_DATASETS);
  const files = Object.fromEntries(datasets.map((name) => [name, fs.readdirSync(process.env.CLASSLAB_DATASETS + '/' + name)]));
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify({ env: process.env, cwd: process.cwd(), files }));
}).listen(Number(port), host);
`;

/** Serves, and ignores SIGTERM: only SIGKILL ends it. */
const STUBBORN = `
process.on('SIGTERM', () => console.error('ignoring SIGTERM'));
const [host, port] = process.argv.slice(1);
require('node:http').createServer((request, response) => response.end('still here')).listen(Number(port), host);
`;

export const TEST_CATALOG: ImageCatalog = [
  ...DEFAULT_CATALOG,
  { name: 'crash', match: ['test/crash'], ports: [{ name: 'web', port: 80 }], local: { command: ['{node}', '-e', "console.error('boom'); process.exit(3)"] } },
  { name: 'env', match: ['test/env'], ports: [{ name: 'env', port: 80 }], local: { command: ['{node}', '-e', ENV_REPORTER, '{host}', '{port}'], env: { FROM_CATALOG: 'token={token} in {workdir}' } } },
  { name: 'stubborn', match: ['test/stubborn'], ports: [{ name: 'web', port: 80 }], local: { command: ['{node}', '-e', STUBBORN, '{host}', '{port}'] } },
  { name: 'leak', match: ['test/leak'], ports: [{ name: 'web', port: 80 }], local: { command: ['{node}', '-e', "console.error('my token is ' + process.argv[1]); process.kill(process.pid, 'SIGKILL')", '{token}'] } },
  { name: 'missing', match: ['test/missing'], ports: [{ name: 'web', port: 80 }], local: { command: ['classlab-no-such-command-on-path'] } },
];

/**
 * Whether this machine can sandbox jobs (root, bubblewrap, namespaces). Where it cannot, the
 * runtime's tests run jobs unsandboxed and the sandbox's own tests are skipped; CI sets
 * CLASSLAB_TEST_REQUIRE_SANDBOX so that they cannot be skipped there.
 */
const isolationHere = await checkIsolation({ mode: 'sandbox', trialUid: 524288 });
export const sandboxed = isolationHere.mode === 'sandbox';
if (!sandboxed && process.env.CLASSLAB_TEST_REQUIRE_SANDBOX) {
  throw new Error(`CLASSLAB_TEST_REQUIRE_SANDBOX is set, but ${isolationHere.mode === 'unavailable' ? isolationHere.problem : 'the sandbox is off'}`);
}

/** Whether `jupyter notebook` runs here (Debian's jupyter-notebook package); the Jupyter tests are skipped without it. */
export function jupyterRuns(): boolean {
  try {
    execFileSync('jupyter', ['notebook', '--version'], { stdio: 'ignore', timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

export interface TestRuntime {
  runtime: LocalRuntime;
  dataDir: string;
  datasetsDir: string;
  updates: RuntimeUpdate[];
  cleanup: () => Promise<void>;
}

export async function startTestRuntime(options: Partial<LocalRuntimeOptions> = {}): Promise<TestRuntime> {
  const root = await mkdtemp(join(tmpdir(), 'classlab-local-'));
  const dataDir = join(root, 'data');
  const datasetsDir = join(root, 'datasets');
  const runtime = new LocalRuntime({
    host: '127.0.0.1',
    gpus: [],
    datasetsDir,
    dataDir,
    catalog: TEST_CATALOG,
    logger: pino({ level: 'silent' }),
    probeIntervalMs: 100,
    stopGraceMs: 1000,
    isolation: sandboxed ? 'sandbox' : 'off',
    ...options,
  });
  const updates: RuntimeUpdate[] = [];
  runtime.subscribe((update) => updates.push(update));
  await runtime.start();
  return {
    runtime,
    dataDir,
    datasetsDir,
    updates,
    cleanup: async () => {
      await runtime.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

let jobCounter = 0;

export function launchSpec(overrides: Partial<LaunchSpec> = {}): LaunchSpec {
  jobCounter += 1;
  return {
    jobId: `00000000-0000-4000-8000-${String(jobCounter).padStart(12, '0')}`,
    userId: 'u1',
    userName: 'jimmy@nchc',
    courseId: 'c1',
    courseName: 'Intro',
    image: 'classlab/hello',
    gpu: 0,
    datasets: [],
    ports: [],
    ...overrides,
  };
}

/** Resolves with the first state the runtime reports for the job that satisfies `wanted`. */
export function waitForState(runtime: LocalRuntime, jobId: string, wanted: RuntimeJobState['status'], timeoutMs = 20_000): Promise<RuntimeJobState> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`job ${jobId} did not become ${wanted} within ${timeoutMs} ms`));
    }, timeoutMs);
    const check = (state: RuntimeJobState) => {
      const failedInstead = state.status === 'Failed' && wanted !== 'Failed';
      if (state.status !== wanted && !failedInstead) return;
      clearTimeout(timer);
      unsubscribe();
      if (failedInstead) reject(new Error(`job ${jobId} failed instead of becoming ${wanted}: ${state.reason}`));
      else resolve(state);
    };
    const unsubscribe = runtime.subscribe((update) => {
      if (update.kind === 'state' && update.jobId === jobId) check(update.state);
    });
    // It may have got there already.
    void runtime.jobs().then((jobs) => {
      const job = jobs.find((candidate) => candidate.jobId === jobId);
      if (job) check(job.state);
    });
  });
}

export interface HttpAnswer {
  status: number;
  body: string;
  location?: string;
  cookies: string[];
}

export function httpGet(url: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return httpSend('GET', url, undefined, headers);
}

export function httpSend(method: string, url: string, body: string | undefined, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const sent = request(url, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          ...(response.headers.location ? { location: response.headers.location } : {}),
          cookies: (response.headers['set-cookie'] ?? []).map((cookie) => cookie.split(';')[0] ?? ''),
        }),
      );
      response.on('error', reject);
    });
    sent.on('error', reject);
    sent.end(body);
  });
}

/** Whether a process with this pid still runs (a zombie counts as gone). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The pid the runtime reported in the job's Started event. */
export function startedPid(updates: readonly RuntimeUpdate[], jobId: string): number {
  for (const update of updates) {
    if (update.kind !== 'event' || update.jobId !== jobId || update.reason !== 'Started') continue;
    const match = /process (\d+)/.exec(update.message);
    if (match) return Number(match[1]);
  }
  throw new Error(`no Started event for job ${jobId}`);
}

/** GET that follows redirects as a browser would, carrying the cookies it was given. */
export async function browse(url: string, maxRedirects = 5): Promise<HttpAnswer & { url: string }> {
  const cookies: string[] = [];
  let current = url;
  for (let hop = 0; ; hop += 1) {
    const answer = await httpGet(current, cookies.length > 0 ? { cookie: cookies.join('; ') } : {});
    cookies.push(...answer.cookies);
    if (answer.status < 300 || answer.status >= 400 || !answer.location || hop >= maxRedirects) return { ...answer, url: current };
    current = new URL(answer.location, current).href;
  }
}
