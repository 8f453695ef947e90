/**
 * Times in the classroom's zone, not the reader's: a class meets at 09:00 where it is taught, and
 * the week view draws that week's days as the zone counts them (a daylight-saving day is 23 or 25
 * hours long). luxon is the server's calendar library too, so both read a zone the same way.
 */
import { DateTime } from 'luxon';
import type { Language } from '../i18n/i18n';
import type { WindowView } from './types';

export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** The zones a select offers: the runtime's IANA list, with the browser's and `current` surely in it. */
export function zoneChoices(current: string): string[] {
  const known = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return [...new Set([...known, 'UTC', browserZone(), current].filter(Boolean))].sort();
}

const inZone = (iso: string, zone: string, language: Language) => DateTime.fromISO(iso, { zone }).setLocale(language);

/** "Mon 15 Feb, 09:00" (en) or "2月15日 週一 09:00" (zh-TW), on the zone's wall clock. */
export function dayAndTime(iso: string, zone: string, language: Language): string {
  const at = inZone(iso, zone, language);
  if (language === 'en') return at.toFormat('ccc d LLL, HH:mm');
  return at.toLocaleString({ month: 'short', day: 'numeric', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
}

/** "Mon 15 Feb" (en) or "2月15日 週一" (zh-TW): a day of the week view. */
export function dayOf(at: DateTime, language: Language): string {
  const local = at.setLocale(language);
  return language === 'en' ? local.toFormat('ccc d LLL') : local.toLocaleString({ month: 'short', day: 'numeric', weekday: 'short' });
}

/** "8 February 2027" (en) or "2027年2月8日" (zh-TW): the week view's title. */
export function longDate(at: DateTime, language: Language): string {
  const local = at.setLocale(language);
  return language === 'en' ? local.toFormat('d LLLL yyyy') : local.toLocaleString({ day: 'numeric', month: 'long', year: 'numeric' });
}

/** "12:00": the end of a window that starts the same day needs no date. */
export function timeOf(iso: string, zone: string): string {
  return DateTime.fromISO(iso, { zone }).toFormat('HH:mm');
}

/** "Mon 15 Feb, 09:00–12:00", or both dates when it runs past midnight. */
export function windowText(window: WindowView, zone: string, language: Language): string {
  const start = DateTime.fromISO(window.starts_at, { zone });
  const end = DateTime.fromISO(window.ends_at, { zone });
  const endText = start.hasSame(end, 'day') ? end.toFormat('HH:mm') : dayAndTime(window.ends_at, zone, language);
  return `${dayAndTime(window.starts_at, zone, language)}–${endText}`;
}

/** The window open at `now`, or else the first one after it (windows are sorted). */
export function windowState(windows: readonly WindowView[], now: number): { open?: WindowView; next?: WindowView } {
  const open = windows.find((window) => Date.parse(window.starts_at) <= now && now < Date.parse(window.ends_at));
  if (open) return { open };
  const next = windows.find((window) => Date.parse(window.starts_at) > now);
  return next ? { next } : {};
}

/** Monday 00:00 of the week `at` falls in, in the zone (luxon's weeks are ISO weeks). */
export function weekStart(at: number, zone: string): DateTime {
  return DateTime.fromMillis(at, { zone }).startOf('week');
}

/** "2027-02-15": the zone's date of an instant, as the term inputs take it. */
export function dateIn(at: number, zone: string): string {
  return DateTime.fromMillis(at, { zone }).toISODate() ?? '';
}

export function addDays(date: string, days: number, zone: string): string {
  return DateTime.fromISO(date, { zone }).plus({ days }).toISODate() ?? date;
}
