import { useState } from 'react';
import { api } from '../../api/client';
import type { Job } from '../../api/types';
import { JobTable } from '../../components/JobRow';
import { Loading, Problem } from '../../components/Problem';
import { useLoad, useNow } from '../../hooks';
import { useT } from '../../i18n/i18n';

/** During a lecture, who runs what changes by the minute: a few seconds' delay is enough. */
const REFRESH_MS = 5000;

/**
 * Who in the class runs what, refreshed every few seconds; a class's teachers and TAs stop a
 * member's job through the owner's path (`DELETE /v1/job/:user/:id`), which names their class.
 */
export function ClassJobs({ classroomId }: { classroomId: string }) {
  const t = useT();
  const now = useNow();
  const tick = Math.floor(now / REFRESH_MS);
  const jobs = useLoad(async (signal) => (await api<{ jobs: Job[] }>('GET', `/v1/classroom/${encodeURIComponent(classroomId)}/jobs`, { signal })).jobs, [classroomId, tick]);
  const [stopError, setStopError] = useState<unknown>();
  const stop = async (job: Job) => {
    setStopError(undefined);
    try {
      await api('DELETE', `/v1/job/${encodeURIComponent(job.user ?? '')}/${encodeURIComponent(job.id)}`);
    } catch (error) {
      setStopError(error);
    }
    jobs.reload();
  };
  const list = (jobs.data ?? []).filter((job) => job.status !== 'Deleted');
  return (
    <>
      <Problem error={stopError} />
      {jobs.loading && !jobs.data && <Loading />}
      <Problem error={jobs.error} onRetry={jobs.reload} />
      {jobs.data && list.length === 0 && <p className="empty">{t('classJobs.empty')}</p>}
      {list.length > 0 && <JobTable jobs={list} now={now} showOwner onDelete={(job) => void stop(job)} />}
    </>
  );
}
