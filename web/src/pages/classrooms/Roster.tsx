import { useState, type ChangeEvent, type FormEvent } from 'react';
import { changeMembers, importRoster, unknownNames } from '../../classrooms/api';
import { CLASS_ROLES, type Classroom, type ClassRole } from '../../classrooms/types';
import { ColumnHeads } from '../../components/ColumnHeads';
import { Problem } from '../../components/Problem';
import { useT } from '../../i18n/i18n';

function RoleOptions() {
  const t = useT();
  return (
    <>
      {CLASS_ROLES.map((role) => (
        <option key={role} value={role}>
          {t(`classRole.${role}` as const)}
        </option>
      ))}
    </>
  );
}

/** A refused roster change: the server's message, and the names that are not users, one by one. */
function RosterProblem({ error }: { error: unknown }) {
  const t = useT();
  const unknown = unknownNames(error);
  if (unknown.length === 0) return <Problem error={error} />;
  return (
    <div className="problem" role="alert">
      <p>{(error as Error).message}</p>
      <p>{t('roster.nothingChanged')}</p>
      <ul aria-label={t('roster.unknown')}>
        {unknown.map((name) => (
          <li key={name}>
            <code>{name}</code>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Who is in the class: a table, add by name and role, remove, and a CSV roster (a file or pasted). */
export function Roster({ classroom, editable, onChange }: { classroom: Classroom; editable: boolean; onChange: (classroom: Classroom) => void }) {
  const t = useT();
  const [name, setName] = useState('');
  const [role, setRole] = useState<ClassRole>('student');
  const [csv, setCsv] = useState('');
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState(false);
  const members = classroom.members ?? [];

  const run = async (work: () => Promise<Classroom>, message = '') => {
    setBusy(true);
    setError(undefined);
    setDone('');
    try {
      onChange(await work());
      setDone(message);
      return true;
    } catch (failure) {
      setError(failure);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const add = async (event: FormEvent) => {
    event.preventDefault();
    const user = name.trim();
    if (user && (await run(() => changeMembers(classroom.id, { add: [{ user, role }] }), t('roster.added', { n: 1 })))) setName('');
  };
  const upload = async () => {
    let added = 0;
    const ok = await run(async () => {
      const answer = await importRoster(classroom.id, csv);
      added = answer.added;
      return answer.classroom;
    });
    if (ok) {
      setCsv('');
      setDone(t('roster.added', { n: added }));
    }
  };
  const readFile = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    if (file) void file.text().then(setCsv);
  };

  return (
    <>
      {members.length === 0 ? (
        <p className="empty">{t('roster.empty')}</p>
      ) : (
        <table className="data">
          <caption>{t('roster.caption', { n: classroom.memberCount })}</caption>
          <ColumnHeads labels={[t('roster.name'), t('roster.role')]} {...(editable ? { actions: t('job.actions') } : {})} />
          <tbody>
            {members.map((member) => (
              <tr key={member.user}>
                <th scope="row">{member.user}</th>
                <td data-label={t('roster.role')}>
                  {editable ? (
                    // Adding a member again with another role changes it (the members route's "re-role").
                    <select value={member.role} disabled={busy} aria-label={t('roster.roleOf', { user: member.user })} onChange={(event) => void run(() => changeMembers(classroom.id, { add: [{ user: member.user, role: event.target.value as ClassRole }] }))}>
                      <RoleOptions />
                    </select>
                  ) : (
                    t(`classRole.${member.role}` as const)
                  )}
                </td>
                {editable && (
                  <td>
                    <button type="button" className="danger" disabled={busy} aria-label={t('roster.removeNamed', { user: member.user })} onClick={() => void run(() => changeMembers(classroom.id, { remove: [member.user] }))}>
                      {t('roster.remove')}
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editable && (
        <>
          <form className="toolbar" onSubmit={(event) => void add(event)}>
            <label className="search">
              <span>{t('roster.name')}</span>
              <input value={name} autoComplete="off" onChange={(event) => setName(event.target.value)} />
            </label>
            <label className="search">
              <span>{t('roster.role')}</span>
              <select value={role} onChange={(event) => setRole(event.target.value as ClassRole)}>
                <RoleOptions />
              </select>
            </label>
            <button type="submit" disabled={busy || name.trim() === ''}>
              {t('roster.add')}
            </button>
          </form>
          <fieldset className="field roster-import">
            <legend>{t('roster.import')}</legend>
            <p className="muted" id="roster-csv-hint">
              {t('roster.csvHint')}
            </p>
            <label className="search">
              <span>{t('roster.file')}</span>
              <input type="file" accept=".csv,text/csv,text/plain" onChange={readFile} />
            </label>
            <label className="search">
              <span>{t('roster.paste')}</span>
              <textarea rows={5} value={csv} aria-describedby="roster-csv-hint" onChange={(event) => setCsv(event.target.value)} />
            </label>
            <div className="actions">
              <button type="button" disabled={busy || csv.trim() === ''} onClick={() => void upload()}>
                {t('roster.importButton')}
              </button>
            </div>
          </fieldset>
        </>
      )}
      {done && (
        <p className="notice" role="status">
          {done}
        </p>
      )}
      <RosterProblem error={error} />
    </>
  );
}
