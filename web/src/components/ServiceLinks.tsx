import type { Labelled } from '../api/types';
import { useT } from '../i18n/i18n';

/** A Ready job's URLs (Jupyter, DIGITS, …), each opening in a new tab. */
export function ServiceLinks({ services }: { services: Labelled[] }) {
  const t = useT();
  if (services.length === 0) return <p className="muted">{t('job.noLinks')}</p>;
  return (
    <ul className="links" aria-label={t('job.links')}>
      {services.map((service) => (
        <li key={service.value}>
          <a href={service.value} target="_blank" rel="noopener noreferrer" className="button primary">
            {t('job.open', { label: service.label })}
          </a>
        </li>
      ))}
    </ul>
  );
}
