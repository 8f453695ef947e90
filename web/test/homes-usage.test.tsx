// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { monthRange, recentMonths } from '../src/format';
import { json, mockFetch, signedIn } from './fetch-mock';
import { show } from './show-app';

const home = (extra: object = {}) => ({
  name: 'home-0a1b2c',
  user: 'sam',
  capacity: '10Gi',
  mountPath: '/home/classlab',
  state: 'Bound',
  reason: null,
  usedBytes: 1536 * 1024 * 1024,
  createAt: '2026-11-02T08:00:00Z',
  orphaned: false,
  ...extra,
});
const report = (groupBy: string, rows: object[], total: object) => ({ error: false, from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z', groupBy, rows, total });
const noJobs = () => json(200, { error: false, jobs: [], total: 0 });

describe('home and usage pages', () => {
  it('before the first launch, My home says the home is made then, and offers no delete', async () => {
    mockFetch({
      'POST /oauth/session/refresh': () => signedIn(),
      'GET /v1/volume/home': () => json(200, { error: false, home: home({ name: null, state: 'Absent', usedBytes: null, createAt: null }) }),
      'GET /v1/usage': () => json(200, report('user', [], { jobs: 0, gpuHours: 0, wallHours: 0 })),
      'GET /v1/usage/jobs': noJobs,
    });
    show('/home');
    await screen.findByText(/made at your first launch/);
    expect(screen.getByText('Not made yet')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Delete my home' })).toBeNull();
    await screen.findByText('0.00 GPU-hours since 11/1/2026 (jobs: 0).');
    expect(screen.getByText('No job has run this month.')).toBeTruthy();
  });

  it("My home shows size, use and this month's GPU-hours; its delete asks, and a 409 says why", async () => {
    const calls = mockFetch({
      'POST /oauth/session/refresh': () => signedIn(),
      'GET /v1/volume/home': () => json(200, { error: false, home: home() }),
      'GET /v1/usage': () => json(200, report('user', [{ key: 'u1', name: 'sam', jobs: 2, gpuHours: 3, wallHours: 1.5 }], { jobs: 2, gpuHours: 3, wallHours: 1.5 })),
      'GET /v1/usage/jobs': () =>
        json(200, {
          error: false,
          total: 1,
          jobs: [{ job_id: 'j1', user: 'sam', course_id: 'c1', course: 'hello lab', gpu: 2, gpuResource: 'nvidia.com/gpu', createAt: '2026-11-03T09:00:00Z', startedAt: '2026-11-03T09:01:00Z', endedAt: '2026-11-03T10:31:00Z', endReason: 'culled', gpuHours: 3, wallHours: 1.5 }],
        }),
      'DELETE /v1/volume/home/sam': () => json(409, { error: true, message: 'home of sam is in use by job j2; delete the job first' }),
    });
    show('/home');
    await screen.findByText('1.5 GiB');
    expect(screen.getByText('10Gi')).toBeTruthy();
    expect(screen.getByText('/home/classlab')).toBeTruthy();
    await screen.findByText('3.00 GPU-hours since 11/1/2026 (jobs: 2).');
    const jobs = screen.getByRole('table', { name: 'My jobs this month' });
    expect(within(jobs).getByRole('rowheader').textContent).toBe('hello lab');
    expect(jobs.textContent).toContain('(stopped by the culler)');

    fireEvent.click(screen.getByRole('button', { name: 'Delete my home' }));
    expect(calls.some((call) => call.key.startsWith('DELETE'))).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Yes' }));
    const alert = (await screen.findByText(/in use by job j2/)).closest('[role=alert]');
    expect(alert?.textContent).toContain('Delete your running jobs first.');
  });

  it("the student's usage asks for their own name in this month", async () => {
    const urls: string[] = [];
    mockFetch({
      'POST /oauth/session/refresh': () => signedIn(),
      'GET /v1/volume/home': () => json(200, { error: false, home: home() }),
      'GET /v1/usage': (url) => (urls.push(url), json(200, report('user', [], { jobs: 0, gpuHours: 0, wallHours: 0 }))),
      'GET /v1/usage/jobs': (url) => (urls.push(url), noJobs()),
    });
    show('/home');
    await screen.findByText('No job has run this month.');
    const month = new Date().toISOString().slice(0, 7);
    for (const url of urls) {
      const query = new URL(url, 'http://app').searchParams;
      expect(query.get('user')).toBe('sam');
      expect(query.get('from')).toBe(`${month}-01`);
    }
    expect(urls).toHaveLength(2);
  });

  it("a teacher's usage page: per person and per course, a month picker, and the CSV saved under the server's name", async () => {
    const asked: string[] = [];
    const csv = 'key,name,jobs,gpuHours,wallHours\nu1,sam,2,3.00,1.50\ntotal,,2,3.00,1.50\n';
    mockFetch({
      'POST /oauth/session/refresh': () => signedIn(['teacher']),
      'GET /v1/usage': (url) => {
        asked.push(url);
        const query = new URL(url, 'http://app').searchParams;
        if (query.get('format') === 'csv') {
          return new Response(csv, { status: 200, headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="usage-${query.get('from')}-${query.get('to')}.csv"` } });
        }
        return query.get('groupBy') === 'course'
          ? json(200, report('course', [{ key: 'c1', name: 'hello lab', jobs: 2, gpuHours: 3, wallHours: 1.5 }], { jobs: 2, gpuHours: 3, wallHours: 1.5 }))
          : json(200, report('user', [{ key: 'u1', name: 'sam', jobs: 2, gpuHours: 3, wallHours: 1.5 }], { jobs: 2, gpuHours: 3, wallHours: 1.5 }));
      },
    });
    const saved: { name: string; text: Promise<string> }[] = [];
    // jsdom has no object URLs: record the Blob, and the name the link saves it under.
    URL.createObjectURL = (blob: Blob) => (saved.push({ name: '', text: blob.text() }), 'blob:usage');
    URL.revokeObjectURL = () => undefined;
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      const last = saved.at(-1);
      if (last) last.name = this.download;
    });
    show('/usage');
    const byPerson = await screen.findByRole('table', { name: 'By person' });
    expect(within(byPerson).getByRole('rowheader', { name: 'sam' })).toBeTruthy();
    expect(byPerson.querySelector('tfoot')?.textContent).toBe('Total23.001.50');
    await screen.findByRole('table', { name: 'By course' });

    const lastMonth = recentMonths(Date.now(), 2)[1] as string;
    fireEvent.change(screen.getByLabelText('Month'), { target: { value: lastMonth } });
    const { from, to } = monthRange(lastMonth) as { from: string; to: string };
    await waitFor(() => expect(asked.some((url) => url.includes(`from=${from}&to=${to}&groupBy=course`))).toBe(true));
    expect((screen.getByLabelText('From') as HTMLInputElement).value).toBe(from);
    fireEvent.change(screen.getByLabelText('Until (not included)'), { target: { value: `${lastMonth}-15` } });
    await waitFor(() => expect(asked.some((url) => url.includes(`to=${lastMonth}-15&groupBy=user`))).toBe(true));
    expect((screen.getByLabelText('Month') as HTMLSelectElement).value).toBe('');

    fireEvent.click(screen.getByRole('button', { name: 'Download CSV (By person)' }));
    await waitFor(() => expect(saved[0]?.name).toBe(`usage-${from}-${lastMonth}-15.csv`));
    expect(await saved[0]?.text).toBe(csv);
    expect(asked.at(-1)).toContain('groupBy=user&format=csv');
    click.mockRestore();
    delete (URL as { createObjectURL?: unknown }).createObjectURL;
    delete (URL as { revokeObjectURL?: unknown }).revokeObjectURL;
  });

  it("the admin's homes: orphaned marked and filtered, an expand's 400 under its field, an orphan deleted after asking", async () => {
    let homes = [home(), home({ name: 'home-9f', user: 'gone', orphaned: true, usedBytes: null, state: 'Lost', reason: 'claim deleted by hand' })];
    const puts: unknown[] = [];
    mockFetch({
      'POST /oauth/session/refresh': () => signedIn(['admin']),
      'GET /v1/volume/list': () => json(200, { error: false, homes }),
      'PUT /v1/volume/home/sam': (_url, init) => {
        puts.push(JSON.parse(String(init.body)));
        return json(400, { error: true, message: 'home of sam is 10Gi; a home can only grow, not shrink to 5Gi' });
      },
      // An orphan goes by its home's name: a new user may have the old name.
      'DELETE /v1/volume/home/home-9f': () => {
        homes = homes.filter((each) => each.user !== 'gone');
        return json(200, { error: false, message: 'deleted' });
      },
    });
    show('/homes');
    const table = await screen.findByRole('table', { name: 'Every home folder' });
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    expect(screen.getByText('orphaned')).toBeTruthy();
    expect(screen.getByText('unknown')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Delete the home of sam' })).toBeNull();

    fireEvent.click(screen.getByLabelText('Only homes whose user is gone'));
    expect(within(table).getAllByRole('row')).toHaveLength(2);
    expect(screen.getByText('1 of 2 homes')).toBeTruthy();
    fireEvent.click(screen.getByLabelText('Only homes whose user is gone'));

    const field = screen.getByLabelText('New size for the home of sam');
    fireEvent.change(field, { target: { value: ' 5Gi ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Expand the home of sam' }));
    await waitFor(() => expect(field.getAttribute('aria-describedby')).toBe('expand-home-0a1b2c-error'));
    expect(document.getElementById('expand-home-0a1b2c-error')?.textContent).toBe('home of sam is 10Gi; a home can only grow, not shrink to 5Gi');
    expect(puts).toEqual([{ capacity: '5Gi' }]);

    fireEvent.click(screen.getByRole('button', { name: 'Delete the home of gone' }));
    fireEvent.click(screen.getByRole('button', { name: 'Yes' }));
    await waitFor(() => expect(screen.queryByText('orphaned')).toBeNull());
  });

  it("a launch refused because the home is mounted (409) links to the running job, and the course says where the home goes", async () => {
    const id = '00000000-0000-4000-8000-000000000001';
    const course = { id, createAt: '2026-11-01T00:00:00Z', name: 'lab', introduction: '', image: 'classlab/jupyter', gpu: 1, level: 'basic', datasets: [], user: 'tina', homePath: '/home/jovyan' };
    const message = 'home of sam is already mounted by job j-1; with ReadWriteOnce homes a user runs one job at a time; delete it first';
    mockFetch({
      'POST /oauth/session/refresh': () => signedIn(),
      [`GET /v1/course/get/${id}`]: () => json(200, { error: false, course }),
      'POST /v1/course/launch': () => json(409, { error: true, message, job_id: 'j-1' }),
    });
    show(`/course/${id}`);
    expect((await screen.findByText('/home/jovyan')).closest('dd')?.previousElementSibling?.textContent).toBe('Your home folder at');
    fireEvent.click(screen.getByRole('button', { name: 'Launch' }));
    const alert = (await screen.findByText(/already mounted by job j-1/)).closest('[role=alert]') as HTMLElement;
    expect(within(alert).getByRole('link', { name: 'Open the job that is running' }).getAttribute('href')).toBe('/jobs/j-1');
  });

  it('students get neither the usage report nor the homes list', async () => {
    mockFetch({ 'POST /oauth/session/refresh': () => signedIn() });
    show('/usage');
    await screen.findByText(/This page is for teachers or admins/);
    expect(screen.queryByRole('link', { name: 'Usage' })).toBeNull();
    expect(screen.getByRole('link', { name: 'My home' })).toBeTruthy();
  });
});
