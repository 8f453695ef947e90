import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { HttpApp } from './server.js';
import { pathOf } from './server.js';

/** Scripts, styles and connections from this origin only; no framing, no inline script or style. */
export const APP_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/** Paths that belong to the server, never to the app: an unknown one there is a 404, not index.html. */
const SERVER_PREFIXES = ['/v1', '/oauth', '/docs', '/metrics', '/livez', '/readyz', '/.well-known', '/assets'];

const PAGE_HEADERS = {
  'content-security-policy': APP_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
} as const;

const NOT_BUILT = 'The web app has not been built: run `npm run build` (npm ci runs it), then reload.\n';

/** A file at the top of the build (favicon.ico, robots.txt): one path segment with an extension. */
const TOP_LEVEL_FILE = /^\/[\w.-]+\.[a-z0-9]+$/i;

function isServerPath(path: string): boolean {
  return SERVER_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((found) => found.isFile(), () => false);
}

export interface WebApp {
  /** Starts answering a request no route took, if it is the app's (a page or a file of the build); false otherwise. */
  answerUnrouted(request: FastifyRequest, reply: FastifyReply): Promise<boolean>;
}

/**
 * Serves the built web app (Vite's `web/dist`) beside the API: hashed `/assets/*` cached for a
 * year, and every other page navigation outside the server's own paths answered with
 * `index.html` (the app routes in the browser), never cached. The build is looked for at each
 * request, so a build made after the start is served, and a missing one says how to make it.
 */
export async function registerWebApp(app: HttpApp, distDir: string): Promise<WebApp> {
  await app.register(fastifyStatic, { serve: false });
  const assets = join(distDir, 'assets');

  app.get('/assets/*', { schema: { hide: true } }, (request, reply) => {
    const file = (request.params as { '*': string })['*'];
    return reply.headers({ 'x-content-type-options': 'nosniff' }).sendFile(file, assets, { maxAge: 31_536_000_000, immutable: true, cacheControl: true });
  });

  const sendUncached = (reply: FastifyReply, file: string) =>
    reply.headers({ ...PAGE_HEADERS, 'cache-control': 'no-cache' }).sendFile(file, distDir, { cacheControl: false });

  return {
    async answerUnrouted(request, reply) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return false;
      const path = pathOf(request.url);
      if (isServerPath(path)) return false;
      if (TOP_LEVEL_FILE.test(path) && (await isFile(join(distDir, path)))) {
        sendUncached(reply, path.slice(1));
        return true;
      }
      const accept = request.headers.accept ?? '';
      if (path !== '/' && !accept.includes('text/html')) return false;
      if (!(await isFile(join(distDir, 'index.html')))) {
        void reply.code(503).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT);
        return true;
      }
      sendUncached(reply, 'index.html');
      return true;
    },
  };
}
