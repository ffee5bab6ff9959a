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
import { isLws, isTokenChar, quote, readQuoted, scanToken, skipLws } from './grammar.js';
import { Params } from './params.js';
import { parseUri, SipUri, type Uri } from './uri.js';

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
  for (;;) {
    i = skipLws(s, i, end);
    if (i >= end) return i;
    if (s.charCodeAt(i) !== 59) fail('expected ";" before a parameter', i);
    i = skipLws(s, i + 1, end);
    const nameStart = i;
    i = scanToken(s, i, end);
    if (i === nameStart) fail('empty parameter name', i);
    const name = s.slice(nameStart, i);
    i = skipLws(s, i, end);
    if (i < end && s.charCodeAt(i) === 61) {
      i = skipLws(s, i + 1, end);
      if (i < end && s.charCodeAt(i) === 34) {
        const q = readQuoted(s, i, end);
        params.append(name, s.slice(i, q.end));
        i = q.end;
      } else {
        const vStart = i;
        // token, host (with ':' for ports) or an IPv6 reference in brackets
        while (i < end) {
          const c = s.charCodeAt(i);
          if (isTokenChar(c) || c === 58 || c === 91 || c === 93) i++;
          else break;
        }
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
  let i = skipLws(s, start, end);
  if (i >= end) fail('empty address', i);
  let displayName: string | undefined;
  let uri: Uri;
  const c = s.charCodeAt(i);
  if (c === 34 || c === 60 || isDisplayNameThenAngle(s, i, end)) {
    if (c === 34) {
      const q = readQuoted(s, i, end);
      displayName = q.value;
      i = skipLws(s, q.end, end);
    } else if (c !== 60) {
      // *( token LWS ) display name: collapse LWS runs to one space
      const lt = s.indexOf('<', i);
      displayName = s
        .slice(i, lt)
        .trim()
        .split(/[ \t]+/)
        .join(' ');
      i = lt;
    }
    if (s.charCodeAt(i) !== 60) fail('expected "<" after display name', i);
    const gt = s.indexOf('>', i + 1);
    if (gt < 0 || gt >= end) fail('"<" without ">"', i);
    uri = parseUri(s, i + 1, gt);
    i = gt + 1;
  } else {
    // addr-spec: the URI ends at LWS, ';' or the end
    let j = i;
    while (j < end) {
      const d = s.charCodeAt(j);
      if (d === 59 || isLws(d)) break;
      j++;
    }
    uri = parseUri(s, i, j);
    // RFC 3261 §20: a URI with a comma, question mark or semicolon must be in name-addr form
    if (uri instanceof SipUri && uri.headers.length > 0)
      fail('a URI with headers must be enclosed in "<>"', i);
    i = j;
  }
  const params = new Params();
  parseGenericParams(s, i, end, params);
  return new NameAddr(uri, { displayName, params });
}

/** True when s[i…] is `token *(LWS token) SWS "<"`. */
function isDisplayNameThenAngle(s: string, i: number, end: number): boolean {
  for (;;) {
    const t = scanToken(s, i, end);
    if (t === i) return false;
    const j = skipLws(s, t, end);
    if (j >= end) return false;
    if (s.charCodeAt(j) === 60) return true;
    if (j === t) return false; // a non-token character that is not LWS or '<'
    i = j;
  }
}
