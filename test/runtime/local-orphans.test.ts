import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { capturingLogger } from '../support/logs.js';
import { LocalRuntime } from '../../src/runtime/local/local-runtime.js';
import { eventually, processAlive, TEST_CATALOG } from './support-local.js';

const spawned: ChildProcess[] = [];
const folders: string[] = [];

/** A process like a job an earlier life of the server started: its own group, the marker set. */
function fakeLeftover(env: Record<string, string>, script = 'setInterval(() => {}, 1000)'): ChildProcess {
  const child = spawn(process.execPath, ['-e', script], { detached: true, stdio: 'ignore', env: { PATH: process.env.PATH ?? '', ...env } });
  spawned.push(child);
  return child;
}

afterEach(async () => {
  for (const child of spawned.splice(0)) if (child.pid !== undefined && processAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

describe('local runtime: what an earlier life of the server left running', () => {
  it('start() kills processes carrying its marker, with their children, and removes the work folders left behind', async () => {
    const root = await mkdtemp(join(tmpdir(), 'classlab-orphans-'));
    folders.push(root);
    const dataDir = join(root, 'data');
    const jobId = '11111111-1111-4111-8111-111111111111';
    await mkdir(join(dataDir, 'jobs', jobId), { recursive: true });
    // A job that had already crashed when the server died: no process, but its folder stayed.
    const crashedJobId = '22222222-2222-4222-8222-222222222222';
    await mkdir(join(dataDir, 'jobs', crashedJobId, 'datasets'), { recursive: true });
    // A leftover job that ignores SIGTERM and has started a child of its own, as Jupyter starts kernels.
    const leftover = fakeLeftover(
      { CLASSLAB_JOB_ID: jobId, CLASSLAB_LOCAL_RUNTIME: dataDir },
      `process.on('SIGTERM', () => {});
       const kid = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
       console.log(kid.pid);
       setInterval(() => {}, 1000);`,
    );
    const bystanders = [
      fakeLeftover({ CLASSLAB_JOB_ID: 'other', CLASSLAB_LOCAL_RUNTIME: join(root, 'another-data-dir') }),
      fakeLeftover({ CLASSLAB_LOCAL_RUNTIME: dataDir }),
    ];
    await eventually(() => leftover.pid !== undefined && bystanders.every((child) => child.pid !== undefined), 5000, 'spawn');
    // Let the leftover start its own child before the runtime looks.
    await new Promise((resolve) => setTimeout(resolve, 300));

    const { logger, lines } = capturingLogger();
    const runtime = new LocalRuntime({ host: '127.0.0.1', gpus: [], datasetsDir: join(root, 'datasets'), dataDir, catalog: TEST_CATALOG, logger, stopGraceMs: 300 });
    await runtime.start();

    expect(processAlive(leftover.pid ?? 0)).toBe(false);
    const orphanLog = lines.map((line) => JSON.parse(line) as { msg: string; orphans?: { pid: number; jobId: string }[] }).find((entry) => entry.orphans);
    expect(orphanLog?.msg).toMatch(/killing 2 process\(es\) an earlier run of the server left behind/);
    for (const orphan of orphanLog?.orphans ?? []) expect(processAlive(orphan.pid)).toBe(false);
    expect(orphanLog?.orphans?.map((orphan) => orphan.jobId)).toEqual([jobId, jobId]);
    expect(existsSync(join(dataDir, 'jobs', jobId))).toBe(false);
    expect(existsSync(join(dataDir, 'jobs', crashedJobId))).toBe(false);
    // Another runtime's job, and a process without a job id, are not ours to kill.
    for (const bystander of bystanders) expect(processAlive(bystander.pid ?? 0)).toBe(true);
    expect(await runtime.jobs()).toEqual([]);
    await runtime.close();
  });
});
