import type { Job } from '../api/types';
import { ColumnHeads } from './ColumnHeads';
import { duration } from '../format';
import { useI18n } from '../i18n/i18n';
import { Link } from '../router';
import { ConfirmButton } from './Confirm';

/** Time left before the culler stops the job, or a dash where nothing will. */
function CullLeft({ at, now }: { at: string | null | undefined; now: number }) {
  const { t } = useI18n();
  if (!at) return <>{t('job.never')}</>;
  return <>{duration(Date.parse(at) - now, t)}</>;
}

export function JobRow({ job, now, onDelete, showOwner }: { job: Job; now: number; onDelete: (job: Job) => void; showOwner?: boolean }) {
  const { t } = useI18n();
  return (
    <tr>
      <th scope="row">
        <Link href={`/jobs/${job.id}?course=${encodeURIComponent(job.course_id)}`}>{job.name}</Link>
      </th>
      {showOwner && <td data-label={t('job.owner')}>{job.user ?? ''}</td>}
      <td data-label={t('job.status')}>
        <span className={`badge ${job.status.toLowerCase()}`}>{job.status}</span>
        {job.reason && job.status !== 'Ready' && <span className="muted"> {job.reason}</span>}
      </td>
      <td data-label={t('job.age')}>{duration(now - Date.parse(job.startAt), t)}</td>
      <td data-label={t('job.maxAgeLeft')}>
        <CullLeft at={job.cullAt} now={now} />
      </td>
      <td data-label={t('job.idleLeft')}>
        <CullLeft at={job.idleCullAt} now={now} />
      </td>
      <td>
        <ConfirmButton label={t('action.delete')} name={t('action.deleteNamed', { name: job.name })} question={t('job.confirmDelete', { name: job.name })} onConfirm={() => onDelete(job)} />
      </td>
    </tr>
  );
}

export function JobTable({ jobs, onDelete, showOwner, now }: { jobs: Job[]; onDelete: (job: Job) => void; showOwner?: boolean; now: number }) {
  const { t } = useI18n();
  return (
    <table className="jobs">
      <ColumnHeads labels={[t('job.course'), ...(showOwner ? [t('job.owner')] : []), t('job.status'), t('job.age'), t('job.maxAgeLeft'), t('job.idleLeft')]} actions={t('job.actions')} />
      <tbody>
        {jobs.map((job) => (
          <JobRow key={job.id} job={job} now={now} onDelete={onDelete} {...(showOwner ? { showOwner } : {})} />
        ))}
      </tbody>
    </table>
  );
}
