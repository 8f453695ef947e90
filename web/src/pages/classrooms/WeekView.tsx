import { useEffect, useMemo, useRef, useState, type PointerEvent } from 'react';
import { addDays, dateIn, dayAndTime, dayOf, longDate, weekStart, windowText } from '../../classrooms/zone';
import { clock, MINUTES_PER_DAY, piecesOfWeek, slotBetween, weeklyRules, type Slot } from '../../classrooms/week';
import type { WindowInput, WindowView } from '../../classrooms/types';
import { ConfirmButton } from '../../components/Confirm';
import { Problem } from '../../components/Problem';
import { useI18n } from '../../i18n/i18n';

const HOURS = Array.from({ length: 24 }, (_, hour) => hour);
const DAYS = Array.from({ length: 7 }, (_, day) => day);
/** A term of 15 weeks from today: a semester's lectures, to be shortened or moved as needed. */
const TERM_DAYS = 15 * 7 - 1;
/** Lectures are rarely before 07:00: the grid opens scrolled there, and the night is a scroll away. */
const FIRST_SHOWN_HOUR = 7;

interface Cell {
  day: number;
  hour: number;
}

/** The hour cell an element is, from its data attributes. */
function cellOf(element: EventTarget | Element | null): Cell | undefined {
  if (!(element instanceof HTMLElement)) return undefined;
  const { day, hour } = element.dataset;
  return day === undefined || hour === undefined ? undefined : { day: Number(day), hour: Number(hour) };
}

/** Where a pointer is: a touch keeps its first target (implicit capture), so ask the page. */
function cellAt(event: PointerEvent): Cell | undefined {
  const under = event.pointerType === 'touch' && typeof document.elementFromPoint === 'function' ? document.elementFromPoint(event.clientX, event.clientY) : event.target;
  return cellOf(under);
}

const place = (start: number, end: number) => ({ top: `${(start / MINUTES_PER_DAY) * 100}%`, height: `${((end - start) / MINUTES_PER_DAY) * 100}%` });

/**
 * A week of the classroom's windows on a grid of hours, in the classroom's zone. A teacher drags
 * on a day (or clicks its start hour, then its end hour) to draw slots; the slots become weekly
 * rules over the term's dates, added to the stored windows (update replaces the whole set).
 */
export function WeekView({ zone, windows, editable, onSave }: { zone: string; windows: WindowView[]; editable: boolean; onSave: (windows: WindowInput[]) => Promise<void> }) {
  const { t, language } = useI18n();
  const [monday, setMonday] = useState(() => weekStart(Date.now(), zone));
  const [slots, setSlots] = useState<Slot[]>([]);
  const [anchor, setAnchor] = useState<Cell>();
  const [dragging, setDragging] = useState<{ from: Cell; to: Cell }>();
  // The cell a drag started on: a touch's click lands there after the drag (implicit capture), and is not a click of its own.
  const dragged = useRef<Cell | undefined>(undefined);
  const [from, setFrom] = useState(() => dateIn(Date.now(), zone));
  const [until, setUntil] = useState(() => addDays(dateIn(Date.now(), zone), TERM_DAYS, zone));
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>();
  const scroller = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const grid = scroller.current;
    const hour = grid?.querySelector<HTMLElement>('.week-hour');
    if (grid && hour) grid.scrollTop = hour.offsetHeight * FIRST_SHOWN_HOUR;
  }, []);
  const pieces = useMemo(() => piecesOfWeek(windows, monday), [windows, monday]);
  const shown = useMemo(() => windows.filter((window) => pieces.some((piece) => piece.window === window)), [windows, pieces]);
  const cellIso = (cell: Cell) => monday.plus({ days: cell.day }).set({ hour: cell.hour }).toISO() ?? '';
  const dayName = (day: number) => dayOf(monday.plus({ days: day }), language);
  const weekdayName = (day: number) => monday.plus({ days: day }).setLocale(language).toFormat('cccc');

  const addSlot = (slot: Slot) => {
    setSlots((previous) => (previous.some((each) => each.day === slot.day && each.start === slot.start && each.end === slot.end) ? previous : [...previous, slot]));
    setAnchor(undefined);
  };
  const down = (event: PointerEvent) => {
    const cell = cellOf(event.target);
    dragged.current = undefined;
    if (cell && event.button === 0) setDragging({ from: cell, to: cell });
  };
  const move = (event: PointerEvent) => {
    const cell = dragging && cellAt(event);
    if (cell && cell.day === dragging.from.day && cell.hour !== dragging.to.hour) setDragging({ ...dragging, to: cell });
  };
  const up = (event: PointerEvent) => {
    const start = dragging?.from;
    setDragging(undefined);
    const end = cellAt(event) ?? dragging?.to;
    if (!start || !end || end.day !== start.day || end.hour === start.hour) return;
    dragged.current = start;
    addSlot(slotBetween(start.day, start.hour, end.hour));
  };
  const click = (cell: Cell) => {
    const after = dragged.current;
    dragged.current = undefined;
    if (after && after.day === cell.day && after.hour === cell.hour) return;
    if (anchor && anchor.day === cell.day) addSlot(slotBetween(cell.day, anchor.hour, cell.hour));
    else setAnchor(cell);
  };
  const save = async (next: WindowInput[]) => {
    setSaving(true);
    setError(undefined);
    try {
      await onSave(next);
      return true;
    } catch (failure) {
      setError(failure);
      return false;
    } finally {
      setSaving(false);
    }
  };
  const addRules = async () => {
    if (await save([...windows, ...weeklyRules(slots, from, until)])) setSlots([]);
  };
  const chosen = (cell: Cell) => {
    if (anchor && anchor.day === cell.day && anchor.hour === cell.hour) return true;
    if (!dragging || dragging.from.day !== cell.day) return false;
    const [low, high] = [Math.min(dragging.from.hour, dragging.to.hour), Math.max(dragging.from.hour, dragging.to.hour)];
    return cell.hour >= low && cell.hour <= high;
  };

  return (
    <div className="week-view">
      <div className="toolbar">
        <button type="button" onClick={() => setMonday((week) => week.minus({ weeks: 1 }))}>
          {t('week.previous')}
        </button>
        <button type="button" onClick={() => setMonday(weekStart(Date.now(), zone))}>
          {t('week.this')}
        </button>
        <button type="button" onClick={() => setMonday((week) => week.plus({ weeks: 1 }))}>
          {t('week.next')}
        </button>
        <p className="week-title" aria-live="polite">
          {t('week.of', { date: longDate(monday, language), zone })}
        </p>
      </div>
      {editable && <p className="muted">{t('week.howTo')}</p>}
      {/* Read-only, the grid has nothing to focus: the scrolling box itself takes focus, for keyboards. */}
      <div className="week-scroll" ref={scroller} {...(editable ? {} : { tabIndex: 0, role: 'region', 'aria-label': t('week.grid') })}>
        <div className="week" role="group" aria-label={t('week.grid')} onPointerDown={editable ? down : undefined} onPointerMove={editable ? move : undefined} onPointerUp={editable ? up : undefined} onPointerCancel={() => setDragging(undefined)}>
          <div className="week-corner" aria-hidden="true" />
          {DAYS.map((day) => (
            <div key={day} className="week-day-name" aria-hidden="true">
              {dayName(day)}
            </div>
          ))}
          <div className="week-hours" aria-hidden="true">
            {HOURS.map((hour) => (
              <div key={hour} className="week-hour">
                {clock(hour * 60)}
              </div>
            ))}
          </div>
          {DAYS.map((day) => (
            <div key={day} className="week-column">
              {HOURS.map((hour) =>
                editable ? (
                  <button
                    key={hour}
                    type="button"
                    className={chosen({ day, hour }) ? 'week-cell chosen' : 'week-cell'}
                    data-day={day}
                    data-hour={hour}
                    aria-label={dayAndTime(cellIso({ day, hour }), zone, language)}
                    aria-pressed={anchor?.day === day && anchor.hour === hour}
                    onClick={() => click({ day, hour })}
                    onKeyDown={(event) => event.key === 'Escape' && setAnchor(undefined)}
                  />
                ) : (
                  <div key={hour} className="week-cell" />
                ),
              )}
              {pieces
                .filter((piece) => piece.day === day)
                .map((piece) => (
                  <div key={`${piece.window.starts_at}-${piece.start}`} className="week-block stored" style={place(piece.start, piece.end)} aria-hidden="true">
                    {clock(piece.start)}–{clock(piece.end)}
                  </div>
                ))}
              {slots
                .filter((slot) => slot.day === day)
                .map((slot) => (
                  <div key={`${slot.start}-${slot.end}`} className="week-block new" style={place(slot.start, slot.end)} aria-hidden="true">
                    {clock(slot.start)}–{clock(slot.end)}
                  </div>
                ))}
            </div>
          ))}
        </div>
      </div>
      <p role="status" className="muted">
        {anchor ? t('week.anchor', { at: dayAndTime(cellIso(anchor), zone, language) }) : ''}
      </p>
      <h3>{t('week.stored')}</h3>
      {shown.length === 0 ? (
        <p className="empty">{t('week.none')}</p>
      ) : (
        <ul className="window-list">
          {shown.map((window) => (
            <li key={window.starts_at}>
              <span>{windowText(window, zone, language)}</span>
              {editable && (
                <ConfirmButton
                  label={t('week.remove')}
                  name={t('week.removeNamed', { window: windowText(window, zone, language) })}
                  question={t('week.confirmRemove', { window: windowText(window, zone, language) })}
                  disabled={saving}
                  onConfirm={() => void save(windows.filter((each) => each !== window))}
                />
              )}
            </li>
          ))}
        </ul>
      )}
      {editable && slots.length > 0 && (
        <section className="new-slots" aria-labelledby="new-slots-title">
          <h3 id="new-slots-title">{t('week.newTimes')}</h3>
          <ul className="window-list">
            {slots.map((slot) => (
              <li key={`${slot.day}-${slot.start}-${slot.end}`}>
                <span>{t('week.weekly', { day: weekdayName(slot.day), start: clock(slot.start), end: clock(slot.end) })}</span>
                <button type="button" onClick={() => setSlots((previous) => previous.filter((each) => each !== slot))}>
                  {t('week.drop')}
                </button>
              </li>
            ))}
          </ul>
          <div className="row">
            <label className="search">
              <span>{t('week.from')}</span>
              <input type="date" value={from} onChange={(event) => event.target.value && setFrom(event.target.value)} />
            </label>
            <label className="search">
              <span>{t('week.until')}</span>
              <input type="date" value={until} onChange={(event) => event.target.value && setUntil(event.target.value)} />
            </label>
          </div>
          <div className="actions">
            <button type="button" className="primary" disabled={saving} onClick={() => void addRules()}>
              {t('week.add')}
            </button>
          </div>
        </section>
      )}
      <Problem error={error} />
    </div>
  );
}
