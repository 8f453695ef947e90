import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../src/common/errors.js';
import { expandWindows, formatInZone, MAX_WINDOWS, mergeWindows, nextWindowAfter, openWindowAt } from '../../src/classrooms/calendar.js';

const iso = (windows: Array<{ startsAt: Date; endsAt: Date }>) => windows.map((w) => [w.startsAt.toISOString(), w.endsAt.toISOString()]);

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).kind).toBe('invalid');
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('launch windows', () => {
  it('expands a weekly rule across the spring DST change in Europe/Berlin to the same wall-clock hours', () => {
    const windows = expandWindows([{ weekly: { days: ['mon', 'wed'], start: '09:00', end: '12:00', from: '2027-03-22', until: '2027-03-31' } }], 'Europe/Berlin');
    // Summer time starts on Sunday 2027-03-28: 09:00 is 08:00Z before and 07:00Z after.
    expect(iso(windows)).toEqual([
      ['2027-03-22T08:00:00.000Z', '2027-03-22T11:00:00.000Z'],
      ['2027-03-24T08:00:00.000Z', '2027-03-24T11:00:00.000Z'],
      ['2027-03-29T07:00:00.000Z', '2027-03-29T10:00:00.000Z'],
      ['2027-03-31T07:00:00.000Z', '2027-03-31T10:00:00.000Z'],
    ]);
    expect(formatInZone(windows[2]!.startsAt, 'Europe/Berlin')).toBe('2027-03-29T09:00:00+02:00');
    expect(formatInZone(windows[0]!.startsAt, 'Europe/Berlin')).toBe('2027-03-22T09:00:00+01:00');
  });

  it('expands across the autumn change too', () => {
    const windows = expandWindows([{ weekly: { days: ['fri', 'mon'], start: '14:15', end: '15:45', from: '2027-10-29', until: '2027-11-01' } }], 'Europe/Berlin');
    expect(iso(windows)).toEqual([
      ['2027-10-29T12:15:00.000Z', '2027-10-29T13:45:00.000Z'],
      ['2027-11-01T13:15:00.000Z', '2027-11-01T14:45:00.000Z'],
    ]);
  });

  it("reads a time without an offset in the classroom's zone, and one with an offset as written", () => {
    const windows = expandWindows(
      [
        { starts_at: '2027-02-15T09:00', ends_at: '2027-02-15T12:00' },
        { starts_at: '2027-02-16T09:00:00+00:00', ends_at: '2027-02-16T10:00Z' },
      ],
      'Asia/Taipei',
    );
    expect(iso(windows)).toEqual([
      ['2027-02-15T01:00:00.000Z', '2027-02-15T04:00:00.000Z'],
      ['2027-02-16T09:00:00.000Z', '2027-02-16T10:00:00.000Z'],
    ]);
  });

  it('merges overlapping and touching windows, and sorts them', () => {
    const at = (h: number) => new Date(Date.UTC(2027, 0, 1, h));
    expect(mergeWindows([{ startsAt: at(12), endsAt: at(14) }, { startsAt: at(9), endsAt: at(12) }, { startsAt: at(10), endsAt: at(11) }, { startsAt: at(15), endsAt: at(16) }])).toEqual([
      { startsAt: at(9), endsAt: at(14) },
      { startsAt: at(15), endsAt: at(16) },
    ]);
  });

  it('is open from the start, to the minute, and closed at the end', () => {
    const windows = expandWindows([{ starts_at: '2027-02-15T09:00', ends_at: '2027-02-15T12:00' }, { starts_at: '2027-02-17T09:00', ends_at: '2027-02-17T12:00' }], 'UTC');
    expect(openWindowAt(windows, new Date('2027-02-15T08:59:59Z'))).toBeUndefined();
    expect(nextWindowAfter(windows, new Date('2027-02-15T08:59:59Z'))?.startsAt.toISOString()).toBe('2027-02-15T09:00:00.000Z');
    expect(openWindowAt(windows, new Date('2027-02-15T09:00:00Z'))?.endsAt.toISOString()).toBe('2027-02-15T12:00:00.000Z');
    expect(openWindowAt(windows, new Date('2027-02-15T12:00:00Z'))).toBeUndefined();
    expect(nextWindowAfter(windows, new Date('2027-02-15T12:00:00Z'))?.startsAt.toISOString()).toBe('2027-02-17T09:00:00.000Z');
    expect(nextWindowAfter(windows, new Date('2027-02-17T09:00:00Z'))).toBeUndefined();
  });

  it('refuses bad input with the field named', () => {
    expect(refusal(() => expandWindows([], 'Mars/Olympus'))).toMatch(/timeZone "Mars\/Olympus" is not a known IANA time zone/);
    expect(refusal(() => expandWindows([{ starts_at: '2027-02-15T12:00', ends_at: '2027-02-15T12:00' }], 'UTC'))).toMatch(/windows\/0: ends_at .* must be after starts_at/);
    expect(refusal(() => expandWindows([{ starts_at: '2027-02-30T09:00', ends_at: '2027-03-01T12:00' }], 'UTC'))).toMatch(/windows\/0\/starts_at: .* is not a real date/);
    expect(refusal(() => expandWindows([{ starts_at: '2027-03-28T02:30', ends_at: '2027-03-28T04:00' }], 'Europe/Berlin'))).toMatch(/does not exist in Europe\/Berlin/);
    expect(refusal(() => expandWindows([{ weekly: { days: ['mon'], start: '12:00', end: '09:00', from: '2027-01-01', until: '2027-02-01' } }], 'UTC'))).toMatch(/end \(09:00\) must be after start/);
    expect(refusal(() => expandWindows([{ weekly: { days: ['mon'], start: '09:00', end: '10:00', from: '2027-02-01', until: '2027-01-01' } }], 'UTC'))).toMatch(/until .* must not be before from/);
  });

  it(`refuses more than ${MAX_WINDOWS} windows, and takes exactly ${MAX_WINDOWS}`, () => {
    const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
    expect(refusal(() => expandWindows([{ weekly: { days: [...days], start: '09:00', end: '10:00', from: '2027-01-01', until: '2030-01-01' } }], 'UTC'))).toMatch(/at most 1000 windows/);
    // 2027-01-01 plus 999 days, every day: 1000 windows.
    const exact = expandWindows([{ weekly: { days: [...days], start: '09:00', end: '10:00', from: '2027-01-01', until: '2029-09-26' } }], 'UTC');
    expect(exact).toHaveLength(MAX_WINDOWS);
  });
});
