import { useMemo } from 'react';
import { monthName, monthRange, recentMonths, type DayRange } from '../format';
import { useI18n } from '../i18n/i18n';

const MONTHS_OFFERED = 12;

/** A month of the last year, or any two days; the report reads them as UTC days, `to` not included. */
export function RangePicker({ range, onChange }: { range: DayRange; onChange: (range: DayRange) => void }) {
  const { t, language } = useI18n();
  const months = useMemo(() => recentMonths(Date.now(), MONTHS_OFFERED), []);
  const chosen = months.find((month) => {
    const whole = monthRange(month);
    return whole?.from === range.from && whole.to === range.to;
  });
  const setDay = (end: keyof DayRange, value: string) => {
    // An emptied or half-typed date is not a range yet.
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) onChange({ ...range, [end]: value });
  };
  return (
    <fieldset className="toolbar range">
      <legend>{t('usage.range')}</legend>
      <label className="search">
        <span>{t('usage.month')}</span>
        <select
          value={chosen ?? ''}
          onChange={(event) => {
            const whole = monthRange(event.target.value);
            if (whole) onChange(whole);
          }}
        >
          {chosen === undefined && <option value="">{t('usage.custom')}</option>}
          {months.map((month) => (
            <option key={month} value={month}>
              {monthName(month, language)}
            </option>
          ))}
        </select>
      </label>
      <label className="search">
        <span>{t('usage.from')}</span>
        <input type="date" value={range.from} onChange={(event) => setDay('from', event.target.value)} />
      </label>
      <label className="search">
        <span>{t('usage.to')}</span>
        <input type="date" value={range.to} onChange={(event) => setDay('to', event.target.value)} />
      </label>
    </fieldset>
  );
}
