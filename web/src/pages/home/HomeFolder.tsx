import { useState } from 'react';
import { api, ApiError } from '../../api/client';
import type { Home } from '../../api/types';
import { ConfirmButton } from '../../components/Confirm';
import { Loading, Problem } from '../../components/Problem';
import { HomeBadge, Used } from '../../components/HomeBits';
import { dateTime } from '../../format';
import { useLoad } from '../../hooks';
import { useI18n } from '../../i18n/i18n';
import { Link } from '../../router';

/** A refused delete: the server's words, and (a 409: a job mounts it) the way to the jobs. */
function DeleteRefusal({ error }: { error: unknown }) {
  const { t } = useI18n();
  if (!(error instanceof ApiError && error.status === 409)) return <Problem error={error} />;
  return (
    <div className="problem" role="alert">
      <p>{error.message}</p>
      <p>
        <Link href="/jobs">{t('home.deleteJobsFirst')}</Link>
      </p>
    </div>
  );
}

/** The caller's home folder: what it is, and a delete that asks first. */
export function HomeFolder() {
  const { t, language } = useI18n();
  const home = useLoad((signal) => api<{ home: Home }>('GET', '/v1/volume/home', { signal }), []);
  const [deleteError, setDeleteError] = useState<unknown>();
  const [deleted, setDeleted] = useState(false);
  const remove = async (user: string) => {
    setDeleteError(undefined);
    try {
      await api('DELETE', `/v1/volume/home/${encodeURIComponent(user)}`);
      setDeleted(true);
      home.reload();
    } catch (error) {
      setDeleteError(error);
    }
  };
  const mine = home.data?.home;
  return (
    <section aria-labelledby="home-folder-title">
      <h2 id="home-folder-title">{t('home.folder')}</h2>
      {home.loading && !home.data && <Loading />}
      <Problem error={home.error} onRetry={home.reload} />
      {deleted && (
        <p className="notice" role="status">
          {t('home.deleted')}
        </p>
      )}
      {mine && (
        <>
          <p>{mine.state === 'Absent' ? t('home.absent') : t('home.kept')}</p>
          <dl className="facts">
            <dt>{t('home.state')}</dt>
            <dd>
              <HomeBadge state={mine.state} />
            </dd>
            {mine.reason && (
              <>
                <dt>{t('home.reason')}</dt>
                <dd>{mine.reason}</dd>
              </>
            )}
            <dt>{t('home.capacity')}</dt>
            <dd>{mine.capacity}</dd>
            {mine.state !== 'Absent' && (
              <>
                <dt>{t('home.used')}</dt>
                <dd>
                  <Used home={mine} />
                </dd>
              </>
            )}
            <dt>{t('home.mountPath')}</dt>
            <dd>
              <code>{mine.mountPath}</code>
            </dd>
            {mine.createAt && (
              <>
                <dt>{t('home.created')}</dt>
                <dd>{dateTime(mine.createAt, language)}</dd>
              </>
            )}
          </dl>
          <DeleteRefusal error={deleteError} />
          {mine.state !== 'Absent' && (
            <p className="actions">
              <ConfirmButton label={t('home.delete')} question={t('home.confirmDelete')} onConfirm={() => void remove(mine.user)} />
            </p>
          )}
        </>
      )}
    </section>
  );
}
