import { DateTime } from 'luxon';

/** RFC 3339 in UTC to the second, as the spec's `createAt` and `startAt` are written. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * An RFC 3339 time (`2026-11-01T08:00:00Z`, `…+08:00`) or a date (`2026-11-01`, UTC midnight);
 * undefined for anything else, a day that does not exist (`2026-02-30`) included.
 */
export function parseTimeOrDate(text: string): Date | undefined {
  const match = DATE.exec(text) ?? DATE_TIME.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour = '0', minute = '0', second = '0'] = match.slice(1, 7).map((part) => part ?? '0');
  const calendar = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second)));
  // Date.UTC rolls over (Feb 30 is Mar 2, 24:00 is the next day): a value that moved was not a real one.
  const real =
    calendar.getUTCFullYear() === Number(year) &&
    calendar.getUTCMonth() === Number(month) - 1 &&
    calendar.getUTCDate() === Number(day) &&
    calendar.getUTCHours() === Number(hour) &&
    calendar.getUTCMinutes() === Number(minute) &&
    calendar.getUTCSeconds() === Number(second);
  if (!real) return undefined;
  const parsed = new Date(match[0].length === 10 ? `${text}T00:00:00Z` : text.toUpperCase());
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

/** RFC 3339 in an IANA zone, with its offset then: `2027-03-29T09:00:00+02:00`. */
export function formatInZone(date: Date, zone: string): string {
  return DateTime.fromJSDate(date, { zone }).toISO({ suppressMilliseconds: true }) ?? date.toISOString();
}
