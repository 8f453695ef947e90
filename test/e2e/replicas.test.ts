/**
 * Two real `classlab serve` processes on one PostgreSQL database and one (simulated) cluster
 * behave as one: jobs, token revocation, the reconciling lease after `kill -9`, and a rolling
 * restart under load behind a load balancer that follows /readyz. Needs TEST_DATABASE_URL.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSimulator, type KubeSimulator } from '../kube-sim/index.js';
import type { Json } from '../support/platform.js';
import { createScratchDatabase, type ScratchDatabase } from '../support/stores.js';
import { call, cleanUp, freePorts, startServer, tokenOf, type RunningCli } from './cli-process.js';
import { startRoundRobin } from './round-robin.js';

const ADMIN_PASSWORD = 'admin-password';
const LEASE = 'jobs-kubernetes';

interface Replica {
  name: string;
  api: string;
  identity: string;
  settings: Record<string, string>;
  process: RunningCli;
}

async function until<T>(read: () => Promise<T>, accept: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (accept(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what}: not reached; last seen ${JSON.stringify(last)}`);
}

/** The job's state messages on /v1/job/events, until the stream ends. */
async function follow(api: string, token: string, jobId: string): Promise<string[]> {
  const response = await fetch(`${api}/v1/job/events/${jobId}`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  const text = await response.text();
  return [...text.matchAll(/^event: state\ndata: (.*)$/gm)].map((match) => JSON.parse(match[1] as string).status as string);
}

describe.skipIf(!process.env.TEST_DATABASE_URL)('two replicas on one PostgreSQL', () => {
  let simulator: KubeSimulator;
  let database: ScratchDatabase;
  let sql: pg.Client;
  const replicas: Replica[] = [];
  let admin: string;
  let courseId: string;

  async function start(replica: Omit<Replica, 'process'>): Promise<Replica> {
    const started = { ...replica, process: await startServer(replica.settings) };
    await until(() => call('GET', `${replica.api}/readyz`), (reply) => reply.status === 200, `${replica.name} ready`);
    return started;
  }

  async function newReplica(name: string): Promise<Replica> {
    const [port, identityPort] = (await freePorts(2)) as [number, number];
    const settings = {
      PORT: String(port),
      CLASSLAB_IDENTITY_PORT: `127.0.0.1:${identityPort}`,
      DATABASE_URL: database.url,
      CLASSLAB_ADMIN_PASSWORD: ADMIN_PASSWORD,
      CLASSLAB_RUNTIME: 'kubernetes',
      KUBECONFIG: simulator.kubeconfigPath,
      // The lease lasts 3 intervals: a dead holder's lease runs out in 3 s.
      CLASSLAB_RECONCILE_INTERVAL: '1',
      // Far longer than the 1 s a revocation may take: only the change feed can explain a refusal in time.
      CLASSLAB_TOKEN_CACHE_MS: '10000',
      CLASSLAB_JOB_LIMITS: 'off',
      // One student runs two jobs at once here: homes that only one job may mount would refuse the second.
      CLASSLAB_HOME_ACCESS_MODE: 'ReadWriteMany',
      CLASSLAB_REGISTRATION_RATE_LIMIT: 'off',
      CLASSLAB_SHUTDOWN_DRAIN: '1',
    };
    return start({ name, api: `http://127.0.0.1:${port}`, identity: `http://127.0.0.1:${identityPort}`, settings });
  }

  async function student(name: string, via: Replica): Promise<string> {
    expect((await call('POST', `${via.api}/v1/auth/register`, { body: { username: name, password: 'student-pass' } })).status).toBe(200);
    return tokenOf(via.identity, name, 'student-pass');
  }

  async function launch(api: string, token: string, user: string): Promise<string> {
    const launched = await call('POST', `${api}/v1/course/launch`, { token, body: { course_id: courseId, user } });
    expect(launched.status, JSON.stringify(launched.body)).toBe(200);
    return launched.body.job.job_id as string;
  }

  const jobRow = async (jobId: string): Promise<{ status: string; reason: string | null } | undefined> =>
    (await sql.query('select status, reason from jobs where id = $1', [jobId])).rows[0];
  const leaseHolder = async (): Promise<string | undefined> => (await sql.query('select holder from leases where name = $1', [LEASE])).rows[0]?.holder;
  const holderPid = (holder: string | undefined) => Number(holder?.split('|')[2]);
  const deploymentDeletes = () => simulator.stats()['delete deployments'] ?? 0;

  beforeAll(async () => {
    simulator = await startKubeSimulator({ nodes: [{ name: 'cpu-1', gpus: 0, address: '10.1.0.5' }], delays: { scheduleMs: 5, pullMs: 5, readyMs: 5 } });
    database = await createScratchDatabase();
    sql = new pg.Client({ connectionString: database.url });
    await sql.connect();
    // One at a time: the first creates the admin and the tables.
    replicas.push(await newReplica('a'));
    replicas.push(await newReplica('b'));
    admin = await tokenOf(replicas[0]!.identity, 'admin', ADMIN_PASSWORD);
    const created = await call('POST', `${replicas[0]!.api}/v1/course/create`, {
      token: admin,
      body: { name: 'notebooks', image: 'jupyter/base-notebook', level: 'basic', GPU: 0 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    courseId = created.body.id;
  }, 90_000);

  afterAll(async () => {
    await cleanUp();
    await sql?.end();
    await database?.drop();
    await simulator?.stop();
  });

  it('a job launched on A is seen and followed on B, deleted on B, and A reports it Deleted, deleted once', { timeout: 60_000 }, async () => {
    const [a, b] = replicas as [Replica, Replica];
    const token = await student('ann', a);
    const jobId = await launch(a.api, token, 'ann');
    const followedOnB = follow(b.api, token, jobId);
    const followedOnA = follow(a.api, token, jobId);
    await until(() => call('GET', `${b.api}/v1/job/ready/${jobId}`, { token }), (reply) => reply.body?.job?.ready === true, 'Ready on B');
    const deletesBefore = deploymentDeletes();

    expect((await call('DELETE', `${b.api}/v1/job/delete/${jobId}`, { token })).status).toBe(200);
    expect(await followedOnB).toEqual(expect.arrayContaining(['Ready', 'Deleted']));
    const onA = await followedOnA;
    expect(onA.at(-1)).toBe('Deleted');
    expect(onA).not.toContain('Failed');
    // Time for A's watches to see the objects go and for A to reconcile a few rounds.
    await until(async () => simulator.objects('deployments', 'default').filter((d: Json) => d.metadata.name.includes(jobId)).length, (n) => n === 0, 'objects gone');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await jobRow(jobId)).toEqual({ status: 'Deleted', reason: 'deleted by ann' });
    expect(deploymentDeletes() - deletesBefore).toBe(1);
    expect(a.process.stdout() + b.process.stdout()).not.toContain('deleted outside classlab');
  });

  it('a token signed out through A is refused by B within 1 s, although B cached it for 10 s', { timeout: 30_000 }, async () => {
    const [a, b] = replicas as [Replica, Replica];
    const token = await student('bob', a);
    expect((await call('POST', `${b.api}/v1/job/list`, { token, body: {} })).status).toBe(200);
    expect((await call('DELETE', `${a.identity}/token`, { body: { token } })).body).toMatchObject({ status: 20009 });
    const revokedAt = Date.now();
    await until(() => call('POST', `${b.api}/v1/job/list`, { token, body: {} }), (reply) => reply.status === 403, 'refused on B', 5000);
    expect(Date.now() - revokedAt).toBeLessThan(1000);
  });

  it('kill -9 of the lease holder: the other takes over within the lease time, and no job is lost or stopped', { timeout: 60_000 }, async () => {
    const token = await student('cid', replicas[0]!);
    const jobIds = [await launch(replicas[0]!.api, token, 'cid'), await launch(replicas[1]!.api, token, 'cid')];
    for (const jobId of jobIds) await until(() => jobRow(jobId), (row) => row?.status === 'Ready', `${jobId} Ready`);
    const holder = await until(leaseHolder, (value) => value !== undefined, 'a lease holder');
    const killed = replicas.findIndex((replica) => replica.process.pid === holderPid(holder));
    expect(killed).toBeGreaterThanOrEqual(0);
    const survivor = replicas[1 - killed]!;
    const deletesBefore = deploymentDeletes();

    replicas[killed]!.process.child.kill('SIGKILL');
    await replicas[killed]!.process.exited;
    const killedAt = Date.now();
    await until(leaseHolder, (value) => holderPid(value) === survivor.process.pid, 'the survivor holds the lease', 10_000);
    // 3 s of lease and 1 s of reconcile interval.
    expect(Date.now() - killedAt).toBeLessThan(4000);
    // A few rounds of the survivor's reconciling change nothing.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    for (const jobId of jobIds) expect((await jobRow(jobId))?.status).toBe('Ready');
    expect(deploymentDeletes()).toBe(deletesBefore);

    replicas[killed] = await start({ ...replicas[killed]!, name: `${replicas[killed]!.name}'` });
  });

  it('a rolling restart behind a load balancer that follows /readyz drops no request and loses no launch', { timeout: 90_000 }, async () => {
    const balancer = await startRoundRobin(replicas.map((replica) => replica.api));
    try {
      await until(async () => balancer.ready().length, (n) => n === 2, 'both replicas ready at the balancer');
      const names = ['dan', 'eve', 'fay', 'gus', 'hal', 'ivy'];
      const tokens = await Promise.all(names.map((name) => student(name, replicas[0]!)));
      const failures: string[] = [];
      let requests = 0;
      let loading = true;
      const load = async () => {
        while (loading) {
          const reply = await call('GET', `${balancer.url}/v1/course/get/${courseId}`);
          requests += 1;
          if (reply.status !== 200) failures.push(`${reply.status} ${JSON.stringify(reply.body)}`);
        }
      };
      const loaders = [load(), load(), load()];
      const launched: string[] = [];
      const launches = (async () => {
        for (const [index, token] of tokens.entries()) {
          const reply = await call('POST', `${balancer.url}/v1/course/launch`, { token, body: { course_id: courseId, user: names[index] } });
          if (reply.status === 200) launched.push(reply.body.job.job_id);
          else failures.push(`launch: ${reply.status} ${JSON.stringify(reply.body)}`);
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      })();

      for (let index = 0; index < replicas.length; index++) {
        const old = replicas[index]!;
        expect(await old.process.stop('SIGTERM')).toEqual({ code: 0, signal: null });
        replicas[index] = await start({ ...old, name: `${old.name}'` });
        await until(async () => balancer.ready().length, (n) => n === 2, 'both replicas ready again');
      }
      await launches;
      loading = false;
      await Promise.all(loaders);

      expect(failures).toEqual([]);
      expect(requests).toBeGreaterThan(20);
      expect(launched).toHaveLength(names.length);
      for (const jobId of launched) await until(() => jobRow(jobId), (row) => row?.status === 'Ready', `${jobId} Ready after the restart`);
    } finally {
      await balancer.close();
    }
  });
});
