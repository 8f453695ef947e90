// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from '../src/App';
import { I18nProvider } from '../src/i18n/i18n';
import { navigate } from '../src/router';
import { json, mockFetch, signedIn } from './fetch-mock';
import { show } from './show-app';

const course = (index: number, extra: object = {}) => ({
  id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
  createAt: '2026-11-01T00:00:00Z',
  name: `course ${index}`,
  introduction: '',
  image: 'classlab/hello',
  gpu: 0,
  level: 'basic',
  datasets: [],
  user: 'tina',
  ...extra,
});

describe('pages', () => {
  it('a catalog of 1,000 courses shows a slice, and search filters as you type', async () => {
    const courses = Array.from({ length: 1000 }, (_, index) => course(index));
    mockFetch({ 'POST /oauth/session/refresh': () => signedIn(), 'GET /v1/course/level/basic': () => json(200, { error: false, courses }) });
    show('/');
    await screen.findByText('Showing 50 of 1000 courses');
    expect(screen.getAllByRole('listitem')).toHaveLength(50);
    fireEvent.change(screen.getByLabelText('Search by name'), { target: { value: 'course 99' } });
    await screen.findByText('Showing 11 of 11 courses');
    fireEvent.change(screen.getByLabelText('Search by name'), { target: { value: 'nothing like it' } });
    await screen.findByText(/No course name matches/);
  });

  it('says what to do when a level has no course, in zh-TW too', async () => {
    mockFetch({ 'POST /oauth/session/refresh': () => signedIn(), 'GET /v1/course/level/basic': () => json(200, { error: false, courses: [] }) });
    show('/', 'zh-TW');
    await screen.findByText(/這個程度還沒有課程/);
  });

  it('a course page renders the introduction without running it, and a 429 says the limit and when to retry', async () => {
    const intro = '# Lab\n<img src=x onerror="window.hacked=1"><script>window.hacked=2</script>[x](javascript:window.hacked=3)';
    mockFetch({
      'POST /oauth/session/refresh': () => signedIn(),
      [`GET /v1/course/get/${course(1).id}`]: () => json(200, { error: false, course: course(1, { introduction: intro }) }),
      'POST /v1/course/launch': () =>
        json(429, { error: true, message: 'Job limit reached: sam may run 1 job(s) at a time and already runs 1; delete one to launch another' }, { 'retry-after': '60' }),
    });
    const { container } = show(`/course/${course(1).id}`);
    await screen.findByRole('heading', { name: 'Lab' });
    expect(container.querySelector('.markdown')?.innerHTML).not.toMatch(/onerror|<script|javascript:/);
    expect((window as { hacked?: number }).hacked).toBeUndefined();
    fireEvent.click(screen.getByRole('button', { name: 'Launch' }));
    const alert = await screen.findByText(/Job limit reached/);
    expect(alert.closest('[role=alert]')?.textContent).toContain('Try again in 60 seconds.');
  });

  it('a token refused mid-session sends the person to sign in, with the message', async () => {
    let refreshes = 0;
    mockFetch({
      'POST /oauth/session/refresh': () => (++refreshes === 1 ? signedIn() : json(401, { error: true, message: 'Your session has ended; please sign in again' })),
      'GET /v1/course/level/basic': () => json(200, { error: false, courses: [] }),
      'POST /v1/job/list': () => json(403, { error: true, message: 'Invalid API token' }),
    });
    show('/');
    await screen.findByText(/No courses at this level yet/);
    navigate('/jobs');
    await screen.findByRole('alert');
    expect(screen.getByRole('alert').textContent).toBe('Your session has ended; please sign in again');
    expect(screen.getByRole('link', { name: 'Sign in' }).getAttribute('href')).toBe('/oauth/app/sign-in?return=%2Fjobs');
  });

  it('the sign-in page shows the ?error= the callback sent back', async () => {
    mockFetch({ 'POST /oauth/session/refresh': () => json(401, { error: true, message: 'no session' }) });
    show('/sign-in?error=access_denied');
    expect((await screen.findByRole('alert')).textContent).toBe('access_denied');
  });

  it('a student does not get the teacher pages', async () => {
    mockFetch({ 'POST /oauth/session/refresh': () => signedIn() });
    show('/teach');
    await screen.findByText(/This page is for teachers or admins/);
    expect(screen.queryByRole('link', { name: 'My courses' })).toBeNull();
  });

  it('My jobs: delete asks first, then deletes', async () => {
    const job = { id: '11111111-1111-4111-8111-111111111111', startAt: new Date(Date.now() - 90_000).toISOString(), status: 'Ready', reason: null, course_id: course(1).id, name: 'hello lab', image: 'classlab/hello', gpu: 0, service: [], cullAt: new Date(Date.now() + 3_600_000).toISOString(), idleCullAt: null };
    let deleted = false;
    mockFetch({
      'POST /oauth/session/refresh': () => signedIn(),
      'POST /v1/job/list': () => json(200, { error: false, jobs: deleted ? [] : [job] }),
      [`DELETE /v1/job/delete/${job.id}`]: () => {
        deleted = true;
        return json(200, { error: false, message: 'deleted' });
      },
    });
    show('/jobs');
    await screen.findByText('hello lab');
    expect(screen.getByText(/^1 min \d+ s$/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Delete hello lab' }));
    expect(deleted).toBe(false);
    expect(document.activeElement?.textContent).toBe('No');
    fireEvent.click(screen.getByRole('button', { name: 'Yes' }));
    await waitFor(() => expect(deleted).toBe(true));
    await screen.findByText(/You have no running jobs/);
  });

  it("the course form shows the API's validation error next to its field, and previews the markdown", async () => {
    mockFetch({
      'POST /oauth/session/refresh': () => signedIn(['teacher']),
      'GET /v1/images/': () => json(200, { error: false, images: [{ label: 'hello', value: 'classlab/hello' }] }),
      'GET /v1/datasets/': () => json(200, { error: false, datasets: [{ label: 'mnist', value: 'mnist' }] }),
      'POST /v1/course/create': () => json(400, { error: true, message: 'Failed to parse spec request request: body/name must be 1 to 128 characters, not all blank' }),
    });
    show('/teach/new');
    const introduction = await screen.findByLabelText('Introduction (markdown)');
    fireEvent.change(introduction, { target: { value: '**bold** <img src=x onerror="window.hacked=1">' } });
    expect(screen.getByLabelText('Preview').innerHTML).toBe('<p><strong>bold</strong> <img src="x" alt=""></p>\n');
    await screen.findByLabelText('mnist');
    fireEvent.click(screen.getByRole('button', { name: 'Create course' }));
    const name = screen.getByLabelText('Name');
    await waitFor(() => expect(name.getAttribute('aria-describedby')).toBe('name-error'));
    expect(document.getElementById('name-error')?.textContent).toBe('body/name must be 1 to 128 characters, not all blank');
  });

  it('says when the server cannot be reached at start-up, instead of an empty page', async () => {
    mockFetch({ 'POST /oauth/session/refresh': () => Promise.reject(new TypeError('Failed to fetch')) });
    show('/');
    await screen.findByText('The server cannot be reached; retrying…');
  });

  it('a course delete refused with 409 shows the server’s message and what to do', async () => {
    mockFetch({
      'POST /oauth/session/refresh': () => signedIn(['teacher']),
      'POST /v1/course/list': () => json(200, { error: false, courses: [course(1)] }),
      [`DELETE /v1/course/delete/${course(1).id}`]: () =>
        json(409, { error: true, message: 'course course 1 still has 1 running job(s); they must be deleted before the course', jobs: [{ user: 'sam', status: 'Ready', since: '2026-11-30T01:00:00.000Z' }] }),
    });
    show('/teach');
    await screen.findByText('course 1');
    fireEvent.click(screen.getByRole('button', { name: 'Delete course 1' }));
    fireEvent.click(screen.getByRole('button', { name: 'No' }));
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Delete course 1');
    fireEvent.click(screen.getByRole('button', { name: 'Delete course 1' }));
    fireEvent.click(screen.getByRole('button', { name: 'Yes' }));
    const alert = (await screen.findByText(/still has 1 running job/)).closest('[role=alert]');
    expect(alert?.textContent).toContain('sam');
    expect(alert?.textContent).toContain('Those jobs must be deleted first');
  });

  it('the language can be switched, and the choice is remembered', async () => {
    localStorage.clear();
    mockFetch({ 'POST /oauth/session/refresh': () => json(401, { error: true, message: 'no session' }) });
    history.replaceState(null, '', '/');
    render(
      <I18nProvider>
        <App />
      </I18nProvider>,
    );
    await screen.findByRole('heading', { name: 'Sign in to classlab' });
    fireEvent.change(screen.getByLabelText('Language'), { target: { value: 'zh-TW' } });
    await screen.findByRole('heading', { name: '登入 classlab' });
    expect(localStorage.getItem('classlab.language')).toBe('zh-TW');
    expect(document.documentElement.lang).toBe('zh-TW');
    localStorage.clear();
  });
});
