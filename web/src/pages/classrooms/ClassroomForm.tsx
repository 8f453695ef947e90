import { useEffect, useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError } from '../../api/client';
import { createClassroom, getClassroom, updateClassroom } from '../../classrooms/api';
import type { ClassroomDraft, WindowEndAction } from '../../classrooms/types';
import { browserZone, zoneChoices } from '../../classrooms/zone';
import { Loading, Problem } from '../../components/Problem';
import { useLoad } from '../../hooks';
import { useT } from '../../i18n/i18n';
import { navigate } from '../../router';

const FIELDS = ['name', 'description', 'timeZone', 'reservedGpu', 'leadMinutes', 'graceMinutes'] as const;
type FormField = (typeof FIELDS)[number];

/** The field a 400 is about: validation names `body/<field>`, the service starts with the field's name. */
function fieldOf(error: unknown): FormField | undefined {
  if (!(error instanceof ApiError) || error.status !== 400) return undefined;
  return FIELDS.find((field) => new RegExp(`(body/|^)(windowEnd/)?${field}\\b`).test(error.message));
}

const draftOf = (zone: string): ClassroomDraft => ({ name: '', description: '', public: false, timeZone: zone, reservedGpu: 0, leadMinutes: 10, windowEnd: { action: 'keep', graceMinutes: 0 } });

function Field({ id, label, error, hint, children }: { id: FormField; label: string; error?: string | undefined; hint?: string; children: (describedBy: string | undefined) => ReactNode }) {
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={error ? 'field invalid' : 'field'}>
      <label htmlFor={`classroom-${id}`}>{label}</label>
      {children(described)}
      {hint && (
        <p id={`${id}-hint`} className="muted">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** A classroom's settings: create one (no id; then its page opens), or edit them. */
export default function ClassroomForm({ id }: { id?: string }) {
  const t = useT();
  const existing = useLoad((signal) => (id ? getClassroom(id, signal) : Promise.resolve(undefined)), [id]);
  const [draft, setDraft] = useState<ClassroomDraft>(() => draftOf(browserZone()));
  const [error, setError] = useState<unknown>();
  const [saving, setSaving] = useState(false);
  const zones = useMemo(() => zoneChoices(draft.timeZone), [draft.timeZone]);
  useEffect(() => {
    const classroom = existing.data;
    if (classroom) {
      const { name, description, timeZone, reservedGpu, leadMinutes, windowEnd } = classroom;
      setDraft({ name, description, public: classroom.public, timeZone, reservedGpu, leadMinutes, windowEnd });
    }
  }, [existing.data]);
  const set = <K extends keyof ClassroomDraft>(key: K, value: ClassroomDraft[K]) => setDraft((previous) => ({ ...previous, [key]: value }));
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setError(undefined);
    try {
      const saved = id ? await updateClassroom(id, draft) : await createClassroom(draft);
      navigate(`/classrooms/${encodeURIComponent(saved.id)}`);
    } catch (failure) {
      setError(failure);
      setSaving(false);
    }
  };
  if (id && !existing.data) return existing.loading ? <Loading /> : <Problem error={existing.error} onRetry={existing.reload} />;
  const field = fieldOf(error);
  const errorOf = (name: FormField) => (field === name ? (error as Error).message : undefined);
  const number = (value: string) => (value === '' ? 0 : Math.max(0, Math.round(Number(value))));
  return (
    <section aria-labelledby="classroom-form-title">
      <h1 id="classroom-form-title">{id ? t('classForm.editTitle') : t('classForm.newTitle')}</h1>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <Field id="name" label={t('classForm.name')} error={errorOf('name')}>
          {(describedBy) => <input id="classroom-name" required maxLength={128} value={draft.name} aria-describedby={describedBy} onChange={(event) => set('name', event.target.value)} />}
        </Field>
        <Field id="description" label={t('classForm.description')} error={errorOf('description')}>
          {(describedBy) => <textarea id="classroom-description" rows={4} maxLength={4096} value={draft.description} aria-describedby={describedBy} onChange={(event) => set('description', event.target.value)} />}
        </Field>
        <Field id="timeZone" label={t('classForm.timeZone')} error={errorOf('timeZone')} hint={t('classForm.timeZoneHint')}>
          {(describedBy) => (
            <select id="classroom-timeZone" value={draft.timeZone} aria-describedby={describedBy} onChange={(event) => set('timeZone', event.target.value)}>
              {zones.map((zone) => (
                <option key={zone} value={zone}>
                  {zone}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="field">
          <label className="check">
            <input type="checkbox" checked={draft.public} onChange={(event) => set('public', event.target.checked)} />
            {t('classForm.public')}
          </label>
        </div>
        <div className="row">
          <Field id="reservedGpu" label={t('classForm.reservedGpu')} error={errorOf('reservedGpu')} hint={t('classForm.reservedGpuHint')}>
            {(describedBy) => <input id="classroom-reservedGpu" type="number" min={0} max={64} step={1} value={draft.reservedGpu} aria-describedby={describedBy} onChange={(event) => set('reservedGpu', number(event.target.value))} />}
          </Field>
          <Field id="leadMinutes" label={t('classForm.leadMinutes')} error={errorOf('leadMinutes')} hint={t('classForm.leadMinutesHint')}>
            {(describedBy) => <input id="classroom-leadMinutes" type="number" min={0} max={1440} step={1} value={draft.leadMinutes} aria-describedby={describedBy} onChange={(event) => set('leadMinutes', number(event.target.value))} />}
          </Field>
        </div>
        <fieldset className="field">
          <legend>{t('classForm.windowEnd')}</legend>
          {(['keep', 'stop'] as WindowEndAction[]).map((action) => (
            <label key={action} className="check">
              <input type="radio" name="window-end" value={action} checked={draft.windowEnd.action === action} onChange={() => set('windowEnd', { ...draft.windowEnd, action })} />
              {t(`windowEnd.${action}` as const)}
            </label>
          ))}
          {draft.windowEnd.action === 'stop' && (
            <Field id="graceMinutes" label={t('classForm.graceMinutes')} error={errorOf('graceMinutes')}>
              {(describedBy) => (
                <input id="classroom-graceMinutes" type="number" min={0} max={1440} step={1} value={draft.windowEnd.graceMinutes} aria-describedby={describedBy} onChange={(event) => set('windowEnd', { ...draft.windowEnd, graceMinutes: number(event.target.value) })} />
              )}
            </Field>
          )}
        </fieldset>
        {!field && <Problem error={error} />}
        <div className="actions">
          <button type="submit" className="primary" disabled={saving}>
            {id ? t('action.save') : t('classForm.create')}
          </button>
          <button type="button" onClick={() => navigate(id ? `/classrooms/${encodeURIComponent(id)}` : '/classrooms')}>
            {t('action.cancel')}
          </button>
        </div>
      </form>
    </section>
  );
}
