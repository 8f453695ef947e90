/**
 * Issue 4, "done when" 1: a person follows the README's "Sign in with a browser (OAuth2)" path
 * with the built-in provider, in a real browser (Debian's chromium, driven by playwright-core),
 * against the real `classlab serve`; the API accepts the token the page shows.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call, cleanUp, freePorts, startServer, tempDir, tokenOf, type RunningCli } from './cli-process.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ADMIN_PASSWORD = 'admin-pass-for-browser-test';
const STUDENT = { username: 'sam', password: 'student-pass' };
/** A site of its own, served by the browser itself (page.route), never by the network. */
const OTHER_SITE = 'http://other-site.test/';

const missing = existsSync(CHROMIUM) ? '' : ` (skipped: ${CHROMIUM} is absent; apt-get install chromium)`;

describe.skipIf(!existsSync(CHROMIUM))(`sign-in with a browser, as the README describes it${missing}`, () => {
  let server: RunningCli & { api: string; identity: string };
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    const [port, identityPort] = await freePorts(2);
    server = (await startServer({
      CLASSLAB_DATA_DIR: tempDir(),
      PORT: String(port),
      CLASSLAB_IDENTITY_PORT: `127.0.0.1:${identityPort}`,
      CLASSLAB_ADMIN_PASSWORD: ADMIN_PASSWORD,
      // The address the browser uses: cookies and the redirect URI are bound to it.
      CLASSLAB_PUBLIC_URL: `http://127.0.0.1:${port}`,
    })) as typeof server;
    expect(server.api).toBe(`http://127.0.0.1:${port}`);
    const registered = await call('POST', `${server.api}/v1/auth/register`, { body: STUDENT });
    expect(registered.status, JSON.stringify(registered.body)).toBe(200);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await cleanUp();
  });

  beforeEach(async () => {
    context = await browser.newContext();
    page = await context.newPage();
  });
  afterEach(async () => {
    await context?.close();
  });

  /** Opens the sign-in page and lands on the login form, as step 1 of the README says. */
  async function openLoginForm(): Promise<void> {
    await page.goto(`${server.api}/oauth/sign-in`);
    const url = new URL(page.url());
    expect(url.pathname).toBe('/oauth/authorize');
    expect(url.searchParams.get('client_id')).toBe('classlab-web');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('state')).toBeTruthy();
  }

  async function submitLogin(username: string, password: string): Promise<number | undefined> {
    await page.fill('#username', username);
    await page.fill('#password', password);
    const [response] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    return response?.status();
  }

  it('sign-in page → login form → a page with a token that the API accepts', async () => {
    await openLoginForm();
    expect(await submitLogin(STUDENT.username, STUDENT.password)).toBe(200);

    expect(new URL(page.url()).pathname).toBe('/oauth/callback');
    expect(await page.textContent('h1')).toBe('Signed in');
    const token = ((await page.textContent('#token')) ?? '').trim();
    expect(token).not.toBe('');
    // The curl line the page shows carries the same token.
    expect(await page.textContent('body')).toContain(`Authorization: Bearer ${token}`);
    expect(((await page.textContent('#refresh_token')) ?? '').trim()).not.toBe('');

    const introspected = await call('POST', `${server.api}/v1/proxy/introspection`, { body: { token } });
    expect(introspected.status).toBe(200);
    expect(introspected.body).toMatchObject({ active: true, username: STUDENT.username, roles: ['student'] });
    const courses = await call('POST', `${server.api}/v1/course/list`, { token, body: {} });
    expect(courses.status, JSON.stringify(courses.body)).toBe(200);
    const jobs = await call('POST', `${server.api}/v1/job/list`, { token, body: {} });
    expect(jobs).toMatchObject({ status: 200, body: { error: false, jobs: [] } });
    // Not any token would do.
    expect((await call('POST', `${server.api}/v1/job/list`, { token: `${token}x`, body: {} })).status).toBe(403);
    // The same person, signed in through the identity service, sees the same (empty) list.
    const direct = await tokenOf(server.identity, STUDENT.username, STUDENT.password);
    expect((await call('POST', `${server.api}/v1/job/list`, { token: direct, body: {} })).body).toEqual(jobs.body);
  });

  it('a wrong password shows an error on the form and no token; the right one then works', async () => {
    await openLoginForm();
    expect(await submitLogin(STUDENT.username, 'not-the-password')).toBe(401);

    expect(await page.textContent('[role=alert]')).toBe('Wrong user name or password.');
    expect(await page.locator('#token').count()).toBe(0);
    expect(await page.inputValue('#username')).toBe(STUDENT.username);
    expect(await page.inputValue('#password')).toBe('');

    expect(await submitLogin(STUDENT.username, STUDENT.password)).toBe(200);
    expect(await page.textContent('h1')).toBe('Signed in');
  });

  it('the login form posted from another site is refused, even with the right hidden fields', async () => {
    await openLoginForm();
    // Everything the form would send, including this browser's CSRF token.
    const fields: string[][] = [];
    for (const input of await page.locator('form input[type=hidden]').all()) {
      fields.push([(await input.getAttribute('name')) ?? '', await input.inputValue()]);
    }
    expect(fields.map(([name]) => name)).toContain('csrf');

    await page.route(OTHER_SITE, (route) =>
      route.fulfill({ contentType: 'text/html', body: forgedForm(`${server.api}/oauth/authorize`, fields) }),
    );
    await page.goto(OTHER_SITE);
    const [response] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);

    // The browser does not send the SameSite=Strict CSRF cookie with a cross-site POST.
    expect(response?.status()).toBe(403);
    expect(await page.textContent('h1')).toBe('Sign-in expired');
    expect(new URL(page.url()).pathname).toBe('/oauth/authorize');
    expect(await page.locator('#token').count()).toBe(0);
  });

  it('the login form without its CSRF token is refused', async () => {
    await openLoginForm();
    await page.$eval('input[name=csrf]', (input) => input.remove());
    expect(await submitLogin(STUDENT.username, STUDENT.password)).toBe(403);
    expect(await page.textContent('h1')).toBe('Sign-in expired');
    expect(await page.locator('#token').count()).toBe(0);
  });
});

/** Another site's page: a form that posts the given fields, plus a user name and password, to `action`. */
function forgedForm(action: string, fields: string[][]): string {
  const escape = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
  const inputs = [...fields, ['username', STUDENT.username], ['password', STUDENT.password]]
    .map(([name, value]) => `<input type="hidden" name="${escape(name ?? '')}" value="${escape(value ?? '')}">`)
    .join('\n');
  return `<!doctype html><html><body><form method="post" action="${escape(action)}">${inputs}<button type="submit">Win a prize</button></form></body></html>`;
}
