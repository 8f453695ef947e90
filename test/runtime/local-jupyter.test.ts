import { existsSync, readdirSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CATALOG } from '../../src/config/image-catalog.js';
import { portInUse } from '../../src/runtime/local/ports.js';
import { browse, jupyterRuns, httpGet, httpSend, launchSpec, sandboxed, processAlive, startedPid, startTestRuntime, waitForState, type TestRuntime } from './support-local.js';

const hasJupyter = jupyterRuns();
let current: TestRuntime | undefined;

afterEach(async () => {
  await current?.cleanup();
  current = undefined;
});

// Debian's jupyter-notebook package provides it; without it there is nothing real to launch.
describe.skipIf(!hasJupyter)('local runtime: a real Jupyter from the default catalog (skipped: `jupyter notebook` is not on PATH)', () => {
  it('launches, becomes Ready, answers its URL with the token, reports activity, and stops', async () => {
    current = await startTestRuntime({ catalog: DEFAULT_CATALOG, probeIntervalMs: 250, stopGraceMs: 5000 });
    const test = current;
    const spec = launchSpec({ image: 'jupyter/base-notebook:latest' });
    const { services } = await test.runtime.launch(spec);
    expect(services).toHaveLength(1);
    expect(services[0]?.label).toBe('jupyter');
    const url = new URL(services[0]?.value ?? '');
    const token = url.searchParams.get('token') ?? '';
    expect(token).toMatch(/^[0-9a-f]{48}$/);

    await waitForState(test.runtime, spec.jobId, 'Ready', 25_000);
    const workFolder = join(test.dataDir, 'jobs', spec.jobId);
    const home = join(workFolder, 'home');
    await writeFile(join(home, 'hello.ipynb'), JSON.stringify({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }));

    // The student's browser follows Jupyter's redirect to its file tree, logged in by the token.
    const tree = await browse(url.href);
    expect(tree.status).toBe(200);
    expect(new URL(tree.url).pathname).toBe('/tree');
    // The notebook folder is the work folder, and the token is what lets us in.
    const contents = await httpGet(`${url.origin}/api/contents`, { authorization: `token ${token}` });
    expect(contents.status).toBe(200);
    expect((JSON.parse(contents.body) as { content: { name: string }[] }).content.map((item) => item.name)).toContain('hello.ipynb');
    expect((await httpGet(`${url.origin}/api/contents`, { authorization: 'token wrong' })).status).toBe(403);
    // The student saves a notebook: it lands in the job's home, owned by the job's user, not the server's.
    const notebook = { type: 'notebook', content: { cells: [{ cell_type: 'code', source: 'print(1)', metadata: {}, outputs: [], execution_count: null }], metadata: {}, nbformat: 4, nbformat_minor: 5 } };
    const saved = await httpSend('PUT', `${url.origin}/api/contents/saved.ipynb`, JSON.stringify(notebook), { authorization: `token ${token}`, 'content-type': 'application/json' });
    expect(saved.status).toBe(201);
    const savedFile = await stat(join(home, 'saved.ipynb'));
    if (sandboxed) expect(savedFile.uid).not.toBe(process.getuid?.());
    expect(JSON.parse(await readFile(join(home, 'saved.ipynb'), 'utf8')).cells[0].source).toEqual(['print(1)']);
    // Jupyter's runtime files, with its token, are in the job's own home: no other job shares them.
    expect(readdirSync(join(home, '.local', 'share', 'jupyter', 'runtime')).length).toBeGreaterThan(0);
    expect(await test.runtime.lastActivity(spec.jobId)).toBeInstanceOf(Date);

    const pid = startedPid(test.updates, spec.jobId);
    await test.runtime.stop(spec.jobId);
    expect(processAlive(pid)).toBe(false);
    expect(await portInUse('127.0.0.1', Number(url.port))).toBe(false);
    expect(existsSync(workFolder)).toBe(false);
  });
});
