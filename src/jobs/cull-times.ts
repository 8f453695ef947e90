import { rfc3339 } from '../common/time.js';
import type { JobRuntime } from '../runtime/types.js';
import { allowanceFor, type JobPolicy } from './quotas.js';

/**
 * When a limit of `seconds` counted from `start` runs out; undefined without a limit ("off") or
 * without a start (a runtime that cannot tell when a job was last used).
 */
export function deadlineAfter(start: Date | undefined, seconds: number | undefined): Date | undefined {
  return start === undefined || seconds === undefined ? undefined : new Date(start.getTime() + seconds * 1000);
}

/** When the job was last used, where the runtime can tell; a runtime that fails to say cannot tell. */
export function lastActivityOf(runtime: JobRuntime, jobId: string): Promise<Date | undefined> {
  return runtime.lastActivity(jobId).catch(() => undefined);
}

export interface CullTimes {
  /** When the culler stops the job for its age; null when its owner's roles have no maximum age. */
  cullAt: string | null;
  /** When it stops it for idling, if it stays idle; null when there is no idle limit or the runtime cannot tell idleness. */
  idleCullAt: string | null;
}

/** A job's cull times as the job list shows them, from the limits the culler applies. */
export async function cullTimes(
  runtime: JobRuntime,
  policy: JobPolicy,
  job: { id: string; status: string; createdAt: Date },
  roles: readonly string[],
): Promise<CullTimes> {
  const ageDeadline = deadlineAfter(job.createdAt, allowanceFor(policy.maxAgeSeconds, roles));
  const idle = allowanceFor(policy.idleTimeoutSeconds, roles);
  // The culler checks idleness of Ready jobs only.
  const idleDeadline = idle === undefined || job.status !== 'Ready' ? undefined : deadlineAfter(await lastActivityOf(runtime, job.id), idle);
  return { cullAt: ageDeadline ? rfc3339(ageDeadline) : null, idleCullAt: idleDeadline ? rfc3339(idleDeadline) : null };
}
