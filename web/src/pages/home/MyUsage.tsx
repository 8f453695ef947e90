import { api } from '../../api/client';
import { ColumnHeads } from '../../components/ColumnHeads';
import type { UsageJob, UsageReport } from '../../api/types';
import { Loading, Problem } from '../../components/Problem';
import { dateTime, hours, thisMonth } from '../../format';
import { useLoad } from '../../hooks';
import { useI18n } from '../../i18n/i18n';
import { usagePath } from '../../usage/query';

const JOBS_SHOWN = 50;

function Ended({ job }: { job: UsageJob }) {
  const { t, language } = useI18n();
  if (!job.startedAt) return <>{t('usage.notStarted')}</>;
  if (!job.endedAt) return <>{t('usage.running')}</>;
  return (
    <>
      {dateTime(job.endedAt, language)}
      {job.endReason && <span className="muted"> ({t(`endReason.${job.endReason}`)})</span>}
    </>
  );
}

/** The caller's own GPU-hours this month (UTC), and the jobs they come from. */
export function MyUsage({ user }: { user: string }) {
  const { t, language } = useI18n();
  const usage = useLoad(async (signal) => {
    const range = thisMonth(Date.now());
    const [report, jobs] = await Promise.all([
      api<UsageReport>('GET', usagePath('/v1/usage', range, { groupBy: 'user', user }), { signal }),
      api<{ jobs: UsageJob[]; total: number }>('GET', usagePath('/v1/usage/jobs', range, { user, limit: JOBS_SHOWN }), { signal }),
    ]);
    return { report, jobs: jobs.jobs };
  }, [user]);
  const data = usage.data;
  return (
    <section aria-labelledby="my-usage-title">
      <h2 id="my-usage-title">{t('myUsage.title')}</h2>
      {usage.loading && !data && <Loading />}
      <Problem error={usage.error} onRetry={usage.reload} />
      {data && (
        <p className="usage-summary">
          {t('myUsage.summary', {
            gpuHours: hours(data.report.total.gpuHours, language),
            jobs: data.report.total.jobs,
            from: new Date(data.report.from).toLocaleDateString(language, { timeZone: 'UTC' }),
          })}
        </p>
      )}
      {data && data.jobs.length === 0 && <p className="empty">{t('myUsage.noJobs')}</p>}
      {data && data.jobs.length > 0 && (
        <table className="data">
          <caption>{t('myUsage.jobs')}</caption>
          <ColumnHeads labels={[t('usage.course'), t('usage.started'), t('usage.ended'), t('usage.gpus'), t('usage.gpuHours')]} />
          <tbody>
            {data.jobs.map((job) => (
              <tr key={job.job_id}>
                <th scope="row">{job.course}</th>
                <td data-label={t('usage.started')}>{job.startedAt ? dateTime(job.startedAt, language) : '—'}</td>
                <td data-label={t('usage.ended')}>
                  <Ended job={job} />
                </td>
                <td data-label={t('usage.gpus')}>{job.gpu}</td>
                <td data-label={t('usage.gpuHours')}>{hours(job.gpuHours, language)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
