import type { FastifyInstance } from 'fastify';
import { HttpError } from './envelope.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Answered while start-up still runs (the probes), instead of waiting for its end. */
    beforeStartup?: boolean;
  }
}

/**
 * The server listens before its start-up ends (the admin's bootstrap, the jobs), so that a port in
 * use stops the start before anything is written. Requests that come in between wait for the end
 * of start-up instead of finding no admin yet; if the start fails, they get a 503.
 */
export interface StartupGate {
  /** Resolves when start-up is complete; rejects with a 503 when it failed. */
  readonly started: Promise<void>;
  open(): void;
  fail(): void;
}

export function startupGate(): StartupGate {
  let open!: () => void;
  let fail!: (error: Error) => void;
  const started = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  // Nobody may be waiting when it fails; that is no unhandled rejection.
  started.catch(() => undefined);
  return {
    started,
    open,
    fail: () => fail(new HttpError(503, 'classlab could not start; see its log')),
  };
}

/**
 * Holds each request until `started` settles: call it before any route or plugin is added.
 * Routes whose config says `beforeStartup` (the probes) answer at once.
 */
export function holdUntilStarted(app: FastifyInstance, started: Promise<void>): void {
  let ready = false;
  void started.then(() => (ready = true), () => undefined);
  app.addHook('onRequest', async (request) => {
    if (ready || request.routeOptions.config.beforeStartup) return;
    await started;
  });
}
