/**
 * Launch windows: what teachers write (dated intervals, or a weekly rule over a term) turned into
 * the dated instants that are stored, and the questions asked of them ("is one open now?",
 * "when is the next?"). Times are read in the classroom's IANA zone, so a rule of "mon 09:00"
 * stays 09:00 on the wall clock across a daylight-saving change.
 */

import { DateTime, IANAZone } from 'luxon';
import { Type, type Static } from 'typebox';
import { ServiceError } from '../common/errors.js';
import { formatInZone } from '../common/time.js';

/** More would be a schedule nobody reads, and a classroom's row set that every launch walks. */
export const MAX_WINDOWS = 1000;

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const LOCAL_OR_OFFSET_TIME = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:00)?(Z|[+-]\\d{2}:\\d{2})?$';
const WindowTime = Type.String({
  pattern: LOCAL_OR_OFFSET_TIME,
  description: "a time to the minute: 2027-02-15T09:00 (in the classroom's zone) or with an offset, 2027-02-15T09:00+01:00",
});
const ClockTime = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'a wall-clock time, HH:MM' });
const CalendarDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'a date, YYYY-MM-DD' });

export const DatedWindowSchema = Type.Object({ starts_at: WindowTime, ends_at: WindowTime }, { additionalProperties: false });

export const WeeklyWindowSchema = Type.Object(
  {
    weekly: Type.Object(
      {
        days: Type.Array(Type.Enum([...WEEKDAYS]), { minItems: 1, maxItems: 7, uniqueItems: true }),
        start: ClockTime,
        end: ClockTime,
        from: CalendarDate,
        until: { ...CalendarDate, description: 'the last date, included' },
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/** One item of a classroom's `windows`: a dated interval, or a weekly rule expanded when written. */
export const WindowInputSchema = Type.Union([DatedWindowSchema, WeeklyWindowSchema]);
export type WindowInput = Static<typeof WindowInputSchema>;

export interface LaunchWindow {
  startsAt: Date;
  endsAt: Date;
}

export function isTimeZone(zone: string): boolean {
  return zone.length <= 64 && IANAZone.isValidZone(zone);
}

/** A 400 that names the field; the routes answer it in the spec's envelope. */
function invalid(message: string): ServiceError {
  return new ServiceError('invalid', message);
}

export function requireTimeZone(zone: string, field = 'timeZone'): void {
  if (!isTimeZone(zone)) throw invalid(`${field} ${JSON.stringify(zone)} is not a known IANA time zone, e.g. Europe/Berlin`);
}

/**
 * The stored form of `inputs`: dated intervals, sorted, with overlapping or touching ones merged,
 * so that "open now" is one interval. Refuses an end not after its start, a date or time that
 * does not exist, and more than MAX_WINDOWS windows.
 */
export function expandWindows(inputs: readonly WindowInput[], zone: string): LaunchWindow[] {
  requireTimeZone(zone);
  const expanded: LaunchWindow[] = [];
  inputs.forEach((input, index) => {
    const field = `windows/${index}`;
    if ('weekly' in input) expandWeekly(input.weekly, zone, field, expanded);
    else expanded.push(datedWindow(input, zone, field));
    if (expanded.length > MAX_WINDOWS) throw invalid(`windows: at most ${MAX_WINDOWS} windows; these expand to more (reached at ${field})`);
  });
  return mergeWindows(expanded);
}

function datedWindow(input: Static<typeof DatedWindowSchema>, zone: string, field: string): LaunchWindow {
  const startsAt = parseWindowTime(input.starts_at, zone, `${field}/starts_at`);
  const endsAt = parseWindowTime(input.ends_at, zone, `${field}/ends_at`);
  if (endsAt <= startsAt) throw invalid(`${field}: ends_at (${input.ends_at}) must be after starts_at (${input.starts_at})`);
  return { startsAt, endsAt };
}

function parseWindowTime(text: string, zone: string, field: string): Date {
  const hasOffset = /(Z|[+-]\d{2}:\d{2})$/.test(text);
  const parsed = DateTime.fromISO(text, hasOffset ? { setZone: true } : { zone });
  if (!parsed.isValid) throw invalid(`${field}: ${JSON.stringify(text)} is not a real date and time`);
  // Luxon moves a wall time that a spring-forward skips (02:30) to after the gap; say so instead.
  if (!hasOffset && parsed.toFormat("yyyy-MM-dd'T'HH:mm") !== text.slice(0, 16)) {
    throw invalid(`${field}: ${text} does not exist in ${zone} (the clocks skip it)`);
  }
  return parsed.toJSDate();
}

function expandWeekly(rule: Static<typeof WeeklyWindowSchema>['weekly'], zone: string, field: string, into: LaunchWindow[]): void {
  const from = DateTime.fromISO(rule.from, { zone });
  const until = DateTime.fromISO(rule.until, { zone });
  if (!from.isValid) throw invalid(`${field}/weekly/from: ${rule.from} is not a real date`);
  if (!until.isValid) throw invalid(`${field}/weekly/until: ${rule.until} is not a real date`);
  if (until < from) throw invalid(`${field}/weekly: until (${rule.until}) must not be before from (${rule.from})`);
  if (rule.end <= rule.start) throw invalid(`${field}/weekly: end (${rule.end}) must be after start (${rule.start})`);
  const days = new Set(rule.days.map((day) => WEEKDAYS.indexOf(day) + 1));
  const [startHour, startMinute] = rule.start.split(':').map(Number) as [number, number];
  const [endHour, endMinute] = rule.end.split(':').map(Number) as [number, number];
  for (let day = from; day <= until; day = day.plus({ days: 1 })) {
    if (!days.has(day.weekday)) continue;
    // Wall-clock times on that date in the zone: the offset is the one in force then.
    const startsAt = day.set({ hour: startHour, minute: startMinute });
    const endsAt = day.set({ hour: endHour, minute: endMinute });
    into.push({ startsAt: startsAt.toJSDate(), endsAt: endsAt.toJSDate() });
    if (into.length > MAX_WINDOWS) throw invalid(`windows: at most ${MAX_WINDOWS} windows; ${field}/weekly expands to more`);
  }
}

/** Sorted, with overlapping or touching windows joined. */
export function mergeWindows(windows: readonly LaunchWindow[]): LaunchWindow[] {
  const sorted = [...windows].sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
  const merged: LaunchWindow[] = [];
  for (const window of sorted) {
    const last = merged.at(-1);
    if (last && window.startsAt <= last.endsAt) {
      if (window.endsAt > last.endsAt) last.endsAt = window.endsAt;
    } else {
      merged.push({ startsAt: window.startsAt, endsAt: window.endsAt });
    }
  }
  return merged;
}

/** The window open at `now` (start included, end excluded: 09:00 opens, 12:00 has closed). */
export function openWindowAt(windows: readonly LaunchWindow[], now: Date): LaunchWindow | undefined {
  return windows.find((window) => window.startsAt <= now && now < window.endsAt);
}

/** The first window that starts after `now`. */
export function nextWindowAfter(windows: readonly LaunchWindow[], now: Date): LaunchWindow | undefined {
  return windows.find((window) => window.startsAt > now);
}

// In common: a launch refused for a classroom's reserved GPUs names the window's end in its zone too.
export { formatInZone };

/** A window as the API answers it. */
export function windowView(window: LaunchWindow, zone: string): { starts_at: string; ends_at: string } {
  return { starts_at: formatInZone(window.startsAt, zone), ends_at: formatInZone(window.endsAt, zone) };
}
