import { api } from '../api/client';
import type { Job } from '../api/types';
import { JobsSection } from '../components/JobsSection';
import { useT } from '../i18n/i18n';
import { Link } from '../router';

const loadMine = async (signal: AbortSignal) => (await api<{ jobs: Job[] }>('POST', '/v1/job/list', { body: {}, signal })).jobs;

export function MyJobs() {
  const t = useT();
  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">{t('jobs.title')}</h1>
      <JobsSection
        load={loadMine}
        empty={
          <>
            {t('jobs.empty')} <Link href="/">{t('jobs.toCatalog')}</Link>
          </>
        }
      />
    </section>
  );
}
