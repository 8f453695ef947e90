import type { ServiceUrl } from '../common/job-ports.js';
import type { JobStatus } from '../store/schema.js';

/** A job's state as a progress page shows it. */
export interface JobStateMessage {
  type: 'state';
  job_id: string;
  status: JobStatus;
  ready: boolean;
  reason: string | null;
  service: ServiceUrl[];
  at: string;
}

/** Something the cluster said about the job: scheduling, pulling, probes. */
export interface JobProgressMessage {
  type: 'event';
  job_id: string;
  level: 'Normal' | 'Warning';
  reason: string;
  message: string;
  at: string;
}

export type JobMessage = JobStateMessage | JobProgressMessage;
type Listener = (message: JobMessage) => void;

const RECENT_EVENTS_KEPT = 20;

/**
 * Fans a job's messages out to the pages watching it, in this process. Recent progress events
 * are kept, so that a page that connects after the launch still sees how it went.
 */
export class JobEventHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly recent = new Map<string, JobProgressMessage[]>();
  /** The last state sent per job: several paths report the same state, pages see it once. */
  private readonly lastState = new Map<string, string>();

  subscribe(jobId: string, listener: Listener): () => void {
    let set = this.listeners.get(jobId);
    if (!set) this.listeners.set(jobId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(jobId);
    };
  }

  recentEvents(jobId: string): readonly JobProgressMessage[] {
    return this.recent.get(jobId) ?? [];
  }

  publish(message: JobMessage): void {
    if (message.type === 'state') {
      const key = `${message.status}\u0000${message.reason ?? ''}\u0000${message.service.length}`;
      if (this.lastState.get(message.job_id) === key) return;
      this.lastState.set(message.job_id, key);
    }
    if (message.type === 'event') {
      const kept = this.recent.get(message.job_id) ?? [];
      kept.push(message);
      if (kept.length > RECENT_EVENTS_KEPT) kept.shift();
      this.recent.set(message.job_id, kept);
    }
    for (const listener of this.listeners.get(message.job_id) ?? []) listener(message);
  }

  /** A finished job's history is dropped once nobody watches it. */
  forget(jobId: string): void {
    this.recent.delete(jobId);
    this.lastState.delete(jobId);
  }
}
