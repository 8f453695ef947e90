/** The week view's arithmetic, kept apart from its drawing so that it can be tested on its own. */
import { DateTime } from 'luxon';
import { WEEKDAYS, type WeeklyRule, type WindowView } from './types';

export const MINUTES_PER_DAY = 24 * 60;

/** A slot drawn on the grid: a weekday (0 = Monday) and wall-clock minutes, end excluded. */
export interface Slot {
  day: number;
  start: number;
  end: number;
}

/** "09:00"; the day's end is written 23:59, since the API's clock times stop there. */
export function clock(minutes: number): string {
  const capped = Math.min(minutes, MINUTES_PER_DAY - 1);
  return `${String(Math.floor(capped / 60)).padStart(2, '0')}:${String(capped % 60).padStart(2, '0')}`;
}

/** The slot between two hour cells of a day, in either order, both cells included. */
export function slotBetween(day: number, fromHour: number, toHour: number): Slot {
  const [low, high] = fromHour <= toHour ? [fromHour, toHour] : [toHour, fromHour];
  return { day, start: low * 60, end: (high + 1) * 60 };
}

/**
 * The slots as weekly rules over the term: slots with the same times share one rule, so that
 * Monday and Wednesday 09:00–12:00 read as one line, as a teacher would write them.
 */
export function weeklyRules(slots: readonly Slot[], from: string, until: string): WeeklyRule[] {
  const byTimes = new Map<string, Set<number>>();
  for (const slot of slots) {
    const key = `${clock(slot.start)}-${clock(slot.end)}`;
    byTimes.set(key, (byTimes.get(key) ?? new Set()).add(slot.day));
  }
  return [...byTimes].map(([key, days]) => {
    const [start = '', end = ''] = key.split('-');
    return { weekly: { days: [...days].sort().map((day) => WEEKDAYS[day] ?? 'mon'), start, end, from, until } };
  });
}

/** The part of a stored window that one day of the viewed week shows. */
export interface Piece {
  window: WindowView;
  day: number;
  start: number;
  end: number;
}

const minutesInto = (at: DateTime) => at.hour * 60 + at.minute;

/** The stored windows cut into the viewed week's days, on the zone's wall clock. */
export function piecesOfWeek(windows: readonly WindowView[], monday: DateTime): Piece[] {
  const pieces: Piece[] = [];
  const weekEnd = monday.plus({ days: 7 });
  for (const window of windows) {
    const start = Date.parse(window.starts_at);
    const end = Date.parse(window.ends_at);
    if (end <= monday.toMillis() || start >= weekEnd.toMillis()) continue;
    for (let day = 0; day < 7; day++) {
      const dayStart = monday.plus({ days: day });
      const dayEnd = monday.plus({ days: day + 1 });
      const from = Math.max(start, dayStart.toMillis());
      const to = Math.min(end, dayEnd.toMillis());
      if (from >= to) continue;
      const first = from === dayStart.toMillis() ? 0 : minutesInto(DateTime.fromMillis(from, { zone: monday.zone }));
      const last = to === dayEnd.toMillis() ? MINUTES_PER_DAY : minutesInto(DateTime.fromMillis(to, { zone: monday.zone }));
      pieces.push({ window, day, start: first, end: Math.max(last, first + 1) });
    }
  }
  return pieces;
}
