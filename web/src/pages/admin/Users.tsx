import { useDeferredValue, useState } from 'react';
import { api } from '../../api/client';
import type { ListedUser } from '../../api/types';
import { Loading, Problem } from '../../components/Problem';
import { useLoad } from '../../hooks';
import { useT } from '../../i18n/i18n';
import { ROLES } from './routes';

const PAGE = 50;

function UserRow({ user, onChange }: { user: ListedUser; onChange: (method: 'POST' | 'DELETE', role: string) => void }) {
  const t = useT();
  const missing = ROLES.filter((role) => !user.roles.includes(role));
  const [role, setRole] = useState<string>('');
  const selectId = `grant-${user.name}`;
  return (
    <li className="card">
      <strong>{user.name}</strong>
      <span className="roles">
        {user.roles.map((each) => (
          <button key={each} type="button" className="chip" aria-label={t('users.remove', { role: each, user: user.name })} onClick={() => onChange('DELETE', each)}>
            {each} ×
          </button>
        ))}
      </span>
      {missing.length > 0 && (
        <span className="grant">
          <label htmlFor={selectId} className="visually-hidden">
            {t('users.roleFor', { user: user.name })}
          </label>
          <select id={selectId} value={role} onChange={(event) => setRole(event.target.value)}>
            <option value="">{t('users.pickRole')}</option>
            {missing.map((each) => (
              <option key={each} value={each}>
                {each}
              </option>
            ))}
          </select>
          <button type="button" disabled={!role} onClick={() => role && onChange('POST', role)} aria-label={t('users.grantTo', { user: user.name })}>
            {t('users.grant')}
          </button>
        </span>
      )}
    </li>
  );
}

export default function Users() {
  const t = useT();
  const [prefix, setPrefix] = useState('');
  const [offset, setOffset] = useState(0);
  const query = useDeferredValue(prefix.trim());
  const users = useLoad(
    (signal) => api<{ users: ListedUser[]; total: number }>('GET', `/v1/user/list?${new URLSearchParams({ prefix: query, limit: String(PAGE), offset: String(offset) })}`, { signal }),
    [query, offset],
  );
  const [changeError, setChangeError] = useState<unknown>();
  const change = async (user: string, method: 'POST' | 'DELETE', role: string) => {
    setChangeError(undefined);
    try {
      await api(method, '/v1/user/role', { body: { user, role } });
    } catch (error) {
      setChangeError(error);
    }
    users.reload();
  };
  const total = users.data?.total ?? 0;
  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">{t('users.title')}</h1>
      <label className="search">
        <span>{t('users.search')}</span>
        <input type="search" value={prefix} onChange={(event) => { setPrefix(event.target.value); setOffset(0); }} />
      </label>
      <Problem error={changeError} />
      {users.loading && !users.data && <Loading />}
      <Problem error={users.error} onRetry={users.reload} />
      {users.data && users.data.users.length === 0 && <p className="empty">{t('users.empty')}</p>}
      <ul className="cards">
        {users.data?.users.map((user) => <UserRow key={user.name} user={user} onChange={(method, role) => void change(user.name, method, role)} />)}
      </ul>
      {total > PAGE && (
        <nav className="pager" aria-label={t('users.pages')}>
          <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>{t('action.previous')}</button>
          <span>{t('users.range', { from: offset + 1, to: Math.min(offset + PAGE, total), total })}</span>
          <button type="button" disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)}>{t('action.next')}</button>
        </nav>
      )}
    </section>
  );
}
