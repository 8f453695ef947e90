// Writes what a run measured: bench/results.json, and the generated parts of docs/benchmarks.md
// (between markers; everything else in that file is written by hand and kept).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import type { BenchOptions } from './options.js';
import { formatProfile, type ProfileSummary } from './profile.js';
import type { Row } from './results.js';
import { PROJECT_DIR } from './server.js';

export interface RunInfo {
  date: string;
  mode: 'full' | 'quick';
  database: 'pglite' | 'postgresql';
  machine: { cpu: string; cores: number; memoryGiB: number; os: string };
  node: string;
  autocannon: string;
  classlabCommit: string;
  /** 1, 5 and 15 minute load averages: other work on the machine skews every figure. */
  loadBefore: number[];
  loadAfter?: number[];
  durationSeconds?: number;
}

export function runInfo(options: BenchOptions): RunInfo {
  const cpu = cpus()[0]?.model ?? 'unknown';
  const autocannonPackage = createRequire(import.meta.url)('autocannon/package.json') as { version: string };
  return {
    date: new Date().toISOString(),
    mode: options.quick ? 'quick' : 'full',
    database: options.databaseUrl ? 'postgresql' : 'pglite',
    machine: { cpu, cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), os: `${platform()} ${release()}` },
    node: process.version,
    autocannon: autocannonPackage.version,
    classlabCommit: commit(),
    loadBefore: loadavg().map((n) => Math.round(n * 100) / 100),
  };
}

/** The branch's commit, and the last one that changed src: the code measured. */
function commit(): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: PROJECT_DIR, encoding: 'utf8' }).trim();
  try {
    const head = git('rev-parse', '--short', 'HEAD');
    const source = git('log', '-1', '--format=%h', '--', 'src');
    const dirty = git('status', '--porcelain', '--', 'src') ? ', with uncommitted changes in src' : '';
    return source === head ? `${head}${dirty}` : `${head} (src as of ${source}${dirty})`;
  } catch {
    return 'unknown';
  }
}

export function writeResults(options: BenchOptions, info: RunInfo, rows: Row[], profile: ProfileSummary | undefined): { json: string; markdown: string } {
  // A PostgreSQL run has its own file and its own part of the document, beside PGlite's.
  const suffix = info.database === 'postgresql' ? '-postgresql' : '';
  const START = `<!-- bench:generated:${info.database}:start -->`;
  const END = `<!-- bench:generated:${info.database}:end -->`;
  const json = options.outDir ? join(options.outDir, `results${suffix}.json`) : join(PROJECT_DIR, `bench/results${suffix}.json`);
  const markdown = options.outDir ? join(options.outDir, 'benchmarks.md') : join(PROJECT_DIR, 'docs/benchmarks.md');
  mkdirSync(dirname(json), { recursive: true });
  mkdirSync(dirname(markdown), { recursive: true });
  const merged = mergeWithEarlier(json, options, info, rows, profile);
  writeFileSync(json, `${JSON.stringify(merged, null, 2)}\n`);
  const generated = `${START}\n${renderGenerated(merged, merged.scenarios, merged.profileT1)}\n${END}`;
  const current = existsSync(markdown) ? readFileSync(markdown, 'utf8') : `# Benchmarks\n\n${START}\n${END}\n`;
  const at = current.indexOf(START);
  const end = current.indexOf(END);
  const next = at >= 0 && end > at ? current.slice(0, at) + generated + current.slice(end + END.length) : `${current}\n${generated}\n`;
  writeFileSync(markdown, next);
  return { json, markdown };
}

interface ResultsFile extends RunInfo {
  scenarios: Row[];
  profileT1?: ProfileSummary;
  /** Scenarios rerun alone (`--only`) after the run above, with when. */
  rerun?: { scenarios: string[]; date: string; classlabCommit: string; loadBefore: number[] }[];
}

/**
 * An `--only` run replaces its scenarios' rows in the results of the same mode and database and
 * keeps the others, saying so; any other run replaces the file.
 */
function mergeWithEarlier(json: string, options: BenchOptions, info: RunInfo, rows: Row[], profile: ProfileSummary | undefined): ResultsFile {
  const fresh: ResultsFile = { ...info, scenarios: rows, ...(profile ? { profileT1: profile } : {}) };
  if (options.only.length === 0 || !existsSync(json)) return fresh;
  const earlier = JSON.parse(readFileSync(json, 'utf8')) as ResultsFile;
  if (earlier.mode !== info.mode || earlier.database !== info.database) return fresh;
  const order = (row: Row) => Number(row.scenario.slice(1));
  const kept = earlier.scenarios.filter((row) => !options.only.includes(row.scenario));
  const scenarios = [...kept, ...rows].sort((a, b) => order(a) - order(b));
  const rerun = [...(earlier.rerun ?? []), { scenarios: options.only, date: info.date, classlabCommit: info.classlabCommit, loadBefore: info.loadBefore }];
  return { ...earlier, scenarios, rerun, ...(profile ? { profileT1: profile } : {}) };
}

function renderGenerated(info: ResultsFile, rows: Row[], profile: ProfileSummary | undefined): string {
  const reruns = (info.rerun ?? []).map((r) => `${r.scenarios.join(', ')} rerun alone at ${r.date.slice(0, 16).replace('T', ' ')} UTC (classlab ${r.classlabCommit}, load ${r.loadBefore.join(' / ')}).`);
  const lines = [
    `Run of ${info.date.slice(0, 16).replace('T', ' ')} UTC (${info.mode}, ${info.database}): classlab ${info.classlabCommit}, Node ${info.node}, autocannon ${info.autocannon};`,
    `${info.machine.cores} × ${info.machine.cpu}, ${info.machine.memoryGiB} GiB, ${info.machine.os}. Load average before ${info.loadBefore.join(' / ')}` +
      (info.loadAfter ? `, after ${info.loadAfter.join(' / ')}` : '') +
      (info.durationSeconds ? `; the run took ${Math.round(info.durationSeconds)} s.` : '.'),
    ...reruns,
    '',
    '| # | what | figure | p99 | ceiling (req/s) | ratio | target | met |',
    '|---|---|---:|---:|---:|---:|---|---|',
  ];
  for (const row of rows) {
    const figure = `${formatNumber(row.figure)} ${row.unit}`;
    const p99 = row.p99Ms === undefined ? '' : `${formatNumber(row.p99Ms)} ms`;
    const ceiling = row.ceiling === undefined ? '—' : formatNumber(row.ceiling);
    const ratio = row.ratio === undefined ? '—' : `${formatNumber(Math.round(row.ratio * 1000) / 10)} %`;
    const met = row.met === null ? '' : row.met ? 'yes' : '**no**';
    const what = row.what + (row.bytes ? ` (${formatNumber(Math.round(row.bytes / 100) / 10)} KB)` : '') + (row.notes ? `; ${row.notes}` : '');
    lines.push(`| ${row.scenario} | ${what} | ${figure} | ${p99} | ${ceiling} | ${ratio} | ${row.target} | ${met} |`);
  }
  if (profile) lines.push('', `CPU profile of the server from its start through T1 (\`--profile\`), ${profile.totalMs} ms busy, top self time:`, '', formatProfile(profile));
  return lines.join('\n');
}

function formatNumber(value: number): string {
  return Number.isFinite(value) ? value.toLocaleString('en-US') : 'n/a';
}
