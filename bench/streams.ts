// Followers of newline-framed HTTP streams: a job's server-sent events from classlab, and a
// Kubernetes watch on the simulator. Each line's arrival time is what the scenarios measure.
import { request as httpRequest, type ClientRequest } from 'node:http';

interface StateEvent {
  status: string;
  at: number;
}

/** GET /v1/job/events/:id, keeping each `state` event with the time it arrived. */
export class JobStream {
  readonly states: StateEvent[] = [];
  private readonly request: ClientRequest;
  private waiters: Array<{ test: (e: StateEvent) => boolean; done: (e: StateEvent | undefined) => void }> = [];
  readonly opened: Promise<void>;

  constructor(baseUrl: string, readonly jobId: string, token: string) {
    let buffer = '';
    let opened!: () => void;
    let failed!: (error: Error) => void;
    this.opened = new Promise((resolve, reject) => ((opened = resolve), (failed = reject)));
    this.request = httpRequest(new URL(`/v1/job/events/${jobId}`, baseUrl), { headers: { authorization: `Bearer ${token}` }, agent: false }, (res) => {
      if (res.statusCode !== 200) return failed(new Error(`events ${jobId}: ${res.statusCode}`));
      opened();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          this.onMessage(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      });
      res.on('error', () => undefined);
    });
    this.request.on('error', (error) => failed(error));
    this.request.end();
  }

  private onMessage(message: string): void {
    const at = performance.now();
    const data = /^data: (.*)$/m.exec(message)?.[1];
    if (!/^event: state$/m.test(message) || !data) return;
    const event = { status: (JSON.parse(data) as { status: string }).status, at };
    this.states.push(event);
    this.waiters = this.waiters.filter((waiter) => (waiter.test(event) ? (waiter.done(event), false) : true));
  }

  /** The first state event, already received or to come, after `since` with the given status. */
  waitFor(status: string, since: number, timeoutMs: number): Promise<StateEvent | undefined> {
    const test = (e: StateEvent) => e.status === status && e.at >= since;
    const seen = this.states.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      this.waiters.push({ test, done: (e) => (clearTimeout(timer), resolve(e)) });
    });
  }

  close(): void {
    this.request.destroy();
  }
}

/**
 * A watch of the simulator's Deployments, noting when each job's Deployment first reports an
 * available replica: the "Deployment available" end of T3's ready latency.
 */
export class AvailabilityWatch {
  readonly availableAt = new Map<string, number>();
  private readonly request: ClientRequest;

  constructor(simUrl: string, namespace: string, token: string) {
    let buffer = '';
    this.request = httpRequest(
      new URL(`/apis/apps/v1/namespaces/${namespace}/deployments?watch=true`, simUrl),
      { headers: { authorization: `Bearer ${token}` }, agent: false },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n')) >= 0) {
            this.onLine(buffer.slice(0, end), performance.now());
            buffer = buffer.slice(end + 1);
          }
        });
        res.on('error', () => undefined);
      },
    );
    this.request.on('error', () => undefined);
    this.request.end();
  }

  private onLine(line: string, at: number): void {
    if (!line.trim()) return;
    const event = JSON.parse(line) as { object?: { metadata?: { labels?: Record<string, string> }; status?: { availableReplicas?: number } } };
    const jobId = event.object?.metadata?.labels?.['classlab.io/job'];
    if (jobId && (event.object?.status?.availableReplicas ?? 0) >= 1 && !this.availableAt.has(jobId)) this.availableAt.set(jobId, at);
  }

  close(): void {
    this.request.destroy();
  }
}
