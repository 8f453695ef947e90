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

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** "1.5 GiB": binary units, as the capacities (`10Gi`) they are compared with. */
export function bytes(count: number, language: string): string {
  let value = Math.max(0, count);
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 ? 0 : 1;
  return `${value.toLocaleString(language, { maximumFractionDigits: digits })} ${BYTE_UNITS[unit]}`;
}

/** "3.00": hours with the two decimals the usage report rounds to. */
export function hours(value: number, language: string): string {
  return value.toLocaleString(language, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** A range of whole days in UTC, as the usage report reads `YYYY-MM-DD`: `to` is not included. */
export interface DayRange {
  from: string;
  to: string;
}

const day = (date: Date) => date.toISOString().slice(0, 10);

/** The month (`YYYY-MM`, UTC) that `at` falls in. */
export function monthOf(at: number): string {
  return new Date(at).toISOString().slice(0, 7);
}

/** `2026-11` → 1 Nov to 1 Dec; undefined for anything but a month. */
export function monthRange(month: string): DayRange | undefined {
  const parts = /^(\d{4})-(\d{2})$/.exec(month);
  if (!parts) return undefined;
  const year = Number(parts[1]);
  const index = Number(parts[2]) - 1;
  if (index < 0 || index > 11) return undefined;
  return { from: day(new Date(Date.UTC(year, index, 1))), to: day(new Date(Date.UTC(year, index + 1, 1))) };
}

/** The `count` months up to the one `at` falls in, newest first: `['2026-11', '2026-10', …]`. */
export function recentMonths(at: number, count: number): string[] {
  const now = new Date(at);
  return Array.from({ length: count }, (_, back) => monthOf(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1)));
}

/** "November 2026" in the reader's language (the month is UTC's, as the report's). */
export function monthName(month: string, language: string): string {
  const range = monthRange(month);
  if (!range) return month;
  return new Date(`${range.from}T00:00:00Z`).toLocaleDateString(language, { year: 'numeric', month: 'long', timeZone: 'UTC' });
}

/** The month (UTC) that `at` falls in, whole: the usage pages' default range. */
export const thisMonth = (at: number): DayRange => monthRange(monthOf(at)) as DayRange;
