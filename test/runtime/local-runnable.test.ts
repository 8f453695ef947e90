import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CATALOG } from '../../src/config/image-catalog.js';
import { startTestRuntime, type TestRuntime } from './support-local.js';

let current: TestRuntime | undefined;
const folders: string[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  await current?.cleanup();
  current = undefined;
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

/** A PATH of one folder holding these programs (scripts that do nothing), and nothing else. */
async function pathWith(...programs: string[]): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'classlab-path-'));
  folders.push(folder);
  for (const program of programs) {
    await writeFile(join(folder, program), '#!/bin/sh\nexit 0\n');
    await chmod(join(folder, program), 0o755);
  }
  return folder;
}

async function defaultRuntime(gpus: string[] = []): Promise<TestRuntime> {
  current = await startTestRuntime({ catalog: DEFAULT_CATALOG, gpus });
  return current;
}

describe('what the local runtime can run now', () => {
  it('lists jupyter/base-notebook once Jupyter is on PATH, and never the framework images it has no command for', async () => {
    const { runtime } = await defaultRuntime();
    vi.stubEnv('PATH', await pathWith());
    expect(await runtime.images()).toEqual(['classlab/hello']);

    vi.stubEnv('PATH', await pathWith('jupyter'));
    const images = await runtime.images();
    expect(images).toEqual(['classlab/hello', 'jupyter/base-notebook']);
    expect((await runtime.nodes())[0]?.images).toEqual(images);
  });

  it('says why an image cannot run, and what can', async () => {
    const { runtime } = await defaultRuntime();
    vi.stubEnv('PATH', await pathWith());
    expect(await runtime.cannotRun({ image: 'jupyter/base-notebook:latest', gpu: 0 })).toBe(
      'uses image jupyter/base-notebook:latest, which the local runtime cannot run (its command "jupyter" was not found on PATH); images it can run: classlab/hello',
    );
    expect(await runtime.cannotRun({ image: 'pytorch/pytorch:2.3', gpu: 0 })).toMatch(/the catalog entry "frameworks" has no local command/);
    expect(await runtime.cannotRun({ image: 'nvidia/digits:6.0', gpu: 0 })).toMatch(/the catalog entry "digits" has no local command\); images it can run: classlab\/hello$/);
    expect(await runtime.cannotRun({ image: 'example/unknown', gpu: 0 })).toMatch(/\(no catalog entry matches it\)/);
    expect(await runtime.cannotRun({ image: 'classlab/hello', gpu: 0 })).toBeUndefined();
  });

  it('says that CLASSLAB_LOCAL_GPUS hands GPUs out, when a course needs more than it lists', async () => {
    const none = await defaultRuntime();
    expect(await none.runtime.cannotRun({ image: 'classlab/hello', gpu: 1 })).toBe(
      'needs 1 GPU(s) and the local runtime hands out none: it gives jobs the GPUs that CLASSLAB_LOCAL_GPUS lists (for example CLASSLAB_LOCAL_GPUS=0,1)',
    );
    await none.cleanup();
    const two = await defaultRuntime(['0', '1']);
    expect(await two.runtime.cannotRun({ image: 'classlab/hello', gpu: 2 })).toBeUndefined();
    expect(await two.runtime.cannotRun({ image: 'classlab/hello', gpu: 3 })).toMatch(/^needs 3 GPU\(s\) and the local runtime hands out only 2: .*CLASSLAB_LOCAL_GPUS/);
  });
});
