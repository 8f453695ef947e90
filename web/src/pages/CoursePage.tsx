import { api } from '../api/client';
import type { Course } from '../api/types';
import { Markdown } from '../components/Markdown';
import { Loading, Problem } from '../components/Problem';
import { LaunchRefusal } from '../components/LaunchRefusal';
import { dateTime } from '../format';
import { useLoad } from '../hooks';
import { useI18n } from '../i18n/i18n';
import { useLaunch } from '../launch';

export function CoursePage({ id }: { id: string }) {
  const { t, language } = useI18n();
  const loaded = useLoad((signal) => api<{ course: Course }>('GET', `/v1/course/get/${encodeURIComponent(id)}`, { signal }), [id]);
  const { busy, error: launchError, launch } = useLaunch(id);
  const course = loaded.data?.course;

  if (!course) return loaded.loading ? <Loading /> : <Problem error={loaded.error} onRetry={loaded.reload} />;
  return (
    <article aria-labelledby="course-title">
      <h1 id="course-title">{course.name}</h1>
      <dl className="facts">
        <dt>{t('course.teacher')}</dt>
        <dd>{course.user ?? t('course.noOwner')}</dd>
        <dt>{t('course.image')}</dt>
        <dd>
          <code>{course.image}</code>
        </dd>
        <dt>{t('course.gpu')}</dt>
        <dd>{course.gpu}</dd>
        <dt>{t('course.level')}</dt>
        <dd>{t(`level.${course.level}` as const)}</dd>
        <dt>{t('course.datasets')}</dt>
        <dd>{course.datasets.length > 0 ? course.datasets.join(', ') : t('course.noDatasets')}</dd>
        {course.homePath && (
          <>
            <dt>{t('course.homePath')}</dt>
            <dd>
              <code>{course.homePath}</code>
            </dd>
          </>
        )}
        <dt>{t('course.created')}</dt>
        <dd>{dateTime(course.createAt, language)}</dd>
      </dl>
      <div className="actions">
        <button type="button" className="primary" onClick={launch} disabled={busy}>
          {busy ? t('launch.starting') : t('launch.button')}
        </button>
      </div>
      <LaunchRefusal error={launchError} />
      <h2>{t('course.introduction')}</h2>
      <Markdown source={course.introduction} />
    </article>
  );
}
