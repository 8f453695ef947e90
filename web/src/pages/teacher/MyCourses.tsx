import { useState } from 'react';
import { api, ApiError } from '../../api/client';
import type { Course, Job } from '../../api/types';
import { ConfirmButton } from '../../components/Confirm';
import { Loading, Problem } from '../../components/Problem';
import { useLoad } from '../../hooks';
import { useT } from '../../i18n/i18n';
import { Link } from '../../router';

/** A 409 on delete: the server's message, and the jobs that still run when it names them. */
function DeleteRefusal({ error }: { error: unknown }) {
  const t = useT();
  if (!(error instanceof ApiError && error.status === 409)) return <Problem error={error} />;
  const jobs = (error.body as { jobs?: Partial<Job>[] } | undefined)?.jobs ?? [];
  return (
    <div className="problem" role="alert">
      <p>{error.message}</p>
      {jobs.length > 0 && (
        <ul aria-label={t('teach.runningJobs')}>
          {jobs.map((job, index) => (
            <li key={index}>
              {job.user ?? ''} {job.status ?? ''}
            </li>
          ))}
        </ul>
      )}
      <p>
        <Link href="/jobs">{t('teach.deleteJobsFirst')}</Link>
      </p>
    </div>
  );
}

export default function MyCourses() {
  const t = useT();
  const courses = useLoad((signal) => api<{ courses: Course[] }>('POST', '/v1/course/list', { body: {}, signal }), []);
  const [deleteError, setDeleteError] = useState<unknown>();
  const remove = async (course: Course) => {
    setDeleteError(undefined);
    try {
      await api('DELETE', `/v1/course/delete/${encodeURIComponent(course.id)}`);
      courses.reload();
    } catch (error) {
      setDeleteError(error);
    }
  };
  const list = courses.data?.courses ?? [];
  return (
    <section aria-labelledby="teach-title">
      <h1 id="teach-title">{t('teach.title')}</h1>
      <p>
        <Link className="button primary" href="/teach/new">
          {t('teach.new')}
        </Link>
      </p>
      <DeleteRefusal error={deleteError} />
      {courses.loading && !courses.data && <Loading />}
      <Problem error={courses.error} onRetry={courses.reload} />
      {courses.data && list.length === 0 && <p className="empty">{t('teach.empty')}</p>}
      <ul className="cards">
        {list.map((course) => (
          <li key={course.id} className="card">
            <Link href={`/course/${course.id}`}>{course.name}</Link>
            <span className="muted">{t(`level.${course.level}` as const)}</span>
            <span className="actions">
              <Link className="button" href={`/teach/edit/${course.id}`} aria-label={t('teach.editNamed', { name: course.name })}>
                {t('action.edit')}
              </Link>
              <ConfirmButton
                label={t('action.delete')}
                name={t('action.deleteNamed', { name: course.name })}
                question={t('teach.confirmDelete', { name: course.name })}
                onConfirm={() => void remove(course)}
              />
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
