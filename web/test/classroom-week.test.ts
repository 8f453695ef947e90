import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { clock, piecesOfWeek, slotBetween, weeklyRules } from '../src/classrooms/week';
import { dayAndTime, windowState, windowText } from '../src/classrooms/zone';

const berlin = 'Europe/Berlin';

describe("the week view's arithmetic", () => {
  it('a slot between two hour cells includes both, in either order; the day ends at 23:59', () => {
    expect(slotBetween(2, 11, 9)).toEqual({ day: 2, start: 9 * 60, end: 12 * 60 });
    expect(clock(24 * 60)).toBe('23:59');
    expect(weeklyRules([slotBetween(4, 23, 23)], '2027-02-15', '2027-06-15')[0]?.weekly).toMatchObject({ days: ['fri'], start: '23:00', end: '23:59' });
  });

  it('slots with the same times share a rule; other times get their own', () => {
    const rules = weeklyRules([slotBetween(2, 9, 11), slotBetween(0, 9, 11), slotBetween(0, 14, 14)], '2027-02-15', '2027-06-15');
    expect(rules.map((rule) => rule.weekly)).toEqual([
      { days: ['mon', 'wed'], start: '09:00', end: '12:00', from: '2027-02-15', until: '2027-06-15' },
      { days: ['mon'], start: '14:00', end: '15:00', from: '2027-02-15', until: '2027-06-15' },
    ]);
  });

  it("cuts stored windows into the viewed week's days on the zone's clock, across midnight and a daylight-saving change", () => {
    // The week of Monday 22 March 2027; Berlin moves its clocks forward on Sunday 28 March.
    const monday = DateTime.fromISO('2027-03-22T00:00', { zone: berlin });
    const lateNight = { starts_at: '2027-03-23T22:00:00+01:00', ends_at: '2027-03-24T01:30:00+01:00' };
    const afterChange = { starts_at: '2027-03-28T09:00:00+02:00', ends_at: '2027-03-28T12:00:00+02:00' };
    const nextWeek = { starts_at: '2027-03-29T09:00:00+02:00', ends_at: '2027-03-29T12:00:00+02:00' };
    const pieces = piecesOfWeek([lateNight, afterChange, nextWeek], monday).map(({ day, start, end }) => ({ day, start: clock(start), end: end === 1440 ? '24:00' : clock(end) }));
    expect(pieces).toEqual([
      { day: 1, start: '22:00', end: '24:00' },
      { day: 2, start: '00:00', end: '01:30' },
      { day: 6, start: '09:00', end: '12:00' },
    ]);
  });

  it('says when a window opens in the classroom zone, whatever the reader\'s', () => {
    const window = { starts_at: '2027-02-15T09:00:00+01:00', ends_at: '2027-02-15T12:00:00+01:00' };
    expect(dayAndTime(window.starts_at, berlin, 'en')).toBe('Mon 15 Feb, 09:00');
    expect(dayAndTime(window.starts_at, 'Asia/Taipei', 'en')).toBe('Mon 15 Feb, 16:00');
    expect(windowText(window, berlin, 'en')).toBe('Mon 15 Feb, 09:00–12:00');
    expect(windowState([window], Date.parse('2027-02-15T08:59:59Z'))).toEqual({ open: window });
    expect(windowState([window], Date.parse('2027-02-15T11:00:00Z'))).toEqual({});
    expect(windowState([window], Date.parse('2027-02-15T07:59:59Z'))).toEqual({ next: window });
  });
});
