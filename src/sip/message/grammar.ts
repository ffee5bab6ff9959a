/**
 * Character classes and small scanners for the RFC 3261 §25 grammar.
 * Everything here works on strings that hold one header value (after
 * unfolding), indexes by char code, and never backtracks.
 */
import { SipParseError } from './errors.js';

// Bit flags per ASCII code.
const ALNUM = 1;
const TOKEN = 2; // token: alphanum / - . ! % * _ + ` ' ~
const UNRESERVED = 4; // alphanum / mark (- _ . ! ~ * ' ( ))
const USER_EXTRA = 8; // user-unreserved: & = + $ , ; ? /   (and # — accepted for real-world dial strings)
const PARAM_EXTRA = 16; // param-unreserved: [ ] / : & + $
const HNV_EXTRA = 32; // hnv-unreserved: [ ] / ? : + $
const HOST = 64; // hostname / IPv4 characters: alphanum - . _
const PASSWORD_EXTRA = 128; // & = + $ ,

const TABLE = new Uint8Array(128);
function mark(chars: string, flag: number): void {
  for (let i = 0; i < chars.length; i++) {
    const c = chars.charCodeAt(i);
    TABLE[c] = (TABLE[c] as number) | flag;
  }
}
const alnum = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
mark(alnum, ALNUM | TOKEN | UNRESERVED | HOST);
mark("-.!%*_+`'~", TOKEN);
mark("-_.!~*'()", UNRESERVED);
mark('&=+$,;?/#', USER_EXTRA);
mark('[]/:&+$', PARAM_EXTRA);
mark('[]/?:+$', HNV_EXTRA);
mark('-._', HOST);
mark('&=+$,', PASSWORD_EXTRA);

export function isTokenChar(c: number): boolean {
  return c < 128 && ((TABLE[c] as number) & TOKEN) !== 0;
}

export function isAlnum(c: number): boolean {
  return c < 128 && ((TABLE[c] as number) & ALNUM) !== 0;
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** paramchar without escapes: param-unreserved / unreserved (RFC 3261 §25.1). */
export function isParamChar(c: number): boolean {
  return c < 128 && ((TABLE[c] as number) & (UNRESERVED | PARAM_EXTRA)) !== 0;
}

export function isHostChar(c: number): boolean {
  return c < 128 && ((TABLE[c] as number) & HOST) !== 0;
}

export function isLws(c: number): boolean {
  return c === 32 || c === 9;
}

/** True when all of `s` is a non-empty token. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

/** Index of the first non-LWS character at or after `i`. */
export function skipLws(s: string, i: number, end = s.length): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9) break;
    i++;
  }
  return i;
}

/** Index just past a run of token characters starting at `i`. */
export function scanToken(s: string, i: number, end = s.length): number {
  while (i < end && isTokenChar(s.charCodeAt(i))) i++;
  return i;
}

/**
 * Checks that s[start, end) consists of characters of the given class, where
 * `%XX` escapes are always allowed. Returns the index of the first bad
 * character, or -1.
 */
function badCharIn(s: string, start: number, end: number, extra: number): number {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 37) {
      if (i + 2 < end && isHexDigit(s.charCodeAt(i + 1)) && isHexDigit(s.charCodeAt(i + 2))) {
        i += 2;
        continue;
      }
      return i;
    }
    if (c >= 128 || ((TABLE[c] as number) & (UNRESERVED | extra)) === 0) return i;
  }
  return -1;
}

export const CHARSET = Object.freeze({
  user: USER_EXTRA,
  password: PASSWORD_EXTRA,
  param: PARAM_EXTRA,
  header: HNV_EXTRA,
});

export function firstBadChar(s: string, start: number, end: number, set: number): number {
  return badCharIn(s, start, end, set);
}

/**
 * Reads a quoted-string starting at `i` (which must hold `"`). Returns the
 * unescaped content and the index just past the closing quote.
 */
export function readQuoted(s: string, i: number, end = s.length): { value: string; end: number } {
  // fast path: no quoted-pair before the closing quote
  const close = s.indexOf('"', i + 1);
  if (close >= 0 && close < end) {
    const bs = s.indexOf('\\', i + 1);
    if (bs < 0 || bs > close) {
      const cr = s.indexOf('\r', i + 1);
      const lf = s.indexOf('\n', i + 1);
      if ((cr < 0 || cr > close) && (lf < 0 || lf > close))
        return { value: s.slice(i + 1, close), end: close + 1 };
    }
  }
  let out = '';
  let runStart = i + 1;
  for (let j = i + 1; j < end; j++) {
    const c = s.charCodeAt(j);
    if (c === 92 /* \ */) {
      if (j + 1 >= end) break;
      const n = s.charCodeAt(j + 1);
      if (n === 10 || n === 13) throw new SipParseError('bad quoted-pair in quoted-string', { offset: j });
      out += s.slice(runStart, j);
      runStart = j + 1; // keep the escaped char itself
      j++;
    } else if (c === 34 /* " */) {
      out += s.slice(runStart, j);
      return { value: out, end: j + 1 };
    } else if (c === 13 || c === 10) {
      break;
    }
  }
  throw new SipParseError('unterminated quoted-string', { offset: i });
}

/** Wraps `s` in double quotes, escaping `"` and `\`. */
export function quote(s: string): string {
  let needs = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 34 || c === 92) {
      needs = true;
      break;
    }
  }
  return needs ? `"${s.replace(/["\\]/g, '\\$&')}"` : `"${s}"`;
}

/** Removes surrounding quotes (and quoted-pair escapes) if present. */
export function unquote(s: string): string {
  if (s.length >= 2 && s.charCodeAt(0) === 34 && s.charCodeAt(s.length - 1) === 34) {
    return readQuoted(s, 0).value;
  }
  return s;
}

/**
 * Splits a header value at commas that are outside quoted strings and angle
 * brackets (RFC 3261 §7.3.1). Each part is trimmed of LWS. Linear time.
 */
export function splitList(value: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  const n = value.length;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 92) i++;
      else if (c === 34) inQuote = false;
    } else if (c === 34) inQuote = true;
    else if (c === 60) inAngle = true;
    else if (c === 62) inAngle = false;
    else if (c === 44 && !inAngle) {
      parts.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(value.slice(start).trim());
  return parts;
}

/** Decodes `%XX` escapes (for comparing user parts and parameters, RFC 3261 §19.1.4). */
export function unescapeUri(s: string): string {
  if (s.indexOf('%') < 0) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 && i + 2 < s.length && isHexDigit(s.charCodeAt(i + 1)) && isHexDigit(s.charCodeAt(i + 2))) {
      out += String.fromCharCode(Number.parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out += s[i];
  }
  return out;
}

/** Escapes every character that is not allowed unescaped in the given URI component. */
export function escapeUri(s: string, set: number): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && c !== 37 && ((TABLE[c] as number) & (UNRESERVED | set)) !== 0) out += s[i];
    else if (c < 128) out += `%${c.toString(16).toUpperCase().padStart(2, '0')}`;
    else for (const b of Buffer.from(s[i] as string, 'utf8')) out += `%${b.toString(16).toUpperCase()}`;
  }
  return out;
}

/** Parses a run of decimal digits s[start, end) into a number no larger than `max`, or returns -1. */
export function parseDecimal(s: string, start: number, end: number, max: number): number {
  if (end <= start) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
    if (v > max) return -1;
  }
  return v;
}

/** Checks an IPv4 dotted quad. */
export function isIPv4(s: string): boolean {
  let parts = 0;
  let i = 0;
  const n = s.length;
  while (i <= n) {
    let j = i;
    while (j < n && isDigit(s.charCodeAt(j))) j++;
    if (j === i || j - i > 3) return false;
    if (Number(s.slice(i, j)) > 255) return false;
    parts++;
    if (j === n) break;
    if (s.charCodeAt(j) !== 46 || parts === 4) return false;
    i = j + 1;
  }
  return parts === 4;
}

/** Checks an IPv6 address (RFC 4291 text form, optionally with an embedded IPv4 tail), no brackets. */
export function isIPv6(s: string): boolean {
  if (s.length < 2 || s.length > 45) return false;
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return false;
  // a ':::' run appears as '::' followed by ':' — reject it
  if (s.includes(':::')) return false;
  const groups = s.split(':');
  let count = 0;
  for (let g = 0; g < groups.length; g++) {
    const part = groups[g] as string;
    if (part === '') continue;
    if (g === groups.length - 1 && part.includes('.')) {
      if (!isIPv4(part)) return false;
      count += 2;
      continue;
    }
    if (part.length > 4) return false;
    for (let i = 0; i < part.length; i++) if (!isHexDigit(part.charCodeAt(i))) return false;
    count++;
  }
  if (dbl >= 0) {
    // leading/trailing single ':' are only valid as part of '::'
    if (s.startsWith(':') && !s.startsWith('::')) return false;
    if (s.endsWith(':') && !s.endsWith('::')) return false;
    return count <= 7;
  }
  if (s.startsWith(':') || s.endsWith(':')) return false;
  return count === 8;
}

/**
 * Scans a hostname or IPv4 address (labels of alphanum, '-', '_' separated by
 * single dots) starting at `i`, validating as it goes; it ends at ':' or ';',
 * and also at '?' (in a URI) or LWS (in a Via). Returns the end index.
 */
export function scanHost(s: string, i: number, end: number, inVia: boolean): number {
  const h0 = i;
  let label = 0;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c === 58 || c === 59 || (inVia ? c === 32 || c === 9 : c === 63)) break;
    if (c === 46) {
      if (label === 0) throw new SipParseError('invalid host', { offset: i });
      label = 0;
    } else if (isHostChar(c)) label++;
    else throw new SipParseError('invalid host', { offset: i });
    i++;
  }
  if (i === h0) throw new SipParseError('invalid host', { offset: h0 });
  return i;
}

/** Checks a hostname (RFC 3261 §25.1; underscores tolerated) or IPv4 address. */
export function isHostname(s: string): boolean {
  if (s.length === 0 || s.length > 255) return false;
  let labelLen = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (labelLen === 0) return false;
      labelLen = 0;
    } else if (isHostChar(c)) labelLen++;
    else return false;
  }
  return true;
}
