/**
 * Issue 14's "Tests": the web app in Debian's Chromium against the real `classlab serve` on the
 * embedded database and the local runtime, clicked through as a teacher, a student and an admin
 * would; then again in zh-TW at phone size. Also: an introduction that tries to run script, a
 * token revoked mid-session, axe-core on each main page, and the screenshots in docs/screenshots.
 * Issue 16's pages join the walk: the student's home and GPU use, the admin's homes, and the
 * teacher's usage report with its CSV download.
 */
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, cleanUp, tempDir, tokenOf } from './cli-process.js';
import {
  ADMIN_PASSWORD, CHROMIUM, CHROMIUM_ARGS, deleteAllJobs, expectAccessible, newContext, screenshot, signIn, signOut, startClasslab, STUDENT, TEACHER, WORDS,
  type Server, type Words,
} from './web-app-support.js';

const missing = existsSync(CHROMIUM) ? '' : ` (skipped: ${CHROMIUM} is absent; apt-get install chromium)`;
const ADMIN = { username: 'admin', password: ADMIN_PASSWORD };
/** The local runtime's hello job: a name, and the page it serves. */
const HELLO_PAGE = 'Your classlab job is running';

describe.skipIf(!existsSync(CHROMIUM))(`the web app in a browser${missing}`, { timeout: 240_000 }, () => {
  let server: Server;
  let browser: Browser;

  beforeAll(async () => {
    server = await startClasslab(tempDir());
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    if (server) await deleteAllJobs(server);
    await cleanUp();
  });

  /** 1. The teacher creates a course from the form, then edits its introduction. */
  async function teacherPublishes(page: Page, words: Words, course: string, phone: boolean): Promise<void> {
    await signIn(page, server, words, TEACHER);
    await page.getByRole('navigation').getByRole('link', { name: words['nav.teach'], exact: true }).click();
    await page.getByRole('link', { name: words['teach.new'] }).click();
    await page.getByLabel(words['form.name']).fill(course);
    await page.getByLabel(words['form.image']).fill('classlab/hello');
    await page.getByLabel(words['form.level']).selectOption('basic');
    await page.getByLabel(words['form.gpu']).fill('0');
    await page.getByLabel(words['form.introduction']).fill('# Welcome\n\nA *first* lab.');
    await expect.poll(() => page.locator('.preview em').textContent()).toBe('first');
    await expectAccessible(page, 'course form');
    await screenshot(page, 'course-form', phone);
    await page.getByRole('button', { name: words['action.create'] }).click();
    await page.getByRole('link', { name: words['teach.editNamed'].replace('{name}', course) }).click();
    await expect.poll(() => page.getByLabel(words['form.name']).inputValue()).toBe(course);
    await page.getByLabel(words['form.introduction']).fill('# Welcome\n\nA *first* lab, **edited**.');
    await page.getByRole('button', { name: words['action.save'] }).click();
    await page.getByRole('link', { name: course, exact: true }).click();
    await page.locator('.markdown strong', { hasText: 'edited' }).waitFor();
    await expectAccessible(page, 'my courses');
    await signOut(page, words);
  }

  /** 2–4. The student finds the course, launches it, opens the job, deletes it; then the quota. */
  async function studentLaunches(page: Page, words: Words, course: string, phone: boolean): Promise<number> {
    await signIn(page, server, words, STUDENT);
    await page.getByLabel(words['catalog.search']).fill(course);
    await expect.poll(() => page.locator('.cards li').count()).toBe(1);
    await expectAccessible(page, 'catalog');
    await screenshot(page, 'catalog', phone);
    await page.getByRole('link', { name: course, exact: true }).click();
    await page.getByRole('heading', { name: 'Welcome' }).waitFor();
    await expectAccessible(page, 'course page');
    await screenshot(page, 'course', phone);

    const clicked = Date.now();
    await page.getByRole('button', { name: words['launch.button'], exact: true }).click();
    const open = page.getByRole('link', { name: words['job.open'].replace('{label}', 'web') });
    await open.waitFor({ timeout: 60_000 });
    const launchMs = Date.now() - clicked;
    await expectAccessible(page, 'launch progress');
    await screenshot(page, 'progress', phone);
    expect(await open.getAttribute('target')).toBe('_blank');
    const [tab] = await Promise.all([page.context().waitForEvent('page'), open.click()]);
    await tab.getByRole('heading', { name: HELLO_PAGE }).waitFor();
    await tab.close();

    await page.getByRole('navigation').getByRole('link', { name: words['nav.jobs'], exact: true }).click();
    await page.getByRole('rowheader', { name: course, exact: true }).waitFor();
    await expectAccessible(page, 'my jobs');
    await screenshot(page, 'jobs', phone);
    await page.getByRole('button', { name: words['action.delete'] }).click();
    await page.getByRole('button', { name: words['action.yes'] }).click();
    await page.getByText(words['jobs.empty']).waitFor();

    // Issue 16: the first launch made the student's home, and the job they ran counts this month.
    await page.getByRole('navigation').getByRole('link', { name: words['nav.home'], exact: true }).click();
    await page.getByText(words['homeState.Bound'], { exact: true }).waitFor();
    await page.getByText(words['home.kept']).waitFor();
    const myJobs = page.getByRole('table', { name: words['myUsage.jobs'] });
    await myJobs.getByRole('rowheader', { name: course, exact: true }).first().waitFor();
    expect(await page.locator('.usage-summary').textContent()).toMatch(/\d+\.\d\d/);
    await expectAccessible(page, 'my home');
    await screenshot(page, 'home', phone);

    // 4. One job runs (the student's limit is one); a second launch is refused with the retry time.
    for (let launch = 0; launch < 2; launch++) {
      await page.getByRole('navigation').getByRole('link', { name: words['nav.courses'], exact: true }).click();
      await page.getByLabel(words['catalog.search']).fill(course);
      await page.getByRole('link', { name: course, exact: true }).click();
      await page.getByRole('button', { name: words['launch.button'], exact: true }).click();
      if (launch === 0) await page.getByRole('heading', { name: words['progress.title'] }).waitFor();
    }
    const refusal = page.getByRole('alert').filter({ hasText: 'Job limit reached' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/\d/);
    expect(await refusal.textContent()).toContain(words['launch.retryAfter'].split('{s}')[0] as string);
    await signOut(page, words);
    return launchMs;
  }

  /** 5. The admin sees the student's job and the nodes, grants a role, and deletes the job. */
  async function adminOversees(page: Page, words: Words, course: string, grant: string, phone: boolean): Promise<void> {
    await signIn(page, server, words, ADMIN);
    await page.getByRole('navigation').getByRole('link', { name: words['nav.admin'], exact: true }).click();
    const row = page.getByRole('row').filter({ hasText: course });
    await row.filter({ hasText: STUDENT.username }).waitFor();
    await page.locator('.cards li').first().waitFor();
    await expectAccessible(page, 'cluster');
    await screenshot(page, 'cluster', phone);
    await row.getByRole('button', { name: words['action.delete'] }).click();
    await row.getByRole('button', { name: words['action.yes'] }).click();
    await page.getByText(words['admin.noJobs']).waitFor();

    await page.getByRole('navigation').getByRole('link', { name: words['nav.users'], exact: true }).click();
    await page.getByLabel(words['users.search']).fill(STUDENT.username);
    const roleFor = words['users.roleFor'].replace('{user}', STUDENT.username);
    await page.getByLabel(roleFor).selectOption(grant);
    await page.getByRole('button', { name: words['users.grantTo'].replace('{user}', STUDENT.username) }).click();
    const chip = page.getByRole('button', { name: words['users.remove'].replace('{role}', grant).replace('{user}', STUDENT.username) });
    await chip.waitFor();
    await expectAccessible(page, 'users');
    await screenshot(page, 'users', phone);
    await chip.click();
    await chip.waitFor({ state: 'detached' });
    await signOut(page, words);
  }

  /** 6. The admin's homes: the student's is there. The teacher's usage, and its CSV, whose total is the table's. */
  async function usageAndHomes(page: Page, words: Words, phone: boolean): Promise<void> {
    await signIn(page, server, words, ADMIN);
    await page.getByRole('navigation').getByRole('link', { name: words['nav.homes'], exact: true }).click();
    await page.getByRole('table', { name: words['homes.caption'] }).getByRole('rowheader', { name: STUDENT.username }).waitFor();
    await expectAccessible(page, 'homes');
    await screenshot(page, 'homes', phone);
    await signOut(page, words);

    await signIn(page, server, words, TEACHER);
    await page.getByRole('navigation').getByRole('link', { name: words['nav.usage'], exact: true }).click();
    const byPerson = page.getByRole('table', { name: words['usage.byUser'] });
    await byPerson.getByRole('rowheader', { name: STUDENT.username, exact: true }).waitFor();
    await page.getByRole('table', { name: words['usage.byCourse'] }).waitFor();
    await expectAccessible(page, 'usage');
    await screenshot(page, 'usage', phone);
    const shownJobs = Number(await byPerson.locator('tfoot td').first().textContent());
    expect(shownJobs).toBeGreaterThan(0);

    const what = words['usage.byUser'];
    const [saved] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: `${words['usage.download']} (${what})` }).click()]);
    expect(saved.suggestedFilename()).toMatch(/^usage-.+\.csv$/);
    const lines = readFileSync(await saved.path(), 'utf8').trim().split(/\r?\n/);
    expect(lines[0]).toBe('key,name,jobs,gpuHours,wallHours');
    expect(lines.some((line) => line.split(',')[1] === STUDENT.username)).toBe(true);
    const total = (lines.at(-1) ?? '').split(',');
    expect(total.slice(0, 2)).toEqual(['total', '']);
    expect(Number(total[2])).toBe(shownJobs);
    await signOut(page, words);
  }

  it.each([
    { language: 'en' as const, phone: false },
    { language: 'zh-TW' as const, phone: true },
  ])('the whole walk, in $language, phone: $phone', async ({ language, phone }) => {
    const words = WORDS[language];
    const context = await newContext(browser, language, phone);
    const page = await context.newPage();
    const scriptErrors: string[] = [];
    page.on('pageerror', (error) => scriptErrors.push(error.message));
    try {
      await page.goto(`${server.api}/`);
      await page.getByRole('link', { name: words['signIn.button'], exact: true }).waitFor();
      await expectAccessible(page, 'sign-in');
      await screenshot(page, 'sign-in', phone);
      const course = `hello lab ${language}`;
      await teacherPublishes(page, words, course, phone);
      const launchMs = await studentLaunches(page, words, course, phone);
      console.log(`web app (${language}, ${phone ? 'phone' : 'desktop'}): Launch click to the job's link: ${launchMs} ms`);
      await adminOversees(page, words, course, language === 'en' ? 'teacher' : 'admin', phone);
      await usageAndHomes(page, words, phone);
      expect(scriptErrors).toEqual([]);
    } catch (error) {
      await page.screenshot({ path: join(tmpdir(), `classlab-web-app-failed-${language}.png`), fullPage: true }).catch(() => undefined);
      throw error;
    } finally {
      await context.close();
    }
  });

  it('an introduction with <script>, <img onerror> and a javascript: link runs nothing', async () => {
    const teacher = await tokenOf(server.identity, TEACHER.username, TEACHER.password);
    const introduction = '# Trap\n<script>window.ran = "script"</script>\n<img src="/nope.png" onerror="window.ran = \'onerror\'">\n\n[click me](javascript:window.ran=\'link\')';
    const created = await call('POST', `${server.api}/v1/course/create`, { token: teacher, body: { name: 'trap', introduction, image: 'classlab/hello', level: 'basic', GPU: 0 } });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const context = await newContext(browser, 'en', false);
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    try {
      await signIn(page, server, WORDS.en, STUDENT, `/course/${created.body.id}`);
      await page.getByRole('heading', { name: 'Trap', exact: true }).waitFor();
      await page.getByText('click me').click();
      await page.waitForTimeout(500);
      expect(await page.evaluate(() => (globalThis as { ran?: string }).ran)).toBeUndefined();
      expect(await page.locator('.markdown').innerHTML()).not.toMatch(/<script|onerror|javascript:/i);
      expect(dialogs).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a token revoked in the middle of a session sends the person to sign in, with a message', async () => {
    const context = await newContext(browser, 'en', false);
    const page = await context.newPage();
    let accessToken = '';
    page.on('response', (response) => {
      if (new URL(response.url()).pathname === '/oauth/session/refresh' && response.ok()) {
        void response.json().then((body: { access_token: string }) => (accessToken = body.access_token));
      }
    });
    try {
      await signIn(page, server, WORDS.en, STUDENT);
      await expect.poll(() => accessToken).not.toBe('');
      // Revoked elsewhere: the access token (identity service) and the refresh cookie (its family).
      const invalidated = await call('DELETE', `${server.identity}/token`, { body: { token: accessToken } });
      expect(invalidated.status, JSON.stringify(invalidated.body)).toBe(200);
      const revoked = await page.evaluate(() => fetch('/oauth/session/sign-out', { method: 'POST', headers: { 'X-Classlab-App': '1' } }).then((r) => r.status));
      expect(revoked).toBe(200);
      await page.getByRole('navigation').getByRole('link', { name: WORDS.en['nav.jobs'], exact: true }).click();
      const message = page.getByRole('alert');
      await message.waitFor();
      expect(await message.textContent()).toMatch(/sign in|session|token/i);
      await page.getByRole('link', { name: WORDS.en['signIn.button'], exact: true }).waitFor();
    } finally {
      await context.close();
    }
  });

  it('works with the keyboard alone: find a course, launch it, reach its link', async () => {
    const teacher = await tokenOf(server.identity, TEACHER.username, TEACHER.password);
    const created = await call('POST', `${server.api}/v1/course/create`, { token: teacher, body: { name: 'keyboard lab', introduction: '# Keys', image: 'classlab/hello', level: 'basic', GPU: 0 } });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const context = await newContext(browser, 'en', false);
    const page = await context.newPage();
    /** Presses Tab until the focused element is the one wanted (a keyboard user's walk). */
    const tabTo = async (matches: () => Promise<boolean>) => {
      for (let presses = 0; presses < 40; presses++) {
        await page.keyboard.press('Tab');
        if (await matches()) return;
      }
      throw new Error('never reached with Tab');
    };
    const focused = () => page.evaluate(() => {
      const active = (globalThis as unknown as { document: { activeElement: { tagName: string; textContent: string | null; getAttribute(name: string): string | null } | null } }).document.activeElement;
      return { tag: active?.tagName ?? '', text: active?.textContent ?? '', type: active?.getAttribute('type') ?? '' };
    });
    try {
      await page.goto(`${server.api}/`);
      await tabTo(async () => (await focused()).text === WORDS.en['signIn.button']);
      await page.keyboard.press('Enter');
      await page.focus('#username');
      await page.keyboard.type(STUDENT.username);
      await page.focus('#password');
      await page.keyboard.type(STUDENT.password);
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: WORDS.en['nav.signOut'] }).waitFor();
      await tabTo(async () => (await focused()).type === 'search');
      await page.keyboard.type('keyboard lab');
      await tabTo(async () => (await focused()).text === 'keyboard lab');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'keyboard lab' }).waitFor();
      await tabTo(async () => (await focused()).text === WORDS.en['launch.button']);
      await page.keyboard.press('Enter');
      const open = WORDS.en['job.open'].replace('{label}', 'web');
      await page.getByRole('link', { name: open }).waitFor({ timeout: 60_000 });
      await tabTo(async () => (await focused()).text === open);
    } finally {
      await context.close();
    }
  });
});
