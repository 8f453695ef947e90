// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { json, mockFetch, signedIn } from './fetch-mock';
import { show } from './show-app';

const ID = '00000000-0000-4000-8000-0000000000c1';
const COURSE = { id: '00000000-0000-4000-8000-000000000001', name: 'Deep learning lab', gpu: 1, level: 'basic' };

const classroom = (extra: object = {}) => ({
  id: ID,
  name: 'ML 101',
  description: '',
  public: false,
  timeZone: 'Europe/Berlin',
  reservedGpu: 0,
  leadMinutes: 10,
  windowEnd: { action: 'keep', graceMinutes: 0 },
  courses: [COURSE],
  windows: [],
  openWindow: null,
  nextWindow: null,
  role: 'teacher',
  memberCount: 1,
  members: [{ user: 'sam', role: 'teacher' }],
  createAt: '2027-01-01T00:00:00Z',
  ...extra,
});

/** What a teacher's classroom page asks for besides the classroom itself. */
const teacherRoutes = {
  'POST /oauth/session/refresh': () => signedIn(['teacher']),
  [`GET /v1/classroom/${ID}/jobs`]: () => json(200, { error: false, jobs: [] }),
  'POST /v1/course/list': () => json(200, { error: false, courses: [] }),
  'GET /v1/course/level/basic': () => json(200, { error: false, courses: [] }),
  'GET /v1/course/level/advance': () => json(200, { error: false, courses: [] }),
};

const MONDAY = { starts_at: '2027-02-15T09:00:00+01:00', ends_at: '2027-02-15T12:00:00+01:00' };
const bodyOf = (init: RequestInit) => JSON.parse(String(init.body)) as unknown;

describe('classroom pages', () => {
  beforeEach(() => {
    // Wednesday 10 Feb 2027, 11:00 in Berlin: the week view opens on Monday 8 Feb. Only Date is faked.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2027-02-10T10:00:00Z'));
  });
  afterEach(() => vi.useRealTimers());

  it('a drag on Monday and two clicks on Wednesday become one weekly rule over the term', async () => {
    const stored = [{ starts_at: '2027-02-08T09:00:00+01:00', ends_at: '2027-02-08T12:00:00+01:00' }];
    const calls = mockFetch({
      ...teacherRoutes,
      [`GET /v1/classroom/get/${ID}`]: () => json(200, { error: false, classroom: classroom() }),
      [`PUT /v1/classroom/update/${ID}`]: () => json(200, { error: false, classroom: classroom({ windows: stored }) }),
    });
    show(`/classrooms/${ID}`);
    await screen.findByText('Week of 8 February 2027 (Europe/Berlin)');
    expect(screen.getByText('No launch window this week.')).toBeTruthy();

    fireEvent.pointerDown(screen.getByRole('button', { name: 'Mon 8 Feb, 09:00' }), { button: 0 });
    fireEvent.pointerMove(screen.getByRole('button', { name: 'Mon 8 Feb, 10:00' }));
    fireEvent.pointerUp(screen.getByRole('button', { name: 'Mon 8 Feb, 11:00' }));
    fireEvent.click(screen.getByRole('button', { name: 'Wed 10 Feb, 09:00' }));
    expect(screen.getByText(/^From Wed 10 Feb, 09:00: now click the last hour/).getAttribute('role')).toBe('status');
    fireEvent.click(screen.getByRole('button', { name: 'Wed 10 Feb, 11:00' }));
    const added = screen.getByRole('region', { name: 'New weekly times' });
    expect(within(added).getAllByRole('listitem').map((item) => item.querySelector('span')?.textContent)).toEqual(['Every Monday, 09:00–12:00', 'Every Wednesday, 09:00–12:00']);

    fireEvent.change(screen.getByLabelText('Term starts'), { target: { value: '2027-02-15' } });
    fireEvent.change(screen.getByLabelText('Term ends (included)'), { target: { value: '2027-06-15' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add to the schedule' }));
    await screen.findByText('Mon 8 Feb, 09:00–12:00');
    const put = calls.find((each) => each.key.startsWith('PUT'));
    expect(bodyOf(put?.init ?? {})).toEqual({ windows: [{ weekly: { days: ['mon', 'wed'], start: '09:00', end: '12:00', from: '2027-02-15', until: '2027-06-15' } }] });
    expect(screen.queryByRole('region', { name: 'New weekly times' })).toBeNull();

    // Removing a window sends the others (update replaces the whole set): here, none.
    fireEvent.click(screen.getByRole('button', { name: 'Remove the window Mon 8 Feb, 09:00–12:00' }));
    fireEvent.click(screen.getByRole('button', { name: 'Yes' }));
    await waitFor(() => expect(calls.filter((each) => each.key.startsWith('PUT'))).toHaveLength(2));
    expect(bodyOf(calls.filter((each) => each.key.startsWith('PUT'))[1]?.init ?? {})).toEqual({ windows: [] });
  });

  it('a roster with an unknown name shows the names, and the table stays as it was', async () => {
    const calls = mockFetch({
      ...teacherRoutes,
      [`GET /v1/classroom/get/${ID}`]: () => json(200, { error: false, classroom: classroom() }),
      [`POST /v1/classroom/${ID}/members/csv`]: () => json(400, { error: true, message: 'unknown users: zed, ygg', unknown: ['zed', 'ygg'] }),
    });
    show(`/classrooms/${ID}`);
    fireEvent.change(await screen.findByLabelText('Or paste the lines'), { target: { value: 'name,role\nann\nzed,ta\nygg' } });
    fireEvent.click(screen.getByRole('button', { name: 'Import' }));
    const alert = await screen.findByText('unknown users: zed, ygg');
    const box = alert.closest('[role=alert]') as HTMLElement;
    expect(within(box).getAllByRole('listitem').map((item) => item.textContent)).toEqual(['zed', 'ygg']);
    expect(box.textContent).toContain('Nobody was added');
    const sent = calls.find((each) => each.key.endsWith('/members/csv'))?.init;
    expect(sent?.body).toBe('name,role\nann\nzed,ta\nygg');
    expect((sent?.headers as Record<string, string>)['Content-Type']).toBe('text/csv');
    expect(screen.getByRole('table').querySelectorAll('tbody tr')).toHaveLength(1);
    expect((screen.getByLabelText('Or paste the lines') as HTMLTextAreaElement).value).toContain('zed');
  });

  it("a member's role changes in place, and adding by name sends the role chosen", async () => {
    const members = [{ user: 'sam', role: 'teacher' }, { user: 'ann', role: 'student' }];
    const calls = mockFetch({
      ...teacherRoutes,
      [`GET /v1/classroom/get/${ID}`]: () => json(200, { error: false, classroom: classroom({ members, memberCount: 2 }) }),
      [`POST /v1/classroom/${ID}/members`]: () => json(200, { error: false, classroom: classroom({ members: [members[0], { user: 'ann', role: 'ta' }, { user: 'bob', role: 'ta' }], memberCount: 3 }) }),
    });
    show(`/classrooms/${ID}`);
    fireEvent.change(await screen.findByLabelText('Role of ann'), { target: { value: 'ta' } });
    await screen.findByRole('rowheader', { name: 'bob' });
    fireEvent.change(screen.getByLabelText('User name'), { target: { value: ' bob ' } });
    fireEvent.change(screen.getByLabelText('Role'), { target: { value: 'ta' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    await waitFor(() => expect(calls.filter((each) => each.key.endsWith('/members'))).toHaveLength(2));
    expect(calls.filter((each) => each.key.endsWith('/members')).map((each) => bodyOf(each.init))).toEqual([{ add: [{ user: 'ann', role: 'ta' }] }, { add: [{ user: 'bob', role: 'ta' }] }]);
  });

  const studentView = (extra: object = {}) =>
    mockFetch({
      'POST /oauth/session/refresh': () => signedIn(['student']),
      [`GET /v1/classroom/get/${ID}`]: () => json(200, { error: false, classroom: classroom({ role: 'student', members: undefined, windows: [MONDAY], nextWindow: MONDAY }) }),
      'POST /v1/course/launch': () => json(403, { error: true, message: 'classroom ML 101 allows launches only between 2027-02-15T09:00:00+01:00 and 2027-02-15T12:00:00+01:00' }),
      ...extra,
    });

  it("outside a window a student's Launch is disabled and says when it opens, on the classroom's clock", async () => {
    studentView();
    show(`/classrooms/${ID}`);
    const closed = await screen.findByRole('button', { name: 'Opens Mon 15 Feb, 09:00 (Deep learning lab)' });
    expect(closed.textContent).toBe('Opens Mon 15 Feb, 09:00');
    expect((closed as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByText('Next: Mon 15 Feb, 09:00')).toBeTruthy();
    // A student sees neither the roster nor the class's jobs, and cannot draw windows.
    expect(screen.queryByRole('heading', { name: 'Members' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Mon 15 Feb, 09:00' })).toBeNull();
  });

  it('inside a window Launch sends the classroom, and a 403 shows its message', async () => {
    // Monday 15 Feb, 09:30 in Berlin.
    vi.setSystemTime(new Date('2027-02-15T08:30:00Z'));
    const calls = studentView();
    show(`/classrooms/${ID}`);
    fireEvent.click(await screen.findByRole('button', { name: 'Launch (Deep learning lab)' }));
    await screen.findByText(/allows launches only between/);
    expect(bodyOf(calls.find((each) => each.key === 'POST /v1/course/launch')?.init ?? {})).toEqual({ course_id: COURSE.id, user: 'sam', classroom_id: ID });
  });

  it('says the same in zh-TW', async () => {
    studentView();
    show(`/classrooms/${ID}`, 'zh-TW');
    const closed = await screen.findByRole('button', { name: /開放 \(Deep learning lab\)$/ });
    expect(closed.textContent).toMatch(/2月15日.*09:00 開放/);
  });
});
