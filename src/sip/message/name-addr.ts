/**
 * name-addr and addr-spec with header parameters (From, To, Contact, Route,
 * Record-Route, Refer-To, Reply-To, P-Asserted-Identity …), RFC 3261 §20.10:
 *
 *   ( name-addr / addr-spec ) *( SEMI generic-param )
 *   name-addr    = [ display-name ] LAQUOT addr-spec RAQUOT
 *   display-name = *( token LWS ) / quoted-string
 *   LAQUOT = SWS "<"      RAQUOT = ">" SWS      (no whitespace inside the brackets)
 *
 * In the addr-spec form (no angle brackets) parameters after the URI belong to
 * the header, not to the URI (RFC 4475 cparam01).
 */
import { SipParseError } from './errors.js';
import { GEN_VALUE_EXTRA, quote, TABLE, TOKEN } from './grammar.js';
import { Params } from './params.js';
import { type Cursor, codesOf, indexOfCode, quotedEnd, quotedValue, scanTokenAt, skipLwsAt } from './scan.js';
import { parseUriAt, SipUri, type Uri } from './uri.js';

/** gen-value characters outside a quoted-string: token, ':' (host:port), '[' ']' (IPv6). */
const GEN_VALUE = TOKEN | GEN_VALUE_EXTRA;

export class NameAddr {
  /** Display name, unquoted and unescaped; undefined when absent. */
  displayName: string | undefined;
  uri: Uri;
  /** Header parameters (`tag`, `expires`, `q` …) with values as written (quoted strings keep their quotes). */
  readonly params: Params;

  constructor(uri: Uri, options: { displayName?: string | undefined; params?: Params } = {}) {
    this.uri = uri;
    this.displayName = options.displayName;
    this.params = options.params ?? new Params();
  }

  get tag(): string | undefined {
    return this.params.get('tag') ?? undefined;
  }

  set tag(value: string | undefined) {
    if (value === undefined) this.params.delete('tag');
    else this.params.set('tag', value);
  }

  clone(): NameAddr {
    return new NameAddr(this.uri.clone(), { displayName: this.displayName, params: this.params.clone() });
  }

  /** Always the name-addr form with angle brackets, so URI parameters cannot be mistaken for header ones. */
  toString(): string {
    const dn = this.displayName === undefined ? '' : `${quote(this.displayName)} `;
    return `${dn}<${this.uri.toString()}>${this.params.toString()}`;
  }
}

function fail(message: string, offset: number): never {
  throw new SipParseError(message, { offset });
}

/**
 * Parses header parameters `*( SEMI generic-param )` from s[i, end) into
 * `params`; `gen-value = token / host / quoted-string`. Returns the end index.
 */
export function parseGenericParams(s: string, i: number, end: number, params: Params): number {
  return parseGenericParamsAt(codesOf(s, i, end), s, i, end, params, false);
}

/**
 * @internal {@link parseGenericParams} over the codes `c` of `s` (see scan.ts). In a
 * list element (`list`), a ',' after a parameter ends the element: the index
 * of that ',' is returned.
 */
export function parseGenericParamsAt(
  c: Uint8Array,
  s: string,
  i: number,
  end: number,
  params: Params,
  list: boolean,
): number {
  for (;;) {
    i = skipLwsAt(c, i, end);
    if (i >= end) return i;
    if (c[i] !== 59) {
      if (list && c[i] === 44) return i;
      fail('expected ";" before a parameter', i);
    }
    i = skipLwsAt(c, i + 1, end);
    const nameStart = i;
    i = scanTokenAt(c, i, end);
    if (i === nameStart) fail('empty parameter name', i);
    const name = s.slice(nameStart, i);
    i = skipLwsAt(c, i, end);
    if (i < end && c[i] === 61) {
      i = skipLwsAt(c, i + 1, end);
      if (i < end && c[i] === 34) {
        const q = quotedEnd(c, i, end);
        params.append(name, s.slice(i, q));
        i = q;
      } else {
        const vStart = i;
        // token, host (with ':' for ports) or an IPv6 reference in brackets
        while (i < end && ((TABLE[c[i] as number] as number) & GEN_VALUE) !== 0) i++;
        if (i === vStart) fail('empty parameter value', i);
        params.append(name, s.slice(vStart, i));
      }
    } else {
      params.append(name, null);
    }
  }
}

/** Parses one name-addr / addr-spec value with its parameters. */
export function parseNameAddr(s: string, start = 0, end = s.length): NameAddr {
  return parseNameAddrAt(codesOf(s, start, end), s, start, end);
}

/**
 * @internal {@link parseNameAddr} over the codes `c` of `s` (see scan.ts). With a
 * `cursor`, s[start, end) is a comma-separated list (Contact, Route …): the
 * element starting at `start` ends at a ',' outside quotes and angle brackets,
 * and `cursor.end` is set to that ',' (or `end`).
 */
export function parseNameAddrAt(
  c: Uint8Array,
  s: string,
  start: number,
  end: number,
  cursor?: Cursor,
): NameAddr {
  const list = cursor !== undefined;
  let i = skipLwsAt(c, start, end);
  if (i >= end || (list && c[i] === 44)) fail('empty address', i);
  let displayName: string | undefined;
  let uri: Uri;
  const c0 = c[i] as number;
  if (c0 === 34 || c0 === 60 || isDisplayNameThenAngle(c, i, end)) {
    if (c0 === 34) {
      const q = quotedEnd(c, i, end);
      displayName = quotedValue(c, s, i, q);
      i = skipLwsAt(c, q, end);
    } else if (c0 !== 60) {
      // *( token LWS ) display name: collapse LWS runs to one space
      const lt = indexOfCode(c, 60, i, end);
      displayName = s
        .slice(i, lt)
        .trim()
        .split(/[ \t]+/)
        .join(' ');
      i = lt;
    }
    if (i >= end || c[i] !== 60) fail('expected "<" after display name', i);
    // (String#indexOf is the fastest search; a '>' past `end` is an error, so it runs far at most once)
    const gt = s.indexOf('>', i + 1);
    if (gt < 0 || gt >= end) fail('"<" without ">"', i);
    uri = parseUriAt(c, s, i + 1, gt);
    i = gt + 1;
  } else {
    // addr-spec: the URI ends at LWS, ';' or the end (or a ',' in a list)
    let j = i;
    while (j < end) {
      const d = c[j] as number;
      if (d === 59 || d === 32 || d === 9 || (list && d === 44)) break;
      j++;
    }
    uri = parseUriAt(c, s, i, j);
    // RFC 3261 §20: a URI with a comma, question mark or semicolon must be in name-addr form
    if (uri instanceof SipUri && uri.headers.length > 0)
      fail('a URI with headers must be enclosed in "<>"', i);
    i = j;
  }
  const params = new Params();
  const stop = parseGenericParamsAt(c, s, i, end, params, list);
  if (cursor !== undefined) cursor.end = stop;
  return new NameAddr(uri, { displayName, params });
}

/** True when c[i…] is `token *(LWS token) SWS "<"`. */
function isDisplayNameThenAngle(c: Uint8Array, i: number, end: number): boolean {
  for (;;) {
    const t = scanTokenAt(c, i, end);
    if (t === i) return false;
    const j = skipLwsAt(c, t, end);
    if (j >= end) return false;
    if (c[j] === 60) return true;
    if (j === t) return false; // a non-token character that is not LWS or '<'
    i = j;
  }
}
