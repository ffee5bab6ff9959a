/**
 * Byte scanners for the parse hot path.
 *
 * V8 reads a Uint8Array element two to three times faster than
 * `String.prototype.charCodeAt`, which re-checks the string's representation
 * on every call, and a parser reads every character of a message head a few
 * times. So the parsers of what every message carries (start line, header
 * names, Via, From/To/Contact and their URIs, CSeq, Call-ID) read character
 * codes from a Uint8Array `c` and slice values from a string `s` that is
 * index-aligned with it: `c[i]` is the code of `s[i]`, or 0x80 for any
 * non-ASCII character (which belongs to no class in {@link TABLE}).
 *
 * For a message whose head is ASCII, `c` is the datagram itself and `s` its
 * decoding; otherwise {@link ownCodesOf} builds `c` from `s`. The string entry
 * points (`parseUri(s)`, `parseVia(s)` …) use {@link codesOf}, which fills a
 * shared scratch array: only entry points may call it, never code that is
 * already scanning an array (it would overwrite that array under its feet).
 *
 * Every reader here stays inside [start, end): the array may hold more of the
 * message, or stale codes from an earlier scratch use, past `end`.
 */
import { SipParseError } from './errors.js';
import { HOST, TABLE, TOKEN, UNRESERVED } from './grammar.js';

let scratch = new Uint8Array(1024);
const SCRATCH_MAX = 1 << 16;

function fill(c: Uint8Array, s: string, start: number, end: number): Uint8Array {
  for (let i = start; i < end; i++) {
    const x = s.charCodeAt(i);
    c[i] = Math.min(x, 128);
  }
  return c;
}

/**
 * Codes of s[start, end) at their own indexes, in a scratch array that is
 * valid until the next call (for the string entry points only).
 */
export function codesOf(s: string, start = 0, end = s.length): Uint8Array {
  if (end > scratch.length) {
    if (end > SCRATCH_MAX) return fill(new Uint8Array(end), s, start, end);
    scratch = new Uint8Array(Math.max(end, scratch.length * 2));
  }
  return fill(scratch, s, start, end);
}

/** Codes of all of `s` in a new array (for a parsed message that keeps them). */
export function ownCodesOf(s: string): Uint8Array {
  return fill(new Uint8Array(s.length), s, 0, s.length);
}

/** Index of the first non-LWS code at or after `i`. */
export function skipLwsAt(c: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const x = c[i] as number;
    if (x !== 32 && x !== 9) break;
    i++;
  }
  return i;
}

/** True when c[i, i + 7) is `SIP/2.0` (the caller knows 7 codes are there). */
export function isSip20(c: Uint8Array, i: number): boolean {
  return (
    c[i] === 83 &&
    c[i + 1] === 73 &&
    c[i + 2] === 80 &&
    c[i + 3] === 47 &&
    c[i + 4] === 50 &&
    c[i + 5] === 46 &&
    c[i + 6] === 48
  );
}

/** Index just past a run of token characters starting at `i`. */
export function scanTokenAt(c: Uint8Array, i: number, end: number): number {
  while (i < end && ((TABLE[c[i] as number] as number) & TOKEN) !== 0) i++;
  return i;
}

/** Index of the first `code` in [i, end), or -1. */
export function indexOfCode(c: Uint8Array, code: number, i: number, end: number): number {
  for (; i < end; i++) if (c[i] === code) return i;
  return -1;
}

/**
 * Index of the first character of c[start, end) outside UNRESERVED | `extra`
 * (`%XX` escapes allowed), or -1.
 */
export function badCharAt(c: Uint8Array, start: number, end: number, extra: number): number {
  const set = UNRESERVED | extra;
  for (let i = start; i < end; i++) {
    const x = c[i] as number;
    if (((TABLE[x] as number) & set) !== 0) continue;
    if (x === 37 && i + 2 < end && isHexCode(c[i + 1] as number) && isHexCode(c[i + 2] as number)) {
      i += 2;
      continue;
    }
    return i;
  }
  return -1;
}

export function isHexCode(x: number): boolean {
  return (x >= 48 && x <= 57) || ((x | 0x20) >= 97 && (x | 0x20) <= 102);
}

/**
 * Scans a hostname or IPv4 address (labels of alphanum, '-', '_' separated by
 * single dots) from `i`, validating as it goes; it ends at ':' or ';', and
 * also at '?' (in a URI) or LWS and ',' (in a Via). Returns the end index.
 */
export function scanHostAt(c: Uint8Array, i: number, end: number, inVia: boolean): number {
  const h0 = i;
  let label = 0;
  while (i < end) {
    const x = c[i] as number;
    if (x === 46) {
      if (label === 0) throw new SipParseError('invalid host', { offset: i });
      label = 0;
    } else if (((TABLE[x] as number) & HOST) !== 0) label++;
    else if (x === 58 || x === 59 || (inVia ? x === 32 || x === 9 || x === 44 : x === 63)) break;
    else throw new SipParseError('invalid host', { offset: i });
    i++;
  }
  if (i === h0) throw new SipParseError('invalid host', { offset: h0 });
  return i;
}

/** c[start, end) as a decimal number no larger than `max`, or -1. */
export function decimalAt(c: Uint8Array, start: number, end: number, max: number): number {
  if (end <= start) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = (c[i] as number) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
    if (v > max) return -1;
  }
  return v;
}

/**
 * End of the quoted-string that starts at `i` (which holds `"`): the index
 * just past the closing quote. CR and LF may not appear in it, not even
 * escaped.
 */
export function quotedEnd(c: Uint8Array, i: number, end: number): number {
  for (let j = i + 1; j < end; j++) {
    const x = c[j] as number;
    if (x === 34) return j + 1;
    if (x === 92) {
      if (j + 1 >= end) break;
      const n = c[j + 1] as number;
      if (n === 10 || n === 13) throw new SipParseError('bad quoted-pair in quoted-string', { offset: j });
      j++;
    } else if (x === 13 || x === 10) break;
  }
  throw new SipParseError('unterminated quoted-string', { offset: i });
}

/** The content of the quoted-string s[i, e) (as found by {@link quotedEnd}) with quoted-pairs undone. */
export function quotedValue(c: Uint8Array, s: string, i: number, e: number): string {
  let out = '';
  let run = i + 1;
  for (let j = i + 1; j < e - 1; j++) {
    if (c[j] === 92) {
      out += s.slice(run, j);
      run = j + 1; // keep the escaped character itself
      j++;
    }
  }
  return run === i + 1 ? s.slice(i + 1, e - 1) : out + s.slice(run, e - 1);
}

/**
 * Where a list-element parser stopped: the index of the ',' that ended the
 * element, or the end of the value (see parseViaAt, parseNameAddrAt).
 */
export interface Cursor {
  end: number;
}
