/**
 * A student's home on the local runtime, through the API as the web app uses it: a file written in
 * one job is there after the job is deleted and after the server restarts; another student's job
 * cannot read it; the home reports what it holds; it goes only when it is deleted.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ImageCatalog } from '../../src/config/image-catalog.js';
import { sandboxed } from '../runtime/support-local.js';
import type { Json } from '../support/platform.js';
import { call, cleanUp, freePorts, PROJECT_DIR, startServer, tempDir, tokenOf } from './cli-process.js';

const ADMIN_PASSWORD = 'admin-password';
const CATALOG: ImageCatalog = [
  {
    name: 'home',
    match: ['test/home'],
    ports: [{ name: 'web', port: 80 }],
    local: { command: ['{node}', join(PROJECT_DIR, 'test', 'runtime', 'fixtures', 'home-job.cjs'), '{host}', '{port}', '{workdir}', '{datasets}'] },
  },
];

afterEach(cleanUp);

async function serve(dataDir: string): Promise<{ api: string; identity: string; stop: () => Promise<unknown> }> {
  const [port, identityPort] = await freePorts(2);
  const server = await startServer({
    PORT: String(port),
    CLASSLAB_IDENTITY_PORT: `127.0.0.1:${identityPort}`,
    CLASSLAB_ADMIN_PASSWORD: ADMIN_PASSWORD,
    CLASSLAB_DATA_DIR: dataDir,
    CLASSLAB_IMAGE_CATALOG: JSON.stringify(CATALOG),
    ...(sandboxed ? {} : { CLASSLAB_LOCAL_ISOLATION: 'off' }),
  });
  return { api: server.api ?? '', identity: server.identity ?? '', stop: () => server.stop() };
}

/** Launches the course for the student and answers a function that asks the job something, once it is Ready. */
async function launch(api: string, token: string, courseId: string, user: string): Promise<{ jobId: string; ask: (path: string, params?: Record<string, string>) => Promise<Json> }> {
  const launched = await call('POST', `${api}/v1/course/launch`, { token, body: { course_id: courseId, user } });
  expect(launched.status, JSON.stringify(launched.body)).toBe(200);
  const jobId: string = launched.body.job.job_id;
  const deadline = Date.now() + 30_000;
  while ((await call('GET', `${api}/v1/job/ready/${jobId}`, { token })).body.job.ready !== true) {
    if (Date.now() > deadline) throw new Error(`job ${jobId} did not become Ready`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const job = (await call('POST', `${api}/v1/job/list`, { token, body: {} })).body.jobs.find((candidate: Json) => candidate.id === jobId);
  const base: string = job.service[0].value;
  return { jobId, ask: async (path, params = {}) => (await call('GET', `${new URL(path, base).href}?${new URLSearchParams(params)}`)).body };
}

describe('a student\'s home on the local runtime, through the API', () => {
  it('outlives a deleted job and a restart, is closed to another student, and goes when deleted', { timeout: 180_000 }, async () => {
    const dataDir = tempDir();
    let server = await serve(dataDir);
    const admin = await tokenOf(server.identity, 'admin', ADMIN_PASSWORD);
    const course = await call('POST', `${server.api}/v1/course/create`, { token: admin, body: { name: 'homes', image: 'test/home', level: 'basic', GPU: 0, homePath: '/home/student' } });
    expect(course.status, JSON.stringify(course.body)).toBe(200);
    for (const username of ['jimmy', 'bob']) expect((await call('POST', `${server.api}/v1/auth/register`, { body: { username, password: 'student-pass' } })).status).toBe(200);
    let jimmy = await tokenOf(server.identity, 'jimmy', 'student-pass');

    const first = await launch(server.api, jimmy, course.body.id, 'jimmy');
    const { home } = await first.ask('/');
    expect(home).toEqual(sandboxed ? '/home/student' : expect.stringContaining(join(dataDir, 'homes')));
    expect(await first.ask('/write', { path: `${home}/notes.txt`, text: 'week 1' })).toEqual({ ok: true });
    expect((await call('DELETE', `${server.api}/v1/job/delete/${first.jobId}`, { token: jimmy })).status).toBe(200);
    const mine = (await call('GET', `${server.api}/v1/volume/home`, { token: jimmy })).body.home;
    expect(mine).toMatchObject({ user: 'jimmy', state: 'Bound', usedBytes: 6, capacity: '10Gi' });

    await server.stop();
    server = await serve(dataDir);
    jimmy = await tokenOf(server.identity, 'jimmy', 'student-pass');
    const again = await launch(server.api, jimmy, course.body.id, 'jimmy');
    expect(await again.ask('/read', { path: `${home}/notes.txt` })).toEqual({ ok: true, value: 'week 1' });

    if (sandboxed) {
      const bob = await tokenOf(server.identity, 'bob', 'student-pass');
      const his = await launch(server.api, bob, course.body.id, 'bob');
      expect(await his.ask('/list', { path: '/home/student' })).toEqual({ ok: true, value: [] });
      expect(await his.ask('/list', { path: join(dataDir, 'homes') })).toEqual({ ok: false, error: 'ENOENT' });
    }
    const homesBefore = readdirSync(join(dataDir, 'homes')).length;
    expect(homesBefore).toBe(sandboxed ? 2 : 1);

    expect((await call('DELETE', `${server.api}/v1/job/delete/${again.jobId}`, { token: jimmy })).status).toBe(200);
    expect((await call('DELETE', `${server.api}/v1/volume/home/jimmy`, { token: jimmy })).status).toBe(200);
    expect((await call('GET', `${server.api}/v1/volume/home`, { token: jimmy })).body.home).toMatchObject({ state: 'Absent', usedBytes: null });
    expect(readdirSync(join(dataDir, 'homes'))).toHaveLength(homesBefore - 1);
    await server.stop();
  });
});
