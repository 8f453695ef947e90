import { ApiError } from '../api/client';
import { useT } from '../i18n/i18n';

/** A 429: which limit (the server's message says it) and when to try again (Retry-After). */
export function QuotaNote({ error }: { error: ApiError }) {
  const t = useT();
  return (
    <div className="problem" role="alert">
      <p>
        <strong>{t('launch.refused')}</strong> {error.message}
      </p>
      {error.retryAfter !== undefined && <p>{t('launch.retryAfter', { s: error.retryAfter })}</p>}
    </div>
  );
}
