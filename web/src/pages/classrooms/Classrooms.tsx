import { useState } from 'react';
import { hasRole } from '../../api/session';
import { joinClassroom, listClassrooms } from '../../classrooms/api';
import type { Classroom } from '../../classrooms/types';
import { dayAndTime, timeOf } from '../../classrooms/zone';
import { Loading, Problem } from '../../components/Problem';
import { useLoad } from '../../hooks';
import { useI18n, useT } from '../../i18n/i18n';
import { Link } from '../../router';

/** "Open now until 12:00", "Next: Mon 15 Feb, 09:00", or that none is planned; on the class's clock. */
export function WindowSummary({ classroom }: { classroom: Pick<Classroom, 'openWindow' | 'nextWindow' | 'timeZone'> }) {
  const { t, language } = useI18n();
  const { openWindow, nextWindow, timeZone } = classroom;
  if (openWindow) return <span className="badge ready">{t('classrooms.openUntil', { end: timeOf(openWindow.ends_at, timeZone) })}</span>;
  if (nextWindow) return <span className="muted">{t('classrooms.next', { when: dayAndTime(nextWindow.starts_at, timeZone, language) })}</span>;
  return <span className="muted">{t('classrooms.noWindow')}</span>;
}

/** Joining is for public classrooms only; the server says no to the rest. */
export function JoinButton({ classroom, onJoined }: { classroom: Classroom; onJoined: () => void }) {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const join = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await joinClassroom(classroom.id);
      onJoined();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" className="primary" disabled={busy} aria-label={t('classrooms.joinNamed', { name: classroom.name })} onClick={() => void join()}>
        {t('classrooms.join')}
      </button>
      <Problem error={error} />
    </>
  );
}

/** A person's classrooms and the public ones; teachers make new ones here, admins may see all. */
export default function Classrooms() {
  const t = useT();
  const teaches = hasRole('teacher') || hasRole('admin');
  const [all, setAll] = useState(false);
  const classrooms = useLoad((signal) => listClassrooms(all, signal), [all]);
  const list = classrooms.data ?? [];
  return (
    <section aria-labelledby="classrooms-title">
      <h1 id="classrooms-title">{teaches ? t('classrooms.title') : t('classrooms.mine')}</h1>
      {teaches && (
        <p>
          <Link className="button primary" href="/classrooms/new">
            {t('classrooms.new')}
          </Link>
        </p>
      )}
      {hasRole('admin') && (
        <label className="check">
          <input type="checkbox" checked={all} onChange={(event) => setAll(event.target.checked)} />
          {t('classrooms.all')}
        </label>
      )}
      {classrooms.loading && !classrooms.data && <Loading />}
      <Problem error={classrooms.error} onRetry={classrooms.reload} />
      {classrooms.data && list.length === 0 && <p className="empty">{teaches ? t('classrooms.emptyTeacher') : t('classrooms.empty')}</p>}
      <ul className="cards">
        {list.map((classroom) => (
          <li key={classroom.id} className="card">
            <Link href={`/classrooms/${encodeURIComponent(classroom.id)}`}>{classroom.name}</Link>
            <span className="muted">{classroom.role ? t(`classRole.${classroom.role}` as const) : t('classrooms.public')}</span>
            <WindowSummary classroom={classroom} />
            <span className="muted">{t('classrooms.members', { n: classroom.memberCount })}</span>
            {classroom.role === null && classroom.public && (
              <span className="actions">
                <JoinButton classroom={classroom} onJoined={classrooms.reload} />
              </span>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
