// Watch streams: newline-delimited JSON events, resumable from a resourceVersion while the store's
// history reaches back that far, answered with a 410 ERROR event when it does not.
import type { ServerResponse } from 'node:http';
import { apiVersionOf, type ResourceType } from './resources.js';
import type { FieldSelector, Selector } from './selectors.js';
import { tooOldResourceVersion, ApiError } from './status.js';
import type { ObjectStore } from './store.js';
import type { KubeObject, StoreEvent } from './types.js';

export interface WatchRequest {
  type: ResourceType;
  namespace: string | undefined;
  labelSelector: Selector;
  fieldSelector: FieldSelector;
  resourceVersion: string | undefined;
  allowBookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutSeconds: number | undefined;
  /** How each event's object goes on the wire: as itself, or as a one-row Table for kubectl. */
  encode?: (object: KubeObject, first: boolean) => unknown;
}

interface OpenWatch {
  response: ServerResponse;
  close(): void;
}

export class WatchHub {
  private readonly open = new Set<OpenWatch>();

  constructor(
    private readonly store: ObjectStore,
    private readonly bookmarkIntervalMs: number,
  ) {}

  get openCount(): number {
    return this.open.size;
  }

  serve(request: WatchRequest, response: ServerResponse): void {
    const { type } = request;
    const inScope = (object: KubeObject): boolean =>
      (request.namespace === undefined || object.metadata.namespace === request.namespace) &&
      request.labelSelector(object.metadata.labels ?? {}) &&
      request.fieldSelector(object);

    response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    // Clients wait for the headers before they count a watch as open; an idle stream must still send them.
    response.flushHeaders();
    let first = true;
    const write = (eventType: string, object: unknown): void => {
      if (!response.writableEnded && !response.destroyed) response.write(`${JSON.stringify({ type: eventType, object })}\n`);
    };
    const send = (eventType: string, object: KubeObject): void => {
      write(eventType, request.encode ? request.encode(object, first) : object);
      first = false;
    };
    const bookmark = (annotations?: Record<string, string>): void =>
      write('BOOKMARK', {
        kind: type.kind,
        apiVersion: apiVersionOf(type),
        metadata: { resourceVersion: String(this.store.currentRevision), ...(annotations ? { annotations } : {}) },
      });

    const deliver = (event: StoreEvent): void => {
      if (event.resource !== type.resource) return;
      const now = inScope(event.object);
      const before = event.type === 'MODIFIED' && event.previous ? inScope(event.previous) : now;
      // A change that moves an object into or out of the selection looks like ADDED or DELETED to
      // this watcher, as it does with a real API server.
      if (event.type === 'MODIFIED' && before !== now) send(now ? 'ADDED' : 'DELETED', event.object);
      else if (now) send(event.type, event.object);
    };

    const requested = request.resourceVersion;
    const fromNow = requested === undefined || requested === '' || requested === '0';
    if (fromNow || request.sendInitialEvents) {
      // "Get state and start at most recent": synthetic ADDED for what exists now.
      for (const object of this.store.list(type.resource)) if (inScope(object)) send('ADDED', object);
      if (request.sendInitialEvents) bookmark({ 'k8s.io/initial-events-end': 'true' });
    } else {
      const revision = Number(requested);
      if (!Number.isInteger(revision) || revision < 0) {
        write('ERROR', new ApiError(400, `invalid resource version: ${requested}`).toStatus());
        response.end();
        return;
      }
      const missed = this.store.eventsSince(revision);
      if (!missed) {
        write('ERROR', tooOldResourceVersion(requested, this.store.oldestResumableRevision).toStatus());
        response.end();
        return;
      }
      for (const event of missed) deliver(event);
    }

    const unsubscribe = this.store.subscribe(deliver);
    const timers: NodeJS.Timeout[] = [];
    if (request.allowBookmarks && this.bookmarkIntervalMs > 0) {
      timers.push(setInterval(() => bookmark(), this.bookmarkIntervalMs));
    }
    const watch: OpenWatch = {
      response,
      close: () => {
        unsubscribe();
        for (const timer of timers) clearInterval(timer);
        this.open.delete(watch);
      },
    };
    if (request.timeoutSeconds !== undefined && request.timeoutSeconds > 0) {
      timers.push(setTimeout(() => response.end(), request.timeoutSeconds * 1000));
    }
    this.open.add(watch);
    response.on('close', watch.close);
  }

  /** Ends every stream: abruptly (socket destroyed mid-stream) or as a server timeout would. */
  dropAll(graceful = false): void {
    for (const watch of [...this.open]) {
      watch.close();
      if (graceful) watch.response.end();
      else watch.response.destroy();
    }
  }
}
