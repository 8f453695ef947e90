import { useState } from 'react';
import { ApiError } from '../api/client';
import { Problem } from '../components/Problem';
import { QuotaNote } from '../components/QuotaNote';
import { useT } from '../i18n/i18n';
import { launchCourse, progressPath } from '../launch';
import { navigate } from '../router';

/** A failed job says why, and launches the same course again on request. */
export function TryAgain({ reason, courseId }: { reason: string | null; courseId: string | null }) {
  const t = useT();
  const [error, setError] = useState<unknown>();
  const again = async () => {
    if (!courseId) return;
    setError(undefined);
    try {
      const job = await launchCourse(courseId);
      navigate(progressPath(job.job_id, courseId));
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <div className="problem" role="alert">
      <p>
        <strong>{t('progress.failed')}</strong> {reason ?? t('progress.noReason')}
      </p>
      {courseId && (
        <button type="button" className="primary" onClick={() => void again()}>
          {t('action.tryAgain')}
        </button>
      )}
      {error instanceof ApiError && error.status === 429 ? <QuotaNote error={error} /> : <Problem error={error} />}
    </div>
  );
}
