import { useState } from 'react';
import { api } from '../../api/client';
import { LEVELS, type Course } from '../../api/types';
import { updateClassroom } from '../../classrooms/api';
import type { ClassCourse, Classroom } from '../../classrooms/types';
import { dayAndTime, windowState } from '../../classrooms/zone';
import { LaunchRefusal } from '../../components/LaunchRefusal';
import { Problem } from '../../components/Problem';
import { useLoad, useNow } from '../../hooks';
import { useI18n, useT } from '../../i18n/i18n';
import { useLaunch } from '../../launch';
import { Link } from '../../router';

/** The teacher's own courses and the catalog's, each once: where assigned courses come from. */
async function loadChoices(signal: AbortSignal) {
  const [own, ...levels] = await Promise.all([
    api<{ courses: Course[] }>('POST', '/v1/course/list', { body: {}, signal }).catch(() => ({ courses: [] })),
    ...LEVELS.map((level) => api<{ courses: Course[] }>('GET', `/v1/course/level/${level}`, { signal }).catch(() => ({ courses: [] }))),
  ]);
  const mine = new Set(own.courses.map((course) => course.id));
  return { own: own.courses, catalog: levels.flatMap((level) => level.courses).filter((course) => !mine.has(course.id)) };
}

/**
 * A course's Launch button inside the class: it sends the classroom, and outside a window it is
 * disabled and says when the next one opens, on the classroom's clock. The class's teachers and
 * admins may launch at any time, as the server lets them.
 */
function ClassLaunch({ classroom, course, anyTime }: { classroom: Classroom; course: ClassCourse; anyTime: boolean }) {
  const { t, language } = useI18n();
  const now = useNow(15_000);
  const { busy, error, launch } = useLaunch(course.id, classroom.id);
  const windows = classroom.windows ?? [];
  const { open, next } = windows.length > 0 ? windowState(windows, now) : { open: classroom.openWindow ?? undefined, next: classroom.nextWindow ?? undefined };
  const allowed = anyTime || open !== undefined;
  const text = busy ? t('launch.starting') : allowed ? t('launch.button') : next ? t('classLaunch.opens', { when: dayAndTime(next.starts_at, classroom.timeZone, language) }) : t('classLaunch.noWindow');
  return (
    <>
      <button type="button" className={allowed ? 'primary' : ''} disabled={busy || !allowed} aria-label={`${text} (${course.name})`} onClick={launch}>
        {text}
      </button>
      <LaunchRefusal error={error} />
    </>
  );
}

function CoursePicker({ assigned, onAssign, busy }: { assigned: string[]; onAssign: (id: string) => void; busy: boolean }) {
  const t = useT();
  const choices = useLoad(loadChoices, []);
  const [chosen, setChosen] = useState('');
  const open = (list: Course[]) => list.filter((course) => !assigned.includes(course.id));
  const own = open(choices.data?.own ?? []);
  const catalog = open(choices.data?.catalog ?? []);
  return (
    <form
      className="toolbar"
      onSubmit={(event) => {
        event.preventDefault();
        if (chosen) onAssign(chosen);
        setChosen('');
      }}
    >
      <label className="search">
        <span>{t('classCourses.pick')}</span>
        <select value={chosen} onChange={(event) => setChosen(event.target.value)}>
          <option value="">{t('classCourses.choose')}</option>
          {own.length > 0 && (
            <optgroup label={t('classCourses.own')}>
              {own.map((course) => (
                <option key={course.id} value={course.id}>
                  {course.name}
                </option>
              ))}
            </optgroup>
          )}
          {catalog.length > 0 && (
            <optgroup label={t('classCourses.catalog')}>
              {catalog.map((course) => (
                <option key={course.id} value={course.id}>
                  {course.name}
                </option>
              ))}
            </optgroup>
          )}
        </select>
      </label>
      <button type="submit" disabled={busy || chosen === ''}>
        {t('classCourses.assign')}
      </button>
    </form>
  );
}

/** The courses assigned to the class, in order: launch from here; its teachers assign and remove them. */
export function ClassroomCourses({ classroom, editable, anyTime, onChange }: { classroom: Classroom; editable: boolean; anyTime: boolean; onChange: (classroom: Classroom) => void }) {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const ids = classroom.courses.map((course) => course.id);
  const save = async (courses: string[]) => {
    setBusy(true);
    setError(undefined);
    try {
      onChange(await updateClassroom(classroom.id, { courses }));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const member = classroom.role !== null || anyTime;
  return (
    <>
      {classroom.courses.length === 0 && <p className="empty">{editable ? t('classCourses.emptyTeacher') : t('classCourses.empty')}</p>}
      <ul className="cards">
        {classroom.courses.map((course) => (
          <li key={course.id} className="card">
            <Link href={`/course/${encodeURIComponent(course.id)}`}>{course.name}</Link>
            <span className="muted">
              {t(`level.${course.level}` as const)} · {t('course.gpuCount', { n: course.gpu })}
            </span>
            <span className="actions">
              {member && <ClassLaunch classroom={classroom} course={course} anyTime={anyTime} />}
              {editable && (
                <button type="button" className="danger" disabled={busy} aria-label={t('classCourses.removeNamed', { name: course.name })} onClick={() => void save(ids.filter((id) => id !== course.id))}>
                  {t('classCourses.remove')}
                </button>
              )}
            </span>
          </li>
        ))}
      </ul>
      {editable && <CoursePicker assigned={ids} busy={busy} onAssign={(id) => void save([...ids, id])} />}
      <Problem error={error} />
    </>
  );
}
