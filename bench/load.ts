// The load generator, in a process of its own (autocannon's CLI), and the ceiling beside it: a
// bare node:http server sending a body of the same size, loaded the same way in the same run.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { headersOf, sendOk, type Call } from './http-client.js';
import type { Sizes } from './options.js';
import { median } from './stats.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const AUTOCANNON = join(dirname(createRequire(import.meta.url).resolve('autocannon/package.json')), 'autocannon.js');

export interface Load {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

/** A figure (median of the runs) beside its ceiling for the same bytes. */
export interface Measured {
  figure: Load;
  ceiling: Load;
  bytes: number;
  ratio: number;
}

interface AutocannonJson {
  requests: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}

export async function autocannon(url: string, call: Call, connections: number, seconds: number): Promise<Load> {
  const args = [AUTOCANNON, '-j', '-c', String(connections), '-d', String(seconds), '-m', call.method];
  for (const [name, value] of Object.entries(headersOf(call))) args.push('-H', `${name}=${value}`);
  if (call.body !== undefined) args.push('-b', JSON.stringify(call.body));
  args.push(new URL(call.path, url).toString());
  const out = await runToEnd(spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  const json = JSON.parse(out) as AutocannonJson;
  return {
    requestsPerSecond: json.requests.average,
    p50Ms: json.latency.p50,
    p99Ms: json.latency.p99,
    non2xx: json.non2xx,
    errors: json.errors,
  };
}

function runToEnd(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`autocannon exited ${code}: ${err.slice(-500)}`))));
  });
}

export class Ceiling {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(): Promise<Ceiling> {
    const child = spawn(process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'ceiling-server.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
      child.once('exit', (code) => reject(new Error(`the ceiling server exited ${code}`)));
    });
    return new Ceiling(child, `http://127.0.0.1:${port}`);
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}

/** Medians of `runs` loads of the call, then as many of the ceiling for the bytes it answered. */
export async function measureAgainstCeiling(apiUrl: string, call: Call, ceiling: Ceiling, sizes: Sizes): Promise<Measured> {
  const { bytes } = await sendOk(apiUrl, call);
  const loads: Load[] = [];
  for (let run = 0; run < sizes.runs; run += 1) loads.push(await autocannon(apiUrl, call, sizes.connections, sizes.loadSeconds));
  const ceilingCall: Call = { method: call.method, path: `/bytes/${bytes}`, ...(call.body === undefined ? {} : { body: call.body }) };
  const bare: Load[] = [];
  for (let run = 0; run < sizes.runs; run += 1) bare.push(await autocannon(ceiling.url, ceilingCall, sizes.connections, sizes.ceilingSeconds));
  const figure = medianLoad(loads);
  const top = medianLoad(bare);
  return { figure, ceiling: top, bytes, ratio: top.requestsPerSecond > 0 ? figure.requestsPerSecond / top.requestsPerSecond : 0 };
}

function medianLoad(loads: Load[]): Load {
  return {
    requestsPerSecond: median(loads.map((l) => l.requestsPerSecond)),
    p50Ms: median(loads.map((l) => l.p50Ms)),
    p99Ms: median(loads.map((l) => l.p99Ms)),
    non2xx: Math.max(...loads.map((l) => l.non2xx)),
    errors: Math.max(...loads.map((l) => l.errors)),
  };
}
