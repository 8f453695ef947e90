import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/**
 * PostgreSQL's own defaults size it for a server of its own (128 MB of shared buffers). classlab's
 * rows fit in a few megabytes, the server answers its hot reads from memory (course lists, job
 * state), and the operating system caches the files beneath them anyway. Every megabyte of shared
 * buffers is resident from the start, in WebAssembly memory that is never given back: 4 MB rather
 * than 16 takes 14 MB off the server's RSS (issue 13's T9).
 */
export const SHARED_BUFFERS = '4MB';
const MEMORY_SETTINGS = ['-c', `shared_buffers=${SHARED_BUFFERS}`, '-c', 'max_connections=10'];

/** The embedded PostgreSQL, in `folder` on disk, or in memory when there is none. */
export async function openEmbeddedPostgres(folder?: string): Promise<PGlite> {
  const options = { startParams: [...PGlite.defaultStartParams, ...MEMORY_SETTINGS] };
  if (folder === undefined) return PGlite.create(options);
  if (!existsSync(join(folder, 'PG_VERSION'))) await createInChildProcess(folder);
  return PGlite.create(folder, options);
}

/**
 * The first start creates the database (initdb), which leaves over half a gigabyte of WebAssembly
 * memory behind in the process that ran it. A short-lived process of its own gives it all back.
 */
async function createInChildProcess(folder: string): Promise<void> {
  const entry = import.meta.resolve('@electric-sql/pglite');
  const program = `const { PGlite } = await import(${JSON.stringify(entry)}); const db = await PGlite.create(process.argv[1]); await db.close();`;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', program, folder], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`creating the embedded database in ${folder} failed (${signal ?? `exit code ${code}`}): ${stderr.trim().split('\n').at(-1) ?? ''}`));
    });
  });
}
