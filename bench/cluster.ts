// Scenarios on the Kubernetes runtime against the simulator (test/kube-sim), controller delays 0:
// a lecture's worth of launches (T3), the cluster calls they cost (T4), and live state (T6).
import { join } from 'node:path';
import type { SimNode } from '../test/kube-sim/index.js';
import type { BenchContext } from './context.js';
import { send } from './http-client.js';
import { launchBurst, type Burst, type LaunchedJob } from './launches.js';
import { autocannon } from './load.js';
import { objectName } from '../src/runtime/kubernetes/labels.js';
import { wants } from './options.js';
import { monotonicMicros, summariseProfile, type ProfileSummary, type Window } from './profile.js';
import { MB, round } from './results.js';
import { seedCatalog, withStore } from './seed.js';
import { ClasslabServer, sleep } from './server.js';
import { RemoteSimulator } from './sim-remote.js';
import { median, quantile } from './stats.js';
import { AvailabilityWatch, JobStream } from './streams.js';

const NAMESPACE = 'default';
const SIM_TOKEN = 'kube-sim-token';
const NODES: SimNode[] = Array.from({ length: 30 }, (_, n) => ({ name: `node-${n + 1}`, gpus: 8, cpu: 64, memory: '512Gi' }));
const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
const READ_VERBS = new Set(['get', 'list']);
const QUERY_BUDGET_MS = 15_000;
const STREAM_OPEN_BUDGET_MS = 15_000;
const QUIET_BUDGET_MS = 90_000;
const CHANGE_BUDGET_MS = 30_000;
/**
 * T6's deletes in flight at once. The simulator serves one request at a time (about 0.6 ms for a
 * delete and its cascade): with 50 in flight, a delete waited for the 49 before it, and that wait,
 * the simulator's and not classlab's, was 70 % of the median latency. Ten keep it busy.
 */
const DELETES_IN_FLIGHT = 10;

/** One process's CPU profile over the cluster scenarios, or over one T6 size's window of it. */
export interface LabelledProfile {
  what: string;
  summary: ProfileSummary;
}

interface RunFigures {
  burst: Burst;
  availableToReadyP95: number;
  deployments: number;
  writesPerLaunch: number;
  /** Home claims made: one on each user's first launch, counted apart from the per-launch writes. */
  homeClaims: number;
  readsPerLaunch: number;
  readsForQueries: number;
  queries: number;
  profiles: LabelledProfile[];
}

/** With `--profile`, the last run's server and simulator are profiled: T3's launches, then T6. */
export async function clusterScenarios(ctx: BenchContext): Promise<{ profiles: LabelledProfile[] }> {
  const { options } = ctx;
  const { sizes } = options;
  const wantLaunches = wants(options, 'T3') || wants(options, 'T4') || wants(options, 'T6');
  if (!wantLaunches) return { profiles: [] };
  const runs: RunFigures[] = [];
  const launchRuns = wants(options, 'T3') ? sizes.runs : 1;
  for (let run = 0; run < launchRuns; run += 1) {
    const last = run === launchRuns - 1;
    runs.push(await clusterRun(ctx, run, last && wants(options, 'T6'), last && options.profile));
  }
  const launches = runs[0]?.deployments ?? 0;
  const attempted = sizes.clusterLaunches;
  const rate = round(median(runs.map((r) => r.burst.launchesPerSecond)));
  const callP95 = Math.round(median(runs.map((r) => r.burst.launchP95Ms)));
  const readyP95 = round(median(runs.map((r) => r.availableToReadyP95)));
  const complete = runs.every((r) => r.burst.ready === attempted);
  const shortfall = runs.map((r) => `${r.burst.ready} of ${attempted} Ready (${r.burst.refused} refused, ${r.burst.notAttempted} not attempted within ${sizes.clusterBudgetMs / 1000} s)`).join('; ');
  if (wants(options, 'T3')) {
    const bytes = runs[0]?.burst.answerBytes ?? 0;
    const bare = await autocannon(ctx.ceiling.url, { method: 'POST', path: `/bytes/${bytes}`, body: {} }, sizes.clusterConcurrency, sizes.ceilingSeconds);
    const ceiling = Math.round(bare.requestsPerSecond);
    ctx.rows.push({ scenario: 'T3', what: `${attempted} launches by ${attempted} students on the simulator, each until Ready: launches/s`, figure: rate, unit: 'launches/s', ceiling, ratio: round(rate / ceiling, 4), bytes, target: '≥ 200 launches/s', met: complete && rate >= 200, notes: shortfall + (runs[0]?.burst.firstRefusal ? `; first refusal: ${runs[0].burst.firstRefusal}` : '') });
    ctx.rows.push({ scenario: 'T3', what: 'launch call p95', figure: callP95, unit: 'ms', target: '≤ 50 ms', met: complete && callP95 <= 50 });
    ctx.rows.push({ scenario: 'T3', what: 'Deployment available in the simulator → Ready in the API, p95', figure: readyP95, unit: 'ms', target: '≤ 100 ms', met: complete && readyP95 <= 100 });
  }
  if (wants(options, 'T4')) {
    const first = runs[0] as RunFigures;
    ctx.rows.push({ scenario: 'T4', what: `cluster writes per launch (${launches} Deployments made; ${first.homeClaims} home claims made apart)`, figure: round(first.writesPerLaunch, 2), unit: 'calls', target: '≤ 3', met: launches > 0 && first.writesPerLaunch <= 3 });
    ctx.rows.push({ scenario: 'T4', what: 'cluster reads (get, list) per launch', figure: round(first.readsPerLaunch, 2), unit: 'calls', target: '0', met: launches > 0 && first.readsPerLaunch === 0 });
    ctx.rows.push({ scenario: 'T4', what: `cluster reads for ${first.queries} job-ready and job-list calls`, figure: first.readsForQueries, unit: 'calls', target: '0', met: first.readsForQueries === 0 });
  }
  return { profiles: runs.flatMap((r) => r.profiles) };
}

async function clusterRun(ctx: BenchContext, run: number, withStreams: boolean, profiled: boolean): Promise<RunFigures> {
  const { sizes } = ctx.options;
  const profileDirs = { server: join(ctx.workDir, `profile-cluster-server-${run}`), simulator: join(ctx.workDir, `profile-cluster-sim-${run}`) };
  // In a process of its own: in the bench's, the simulator's work and the load generator's slowed each other.
  const simOptions = { namespace: NAMESPACE, nodes: NODES, delays: { scheduleMs: 0, pullMs: 0, readyMs: 0 }, token: SIM_TOKEN, watchHistory: 100_000 };
  const sim = await RemoteSimulator.start(simOptions, profiled ? profileDirs.simulator : undefined);
  const database = await ctx.newDatabase(`cluster-${run}`);
  const seeded = await withStore(database, (store) => seedCatalog(store, { ...sizes, users: sizes.clusterLaunches + 2 }, { withCatalog: false }));
  const server = await ClasslabServer.start({
    database,
    logFile: join(ctx.workDir, `server-cluster-${run}.log`),
    env: { CLASSLAB_RUNTIME: 'kubernetes', KUBECONFIG: sim.kubeconfigPath, CLASSLAB_NAMESPACE: NAMESPACE },
    ...(profiled ? { cpuProfileDir: profileDirs.server } : {}),
  });
  const watch = new AvailabilityWatch(sim.url, NAMESPACE, SIM_TOKEN);
  const windows: { count: number; window: Window }[] = [];
  let figures: Omit<RunFigures, 'profiles'> | undefined;
  try {
    await sleep(200); // the watch is open before the first launch
    await sim.resetStats();
    const students = seeded.students.slice(0, sizes.clusterLaunches);
    const burst = await launchBurst(server.url, seeded.launchCourseId, students, { concurrency: sizes.clusterConcurrency, budgetMs: sizes.clusterBudgetMs });
    ctx.log(`T3 run ${run + 1}: ${burst.ready}/${students.length} Ready in ${Math.round(burst.allReadyMs)} ms, ${round(burst.launchesPerSecond)} launches/s`);
    // Launches cut off at the budget may still be running in the server: let them finish, so
    // that the counts and the streams below measure what they claim to.
    const measureMore = run === 0 || withStreams;
    if (measureMore) ctx.log(`waited ${Math.round((await waitLaunchesSettled(sim, server)) / 1000)} s for the server to finish launching`);
    const afterLaunches = await countCalls(sim);
    const deployments = await sim.count('deployments', NAMESPACE);
    const queries = run === 0 ? await queryWithoutCluster(server.url, burst.jobs.slice(0, 100)) : 0;
    const afterQueries = await countCalls(sim);
    const gaps = burst.jobs.flatMap((job) => {
      const available = watch.availableAt.get(job.id);
      return job.readyAt !== undefined && available !== undefined ? [job.readyAt - available] : [];
    });
    // Per Deployment made: a launch cut off at the budget has written too.
    const launched = Math.max(1, deployments);
    if (withStreams) windows.push(...(await streamScenarios(ctx, server, sim, burst.jobs.filter((job) => job.readyAt !== undefined))));
    figures = {
      burst,
      availableToReadyP95: quantile(gaps, 0.95),
      deployments,
      writesPerLaunch: afterLaunches.writes / launched,
      homeClaims: afterLaunches.homeClaims,
      readsPerLaunch: afterLaunches.reads / launched,
      readsForQueries: afterQueries.reads - afterLaunches.reads,
      queries,
    };
  } finally {
    watch.close();
    await server.stop();
    await sim.stop();
  }
  return { ...figures, profiles: profiled ? clusterProfiles(profileDirs, windows) : [] };
}

/** Each process over the whole run, and over each T6 size alone (from its first delete to its last arrival). */
function clusterProfiles(dirs: { server: string; simulator: string }, windows: readonly { count: number; window: Window }[]): LabelledProfile[] {
  return (['server', 'simulator'] as const).flatMap((process) => [
    { what: `${process}, T3 launches and T6`, summary: summariseProfile(dirs[process]) },
    ...windows.map(({ count, window }) => ({ what: `${process}, T6 with ${count} streams only`, summary: summariseProfile(dirs[process], window) })),
  ]);
}

/**
 * Until no Deployment has been made for 2 s and the server is quiet, or QUIET_BUDGET_MS: a
 * launch can wait in the server without using its CPU, so CPU alone does not tell.
 */
async function waitLaunchesSettled(sim: RemoteSimulator, server: ClasslabServer): Promise<number> {
  const began = performance.now();
  let count = -1;
  let stableSince = performance.now();
  while (performance.now() - began < QUIET_BUDGET_MS) {
    const now = await sim.count('deployments', NAMESPACE);
    if (now !== count) [count, stableSince] = [now, performance.now()];
    if (performance.now() - stableSince >= 2_000) break;
    await sleep(250);
  }
  await server.waitQuiet(Math.max(0, QUIET_BUDGET_MS - (performance.now() - began)));
  return performance.now() - began;
}

/** A user's first launch also makes their home claim: that one is counted apart (homeClaims). */
async function countCalls(sim: RemoteSimulator): Promise<{ writes: number; reads: number; homeClaims: number }> {
  let writes = 0;
  let reads = 0;
  const stats = await sim.stats();
  const homeClaims = stats['create persistentvolumeclaims'] ?? 0;
  for (const [key, count] of Object.entries(stats)) {
    const verb = key.split(' ')[0] ?? '';
    if (WRITE_VERBS.has(verb) && key !== 'create persistentvolumeclaims') writes += count;
    if (READ_VERBS.has(verb)) reads += count;
  }
  return { writes, reads, homeClaims };
}

/**
 * job-ready and job-list for launched jobs: answered from the watches, they must not reach the
 * cluster. A server still busy with launches gets QUERY_BUDGET_MS; the calls answered are counted.
 */
async function queryWithoutCluster(url: string, jobs: readonly LaunchedJob[]): Promise<number> {
  const deadline = performance.now() + QUERY_BUDGET_MS;
  let answered = 0;
  for (const job of jobs) {
    const left = deadline - performance.now();
    if (left <= 0) break;
    const ready = await send(url, { method: 'GET', path: `/v1/job/ready/${job.id}`, token: job.token }, left).catch(() => undefined);
    const list = await send(url, { method: 'POST', path: '/v1/job/list', token: job.token, body: {} }, Math.max(1, deadline - performance.now())).catch(() => undefined);
    answered += (ready?.status === 200 ? 1 : 0) + (list?.status === 200 ? 1 : 0);
  }
  return answered;
}

/**
 * T6: N streams spread over the Ready jobs; each job's Deployment is then deleted in the
 * simulator (the job fails at once), and each stream's latency is from that delete to its
 * `Failed` event. Each size uses jobs of its own, so every change is a first one.
 */
async function streamScenarios(ctx: BenchContext, server: ClasslabServer, sim: RemoteSimulator, ready: LaunchedJob[]): Promise<{ count: number; window: Window }[]> {
  const { sizes } = ctx.options;
  const windows: { count: number; window: Window }[] = [];
  let offset = 0;
  for (const count of sizes.streams) {
    const share = sizes.streams.length > 1 ? Math.max(1, Math.floor(ready.length * (count / sizes.streams.reduce((a, b) => a + b, 0)))) : ready.length;
    const jobs = ready.slice(offset, offset + Math.min(count, share));
    offset += jobs.length;
    if (jobs.length === 0) {
      ctx.rows.push({ scenario: 'T6', what: `${count} event streams`, figure: Number.NaN, unit: 'ms', target: 'p99 ≤ 100 ms', met: false, notes: 'no Ready job left to follow' });
      continue;
    }
    const rssBefore = server.rssBytes();
    const streams = Array.from({ length: count }, (_, n) => {
      const job = jobs[n % jobs.length] as LaunchedJob;
      return new JobStream(server.url, job.id, job.token);
    });
    // Streams that do not open within the budget are counted as not reached, not waited for.
    let opened = 0;
    for (const stream of streams) void stream.opened.then(() => (opened += 1), () => undefined);
    await Promise.race([Promise.allSettled(streams.map((stream) => stream.opened)), sleep(STREAM_OPEN_BUDGET_MS)]);
    await sleep(500);
    const perStreamKb = round((server.rssBytes() - rssBefore) / count / 1024);
    const deletedAt = new Map<string, number>();
    const since = performance.now();
    const fromUs = monotonicMicros();
    // Timed from sending each delete, so the latency includes the simulator answering it; a few
    // in flight at a time (see DELETES_IN_FLIGHT): a thousand connections at once overflow the
    // simulator's backlog.
    let next = 0;
    const refusedDeletes: string[] = [];
    const deleting = Promise.all(
      Array.from({ length: DELETES_IN_FLIGHT }, async () => {
        for (let job = jobs[next++]; job !== undefined; job = jobs[next++]) {
          deletedAt.set(job.id, performance.now());
          await sim.deleteDeployment(NAMESPACE, objectName(job.id)).catch((error: Error) => refusedDeletes.push(error.message));
        }
      }),
    );
    const arrivals = await Promise.all(streams.map((stream) => stream.waitFor('Failed', since, CHANGE_BUDGET_MS)));
    await deleting;
    windows.push({ count, window: { fromUs, toUs: monotonicMicros() } });
    const latencies = arrivals.flatMap((event, n) => (event ? [event.at - (deletedAt.get(streams[n]?.jobId ?? '') ?? event.at)] : []));
    for (const stream of streams) stream.close();
    const p99 = round(quantile(latencies, 0.99));
    ctx.log(`T6 ${count} streams: p50 ${round(quantile(latencies, 0.5))} ms, p99 ${p99} ms (monotonic µs ${windows.at(-1)?.window.fromUs} to ${windows.at(-1)?.window.toUs})`);
    const headline = count === sizes.streams[sizes.streams.length - 1];
    ctx.rows.push({
      scenario: 'T6',
      what: `${count} event streams over ${jobs.length} jobs: a state change reaches each stream, p99`,
      figure: p99,
      unit: 'ms',
      target: headline ? 'p99 ≤ 100 ms' : '',
      met: headline ? latencies.length === count && p99 <= 100 : null,
      notes: `${refusedDeletes.length > 0 ? `${refusedDeletes.length} deletes failed (${refusedDeletes[0]}); ` : ''}${opened} of ${count} streams opened within ${STREAM_OPEN_BUDGET_MS / 1000} s, ${latencies.length} saw the change within ${CHANGE_BUDGET_MS / 1000} s; RSS growth ${perStreamKb} KB per open stream; ${round(server.rssBytes() / MB)} MB RSS`,
    });
  }
  return windows;
}
