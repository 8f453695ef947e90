import type { InjectOptions } from 'fastify';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/settings.js';
import { buildApiApp } from '../../src/api-app.js';
import type { HttpApp } from '../../src/http/server.js';
import { ensureAdmin } from '../../src/identity/bootstrap.js';
import { buildIdentityApp } from '../../src/identity/http.js';
import { openPlatform } from '../../src/main.js';
import type { JobRuntime } from '../../src/runtime/types.js';
import type { Services } from '../../src/services.js';
import type { Store } from '../../src/store/store.js';
import { ScriptedRuntime } from './fake-runtime.js';
import { capturingLogger } from './logs.js';
import { pgliteTarget, type StoreTarget } from './stores.js';

/** Tests read arbitrary JSON; their expectations check its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Answer {
  status: number;
  body: Json;
  headers: Record<string, unknown>;
  text: string;
}

export interface CallOptions {
  token?: string;
  /** Sent as JSON; a string is sent as it is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** The caller's address, as the server sees it. */
  remoteAddress?: string;
}

export interface TestUser {
  id: string;
  name: string;
  password: string;
  token: string;
}

export const ADMIN_PASSWORD = 'admin-password';

export interface TestPlatform {
  store: Store;
  services: Services;
  api: HttpApp;
  identityApp: HttpApp;
  /** Every log line written so far, as JSON text. */
  logs: string[];
  admin: TestUser;
  call(method: InjectOptions['method'], url: string, options?: CallOptions): Promise<Answer>;
  callIdentity(method: InjectOptions['method'], url: string, options?: CallOptions): Promise<Answer>;
  /** A user with these roles and a fresh token, made through the identity service. */
  user(name: string, roles?: string[]): Promise<TestUser>;
  close(): Promise<void>;
}

/** The whole platform in this process, on a store of its own, answering through inject(). */
export async function startTestPlatform(
  options: { target?: StoreTarget; settings?: Partial<Config>; runtime?: JobRuntime; webDist?: string; now?: () => Date } = {},
): Promise<TestPlatform> {
  const config: Config = { ...loadConfig({}), adminPassword: ADMIN_PASSWORD, ...options.settings };
  const { logger, lines: logs } = capturingLogger();
  const store = await (options.target ?? pgliteTarget).open();
  // A scripted runtime unless the test brings a real one: nothing here may touch this machine's processes.
  const platform = await openPlatform(config, logger, { store, runtime: options.runtime ?? new ScriptedRuntime(), ...(options.now ? { now: options.now } : {}) });
  await platform.startJobs();
  const { services } = platform;
  await ensureAdmin(services.identity, config);
  const api = await buildApiApp({ services, logger, corsOrigins: config.corsOrigins, ...(options.webDist ? { webDist: options.webDist } : {}) });
  const identityApp = await buildIdentityApp({ identity: services.identity, logger, selfRegistration: config.selfRegistration, registrations: services.policy.registrations });
  await Promise.all([api.ready(), identityApp.ready()]);

  const inject = async (app: HttpApp, method: InjectOptions['method'], url: string, call: CallOptions = {}) => {
    const headers: Record<string, string> = { ...call.headers };
    if (call.token !== undefined) headers.authorization = `Bearer ${call.token}`;
    let payload: string | undefined;
    if (call.body !== undefined) {
      payload = typeof call.body === 'string' ? call.body : JSON.stringify(call.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }), ...(call.remoteAddress ? { remoteAddress: call.remoteAddress } : {}) });
    let body: Json;
    try {
      body = response.body === '' ? undefined : JSON.parse(response.body);
    } catch {
      body = undefined;
    }
    return { status: response.statusCode, body, headers: response.headers, text: response.body };
  };

  const user = async (name: string, roles: string[] = ['student']): Promise<TestUser> => {
    const password = `${name}-password`;
    const created = await services.identity.createUser(name, password, roles);
    const issued = await services.identity.authenticate(name, password);
    return { id: created.id, name, password, token: issued.token };
  };

  const adminRecord = await services.identity.findUser({ name: config.adminUser });
  const adminToken = await services.identity.authenticate(config.adminUser, ADMIN_PASSWORD);
  return {
    store,
    services,
    api,
    identityApp,
    logs,
    admin: { id: adminRecord?.id ?? '', name: config.adminUser, password: ADMIN_PASSWORD, token: adminToken.token },
    call: (method, url, call) => inject(api, method, url, call),
    callIdentity: (method, url, call) => inject(identityApp, method, url, call),
    user,
    async close() {
      await Promise.allSettled([api.close(), identityApp.close()]);
      await platform.close();
    },
  };
}
