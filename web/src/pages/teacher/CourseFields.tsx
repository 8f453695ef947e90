import type { ReactNode } from 'react';
import type { Labelled } from '../../api/types';
import type { CourseField } from '../../fieldErrors';
import { useT } from '../../i18n/i18n';

/** A labelled control with its API error below it, tied by aria-describedby. */
export function Field({ id, label, error, children }: { id: CourseField; label: string; error?: string | undefined; children: (describedBy?: string) => ReactNode }) {
  const errorId = `${id}-error`;
  return (
    <div className={error ? 'field invalid' : 'field'}>
      <label htmlFor={`field-${id}`}>{label}</label>
      {children(error ? errorId : undefined)}
      {error && (
        <p id={errorId} className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** The datasets as checkboxes: a fieldset with a legend labels them as a group. */
export function DatasetPicker({ available, chosen, onChange, error }: { available: Labelled[]; chosen: string[]; onChange: (next: string[]) => void; error?: string | undefined }) {
  const t = useT();
  const names = [...new Set([...available.map((item) => item.value), ...chosen])];
  const toggle = (name: string, on: boolean) => onChange(on ? [...chosen, name] : chosen.filter((each) => each !== name));
  return (
    <fieldset className={error ? 'field invalid' : 'field'} aria-describedby={error ? 'datasets-error' : undefined}>
      <legend>{t('form.datasets')}</legend>
      {names.length === 0 && <p className="muted">{t('form.noDatasets')}</p>}
      {names.map((name) => (
        <label key={name} className="check">
          <input type="checkbox" checked={chosen.includes(name)} onChange={(event) => toggle(name, event.target.checked)} />
          {available.find((item) => item.value === name)?.label ?? name}
        </label>
      ))}
      {error && (
        <p id="datasets-error" className="field-error" role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}
