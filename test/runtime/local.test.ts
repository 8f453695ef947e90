import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { portInUse } from '../../src/runtime/local/ports.js';
import { LaunchRefused, RuntimeError, RuntimeNotSynced } from '../../src/runtime/types.js';
import { eventually, httpGet, launchSpec, processAlive, sandboxed, startedPid, startTestRuntime, waitForState, type TestRuntime } from './support-local.js';

let current: TestRuntime | undefined;

async function runtimeUnderTest(options: Parameters<typeof startTestRuntime>[0] = {}): Promise<TestRuntime> {
  current = await startTestRuntime(options);
  return current;
}

afterEach(async () => {
  await current?.cleanup();
  current = undefined;
});

interface EnvReport {
  env: Record<string, string>;
  cwd: string;
  files: Record<string, string[]>;
}

/** Launches the env-reporting job and answers what it sees once it is Ready. */
async function launchEnvReporter(test: TestRuntime, overrides: Parameters<typeof launchSpec>[0] = {}): Promise<{ jobId: string; report: EnvReport }> {
  const spec = launchSpec({ image: 'test/env', ...overrides });
  const { services } = await test.runtime.launch(spec);
  await waitForState(test.runtime, spec.jobId, 'Ready');
  const answer = await httpGet(services[0]?.value ?? '');
  return { jobId: spec.jobId, report: JSON.parse(answer.body) as EnvReport };
}

describe('local runtime: the hello job from launch to stop', () => {
  it('goes Pending then Ready, serves its page, and leaves nothing once stopped', async () => {
    const test = await runtimeUnderTest();
    const spec = launchSpec();
    const { services } = await test.runtime.launch(spec);

    expect(services).toHaveLength(1);
    expect(services[0]?.label).toBe('web');
    const url = new URL(services[0]?.value ?? '');
    const port = Number(url.port);
    expect(url.origin).toBe(`http://127.0.0.1:${port}`);
    // The launch answers once admitted; the process starts right after, behind it.
    await eventually(() => test.updates.some((update) => update.kind === 'state' && update.jobId === spec.jobId), 10_000, 'the first state');
    const firstState = test.updates.find((update) => update.kind === 'state' && update.jobId === spec.jobId);
    expect(firstState).toEqual({
      kind: 'state',
      jobId: spec.jobId,
      state: { status: 'Pending', reason: `starting hello: waiting for http://127.0.0.1:${port}/healthz` },
    });

    await waitForState(test.runtime, spec.jobId, 'Ready');
    const page = await httpGet(url.href);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Your classlab job is running');
    expect(page.body).toContain(spec.jobId);
    const reasons = test.updates.filter((update) => update.kind === 'event' && update.jobId === spec.jobId).map((update) => update.kind === 'event' && update.reason);
    expect(reasons).toEqual(['Started', 'Ready']);
    expect(await test.runtime.jobs()).toEqual([{ jobId: spec.jobId, state: { status: 'Ready' }, services, complete: true }]);

    const pid = startedPid(test.updates, spec.jobId);
    const workFolder = join(test.dataDir, 'jobs', spec.jobId);
    expect(existsSync(workFolder)).toBe(true);
    await test.runtime.stop(spec.jobId);
    expect(processAlive(pid)).toBe(false);
    expect(await portInUse('127.0.0.1', port)).toBe(false);
    expect(existsSync(workFolder)).toBe(false);
    expect(await test.runtime.jobs()).toEqual([]);
    // Stopping again, or stopping a job never launched, succeeds.
    await test.runtime.stop(spec.jobId);
    await test.runtime.stop('never-launched');
  });

  it('answers the hello job\'s last activity, which probes do not move but a visit does', async () => {
    const test = await runtimeUnderTest();
    const spec = launchSpec();
    const { services } = await test.runtime.launch(spec);
    await waitForState(test.runtime, spec.jobId, 'Ready');

    const first = await test.runtime.lastActivity(spec.jobId);
    expect(first).toBeInstanceOf(Date);
    await httpGet(`${new URL(services[0]?.value ?? '').origin}/healthz`);
    expect(await test.runtime.lastActivity(spec.jobId)).toEqual(first);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await httpGet(services[0]?.value ?? '');
    const afterVisit = await test.runtime.lastActivity(spec.jobId);
    expect(afterVisit?.getTime()).toBeGreaterThan(first?.getTime() ?? Infinity);
    expect(await test.runtime.lastActivity('never-launched')).toBeUndefined();
  });

  it('refuses a job id that is already running, or still launching', async () => {
    const test = await runtimeUnderTest();
    const spec = launchSpec();
    const results = await Promise.allSettled([test.runtime.launch(spec), test.runtime.launch(spec)]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected']);
    expect(results[1]?.status === 'rejected' && results[1].reason).toBeInstanceOf(LaunchRefused);
    await expect(test.runtime.launch(spec)).rejects.toThrow(`job ${spec.jobId} is already running`);
  });

  it('a stop that arrives while the job is launching waits for the launch, then stops it', async () => {
    const test = await runtimeUnderTest();
    const spec = launchSpec();
    const launching = test.runtime.launch(spec);
    await test.runtime.stop(spec.jobId);
    await launching;
    expect(processAlive(startedPid(test.updates, spec.jobId))).toBe(false);
    expect(await test.runtime.jobs()).toEqual([]);
  });
});

describe('local runtime: a process that ends', () => {
  it('fails with the exit code and the end of stderr when the command crashes, and frees its GPU', async () => {
    const test = await runtimeUnderTest({ gpus: ['0'] });
    const spec = launchSpec({ image: 'test/crash', gpu: 1 });
    await test.runtime.launch(spec);

    const state = await waitForState(test.runtime, spec.jobId, 'Failed');
    expect(state).toEqual({ status: 'Failed', reason: 'exited with code 3: boom' });
    // Still listed, so reconciling reads why, until the jobs service stops it.
    expect((await test.runtime.jobs()).map((job) => job.state)).toEqual([state]);
    const next = launchSpec({ gpu: 1 });
    await test.runtime.launch(next);
    await test.runtime.stop(spec.jobId);
    expect(existsSync(join(test.dataDir, 'jobs', spec.jobId))).toBe(false);
    expect((await test.runtime.jobs()).map((job) => job.jobId)).toEqual([next.jobId]);
  });

  it('SIGKILLs a job that ignores SIGTERM once the grace time has passed', async () => {
    const test = await runtimeUnderTest({ stopGraceMs: 800 });
    const spec = launchSpec({ image: 'test/stubborn' });
    await test.runtime.launch(spec);
    await waitForState(test.runtime, spec.jobId, 'Ready');
    const pid = startedPid(test.updates, spec.jobId);

    const stopping = Date.now();
    await test.runtime.stop(spec.jobId);
    expect(Date.now() - stopping).toBeGreaterThanOrEqual(750);
    expect(processAlive(pid)).toBe(false);
    const killed = test.updates.find((update) => update.kind === 'event' && update.reason === 'Killed');
    expect(killed).toMatchObject({ jobId: spec.jobId, type: 'Warning' });
    // A stop is not a failure.
    expect(test.updates.some((update) => update.kind === 'state' && update.state.status === 'Failed')).toBe(false);
  });

  it('close() stops every job', async () => {
    const test = await runtimeUnderTest();
    const specs = [launchSpec(), launchSpec({ image: 'test/stubborn' })];
    for (const spec of specs) await test.runtime.launch(spec);
    await Promise.all(specs.map((spec) => waitForState(test.runtime, spec.jobId, 'Ready')));
    const pids = specs.map((spec) => startedPid(test.updates, spec.jobId));
    await test.runtime.close();
    for (const pid of pids) expect(processAlive(pid)).toBe(false);
    await expect(test.runtime.launch(launchSpec())).rejects.toThrow(RuntimeError);
  });
});

describe('local runtime: GPUs', () => {
  it('hands each job its own GPUs through CUDA_VISIBLE_DEVICES, and an empty list to a job without GPUs', async () => {
    const test = await runtimeUnderTest({ gpus: ['0', '1', '2'] });
    const first = await launchEnvReporter(test, { gpu: 2 });
    expect(first.report.env.CUDA_VISIBLE_DEVICES).toBe('0,1');

    await expect(test.runtime.launch(launchSpec({ image: 'test/env', gpu: 2 }))).rejects.toThrow(/not enough GPUs on this machine: the job needs 2, 1 of 3 are free/);
    const second = await launchEnvReporter(test, { gpu: 1 });
    expect(second.report.env.CUDA_VISIBLE_DEVICES).toBe('2');
    const none = await launchEnvReporter(test, { gpu: 0 });
    expect(none.report.env.CUDA_VISIBLE_DEVICES).toBe('');

    await test.runtime.stop(first.jobId);
    const third = await launchEnvReporter(test, { gpu: 2 });
    expect(third.report.env.CUDA_VISIBLE_DEVICES).toBe('0,1');
    expect((await test.runtime.nodes())[0]).toMatchObject({ gpuAllocatable: 3, gpuInUse: 3 });
    await test.runtime.stop(third.jobId);
    expect((await test.runtime.nodes())[0]).toMatchObject({ gpuAllocatable: 3, gpuInUse: 1 });
  });

  it('refuses a GPU count that is not a whole number', async () => {
    const test = await runtimeUnderTest({ gpus: ['0'] });
    await expect(test.runtime.launch(launchSpec({ gpu: -1 }))).rejects.toThrow(LaunchRefused);
    await expect(test.runtime.launch(launchSpec({ gpu: 0.5 }))).rejects.toThrow(LaunchRefused);
  });
});

describe('local runtime: datasets', () => {
  it('lists the subfolders of the datasets folder, and none when it is missing', async () => {
    const test = await runtimeUnderTest();
    expect(await test.runtime.datasets()).toEqual([]);
    for (const name of ['mnist', 'cifar', '.cache']) await mkdir(join(test.datasetsDir, name), { recursive: true });
    await writeFile(join(test.datasetsDir, 'README.txt'), 'not a dataset');
    expect(await test.runtime.datasets()).toEqual(['cifar', 'mnist']);
  });

  it('refuses a dataset that is not a subfolder, naming it', async () => {
    const test = await runtimeUnderTest();
    await mkdir(join(test.datasetsDir, 'mnist'), { recursive: true });
    await writeFile(join(test.datasetsDir, 'README.txt'), 'not a dataset');
    for (const name of ['imagenet', '../data', 'README.txt']) {
      const launch = test.runtime.launch(launchSpec({ datasets: ['mnist', name] }));
      await expect(launch).rejects.toThrow(LaunchRefused);
      await expect(launch).rejects.toThrow(`dataset ${name} not found`);
    }
    expect(await test.runtime.jobs()).toEqual([]);
  });

  it('lets the job see its datasets, and only those', async () => {
    const test = await runtimeUnderTest();
    await mkdir(join(test.datasetsDir, 'mnist'), { recursive: true });
    await mkdir(join(test.datasetsDir, 'cifar'), { recursive: true });
    await writeFile(join(test.datasetsDir, 'mnist', 'train.csv'), '1,2,3\n');
    const { jobId, report } = await launchEnvReporter(test, { datasets: ['mnist'] });
    expect(report.env.CLASSLAB_DATASETS).toBe(join(sandboxed ? '/home/classlab' : join(test.dataDir, 'jobs', jobId, 'home'), 'datasets'));
    expect(report.files).toEqual({ mnist: ['train.csv'] });
    // Removing the work folder must not follow the link into the dataset.
    await test.runtime.stop(jobId);
    expect(existsSync(join(test.datasetsDir, 'mnist', 'train.csv'))).toBe(true);
  });
});

describe('local runtime: what a job is given', () => {
  it('starts jobs with a minimal environment: never the server\'s secrets', async () => {
    const secrets = { DATABASE_URL: 'postgres://classlab:hunter2@db/classlab', CLASSLAB_ADMIN_PASSWORD: 'admin-password-123', CLASSLAB_OAUTH_CLIENT_SECRET: 'oauth-secret' };
    const saved = Object.fromEntries(Object.keys(secrets).map((name) => [name, process.env[name]]));
    Object.assign(process.env, secrets);
    try {
      const test = await runtimeUnderTest();
      const { jobId, report } = await launchEnvReporter(test);
      for (const name of Object.keys(secrets)) expect(report.env[name]).toBeUndefined();
      expect(JSON.stringify(report.env)).not.toContain('hunter2');
      // Sandboxed, the job's home is always at the same place, whatever the data folder.
      const workFolder = sandboxed ? '/home/classlab' : join(test.dataDir, 'jobs', jobId, 'home');
      expect(report.cwd).toBe(workFolder);
      expect(report.env.HOME).toBe(workFolder);
      expect(report.env.CLASSLAB_JOB_ID).toBe(jobId);
      expect(report.env.CLASSLAB_LOCAL_RUNTIME).toBe(test.dataDir);
      expect(report.env.PATH).toBe(process.env.PATH);
      expect(report.env.FROM_CATALOG).toMatch(new RegExp(`^token=[0-9a-f]{48} in ${workFolder}$`));
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('gives each job its own random token', async () => {
    const test = await runtimeUnderTest();
    const first = await launchEnvReporter(test);
    const second = await launchEnvReporter(test);
    expect(first.report.env.FROM_CATALOG).not.toBe(second.report.env.FROM_CATALOG);
  });
});

describe('local runtime: images it cannot run', () => {
  it('refuses an unknown image, listing the images it can run', async () => {
    const test = await runtimeUnderTest();
    const launch = test.runtime.launch(launchSpec({ image: 'example/unknown:1.0' }));
    await expect(launch).rejects.toThrow(LaunchRefused);
    await expect(launch).rejects.toThrow(/example\/unknown:1.0 cannot run on the local runtime \(no catalog entry matches it\); images it can run: classlab\/hello, .*test\/crash/);
  });

  it('refuses an image whose catalog entry has no local command', async () => {
    const test = await runtimeUnderTest();
    await expect(test.runtime.launch(launchSpec({ image: 'nvidia/digits:6.0' }))).rejects.toThrow(/the catalog entry "digits" has no local command/);
    expect(await test.runtime.images()).not.toContain('nvidia/digits');
    expect(await test.runtime.images()).toContain('classlab/hello');
    expect((await test.runtime.nodes())[0]).toMatchObject({ ready: true, gpuAllocatable: 0, images: await test.runtime.images() });
  });

  it('refuses a command missing from PATH and leaves nothing behind', async () => {
    const test = await runtimeUnderTest({ gpus: ['0'] });
    const spec = launchSpec({ image: 'test/missing', gpu: 1 });
    const launch = test.runtime.launch(spec);
    await expect(launch).rejects.toThrow(LaunchRefused);
    await expect(launch).rejects.toThrow('image test/missing cannot run on this machine: its command "classlab-no-such-command-on-path" was not found on PATH');
    expect(existsSync(join(test.dataDir, 'jobs', spec.jobId))).toBe(false);
    expect(await test.runtime.jobs()).toEqual([]);
    // Its GPU went back: another job can have it.
    await test.runtime.launch(launchSpec({ gpu: 1 }));
  });
});

describe('local runtime: start', () => {
  it('cannot list jobs before it has started', async () => {
    const { LocalRuntime } = await import('../../src/runtime/local/local-runtime.js');
    const { TEST_CATALOG } = await import('./support-local.js');
    const { default: pino } = await import('pino');
    const runtime = new LocalRuntime({ host: '127.0.0.1', gpus: [], datasetsDir: '/nonexistent', dataDir: '/nonexistent', catalog: TEST_CATALOG, logger: pino({ level: 'silent' }) });
    await expect(runtime.jobs()).rejects.toThrow(RuntimeNotSynced);
  });
});

describe('local runtime: placeholders', () => {
  it('reports its readiness probe in the Pending reason, on the catalog\'s ready path', async () => {
    const test = await runtimeUnderTest();
    const spec = launchSpec({ image: 'test/env' });
    const { services } = await test.runtime.launch(spec);
    const origin = new URL(services[0]?.value ?? '').origin;
    await eventually(() => test.updates.some((update) => update.kind === 'state' && update.jobId === spec.jobId), 10_000, 'the first state');
    const pending = test.updates.find((update) => update.kind === 'state' && update.jobId === spec.jobId);
    expect(pending).toMatchObject({ state: { status: 'Pending', reason: `starting env: waiting for ${origin}/` } });
    await eventually(async () => (await test.runtime.jobs())[0]?.state.status === 'Ready', 10_000, 'Ready');
  });
});
