import { eq } from 'drizzle-orm';
import { vi, afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usageRecords } from '../../src/store/schema.js';
import type { Store } from '../../src/store/store.js';
import { seedClassroom } from '../support/classroom-seed.js';
import { ScriptedRuntime } from '../support/fake-runtime.js';
import { startTestPlatform, type Json, type TestPlatform, type TestUser } from '../support/platform.js';
import { pgliteTarget, storeTargets, type StoreTarget } from '../support/stores.js';

const MINUTE = 60_000;
const course = (name: string, gpu: number) => ({ name, image: 'nvidia/digits:6.0', level: 'basic', GPU: gpu });
const recent = () => new Date(Date.now() - 3 * 60 * MINUTE).toISOString();

/** Launches a course for the user and lets the runtime bring it to Ready: the usage clock starts. */
async function runJob(platform: TestPlatform, runtime: ScriptedRuntime, user: TestUser, courseId: string, classroomId?: string): Promise<string> {
  const body = { course_id: courseId, user: user.name, ...(classroomId ? { classroom_id: classroomId } : {}) };
  const launched = await platform.call('POST', '/v1/course/launch', { token: user.token, body });
  expect(launched.status, launched.text).toBe(200);
  const jobId: string = launched.body.job.job_id;
  runtime.report(jobId, { status: 'Ready' });
  await vi.waitFor(async () => expect((await platform.call('GET', `/v1/job/ready/${jobId}`, { token: user.token })).body.job.ready).toBe(true));
  return jobId;
}

/** The record began `minutes` before `at`: as if the job had run that long by then. */
function backdate(store: Store, jobId: string, minutes: number, at = new Date()) {
  return store.db
    .update(usageRecords)
    .set({ startedAt: new Date(at.getTime() - minutes * MINUTE), createdAt: new Date(at.getTime() - (minutes + 1) * MINUTE) })
    .where(eq(usageRecords.jobId, jobId));
}

describe.each(storeTargets)('GET /v1/usage on $name', (target) => {
  let platform: TestPlatform;
  let runtime: ScriptedRuntime;
  let tina: TestUser;
  let tom: TestUser;
  let jimmy: TestUser;
  let sam: TestUser;
  let tinasCourse: string;
  let tomsCourse: string;
  let jimmysJob: string;
  /** sam's job had run 30 minutes at this time: reports up to it do not change while the suite runs. */
  let asOf: string;

  const usage = (user: TestUser, query: string) => platform.call('GET', `/v1/usage?${query}`, { token: user.token });

  beforeAll(async () => {
    runtime = new ScriptedRuntime();
    runtime.nodeList = [{ name: 'node-1', ready: true, gpuAllocatable: 8, images: [] }];
    platform = await startTestPlatform({ target, runtime });
    [tina, tom, jimmy, sam] = await Promise.all([
      platform.user('tina', ['teacher']),
      platform.user('tom', ['teacher']),
      platform.user('jimmy', ['student']),
      platform.user('sam', ['student']),
    ]);
    tinasCourse = (await platform.call('POST', '/v1/course/create', { token: tina.token, body: course('deep learning', 2) })).body.id;
    tomsCourse = (await platform.call('POST', '/v1/course/create', { token: tom.token, body: course('vision', 1) })).body.id;
    // jimmy ran tina's 2-GPU course for 90 minutes; sam runs tom's course for 30 minutes, still.
    jimmysJob = await runJob(platform, runtime, jimmy, tinasCourse);
    await backdate(platform.store, jimmysJob, 90);
    expect((await platform.call('PUT', `/v1/course/update/${tinasCourse}`, { token: tina.token, body: { gpu: 1 } })).status).toBe(200);
    expect((await platform.call('DELETE', `/v1/job/delete/${jimmysJob}`, { token: jimmy.token })).status).toBe(200);
    const samsJob = await runJob(platform, runtime, sam, tomsCourse);
    const now = new Date();
    asOf = now.toISOString();
    await backdate(platform.store, samsJob, 30, now);
  });
  afterAll(() => platform?.close());

  it('gives 3.00 GPU-hours for 2 GPUs over 90 minutes, though the course has 1 GPU since', async () => {
    const answer = await usage(platform.admin, `from=${recent()}&to=${asOf}&groupBy=user`);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.rows).toEqual([
      { key: jimmy.id, name: 'jimmy', jobs: 1, gpuHours: 3, wallHours: 1.5 },
      { key: sam.id, name: 'sam', jobs: 1, gpuHours: 0.5, wallHours: 0.5 },
    ]);
    expect(answer.body.total).toEqual({ jobs: 2, gpuHours: 3.5, wallHours: 2 });

    const jobs = await platform.call('GET', `/v1/usage/jobs?from=${recent()}&course=${tinasCourse}`, { token: platform.admin.token });
    expect(jobs.body).toEqual({
      error: false,
      total: 1,
      jobs: [
        {
          job_id: jimmysJob,
          user: 'jimmy',
          course_id: tinasCourse,
          course: 'deep learning',
          classroom_id: null,
          classroom: null,
          gpu: 2,
          gpuResource: 'nvidia.com/gpu',
          createAt: expect.stringMatching(/Z$/),
          startedAt: expect.stringMatching(/Z$/),
          endedAt: expect.stringMatching(/Z$/),
          endReason: 'deleted',
          gpuHours: 3,
          wallHours: 1.5,
        },
      ],
    });
  });

  it("shows a teacher their courses only, and refuses another teacher's course with 403", async () => {
    const own = await usage(tina, `from=${recent()}&groupBy=course`);
    expect(own.body.rows).toEqual([{ key: tinasCourse, name: 'deep learning', jobs: 1, gpuHours: 3, wallHours: 1.5 }]);
    const refused = await usage(tina, `course=${tomsCourse}`);
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ error: true, message: expect.stringContaining(`course ${tomsCourse} is not one of your courses`) });
    expect((await platform.call('GET', `/v1/usage/jobs?course=${tomsCourse}`, { token: tina.token })).status).toBe(403);
  });

  it('shows a student only themself, and refuses another user with 403', async () => {
    const own = await usage(sam, `from=${recent()}`);
    expect(own.body.rows.map((row: Json) => row.name)).toEqual(['sam']);
    const jobs = await platform.call('GET', `/v1/usage/jobs?from=${recent()}`, { token: sam.token });
    expect(jobs.body.jobs.map((job: Json) => job.user)).toEqual(['sam']);
    expect((await usage(sam, 'user=jimmy')).status).toBe(403);
    expect((await platform.call('GET', '/v1/usage/jobs?user=jimmy', { token: sam.token })).status).toBe(403);
  });

  it("downloads CSV whose totals equal the JSON's", async () => {
    const query = `from=${recent()}&to=${asOf}&groupBy=course`;
    const json = await usage(platform.admin, query);
    const csv = await usage(platform.admin, `${query}&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toMatch(/^attachment; filename="usage-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv"$/);
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('key,name,jobs,gpuHours,wallHours');
    expect(lines).toHaveLength(json.body.rows.length + 2);
    const [label, empty, ...numbers] = lines.at(-1)!.split(',');
    expect([label, empty]).toEqual(['total', '']);
    expect(numbers.map(Number)).toEqual([json.body.total.jobs, json.body.total.gpuHours, json.body.total.wallHours]);
  });

  it('refuses from ≥ to, a malformed date, an unknown groupBy or format with 400', async () => {
    for (const query of ['from=2026-11-10&to=2026-11-10', 'from=2026-11-11&to=2026-11-10', 'from=2026-02-30', 'to=soon', 'groupBy=team', 'format=xlsx', 'course=not-a-uuid', 'user=a%00b', 'limit=5']) {
      const answer = await usage(platform.admin, query);
      expect(answer.status, query).toBe(400);
      expect(answer.body, query).toEqual({ error: true, message: expect.any(String) });
    }
    expect((await usage(platform.admin, 'groupBy=team')).body.message).toMatch(/groupBy must be one of user, course/);
    expect((await platform.call('GET', '/v1/usage/jobs?limit=501', { token: platform.admin.token })).status).toBe(400);
  });

  it('counts GPU-seconds per course id in /metrics', async () => {
    const metrics = await platform.call('GET', '/metrics');
    const seconds = (courseId: string) => Number(new RegExp(`classlab_gpu_seconds_total\\{course="${courseId}"\\} ([0-9.e+]+)`).exec(metrics.text)?.[1]);
    expect(seconds(tinasCourse)).toBeGreaterThanOrEqual(2 * 90 * 60);
    expect(seconds(tinasCourse)).toBeLessThan(2 * 90 * 60 + 60);
    expect(seconds(tomsCourse)).toBeGreaterThanOrEqual(30 * 60);
  });

  it('documents both routes, the report as JSON or CSV', async () => {
    const doc = (await platform.call('GET', '/docs/json')).body;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/usage', '/v1/usage/jobs']));
    expect(Object.keys(doc.paths['/v1/usage'].get.responses['200'].content)).toEqual(['application/json', 'text/csv']);
  });

  it('keeps the records after the course (its jobs ended) and the user are deleted', async () => {
    const leaving = await platform.user('leaving', ['student']);
    const shortCourse = (await platform.call('POST', '/v1/course/create', { token: tina.token, body: course('short course', 1) })).body.id;
    const jobId = await runJob(platform, runtime, leaving, shortCourse);
    await backdate(platform.store, jobId, 60);
    expect((await platform.call('DELETE', `/v1/job/delete/${jobId}`, { token: leaving.token })).status).toBe(200);
    expect((await platform.call('DELETE', `/v1/course/delete/${shortCourse}`, { token: tina.token })).status).toBe(200);
    expect((await platform.call('DELETE', '/v1/auth/delete', { token: platform.admin.token, body: { id: leaving.name } })).status).toBe(200);
    const answer = await platform.call('GET', `/v1/usage?from=${recent()}&user=leaving`, { token: platform.admin.token });
    expect(answer.body.rows).toEqual([{ key: leaving.id, name: 'leaving', jobs: 1, gpuHours: 1, wallHours: 1 }]);
    const asTeacher = await platform.call('GET', `/v1/usage/jobs?from=${recent()}&course=${shortCourse}`, { token: tina.token });
    expect(asTeacher.body.jobs).toEqual([expect.objectContaining({ job_id: jobId, user: 'leaving', course: 'short course', endReason: 'deleted' })]);
  });
});

describe.each(storeTargets)('usage by classroom on $name', (target) => {
  // During the classroom's window; the records are backdated from it, and running jobs are charged up to it.
  const clock = new Date('2027-02-15T10:00:00Z');
  const runtime = new ScriptedRuntime();
  let platform: TestPlatform;
  let classroomId: string;

  beforeAll(async () => {
    runtime.homes.singleAttach = false;
    platform = await startTestPlatform({ target, runtime, now: () => clock, settings: { jobMaxAge: {}, jobIdleTimeout: {} } });
    const [tina, jimmy, sam] = [await platform.user('tina', ['teacher']), await platform.user('jimmy'), await platform.user('sam')];
    const courseId = (await platform.call('POST', '/v1/course/create', { token: tina.token, body: course('deep learning', 1) })).body.id;
    classroomId = await seedClassroom(platform.store.db, {
      name: 'Physics 101',
      members: [{ userId: jimmy.id, role: 'student' }],
      courses: [courseId],
      windows: [{ starts_at: '2027-02-15T09:00Z', ends_at: '2027-02-15T12:00Z' }],
    });
    await backdate(platform.store, await runJob(platform, runtime, jimmy, courseId, classroomId), 60, clock);
    await backdate(platform.store, await runJob(platform, runtime, sam, courseId), 30, clock);
  });
  afterAll(() => platform?.close());

  const from = new Date(clock.getTime() - 3 * 60 * MINUTE).toISOString();

  it('groups by the classroom a job was launched through; jobs launched outside one are the null row', async () => {
    const answer = await platform.call('GET', `/v1/usage?from=${from}&groupBy=classroom`, { token: platform.admin.token });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toMatchObject({
      groupBy: 'classroom',
      rows: [
        { key: classroomId, name: 'Physics 101', jobs: 1, gpuHours: 1, wallHours: 1 },
        { key: null, name: null, jobs: 1, gpuHours: 0.5, wallHours: 0.5 },
      ],
      total: { jobs: 2, gpuHours: 1.5, wallHours: 1.5 },
    });
    const csv = await platform.call('GET', `/v1/usage?from=${from}&groupBy=classroom&format=csv`, { token: platform.admin.token });
    expect(csv.text.split('\r\n')).toEqual(['key,name,jobs,gpuHours,wallHours', `${classroomId},Physics 101,1,1.00,1.00`, ',,1,0.50,0.50', 'total,,2,1.50,1.50', '']);
  });

  it("names each job's classroom in the job rows", async () => {
    const answer = await platform.call('GET', `/v1/usage/jobs?from=${from}`, { token: platform.admin.token });
    expect(answer.body.jobs.map((job: Json) => [job.user, job.classroom_id, job.classroom])).toEqual(
      expect.arrayContaining([
        ['jimmy', classroomId, 'Physics 101'],
        ['sam', null, null],
      ]),
    );
  });
});

describe('usage across a crash', () => {
  it('closes the record as lost at its last sighting when the job vanished while the server was down', async () => {
    const store = await pgliteTarget.open();
    // Both servers use the one database; closing the first must not close it.
    const shared: StoreTarget = { name: 'pglite', open: async () => ({ ...store, close: async () => {} }) };
    try {
      const before = new ScriptedRuntime();
      const first = await startTestPlatform({ target: shared, runtime: before });
      const [teacher, student] = [await first.user('tina', ['teacher']), await first.user('jimmy', ['student'])];
      const courseId = (await first.call('POST', '/v1/course/create', { token: teacher.token, body: course('deep learning', 1) })).body.id;
      const jobId = await runJob(first, before, student, courseId);
      // kill -9: the server goes without stopping its jobs; it last saw the job ten minutes ago.
      await first.close();
      const lastSeen = new Date(Date.now() - 10 * MINUTE);
      await store.db.update(usageRecords).set({ startedAt: new Date(Date.now() - 70 * MINUTE), lastSeenAt: lastSeen }).where(eq(usageRecords.jobId, jobId));

      // The restarted server's runtime no longer holds the job.
      const second = await startTestPlatform({ target: shared, runtime: new ScriptedRuntime() });
      try {
        await vi.waitFor(async () => expect((await store.db.select().from(usageRecords).where(eq(usageRecords.jobId, jobId)))[0]?.endReason).toBe('lost'), { timeout: 5000 });
        const [record] = await store.db.select().from(usageRecords).where(eq(usageRecords.jobId, jobId));
        expect(record?.endedAt).toEqual(lastSeen);
        const report = await second.call('GET', `/v1/usage?from=${recent()}`, { token: student.token });
        expect(report.body.total).toEqual({ jobs: 1, gpuHours: 1, wallHours: 1 });
      } finally {
        await second.close();
      }
    } finally {
      await store.close();
    }
  });
});
