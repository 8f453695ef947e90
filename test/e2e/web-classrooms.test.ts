/**
 * Issue 17's browser test: in Debian's Chromium against the real `classlab serve` (embedded
 * database, local runtime), a teacher makes a classroom in the web app, assigns a course, adds a
 * student, and draws a window that opens tomorrow; the student sees the Launch button disabled with
 * when it opens. The teacher then draws one open now, and the student launches through the class;
 * the teacher sees the job in the classroom's live view and stops it. The server's clock cannot be
 * injected in a spawned server, so the windows are drawn relative to the real now, in a zone where
 * the next two hours do not run past midnight. axe-core on each page; screenshots classroom(s)-*.
 */
import { existsSync } from 'node:fs';
import { DateTime } from 'luxon';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, cleanUp, tempDir, tokenOf } from './cli-process.js';
import { CHROMIUM, CHROMIUM_ARGS, deleteAllJobs, expectAccessible, newContext, screenshot, signIn, signOut, startClasslab, STUDENT, TEACHER, WORDS, type Server } from './web-app-support.js';

const missing = existsSync(CHROMIUM) ? '' : ` (skipped: ${CHROMIUM} is absent; apt-get install chromium)`;
const words = WORDS.en;
const CLASSROOM = 'Deep learning, spring term';
const COURSE = 'Classroom lab';

/** UTC, unless its next two hours cross midnight: then Tokyo (no daylight saving), where it is morning. */
const zone = DateTime.utc().hour <= 21 ? 'UTC' : 'Asia/Tokyo';
/** How the week view names an hour cell, and the Launch button says when a window opens (en). */
const cellName = (at: DateTime) => at.toFormat('ccc d LLL, HH:mm');
const fill = (text: string, values: Record<string, string>) => text.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? '');

describe.skipIf(!existsSync(CHROMIUM))(`classrooms in the web app${missing}`, { timeout: 240_000 }, () => {
  let server: Server;
  let browser: Browser;

  beforeAll(async () => {
    server = await startClasslab(tempDir());
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    // The course itself is issue 14's form (web-app.test.ts); here it is only something to assign.
    const teacher = await tokenOf(server.identity, TEACHER.username, TEACHER.password);
    const created = await call('POST', `${server.api}/v1/course/create`, { token: teacher, body: { name: COURSE, introduction: '# Lab', image: 'classlab/hello', level: 'basic', gpu: 0, datasets: [] } });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    if (server) await deleteAllJobs(server);
    await cleanUp();
  });

  /** Draws a one-day slot of two hours on the week view: click its first hour, then its last. */
  async function drawWindow(page: Page, day: DateTime): Promise<void> {
    const first = day.set({ minute: 0, second: 0, millisecond: 0 });
    if (first.startOf('week') > DateTime.now().setZone(zone).startOf('week')) await page.getByRole('button', { name: words['week.next'] }).click();
    await page.getByRole('button', { name: cellName(first), exact: true }).click();
    await page.getByRole('button', { name: cellName(first.plus({ hours: 1 })), exact: true }).click();
    await page.getByLabel(words['week.from']).fill(first.toISODate() as string);
    await page.getByLabel(words['week.until']).fill(first.toISODate() as string);
    await page.getByRole('button', { name: words['week.add'] }).click();
    const window = `${cellName(first)}–${first.plus({ hours: 2 }).toFormat('HH:mm')}`;
    await page.getByRole('listitem').filter({ hasText: window }).waitFor();
  }

  async function openClassroom(page: Page): Promise<void> {
    await page.getByRole('navigation').getByRole('link', { name: /classrooms/i }).click();
    await page.getByRole('link', { name: CLASSROOM, exact: true }).click();
    await page.getByRole('heading', { name: CLASSROOM, level: 1 }).waitFor();
  }

  it('a teacher sets up a classroom; a student sees when it opens, and launches inside a window', async () => {
    const tomorrow = DateTime.now().setZone(zone).plus({ days: 1 }).set({ hour: 9, minute: 0, second: 0, millisecond: 0 });
    const teacherPage = await (await newContext(browser, 'en', false)).newPage();

    // The teacher: the form, then the classroom page's course picker, roster and week view.
    await signIn(teacherPage, server, words, TEACHER);
    await teacherPage.getByRole('navigation').getByRole('link', { name: words['nav.classrooms'], exact: true }).click();
    await teacherPage.getByText(words['classrooms.emptyTeacher']).waitFor();
    await teacherPage.getByRole('link', { name: words['classrooms.new'] }).click();
    await teacherPage.getByLabel(words['classForm.name']).fill(CLASSROOM);
    await teacherPage.getByLabel(words['classForm.description']).fill('Tuesdays in room 101.');
    await teacherPage.getByLabel(words['classForm.timeZone']).selectOption(zone);
    await teacherPage.getByLabel(words['windowEnd.stop']).check();
    await teacherPage.getByLabel(words['classForm.graceMinutes']).fill('15');
    await expectAccessible(teacherPage, 'classroom form');
    await screenshot(teacherPage, 'classroom-form', false);
    // After a full-page screenshot, Chromium scrolls the page when a focused number field loses focus,
    // so a click's mouseup would land elsewhere: leave the field first.
    await teacherPage.getByLabel(words['classForm.graceMinutes']).blur();
    await teacherPage.getByRole('button', { name: words['classForm.create'] }).click();
    await teacherPage.getByRole('heading', { name: CLASSROOM, level: 1 }).waitFor();

    await teacherPage.getByLabel(words['classCourses.pick']).selectOption({ label: COURSE });
    await teacherPage.getByRole('button', { name: words['classCourses.assign'] }).click();
    await teacherPage.getByRole('link', { name: COURSE, exact: true }).waitFor();
    await teacherPage.getByLabel(words['roster.name']).fill(STUDENT.username);
    await teacherPage.getByRole('button', { name: words['roster.add'], exact: true }).click();
    await teacherPage.getByRole('rowheader', { name: STUDENT.username }).waitFor();
    // A roster line that is not a user changes nothing and is named.
    await teacherPage.getByLabel(words['roster.paste']).fill('nobody-such,ta');
    await teacherPage.getByRole('button', { name: words['roster.importButton'] }).click();
    await teacherPage.getByRole('alert').filter({ hasText: 'nobody-such' }).waitFor();

    await drawWindow(teacherPage, tomorrow);
    await expectAccessible(teacherPage, 'classroom page (teacher)');
    await screenshot(teacherPage, 'classroom-teacher', false);
    await signOut(teacherPage, words);

    // The student, at phone size: the class is listed with its next window; Launch waits for it.
    const studentPage = await (await newContext(browser, 'en', true)).newPage();
    await signIn(studentPage, server, words, STUDENT);
    await studentPage.getByRole('navigation').getByRole('link', { name: words['nav.myClassrooms'], exact: true }).click();
    const opens = cellName(tomorrow);
    await studentPage.getByText(fill(words['classrooms.next'], { when: opens })).waitFor();
    await expectAccessible(studentPage, 'my classrooms');
    await screenshot(studentPage, 'classrooms-student', true);
    await studentPage.getByRole('link', { name: CLASSROOM, exact: true }).click();
    const closed = studentPage.getByRole('button', { name: `${fill(words['classLaunch.opens'], { when: opens })} (${COURSE})` });
    await closed.waitFor();
    expect(await closed.isDisabled()).toBe(true);
    expect(await studentPage.getByRole('heading', { name: words['classroom.roster'] }).count()).toBe(0);
    await expectAccessible(studentPage, 'classroom page (student, closed)');
    await screenshot(studentPage, 'classroom-student-closed', true);

    // The teacher opens a window now; the student launches through the class.
    await signIn(teacherPage, server, words, TEACHER);
    await openClassroom(teacherPage);
    await drawWindow(teacherPage, DateTime.now().setZone(zone));
    await studentPage.reload();
    const launch = studentPage.getByRole('button', { name: `${words['launch.button']} (${COURSE})` });
    await launch.click();
    await studentPage.getByRole('link', { name: words['job.open'].replace('{label}', 'web') }).waitFor({ timeout: 60_000 });

    // The teacher sees who runs what, and stops it.
    // The job's row, not the student's row in the roster: it names the course too.
    const row = teacherPage.getByRole('row').filter({ hasText: STUDENT.username }).filter({ hasText: COURSE });
    await row.waitFor({ timeout: 20_000 });
    await expectAccessible(teacherPage, 'classroom page (teacher, running)');
    await screenshot(teacherPage, 'classroom-running', false);
    await row.getByRole('button', { name: words['action.delete'] }).click();
    await row.getByRole('button', { name: words['action.yes'] }).click();
    await teacherPage.getByText(words['classJobs.empty']).waitFor({ timeout: 20_000 });
  });
});
