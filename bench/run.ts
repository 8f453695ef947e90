// `npm run bench`: starts classlab as the README does, seeds it, loads it from autocannon in a
// process of its own, sets each figure against a bare node:http ceiling, and writes
// bench/results.json and docs/benchmarks.md. `--quick` runs every scenario small (CI);
// `--profile` profiles the server during T1, and the server and simulator of T3 and T6; `--out DIR` writes elsewhere; `--only T1,T5`.
import { loadavg } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { clusterScenarios } from './cluster.js';
import { makeWorkDir, type BenchContext } from './context.js';
import { Ceiling } from './load.js';
import { localScenarios } from './local.js';
import { parseOptions } from './options.js';
import { formatProfile } from './profile.js';
import { runInfo, writeResults } from './report.js';
import type { Row } from './results.js';
import type { StoreTarget } from './seed.js';

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const began = performance.now();
  const info = runInfo(options);
  const work = makeWorkDir();
  const scratch = new ScratchDatabases(options.databaseUrl);
  const ceiling = await Ceiling.start();
  const rows: Row[] = [];
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const ctx: BenchContext = {
    options,
    ceiling,
    rows,
    workDir: work.dir,
    newDatabase: (name) => scratch.create(name, join(work.dir, `data-${name}`)),
    log,
  };
  let failed = false;
  try {
    log(`${info.mode} run on ${info.database}; load average ${info.loadBefore.join(' ')}`);
    const { profile } = await localScenarios(ctx);
    const cluster = await clusterScenarios(ctx);
    info.loadAfter = loadavg().map((n) => Math.round(n * 100) / 100);
    info.durationSeconds = (performance.now() - began) / 1000;
    const written = writeResults(options, info, rows, profile);
    for (const row of rows) {
      const extra = row.ceiling === undefined ? '' : `, ceiling ${row.ceiling} req/s, ratio ${row.ratio}`;
      process.stdout.write(`${row.scenario}  ${row.what}: ${row.figure} ${row.unit}${row.p99Ms === undefined ? '' : `, p99 ${row.p99Ms} ms`}${extra}${row.met === null ? '' : row.met ? '  [met]' : '  [NOT met]'}\n`);
    }
    if (profile) process.stdout.write(`\nT1 CPU profile, top self time:\n${formatProfile(profile)}\n`);
    for (const { what, summary } of cluster.profiles) process.stdout.write(`\nCPU profile of the ${what}: ${summary.totalMs} ms busy of ${summary.spanMs} ms, top self time:\n${formatProfile(summary)}\n`);
    process.stdout.write(`\nwrote ${written.json} and ${written.markdown} in ${Math.round(info.durationSeconds)} s\n`);
  } catch (error) {
    failed = true;
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\nlogs kept in ${work.dir}\n`);
  } finally {
    ceiling.stop();
    await scratch.dropAll();
    if (!failed) work.remove();
  }
  // Keep-alive sockets to stopped servers would hold the process open.
  process.exit(failed ? 1 : 0);
}

/** PGlite folders, or, with DATABASE_URL, scratch databases on that server, dropped at the end. */
class ScratchDatabases {
  private readonly created: string[] = [];
  constructor(private readonly serverUrl: string | undefined) {}

  async create(name: string, dataDir: string): Promise<StoreTarget> {
    if (!this.serverUrl) return { dataDir };
    const database = `classlab_bench_${process.pid}_${name.replace(/\W/g, '_')}`;
    await this.admin((client) => client.query(`create database ${database}`));
    this.created.push(database);
    const url = new URL(this.serverUrl);
    url.pathname = `/${database}`;
    return { url: url.toString() };
  }

  async dropAll(): Promise<void> {
    for (const database of this.created) await this.admin((client) => client.query(`drop database if exists ${database} with (force)`));
  }

  private async admin(work: (client: pg.Client) => Promise<unknown>): Promise<void> {
    const client = new pg.Client({ connectionString: this.serverUrl });
    await client.connect();
    try {
      await work(client);
    } finally {
      await client.end();
    }
  }
}

void main();
