/**
 * `npm run bench -- --quick`, so that the harness cannot rot: every scenario must produce a
 * number. How fast is the bench's business, not the tests': nothing here is timed.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanUp, PROJECT_DIR, tempDir } from './cli-process.js';

interface ResultsFile {
  mode: string;
  scenarios: { scenario: string; what: string; figure: unknown; met: unknown }[];
}

const COMMITTED = join(PROJECT_DIR, 'bench/results.json');

function runBench(outDir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env['DATABASE_URL']; // the quick run is PGlite's
    const child = spawn('npm', ['run', 'bench', '--', '--quick', '--out', outDir], { cwd: PROJECT_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('npm run bench -- --quick', () => {
  afterAll(cleanUp);

  it('measures every scenario into the folder it is given, leaving the committed results alone', async () => {
    const committedBefore = existsSync(COMMITTED) ? readFileSync(COMMITTED, 'utf8') : undefined;
    const outDir = tempDir('classlab-bench-');
    const { code, output } = await runBench(outDir);
    expect(code, output).toBe(0);

    const results = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as ResultsFile;
    expect(results.mode).toBe('quick');
    const scenarios = new Set(results.scenarios.map((row) => row.scenario));
    expect([...scenarios].sort()).toEqual(['T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7', 'T8', 'T9']);
    for (const row of results.scenarios) {
      expect(Number.isFinite(row.figure), `${row.scenario} ${row.what}: ${String(row.figure)}`).toBe(true);
      expect([true, false, null]).toContain(row.met);
    }
    const markdown = readFileSync(join(outDir, 'benchmarks.md'), 'utf8');
    expect(markdown).toContain('| T1 |');
    expect(existsSync(COMMITTED) ? readFileSync(COMMITTED, 'utf8') : undefined).toBe(committedBefore);
  }, 300_000);
});
