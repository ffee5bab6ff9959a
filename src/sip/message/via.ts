/**
 * Via (RFC 3261 §20.42, RFC 3581 rport):
 *
 *   via-parm    = sent-protocol LWS sent-by *( SEMI via-params )
 *   sent-protocol = protocol-name SLASH protocol-version SLASH transport   (SLASH = SWS "/" SWS)
 *   sent-by     = host [ COLON port ]
 *   via-params  = via-ttl / via-maddr / via-received / via-branch / response-port / via-extension
 */
import { SipParseError } from './errors.js';
import { isHostname, isIPv4, isIPv6, isLws, parseDecimal, scanHost, scanToken, skipLws } from './grammar.js';
import { parseGenericParams } from './name-addr.js';
import { Params, sameName } from './params.js';

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
    this.transport = init.transport.toUpperCase();
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

function fail(message: string, offset: number): never {
  throw new SipParseError(message, { offset, header: 'Via' });
}

function readSlash(s: string, i: number, end: number): number {
  i = skipLws(s, i, end);
  if (s.charCodeAt(i) !== 47) fail('expected "/" in Via sent-protocol', i);
  return skipLws(s, i + 1, end);
}

/** Parses one via-parm (one element of a comma-separated Via header). */
export function parseVia(s: string, start = 0, end = s.length): Via {
  let i = skipLws(s, start, end);
  let protocol = 'SIP/2.0';
  let transport: string;
  if (s.startsWith('SIP/2.0/', i)) {
    // the common spelling, without LWS around the slashes
    const t0 = i + 8;
    i = scanToken(s, t0, end);
    if (i === t0) fail('missing transport', t0);
    transport = s.slice(t0, i);
  } else {
    const p0 = i;
    i = scanToken(s, i, end);
    if (i === p0) fail('missing protocol name', p0);
    const name = s.slice(p0, i);
    i = readSlash(s, i, end);
    const v0 = i;
    i = scanToken(s, i, end);
    if (i === v0) fail('missing protocol version', v0);
    const version = s.slice(v0, i);
    i = readSlash(s, i, end);
    const t0 = i;
    i = scanToken(s, i, end);
    if (i === t0) fail('missing transport', t0);
    transport = s.slice(t0, i);
    if (!(sameName(name, 'SIP') && version === '2.0')) protocol = `${name}/${version}`;
  }
  if (i >= end || !isLws(s.charCodeAt(i))) fail('expected LWS before sent-by', i);
  i = skipLws(s, i, end);
  let host: string;
  if (s.charCodeAt(i) === 91) {
    // bounded search: the value may be a span of a whole message (many Via lines)
    let close = i + 1;
    while (close < end && s.charCodeAt(close) !== 93) close++;
    if (close >= end) fail('IPv6 reference without "]"', i);
    host = s.slice(i + 1, close);
    if (!isIPv6(host)) fail('invalid IPv6 address in Via', i + 1);
    i = close + 1;
  } else {
    const h0 = i;
    i = scanHost(s, i, end, true);
    host = s.slice(h0, i);
  }
  let port: number | undefined;
  let j = skipLws(s, i, end);
  if (j < end && s.charCodeAt(j) === 58) {
    j = skipLws(s, j + 1, end);
    const d0 = j;
    while (j < end && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
    const p = parseDecimal(s, d0, j, 65535);
    if (p < 0) fail('invalid Via port', d0);
    port = p;
    i = j;
  }
  const params = new Params();
  parseGenericParams(s, i, end, params);
  validateViaParams(params);
  return new Via({ protocol, transport, host, port, params });
}

function validateViaParams(params: Params): void {
  for (let i = 0; i < params.size; i++) {
    const n = params.nameAt(i) as string;
    const v = params.valueAt(i) as string | null;
    if (sameName(n, 'branch')) {
      if (v === null || v.length === 0) fail('Via branch needs a value', 0);
    } else if (sameName(n, 'rport')) {
      if (v !== null && parseDecimal(v, 0, v.length, 65535) < 0) fail('Via rport must be a port', 0);
    } else if (sameName(n, 'received')) {
      if (v === null) fail('Via received needs an address', 0);
      const a = v.startsWith('[') && v.endsWith(']') ? v.slice(1, -1) : v;
      if (!isIPv4(a) && !isIPv6(a)) fail('Via received must be an IP address', 0);
    } else if (sameName(n, 'ttl')) {
      if (v === null || parseDecimal(v, 0, v.length, 255) < 0) fail('Via ttl must be 0-255', 0);
    } else if (sameName(n, 'maddr')) {
      if (v === null || !(isHostname(v) || isIPv6(v.replace(/^\[|\]$/g, ''))))
        fail('Via maddr must be a host', 0);
    }
  }
}
