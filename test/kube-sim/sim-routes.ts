// /_sim/…: the simulator's own controls over HTTP, for people driving it by hand with curl.
//   GET  /_sim/stats                 request counters
//   POST /_sim/reset-stats
//   POST /_sim/fail                  {"method":"POST","resource":"deployments","status":500,"count":1}
//   POST /_sim/drop-watches          ?graceful=true to end streams cleanly instead
//   POST /_sim/nodes/{name}/ready    {"ready":false}
//   GET  /_sim/objects/{resource}    ?namespace=…
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FailureRule } from './faults.js';
import { readJson, sendJson } from './http-util.js';
import { isRecord } from './types.js';

export interface SimControls {
  stats(): Record<string, number>;
  resetStats(): void;
  failNext(rule: FailureRule): void;
  dropWatches(options?: { graceful?: boolean }): void;
  setNodeReady(name: string, ready: boolean): void;
  objects(resource: string, namespace?: string): unknown[];
}

export function simRoutes(controls: SimControls) {
  return async (request: IncomingMessage, response: ServerResponse, url: URL): Promise<boolean> => {
    const method = request.method ?? 'GET';
    const path = url.pathname.replace(/\/$/, '');
    if (method === 'GET' && path === '/_sim/stats') {
      sendJson(response, 200, controls.stats());
    } else if (method === 'POST' && path === '/_sim/reset-stats') {
      controls.resetStats();
      sendJson(response, 200, { ok: true });
    } else if (method === 'POST' && path === '/_sim/fail') {
      const body = await readJson(request);
      if (!isRecord(body) || typeof body['status'] !== 'number') {
        sendJson(response, 400, { error: 'body must be {"status": <code>, "method"?, "resource"?, "message"?, "count"?}' });
      } else {
        controls.failNext(body as unknown as FailureRule);
        sendJson(response, 200, { ok: true });
      }
    } else if (method === 'POST' && path === '/_sim/drop-watches') {
      controls.dropWatches({ graceful: url.searchParams.get('graceful') === 'true' });
      sendJson(response, 200, { ok: true });
    } else if (method === 'POST' && /^\/_sim\/nodes\/[^/]+\/ready$/.test(path)) {
      const body = await readJson(request);
      const name = decodeURIComponent(path.split('/')[3] ?? '');
      controls.setNodeReady(name, isRecord(body) ? body['ready'] !== false : true);
      sendJson(response, 200, { ok: true });
    } else if (method === 'GET' && path.startsWith('/_sim/objects/')) {
      sendJson(response, 200, controls.objects(path.slice('/_sim/objects/'.length), url.searchParams.get('namespace') ?? undefined));
    } else {
      return false;
    }
    return true;
  };
}
