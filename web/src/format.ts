import type { Translate } from './i18n/i18n';

/** "3 d 4 h", "5 min 20 s": the two largest units are enough for ages and countdowns. */
export function duration(ms: number, t: Translate): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const parts: [number, string][] = [
    [Math.floor(total / 86400), t('unit.days')],
    [Math.floor((total % 86400) / 3600), t('unit.hours')],
    [Math.floor((total % 3600) / 60), t('unit.minutes')],
    [total % 60, t('unit.seconds')],
  ];
  const first = parts.findIndex(([value]) => value > 0);
  if (first < 0) return `0 ${t('unit.seconds')}`;
  return parts
    .slice(first, first + 2)
    .filter(([value]) => value > 0)
    .map(([value, unit]) => `${value} ${unit}`)
    .join(' ');
}

export function dateTime(iso: string, language: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(language);
}
