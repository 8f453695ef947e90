import { rfc3339 } from '../common/time.js';
import type { JobRuntime } from '../runtime/types.js';
import { allowanceFor, type JobPolicy } from './quotas.js';

/**
 * When a limit of `seconds` counted from `start` runs out; undefined without a limit ("off") or
 * without a start (a runtime that cannot tell when a job was last used).
 */
function deadlineAfter(start: Date | undefined, seconds: number | undefined): Date | undefined {
  return start === undefined || seconds === undefined ? undefined : new Date(start.getTime() + seconds * 1000);
}

/** When the job was last used, where the runtime can tell; a runtime that fails to say cannot tell. */
function lastActivityOf(runtime: JobRuntime, jobId: string): Promise<Date | undefined> {
  return runtime.lastActivity(jobId).catch(() => undefined);
}

export interface CullTimes {
  /** When the culler stops the job for its age; null when its owner's roles have no maximum age. */
  cullAt: string | null;
  /** When it stops it for idling, if it stays idle; null when there is no idle limit or the runtime cannot tell idleness. */
  idleCullAt: string | null;
}

/** A limit that applies to a job: how long it is, and when it runs out. */
export interface Deadline {
  seconds: number;
  at: Date;
}

/**
 * The deadlines the culler applies to a job, from its owner's roles: its maximum age, and its idle
 * limit (Ready jobs only, where the runtime can tell when the job was last used).
 */
export async function cullDeadlines(
  runtime: JobRuntime,
  policy: JobPolicy,
  job: { id: string; status: string; createdAt: Date },
  roles: readonly string[],
): Promise<{ age?: Deadline; idle?: Deadline }> {
  const maxAge = allowanceFor(policy.maxAgeSeconds, roles);
  const idle = allowanceFor(policy.idleTimeoutSeconds, roles);
  const ageAt = deadlineAfter(job.createdAt, maxAge);
  const idleAt = idle === undefined || job.status !== 'Ready' ? undefined : deadlineAfter(await lastActivityOf(runtime, job.id), idle);
  return {
    ...(maxAge !== undefined && ageAt ? { age: { seconds: maxAge, at: ageAt } } : {}),
    ...(idle !== undefined && idleAt ? { idle: { seconds: idle, at: idleAt } } : {}),
  };
}

/** A job's cull times as the job list shows them. */
export async function cullTimes(...args: Parameters<typeof cullDeadlines>): Promise<CullTimes> {
  const { age, idle } = await cullDeadlines(...args);
  return { cullAt: age ? rfc3339(age.at) : null, idleCullAt: idle ? rfc3339(idle.at) : null };
}
