/** Small scanning helpers shared by the SDP parser and the attribute codecs. */

/** A non-negative decimal integer no larger than `max`, or -1 when `s` is not one. */
export function parseUint(s: string, max: number): number {
  const len = s.length;
  if (len === 0 || len > 16) return -1;
  let n = 0;
  for (let i = 0; i < len; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n > max ? -1 : n;
}

/** A positive decimal number (`20`, `22.5`) as RFC 8866 `non-zero-int-or-real`, or -1. */
export function parsePositiveReal(s: string): number {
  const dot = s.indexOf('.');
  if (dot === -1) {
    const n = parseUint(s, Number.MAX_SAFE_INTEGER);
    return n > 0 ? n : -1;
  }
  const a = parseUint(s.slice(0, dot), Number.MAX_SAFE_INTEGER);
  const b = parseUint(s.slice(dot + 1), Number.MAX_SAFE_INTEGER);
  if (a < 0 || b < 0) return -1;
  const n = Number(s);
  return n > 0 && Number.isFinite(n) ? n : -1;
}

/** Splits on runs of spaces/tabs, ignoring leading and trailing ones. */
export function splitTokens(s: string): string[] {
  const out: string[] = [];
  const len = s.length;
  let i = 0;
  while (i < len) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9) {
      i++;
      continue;
    }
    const start = i;
    for (i++; i < len; i++) {
      const d = s.charCodeAt(i);
      if (d === 32 || d === 9) break;
    }
    out.push(s.slice(start, i));
  }
  return out;
}

/** True when `s` is non-empty and has no space, tab or control character (an SDP `token`-ish word). */
export function isWord(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c === 127) return false;
  }
  return true;
}

/** True when `s` holds CR, LF or NUL, which no SDP line may contain (RFC 8866 §9 `byte-string`). */
export function hasForbiddenChar(s: string): boolean {
  return s.indexOf('\r') !== -1 || s.indexOf('\n') !== -1 || s.indexOf('\0') !== -1;
}
