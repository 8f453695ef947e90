import type { ReactNode } from 'react';
import type { Job } from '../api/types';
import { useJobList } from '../useJobList';
import { JobTable } from './JobRow';
import { Loading, Problem } from './Problem';

/** A list of jobs that are not deleted, with delete; `empty` says what to do when there is none. */
export function JobsSection({ load, empty, showOwner }: { load: (signal: AbortSignal) => Promise<Job[]>; empty: ReactNode; showOwner?: boolean }) {
  const { jobs, now, remove, deleteError } = useJobList(load);
  const list = (jobs.data ?? []).filter((job) => job.status !== 'Deleted');
  return (
    <>
      <Problem error={deleteError} />
      {jobs.loading && !jobs.data && <Loading />}
      <Problem error={jobs.error} onRetry={jobs.reload} />
      {jobs.data && list.length === 0 && <p className="empty">{empty}</p>}
      {list.length > 0 && <JobTable jobs={list} now={now} onDelete={remove} {...(showOwner ? { showOwner } : {})} />}
    </>
  );
}
