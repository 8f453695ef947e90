import { LaunchRefusal } from '../components/LaunchRefusal';
import { useT } from '../i18n/i18n';
import { useLaunch } from '../launch';

/** A failed job says why, and launches the same course again on request. */
export function TryAgain({ reason, courseId, classroomId = null }: { reason: string | null; courseId: string | null; classroomId?: string | null }) {
  const t = useT();
  const { busy, error, launch } = useLaunch(courseId, classroomId ?? undefined);
  return (
    <div className="problem" role="alert">
      <p>
        <strong>{t('progress.failed')}</strong> {reason ?? t('progress.noReason')}
      </p>
      {courseId && (
        <button type="button" className="primary" onClick={launch} disabled={busy}>
          {t('action.tryAgain')}
        </button>
      )}
      <LaunchRefusal error={error} />
    </div>
  );
}
