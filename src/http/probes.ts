import { Type } from 'typebox';
import type { HttpApp } from './server.js';

/**
 * What keeps a server from taking traffic, by name: each condition is set while it holds and
 * cleared when it ends. A load balancer asks /readyz; only an empty set answers 200.
 */
export class Readiness {
  private readonly blockers = new Map<string, string>();

  constructor(initial: Record<string, string> = {}) {
    for (const [name, reason] of Object.entries(initial)) this.blockers.set(name, reason);
  }

  block(name: string, reason: string): void {
    this.blockers.set(name, reason);
  }

  clear(name: string): void {
    this.blockers.delete(name);
  }

  /** Why the server is not ready; empty when it is. */
  reasons(): string[] {
    return [...this.blockers.values()];
  }
}

/** Route config that lets a request through before start-up ends: probes must answer while it runs. */
export const BEFORE_STARTUP = { beforeStartup: true } as const;

const tags = ['probes'];

/**
 * `/livez` says only that the process answers (no database call: a slow database must not get
 * the pod restarted); `/readyz` says whether to send it traffic.
 */
export function registerProbes(app: HttpApp, readiness: Readiness): void {
  app.get(
    '/livez',
    {
      config: BEFORE_STARTUP,
      schema: { tags, summary: 'Liveness: 200 while the process runs', response: { 200: Type.Object({ status: Type.Literal('alive') }) } },
    },
    async () => ({ status: 'alive' as const }),
  );
  app.get(
    '/readyz',
    {
      config: BEFORE_STARTUP,
      schema: {
        tags,
        summary: 'Readiness: 200 once the store is open and the runtime has synced; 503 with the reasons while starting or shutting down',
        response: {
          200: Type.Object({ status: Type.Literal('ready') }),
          503: Type.Object({ status: Type.Literal('not ready'), reasons: Type.Array(Type.String()) }),
        },
      },
    },
    async (_request, reply) => {
      const reasons = readiness.reasons();
      if (reasons.length === 0) return { status: 'ready' as const };
      return reply.code(503).header('cache-control', 'no-store').send({ status: 'not ready' as const, reasons });
    },
  );
}
