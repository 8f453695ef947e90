/**
 * The README's path, as a user takes it: `classlab serve`, then curl-like calls. A student
 * launches a course, sees it become Ready, opens its URL, and deletes it; on the local runtime and
 * against the Kubernetes API simulator. Then the server is killed in the middle of 50 launches.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startKubeSimulator, type KubeSimulator } from '../kube-sim/index.js';
import { sandboxed } from '../runtime/support-local.js';
import type { Json } from '../support/platform.js';
import { call, cleanUp, freePorts, startServer, tempDir, tokenOf, type RunningCli } from './cli-process.js';

const ADMIN_PASSWORD = 'admin-password';
const hasJupyter = spawnSync('jupyter', ['--version'], { stdio: 'ignore' }).status === 0;

async function until<T>(read: () => Promise<T>, accept: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (accept(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what}: not reached; last seen ${JSON.stringify(last)}`);
}

async function serve(settings: Record<string, string>): Promise<RunningCli & { api: string; identity: string }> {
  const [port, identityPort] = await freePorts(2);
  const server = await startServer({
    PORT: String(port),
    CLASSLAB_IDENTITY_PORT: `127.0.0.1:${identityPort}`,
    CLASSLAB_ADMIN_PASSWORD: ADMIN_PASSWORD,
    // Where this machine cannot sandbox jobs (not root), the local runtime would refuse them all.
    ...(sandboxed ? {} : { CLASSLAB_LOCAL_ISOLATION: 'off' }),
    ...settings,
  });
  return server as RunningCli & { api: string; identity: string };
}

/** A teacher's course and a signed-in student, through the API as the README does it. */
async function courseAndStudent(server: { api: string; identity: string }, course: Json): Promise<{ courseId: string; student: string }> {
  const admin = await tokenOf(server.identity, 'admin', ADMIN_PASSWORD);
  const created = await call('POST', `${server.api}/v1/course/create`, { token: admin, body: course });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  expect((await call('POST', `${server.api}/v1/auth/register`, { body: { username: 'jimmy@nchc', password: 'student-pass' } })).status).toBe(200);
  return { courseId: created.body.id, student: await tokenOf(server.identity, 'jimmy@nchc', 'student-pass') };
}

/** The simulated cluster's objects that classlab made (the cluster has others, such as the kubernetes Service). */
function classlabObjects(simulator: KubeSimulator, resource: 'deployments' | 'services' | 'persistentvolumeclaims'): Json[] {
  return simulator.objects(resource, 'default').filter((object) => object.metadata.labels?.['app.kubernetes.io/managed-by'] === 'classlab');
}

describe('jobs, end to end', () => {
  let simulator: KubeSimulator | undefined;
  afterEach(async () => {
    await cleanUp();
    await simulator?.stop();
    simulator = undefined;
  });

  it('local runtime: launch, Ready, open the URL, delete', { timeout: 120_000 }, async () => {
    const dataDir = tempDir();
    const datasets = join(dataDir, 'datasets');
    mkdirSync(join(datasets, 'mnist'), { recursive: true });
    const server = await serve({ CLASSLAB_DATA_DIR: join(dataDir, 'db'), CLASSLAB_LOCAL_DATASETS_DIR: datasets });
    const { courseId, student } = await courseAndStudent(server, { name: 'hello', image: 'classlab/hello', level: 'basic', GPU: 0, datasets: ['mnist'] });

    const launched = await call('POST', `${server.api}/v1/course/launch`, { token: student, body: { course_id: courseId, user: 'jimmy@nchc' } });
    expect(launched.status, JSON.stringify(launched.body)).toBe(200);
    const jobId = launched.body.job.job_id;
    await until(() => call('GET', `${server.api}/v1/job/ready/${jobId}`, { token: student }), (r) => r.body.job.ready === true, 'job Ready');

    const [job] = (await call('POST', `${server.api}/v1/job/list`, { token: student, body: { user: 'jimmy@nchc' } })).body.jobs;
    expect(job).toMatchObject({ id: jobId, status: 'Ready', dataset: ['mnist'], service: [{ label: 'web', value: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+/) }] });
    const page = await fetch(job.service[0].value);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(jobId);

    const deleted = await call('DELETE', `${server.api}/v1/job/delete/${jobId}`, { token: student });
    expect(deleted.body).toEqual({ error: false, message: `job ${jobId} delete successfully` });
    await expect(fetch(job.service[0].value)).rejects.toThrow();
    await server.stop();
  });

  it('local runtime without bubblewrap: the server starts and says why every launch is refused; with isolation off, jobs run and it warns', { timeout: 120_000 }, async () => {
    // No bwrap on PATH: the server itself needs nothing from PATH, since Node is started by its path.
    const server = await serve({ CLASSLAB_DATA_DIR: tempDir(), PATH: '/nonexistent', CLASSLAB_LOCAL_ISOLATION: 'sandbox' });
    const problem = 'local jobs cannot be sandboxed: bubblewrap (bwrap) is not installed: install it with `apt-get install bubblewrap`';
    expect(server.stdout()).toContain(problem);
    expect((await call('GET', `${server.api}/v1/health/kubernetes`)).body.warnings).toEqual([expect.stringContaining(problem)]);
    const { courseId, student } = await courseAndStudent(server, { name: 'hello', image: 'classlab/hello', level: 'basic', GPU: 0 });
    const refused = await call('POST', `${server.api}/v1/course/launch`, { token: student, body: { course_id: courseId, user: 'jimmy@nchc' } });
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({ error: true, message: expect.stringContaining(problem) });
    expect((await call('POST', `${server.api}/v1/job/list`, { token: student, body: {} })).body.jobs).toEqual([]);
    await server.stop();

    const unsandboxed = await serve({ CLASSLAB_DATA_DIR: tempDir(), PATH: '/nonexistent', CLASSLAB_LOCAL_ISOLATION: 'off' });
    expect(unsandboxed.stdout()).toContain('CLASSLAB_LOCAL_ISOLATION=off: local jobs run unsandboxed');
    expect((await call('GET', `${unsandboxed.api}/v1/health/kubernetes`)).body.warnings).toEqual([expect.stringContaining('local jobs run unsandboxed')]);
    const second = await courseAndStudent(unsandboxed, { name: 'hello', image: 'classlab/hello', level: 'basic', GPU: 0 });
    const launched = await call('POST', `${unsandboxed.api}/v1/course/launch`, { token: second.student, body: { course_id: second.courseId, user: 'jimmy@nchc' } });
    expect(launched.status, JSON.stringify(launched.body)).toBe(200);
    await until(() => call('GET', `${unsandboxed.api}/v1/job/ready/${launched.body.job.job_id}`, { token: second.student }), (r) => r.body.job.ready === true, 'job Ready');
    await unsandboxed.stop();
  });

  it('local runtime: after kill -9 and a restart, the killed jobs are Failed at once and free their quota', { timeout: 180_000 }, async () => {
    const settings = { CLASSLAB_DATA_DIR: tempDir() };
    const first = await serve(settings);
    const { courseId, student } = await courseAndStudent(first, { name: 'hello', image: 'classlab/hello', level: 'basic', GPU: 0 });
    const launch = (server: { api: string }) => call('POST', `${server.api}/v1/course/launch`, { token: student, body: { course_id: courseId, user: 'jimmy@nchc' } });
    const jobId = (await launch(first)).body.job.job_id;
    await until(() => call('GET', `${first.api}/v1/job/ready/${jobId}`, { token: student }), (r) => r.body.job.ready === true, 'job Ready');
    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = Date.now();

    // With the default interval, the dead server's lease would hold reconciling off for 90 s.
    const second = await serve(settings);
    const failed = await until(() => call('GET', `${second.api}/v1/job/ready/${jobId}`, { token: student }), (r) => r.body.job.status === 'Failed', 'killed job Failed', 20_000);
    expect(failed.body.job.reason).toBe("the job's environment disappeared from the local runtime");
    // Its usage ends when the dead server last saw it running, not when the new one noticed.
    const [record] = (await call('GET', `${second.api}/v1/usage/jobs`, { token: student })).body.jobs;
    expect(record).toMatchObject({ job_id: jobId, endReason: 'lost', startedAt: expect.any(String) });
    expect(Date.parse(record.endedAt)).toBeLessThanOrEqual(killedAt);
    expect(Date.parse(record.endedAt)).toBeGreaterThanOrEqual(Date.parse(record.startedAt));
    const again = await launch(second);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    await second.stop();
  });

  it.skipIf(!hasJupyter)('local runtime: a real Jupyter, through the API, answers at its URL with its token', { timeout: 120_000 }, async () => {
    const server = await serve({ CLASSLAB_DATA_DIR: tempDir() });
    const { courseId, student } = await courseAndStudent(server, { name: 'notebooks', image: 'jupyter/base-notebook:latest', level: 'basic', GPU: 0 });
    const launched = await call('POST', `${server.api}/v1/course/launch`, { token: student, body: { course_id: courseId, user: 'jimmy@nchc' } });
    expect(launched.status, JSON.stringify(launched.body)).toBe(200);
    const jobId = launched.body.job.job_id;
    await until(() => call('GET', `${server.api}/v1/job/ready/${jobId}`, { token: student }), (r) => r.body.job.ready === true, 'Jupyter Ready', 60_000);
    const [job] = (await call('POST', `${server.api}/v1/job/list`, { token: student, body: {} })).body.jobs;
    expect(job.service).toEqual([{ label: 'jupyter', value: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/\?token=\S+$/) }]);
    const url = new URL(job.service[0].value);
    const api = await fetch(`${url.origin}/api/contents`, { headers: { authorization: `token ${url.searchParams.get('token')}` } });
    expect(api.status).toBe(200);
    expect((await fetch(`${url.origin}/api/contents`)).status).toBe(403);
    expect((await call('DELETE', `${server.api}/v1/job/delete/${jobId}`, { token: student })).status).toBe(200);
    await server.stop();
  });

  it('kubernetes runtime against the simulator: launch, Ready with a NodePort URL, the home claim it mounts and outlives, delete', { timeout: 120_000 }, async () => {
    simulator = await startKubeSimulator({ datasets: ['dataset-mnist'], nodes: [{ name: 'gpu-1', gpus: 2, address: '10.1.0.5' }] });
    // Two jobs a student, so that the second launch meets the home's single attach rather than the job limit.
    const server = await serve({ CLASSLAB_DATA_DIR: tempDir(), CLASSLAB_RUNTIME: 'kubernetes', KUBECONFIG: simulator.kubeconfigPath, CLASSLAB_JOB_LIMITS: 'student=2' });
    const health = await call('GET', `${server.api}/v1/health/kubernetes`);
    expect(health.body).toEqual({ error: false, message: [{ name: 'gpu-1', status: 'Ready' }], warnings: [] });
    expect((await call('GET', `${server.api}/v1/datasets`, { token: await tokenOf(server.identity, 'admin', ADMIN_PASSWORD) })).body.datasets).toEqual([{ label: 'mnist', value: 'mnist' }]);

    const { courseId, student } = await courseAndStudent(server, { name: 'digits', image: 'nvidia/digits:6.0', level: 'basic', GPU: 1, datasets: ['mnist'], homePath: '/home/jovyan' });
    const launch = () => call('POST', `${server.api}/v1/job/launch`, { token: student, body: { course_id: courseId, user: 'jimmy@nchc' } });
    const launched = await launch();
    expect(launched.status, JSON.stringify(launched.body)).toBe(200);
    const jobId = launched.body.job.job_id;
    await until(() => call('GET', `${server.api}/v1/job/ready/${jobId}`, { token: student }), (r) => r.body.job.ready === true, 'job Ready');
    const [job] = (await call('POST', `${server.api}/v1/job/list`, { token: student, body: {} })).body.jobs;
    expect(job.service).toEqual([{ label: 'digits', value: expect.stringMatching(/^http:\/\/10\.1\.0\.5:3\d{4}$/) }]);
    expect(classlabObjects(simulator, 'deployments')).toHaveLength(1);

    // The first launch made the student's home claim, which the job mounts at the course's path.
    const [claim, ...more] = classlabObjects(simulator, 'persistentvolumeclaims');
    expect(more).toEqual([]);
    expect(claim.metadata.labels['classlab.io/component']).toBe('home');
    expect(claim.metadata.ownerReferences).toBeUndefined();
    const podSpec = classlabObjects(simulator, 'deployments')[0].spec.template.spec;
    expect(podSpec.volumes).toContainEqual({ name: 'home', persistentVolumeClaim: { claimName: claim.metadata.name } });
    expect(podSpec.containers[0].volumeMounts).toContainEqual({ name: 'home', mountPath: '/home/jovyan' });
    const mine = await call('GET', `${server.api}/v1/volume/home`, { token: student });
    expect(mine.body.home).toMatchObject({ user: 'jimmy@nchc', state: 'Bound', capacity: '10Gi', orphaned: false });
    // ReadWriteOnce by default: a second job at once is refused before any object is made.
    const second = await launch();
    expect(second.status).toBe(409);
    expect(second.body.job_id).toBe(jobId);
    expect(classlabObjects(simulator, 'deployments')).toHaveLength(1);

    expect((await call('DELETE', `${server.api}/v1/job/jimmy@nchc/${jobId}`, { token: student })).status).toBe(200);
    await until(async () => classlabObjects(simulator!, 'deployments').length + classlabObjects(simulator!, 'services').length, (n) => n === 0, 'objects deleted');
    // The home outlives its job; an admin grows it (the default class allows it), its owner deletes it.
    expect(classlabObjects(simulator, 'persistentvolumeclaims').map((object) => object.metadata.name)).toEqual([claim.metadata.name]);
    const admin = await tokenOf(server.identity, 'admin', ADMIN_PASSWORD);
    const grown = await call('PUT', `${server.api}/v1/volume/home/jimmy@nchc`, { token: admin, body: { capacity: '20Gi' } });
    expect(grown.status, JSON.stringify(grown.body)).toBe(200);
    expect(classlabObjects(simulator, 'persistentvolumeclaims')[0].spec.resources.requests.storage).toBe('20Gi');
    expect((await call('DELETE', `${server.api}/v1/volume/home/jimmy@nchc`, { token: student })).status).toBe(200);
    expect(classlabObjects(simulator, 'persistentvolumeclaims')).toEqual([]);
    await server.stop();
  });

  it('kill -9 in the middle of 50 launches: after a restart, no orphan objects and no job stuck in Created', { timeout: 180_000 }, async () => {
    simulator = await startKubeSimulator({ nodes: [{ name: 'cpu-1', gpus: 0 }], delays: { scheduleMs: 5, pullMs: 5, readyMs: 5 } });
    const dataDir = tempDir();
    const settings = {
      CLASSLAB_DATA_DIR: dataDir,
      CLASSLAB_RUNTIME: 'kubernetes',
      KUBECONFIG: simulator.kubeconfigPath,
      CLASSLAB_JOB_LIMITS: 'student=100',
      CLASSLAB_LAUNCH_TIMEOUT: '2s',
      CLASSLAB_RECONCILE_INTERVAL: '1s',
      // One student's 50 launches at once: single-attach (ReadWriteOnce) homes would refuse all but one.
      CLASSLAB_HOME_ACCESS_MODE: 'ReadWriteMany',
    };
    const first = await serve(settings);
    const { courseId, student } = await courseAndStudent(first, { name: 'notebook', image: 'jupyter/base-notebook', level: 'basic', GPU: 0 });
    const launches = Array.from({ length: 50 }, () =>
      call('POST', `${first.api}/v1/course/launch`, { token: student, body: { course_id: courseId, user: 'jimmy@nchc' } }).catch(() => undefined),
    );
    await until(async () => classlabObjects(simulator!, 'deployments').length, (n) => n >= 5, 'some launches under way');
    first.child.kill('SIGKILL');
    await first.exited;
    await Promise.all(launches);

    const second = await serve(settings);
    const token = await tokenOf(second.identity, 'jimmy@nchc', 'student-pass');
    const settled = await until(
      async () => {
        const jobs: Json[] = (await call('POST', `${second.api}/v1/job/list`, { token, body: {} })).body.jobs;
        const active = new Set(jobs.filter((job) => job.status !== 'Failed').map((job) => job.id));
        const deployments = classlabObjects(simulator!, 'deployments');
        const services = classlabObjects(simulator!, 'services');
        const jobOf = (object: Json) => object.metadata.labels['classlab.io/job'];
        return {
          created: jobs.filter((job) => job.status === 'Created').length,
          orphans: [...deployments, ...services].filter((object) => !active.has(jobOf(object))).length,
          halfLaunched: deployments.filter((d: Json) => !services.some((s: Json) => jobOf(s) === jobOf(d))).length,
          total: jobs.length,
        };
      },
      (state) => state.created === 0 && state.orphans === 0 && state.halfLaunched === 0,
      'reconciled after the restart',
      60_000,
    );
    expect(settled.total).toBeGreaterThan(0);
    await second.stop();
  });
});
