import { useState } from 'react';
import { ApiError } from '../../api/client';
import { deleteClassroom } from '../../classrooms/api';
import type { Classroom } from '../../classrooms/types';
import { ConfirmButton } from '../../components/Confirm';
import { Problem } from '../../components/Problem';
import { useT } from '../../i18n/i18n';
import { navigate } from '../../router';

interface RunningJob {
  user?: string;
  status?: string;
}

/** Delete; while jobs launched through the class run, the 409 lists them and offers to stop them too. */
export function DeleteClassroom({ classroom }: { classroom: Classroom }) {
  const t = useT();
  const [error, setError] = useState<unknown>();
  const remove = async (force: boolean) => {
    setError(undefined);
    try {
      await deleteClassroom(classroom.id, force);
      navigate('/classrooms');
    } catch (failure) {
      setError(failure);
    }
  };
  const blocked = error instanceof ApiError && error.status === 409;
  const jobs = blocked ? ((error.body as { jobs?: RunningJob[] } | undefined)?.jobs ?? []) : [];
  return (
    <>
      <ConfirmButton label={t('classroom.delete')} question={t('classroom.confirmDelete', { name: classroom.name })} onConfirm={() => void remove(false)} />
      {blocked ? (
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
          <ConfirmButton label={t('classroom.forceDelete')} question={t('classroom.confirmForce', { name: classroom.name })} onConfirm={() => void remove(true)} />
        </div>
      ) : (
        <Problem error={error} />
      )}
    </>
  );
}
