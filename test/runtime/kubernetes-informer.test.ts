import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Watch } from '@kubernetes/client-node';
import { capturingLogger } from '../support/logs.js';
import { Informer, type ListResult } from '../../src/runtime/kubernetes/informer.js';

interface Thing {
  metadata: { name: string; resourceVersion: string };
}

const thing = (name: string, resourceVersion: string): Thing => ({ metadata: { name, resourceVersion } });

/** A watch endpoint the test drives: each watch() call is recorded and can be fed or ended. */
class ScriptedWatch {
  readonly calls: { query: Record<string, unknown>; send: (phase: string, object: unknown) => void; end: (error?: unknown) => void }[] = [];
  /** When set, the next watch() fails at once with this error, as a refused connection does. */
  failWith: unknown[] = [];

  async watch(_path: string, query: Record<string, unknown>, callback: (phase: string, object: unknown) => void, done: (error: unknown) => void) {
    const controller = new AbortController();
    if (this.failWith.length > 0) {
      done(this.failWith.shift());
      return controller;
    }
    this.calls.push({ query, send: callback, end: (error) => done(error ?? null) });
    return controller;
  }
}

let informer: Informer<Thing> | undefined;
afterEach(() => informer?.stop());

function setUp(lists: (() => ListResult<Thing>)[], options: { resyncMs?: number } = {}) {
  const watch = new ScriptedWatch();
  const { logger, lines } = capturingLogger();
  const seen: string[] = [];
  let listCalls = 0;
  informer = new Informer<Thing>({
    resource: 'things',
    path: '/api/v1/namespaces/x/things',
    labelSelector: 'app.kubernetes.io/managed-by=classlab',
    list: async () => {
      const next = lists[Math.min(listCalls, lists.length - 1)];
      listCalls += 1;
      if (!next) throw new Error('no list scripted');
      return next();
    },
    watch: watch as unknown as Watch,
    logger,
    backoff: { initialMs: 10, maxMs: 40 },
    resyncMs: options.resyncMs ?? 60_000,
    handlers: {
      added: (t) => {
        if (t.metadata.name === 'boom') throw new Error('listener bug');
        seen.push(`added ${t.metadata.name}@${t.metadata.resourceVersion}`);
      },
      updated: (t) => seen.push(`updated ${t.metadata.name}@${t.metadata.resourceVersion}`),
      deleted: (t) => seen.push(`deleted ${t.metadata.name}`),
    },
  });
  informer.start();
  return { watch, lines, seen, lists: () => listCalls };
}

describe('the informer', () => {
  it('lists, then watches from the list\'s resourceVersion with the label selector', async () => {
    const { watch, seen } = setUp([() => ({ items: [thing('a', '5')], metadata: { resourceVersion: '7' } })]);
    await vi.waitFor(() => expect(watch.calls).toHaveLength(1));
    expect(watch.calls[0]?.query).toMatchObject({ resourceVersion: '7', labelSelector: 'app.kubernetes.io/managed-by=classlab' });
    expect(informer?.hasSynced).toBe(true);
    watch.calls[0]?.send('MODIFIED', thing('a', '8'));
    watch.calls[0]?.send('ADDED', thing('b', '9'));
    watch.calls[0]?.send('DELETED', thing('a', '10'));
    expect(seen).toEqual(['added a@5', 'updated a@8', 'added b@9', 'deleted a']);
    expect(informer?.list().map((t) => t.metadata.name)).toEqual(['b']);
  });

  it('after a watch error, lists again and reports what changed meanwhile, deletions included', async () => {
    const { watch, seen, lines } = setUp([
      () => ({ items: [thing('a', '1'), thing('b', '2')], metadata: { resourceVersion: '2' } }),
      () => ({ items: [thing('b', '6'), thing('c', '7')], metadata: { resourceVersion: '7' } }),
    ]);
    await vi.waitFor(() => expect(watch.calls).toHaveLength(1));
    watch.calls[0]?.end(new Error('socket hang up'));
    await vi.waitFor(() => expect(watch.calls).toHaveLength(2));
    expect(seen).toEqual(['added a@1', 'added b@2', 'updated b@6', 'added c@7', 'deleted a']);
    expect(watch.calls[1]?.query).toMatchObject({ resourceVersion: '7' });
    expect(lines.some((line) => line.includes('socket hang up') && line.includes('"retryInMs":10'))).toBe(true);
  });

  it('backs off exponentially up to the maximum, and starts over once a watch opens', async () => {
    const { watch, lines } = setUp([() => ({ items: [], metadata: { resourceVersion: '1' } })]);
    watch.failWith = [new Error('ECONNREFUSED'), new Error('ECONNREFUSED'), new Error('ECONNREFUSED'), new Error('ECONNREFUSED')];
    await vi.waitFor(() => expect(watch.calls).toHaveLength(1), { timeout: 2000 });
    const delays = lines.filter((l) => l.includes('list/watch failed')).map((l) => (JSON.parse(l) as { retryInMs: number }).retryInMs);
    expect(delays).toEqual([10, 20, 40, 40]);
    watch.failWith = [new Error('ECONNRESET')];
    watch.calls[0]?.end(new Error('ECONNRESET'));
    await vi.waitFor(() => expect(watch.calls).toHaveLength(2));
    const after = lines.filter((l) => l.includes('list/watch failed')).map((l) => (JSON.parse(l) as { retryInMs: number }).retryInMs);
    expect(after.slice(4)).toEqual([10, 20]);
  });

  it('lists again at once, without complaint, when its resourceVersion is too old', async () => {
    const { watch, lines, lists } = setUp([() => ({ items: [], metadata: { resourceVersion: '3' } })]);
    await vi.waitFor(() => expect(watch.calls).toHaveLength(1));
    watch.calls[0]?.send('ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 3 (40)' });
    watch.calls[0]?.end();
    await vi.waitFor(() => expect(watch.calls).toHaveLength(2));
    expect(lists()).toBe(2);
    expect(lines.filter((l) => l.includes('list/watch failed'))).toEqual([]);
  });

  it('carries on from the last resourceVersion when the server ends a long watch', async () => {
    const { watch, lists } = setUp([() => ({ items: [], metadata: { resourceVersion: '3' } })]);
    await vi.waitFor(() => expect(watch.calls).toHaveLength(1));
    watch.calls[0]?.send('BOOKMARK', { metadata: { resourceVersion: '12' } });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    watch.calls[0]?.end();
    await vi.waitFor(() => expect(watch.calls).toHaveLength(2));
    expect(watch.calls[1]?.query).toMatchObject({ resourceVersion: '12' });
    expect(lists()).toBe(1);
  });

  it('tells a caller when an object it created reaches the cache, or that it has not in time', async () => {
    const { watch } = setUp([() => ({ items: [thing('old', '1')], metadata: { resourceVersion: '1' } })]);
    await vi.waitFor(() => expect(watch.calls).toHaveLength(1));
    expect(await informer?.whenCached('old', 10)).toBe(true);
    const arriving = informer?.whenCached('new', 5000);
    watch.calls[0]?.send('ADDED', thing('new', '2'));
    expect(await arriving).toBe(true);
    expect(await informer?.whenCached('never', 20)).toBe(false);
    const abandoned = informer?.whenCached('later', 60_000);
    informer?.stop();
    expect(await abandoned).toBe(false);
  });

  it('re-lists every resync period', async () => {
    const { watch, lists } = setUp([() => ({ items: [], metadata: { resourceVersion: '3' } })], { resyncMs: 50 });
    await vi.waitFor(() => expect(lists()).toBeGreaterThanOrEqual(3));
    expect(watch.calls.length).toBeGreaterThanOrEqual(2);
  });

  it('keeps following the cluster when a handler throws', async () => {
    const { watch, seen, lines } = setUp([() => ({ items: [], metadata: { resourceVersion: '1' } })]);
    await vi.waitFor(() => expect(watch.calls).toHaveLength(1));
    watch.calls[0]?.send('ADDED', thing('boom', '2'));
    watch.calls[0]?.send('ADDED', thing('a', '3'));
    expect(informer?.get('boom')).toBeDefined();
    expect(seen).toEqual(['added a@3']);
    expect(lines.some((line) => line.includes('informer handler failed') && line.includes('listener bug'))).toBe(true);
  });
});
