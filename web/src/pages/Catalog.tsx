import { useDeferredValue, useMemo, useState } from 'react';
import { api } from '../api/client';
import { LEVELS, type Course, type Level } from '../api/types';
import { Loading, Problem } from '../components/Problem';
import { useLoad } from '../hooks';
import { useT } from '../i18n/i18n';
import { Link } from '../router';

/** Shown at once; the rest on request, so that a catalog of thousands stays quick to type in. */
const PAGE = 50;

export function Catalog() {
  const t = useT();
  const [level, setLevel] = useState<Level>('basic');
  const [search, setSearch] = useState('');
  const [shown, setShown] = useState(PAGE);
  const query = useDeferredValue(search.trim().toLowerCase());
  const courses = useLoad((signal) => api<{ courses: Course[] }>('GET', `/v1/course/level/${level}`, { signal }), [level]);
  const matching = useMemo(
    () => (courses.data?.courses ?? []).filter((course) => course.name.toLowerCase().includes(query)),
    [courses.data, query],
  );
  const choose = (next: Level) => {
    setLevel(next);
    setShown(PAGE);
  };
  return (
    <section aria-labelledby="catalog-title">
      <h1 id="catalog-title">{t('catalog.title')}</h1>
      <div className="toolbar">
        <div role="group" aria-label={t('catalog.level')} className="segmented">
          {LEVELS.map((each) => (
            <button key={each} type="button" aria-pressed={each === level} onClick={() => choose(each)}>
              {t(`level.${each}` as const)}
            </button>
          ))}
        </div>
        <label className="search">
          <span>{t('catalog.search')}</span>
          <input
            type="search"
            value={search}
            placeholder={t('catalog.searchHint')}
            onChange={(event) => {
              setSearch(event.target.value);
              setShown(PAGE);
            }}
          />
        </label>
      </div>
      {courses.loading && !courses.data && <Loading />}
      <Problem error={courses.error} onRetry={courses.reload} />
      {courses.data && (
        <p className="muted" role="status">
          {t('catalog.count', { shown: Math.min(shown, matching.length), total: matching.length })}
        </p>
      )}
      {courses.data && matching.length === 0 && (
        <p className="empty">{query ? t('catalog.noMatch') : t('catalog.empty')}</p>
      )}
      <ul className="cards">
        {matching.slice(0, shown).map((course) => (
          <li key={course.id} className="card">
            <Link href={`/course/${course.id}`}>{course.name}</Link>
            <span className="muted">
              {course.user ?? t('course.noOwner')} · {t('course.gpuCount', { n: course.gpu })}
            </span>
          </li>
        ))}
      </ul>
      {matching.length > shown && (
        <button type="button" onClick={() => setShown((n) => n + PAGE)}>
          {t('catalog.more')}
        </button>
      )}
    </section>
  );
}
