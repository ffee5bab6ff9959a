/**
 * Via (RFC 3261 §20.42, RFC 3581 rport):
 *
 *   via-parm    = sent-protocol LWS sent-by *( SEMI via-params )
 *   sent-protocol = protocol-name SLASH protocol-version SLASH transport   (SLASH = SWS "/" SWS)
 *   sent-by     = host [ COLON port ]
 *   via-params  = via-ttl / via-maddr / via-received / via-branch / response-port / via-extension
 */
import { SipParseError } from './errors.js';
import { isHostname, isIPv4, isIPv6, parseDecimal } from './grammar.js';
import { parseGenericParamsAt } from './name-addr.js';
import { Params, sameName } from './params.js';
import {
  type Cursor,
  codesOf,
  decimalAt,
  indexOfCode,
  isSip20,
  scanHostAt,
  scanTokenAt,
  skipLwsAt,
} from './scan.js';

/** RFC 3261 magic cookie that starts every compliant branch. */
export const BRANCH_MAGIC = 'z9hG4bK';

export interface ViaInit {
  transport: string;
  host: string;
  port?: number | undefined;
  params?: Params;
  protocol?: string;
}

export class Via {
  /** `SIP/2.0` */
  protocol: string;
  /** Upper-cased transport token: UDP, TCP, TLS, SCTP, WS, WSS … */
  transport: string;
  /** Host name or IP address (IPv6 without brackets). */
  host: string;
  port: number | undefined;
  readonly params: Params;

  constructor(init: ViaInit) {
    this.protocol = init.protocol ?? 'SIP/2.0';
    this.transport = upperCase(init.transport);
    this.host = init.host;
    this.port = init.port;
    this.params = init.params ?? new Params();
  }

  get branch(): string | undefined {
    return this.params.get('branch') ?? undefined;
  }

  set branch(value: string | undefined) {
    if (value === undefined) this.params.delete('branch');
    else this.params.set('branch', value);
  }

  /** The `received` address (brackets removed), if any. */
  get received(): string | undefined {
    const r = this.params.get('received');
    if (r == null) return undefined;
    return r.startsWith('[') && r.endsWith(']') ? r.slice(1, -1) : r;
  }

  /** `null` when `rport` is present without a value (a request for it), the number when filled in. */
  get rport(): number | null | undefined {
    const r = this.params.get('rport');
    if (r === undefined) return undefined;
    if (r === null) return null;
    return Number(r);
  }

  get maddr(): string | undefined {
    return this.params.get('maddr') ?? undefined;
  }

  get ttl(): number | undefined {
    const t = this.params.get('ttl');
    return t == null ? undefined : Number(t);
  }

  /** True when the branch carries the RFC 3261 magic cookie. */
  get isRfc3261Branch(): boolean {
    return this.branch?.startsWith(BRANCH_MAGIC) ?? false;
  }

  /** `host[:port]` with IPv6 brackets. */
  get sentBy(): string {
    const h = this.host.includes(':') ? `[${this.host}]` : this.host;
    return this.port === undefined ? h : `${h}:${this.port}`;
  }

  clone(): Via {
    return new Via({
      protocol: this.protocol,
      transport: this.transport,
      host: this.host,
      port: this.port,
      params: this.params.clone(),
    });
  }

  toString(): string {
    return `${this.protocol}/${this.transport} ${this.sentBy}${this.params.toString()}`;
  }
}

/** `s` in upper case; `s` itself when it already is (as the parser's transports are). */
function upperCase(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const x = s.charCodeAt(i);
    if ((x >= 97 && x <= 122) || x > 127) return s.toUpperCase();
  }
  return s;
}

function fail(message: string, offset: number): never {
  throw new SipParseError(message, { offset, header: 'Via' });
}

function readSlash(c: Uint8Array, i: number, end: number): number {
  i = skipLwsAt(c, i, end);
  if (i >= end || c[i] !== 47) fail('expected "/" in Via sent-protocol', i);
  return skipLwsAt(c, i + 1, end);
}

/** Parses one via-parm (one element of a comma-separated Via header). */
export function parseVia(s: string, start = 0, end = s.length): Via {
  return parseViaAt(codesOf(s, start, end), s, start, end);
}

/**
 * @internal {@link parseVia} over the codes `c` of `s` (see scan.ts). With a `cursor`,
 * s[start, end) is a comma-separated Via value: the via-parm starting at
 * `start` ends at a ',' outside quotes, and `cursor.end` is set to that ','
 * (or `end`).
 */
export function parseViaAt(c: Uint8Array, s: string, start: number, end: number, cursor?: Cursor): Via {
  let i = skipLwsAt(c, start, end);
  let protocol = 'SIP/2.0';
  let transport: string;
  if (end - i > 8 && isSip20(c, i) && c[i + 7] === 47) {
    // the common spelling, "SIP/2.0/" without LWS around the slashes
    const t0 = i + 8;
    i = scanTokenAt(c, t0, end);
    if (i === t0) fail('missing transport', t0);
    transport = s.slice(t0, i);
  } else {
    const p0 = i;
    i = scanTokenAt(c, i, end);
    if (i === p0) fail('missing protocol name', p0);
    const name = s.slice(p0, i);
    i = readSlash(c, i, end);
    const v0 = i;
    i = scanTokenAt(c, i, end);
    if (i === v0) fail('missing protocol version', v0);
    const version = s.slice(v0, i);
    i = readSlash(c, i, end);
    const t0 = i;
    i = scanTokenAt(c, i, end);
    if (i === t0) fail('missing transport', t0);
    transport = s.slice(t0, i);
    if (!(sameName(name, 'SIP') && version === '2.0')) protocol = `${name}/${version}`;
  }
  if (i >= end || (c[i] !== 32 && c[i] !== 9)) fail('expected LWS before sent-by', i);
  i = skipLwsAt(c, i, end);
  let host: string;
  if (i < end && c[i] === 91) {
    const close = indexOfCode(c, 93, i + 1, end);
    if (close < 0) fail('IPv6 reference without "]"', i);
    host = s.slice(i + 1, close);
    if (!isIPv6(host)) fail('invalid IPv6 address in Via', i + 1);
    i = close + 1;
  } else {
    const h0 = i;
    i = scanHostAt(c, i, end, true);
    host = s.slice(h0, i);
  }
  let port: number | undefined;
  let j = skipLwsAt(c, i, end);
  if (j < end && c[j] === 58) {
    j = skipLwsAt(c, j + 1, end);
    const d0 = j;
    while (j < end && (c[j] as number) >= 48 && (c[j] as number) <= 57) j++;
    const p = decimalAt(c, d0, j, 65535);
    if (p < 0) fail('invalid Via port', d0);
    port = p;
    i = j;
  }
  const params = new Params();
  const stop = parseGenericParamsAt(c, s, i, end, params, cursor !== undefined);
  if (cursor !== undefined) cursor.end = stop;
  validateViaParams(params, start);
  return new Via({ protocol, transport, host, port, params });
}

/** Checks the parameters with a defined syntax; an error points at the start of the value (`at`). */
function validateViaParams(params: Params, at: number): void {
  for (let i = 0; i < params.size; i++) {
    const n = params.nameAt(i) as string;
    const v = params.valueAt(i) as string | null;
    // (=== first: names are nearly always written in lower case)
    if (n === 'branch' || sameName(n, 'branch')) {
      if (v === null || v.length === 0) fail('Via branch needs a value', at);
    } else if (n === 'rport' || sameName(n, 'rport')) {
      if (v !== null && parseDecimal(v, 0, v.length, 65535) < 0) fail('Via rport must be a port', at);
    } else if (sameName(n, 'received')) {
      if (v === null) fail('Via received needs an address', at);
      const a = v.startsWith('[') && v.endsWith(']') ? v.slice(1, -1) : v;
      if (!isIPv4(a) && !isIPv6(a)) fail('Via received must be an IP address', at);
    } else if (sameName(n, 'ttl')) {
      if (v === null || parseDecimal(v, 0, v.length, 255) < 0) fail('Via ttl must be 0-255', at);
    } else if (sameName(n, 'maddr')) {
      if (v === null || !(isHostname(v) || isIPv6(v.replace(/^\[|\]$/g, ''))))
        fail('Via maddr must be a host', at);
    }
  }
}
