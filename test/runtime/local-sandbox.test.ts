/**
 * The sandbox, tried as an attacker would: a student's job reaches for the server's environment,
 * another student's job, the data folder and the rest of the machine, and reports what it got.
 * Also the limits: memory, the machine's job count, and what happens when no sandbox can be made.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ImageCatalog } from '../../src/config/image-catalog.js';
import { RuntimeBusy, RuntimeUnavailable } from '../../src/runtime/types.js';
import { PROJECT_DIR } from '../e2e/cli-process.js';
import { httpGet, launchSpec, sandboxed, startTestRuntime, TEST_CATALOG, waitForState, type TestRuntime } from './support-local.js';

const HOSTILE_SCRIPT = join(PROJECT_DIR, 'test', 'runtime', 'fixtures', 'hostile-job.cjs');
/** Grows its memory by 16 MiB every few milliseconds, and never lets go. */
const HOG = "const kept = []; setInterval(() => kept.push(Buffer.alloc(16 * 1024 * 1024, 1)), 5);";

const catalog = (serverPid: number, dataDir: string, otherFolder: string): ImageCatalog => [
  ...TEST_CATALOG,
  { name: 'hostile', match: ['test/hostile'], ports: [{ name: 'web', port: 80 }], local: { command: ['{node}', HOSTILE_SCRIPT, '{host}', '{port}', String(serverPid), dataDir, otherFolder] } },
  { name: 'hog', match: ['test/hog'], ports: [{ name: 'web', port: 80 }], local: { command: ['{node}', '-e', HOG] } },
];

interface Attempt {
  ok: boolean;
  value?: unknown;
  error?: string;
}
interface HostileReport {
  uid: number;
  gid: number;
  groups: number[];
  home: string;
  homeMode: string;
  processes: { pid: number; cmdline?: string; environ: Attempt }[];
  serverEnviron: Attempt;
  signalServer: Attempt;
  dataDir: Attempt;
  database: Attempt;
  otherJobFolder: Attempt;
  otherJobHome: Attempt;
  shadow: Attempt;
  homes: Attempt;
  tmp: Attempt;
  devices: string[];
  writes: Record<string, Attempt>;
}

let current: TestRuntime | undefined;
let scratch: string | undefined;
afterEach(async () => {
  await current?.cleanup();
  current = undefined;
  if (scratch) await rm(scratch, { recursive: true, force: true });
  scratch = undefined;
});

describe.skipIf(!sandboxed)('the local sandbox, attacked from inside a job (skipped: this machine cannot sandbox; run as root with bubblewrap)', () => {
  it('keeps one student\'s job away from the server, its data and another student\'s job', async () => {
    // Inside classlab's own folder, as `./data` is: hidden by the sandbox, not by where it is.
    await mkdir(join(PROJECT_DIR, 'scratch'), { recursive: true });
    scratch = await mkdtemp(join(PROJECT_DIR, 'scratch', 'sandbox-'));
    // Open to all, so that what hides the data folder is the sandbox, not this folder's mode.
    await chmod(scratch, 0o755);
    const dataDir = join(scratch, 'data');
    await mkdir(join(dataDir, 'pg'), { recursive: true });
    await writeFile(join(dataDir, 'pg', 'pg_wal'), 'argon2id hashes');
    const otherSpec = launchSpec({ image: 'test/env', userName: 'alice', userId: 'u-alice' });
    const otherFolder = join(dataDir, 'jobs', otherSpec.jobId);
    current = await startTestRuntime({ dataDir, catalog: catalog(process.pid, dataDir, otherFolder) });
    const test = current;

    const other = await test.runtime.launch(otherSpec);
    await waitForState(test.runtime, otherSpec.jobId, 'Ready');
    await writeFile(join(otherFolder, 'home', 'alice-notebook.ipynb'), '{"cells": []}');
    const otherReport = JSON.parse((await httpGet(other.services[0]?.value ?? '')).body) as { env: Record<string, string> };
    const otherToken = /token=([0-9a-f]{48})/.exec(otherReport.env.FROM_CATALOG ?? '')?.[1] ?? '';
    expect(otherToken).not.toBe('');

    const hostileSpec = launchSpec({ image: 'test/hostile', userName: 'mallory', userId: 'u-mallory' });
    const hostile = await test.runtime.launch(hostileSpec);
    await waitForState(test.runtime, hostileSpec.jobId, 'Ready');
    const answer = await httpGet(hostile.services[0]?.value ?? '');
    const report = JSON.parse(answer.body) as HostileReport;

    // Its own user, never the server's or root, and no supplementary groups.
    expect(report.uid).toBeGreaterThanOrEqual(524288);
    expect(report.uid).not.toBe(process.getuid?.());
    expect(report.groups.every((group) => group === report.gid)).toBe(true);
    expect(report.home).toBe('/home/classlab');
    expect(report.homeMode).toBe('700');
    // It sees its own processes only: bwrap's init and itself, no server, no other job.
    expect(report.processes.length).toBeLessThanOrEqual(3);
    for (const seen of report.processes) {
      expect(seen.cmdline ?? '').toMatch(/^\/usr\/bin\/bwrap |hostile-job\.cjs/);
      if (seen.environ.ok) expect(String(seen.environ.value)).toContain(`CLASSLAB_JOB_ID=${hostileSpec.jobId}`);
    }
    expect(report.serverEnviron.ok).toBe(false);
    expect(report.signalServer.ok).toBe(false);
    // Nothing of the data folder, the database, or the other job's folder and notebook.
    expect(report.dataDir).toEqual({ ok: true, value: [] });
    expect(report.database.ok).toBe(false);
    expect(report.otherJobFolder.ok).toBe(false);
    expect(report.otherJobHome.ok).toBe(false);
    expect(report.shadow.ok).toBe(false);
    expect(report.homes).toEqual({ ok: true, value: ['classlab'] });
    expect(answer.body).not.toContain(otherToken);
    expect(answer.body).not.toContain('alice-notebook');
    // Writes land only in its home, its /tmp and its /dev/shm.
    const written = Object.entries(report.writes).filter(([, attempt]) => attempt.ok).map(([folder]) => folder);
    expect(written.sort()).toEqual(['/dev/shm', '/home/classlab', '/tmp']);
    for (const folder of ['/', '/etc', '/usr', '/var/tmp', dataDir]) expect(existsSync(join(folder, 'hostile-was-here'))).toBe(false);
    // A job without GPUs opens no GPU device.
    expect(report.devices.filter((name) => name.startsWith('nvidia'))).toEqual([]);
  });

  it('kills a job that goes over its memory, and says so', async () => {
    current = await startTestRuntime({ catalog: catalog(process.pid, '/nonexistent', '/nonexistent'), limits: { memoryBytes: 128 * 2 ** 20, cpus: 1, processes: 256 } });
    const spec = launchSpec({ image: 'test/hog' });
    await current.runtime.launch(spec);
    const state = await waitForState(current.runtime, spec.jobId, 'Failed', 30_000);
    const warnings = current.runtime.warnings();
    if (warnings.some((warning) => warning.includes('no writable cgroup tree'))) {
      // prlimit stands in: the allocation fails instead of the kernel killing the job.
      expect(state.status).toBe('Failed');
    } else {
      expect(state).toEqual({ status: 'Failed', reason: 'killed: out of memory, over its limit of 128 MiB (CLASSLAB_LOCAL_JOB_MEMORY)' });
    }
  });
});

describe('the local runtime when no sandbox can be made', () => {
  it('still starts, refuses every launch with what is missing, and says so in its warnings', async () => {
    current = await startTestRuntime({ isolation: 'sandbox', pathVariable: '/nonexistent' });
    const warnings = current.runtime.warnings();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('bubblewrap (bwrap) is not installed: install it with `apt-get install bubblewrap`');
    const launch = current.runtime.launch(launchSpec());
    await expect(launch).rejects.toThrow(RuntimeUnavailable);
    await expect(launch).rejects.toThrow('local jobs cannot be sandboxed: bubblewrap (bwrap) is not installed');
    expect(await current.runtime.jobs()).toEqual([]);
    expect(existsSync(join(current.dataDir, 'jobs'))).toBe(false);
  });

  it('runs jobs unsandboxed only when told to, and warns', async () => {
    current = await startTestRuntime({ isolation: 'off', pathVariable: '/nonexistent' });
    expect(current.runtime.warnings()).toEqual([expect.stringContaining('CLASSLAB_LOCAL_ISOLATION=off: local jobs run unsandboxed')]);
    const spec = launchSpec();
    await current.runtime.launch(spec);
    await waitForState(current.runtime, spec.jobId, 'Ready');
  });
});

describe('the machine\'s job limit', () => {
  it('refuses a launch past CLASSLAB_LOCAL_MAX_JOBS as busy, with a time to retry, and frees the place when a job stops', async () => {
    current = await startTestRuntime({ maxJobs: 1 });
    const first = launchSpec();
    await current.runtime.launch(first);
    const second = current.runtime.launch(launchSpec());
    await expect(second).rejects.toThrow(RuntimeBusy);
    await expect(second).rejects.toThrow('this machine already runs 1 job(s), its limit (CLASSLAB_LOCAL_MAX_JOBS=1)');
    expect(await second.catch((error: RuntimeBusy) => error.retryAfterSeconds)).toBe(60);
    await current.runtime.stop(first.jobId);
    const third = launchSpec();
    await current.runtime.launch(third);
    await waitForState(current.runtime, third.jobId, 'Ready');
  });
});
