import { useState } from 'react';
import { api } from './api/client';
import type { Job } from './api/types';
import { useLoad, useNow } from './hooks';

const REFRESH_MS = 10_000;

/** A list of jobs, reloaded now and then (statuses change), and a delete that reloads it. */
export function useJobList(load: (signal: AbortSignal) => Promise<Job[]>) {
  const now = useNow();
  const tick = Math.floor(now / REFRESH_MS);
  const jobs = useLoad(load, [tick]);
  const [deleteError, setDeleteError] = useState<unknown>();
  const remove = async (job: Job) => {
    setDeleteError(undefined);
    try {
      await api('DELETE', `/v1/job/delete/${encodeURIComponent(job.id)}`);
    } catch (error) {
      setDeleteError(error);
    }
    jobs.reload();
  };
  return { jobs, now, remove: (job: Job) => void remove(job), deleteError };
}
