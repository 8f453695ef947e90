// Scenarios on one server with the local runtime, the way `npm start` runs: the catalog (T1),
// the token check (T2), many active jobs (T5), local launches (T7), restarts (T8), memory (T9).
import { join } from 'node:path';
import type { BenchContext } from './context.js';
import { sendOk, type Call } from './http-client.js';
import { measureAgainstCeiling } from './load.js';
import { wants } from './options.js';
import { summariseProfile, type ProfileSummary } from './profile.js';
import { launchBurst } from './launches.js';
import { loadRow, meetsT1, MB, round, T1_TARGET, type Row } from './results.js';
import { seedActiveJobs, seedCatalog, withStore, type Seeded } from './seed.js';
import { ClasslabServer, sleep } from './server.js';
import { median } from './stats.js';

const LOCAL_SCENARIOS = ['T1', 'T2', 'T5', 'T7', 'T8', 'T9'] as const;

export async function localScenarios(ctx: BenchContext): Promise<{ profile?: ProfileSummary }> {
  const { options } = ctx;
  const { sizes } = options;
  if (!LOCAL_SCENARIOS.some((name) => wants(options, name))) return {};
  const database = await ctx.newDatabase('local');
  const seededAt = performance.now();
  const seeded = await withStore(database, async (store) => {
    const result = await seedCatalog(store, sizes, { withCatalog: true });
    await seedActiveJobs(store, result, sizes.activeJobs[0] ?? 0);
    return result;
  });
  ctx.log(`seeded ${sizes.courses} courses, ${sizes.users} users, ${seeded.activeJobs} jobs in ${Math.round(performance.now() - seededAt)} ms`);
  const logFile = join(ctx.workDir, 'server-local.log');
  let profile: ProfileSummary | undefined;

  let server = await ClasslabServer.start({ database, logFile });
  try {
    if (wants(options, 'T9')) {
      await sleep(sizes.idleSettleMs);
      ctx.rows.push(rssRow('idle after the first start', server.rssBytes()));
    }
    if (wants(options, 'T1')) {
      if (options.profile) {
        await server.stop();
        const profileDir = join(ctx.workDir, 'profile');
        server = await ClasslabServer.start({ database, logFile, cpuProfileDir: profileDir });
        await catalogScenarios(ctx, server.url, seeded);
        await server.stop();
        profile = summariseProfile(profileDir);
        server = await ClasslabServer.start({ database, logFile });
      } else {
        await catalogScenarios(ctx, server.url, seeded);
      }
      if (wants(options, 'T9')) {
        await sleep(sizes.idleSettleMs);
        ctx.rows.push(rssRow('idle after T1', server.rssBytes()));
      }
    }
    if (wants(options, 'T2')) await tokenCheckScenario(ctx, server.url, seeded);
    if (wants(options, 'T7')) await localLaunchScenario(ctx, server.url, seeded);
    const [firstJobs, ...moreJobs] = sizes.activeJobs;
    if (wants(options, 'T5') && firstJobs !== undefined) await activeJobsScenario(ctx, server, seeded);
    if (!wants(options, 'T5') && !wants(options, 'T8')) return { ...(profile ? { profile } : {}) };
    for (const total of moreJobs) {
      await server.stop();
      await withStore(database, (store) => seedActiveJobs(store, seeded, total));
      server = await ClasslabServer.start({ database, logFile });
      if (wants(options, 'T5')) await activeJobsScenario(ctx, server, seeded);
    }
    if (wants(options, 'T8')) {
      const starts: number[] = [];
      for (let run = 0; run < sizes.runs; run += 1) {
        await server.stop();
        server = await ClasslabServer.start({ database, logFile });
        starts.push(server.startMs);
      }
      const startMs = Math.round(median(starts));
      ctx.rows.push({
        scenario: 'T8',
        what: `restart on PGlite holding ${seeded.activeJobs} active jobs: spawn to first 200 of /v1/health/database`,
        figure: startMs,
        unit: 'ms',
        target: '≤ 3,000 ms',
        met: startMs <= 3_000,
      });
    }
  } finally {
    await server.stop();
  }
  return { ...(profile ? { profile } : {}) };
}

function rssRow(when: string, rss: number): Row {
  const mb = round(rss / MB);
  return { scenario: 'T9', what: `server RSS, ${when} (PGlite)`, figure: mb, unit: 'MB', target: '≤ 200 MB', met: mb <= 200 };
}

async function catalogScenarios(ctx: BenchContext, url: string, seeded: Seeded): Promise<void> {
  const { sizes } = ctx.options;
  for (const teacher of seeded.teachers) {
    const call: Call = { method: 'POST', path: '/v1/course/list', token: teacher.token, body: {} };
    const measured = await measureAgainstCeiling(url, call, ctx.ceiling, sizes);
    const headline = teacher.courses === sizes.headlineTeacherCourses;
    ctx.rows.push(loadRow('T1', `POST /v1/course/list, teacher with ${teacher.courses} courses (of ${sizes.courses})`, measured, headline ? T1_TARGET : '', headline ? meetsT1(measured) : null));
    ctx.log(`T1 list ${teacher.courses}: ${Math.round(measured.figure.requestsPerSecond)} req/s`);
  }
  const call: Call = { method: 'GET', path: '/v1/course/level/basic' };
  const measured = await measureAgainstCeiling(url, call, ctx.ceiling, sizes);
  ctx.rows.push(loadRow('T1', `GET /v1/course/level/basic, ${sizes.basicCourses} courses at that level`, measured, T1_TARGET, meetsT1(measured)));
  ctx.log(`T1 level basic: ${Math.round(measured.figure.requestsPerSecond)} req/s`);
}

async function tokenCheckScenario(ctx: BenchContext, url: string, seeded: Seeded): Promise<void> {
  const { sizes } = ctx.options;
  const token = seeded.students[0]?.token as string;
  const open = await measureAgainstCeiling(url, { method: 'GET', path: '/v1/health/kubernetes' }, ctx.ceiling, sizes);
  ctx.rows.push(loadRow('T2', 'GET /v1/health/kubernetes, no token (local runtime)', open, '', null));
  const guarded = await measureAgainstCeiling(url, { method: 'GET', path: '/v1/health/kubernetesAuth', token }, ctx.ceiling, sizes);
  const share = guarded.figure.requestsPerSecond / open.figure.requestsPerSecond;
  const row = loadRow('T2', 'GET /v1/health/kubernetesAuth, with a token', guarded, '≥ 60 % of the route without a token', share >= 0.6);
  ctx.log(`T2: ${Math.round(guarded.figure.requestsPerSecond)} against ${Math.round(open.figure.requestsPerSecond)} req/s`);
  ctx.rows.push({ ...row, notes: [`${Math.round(share * 100)} % of the route without a token`, row.notes].filter(Boolean).join('; ') });
}

async function activeJobsScenario(ctx: BenchContext, server: ClasslabServer, seeded: Seeded): Promise<void> {
  const { sizes } = ctx.options;
  const student = seeded.students[0];
  const jobId = seeded.measuredStudentJobIds[0];
  if (!student || !jobId) throw new Error('T5 needs a seeded student with jobs');
  const headline = seeded.activeJobs === sizes.activeJobs[sizes.activeJobs.length - 1];
  const list = await measureAgainstCeiling(server.url, { method: 'POST', path: '/v1/job/list', token: student.token, body: {} }, ctx.ceiling, sizes);
  ctx.rows.push(loadRow('T5', `POST /v1/job/list, one user, ${seeded.activeJobs} active jobs`, list, headline ? 'p99 ≤ 20 ms' : '', headline ? list.figure.p99Ms <= 20 : null));
  const ready = await measureAgainstCeiling(server.url, { method: 'GET', path: `/v1/job/ready/${jobId}`, token: student.token }, ctx.ceiling, sizes);
  ctx.rows.push(loadRow('T5', `GET /v1/job/ready/:id, ${seeded.activeJobs} active jobs`, ready, headline ? '≥ 5,000 req/s' : '', headline ? ready.figure.requestsPerSecond >= 5_000 : null));
  const mb = round(server.rssBytes() / MB);
  ctx.log(`T5 ${seeded.activeJobs} jobs: list p99 ${list.figure.p99Ms} ms, ready ${Math.round(ready.figure.requestsPerSecond)} req/s, ${mb} MB`);
  ctx.rows.push({ scenario: 'T5', what: `server RSS with ${seeded.activeJobs} active jobs, after the loads`, figure: mb, unit: 'MB', target: headline ? '≤ 300 MB' : '', met: headline ? mb <= 300 : null });
}

async function localLaunchScenario(ctx: BenchContext, url: string, seeded: Seeded): Promise<void> {
  const { sizes } = ctx.options;
  const students = seeded.students.slice(1, 1 + sizes.localLaunches);
  const p95s: number[] = [];
  const allReady: number[] = [];
  let readyCount = 0;
  for (let run = 0; run < sizes.runs; run += 1) {
    const burst = await launchBurst(url, seeded.launchCourseId, students, { concurrency: students.length, budgetMs: 30_000 });
    p95s.push(burst.launchP95Ms);
    allReady.push(burst.allReadyMs);
    readyCount = burst.ready;
    ctx.log(`T7 run ${run + 1}: launch p95 ${Math.round(burst.launchP95Ms)} ms, ${burst.ready} Ready after ${Math.round(burst.allReadyMs)} ms${burst.firstRefusal ? `; refused: ${burst.firstRefusal}` : ''}`);
    // Stop every job, so that the next run (and T5) start from the same state.
    await Promise.all(burst.jobIds.map((id, index) => sendOk(url, { method: 'DELETE', path: `/v1/job/delete/${id}`, token: burst.tokens[index] as string })));
  }
  const p95 = Math.round(median(p95s));
  const ready = Math.round(median(allReady));
  ctx.rows.push({ scenario: 'T7', what: `${students.length} students launching classlab/hello at once (local): launch call p95`, figure: p95, unit: 'ms', target: '≤ 100 ms', met: p95 <= 100 });
  ctx.rows.push({
    scenario: 'T7',
    what: `${students.length} students launching classlab/hello at once (local): all Ready after`,
    figure: ready,
    unit: 'ms',
    target: '≤ 4,000 ms',
    met: readyCount === students.length && ready <= 4_000,
    notes: `${readyCount} of ${students.length} Ready`,
  });
}
