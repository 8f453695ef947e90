import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WindowInput } from '../../src/classrooms/calendar.js';
import { WindowEnds } from '../../src/classrooms/window-ends.js';
import { EVERY_JOB } from '../../src/jobs/job-view.js';
import { jobs, usageRecords, type WindowEndAction } from '../../src/store/schema.js';
import { seedClassroom } from '../support/classroom-seed.js';
import { ScriptedRuntime } from '../support/fake-runtime.js';
import { capturingLogger } from '../support/logs.js';
import { startTestPlatform, type TestPlatform, type TestUser } from '../support/platform.js';
import { storeTargets } from '../support/stores.js';

/** Berlin is UTC+1 in February: 09:00–12:00 there is 08:00–11:00 UTC. */
const LECTURE: WindowInput = { starts_at: '2027-02-15T09:00', ends_at: '2027-02-15T12:00' };
const at = (utc: string) => new Date(`2027-02-15T${utc}Z`);

describe.each(storeTargets)('jobs stopped when a classroom window ends, on $name', (target) => {
  let clock = at('08:30:00');
  const runtime = new ScriptedRuntime();
  let platform: TestPlatform;
  let teacher: TestUser;
  let student: TestUser;
  let courseId: string;
  let sweeper: WindowEnds;

  beforeAll(async () => {
    runtime.homes.singleAttach = false;
    // The platform's own reconcile ticks, which run this sweep too, kept out of the way: each test sweeps by hand.
    const settings = { jobMaxAge: {}, jobIdleTimeout: {}, jobLimits: {}, reconcileIntervalSeconds: 3600 };
    platform = await startTestPlatform({ target, runtime, now: () => clock, settings });
    [teacher, student] = await Promise.all([platform.user('tina', ['teacher']), platform.user('jimmy')]);
    courseId = (await platform.call('POST', '/v1/course/create', { token: teacher.token, body: { name: 'lab', image: 'nvidia/digits:6.0', level: 'basic', GPU: 0 } })).body.id;
    sweeper = new WindowEnds(platform.store.db, platform.services.jobs, capturingLogger().logger);
  });
  afterAll(() => platform?.close());

  beforeEach(async () => {
    clock = at('08:30:00');
    await platform.store.db.delete(jobs);
    await platform.store.changes.publish('jobs', EVERY_JOB);
  });

  async function classroom(action: WindowEndAction, graceMinutes: number, windows: WindowInput[] = [LECTURE]): Promise<string> {
    return seedClassroom(platform.store.db, {
      name: `class ${action} ${graceMinutes} ${windows.length}`,
      windowEnd: { action, graceMinutes },
      members: [
        { userId: teacher.id, role: 'teacher' },
        { userId: student.id, role: 'student' },
      ],
      courses: [courseId],
      windows,
    });
  }

  /** A job launched through the classroom; `createdAt` as the clock says, since the store stamps its own time. */
  async function launchThrough(classroomId: string, user = student): Promise<string> {
    const answer = await platform.call('POST', '/v1/course/launch', { token: user.token, body: { course_id: courseId, user: user.name, classroom_id: classroomId } });
    expect(answer.status, answer.text).toBe(200);
    const jobId: string = answer.body.job.job_id;
    await platform.store.db.update(jobs).set({ createdAt: clock }).where(eq(jobs.id, jobId));
    await platform.store.changes.publish('jobs', EVERY_JOB);
    return jobId;
  }
  const rowOf = async (jobId: string) => (await platform.store.db.select({ status: jobs.status, reason: jobs.reason }).from(jobs).where(eq(jobs.id, jobId)))[0];

  it('stops a job still running at 12:00 plus the grace, with its reason, and closes its usage as culled', async () => {
    const jobId = await launchThrough(await classroom('stop', 15));
    clock = at('11:14:59');
    await sweeper.sweep(clock);
    expect((await rowOf(jobId))?.status).toBe('Created');

    clock = at('11:15:00');
    expect(await sweeper.sweep(clock)).toEqual([jobId]);
    expect(await rowOf(jobId)).toEqual({ status: 'Deleted', reason: 'classroom window ended' });
    expect(runtime.stopped).toContain(jobId);
    const [record] = await platform.store.db.select({ endReason: usageRecords.endReason }).from(usageRecords).where(eq(usageRecords.jobId, jobId));
    expect(record?.endReason).toBe('culled');
  });

  it('keeps the jobs of a classroom whose windows end with keep', async () => {
    const jobId = await launchThrough(await classroom('keep', 0));
    clock = at('13:00:00');
    expect(await sweeper.sweep(clock)).toEqual([]);
    expect((await rowOf(jobId))?.status).toBe('Created');
  });

  it('keeps a job while another window of its classroom is open, and stops it after that one', async () => {
    const following: WindowInput = { starts_at: '2027-02-15T12:10', ends_at: '2027-02-15T13:00' };
    const jobId = await launchThrough(await classroom('stop', 15, [LECTURE, following]));
    clock = at('11:15:00');
    expect(await sweeper.sweep(clock)).toEqual([]);
    clock = at('12:15:00');
    expect(await sweeper.sweep(clock)).toEqual([jobId]);
  });

  it("leaves a teacher's job launched after the window ended until the next window ends", async () => {
    const classroomId = await classroom('stop', 0, [LECTURE, { starts_at: '2027-02-15T15:00', ends_at: '2027-02-15T16:00' }]);
    clock = at('12:00:00');
    const jobId = await launchThrough(classroomId, teacher);
    clock = at('13:30:00');
    expect(await sweeper.sweep(clock)).toEqual([]);
    clock = at('15:00:00');
    expect(await sweeper.sweep(clock)).toEqual([jobId]);
  });

  it('leaves jobs launched outside any classroom alone', async () => {
    await classroom('stop', 0);
    const answer = await platform.call('POST', '/v1/course/launch', { token: student.token, body: { course_id: courseId, user: student.name } });
    clock = at('12:00:00');
    expect(await sweeper.sweep(clock)).toEqual([]);
    expect((await rowOf(answer.body.job.job_id))?.status).toBe('Created');
  });
});
