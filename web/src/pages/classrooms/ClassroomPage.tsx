import { useState } from 'react';
import { hasRole } from '../../api/session';
import { getClassroom, updateClassroom } from '../../classrooms/api';
import type { Classroom, WindowInput } from '../../classrooms/types';
import { Loading, Problem } from '../../components/Problem';
import { useLoad } from '../../hooks';
import { useT } from '../../i18n/i18n';
import { Link } from '../../router';
import { ClassJobs } from './ClassJobs';
import { ClassroomCourses } from './ClassroomCourses';
import { JoinButton, WindowSummary } from './Classrooms';
import { DeleteClassroom } from './DeleteClassroom';
import { Roster } from './Roster';
import { WeekView } from './WeekView';

function Facts({ classroom }: { classroom: Classroom }) {
  const t = useT();
  const { windowEnd } = classroom;
  return (
    <dl className="facts">
      <dt>{t('classroom.launches')}</dt>
      <dd>
        <WindowSummary classroom={classroom} />
      </dd>
      <dt>{t('classForm.timeZone')}</dt>
      <dd>{classroom.timeZone}</dd>
      <dt>{t('classroom.yourRole')}</dt>
      <dd>{classroom.role ? t(`classRole.${classroom.role}` as const) : t('classroom.notMember')}</dd>
      <dt>{t('classroom.memberCount')}</dt>
      <dd>{classroom.memberCount}</dd>
      <dt>{t('classForm.reservedGpu')}</dt>
      <dd>{classroom.reservedGpu}</dd>
      <dt>{t('classForm.windowEnd')}</dt>
      <dd>{windowEnd.action === 'stop' ? t('classroom.stopsAfter', { minutes: windowEnd.graceMinutes }) : t('windowEnd.keep')}</dd>
    </dl>
  );
}

/**
 * One classroom. Everyone in it sees its courses (with Launch) and its windows; its teachers and
 * admins edit the roster, the courses and the windows; teachers and TAs watch its running jobs.
 */
export default function ClassroomPage({ id }: { id: string }) {
  const t = useT();
  const loaded = useLoad((signal) => getClassroom(id, signal), [id]);
  const [changed, setChanged] = useState<Classroom>();
  const classroom = changed ?? loaded.data;
  if (!classroom) return loaded.loading ? <Loading /> : <Problem error={loaded.error} onRetry={loaded.reload} />;

  const admin = hasRole('admin');
  const manages = admin || classroom.role === 'teacher';
  const watches = manages || classroom.role === 'ta';
  const saveWindows = async (windows: WindowInput[]) => setChanged(await updateClassroom(classroom.id, { windows }));
  const reload = () => {
    setChanged(undefined);
    loaded.reload();
  };
  return (
    <article aria-labelledby="classroom-title">
      <h1 id="classroom-title">{classroom.name}</h1>
      {classroom.description && <p className="description">{classroom.description}</p>}
      <Facts classroom={classroom} />
      {classroom.role === null && classroom.public && !admin && (
        <div className="actions">
          <JoinButton classroom={classroom} onJoined={reload} />
        </div>
      )}
      {manages && (
        <div className="actions">
          <Link className="button" href={`/classrooms/${encodeURIComponent(classroom.id)}/edit`}>
            {t('classroom.edit')}
          </Link>
          <DeleteClassroom classroom={classroom} />
        </div>
      )}

      <section aria-labelledby="classroom-courses">
        <h2 id="classroom-courses">{t('classroom.courses')}</h2>
        <ClassroomCourses classroom={classroom} editable={manages} anyTime={manages} onChange={setChanged} />
      </section>

      <section aria-labelledby="classroom-windows">
        <h2 id="classroom-windows">{t('classroom.windows')}</h2>
        <WeekView key={classroom.timeZone} zone={classroom.timeZone} windows={classroom.windows ?? []} editable={manages} onSave={saveWindows} />
      </section>

      {watches && (
        <section aria-labelledby="classroom-roster">
          <h2 id="classroom-roster">{t('classroom.roster')}</h2>
          <Roster classroom={classroom} editable={manages} onChange={setChanged} />
        </section>
      )}
      {watches && (
        <section aria-labelledby="classroom-jobs">
          <h2 id="classroom-jobs">{t('classroom.running')}</h2>
          <ClassJobs classroomId={classroom.id} />
        </section>
      )}
    </article>
  );
}
