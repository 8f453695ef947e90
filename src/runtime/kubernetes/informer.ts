/**
 * One list-and-watch of one kind of object, kept alive. client-node 1.4's informers stop for good
 * after a connection error (they only emit `error`) and cannot be told to re-list, so this one is
 * built on client-node's Watch instead: it lists, applies the difference to its cache (so objects
 * deleted while the watch was down are reported deleted), watches from the list's
 * resourceVersion, and after any failure lists again with exponential backoff. It also re-lists
 * every `resyncMs`, which heals a watch that went silent without closing.
 */

import type { KubernetesObject, Watch } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { apiMessage, statusCodeOf } from './api-errors.js';

export interface ListResult<T> {
  items: T[];
  metadata?: { resourceVersion?: string };
}

export interface InformerHandlers<T> {
  added(object: T): void;
  updated(object: T): void;
  deleted(object: T): void;
}

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export interface InformerOptions<T> {
  /** The plural resource name, for logs: `deployments`. */
  resource: string;
  /** The watch path, such as `/apis/apps/v1/namespaces/default/deployments`. */
  path: string;
  list(): Promise<ListResult<T>>;
  labelSelector?: string;
  fieldSelector?: string;
  watch: Watch;
  logger: Logger;
  backoff: Backoff;
  resyncMs: number;
  handlers: InformerHandlers<T>;
  /** Called once, after the first list has filled the cache. */
  onFirstSync?(): void;
}

/** A watch that ends cleanly sooner than this after it began counts as a failure, to avoid a hot loop. */
const SHORTEST_HEALTHY_WATCH_MS = 1000;

export class Informer<T extends KubernetesObject> {
  private readonly objects = new Map<string, T>();
  private resourceVersion = '';
  private listedOnce = false;
  private running = false;
  /** Numbers each list-and-watch attempt; callbacks from an older attempt are ignored. */
  private attempt = 0;
  private currentWatch: AbortController | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private consecutiveFailures = 0;
  /** Callers waiting for an object to reach the cache, by name; each is told true (arrived) or false. */
  private readonly awaited = new Map<string, Set<(arrived: boolean) => void>>();

  constructor(private readonly options: InformerOptions<T>) {}

  /** True once a list has succeeded: the cache then holds what the cluster held at that moment. */
  get hasSynced(): boolean {
    return this.listedOnce;
  }

  get(name: string): T | undefined {
    return this.objects.get(name);
  }

  list(): T[] {
    return [...this.objects.values()];
  }

  /**
   * Resolves true once the cache holds the named object, or false after `timeoutMs`: lets a
   * caller that just created an object read its own write from the cache.
   */
  whenCached(name: string, timeoutMs: number): Promise<boolean> {
    if (this.objects.has(name)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiters = this.awaited.get(name) ?? new Set();
      this.awaited.set(name, waiters);
      const settle = (arrived: boolean) => {
        clearTimeout(timer);
        waiters.delete(settle);
        if (waiters.size === 0 && this.awaited.get(name) === waiters) this.awaited.delete(name);
        resolve(arrived);
      };
      const timer = setTimeout(() => settle(false), timeoutMs);
      waiters.add(settle);
    });
  }

  /** Begins listing and watching in the background; failures are logged and retried, never thrown. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.resyncTimer = setInterval(() => this.relist(), this.options.resyncMs);
    this.resyncTimer.unref();
    void this.connect(true);
  }

  stop(): void {
    this.running = false;
    this.attempt += 1;
    clearInterval(this.resyncTimer);
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.currentWatch?.abort();
    this.currentWatch = undefined;
    // Nobody waits on a cache that no longer follows the cluster.
    for (const waiters of [...this.awaited.values()]) for (const settle of [...waiters]) settle(false);
  }

  /** Drops the current watch and lists again now, unless a retry is already waiting. */
  relist(): void {
    if (!this.running || this.retryTimer !== undefined) return;
    void this.connect(true);
  }

  private async connect(relist: boolean): Promise<void> {
    const attempt = ++this.attempt;
    this.currentWatch?.abort();
    this.currentWatch = undefined;
    try {
      if (relist || this.resourceVersion === '') {
        const listed = await this.options.list();
        if (attempt !== this.attempt) return;
        this.applyList(listed.items);
        this.resourceVersion = listed.metadata?.resourceVersion ?? '';
        if (!this.listedOnce) {
          this.listedOnce = true;
          if (this.options.onFirstSync) this.notify(this.options.onFirstSync);
        }
      }
      await this.watchFrom(attempt);
    } catch (error) {
      if (attempt === this.attempt) this.failed(error);
    }
  }

  private async watchFrom(attempt: number): Promise<void> {
    const { watch, path, labelSelector, fieldSelector } = this.options;
    const query: Record<string, string | boolean> = { resourceVersion: this.resourceVersion, allowWatchBookmarks: true };
    if (labelSelector !== undefined) query.labelSelector = labelSelector;
    if (fieldSelector !== undefined) query.fieldSelector = fieldSelector;
    const startedAt = Date.now();
    let ended = false;
    let errorEvent: unknown;
    const controller = await watch.watch(
      path,
      query,
      (phase: string, object: T) => {
        if (attempt !== this.attempt) return;
        if (phase === 'ERROR') errorEvent = object;
        else this.applyEvent(phase, object);
      },
      (error: unknown) => {
        ended = true;
        if (attempt === this.attempt) this.watchEnded(error ?? errorEvent, Date.now() - startedAt);
      },
    );
    if (attempt !== this.attempt || ended) {
      controller.abort();
      return;
    }
    this.currentWatch = controller;
    // The API answered the watch: whatever failed before has recovered.
    if (this.consecutiveFailures > 0) this.options.logger.info({ resource: this.options.resource }, 'kubernetes watch restored');
    this.consecutiveFailures = 0;
  }

  private watchEnded(error: unknown, lastedMs: number): void {
    this.currentWatch = undefined;
    if (!this.running) return;
    if (statusCodeOf(error) === 410) {
      // The resourceVersion is too old for the API's history: list again, which is the cure.
      this.resourceVersion = '';
      void this.connect(true);
    } else if (error) {
      this.failed(error);
    } else if (lastedMs < SHORTEST_HEALTHY_WATCH_MS) {
      this.failed(new Error('the watch closed as soon as it opened'));
    } else {
      // API servers end watches after a while; carrying on from the last resourceVersion is normal.
      void this.connect(false);
    }
  }

  private failed(error: unknown): void {
    if (!this.running) return;
    this.consecutiveFailures += 1;
    const { initialMs, maxMs } = this.options.backoff;
    const delayMs = Math.min(maxMs, initialMs * 2 ** Math.min(this.consecutiveFailures - 1, 30));
    this.options.logger.warn(
      { resource: this.options.resource, failures: this.consecutiveFailures, retryInMs: delayMs, reason: apiMessage(error) },
      'kubernetes list/watch failed; listing again after a pause',
    );
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.running) void this.connect(true);
    }, delayMs);
    this.retryTimer.unref();
  }

  private applyList(items: readonly T[]): void {
    const listed = new Set<string>();
    for (const object of items) {
      listed.add(nameOf(object));
      this.upsert(object);
    }
    for (const [name, object] of this.objects) {
      if (!listed.has(name)) this.remove(object);
    }
  }

  private applyEvent(phase: string, object: T): void {
    if (phase === 'ADDED' || phase === 'MODIFIED') this.upsert(object);
    else if (phase === 'DELETED') this.remove(object);
    const version = object.metadata?.resourceVersion;
    if (version) this.resourceVersion = version;
  }

  private upsert(object: T): void {
    const name = nameOf(object);
    const previous = this.objects.get(name);
    if (previous !== undefined && previous.metadata?.resourceVersion === object.metadata?.resourceVersion) return;
    this.objects.set(name, object);
    for (const settle of [...(this.awaited.get(name) ?? [])]) settle(true);
    this.notify(() => (previous === undefined ? this.options.handlers.added(object) : this.options.handlers.updated(object)));
  }

  private remove(object: T): void {
    const name = nameOf(object);
    const cached = this.objects.get(name);
    if (cached === undefined) return;
    this.objects.delete(name);
    this.notify(() => this.options.handlers.deleted(cached));
  }

  /** A handler that throws must not stop the cache from following the cluster. */
  private notify(call: () => void): void {
    try {
      call();
    } catch (error) {
      this.options.logger.error({ resource: this.options.resource, reason: (error as Error).message }, 'kubernetes informer handler failed');
    }
  }
}

function nameOf(object: KubernetesObject): string {
  return object.metadata?.name ?? '';
}
