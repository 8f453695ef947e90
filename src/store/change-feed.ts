import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** What changed: each cache listens to the channel of the rows it copies. */
export type ChangeChannel = 'courses' | 'tokens' | 'jobs';
export const CHANGE_CHANNELS: readonly ChangeChannel[] = ['courses', 'tokens', 'jobs'];

export type ChangeHandler = (payload: string) => void;
export type GapHandler = () => void;

/**
 * Tells every classlab server on one database that rows changed, so that what each one keeps in
 * memory (course lists, verified tokens, job states) stays true. Handlers must be idempotent and
 * cheap; a handler that throws is reported and does not stop the others.
 */
export interface ChangeFeed {
  /** Reaches this server's subscribers at once, and the other servers' soon after. Never rejects. */
  publish(channel: ChangeChannel, payload: string): Promise<void>;
  /**
   * `onMessage` for each message; `onGap` when messages may have been missed (the connection that
   * listens dropped, or came back): drop everything cached from that channel. Returns unsubscribe.
   */
  subscribe(channel: ChangeChannel, onMessage: ChangeHandler, onGap?: GapHandler): () => void;
  close(): Promise<void>;
}

/** NOTIFY refuses payloads of 8000 bytes or more; ours are ids and hashes. */
export const MAX_PAYLOAD_BYTES = 7000;

export type FeedErrorReporter = (message: string, error: unknown) => void;

interface Subscription {
  onMessage: ChangeHandler;
  onGap?: GapHandler;
}

/** Delivery to this process's subscribers: all an embedded store needs, since it has one server. */
export class LocalChangeFeed implements ChangeFeed {
  private readonly subscriptions = new Map<ChangeChannel, Set<Subscription>>();

  constructor(protected readonly report: FeedErrorReporter = () => {}) {}

  async publish(channel: ChangeChannel, payload: string): Promise<void> {
    checkPayload(payload);
    this.deliver(channel, payload);
  }

  subscribe(channel: ChangeChannel, onMessage: ChangeHandler, onGap?: GapHandler): () => void {
    let set = this.subscriptions.get(channel);
    if (!set) this.subscriptions.set(channel, (set = new Set()));
    const subscription: Subscription = { onMessage, ...(onGap ? { onGap } : {}) };
    set.add(subscription);
    return () => set.delete(subscription);
  }

  async close(): Promise<void> {
    this.subscriptions.clear();
  }

  protected deliver(channel: ChangeChannel, payload: string): void {
    for (const subscription of this.subscriptions.get(channel) ?? []) {
      this.guarded(() => subscription.onMessage(payload));
    }
  }

  protected gap(): void {
    for (const set of this.subscriptions.values()) {
      for (const subscription of set) if (subscription.onGap) this.guarded(subscription.onGap);
    }
  }

  private guarded(handler: () => void): void {
    try {
      handler();
    } catch (error) {
      this.report('a change handler failed', error);
    }
  }
}

function checkPayload(payload: string): void {
  if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) throw new RangeError(`change payload over ${MAX_PAYLOAD_BYTES} bytes`);
}

const pgChannel = (channel: ChangeChannel) => `classlab_${channel}`;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5000;

export interface PostgresChangeFeedOptions {
  /** Opens the one connection that LISTENs (a pooled connection cannot: the pool hands it out). */
  connect: () => pg.Client;
  /** Sends NOTIFY on any connection. */
  query: (text: string, values: unknown[]) => Promise<unknown>;
  report?: FeedErrorReporter;
}

/**
 * PostgreSQL LISTEN/NOTIFY. This server's subscribers are told at once, and its own notifications
 * are recognised by a per-process tag and not delivered twice. While the listening connection is
 * down, subscribers are told of a gap, and again once it is back, because what changed in between
 * was never heard.
 */
export class PostgresChangeFeed extends LocalChangeFeed {
  private readonly origin = randomUUID();
  private listener: pg.Client | undefined;
  private closed = false;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private heardOnce = false;

  constructor(private readonly options: PostgresChangeFeedOptions) {
    super(options.report);
  }

  /** Connects the listener; resolves once LISTEN is in place (or rejects, and retries go on). */
  async start(): Promise<void> {
    await this.listen();
  }

  override async publish(channel: ChangeChannel, payload: string): Promise<void> {
    checkPayload(payload);
    this.deliver(channel, payload);
    try {
      await this.options.query('select pg_notify($1, $2)', [pgChannel(channel), `${this.origin} ${payload}`]);
    } catch (error) {
      // The other servers' listeners are down too when the database is, and report a gap.
      this.report(`could not tell other servers of a change (${channel})`, error);
    }
  }

  override async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => {});
    await super.close();
  }

  private async listen(): Promise<void> {
    const client = this.options.connect();
    client.on('notification', (message) => this.heard(message));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('the listening connection ended')));
    try {
      await client.connect();
      for (const channel of CHANGE_CHANNELS) await client.query(`listen ${pgChannel(channel)}`);
    } catch (error) {
      this.lost(client, error);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.listener = client;
    this.retryMs = RETRY_MIN_MS;
    // After a reconnect, what changed while nobody listened was never heard.
    if (this.heardOnce) this.gap();
    this.heardOnce = true;
  }

  private heard(message: pg.Notification): void {
    const channel = CHANGE_CHANNELS.find((name) => pgChannel(name) === message.channel);
    const text = message.payload ?? '';
    const space = text.indexOf(' ');
    if (!channel || space < 0) return;
    if (text.slice(0, space) === this.origin) return;
    this.deliver(channel, text.slice(space + 1));
  }

  private lost(client: pg.Client, error: unknown): void {
    if (this.closed) return;
    if (this.listener !== undefined && this.listener !== client) return;
    if (this.listener === client) {
      this.listener = undefined;
      this.report('the change listener lost its connection; reconnecting', error);
      this.gap();
    }
    client.removeAllListeners('end');
    client.on('error', () => {});
    void client.end().catch(() => {});
    if (this.retryTimer) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.listen().catch(() => {});
    }, delay);
    this.retryTimer.unref();
  }
}
