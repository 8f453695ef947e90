/**
 * `serve` in this process, on real ports: what happens between listening and being ready, and
 * which listeners it opens.
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/settings.js';
import { IdentityService } from '../../src/identity/service.js';
import { serve, type RunningServer } from '../../src/main.js';
import { capturingLogger } from '../support/logs.js';
import { call, cleanUp, freePorts, tempDir, type Reply } from './cli-process.js';

const ADMIN_PASSWORD = 'admin-password';

/** Settings for a server on a data directory of its own and free ports. */
async function settings(extra: Record<string, string> = {}): Promise<{ config: Config; api: string; identity: string }> {
  const dir = tempDir();
  const [port, identityPort] = (await freePorts(2)) as [number, number];
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: String(port),
    CLASSLAB_IDENTITY_PORT: String(identityPort),
    CLASSLAB_DATA_DIR: join(dir, 'db'),
    CLASSLAB_LOCAL_DATASETS_DIR: join(dir, 'datasets'),
    CLASSLAB_ADMIN_PASSWORD: ADMIN_PASSWORD,
    CLASSLAB_SHUTDOWN_DRAIN: '0',
    ...extra,
  });
  return { config, api: `http://127.0.0.1:${port}`, identity: `http://127.0.0.1:${identityPort}` };
}

/** Resolves once something accepts connections on the URL's port. */
async function untilListening(url: string): Promise<void> {
  const port = Number(new URL(url).port);
  for (;;) {
    const accepted = await new Promise<boolean>((resolveTry) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolveTry(true);
      });
      socket.once('error', () => resolveTry(false));
    });
    if (accepted) return;
    await new Promise((wait) => setTimeout(wait, 50));
  }
}

/** Resolves once the server has logged that a request for this path came in. */
async function untilReceived(lines: string[], path: string): Promise<void> {
  while (!lines.some((line) => line.includes('"incoming request"') && line.includes(`"url":"${path}`))) {
    await new Promise((wait) => setTimeout(wait, 20));
  }
}

/** Makes the admin's creation wait for `released`, then do `then`. */
function holdAdminCreation(released: Promise<void>, then: 'create' | 'fail'): void {
  const original = IdentityService.prototype.createUser;
  vi.spyOn(IdentityService.prototype, 'createUser').mockImplementation(async function (
    this: IdentityService,
    ...args: Parameters<IdentityService['createUser']>
  ) {
    await released;
    if (then === 'fail') throw new Error('the disk is full');
    return original.apply(this, args);
  });
}

/**
 * Starts `serve` with the admin's creation held; while it is, a sign-in and a course list come in.
 * Once the server has received both, the admin's creation goes on (or fails).
 */
async function requestsDuringStartUp(then: 'create' | 'fail'): Promise<{ starting: Promise<RunningServer>; signIn: Promise<Reply>; courses: Promise<Reply> }> {
  const { config, api, identity } = await settings();
  const { logger, lines } = capturingLogger();
  let release!: () => void;
  holdAdminCreation(new Promise<void>((resolveRelease) => (release = resolveRelease)), then);

  const starting = serve(config, logger);
  starting.catch(() => undefined); // the test awaits it after the requests
  await untilListening(identity);
  const signIn = call('POST', `${identity}/user/auth`, { body: { user_name: 'admin', password: ADMIN_PASSWORD } });
  const courses = call('GET', `${api}/v1/course/level/basic`);
  await untilReceived(lines, '/user/auth');
  await untilReceived(lines, '/v1/course/level/basic');
  release();
  return { starting, signIn, courses };
}

describe('serve', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await server?.close();
    server = undefined;
    await cleanUp();
  });

  it('holds requests that come before the admin exists, and answers them once it does', { timeout: 60_000 }, async () => {
    const { starting, signIn, courses } = await requestsDuringStartUp('create');
    server = await starting;

    const signedIn = await signIn;
    expect(signedIn.status).toBe(200);
    expect(signedIn.body).toMatchObject({ status: 20008, data: { token: expect.any(String) } });
    expect(await courses).toMatchObject({ status: 200, body: { courses: [] } });
  });

  it('serves /metrics on CLASSLAB_METRICS_PORT, behind CLASSLAB_METRICS_TOKEN, and not on the API', { timeout: 60_000 }, async () => {
    const [metricsPort] = (await freePorts(1)) as [number];
    const token = 'a-metrics-token-for-prometheus';
    const { config, api } = await settings({ CLASSLAB_METRICS_PORT: `127.0.0.1:${metricsPort}`, CLASSLAB_METRICS_TOKEN: token });
    const { logger, lines } = capturingLogger();
    server = await serve(config, logger);
    expect(server.metricsUrl).toBe(`http://127.0.0.1:${metricsPort}`);
    expect(lines.find((line) => line.includes('classlab is ready'))).toContain(`"metrics":"http://127.0.0.1:${metricsPort}"`);

    expect((await call('GET', `${api}/metrics`, { token })).status).toBe(404);
    expect((await call('GET', `${server.metricsUrl}/metrics`)).status).toBe(401);
    const scraped = await fetch(`${server.metricsUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('route="unmatched",status_code="404"');
  });

  it('answers held requests with 503 when the start fails', { timeout: 60_000 }, async () => {
    const { starting, signIn, courses } = await requestsDuringStartUp('fail');
    await expect(starting).rejects.toThrow('the disk is full');

    const [fromApi, fromIdentity] = await Promise.all([courses, signIn]);
    expect(fromApi).toEqual({ status: 503, body: { error: true, message: 'classlab could not start; see its log' } });
    // The identity service answers only 200, 400 and 500.
    expect(fromIdentity).toMatchObject({ status: 500, body: { status: 50000 } });
  });

  it('answers /livez at once, and /readyz 503 with reasons until started, then 200', { timeout: 60_000 }, async () => {
    const { config, api } = await settings();
    let release!: () => void;
    holdAdminCreation(new Promise<void>((resolveRelease) => (release = resolveRelease)), 'create');
    const starting = serve(config, capturingLogger().logger);
    starting.catch(() => undefined);
    await untilListening(api);

    expect(await call('GET', `${api}/livez`)).toEqual({ status: 200, body: { status: 'alive' } });
    const early = await call('GET', `${api}/readyz`);
    expect(early.status).toBe(503);
    expect(early.body).toMatchObject({ status: 'not ready', reasons: expect.arrayContaining(['classlab is starting']) });

    release();
    server = await starting;
    await server.platform.runtime.whenSynced();
    expect(await call('GET', `${api}/readyz`)).toEqual({ status: 200, body: { status: 'ready' } });
  });

  it('on close, answers /readyz 503 at once and goes on serving until the drain ends', { timeout: 60_000 }, async () => {
    const { config, api } = await settings({ CLASSLAB_SHUTDOWN_DRAIN: '2' });
    const running = await serve(config, capturingLogger().logger);
    await running.platform.runtime.whenSynced();
    expect((await call('GET', `${api}/readyz`)).status).toBe(200);

    const closing = running.close();
    expect(await call('GET', `${api}/readyz`)).toEqual({ status: 503, body: { status: 'not ready', reasons: ['classlab is shutting down'] } });
    expect((await call('GET', `${api}/v1/course/level/basic`)).status).toBe(200);
    await closing;
    await expect(call('GET', `${api}/livez`)).rejects.toThrow();
  });
});
