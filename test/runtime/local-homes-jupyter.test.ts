/**
 * A real Jupyter in a user's home: the notebook a student saves is there in their next notebook
 * server, and two servers of one student at once both work, though they share the home.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CATALOG } from '../../src/config/image-catalog.js';
import type { LaunchSpec } from '../../src/runtime/types.js';
import { httpGet, httpSend, jupyterRuns, launchSpec, startTestRuntime, waitForState, type TestRuntime } from './support-local.js';

const hasJupyter = jupyterRuns();
let current: TestRuntime | undefined;
afterEach(async () => {
  await current?.cleanup();
  current = undefined;
});

const jupyterSpec = (): LaunchSpec =>
  launchSpec({ image: 'jupyter/base-notebook:latest', userId: 'u-ann', userName: 'ann', home: { name: 'home-u-ann', mountPath: '/home/jovyan', capacity: '10Gi' } });

/** Launches a notebook server and answers its origin and token once it is Ready. */
async function notebook(test: TestRuntime, spec: LaunchSpec): Promise<{ origin: string; auth: Record<string, string> }> {
  const { services } = await test.runtime.launch(spec);
  await waitForState(test.runtime, spec.jobId, 'Ready', 25_000);
  const url = new URL(services[0]?.value ?? '');
  return { origin: url.origin, auth: { authorization: `token ${url.searchParams.get('token') ?? ''}` } };
}

async function names(server: { origin: string; auth: Record<string, string> }): Promise<string[]> {
  const answer = await httpGet(`${server.origin}/api/contents`, server.auth);
  expect(answer.status).toBe(200);
  return (JSON.parse(answer.body) as { content: { name: string }[] }).content.map((item) => item.name).sort();
}

describe.skipIf(!hasJupyter)('a real Jupyter in a user\'s home (skipped: `jupyter notebook` is not on PATH)', () => {
  it('keeps a saved notebook for the next server, and serves two of one user at once', async () => {
    current = await startTestRuntime({ catalog: DEFAULT_CATALOG, probeIntervalMs: 250, stopGraceMs: 5000 });
    const test = current;
    const home = join(test.dataDir, 'homes', 'u-ann');
    const first = jupyterSpec();
    const server = await notebook(test, first);
    const body = { type: 'notebook', content: { cells: [{ cell_type: 'code', source: 'print(1)', metadata: {}, outputs: [], execution_count: null }], metadata: {}, nbformat: 4, nbformat_minor: 5 } };
    const saved = await httpSend('PUT', `${server.origin}/api/contents/saved.ipynb`, JSON.stringify(body), { ...server.auth, 'content-type': 'application/json' });
    expect(saved.status).toBe(201);
    expect(JSON.parse(await readFile(join(home, 'saved.ipynb'), 'utf8')).cells[0].source).toEqual(['print(1)']);
    // Its runtime files, with its token, are the job's own, not left in the home for the next one.
    expect(existsSync(join(home, '.local', 'share', 'jupyter', 'runtime'))).toBe(false);
    await test.runtime.stop(first.jobId);

    const [again, alongside] = await Promise.all([notebook(test, jupyterSpec()), notebook(test, jupyterSpec())]);
    expect(await names(again)).toContain('saved.ipynb');
    expect(await names(alongside)).toContain('saved.ipynb');
    expect((await httpGet(`${again.origin}/api/contents`, alongside.auth)).status).toBe(403);
  });
});
