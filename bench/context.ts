import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ceiling } from './load.js';
import type { BenchOptions } from './options.js';
import type { Row } from './results.js';
import type { StoreTarget } from './seed.js';

/** What every scenario group gets: the options, the ceiling server, and where rows go. */
export interface BenchContext {
  options: BenchOptions;
  ceiling: Ceiling;
  rows: Row[];
  /** Temporary folders of this run (data dirs, logs, profiles), removed at the end. */
  workDir: string;
  /** A new database for one server: a PGlite folder, or a scratch database on DATABASE_URL's server. */
  newDatabase(name: string): Promise<StoreTarget>;
  log(line: string): void;
}

export function makeWorkDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'classlab-bench-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
