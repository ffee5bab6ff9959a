import { StrowgerError } from '../../core/index.js';
import type { PromptName } from './prompts.js';

/**
 * English `say` helpers: turn digits, numbers, ordinals, durations, times
 * and dates into playlists — arrays of catalogue prompt names, played one
 * after the other. Every name they produce is a {@link PromptName}, so the
 * compiler checks the playlists against the catalogue.
 */
export type Playlist = PromptName[];

export interface SayNumberOptions {
  /** British style "one hundred and five" (default false: "one hundred five"). */
  and?: boolean;
}

export interface SayDigitsOptions {
  /** How `#` is read: `pound` (US, default) or `hash` (UK). */
  hash?: 'pound' | 'hash';
}

const ONES: readonly PromptName[] = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const TENS: readonly PromptName[] = [
  'zero',
  'ten',
  'twenty',
  'thirty',
  'forty',
  'fifty',
  'sixty',
  'seventy',
  'eighty',
  'ninety',
];
const ORD_ONES: readonly PromptName[] = [
  'zero', // unused
  'first',
  'second',
  'third',
  'fourth',
  'fifth',
  'sixth',
  'seventh',
  'eighth',
  'ninth',
  'tenth',
  'eleventh',
  'twelfth',
  'thirteenth',
  'fourteenth',
  'fifteenth',
  'sixteenth',
  'seventeenth',
  'eighteenth',
  'nineteenth',
];
const ORD_TENS: readonly PromptName[] = [
  'zero', // unused
  'tenth',
  'twentieth',
  'thirtieth',
  'fortieth',
  'fiftieth',
  'sixtieth',
  'seventieth',
  'eightieth',
  'ninetieth',
];
const WEEKDAYS: readonly PromptName[] = [
  'sunday',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
];
const MONTHS: readonly PromptName[] = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

/** Largest number {@link sayNumber} and {@link sayOrdinal} accept. */
export const MAX_SAY_NUMBER = 999_999_999;

function checkInt(n: unknown, min: number, max: number, what: string): asserts n is number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', `${what} must be an integer from ${min} to ${max}`);
  }
}

/** 1 … 999 as cardinal words into `out`; when `ordinal`, the last word is ordinal. */
function below1000(n: number, out: Playlist, and: boolean, ordinal: boolean): void {
  const h = Math.floor(n / 100);
  const r = n % 100;
  if (h > 0) {
    out.push(ONES[h] as PromptName);
    if (r === 0) {
      out.push(ordinal ? 'hundredth' : 'hundred');
      return;
    }
    out.push('hundred');
    if (and) out.push('and');
  }
  if (r < 20) {
    out.push((ordinal ? ORD_ONES[r] : ONES[r]) as PromptName);
    return;
  }
  const t = Math.floor(r / 10);
  const u = r % 10;
  if (u === 0) {
    out.push((ordinal ? ORD_TENS[t] : TENS[t]) as PromptName);
    return;
  }
  out.push(TENS[t] as PromptName);
  out.push((ordinal ? ORD_ONES[u] : ONES[u]) as PromptName);
}

function sayInteger(n: number, and: boolean, ordinal: boolean): Playlist {
  const out: Playlist = [];
  const millions = Math.floor(n / 1_000_000);
  const thousands = Math.floor((n % 1_000_000) / 1000);
  const rest = n % 1000;
  if (millions > 0) {
    below1000(millions, out, and, false);
    if (thousands === 0 && rest === 0) {
      out.push(ordinal ? 'millionth' : 'million');
      return out;
    }
    out.push('million');
  }
  if (thousands > 0) {
    below1000(thousands, out, and, false);
    if (rest === 0) {
      out.push(ordinal ? 'thousandth' : 'thousand');
      return out;
    }
    out.push('thousand');
  }
  if (rest > 0) {
    // "one thousand and five" in British style when the remainder is below 100
    if (and && rest < 100 && out.length > 0) out.push('and');
    below1000(rest, out, and, ordinal);
  }
  return out;
}

/** A whole number, -999,999,999 … 999,999,999: `sayNumber(1205)` → one thousand two hundred five. */
export function sayNumber(n: number, options: SayNumberOptions = {}): Playlist {
  checkInt(n, -MAX_SAY_NUMBER, MAX_SAY_NUMBER, 'number');
  if (n === 0) return ['zero'];
  if (n < 0) return ['minus', ...sayInteger(-n, options.and ?? false, false)];
  return sayInteger(n, options.and ?? false, false);
}

/** An ordinal, 1 … 999,999,999: `sayOrdinal(3)` → third; `sayOrdinal(21)` → twenty first. */
export function sayOrdinal(n: number, options: SayNumberOptions = {}): Playlist {
  checkInt(n, 1, MAX_SAY_NUMBER, 'ordinal');
  return sayInteger(n, options.and ?? false, true);
}

const LETTER = (c: string): PromptName => `letter-${c.toLowerCase()}` as PromptName;

/**
 * Reads a string character by character: digits, `*`, `#`, `+`, `.`, `@`
 * and letters. Spaces, hyphens and parentheses (phone-number formatting) are
 * skipped. `sayDigits('0800-12#')` → zero eight zero zero one two pound.
 */
export function sayDigits(text: string, options: SayDigitsOptions = {}): Playlist {
  if (typeof text !== 'string') throw new StrowgerError('ERR_INVALID_ARGUMENT', 'digits must be a string');
  const out: Playlist = [];
  for (const ch of text) {
    if (ch >= '0' && ch <= '9') out.push(ONES[ch.charCodeAt(0) - 48] as PromptName);
    else if (ch === '*') out.push('star');
    else if (ch === '#') out.push(options.hash ?? 'pound');
    else if (ch === '+') out.push('plus');
    else if (ch === '.') out.push('dot');
    else if (ch === '@') out.push('at');
    else if (/^[a-z]$/i.test(ch)) out.push(LETTER(ch));
    else if (ch === ' ' || ch === '-' || ch === '(' || ch === ')') continue;
    else throw new StrowgerError('ERR_INVALID_ARGUMENT', `cannot say character ${JSON.stringify(ch)}`);
  }
  return out;
}

export interface SayDurationOptions {
  /** Largest unit used (default `hours`; `minutes` says 90 minutes, not one hour thirty minutes). */
  largest?: 'hours' | 'minutes' | 'seconds';
}

/**
 * A duration in whole seconds: `sayDuration(150)` → two minutes and thirty
 * seconds; `sayDuration(3600)` → one hour; `sayDuration(0)` → zero seconds.
 */
export function sayDuration(seconds: number, options: SayDurationOptions = {}): Playlist {
  checkInt(seconds, 0, MAX_SAY_NUMBER, 'duration seconds');
  if (seconds === 0) return ['zero', 'seconds'];
  const largest = options.largest ?? 'hours';
  let rest = seconds;
  const parts: Playlist[] = [];
  const unit = (n: number, one: PromptName, many: PromptName) =>
    parts.push([...sayNumber(n), n === 1 ? one : many]);
  if (largest === 'hours') {
    const h = Math.floor(rest / 3600);
    rest %= 3600;
    if (h > 0) unit(h, 'hour', 'hours');
  }
  if (largest !== 'seconds') {
    const m = Math.floor(rest / 60);
    rest %= 60;
    if (m > 0) unit(m, 'minute', 'minutes');
  }
  if (rest > 0) unit(rest, 'second', 'seconds');
  const out: Playlist = [];
  parts.forEach((p, i) => {
    if (i > 0 && i === parts.length - 1) out.push('and');
    out.push(...p);
  });
  return out;
}

export interface TimeOfDay {
  hours: number;
  minutes: number;
}

export interface SayTimeOptions {
  /** 12-hour clock with A M / P M (default) or 24-hour clock. */
  clock?: 12 | 24;
}

/**
 * A time of day. 12-hour: 14:05 → two oh five P M; 9:00 → nine o'clock A M;
 * 12:00 → noon; 0:00 → midnight. 24-hour: 14:05 → fourteen oh five;
 * 14:00 → fourteen hundred; 0:30 → zero thirty.
 */
export function sayTime(time: TimeOfDay | string, options: SayTimeOptions = {}): Playlist {
  let t = time;
  if (typeof t === 'string') {
    const m = /^(\d{1,2}):(\d{2})$/.exec(t);
    if (!m) throw new StrowgerError('ERR_INVALID_ARGUMENT', 'time must look like HH:MM');
    t = { hours: Number(m[1]), minutes: Number(m[2]) };
  }
  if (typeof t !== 'object' || t === null)
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'time must be HH:MM');
  checkInt(t.hours, 0, 23, 'hours');
  checkInt(t.minutes, 0, 59, 'minutes');
  const { hours, minutes } = t;
  const mins = (): Playlist => (minutes < 10 ? ['oh', ONES[minutes] as PromptName] : sayNumber(minutes));
  if ((options.clock ?? 12) === 24) {
    const out = sayNumber(hours);
    if (minutes === 0) out.push('hundred');
    else out.push(...mins());
    return out;
  }
  if (minutes === 0 && hours === 12) return ['noon'];
  if (minutes === 0 && hours === 0) return ['midnight'];
  const h12 = hours % 12 === 0 ? 12 : hours % 12;
  const out = sayNumber(h12);
  if (minutes === 0) out.push('o-clock');
  else out.push(...mins());
  out.push(hours < 12 ? 'a-m' : 'p-m');
  return out;
}

export interface CalendarDate {
  /** Month 1 … 12. */
  month: number;
  /** Day of month 1 … 31. */
  day: number;
  /** Day of the week, 0 = Sunday … 6 = Saturday (optional). */
  weekday?: number;
  /** Year 1000 … 2999 (optional). */
  year?: number;
}

/**
 * A date: `{ weekday: 1, month: 3, day: 2, year: 2026 }` → Monday March
 * second twenty twenty six. Years 2000–2009 read "two thousand (and) five".
 */
export function sayDate(date: CalendarDate, options: SayNumberOptions = {}): Playlist {
  if (typeof date !== 'object' || date === null)
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'date expected');
  checkInt(date.month, 1, 12, 'month');
  checkInt(date.day, 1, 31, 'day');
  const out: Playlist = [];
  if (date.weekday !== undefined) {
    checkInt(date.weekday, 0, 6, 'weekday');
    out.push(WEEKDAYS[date.weekday] as PromptName);
  }
  out.push(MONTHS[date.month - 1] as PromptName, ...sayOrdinal(date.day));
  if (date.year !== undefined) {
    checkInt(date.year, 1000, 2999, 'year');
    const hi = Math.floor(date.year / 100);
    const lo = date.year % 100;
    if (lo === 0 && hi % 10 === 0) out.push(...sayNumber(date.year, options));
    else if (hi % 10 === 0 && lo < 10) out.push(...sayNumber(date.year, options));
    else {
      out.push(...sayNumber(hi));
      if (lo === 0) out.push('hundred');
      else if (lo < 10) out.push('oh', ONES[lo] as PromptName);
      else out.push(...sayNumber(lo));
    }
  }
  return out;
}

/** "You are caller number three." */
export function sayCallerNumber(position: number): Playlist {
  checkInt(position, 1, MAX_SAY_NUMBER, 'position');
  return ['you-are-caller-number', ...sayNumber(position)];
}

/** "You are third in line." */
export function sayQueuePosition(position: number): Playlist {
  checkInt(position, 1, MAX_SAY_NUMBER, 'position');
  return ['you-are', ...sayOrdinal(position), 'in-line'];
}

/** "There are four callers ahead of you." / "There is one caller ahead of you." */
export function sayCallersAhead(count: number): Playlist {
  checkInt(count, 0, MAX_SAY_NUMBER, 'count');
  if (count === 1) return ['there-is', 'one', 'caller-ahead-of-you'];
  return ['there-are', ...(count === 0 ? (['no'] as Playlist) : sayNumber(count)), 'callers-ahead-of-you'];
}

export interface SayWaitOptions {
  /** Waits longer than this many seconds are said as "more than N minutes" (default 3600). */
  cap?: number;
}

/**
 * "Your estimated wait time is less than one minute." / "… is about four
 * minutes." Rounds up to whole minutes: a caller who is told four minutes
 * should rarely wait five.
 */
export function sayEstimatedWait(seconds: number, options: SayWaitOptions = {}): Playlist {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'estimated wait must be a number of seconds >= 0');
  }
  const cap = options.cap ?? 3600;
  const out: Playlist = ['your-estimated-wait-time-is'];
  if (seconds < 60) return [...out, 'less-than', 'one', 'minute'];
  if (seconds > cap) {
    const m = Math.max(1, Math.floor(cap / 60));
    return [...out, 'more-than', ...sayNumber(m), m === 1 ? 'minute' : 'minutes'];
  }
  const m = Math.ceil(seconds / 60);
  return [...out, 'about', ...sayNumber(m), m === 1 ? 'minute' : 'minutes'];
}

/** "You have three new messages." / "You have no new messages." */
export function sayMessageCount(count: number, kind?: 'new' | 'old'): Playlist {
  checkInt(count, 0, MAX_SAY_NUMBER, 'count');
  const out: Playlist = ['you-have', ...(count === 0 ? (['no'] as Playlist) : sayNumber(count))];
  if (kind) out.push(kind);
  out.push(count === 1 ? 'message' : 'messages');
  return out;
}

/** A menu entry read key-first: `sayPress('1', 'to-leave-a-callback')` → press one to leave a callback… */
export function sayPress(key: string, ...then: PromptName[]): Playlist {
  if (typeof key !== 'string' || key.length !== 1) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'key must be one character');
  }
  return ['press', ...sayDigits(key), ...then];
}

/** A menu entry read topic-first: `sayFor('sales', '1')` → for sales press one. */
export function sayFor(topic: PromptName | readonly PromptName[], key: string): Playlist {
  const t = typeof topic === 'string' ? [topic] : [...topic];
  return ['for', ...t, ...sayPress(key)];
}
