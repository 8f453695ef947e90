import { rfc3339 } from '../common/time.js';
import type { JobEventHub, JobStateMessage } from './events.js';
import type { JobView } from './job-view.js';
import type { JobRepository, JobRow } from './repository.js';

export function stateMessage(job: Pick<JobRow, 'id' | 'status' | 'reason' | 'services'>): JobStateMessage {
  return {
    type: 'state',
    job_id: job.id,
    status: job.status,
    ready: job.status === 'Ready',
    reason: job.reason,
    service: job.services,
    at: rfc3339(new Date()),
  };
}

/** Marks a job Deleted (by a person, or culled), tells the pages watching it, and forgets its history. */
export async function announceDeleted(
  repository: JobRepository,
  view: JobView,
  hub: JobEventHub,
  jobId: string,
  reason: string,
  ending: 'deleted' | 'culled',
): Promise<void> {
  const deleted = await view.write(
    jobId,
    async () => {
      await repository.markDeleted(jobId, reason, ending);
      return repository.find(jobId);
    },
    (row) => row,
  );
  if (deleted) hub.publish(stateMessage(deleted));
  hub.forget(jobId);
}

/**
 * Tells the pages watching a job of its state, whoever wrote it (this server, or another heard
 * through the job view); a job that ended has no more to say, so its history is forgotten.
 */
export function announceState(hub: JobEventHub, job: JobRow): void {
  hub.publish(stateMessage(job));
  if (job.status === 'Failed' || job.status === 'Deleted') hub.forget(job.id);
}
