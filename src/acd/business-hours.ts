import { AcdError } from './errors.js';

/** One weekly opening window: `days` 0 (Sunday) … 6 (Saturday), times `HH:MM` local. */
export interface OpeningWindow {
  days: readonly number[];
  open: string;
  /** May be earlier than `open` for a window that runs past midnight; `24:00` is allowed. */
  close: string;
}

/** When a queue is open. Checked against `clock.wallTime()`. */
export interface BusinessHours {
  /** IANA time zone (default `UTC`). */
  timeZone?: string;
  weekly: readonly OpeningWindow[];
  /** Local dates (`YYYY-MM-DD`) on which the queue stays closed all day. */
  closedDates?: readonly string[];
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        weekday: 'short',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      });
    } catch {
      throw new AcdError(
        'ERR_INVALID_ARGUMENT',
        `hours.timeZone ${JSON.stringify(timeZone)} is not a known time zone`,
      );
    }
    formatters.set(timeZone, f);
  }
  return f;
}

function minutesOf(hhmm: string, field: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  const h = m ? Number(m[1]) : Number.NaN;
  const min = m ? Number(m[2]) : Number.NaN;
  if (!m || h > 24 || min > 59 || (h === 24 && min !== 0)) {
    throw new AcdError(
      'ERR_INVALID_ARGUMENT',
      `${field} must be HH:MM between 00:00 and 24:00 (got ${JSON.stringify(hhmm)})`,
    );
  }
  return h * 60 + min;
}

/** Local calendar parts of a wall-clock instant in a time zone. */
export interface LocalTime {
  weekday: number;
  date: string;
  minute: number;
}

export function localTime(wallMs: number, timeZone: string): LocalTime {
  let weekday = 0;
  let y = '';
  let mo = '';
  let d = '';
  let h = 0;
  let mi = 0;
  for (const p of formatter(timeZone).formatToParts(wallMs)) {
    if (p.type === 'weekday') weekday = WEEKDAYS[p.value] ?? 0;
    else if (p.type === 'year') y = p.value;
    else if (p.type === 'month') mo = p.value;
    else if (p.type === 'day') d = p.value;
    else if (p.type === 'hour') h = Number(p.value);
    else if (p.type === 'minute') mi = Number(p.value);
  }
  return { weekday, date: `${y}-${mo}-${d}`, minute: h * 60 + mi };
}

/** Compiles `hours` into a predicate `isOpen(wallMs)`; throws ERR_INVALID_ARGUMENT on a bad field. */
export function compileBusinessHours(hours: BusinessHours, field = 'hours'): (wallMs: number) => boolean {
  if (typeof hours !== 'object' || hours === null || !Array.isArray(hours.weekly)) {
    throw new AcdError('ERR_INVALID_ARGUMENT', `${field}.weekly must be an array of opening windows`);
  }
  const tz = hours.timeZone ?? 'UTC';
  formatter(tz);
  // per weekday, intervals [from, to) in local minutes
  const byDay: Array<Array<[number, number]>> = [[], [], [], [], [], [], []];
  hours.weekly.forEach((w, i) => {
    const f = `${field}.weekly[${i}]`;
    if (!Array.isArray(w.days) || w.days.some((x: number) => !(Number.isInteger(x) && x >= 0 && x <= 6))) {
      throw new AcdError('ERR_INVALID_ARGUMENT', `${f}.days must be weekday numbers 0 (Sunday) … 6`);
    }
    const open = minutesOf(w.open, `${f}.open`);
    const close = minutesOf(w.close, `${f}.close`);
    for (const day of w.days) {
      if (close > open) byDay[day]?.push([open, close]);
      else if (close < open) {
        byDay[day]?.push([open, 1440]);
        byDay[(day + 1) % 7]?.push([0, close]);
      }
    }
  });
  const closed = new Set<string>();
  for (const d of hours.closedDates ?? []) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) {
      throw new AcdError(
        'ERR_INVALID_ARGUMENT',
        `${field}.closedDates entries must be YYYY-MM-DD (got ${JSON.stringify(d)})`,
      );
    }
    closed.add(d);
  }
  return (wallMs: number) => {
    const t = localTime(wallMs, tz);
    if (closed.has(t.date)) return false;
    for (const [from, to] of byDay[t.weekday] as Array<[number, number]>)
      if (t.minute >= from && t.minute < to) return true;
    return false;
  };
}
