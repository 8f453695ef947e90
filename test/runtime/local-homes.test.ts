/**
 * Users' homes on the local runtime, through real jobs: what a student's job writes in its home is
 * there in their next job, after a stop, a failure and a restart of the runtime; two jobs of one
 * user share it; another user's job cannot read it. Sandboxed where this machine can sandbox
 * (see support-local.ts), unsandboxed otherwise.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { ImageCatalog } from '../../src/config/image-catalog.js';
import type { LocalRuntimeOptions } from '../../src/runtime/local/local-runtime.js';
import { LaunchRefused, type LaunchSpec } from '../../src/runtime/types.js';
import { PROJECT_DIR } from '../e2e/cli-process.js';
import { httpGet, launchSpec, sandboxed, startTestRuntime, TEST_CATALOG, waitForState, type TestRuntime } from './support-local.js';

const HOME_JOB = join(PROJECT_DIR, 'test', 'runtime', 'fixtures', 'home-job.cjs');
const CATALOG: ImageCatalog = [
  ...TEST_CATALOG,
  { name: 'home', match: ['test/home'], ports: [{ name: 'web', port: 80 }], local: { command: ['{node}', HOME_JOB, '{host}', '{port}', '{workdir}', '{datasets}'] } },
];
const ANN = { userId: 'u-ann', userName: 'ann' };
const BOB = { userId: 'u-bob', userName: 'bob' };

interface JobReport {
  uid: number;
  home: string;
  cwd: string;
  workdir: string;
  datasets: string;
  env: { CLASSLAB_DATASETS?: string; JUPYTER_RUNTIME_DIR?: string };
}

let runtimes: TestRuntime[] = [];
let scratch: string | undefined;
afterEach(async () => {
  for (const test of runtimes) await test.cleanup();
  runtimes = [];
  if (scratch) await rm(scratch, { recursive: true, force: true });
  scratch = undefined;
});

/** A runtime on a data folder of this test's own, which outlives the runtime (for restarts). */
async function runtimeOn(dataDir: string, options: Partial<LocalRuntimeOptions> = {}): Promise<TestRuntime> {
  const test = await startTestRuntime({ dataDir, catalog: CATALOG, ...options });
  runtimes.push(test);
  return test;
}

async function freshDataDir(): Promise<string> {
  scratch = await mkdtemp(join(tmpdir(), 'classlab-homes-'));
  return join(scratch, 'data');
}

function homeSpec(user: { userId: string; userName: string }, overrides: Partial<LaunchSpec> = {}, mountPath = '/home/classlab'): LaunchSpec {
  return launchSpec({ image: 'test/home', ...user, home: { name: `home-${user.userId}`, mountPath, capacity: '10Gi' }, ...overrides });
}

/** Launches the job and answers a function that asks it something, once it is Ready. */
async function launchReady(test: TestRuntime, spec: LaunchSpec): Promise<(path: string, params?: Record<string, string>) => Promise<unknown>> {
  const { services } = await test.runtime.launch(spec);
  await waitForState(test.runtime, spec.jobId, 'Ready');
  const base = services[0]?.value ?? '';
  return async (path, params = {}) => JSON.parse((await httpGet(`${new URL(path, base).href}?${new URLSearchParams(params)}`)).body) as unknown;
}

const homeOf = (dataDir: string, userId: string) => join(dataDir, 'homes', userId);

describe('homes on the local runtime', () => {
  it('keeps what a job wrote in its home for the user\'s next job, and gives it as HOME and working folder', async () => {
    const dataDir = await freshDataDir();
    const test = await runtimeOn(dataDir);
    const first = homeSpec(ANN);
    const ask = await launchReady(test, first);
    const report = (await ask('/')) as JobReport;
    const inJobHome = sandboxed ? '/home/classlab' : homeOf(dataDir, ANN.userId);
    expect(report).toMatchObject({ home: inJobHome, cwd: inJobHome, workdir: inJobHome });
    expect(await ask('/write', { path: join(report.home, 'notes.txt'), text: 'first job\n' })).toEqual({ ok: true });
    await test.runtime.stop(first.jobId);
    // The job's work folder goes; the home stays, the server's alone above it.
    expect(existsSync(join(dataDir, 'jobs', first.jobId))).toBe(false);
    expect(await readFile(join(homeOf(dataDir, ANN.userId), 'notes.txt'), 'utf8')).toBe('first job\n');
    expect((await stat(homeOf(dataDir, ANN.userId))).mode & 0o777).toBe(0o700);
    expect((await stat(join(dataDir, 'homes'))).mode & 0o777).toBe(0o700);

    const second = homeSpec(ANN);
    const askAgain = await launchReady(test, second);
    expect(await askAgain('/read', { path: join(inJobHome, 'notes.txt') })).toEqual({ ok: true, value: 'first job\n' });
  });

  it('never touches the home when a job fails, and a failed launch leaves it too', async () => {
    const dataDir = await freshDataDir();
    const test = await runtimeOn(dataDir);
    await mkdir(homeOf(dataDir, ANN.userId), { recursive: true });
    await writeFile(join(homeOf(dataDir, ANN.userId), 'keep.txt'), 'mine');
    const crash = homeSpec(ANN, { image: 'test/crash' });
    await test.runtime.launch(crash);
    await waitForState(test.runtime, crash.jobId, 'Failed');
    await test.runtime.stop(crash.jobId);
    await expect(test.runtime.launch(homeSpec(ANN, { image: 'test/missing' }))).rejects.toThrow('was not found on PATH');
    expect(await readFile(join(homeOf(dataDir, ANN.userId), 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('keeps the home across a restart of the runtime, handing it to the new life\'s user id', async () => {
    const dataDir = await freshDataDir();
    const before = await runtimeOn(dataDir);
    const spec = homeSpec(ANN);
    const ask = await launchReady(before, spec);
    const { home, uid } = (await ask('/')) as JobReport;
    expect(await ask('/mkdir', { path: join(home, 'deep') })).toEqual({ ok: true });
    expect(await ask('/write', { path: join(home, 'deep', 'work.py'), text: 'print(1)\n' })).toEqual({ ok: true });
    await before.runtime.close();

    // Another range of user ids, as after a change of CLASSLAB_LOCAL_UIDS: the home follows.
    const after = await runtimeOn(dataDir, { uids: { first: 531000, last: 531099 } });
    const askAfter = await launchReady(after, homeSpec(ANN));
    const report = (await askAfter('/')) as JobReport;
    expect(await askAfter('/read', { path: join(home, 'deep', 'work.py') })).toEqual({ ok: true, value: 'print(1)\n' });
    expect(await askAfter('/write', { path: join(home, 'deep', 'work.py'), text: 'print(2)\n' })).toEqual({ ok: true });
    expect(await readFile(join(homeOf(dataDir, ANN.userId), 'deep', 'work.py'), 'utf8')).toBe('print(1)\nprint(2)\n');
    if (sandboxed) {
      expect(report.uid).toBeGreaterThanOrEqual(531000);
      expect(report.uid).not.toBe(uid);
      expect((await stat(join(homeOf(dataDir, ANN.userId), 'deep'))).uid).toBe(report.uid);
    }
  });

  it('lets two jobs of one user write in the same home at once', async () => {
    const dataDir = await freshDataDir();
    const test = await runtimeOn(dataDir);
    const [first, second] = [homeSpec(ANN), homeSpec(ANN)];
    const [askOne, askTwo] = await Promise.all([launchReady(test, first), launchReady(test, second)]);
    const one = (await askOne('/')) as JobReport;
    const two = (await askTwo('/')) as JobReport;
    expect(one.uid).toBe(two.uid);
    expect(await askOne('/write', { path: join(one.home, 'one.txt'), text: '1' })).toEqual({ ok: true });
    expect(await askTwo('/write', { path: join(two.home, 'two.txt'), text: '2' })).toEqual({ ok: true });
    expect(await askTwo('/write', { path: join(two.home, 'one.txt'), text: '+2' })).toEqual({ ok: true });
    expect(await askOne('/read', { path: join(one.home, 'one.txt') })).toEqual({ ok: true, value: '1+2' });
    expect(await askOne('/list', { path: one.home })).toEqual({ ok: true, value: ['one.txt', 'two.txt'] });
    // Each has a Jupyter runtime folder of its own: in a PID namespace both servers may be pid 2.
    expect(one.env.JUPYTER_RUNTIME_DIR).toBeDefined();
    if (!sandboxed) expect(one.env.JUPYTER_RUNTIME_DIR).not.toBe(two.env.JUPYTER_RUNTIME_DIR);
    // One user id, two jobs: stopping one reaches its own processes only.
    await test.runtime.stop(first.jobId);
    expect(await askTwo('/read', { path: join(two.home, 'two.txt') })).toEqual({ ok: true, value: '2' });
    expect((await test.runtime.jobs()).map((job) => [job.jobId, job.state.status])).toEqual([[second.jobId, 'Ready']]);
  });

  it('shows the datasets beside the home, and writes nothing for them into it', async () => {
    const dataDir = await freshDataDir();
    const test = await runtimeOn(dataDir);
    await mkdir(join(test.datasetsDir, 'mnist'), { recursive: true });
    await writeFile(join(test.datasetsDir, 'mnist', 'train.csv'), '1,2,3\n');
    const ask = await launchReady(test, homeSpec(ANN, { datasets: ['mnist'] }));
    const report = (await ask('/')) as JobReport;
    expect(report.datasets).toBe(report.env.CLASSLAB_DATASETS);
    if (sandboxed) expect(report.datasets).toBe('/home/datasets');
    expect(await ask('/read', { path: join(report.datasets, 'mnist', 'train.csv') })).toEqual({ ok: true, value: '1,2,3\n' });
    expect(await readdir(homeOf(dataDir, ANN.userId))).toEqual([]);
  });
});

describe.skipIf(!sandboxed)('homes in the local sandbox (skipped: this machine cannot sandbox; run as root with bubblewrap)', () => {
  it('keeps another user\'s job out of a home: hidden in the sandbox, and closed to its user id', async () => {
    const dataDir = await freshDataDir();
    const test = await runtimeOn(dataDir);
    const askAnn = await launchReady(test, homeSpec(ANN));
    const ann = (await askAnn('/')) as JobReport;
    expect(await askAnn('/write', { path: join(ann.home, 'secret.txt'), text: 'ann only' })).toEqual({ ok: true });
    const askBob = await launchReady(test, homeSpec(BOB));
    const bob = (await askBob('/')) as JobReport;
    expect(bob.uid).not.toBe(ann.uid);
    const annFile = join(homeOf(dataDir, ANN.userId), 'secret.txt');
    expect(await askBob('/read', { path: annFile })).toEqual({ ok: false, error: 'ENOENT' });
    expect(await askBob('/list', { path: bob.home })).toEqual({ ok: true, value: [] });
    // Its datasets folder is there, though it asked for none.
    expect(await askBob('/list', { path: bob.datasets })).toEqual({ ok: true, value: [] });
    // Even where the path is not hidden, the home (0700, ann's id) refuses bob's user id.
    const asBob = promisify(execFile)('setpriv', [`--reuid=${bob.uid}`, `--regid=${bob.uid}`, '--clear-groups', 'cat', join(homeOf(dataDir, ANN.userId), 'secret.txt')]);
    await expect(asBob).rejects.toThrow('Permission denied');
    const asBobInside = promisify(execFile)('setpriv', [`--reuid=${bob.uid}`, `--regid=${bob.uid}`, '--clear-groups', 'ls', homeOf(dataDir, ANN.userId)]);
    await expect(asBobInside).rejects.toThrow('Permission denied');
  });

  it('mounts the home where the course says, making the folders above it passable', async () => {
    const dataDir = await freshDataDir();
    const test = await runtimeOn(dataDir);
    const ask = await launchReady(test, homeSpec(ANN, {}, '/home/lab/jovyan'));
    const report = (await ask('/')) as JobReport;
    expect(report).toMatchObject({ home: '/home/lab/jovyan', cwd: '/home/lab/jovyan', workdir: '/home/lab/jovyan' });
    expect(await ask('/write', { path: '/home/lab/jovyan/x', text: 'x' })).toEqual({ ok: true });
    expect(existsSync(join(homeOf(dataDir, ANN.userId), 'x'))).toBe(true);
  });

  it('refuses a home path the sandbox cannot make, before anything is made', async () => {
    const dataDir = await freshDataDir();
    const test = await runtimeOn(dataDir);
    const launch = test.runtime.launch(homeSpec(ANN, {}, '/classlab-no-such-folder/home'));
    await expect(launch).rejects.toThrow(LaunchRefused);
    await expect(launch).rejects.toThrow('the local sandbox cannot mount a home at /classlab-no-such-folder/home');
    expect(existsSync(join(dataDir, 'homes'))).toBe(false);
  });

  it('hands a home to a new user id without following the links in it', async () => {
    const dataDir = await freshDataDir();
    const test = await runtimeOn(dataDir);
    const outside = join(scratch ?? '', 'outside.txt');
    await writeFile(outside, 'root\'s');
    await mkdir(homeOf(dataDir, ANN.userId), { recursive: true });
    await symlink(outside, join(homeOf(dataDir, ANN.userId), 'link'));
    const ask = await launchReady(test, homeSpec(ANN));
    const report = (await ask('/')) as JobReport;
    expect((await stat(homeOf(dataDir, ANN.userId))).uid).toBe(report.uid);
    expect((await stat(outside)).uid).toBe(process.getuid?.());
  });
});
