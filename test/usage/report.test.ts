import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/identity/service.js';
import { usageRecords } from '../../src/store/schema.js';
import type { Store } from '../../src/store/store.js';
import { UsageRepository } from '../../src/usage/repository.js';
import { usageCsv, UsageService } from '../../src/usage/service.js';
import { storeTargets } from '../support/stores.js';

const at = (time: string) => new Date(`2026-11-${time}Z`);
const NOW = at('20T12:00:00');

const admin: Principal = { userId: randomUUID(), name: 'admin', roles: ['admin'] };
const tina: Principal = { userId: randomUUID(), name: 'tina', roles: ['teacher'] };
const tom: Principal = { userId: randomUUID(), name: 'tom', roles: ['teacher'] };
const jimmy: Principal = { userId: randomUUID(), name: 'jimmy', roles: ['student'] };
const sam: Principal = { userId: randomUUID(), name: 'sam', roles: ['student'] };
const tinasCourse = { courseId: randomUUID(), courseName: 'deep learning', courseOwnerId: tina.userId };
const tomsCourse = { courseId: randomUUID(), courseName: 'vision', courseOwnerId: tom.userId };

describe.each(storeTargets)('usage reports on $name', (target) => {
  let store: Store;
  let usage: UsageService;

  /** A record with chosen times, as the jobs would have written it. */
  async function ran(user: Principal, course: typeof tinasCourse, gpu: number, startedAt: Date | null, endedAt: Date | null): Promise<string> {
    const jobId = randomUUID();
    await store.db.insert(usageRecords).values({
      jobId,
      userId: user.userId,
      userName: user.name,
      ...course,
      gpu,
      gpuResource: 'nvidia.com/gpu',
      createdAt: new Date((startedAt ?? endedAt ?? NOW).getTime() - 60_000),
      startedAt,
      endedAt,
      endReason: endedAt ? 'deleted' : null,
    });
    return jobId;
  }

  beforeAll(async () => {
    store = await target.open();
    usage = new UsageService(new UsageRepository(store.db), () => NOW);
  });
  afterAll(() => store?.close());
  beforeEach(async () => {
    await store.db.delete(usageRecords);
  });

  it('gives 3.00 GPU-hours for 2 GPUs over 90 minutes, and 1.5 wall hours', async () => {
    await ran(jimmy, tinasCourse, 2, at('10T08:00:00'), at('10T09:30:00'));
    const report = await usage.report(admin, { from: '2026-11-01', to: '2026-12-01' });
    expect(report).toEqual({
      from: '2026-11-01T00:00:00Z',
      to: '2026-12-01T00:00:00Z',
      groupBy: 'user',
      rows: [{ key: jimmy.userId, name: 'jimmy', jobs: 1, gpuHours: 3, wallHours: 1.5 }],
      total: { jobs: 1, gpuHours: 3, wallHours: 1.5 },
    });
  });

  it('counts only the part of a job inside the range, and a running job up to now', async () => {
    await ran(jimmy, tinasCourse, 2, at('10T08:00:00'), at('10T10:00:00'));
    const half = await usage.report(admin, { from: '2026-11-10T09:00:00Z', to: '2026-11-11' });
    expect(half.total).toEqual({ jobs: 1, gpuHours: 2, wallHours: 1 });
    const before = await usage.report(admin, { from: '2026-11-01', to: '2026-11-10T08:00:00Z' });
    expect(before.total).toEqual({ jobs: 0, gpuHours: 0, wallHours: 0 });

    await ran(sam, tinasCourse, 1, at('20T11:00:00'), null);
    const thisMonth = await usage.report(admin, {}, 'course');
    expect(thisMonth.from).toBe('2026-11-01T00:00:00Z');
    expect(thisMonth.to).toBe('2026-11-20T12:00:00Z');
    expect(thisMonth.rows).toEqual([{ key: tinasCourse.courseId, name: 'deep learning', jobs: 2, gpuHours: 5, wallHours: 3 }]);
  });

  it('charges nothing for a job that never ran, and lists it at zero hours', async () => {
    const waited = await ran(jimmy, tinasCourse, 4, null, at('10T09:00:00'));
    expect((await usage.report(admin, { from: '2026-11-01' })).total).toEqual({ jobs: 0, gpuHours: 0, wallHours: 0 });
    const listed = await usage.jobs(admin, { from: '2026-11-01' }, { limit: 50, offset: 0 });
    expect(listed).toEqual({ total: 1, jobs: [expect.objectContaining({ job_id: waited, startedAt: null, gpu: 4, gpuHours: 0, wallHours: 0 })] });
  });

  it('groups by user or by course, most GPU-hours first', async () => {
    await ran(jimmy, tinasCourse, 1, at('10T08:00:00'), at('10T09:00:00'));
    await ran(jimmy, tomsCourse, 1, at('11T08:00:00'), at('11T10:00:00'));
    await ran(sam, tomsCourse, 2, at('12T08:00:00'), at('12T10:00:00'));
    const byUser = await usage.report(admin, { from: '2026-11-01' }, 'user');
    expect(byUser.rows.map((row) => [row.name, row.jobs, row.gpuHours])).toEqual([['sam', 1, 4], ['jimmy', 2, 3]]);
    const byCourse = await usage.report(admin, { from: '2026-11-01' }, 'course');
    expect(byCourse.rows.map((row) => [row.name, row.jobs, row.gpuHours])).toEqual([['vision', 2, 6], ['deep learning', 1, 1]]);
    expect(byCourse.total).toEqual({ jobs: 3, gpuHours: 7, wallHours: 5 });
  });

  it("shows a teacher their own courses' jobs, and refuses another teacher's course", async () => {
    await ran(jimmy, tinasCourse, 1, at('10T08:00:00'), at('10T09:00:00'));
    await ran(sam, tomsCourse, 1, at('11T08:00:00'), at('11T09:00:00'));
    const tinas = await usage.report(tina, { from: '2026-11-01' }, 'course');
    expect(tinas.rows.map((row) => row.key)).toEqual([tinasCourse.courseId]);
    expect((await usage.report(tina, { from: '2026-11-01', course: tinasCourse.courseId })).total.jobs).toBe(1);
    await expect(usage.report(tina, { from: '2026-11-01', course: tomsCourse.courseId })).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(usage.jobs(tina, { course: tomsCourse.courseId }, { limit: 50, offset: 0 })).rejects.toMatchObject({ kind: 'forbidden' });
  });

  it('shows a student only themself, and refuses another user', async () => {
    await ran(jimmy, tinasCourse, 1, at('10T08:00:00'), at('10T09:00:00'));
    await ran(sam, tinasCourse, 1, at('11T08:00:00'), at('11T09:00:00'));
    const own = await usage.report(jimmy, { from: '2026-11-01' });
    expect(own.rows.map((row) => row.name)).toEqual(['jimmy']);
    expect((await usage.report(jimmy, { from: '2026-11-01', user: 'JIMMY' })).total.jobs).toBe(1);
    await expect(usage.report(jimmy, { user: 'sam' })).rejects.toMatchObject({ kind: 'forbidden' });
    const listed = await usage.jobs(jimmy, { from: '2026-11-01' }, { limit: 50, offset: 0 });
    expect(listed.jobs.map((job) => job.user)).toEqual(['jimmy']);
  });

  it('refuses a range that is empty or backwards, and dates that are not dates', async () => {
    await expect(usage.report(admin, { from: '2026-11-10', to: '2026-11-10' })).rejects.toMatchObject({ kind: 'invalid', message: 'from (2026-11-10T00:00:00Z) must be before to (2026-11-10T00:00:00Z)' });
    await expect(usage.report(admin, { from: '2026-11-11' , to: '2026-11-10' })).rejects.toMatchObject({ kind: 'invalid' });
    for (const bad of ['2026-02-30', 'yesterday', '2026-11-10 08:00', '1700000000']) {
      await expect(usage.report(admin, { from: bad })).rejects.toMatchObject({ kind: 'invalid', message: expect.stringContaining('from must be an RFC 3339 time') });
    }
  });

  it('pages jobs newest first, with the total', async () => {
    const first = await ran(jimmy, tinasCourse, 1, at('10T08:00:00'), at('10T09:00:00'));
    const second = await ran(jimmy, tinasCourse, 1, at('11T08:00:00'), at('11T09:00:00'));
    const third = await ran(jimmy, tinasCourse, 1, at('12T08:00:00'), null);
    const page = await usage.jobs(admin, { from: '2026-11-01' }, { limit: 2, offset: 0 });
    expect(page.total).toBe(3);
    expect(page.jobs.map((job) => job.job_id)).toEqual([third, second]);
    expect((await usage.jobs(admin, { from: '2026-11-01' }, { limit: 2, offset: 2 })).jobs.map((job) => job.job_id)).toEqual([first]);
  });

  it('writes CSV whose totals are the JSON totals, with hostile names quoted and defused', async () => {
    await ran({ ...jimmy, name: '=HYPERLINK("x"), a' }, tinasCourse, 2, at('10T08:00:00'), at('10T09:30:00'));
    await ran(sam, tinasCourse, 1, at('10T08:00:00'), at('10T08:20:00'));
    const report = await usage.report(admin, { from: '2026-11-01' });
    const lines = usageCsv(report).trimEnd().split('\r\n');
    expect(lines[0]).toBe('key,name,jobs,gpuHours,wallHours');
    expect(lines[1]).toBe(`${jimmy.userId},"'=HYPERLINK(""x""), a",1,3.00,1.50`);
    expect(lines[2]).toBe(`${sam.userId},sam,1,0.33,0.33`);
    const total = lines.at(-1)!.split(',');
    expect(total.slice(0, 2)).toEqual(['total', '']);
    expect(total.slice(2).map(Number)).toEqual([report.total.jobs, report.total.gpuHours, report.total.wallHours]);
  });
});
