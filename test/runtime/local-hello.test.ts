import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveHelloScript } from '../../src/runtime/local/hello-command.js';
import { freePort } from '../../src/runtime/local/ports.js';
import { eventually, httpGet } from './support-local.js';

const LOCAL_SOURCES = join(dirname(fileURLToPath(import.meta.url)), '../../src/runtime/local');
const folders: string[] = [];
const stops: (() => void)[] = [];

afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

/** Compiles the two modules the way `npm run build` does, into a folder of their own. */
async function compiledCopy(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'classlab-hello-dist-'));
  folders.push(folder);
  for (const name of ['hello-server', 'hello-command']) {
    const source = await readFile(join(LOCAL_SOURCES, `${name}.ts`), 'utf8');
    const output = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 }, fileName: `${name}.ts` });
    await writeFile(join(folder, `${name}.js`), output.outputText);
  }
  await writeFile(join(folder, 'package.json'), '{"type":"module"}');
  return folder;
}

/** Runs the hello server as the runtime would and waits for its health check. */
async function runHello(nodeArgs: string[], script: string, env: Record<string, string>): Promise<string> {
  const port = await freePort('127.0.0.1');
  const child = spawn(process.execPath, [...nodeArgs, script, '--host', '127.0.0.1', '--port', String(port)], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
  stops.push(() => child.kill('SIGKILL'));
  const origin = `http://127.0.0.1:${port}`;
  await eventually(async () => (await httpGet(`${origin}/healthz`).catch(() => undefined))?.status === 200, 15_000, 'the hello server');
  return origin;
}

describe('the built-in hello server', () => {
  it('runs from sources with the TypeScript loader, which resolves from any working folder', () => {
    const hello = resolveHelloScript();
    expect(hello.path).toBe(join(LOCAL_SOURCES, 'hello-server.ts'));
    expect(hello.nodeArgs).toEqual(['--import', expect.stringMatching(/^file:\/\/\/.*\/tsx\/dist\/loader\.mjs$/)]);
  });

  it('runs compiled with plain node, as under npm start', async () => {
    const folder = await compiledCopy();
    const hello = resolveHelloScript(pathToFileURL(join(folder, 'hello-command.js')).href);
    expect(hello).toEqual({ path: join(folder, 'hello-server.js'), nodeArgs: [] });
    const origin = await runHello(hello.nodeArgs, hello.path, { CLASSLAB_JOB_ID: 'job-from-dist' });
    const page = await httpGet(`${origin}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('job-from-dist');
  });

  it('answers the page with the job and its datasets, escaped, and the last non-probe request', async () => {
    const datasets = await mkdtemp(join(tmpdir(), 'classlab-hello-datasets-'));
    folders.push(datasets);
    await mkdir(join(datasets, 'mnist'));
    await mkdir(join(datasets, '<b>cifar'));
    const hello = resolveHelloScript();
    const origin = await runHello(hello.nodeArgs, hello.path, { CLASSLAB_JOB_ID: 'job-7', CLASSLAB_DATASETS: datasets });

    const status = JSON.parse((await httpGet(`${origin}/api/status`)).body) as { last_activity: string; job_id: string };
    expect(status.job_id).toBe('job-7');
    await httpGet(`${origin}/healthz`);
    expect(JSON.parse((await httpGet(`${origin}/api/status`)).body)).toMatchObject({ last_activity: status.last_activity });

    await new Promise((resolve) => setTimeout(resolve, 20));
    const page = await httpGet(`${origin}/`);
    expect(page.body).toContain('<li>mnist</li>');
    expect(page.body).toContain('&#60;b&#62;cifar');
    expect(page.body).not.toContain('<b>cifar');
    const after = JSON.parse((await httpGet(`${origin}/api/status`)).body) as { last_activity: string };
    expect(Date.parse(after.last_activity)).toBeGreaterThan(Date.parse(status.last_activity));
    expect((await httpGet(`${origin}/nothing-here`)).status).toBe(404);
  });
});
