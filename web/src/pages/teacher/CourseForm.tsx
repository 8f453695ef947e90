import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { LEVELS, type Course, type CourseDraft, type Labelled, type Level } from '../../api/types';
import { Markdown } from '../../components/Markdown';
import { Loading, Problem } from '../../components/Problem';
import { fieldOf, type CourseField } from '../../fieldErrors';
import { useLoad } from '../../hooks';
import { useT } from '../../i18n/i18n';
import { navigate } from '../../router';
import { courseBody } from './courseBody';
import { DatasetPicker, Field } from './CourseFields';

const EMPTY: CourseDraft = { name: '', introduction: '', image: '', level: 'basic', gpu: 0, datasets: [], homePath: '' };

const loadChoices = async (signal: AbortSignal) => {
  const [images, datasets] = await Promise.all([
    api<{ images: Labelled[] }>('GET', '/v1/images/', { signal }).catch(() => ({ images: [] })),
    api<{ datasets: Labelled[] }>('GET', '/v1/datasets/', { signal }).catch(() => ({ datasets: [] })),
  ]);
  return { images: images.images, datasets: datasets.datasets };
};

/** Create (no id) or edit a course; the preview is the course page's own renderer. */
export default function CourseForm({ id }: { id?: string }) {
  const t = useT();
  const existing = useLoad(
    (signal) => (id ? api<{ course: Course }>('GET', `/v1/course/get/${encodeURIComponent(id)}`, { signal }) : Promise.resolve(undefined)),
    [id],
  );
  const choices = useLoad(loadChoices, []);
  const [draft, setDraft] = useState<CourseDraft>(EMPTY);
  const [errors, setErrors] = useState<Partial<Record<CourseField, string>>>({});
  const [formError, setFormError] = useState<unknown>();
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    const course = existing.data?.course;
    if (course) setDraft({ name: course.name, introduction: course.introduction, image: course.image, level: course.level, gpu: course.gpu, datasets: course.datasets, homePath: course.homePath ?? '' });
  }, [existing.data]);

  const set = <K extends keyof CourseDraft>(key: K, value: CourseDraft[K]) => setDraft((previous) => ({ ...previous, [key]: value }));
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setErrors({});
    setFormError(undefined);
    try {
      if (id) await api('PUT', `/v1/course/update/${encodeURIComponent(id)}`, { body: courseBody(draft) });
      else await api('POST', '/v1/course/create', { body: courseBody(draft) });
      navigate('/teach');
    } catch (error) {
      const placed = fieldOf(error);
      if (placed?.field) setErrors({ [placed.field]: placed.message });
      else setFormError(error);
      setSaving(false);
    }
  };

  if (id && !existing.data) return existing.loading ? <Loading /> : <Problem error={existing.error} onRetry={existing.reload} />;
  const images = choices.data?.images ?? [];
  return (
    <section aria-labelledby="form-title">
      <h1 id="form-title">{id ? t('form.editTitle') : t('form.newTitle')}</h1>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <Field id="name" label={t('form.name')} error={errors.name}>
          {(describedBy) => <input id="field-name" required value={draft.name} aria-describedby={describedBy} onChange={(event) => set('name', event.target.value)} />}
        </Field>
        <Field id="image" label={t('form.image')} error={errors.image}>
          {(describedBy) => (
            <>
              <input id="field-image" list="image-choices" required value={draft.image} aria-describedby={describedBy ?? 'image-hint'} onChange={(event) => set('image', event.target.value)} />
              <datalist id="image-choices">
                {images.map((image) => (
                  <option key={image.value} value={image.value}>
                    {image.label}
                  </option>
                ))}
              </datalist>
              <p id="image-hint" className="muted">
                {t('form.imageHint')}
              </p>
            </>
          )}
        </Field>
        <div className="row">
          <Field id="level" label={t('form.level')} error={errors.level}>
            {(describedBy) => (
              <select id="field-level" value={draft.level} aria-describedby={describedBy} onChange={(event) => set('level', event.target.value as Level)}>
                {LEVELS.map((level) => (
                  <option key={level} value={level}>
                    {t(`level.${level}` as const)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field id="gpu" label={t('form.gpu')} error={errors.gpu}>
            {(describedBy) => (
              <input id="field-gpu" type="number" min={0} max={16} step={1} value={draft.gpu} aria-describedby={describedBy} onChange={(event) => set('gpu', Number(event.target.value))} />
            )}
          </Field>
        </div>
        <Field id="homePath" label={t('form.homePath')} error={errors.homePath}>
          {(describedBy) => (
            <>
              <input id="field-homePath" value={draft.homePath} placeholder="/home/jovyan" aria-describedby={describedBy ?? 'homePath-hint'} onChange={(event) => set('homePath', event.target.value)} />
              <p id="homePath-hint" className="muted">
                {t('form.homePathHint')}
              </p>
            </>
          )}
        </Field>
        <DatasetPicker available={choices.data?.datasets ?? []} chosen={draft.datasets} onChange={(next) => set('datasets', next)} error={errors.datasets} />
        <div className="editor">
          <Field id="introduction" label={t('form.introduction')} error={errors.introduction}>
            {(describedBy) => <textarea id="field-introduction" rows={14} value={draft.introduction} aria-describedby={describedBy} onChange={(event) => set('introduction', event.target.value)} />}
          </Field>
          <div className="preview" aria-live="off">
            <h2 id="preview-title">{t('form.preview')}</h2>
            <Markdown source={draft.introduction} label={t('form.preview')} />
          </div>
        </div>
        <Problem error={formError} />
        <div className="actions">
          <button type="submit" className="primary" disabled={saving}>
            {id ? t('action.save') : t('action.create')}
          </button>
          <button type="button" onClick={() => navigate('/teach')}>
            {t('action.cancel')}
          </button>
        </div>
      </form>
    </section>
  );
}
