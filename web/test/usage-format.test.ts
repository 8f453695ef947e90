import { describe, expect, it } from 'vitest';
import { filenameFrom } from '../src/download';
import { bytes, hours, monthName, monthRange, recentMonths, thisMonth } from '../src/format';
import { usagePath } from '../src/usage/query';

describe('sizes and hours, as the home and usage pages write them', () => {
  it('bytes in binary units, one decimal above bytes', () => {
    expect(bytes(0, 'en')).toBe('0 B');
    expect(bytes(1023, 'en')).toBe('1,023 B');
    expect(bytes(1536, 'en')).toBe('1.5 KiB');
    expect(bytes(10 * 1024 ** 3, 'en')).toBe('10 GiB');
    expect(bytes(1.25 * 1024 ** 3, 'en')).toBe('1.3 GiB');
    expect(bytes(3 * 1024 ** 6, 'en')).toBe('3,072 PiB');
  });

  it('hours with two decimals, in the reader\'s digits', () => {
    expect(hours(3, 'en')).toBe('3.00');
    expect(hours(1.5, 'en')).toBe('1.50');
    expect(hours(0.004, 'en')).toBe('0.00');
    expect(hours(1234.5, 'en')).toBe('1,234.50');
    expect(hours(1234.5, 'de')).toBe('1.234,50');
  });
});

describe('month ranges (UTC)', () => {
  it('a month runs from its first day to the next month\'s, across a year end', () => {
    expect(monthRange('2026-11')).toEqual({ from: '2026-11-01', to: '2026-12-01' });
    expect(monthRange('2026-12')).toEqual({ from: '2026-12-01', to: '2027-01-01' });
    expect(monthRange('2026-13')).toBeUndefined();
    expect(monthRange('2026-1')).toBeUndefined();
  });

  it('this month is UTC\'s, even where it is already the next day', () => {
    expect(thisMonth(Date.parse('2026-11-30T23:30:00Z'))).toEqual({ from: '2026-11-01', to: '2026-12-01' });
    expect(thisMonth(Date.parse('2026-12-01T00:00:00Z'))).toEqual({ from: '2026-12-01', to: '2027-01-01' });
  });

  it('recent months count back across a year, newest first', () => {
    expect(recentMonths(Date.parse('2026-02-15T00:00:00Z'), 4)).toEqual(['2026-02', '2026-01', '2025-12', '2025-11']);
    expect(monthName('2026-11', 'en')).toBe('November 2026');
  });

  it('the report\'s query carries the range and only the filters given', () => {
    expect(usagePath('/v1/usage', { from: '2026-11-01', to: '2026-12-01' }, { groupBy: 'course', format: 'csv' })).toBe('/v1/usage?from=2026-11-01&to=2026-12-01&groupBy=course&format=csv');
    expect(usagePath('/v1/usage/jobs', { from: '2026-11-01', to: '2026-12-01' }, { user: 'sam lee', limit: 50 })).toBe('/v1/usage/jobs?from=2026-11-01&to=2026-12-01&user=sam+lee&limit=50');
  });
});

describe('the CSV file name from Content-Disposition', () => {
  const fallback = 'usage.csv';
  it('reads the quoted name the usage route sends', () => {
    expect(filenameFrom('attachment; filename="usage-2026-11-01-2026-12-01.csv"', fallback)).toBe('usage-2026-11-01-2026-12-01.csv');
  });

  it('prefers filename* (RFC 5987) and decodes it', () => {
    expect(filenameFrom(`attachment; filename="usage.csv"; filename*=UTF-8''%E7%94%A8%E9%87%8F-2026.csv`, fallback)).toBe('用量-2026.csv');
  });

  it('takes a bare token, and unescapes a quoted one', () => {
    expect(filenameFrom('attachment; filename=report.csv; size=10', fallback)).toBe('report.csv');
    expect(filenameFrom('attachment; filename="a \\"b\\".csv"', fallback)).toBe('a "b".csv');
  });

  it('never lets the server pick a folder, and falls back when there is no name', () => {
    expect(filenameFrom('attachment; filename="../../etc/usage.csv"', fallback)).toBe('usage.csv');
    expect(filenameFrom('attachment; filename="C:\\\\temp\\\\x.csv"', fallback)).toBe('x.csv');
    expect(filenameFrom('attachment', fallback)).toBe(fallback);
    expect(filenameFrom(null, fallback)).toBe(fallback);
    expect(filenameFrom('attachment; filename=""', fallback)).toBe(fallback);
    expect(filenameFrom(`attachment; filename*=UTF-8''%E0%A4%A; filename="kept.csv"`, fallback)).toBe('kept.csv');
  });
});
