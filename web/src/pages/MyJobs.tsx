import { api } from '../api/client';
import type { Job } from '../api/types';
import { JobTable } from '../components/JobRow';
import { Loading, Problem } from '../components/Problem';
import { useT } from '../i18n/i18n';
import { Link } from '../router';
import { useJobList } from '../useJobList';

const loadMine = async (signal: AbortSignal) => (await api<{ jobs: Job[] }>('POST', '/v1/job/list', { body: {}, signal })).jobs;

export function MyJobs() {
  const t = useT();
  const { jobs, now, remove, deleteError } = useJobList(loadMine);
  const list = (jobs.data ?? []).filter((job) => job.status !== 'Deleted');
  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">{t('jobs.title')}</h1>
      <Problem error={deleteError} />
      {jobs.loading && !jobs.data && <Loading />}
      <Problem error={jobs.error} onRetry={jobs.reload} />
      {jobs.data && list.length === 0 && (
        <p className="empty">
          {t('jobs.empty')} <Link href="/">{t('jobs.toCatalog')}</Link>
        </p>
      )}
      {list.length > 0 && <JobTable jobs={list} now={now} onDelete={remove} />}
    </section>
  );
}
