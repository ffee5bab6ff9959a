/**
 * The event list of `telephone-event` (RFC 4733 §2.4.1): `a=fmtp:101 0-15,66`
 * names the events a receiver understands. Without an fmtp, 0-15 (the DTMF
 * digits, `*`, `#` and A-D) are assumed.
 */
import { parseUint } from './tokens.js';

/** The events assumed when `telephone-event` has no fmtp (RFC 4733 §2.4.1). */
export const DEFAULT_TELEPHONE_EVENTS = '0-15';

/** Reads an event list (`0-15,66,70-72`) into sorted event codes, or undefined when malformed. */
export function parseEventList(list: string): number[] | undefined {
  const seen = new Uint8Array(256);
  let any = false;
  for (const raw of list.split(',')) {
    const item = raw.trim();
    const dash = item.indexOf('-');
    const lo = parseUint(dash === -1 ? item : item.slice(0, dash), 255);
    const hi = dash === -1 ? lo : parseUint(item.slice(dash + 1), 255);
    if (lo < 0 || hi < lo) return undefined;
    for (let e = lo; e <= hi; e++) seen[e] = 1;
    any = true;
  }
  if (!any) return undefined;
  const out: number[] = [];
  for (let e = 0; e < 256; e++) if (seen[e]) out.push(e);
  return out;
}

/** Writes sorted event codes as a compact list (`0-15,66`). */
export function formatEventList(events: readonly number[]): string {
  let s = '';
  let i = 0;
  while (i < events.length) {
    const lo = events[i] as number;
    let hi = lo;
    while (i + 1 < events.length && events[i + 1] === hi + 1) hi = events[++i] as number;
    if (s.length > 0) s += ',';
    s += lo === hi ? String(lo) : `${lo}-${hi}`;
    i++;
  }
  return s;
}

/** The events both lists name, as a list, or undefined when they share none (or one is malformed). */
export function intersectEventLists(a: string, b: string): string | undefined {
  const x = parseEventList(a);
  const y = parseEventList(b);
  if (!x || !y) return undefined;
  const ys = new Set(y);
  const both = x.filter((e) => ys.has(e));
  return both.length > 0 ? formatEventList(both) : undefined;
}
