/** Pieces of the web app's browser walk (web-app.test.ts): the server, signing in, axe, screenshots. */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { en } from '../../web/src/i18n/en.js';
import { zhTW } from '../../web/src/i18n/zh-TW.js';
import { sandboxed } from '../runtime/support-local.js';
import { call, freePorts, PROJECT_DIR, startServer, tokenOf, type RunningCli } from './cli-process.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const ADMIN_PASSWORD = 'admin-pass-for-web-app';
export const TEACHER = { username: 'tina', password: 'teach-pass-1' };
export const STUDENT = { username: 'sam', password: 'student-pass' };

export type Server = RunningCli & { api: string; identity: string };
export type Words = typeof en;
export const WORDS: Record<'en' | 'zh-TW', Words> = { en, 'zh-TW': zhTW as Words };

/** `classlab serve` on the embedded database and the local runtime, with a teacher and a student. */
export async function startClasslab(dataDir: string): Promise<Server> {
  const [port, identityPort] = await freePorts(2);
  const server = (await startServer({
    CLASSLAB_DATA_DIR: dataDir,
    PORT: String(port),
    CLASSLAB_IDENTITY_PORT: `127.0.0.1:${identityPort}`,
    CLASSLAB_ADMIN_PASSWORD: ADMIN_PASSWORD,
    CLASSLAB_PUBLIC_URL: `http://127.0.0.1:${port}`,
    // Where this machine cannot sandbox jobs (not root), the local runtime would refuse them all.
    ...(sandboxed ? {} : { CLASSLAB_LOCAL_ISOLATION: 'off' }),
  })) as Server;
  for (const person of [TEACHER, STUDENT]) {
    const registered = await call('POST', `${server.api}/v1/auth/register`, { body: person });
    expect(registered.status, JSON.stringify(registered.body)).toBe(200);
  }
  const admin = await tokenOf(server.identity, 'admin', ADMIN_PASSWORD);
  const granted = await call('POST', `${server.identity}/user/role`, { token: admin, body: { user_name: TEACHER.username, role_name: 'teacher' } });
  expect(granted.status, JSON.stringify(granted.body)).toBe(200);
  return server;
}

/** Local jobs outlive a server's stop (the next start takes them back): a test deletes its own. */
export async function deleteAllJobs(server: Server): Promise<void> {
  const admin = await tokenOf(server.identity, 'admin', ADMIN_PASSWORD);
  const all = await call('GET', `${server.api}/v1/job/all`, { token: admin });
  for (const job of (all.body?.jobs ?? []) as { id: string }[]) {
    await call('DELETE', `${server.api}/v1/job/delete/${job.id}`, { token: admin });
  }
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export async function newContext(browser: Browser, language: 'en' | 'zh-TW', phone: boolean): Promise<BrowserContext> {
  return browser.newContext({ locale: language, viewport: phone ? PHONE : DESKTOP, ...(phone ? { isMobile: true, hasTouch: true } : {}) });
}

/** Clicks Sign in on the app, fills the built-in provider's form, and lands back on the app. */
export async function signIn(page: Page, server: Server, words: Words, person: { username: string; password: string }, path = '/'): Promise<void> {
  await page.goto(`${server.api}${path}`);
  await page.getByRole('link', { name: words['signIn.button'], exact: true }).click();
  await page.waitForSelector('#username');
  await page.fill('#username', person.username);
  await page.fill('#password', person.password);
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/oauth/')), page.click('button[type=submit]')]);
  await page.getByRole('button', { name: words['nav.signOut'] }).waitFor();
}

export async function signOut(page: Page, words: Words): Promise<void> {
  await page.getByRole('button', { name: words['nav.signOut'] }).click();
  await page.getByRole('link', { name: words['signIn.button'], exact: true }).waitFor();
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core in the page (evaluated by the driver, so the page's CSP still holds for the app). */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const result = await (globalThis as unknown as { axe: { run: () => Promise<{ violations: { id: string; impact: string | null; nodes: unknown[] }[] }> } }).axe.run();
    return result.violations.map(({ id, impact, nodes }) => ({ id, impact, count: nodes.length }));
  });
  const serious = violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
  expect(serious, `${what}: ${JSON.stringify(serious)}`).toEqual([]);
}

/**
 * The README's screenshots are rewritten only on request (CLASSLAB_UPDATE_SCREENSHOTS=1), so that
 * an ordinary test run leaves the working tree as it was; otherwise they go to a scratch folder.
 */
const SCREENSHOTS = process.env.CLASSLAB_UPDATE_SCREENSHOTS === '1' ? join(PROJECT_DIR, 'docs', 'screenshots') : mkdtempSync(join(tmpdir(), 'classlab-screenshots-'));

export async function screenshot(page: Page, name: string, phone: boolean): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-${phone ? 'phone' : 'desktop'}.png`), fullPage: !phone });
}
