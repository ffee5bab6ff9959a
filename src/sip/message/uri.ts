/**
 * SIP, SIPS and TEL URIs, and any other absolute URI kept opaque.
 *
 *   SIP-URI  = "sip:" [ userinfo ] hostport uri-parameters [ headers ]   (RFC 3261 §19.1, §25.1)
 *   userinfo = ( user / telephone-subscriber ) [ ":" password ] "@"
 *   hostport = host [ ":" port ]       host = hostname / IPv4address / IPv6reference
 *   uri-parameters = *( ";" uri-parameter )     headers = "?" header *( "&" header )
 *   telephone-uri = "tel:" telephone-subscriber *( ";" par )                    (RFC 3966)
 *
 * The user part, password, parameter values and header values are kept in
 * their escaped wire form, so a URI re-serializes byte for byte; use
 * {@link unescapeUri} to compare or display them. Hosts are kept as written
 * (IPv6 without the brackets, which {@link SipUri.toString} adds back).
 */
import { SipParseError } from './errors.js';
import {
  CHARSET,
  firstBadChar,
  isHexDigit,
  isIPv4,
  isIPv6,
  isParamChar,
  isTokenChar,
  scanHost,
  unescapeUri,
} from './grammar.js';
import { Params } from './params.js';

export interface SipUriInit {
  scheme?: 'sip' | 'sips';
  user?: string | undefined;
  password?: string | undefined;
  host: string;
  port?: number | undefined;
  params?: Params | Iterable<readonly [string, string | null]> | Record<string, string | null>;
  headers?: Array<[string, string]>;
}

export class SipUri {
  scheme: 'sip' | 'sips';
  /** User part in escaped form (RFC 3261 §19.1.2), or undefined. */
  user: string | undefined;
  password: string | undefined;
  /** Host name, IPv4 address, or IPv6 address without brackets. */
  host: string;
  port: number | undefined;
  readonly params: Params;
  #headers: Array<[string, string]> | undefined;

  constructor(init: SipUriInit) {
    this.scheme = init.scheme ?? 'sip';
    this.user = init.user;
    this.password = init.password;
    this.host = init.host;
    this.port = init.port;
    const p = init.params;
    this.params =
      p instanceof Params
        ? p
        : p === undefined
          ? new Params()
          : Symbol.iterator in (p as object)
            ? new Params(p as Iterable<[string, string | null]>)
            : new Params(Object.entries(p as Record<string, string | null>));
    this.#headers = init.headers;
  }

  /** URI headers (`?name=value&…`) in escaped form. */
  get headers(): Array<[string, string]> {
    if (this.#headers === undefined) this.#headers = [];
    return this.#headers;
  }

  get isSecure(): boolean {
    return this.scheme === 'sips';
  }

  /** The `transport` parameter, lower-cased, if any. */
  get transport(): string | undefined {
    return this.params.get('transport')?.toLowerCase();
  }

  /** Host with brackets when it is an IPv6 address. */
  get hostport(): string {
    const h = this.host.includes(':') ? `[${this.host}]` : this.host;
    return this.port === undefined ? h : `${h}:${this.port}`;
  }

  /** `sip:user@host` — the address-of-record form (no port, parameters or headers), host lower-cased. */
  get aor(): string {
    const h = this.host.includes(':') ? `[${this.host.toLowerCase()}]` : this.host.toLowerCase();
    return this.user === undefined ? `${this.scheme}:${h}` : `${this.scheme}:${unescapeUri(this.user)}@${h}`;
  }

  clone(): SipUri {
    return new SipUri({
      scheme: this.scheme,
      user: this.user,
      password: this.password,
      host: this.host,
      port: this.port,
      params: this.params.clone(),
      headers: this.#headers?.map(([n, v]) => [n, v]),
    });
  }

  toString(): string {
    let s = `${this.scheme}:`;
    if (this.user !== undefined) {
      s += this.user;
      if (this.password !== undefined) s += `:${this.password}`;
      s += '@';
    }
    s += this.hostport;
    if (this.params.size > 0) s += this.params.toString();
    const h = this.#headers;
    if (h !== undefined && h.length > 0) s += `?${h.map(([n, v]) => `${n}=${v}`).join('&')}`;
    return s;
  }
}

export class TelUri {
  readonly scheme = 'tel' as const;
  /** The telephone-subscriber number as written (`+1-201-555-0123`, `7042`). */
  number: string;
  readonly params: Params;

  constructor(number: string, params: Params = new Params()) {
    this.number = number;
    this.params = params;
  }

  /** The number without visual separators (`-`, `.`, `(`, `)`). */
  get digits(): string {
    return this.number.replace(/[-.()]/g, '');
  }

  get isGlobal(): boolean {
    return this.number.startsWith('+');
  }

  clone(): TelUri {
    return new TelUri(this.number, this.params.clone());
  }

  toString(): string {
    return `tel:${this.number}${this.params.toString()}`;
  }
}

/** An absolute URI of a scheme Strowger does not interpret (`http:`, `urn:`, `isbn:` …). */
export class AbsoluteUri {
  readonly scheme: string;
  /** Everything after the `:` as written. */
  readonly opaque: string;

  constructor(scheme: string, opaque: string) {
    this.scheme = scheme;
    this.opaque = opaque;
  }

  clone(): AbsoluteUri {
    return this;
  }

  toString(): string {
    return `${this.scheme}:${this.opaque}`;
  }
}

export type Uri = SipUri | TelUri | AbsoluteUri;

export function isSipUri(u: Uri): u is SipUri {
  return u instanceof SipUri;
}

function fail(message: string, offset: number): never {
  throw new SipParseError(message, { offset });
}

/**
 * Parses the URI in s[start, end). Scheme names compare case-insensitively;
 * `sip`/`sips`/`tel` are interpreted, any other valid absolute URI is kept
 * opaque (a UAS answers 416 for those in a Request-URI).
 */
export function parseUri(s: string, start = 0, end = s.length): Uri {
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"
  let i = start;
  const c0 = s.charCodeAt(i);
  if (!((c0 >= 65 && c0 <= 90) || (c0 >= 97 && c0 <= 122))) fail('URI must start with a scheme', i);
  i++;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      (c >= 48 && c <= 57) ||
      c === 43 ||
      c === 45 ||
      c === 46
    )
      i++;
    else break;
  }
  if (i >= end || s.charCodeAt(i) !== 58) fail('URI scheme is not followed by ":"', i);
  const scheme = s.slice(start, i);
  const lower = scheme.length <= 4 ? scheme.toLowerCase() : '';
  if (lower === 'sip' || lower === 'sips') return parseSipUriBody(s, i + 1, end, lower);
  if (lower === 'tel') return parseTelBody(s, i + 1, end);
  return parseOpaque(s, scheme, i + 1, end);
}

function parseOpaque(s: string, scheme: string, i: number, end: number): AbsoluteUri {
  if (i >= end) fail('empty absolute URI', i);
  for (let j = i; j < end; j++) {
    const c = s.charCodeAt(j);
    // absoluteURI characters: uric = reserved / unreserved / escaped; never LWS, quotes, angle brackets
    if (
      c <= 32 ||
      c >= 127 ||
      c === 34 ||
      c === 60 ||
      c === 62 ||
      c === 92 ||
      c === 94 ||
      c === 96 ||
      c === 123 ||
      c === 124 ||
      c === 125
    )
      fail('invalid character in absolute URI', j);
  }
  return new AbsoluteUri(scheme.toLowerCase(), s.slice(i, end));
}

function parseSipUriBody(s: string, i: number, end: number, scheme: 'sip' | 'sips'): SipUri {
  let user: string | undefined;
  let password: string | undefined;
  // userinfo ends at the first '@' (user, password, params and headers cannot hold an unescaped '@')
  const at = s.indexOf('@', i);
  if (at >= 0 && at < end) {
    const colon = s.indexOf(':', i);
    const userEnd = colon >= 0 && colon < at ? colon : at;
    if (userEnd === i) fail('empty user part', i);
    const bad = firstBadChar(s, i, userEnd, CHARSET.user);
    if (bad >= 0) fail('invalid character in URI user part', bad);
    user = s.slice(i, userEnd);
    if (userEnd < at) {
      const pbad = firstBadChar(s, userEnd + 1, at, CHARSET.password);
      if (pbad >= 0) fail('invalid character in URI password', pbad);
      password = s.slice(userEnd + 1, at);
    }
    i = at + 1;
  }
  // host
  let host: string;
  if (s.charCodeAt(i) === 91 /* [ */) {
    const close = s.indexOf(']', i);
    if (close < 0 || close >= end) fail('IPv6 reference without "]"', i);
    host = s.slice(i + 1, close);
    if (!isIPv6(host)) fail('invalid IPv6 address', i + 1);
    i = close + 1;
  } else {
    const h0 = i;
    i = scanHost(s, i, end, false);
    host = s.slice(h0, i);
  }
  let port: number | undefined;
  if (i < end && s.charCodeAt(i) === 58) {
    let j = i + 1;
    let p = 0;
    while (j < end) {
      const d = s.charCodeAt(j) - 48;
      if (d < 0 || d > 9) break;
      p = p * 10 + d;
      j++;
    }
    if (j === i + 1 || j - i > 6 || p > 65535) fail('invalid port', i + 1);
    port = p;
    i = j;
  }
  const params = new Params();
  while (i < end && s.charCodeAt(i) === 59) {
    // pname [ "=" pvalue ], paramchar = param-unreserved / unreserved / escaped
    const n0 = i + 1;
    let j = n0;
    let eq = -1;
    while (j < end) {
      const c = s.charCodeAt(j);
      if (c === 59 || c === 63) break;
      if (c === 61 && eq < 0) eq = j;
      else if (c === 37) {
        if (j + 2 >= end || !isHexDigit(s.charCodeAt(j + 1)) || !isHexDigit(s.charCodeAt(j + 2))) {
          fail('invalid escape in URI parameter', j);
        }
        j += 2;
      } else if (!isParamChar(c)) fail('invalid character in URI parameter', j);
      j++;
    }
    const nameEnd = eq < 0 ? j : eq;
    if (nameEnd === n0) fail('empty URI parameter name', n0);
    params.append(s.slice(n0, nameEnd), eq < 0 ? null : s.slice(eq + 1, j));
    i = j;
  }
  let headers: Array<[string, string]> | undefined;
  if (i < end && s.charCodeAt(i) === 63) {
    headers = [];
    i++;
    for (;;) {
      let j = i;
      let eq = -1;
      while (j < end && s.charCodeAt(j) !== 38) {
        if (s.charCodeAt(j) === 61 && eq < 0) eq = j;
        j++;
      }
      if (eq <= i) fail('invalid URI header', i);
      const bad = Math.max(
        firstBadChar(s, i, eq, CHARSET.header),
        firstBadChar(s, eq + 1, j, CHARSET.header),
      );
      if (bad >= 0) fail('invalid character in URI header', bad);
      headers.push([s.slice(i, eq), s.slice(eq + 1, j)]);
      if (j >= end) break;
      i = j + 1;
    }
    i = end;
  }
  if (i !== end) fail('unexpected character in SIP URI', i);
  return new SipUri({ scheme, user, password, host, port, params, headers });
}

function parseTelBody(s: string, i: number, end: number): TelUri {
  let j = i;
  while (j < end && s.charCodeAt(j) !== 59) j++;
  const number = s.slice(i, j);
  if (!/^(\+[0-9().-]*[0-9][0-9().-]*|[0-9A-Fa-f*#().-]*[0-9A-Fa-f*#][0-9A-Fa-f*#().-]*)$/.test(number)) {
    fail('invalid telephone-subscriber', i);
  }
  const params = new Params();
  i = j;
  while (i < end) {
    // s[i] is ';'
    let k = i + 1;
    let eq = -1;
    while (k < end && s.charCodeAt(k) !== 59) {
      if (s.charCodeAt(k) === 61 && eq < 0) eq = k;
      k++;
    }
    const nameEnd = eq < 0 ? k : eq;
    if (nameEnd === i + 1) fail('empty tel URI parameter', i + 1);
    for (let x = i + 1; x < nameEnd; x++)
      if (!isTokenChar(s.charCodeAt(x))) fail('invalid tel URI parameter', x);
    const bad = eq < 0 ? -1 : firstBadChar(s, eq + 1, k, CHARSET.param);
    if (bad >= 0) fail('invalid character in tel URI parameter', bad);
    params.append(s.slice(i + 1, nameEnd), eq < 0 ? null : s.slice(eq + 1, k));
    i = k;
  }
  return new TelUri(number, params);
}

/**
 * URI equality per RFC 3261 §19.1.4 for SIP/SIPS (user and password
 * case-sensitive after unescaping, host case-insensitive, `user`, `ttl`,
 * `method`, `maddr`, `transport` parameters must match when either has them,
 * other parameters only when both have them, headers all must match); other
 * schemes compare by their string form, case-insensitively for the scheme.
 */
export function uriEquals(a: Uri, b: Uri): boolean {
  if (a instanceof SipUri && b instanceof SipUri) {
    if (a.scheme !== b.scheme) return false;
    if (
      unescapeUri(a.user ?? '') !== unescapeUri(b.user ?? '') ||
      (a.user === undefined) !== (b.user === undefined)
    )
      return false;
    if (unescapeUri(a.password ?? '') !== unescapeUri(b.password ?? '')) return false;
    if (a.host.toLowerCase() !== b.host.toLowerCase() || a.port !== b.port) return false;
    for (const key of ['user', 'ttl', 'method', 'maddr', 'transport']) {
      const av = a.params.get(key);
      const bv = b.params.get(key);
      if ((av === undefined) !== (bv === undefined)) return false;
      if (av !== undefined && unescapeUri(av ?? '').toLowerCase() !== unescapeUri(bv ?? '').toLowerCase())
        return false;
    }
    for (const [name, av] of a.params) {
      const bv = b.params.get(name);
      if (bv === undefined) continue;
      if (unescapeUri(av ?? '').toLowerCase() !== unescapeUri(bv ?? '').toLowerCase()) return false;
    }
    if (a.headers.length !== b.headers.length) return false;
    for (const [n, v] of a.headers) {
      const m = b.headers.find(([bn]) => bn.toLowerCase() === n.toLowerCase());
      if (!m || unescapeUri(m[1]) !== unescapeUri(v)) return false;
    }
    return true;
  }
  if (a instanceof TelUri && b instanceof TelUri) {
    return a.digits === b.digits && a.params.toString().toLowerCase() === b.params.toString().toLowerCase();
  }
  return (
    a.scheme.toLowerCase() === b.scheme.toLowerCase() &&
    a.toString().slice(a.scheme.length) === b.toString().slice(b.scheme.length)
  );
}

/** True when `s` is a literal IP address (v4, or v6 with or without brackets). */
export function isIpLiteral(s: string): boolean {
  if (s.startsWith('[') && s.endsWith(']')) return isIPv6(s.slice(1, -1));
  return isIPv4(s) || isIPv6(s);
}
