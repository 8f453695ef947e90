import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { jobEnvironment } from '../../src/runtime/local/child-env.js';
import { localRuntimeFromConfig, type LocalRuntime } from '../../src/runtime/local/local-runtime.js';
import { OutputTail } from '../../src/runtime/local/output-tail.js';
import { httpOrigin } from '../../src/runtime/local/ports.js';
import { launchSpec, startTestRuntime, waitForState, type TestRuntime } from './support-local.js';

describe('the tail of a job\'s stderr', () => {
  it('keeps only the last lines', () => {
    const tail = new OutputTail(3, 4096);
    for (let line = 1; line <= 10; line += 1) tail.push(`line ${line}\n`);
    expect(tail.lines()).toEqual(['line 8', 'line 9', 'line 10']);
  });

  it('stays bounded in size however much is written, dropping a line cut in half', () => {
    const tail = new OutputTail(20, 100);
    for (let chunk = 0; chunk < 10_000; chunk += 1) tail.push(`${'x'.repeat(30)} ${chunk}\n`);
    const lines = tail.lines();
    expect(lines.join('\n').length).toBeLessThanOrEqual(100);
    for (const line of lines) expect(line).toMatch(/^x{30} \d+$/);
    expect(lines.at(-1)).toBe(`${'x'.repeat(30)} 9999`);
  });

  it('hides the job\'s token', () => {
    const tail = new OutputTail();
    tail.push('open http://host:1/?token=s3cr3t-token\nbye\n');
    expect(tail.lines('s3cr3t-token')).toEqual(['open http://host:1/?token=<token>', 'bye']);
  });
});

describe('the environment of a job', () => {
  it('passes only the allow-list from the parent, and the runtime\'s own variables win over the catalog\'s', () => {
    const env = jobEnvironment(
      { jobId: 'j1', runtimeMarker: '/data', cudaVisibleDevices: '', datasetsFolder: '/data/jobs/j1/home/datasets', home: '/data/jobs/j1/home', extra: { CUDA_VISIBLE_DEVICES: '0,1,2,3', JUPYTER_TOKEN: 't' } },
      { PATH: '/usr/bin', HOME: '/home/lab', USER: 'lab', DATABASE_URL: 'postgres://x', CLASSLAB_ADMIN_PASSWORD: 'p', AWS_SECRET_ACCESS_KEY: 'k' },
    );
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/data/jobs/j1/home',
      USER: 'lab',
      JUPYTER_TOKEN: 't',
      CUDA_VISIBLE_DEVICES: '',
      CLASSLAB_DATASETS: '/data/jobs/j1/home/datasets',
      CLASSLAB_JOB_ID: 'j1',
      CLASSLAB_LOCAL_RUNTIME: '/data',
    });
  });

  it('gives a sandboxed job its own user name, home and temporary folder, not the server\'s', () => {
    const env = jobEnvironment(
      { jobId: 'j1', runtimeMarker: '/data', cudaVisibleDevices: '', datasetsFolder: '/home/classlab/datasets', home: '/home/classlab', user: 'classlab', extra: {} },
      { PATH: '/usr/bin', HOME: '/root', USER: 'root', LOGNAME: 'root', TMPDIR: '/root/tmp' },
    );
    expect(env).toMatchObject({ HOME: '/home/classlab', USER: 'classlab', LOGNAME: 'classlab', TMPDIR: '/tmp' });
  });

  it('writes IPv6 hosts in brackets in URLs', () => {
    expect(httpOrigin('::1', 8888)).toBe('http://[::1]:8888');
    expect(httpOrigin('127.0.0.1', 8888)).toBe('http://127.0.0.1:8888');
  });
});

describe('a failed job\'s reason', () => {
  let current: TestRuntime | undefined;
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });

  it('names the signal that killed it, and never shows its token', async () => {
    current = await startTestRuntime();
    const spec = launchSpec({ image: 'test/leak' });
    await current.runtime.launch(spec);
    const state = await waitForState(current.runtime, spec.jobId, 'Failed');
    expect(state).toEqual({ status: 'Failed', reason: 'killed by signal SIGKILL: my token is <token>' });
  });
});

describe('the local runtime from the configuration', () => {
  let runtime: LocalRuntime | undefined;
  let root: string | undefined;
  afterEach(async () => {
    await runtime?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('takes its host, GPUs, datasets folder, data folder and catalog from the settings', async () => {
    root = await mkdtemp(join(tmpdir(), 'classlab-local-config-'));
    await mkdir(join(root, 'sets', 'mnist'), { recursive: true });
    const config = loadConfig({
      CLASSLAB_DATA_DIR: join(root, 'data'),
      CLASSLAB_LOCAL_DATASETS_DIR: join(root, 'sets'),
      CLASSLAB_LOCAL_GPUS: '0,1',
      CLASSLAB_LOCAL_HOST: '127.0.0.1',
      CLASSLAB_IMAGE_CATALOG: JSON.stringify([{ name: 'only', match: ['lab/only'], ports: [{ name: 'web', port: 80 }], local: { command: ['{node}', '-e', ''] } }]),
    });
    runtime = localRuntimeFromConfig(config, pino({ level: 'silent' }));
    await runtime.start();
    expect(runtime.kind).toBe('local');
    expect(await runtime.datasets()).toEqual(['mnist']);
    expect(await runtime.images()).toEqual(['lab/only']);
    expect((await runtime.nodes())[0]).toMatchObject({ gpuAllocatable: 2, images: ['lab/only'] });
  });
});
