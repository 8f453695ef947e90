import type { Home, HomeState } from '../api/types';
import { bytes } from '../format';
import { useI18n } from '../i18n/i18n';

const BADGE: Record<HomeState, string> = { Absent: '', Pending: 'pending', Bound: 'ready', Lost: 'failed' };

export function HomeBadge({ state }: { state: HomeState }) {
  const { t } = useI18n();
  return <span className={`badge ${BADGE[state] ?? ''}`}>{t(`homeState.${state}`)}</span>;
}

/** Bytes used, or "unknown" where the runtime cannot tell. */
export function Used({ home }: { home: Home }) {
  const { t, language } = useI18n();
  return <>{home.usedBytes === null ? t('home.unknown') : bytes(home.usedBytes, language)}</>;
}
