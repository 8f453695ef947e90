import { useState, type FormEvent } from 'react';
import { ColumnHeads } from '../../components/ColumnHeads';
import { api, ApiError } from '../../api/client';
import type { Home } from '../../api/types';
import { ConfirmButton } from '../../components/Confirm';
import { Loading, Problem } from '../../components/Problem';
import { dateTime } from '../../format';
import { useLoad } from '../../hooks';
import { useI18n } from '../../i18n/i18n';
import { HomeBadge, Used } from '../../components/HomeBits';

/**
 * The route's name for a home. An orphaned one goes by the home's own name: its user's name may
 * belong to someone new by now, and the route would take that person's home.
 */
const homePath = (home: Home) => `/v1/volume/home/${encodeURIComponent(home.orphaned && home.name ? home.name : home.user)}`;

/** A new size and the button that asks for it; the API's 400 or 409 appears under the field. */
function ExpandForm({ home, onExpanded }: { home: Home; onExpanded: () => void }) {
  const { t } = useI18n();
  const [capacity, setCapacity] = useState('');
  const [error, setError] = useState<string>();
  const [saving, setSaving] = useState(false);
  // By the home's name: an orphaned home and a new user's may share the user's name.
  const id = `expand-${home.name ?? home.user}`;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    setSaving(true);
    try {
      await api('PUT', homePath(home), { body: { capacity: capacity.trim() } });
      setCapacity('');
      onExpanded();
    } catch (caught) {
      // An ended session already shows the sign-in page.
      if (caught instanceof ApiError) setError(caught.status === 0 ? t('error.unreachable') : caught.message);
    } finally {
      setSaving(false);
    }
  };
  const describedBy = error ? `${id}-error` : `${id}-hint`;
  return (
    <form className={`expand${error ? ' field invalid' : ''}`} onSubmit={(event) => void submit(event)} noValidate>
      <label htmlFor={id} className="visually-hidden">
        {t('homes.expandTo', { user: home.user })}
      </label>
      <input id={id} size={8} placeholder={home.capacity} value={capacity} aria-describedby={describedBy} aria-invalid={error ? true : undefined} onChange={(event) => setCapacity(event.target.value)} />
      <button type="submit" disabled={saving || capacity.trim() === ''} aria-label={t('homes.expandNamed', { user: home.user })}>
        {t('homes.expand')}
      </button>
      {error ? (
        <p id={`${id}-error`} className="field-error" role="alert">
          {error}
        </p>
      ) : (
        <span id={`${id}-hint`} className="visually-hidden">
          {t('homes.expandHint')}
        </span>
      )}
    </form>
  );
}

function HomeRow({ home, onChange, onDelete }: { home: Home; onChange: () => void; onDelete: (home: Home) => void }) {
  const { t, language } = useI18n();
  return (
    <tr>
      <th scope="row">
        {home.user} {home.orphaned && <span className="badge failed">{t('homes.orphaned')}</span>}
      </th>
      <td data-label={t('home.state')}>
        <HomeBadge state={home.state} />
        {home.reason && <span className="muted"> {home.reason}</span>}
      </td>
      <td data-label={t('home.capacity')}>{home.capacity}</td>
      <td data-label={t('home.used')}>
        <Used home={home} />
      </td>
      <td data-label={t('home.created')}>{home.createAt ? dateTime(home.createAt, language) : '—'}</td>
      <td data-label={t('homes.name')}>
        <code>{home.name ?? '—'}</code>
      </td>
      <td>
        <ExpandForm home={home} onExpanded={onChange} />
        {home.orphaned && (
          <ConfirmButton
            label={t('action.delete')}
            name={t('homes.deleteNamed', { user: home.user })}
            question={t('homes.confirmDelete', { user: home.user })}
            onConfirm={() => onDelete(home)}
          />
        )}
      </td>
    </tr>
  );
}

/** Every home folder, the orphaned ones marked (and filterable); expand one, delete an orphan. */
export default function Homes() {
  const { t } = useI18n();
  const homes = useLoad((signal) => api<{ homes: Home[] }>('GET', '/v1/volume/list', { signal }), []);
  const [orphanedOnly, setOrphanedOnly] = useState(false);
  const [deleteError, setDeleteError] = useState<unknown>();
  const remove = async (home: Home) => {
    setDeleteError(undefined);
    try {
      await api('DELETE', homePath(home));
    } catch (error) {
      setDeleteError(error);
    }
    homes.reload();
  };
  const all = homes.data?.homes ?? [];
  const shown = orphanedOnly ? all.filter((home) => home.orphaned) : all;
  return (
    <section aria-labelledby="homes-title">
      <h1 id="homes-title">{t('homes.title')}</h1>
      <p className="toolbar">
        <label className="check">
          <input type="checkbox" checked={orphanedOnly} onChange={(event) => setOrphanedOnly(event.target.checked)} />
          {t('homes.orphanedOnly')}
        </label>
        {homes.data && <span className="muted">{t('homes.count', { shown: shown.length, total: all.length })}</span>}
      </p>
      <Problem error={deleteError} />
      {homes.loading && !homes.data && <Loading />}
      <Problem error={homes.error} onRetry={homes.reload} />
      {homes.data && shown.length === 0 && <p className="empty">{orphanedOnly ? t('homes.noOrphans') : t('homes.empty')}</p>}
      {shown.length > 0 && (
        <table className="data">
          <caption>{t('homes.caption')}</caption>
          <ColumnHeads labels={[t('homes.owner'), t('home.state'), t('home.capacity'), t('home.used'), t('home.created'), t('homes.name')]} actions={t('job.actions')} />
          <tbody>
            {shown.map((home) => (
              <HomeRow key={home.name ?? home.user} home={home} onChange={homes.reload} onDelete={(each) => void remove(each)} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
