import { ApiError, SessionEndedError } from '../api/client';
import { useT } from '../i18n/i18n';

/** An error in words that say what to do next; unreachable servers are retried by useLoad. */
export function Problem({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const t = useT();
  if (error === undefined || error instanceof SessionEndedError) return null;
  if (error instanceof ApiError && error.status === 0) {
    return (
      <p className="notice" role="status">
        {t('error.unreachable')}
      </p>
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div className="problem" role="alert">
      <p>{message}</p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          {t('action.retry')}
        </button>
      )}
    </div>
  );
}

export function Loading() {
  const t = useT();
  return (
    <p className="muted" role="status">
      {t('state.loading')}
    </p>
  );
}
