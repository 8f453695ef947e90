import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_CSP } from '../../src/http/web-app.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-3f2a9c.js"></script></head><body><div id="root"></div></body></html>';
const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

describe('the web app, served beside the API', () => {
  let platform: TestPlatform;
  let dist: string;

  beforeAll(async () => {
    dist = await mkdtemp(join(tmpdir(), 'classlab-web-'));
    await mkdir(join(dist, 'assets'));
    await writeFile(join(dist, 'index.html'), INDEX);
    await writeFile(join(dist, 'assets', 'app-3f2a9c.js'), 'console.log("app");\n');
    await writeFile(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    await writeFile(join(dist, '..', 'secret.txt'), 'outside the build');
    platform = await startTestPlatform({ webDist: dist });
  });
  afterAll(async () => {
    await platform?.close();
    await rm(dist, { recursive: true, force: true });
    await rm(join(dist, '..', 'secret.txt'), { force: true });
  });

  const get = (url: string, headers: Record<string, string> = HTML) => platform.call('GET', url, { headers });

  it('serves index.html at /, not cached, with the strict CSP', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.text).toBe(INDEX);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toBe(APP_CSP);
    expect(APP_CSP).toContain("script-src 'self';");
    expect(APP_CSP).not.toContain('unsafe-inline');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    // Even to a client that does not say it wants HTML.
    expect((await get('/', {})).text).toBe(INDEX);
    expect((await platform.call('HEAD', '/', { headers: HTML })).status).toBe(200);
  });

  it('answers client routes with index.html, so the app routes in the browser', async () => {
    for (const path of ['/courses/basic', '/jobs', '/admin/users?prefix=ab', '/sign-in?error=x']) {
      const page = await get(path);
      expect(page.status, path).toBe(200);
      expect(page.text).toBe(INDEX);
      expect(page.headers['cache-control']).toBe('no-cache');
    }
  });

  it('serves hashed assets for a year, immutable', async () => {
    const script = await get('/assets/app-3f2a9c.js', {});
    expect(script.status).toBe(200);
    expect(script.text).toBe('console.log("app");\n');
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('serves a file at the top of the build, not cached', async () => {
    const icon = await get('/favicon.svg', {});
    expect(icon.status).toBe(200);
    expect(icon.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(icon.headers['cache-control']).toBe('no-cache');
  });

  it.each([['/v1/nope'], ['/v1'], ['/oauth/nope'], ['/docs/nope'], ['/metrics/x'], ['/livez/x'], ['/.well-known/nope'], ['/assets/missing.js']])(
    'answers the server path %s with the 404 envelope, never index.html, even to a browser',
    async (path) => {
      const answer = await get(path);
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({ error: true, message: expect.stringMatching(/not found/i) });
    },
  );

  it('answers the spec 404 for an unknown /v1 route', async () => {
    expect((await get('/v1/course/nothing')).body).toEqual({ error: true, message: 'Route GET /v1/course/nothing not found' });
  });

  it('leaves API clients their 404: a request that does not accept HTML, or is not a GET', async () => {
    expect(await get('/courses', { accept: 'application/json' })).toMatchObject({ status: 404, body: { error: true, message: 'Route GET /courses not found' } });
    expect(await platform.call('POST', '/courses', { headers: HTML, body: {} })).toMatchObject({ status: 404, body: { error: true } });
  });

  it('serves nothing from outside the build', async () => {
    for (const path of ['/assets/..%2fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/..%2fsecret.txt']) {
      const answer = await get(path, {});
      expect(answer.text, path).not.toContain('outside the build');
    }
  });
});

describe('the web app before it is built', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform({ webDist: join(tmpdir(), 'classlab-no-such-build') });
  });
  afterAll(() => platform?.close());

  it('answers / with 503 and how to build it; the API still answers', async () => {
    const page = await platform.call('GET', '/', { headers: HTML });
    expect(page.status).toBe(503);
    expect(page.headers['content-type']).toMatch(/^text\/plain/);
    expect(page.text).toMatch(/npm run build/);
    expect((await platform.call('GET', '/courses', { headers: HTML })).status).toBe(503);
    expect((await platform.call('GET', '/v1/nope', { headers: HTML })).status).toBe(404);
    expect((await platform.call('GET', '/v1/course/level/basic')).status).toBe(200);
  });
});
