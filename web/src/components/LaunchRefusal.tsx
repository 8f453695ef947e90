import { ApiError } from '../api/client';
import { useT } from '../i18n/i18n';
import { Link } from '../router';
import { Problem } from './Problem';
import { QuotaNote } from './QuotaNote';

/** The job a 409 names: with single-attach homes, the one that already mounts the home. */
const blockingJob = (error: ApiError): string | undefined => {
  const id = (error.body as { job_id?: unknown } | undefined)?.job_id;
  return typeof id === 'string' ? id : undefined;
};

/** Why a launch did not start: a quota (429, with its retry time), the job holding the home (409), or any other refusal. */
export function LaunchRefusal({ error }: { error: unknown }) {
  const t = useT();
  if (error instanceof ApiError && error.status === 429) return <QuotaNote error={error} />;
  const running = error instanceof ApiError && error.status === 409 ? blockingJob(error) : undefined;
  if (!running) return <Problem error={error} />;
  return (
    <div className="problem" role="alert">
      <p>
        <strong>{t('launch.refused')}</strong> {(error as ApiError).message}
      </p>
      <p>
        <Link href={`/jobs/${encodeURIComponent(running)}`}>{t('launch.openRunning')}</Link>
      </p>
    </div>
  );
}
