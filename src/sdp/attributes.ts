/**
 * Typed SDP attributes: reading the value of an `a=` line into its typed form
 * and writing it back. Each reader returns the attribute or, when the value
 * does not match the attribute's grammar, a string saying why (the parser
 * turns that into an {@link SdpParseError} with the line number).
 */
import { parsePositiveReal, parseUint, splitTokens } from './tokens.js';
import type {
  Attribute,
  CandidateAttribute,
  CandidateExtension,
  CryptoAttribute,
  CryptoKeyParam,
  Direction,
  ExtmapAttribute,
  SetupRole,
} from './types.js';

const MAX_U32 = 0xffffffff;

/** Reads `key=value;key=value` format parameters (RFC 8866 §6.15); keys are lower-cased, a bare part maps to `''`. */
export function parseFmtpParams(config: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  if (config.length === 0) return out;
  for (const part of config.split(';')) {
    const p = part.trim();
    if (p.length === 0) continue;
    const eq = p.indexOf('=');
    if (eq === -1) out[p.toLowerCase()] = '';
    else out[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
  }
  return out;
}

/** Writes format parameters in insertion order as `k=v;k=v` (a `''` value writes the bare key). */
export function formatFmtpParams(params: Readonly<Record<string, string>>): string {
  let s = '';
  for (const k of Object.keys(params)) {
    const v = params[k] as string;
    if (s.length > 0) s += ';';
    s += v === '' ? k : `${k}=${v}`;
  }
  return s;
}

/** The parts of an RFC 4568 `inline:` key parameter: `<key||salt>[|<lifetime>][|<MKI>:<length>]`. */
export interface InlineKey {
  /** Base64 of the concatenated master key and salt. */
  keySalt: string;
  /** As written: decimal or `2^n`. */
  lifetime?: string;
  mki?: number;
  mkiLength?: number;
}

/** Reads the info of an `inline` crypto key parameter (RFC 4568 §6.1), or undefined when it is malformed. */
export function parseInlineKey(info: string): InlineKey | undefined {
  const parts = info.split('|');
  const keySalt = parts[0] as string;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(keySalt) || parts.length > 3) return undefined;
  const out: InlineKey = { keySalt };
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i] as string;
    const colon = p.indexOf(':');
    if (colon === -1) {
      if (out.lifetime !== undefined || out.mki !== undefined || !/^(\d+|2\^\d+)$/.test(p)) return undefined;
      out.lifetime = p;
    } else {
      const mki = parseUint(p.slice(0, colon), Number.MAX_SAFE_INTEGER);
      const len = parseUint(p.slice(colon + 1), 128);
      if (mki < 0 || len < 1 || out.mki !== undefined) return undefined;
      out.mki = mki;
      out.mkiLength = len;
    }
  }
  return out;
}

const SETUP_ROLES: ReadonlySet<string> = new Set<SetupRole>(['active', 'passive', 'actpass', 'holdconn']);
const DIRECTIONS: ReadonlySet<string> = new Set<Direction>(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

export function isDirection(s: string): s is Direction {
  return DIRECTIONS.has(s);
}

/** Index of the first character after the run of spaces starting at `i`. */
function skipSpaces(s: string, i: number): number {
  while (i < s.length && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  return i;
}

/** Index of the first space or tab at or after `i`, or `s.length`. */
function nextSpace(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9) return i;
    i++;
  }
  return i;
}

function noValue<A extends Attribute>(value: string | undefined, a: A, name: string): A | string {
  return value === undefined ? a : `a=${name} takes no value`;
}

/**
 * Reads one attribute. `value` is undefined for a property attribute
 * (`a=rtcp-mux`) and the text after the first `:` otherwise. Returns the
 * typed attribute, or a reason string when a known attribute is malformed.
 */
export function parseAttribute(name: string, value: string | undefined): Attribute | string {
  switch (name) {
    case 'rtpmap':
      return value === undefined ? 'rtpmap needs a value' : parseRtpmap(value);
    case 'fmtp': {
      if (value === undefined) return 'fmtp needs a value';
      const sp = nextSpace(value, 0);
      const format = value.slice(0, sp);
      if (format.length === 0) return 'fmtp needs a format';
      const config = value.slice(skipSpaces(value, sp));
      return { kind: 'fmtp', format, config, params: parseFmtpParams(config) };
    }
    case 'ptime':
    case 'maxptime': {
      const n = value === undefined ? -1 : parsePositiveReal(value);
      if (n < 0) return `${name} must be a positive number of milliseconds`;
      return { kind: name, value: n };
    }
    case 'sendrecv':
    case 'sendonly':
    case 'recvonly':
    case 'inactive':
      return noValue(value, { kind: 'direction', direction: name }, name);
    case 'rtcp-mux':
      return noValue(value, { kind: 'rtcp-mux' }, name);
    case 'rtcp':
      return value === undefined ? 'rtcp needs a port' : parseRtcp(value);
    case 'crypto':
      return value === undefined ? 'crypto needs a value' : parseCrypto(value);
    case 'candidate':
      return value === undefined ? 'candidate needs a value' : parseCandidate(value);
    case 'fingerprint': {
      const t = value === undefined ? [] : splitTokens(value);
      if (t.length !== 2) return 'fingerprint must be <hash-func> <fingerprint>';
      return { kind: 'fingerprint', hashFunction: t[0] as string, fingerprint: t[1] as string };
    }
    case 'setup':
      if (value === undefined || !SETUP_ROLES.has(value))
        return 'setup must be active, passive, actpass or holdconn';
      return { kind: 'setup', role: value as SetupRole };
    case 'ice-ufrag':
    case 'ice-pwd':
    case 'mid':
      if (value === undefined || value.length === 0) return `${name} needs a value`;
      return { kind: name, value };
    case 'label':
      if (value === undefined) return 'label needs a value';
      return { kind: 'label', value };
    case 'ice-options': {
      const t = value === undefined ? [] : splitTokens(value);
      if (t.length === 0) return 'ice-options needs at least one option';
      return { kind: 'ice-options', options: t };
    }
    case 'group': {
      const t = value === undefined ? [] : splitTokens(value);
      if (t.length === 0) return 'group needs semantics';
      return { kind: 'group', semantics: t[0] as string, mids: t.slice(1) };
    }
    case 'ssrc':
      return value === undefined ? 'ssrc needs a value' : parseSsrc(value);
    case 'extmap':
      return value === undefined ? 'extmap needs a value' : parseExtmap(value);
    case 'rtcp-fb':
      return value === undefined ? 'rtcp-fb needs a value' : parseRtcpFb(value);
    default:
      return value === undefined ? { kind: 'other', name } : { kind: 'other', name, value };
  }
}

function parseRtpmap(value: string): Attribute | string {
  const t = splitTokens(value);
  if (t.length !== 2) return 'rtpmap must be <payload type> <encoding name>/<clock rate>[/<channels>]';
  const pt = parseUint(t[0] as string, 127);
  if (pt < 0) return 'rtpmap payload type must be 0-127';
  const enc = (t[1] as string).split('/');
  if (enc.length < 2 || enc.length > 3 || (enc[0] as string).length === 0)
    return 'rtpmap needs <encoding name>/<clock rate>';
  const clockRate = parseUint(enc[1] as string, MAX_U32);
  if (clockRate <= 0) return 'rtpmap clock rate must be a positive integer';
  if (enc.length === 2) return { kind: 'rtpmap', payloadType: pt, encodingName: enc[0] as string, clockRate };
  const channels = parseUint(enc[2] as string, 255);
  if (channels <= 0) return 'rtpmap channels must be a positive integer';
  return { kind: 'rtpmap', payloadType: pt, encodingName: enc[0] as string, clockRate, channels };
}

function parseRtcp(value: string): Attribute | string {
  const t = splitTokens(value);
  const port = t.length === 1 || t.length === 4 ? parseUint(t[0] as string, 65535) : -1;
  if (port < 0) return 'rtcp must be <port> [<nettype> <addrtype> <address>]';
  if (t.length === 1) return { kind: 'rtcp', port };
  return { kind: 'rtcp', port, netType: t[1] as string, addrType: t[2] as string, address: t[3] as string };
}

function parseCrypto(value: string): Attribute | string {
  const t = splitTokens(value);
  if (t.length < 3) return 'crypto must be <tag> <crypto-suite> <key-params> [<session-params>]';
  const tag = parseUint(t[0] as string, 999_999_999);
  if (tag < 0) return 'crypto tag must be 1-9 digits';
  const keyParams: CryptoKeyParam[] = [];
  for (const kp of (t[2] as string).split(';')) {
    const colon = kp.indexOf(':');
    if (colon <= 0) return 'crypto key parameter must be <key-method>:<key-info>';
    keyParams.push({ method: kp.slice(0, colon), info: kp.slice(colon + 1) });
  }
  const a: CryptoAttribute = {
    kind: 'crypto',
    tag,
    suite: t[1] as string,
    keyParams,
    sessionParams: t.slice(3),
  };
  return a;
}

function parseCandidate(value: string): Attribute | string {
  const t = splitTokens(value);
  if (t.length < 8 || t[6] !== 'typ') {
    return 'candidate must be <foundation> <component> <transport> <priority> <address> <port> typ <type> …';
  }
  const component = parseUint(t[1] as string, 256);
  const priority = parseUint(t[3] as string, MAX_U32);
  const port = parseUint(t[5] as string, 65535);
  if (component < 1) return 'candidate component must be 1-256';
  if (priority < 0) return 'candidate priority must be a 32-bit unsigned integer';
  if (port < 0) return 'candidate port must be 0-65535';
  const c: CandidateAttribute = {
    kind: 'candidate',
    foundation: t[0] as string,
    component,
    transport: t[2] as string,
    priority,
    address: t[4] as string,
    port,
    type: t[7] as string,
    extensions: [],
  };
  let i = 8;
  if (t[i] === 'raddr' && i + 1 < t.length) {
    c.relatedAddress = t[i + 1] as string;
    i += 2;
  }
  if (t[i] === 'rport' && i + 1 < t.length) {
    const rport = parseUint(t[i + 1] as string, 65535);
    if (rport < 0) return 'candidate rport must be 0-65535';
    c.relatedPort = rport;
    i += 2;
  }
  if ((t.length - i) % 2 !== 0) return 'candidate extension attributes must come in name/value pairs';
  const ext: CandidateExtension[] = c.extensions;
  for (; i < t.length; i += 2) ext.push({ name: t[i] as string, value: t[i + 1] as string });
  return c;
}

function parseSsrc(value: string): Attribute | string {
  const sp = nextSpace(value, 0);
  const ssrc = parseUint(value.slice(0, sp), MAX_U32);
  if (ssrc < 0) return 'ssrc id must be a 32-bit unsigned integer';
  const rest = value.slice(skipSpaces(value, sp));
  const colon = rest.indexOf(':');
  const attribute = colon === -1 ? rest : rest.slice(0, colon);
  if (attribute.length === 0) return 'ssrc needs an attribute';
  if (colon === -1) return { kind: 'ssrc', ssrc, attribute };
  return { kind: 'ssrc', ssrc, attribute, value: rest.slice(colon + 1) };
}

function parseExtmap(value: string): Attribute | string {
  const sp = nextSpace(value, 0);
  const idPart = value.slice(0, sp);
  const slash = idPart.indexOf('/');
  const id = parseUint(slash === -1 ? idPart : idPart.slice(0, slash), 65535);
  if (id < 0) return 'extmap id must be an integer';
  const uStart = skipSpaces(value, sp);
  const uEnd = nextSpace(value, uStart);
  if (uEnd === uStart) return 'extmap needs a URI';
  const a: ExtmapAttribute = { kind: 'extmap', id, uri: value.slice(uStart, uEnd) };
  if (slash !== -1) {
    const d = idPart.slice(slash + 1);
    if (!isDirection(d)) return 'extmap direction must be sendrecv, sendonly, recvonly or inactive';
    a.direction = d;
  }
  const rest = value.slice(skipSpaces(value, uEnd));
  if (rest.length > 0) a.attributes = rest;
  return a;
}

function parseRtcpFb(value: string): Attribute | string {
  const sp = nextSpace(value, 0);
  const f = value.slice(0, sp);
  const pt = f === '*' ? '*' : parseUint(f, 127);
  if (pt === -1) return 'rtcp-fb format must be a payload type or *';
  const tStart = skipSpaces(value, sp);
  const tEnd = nextSpace(value, tStart);
  if (tEnd === tStart) return 'rtcp-fb needs a feedback type';
  const rest = value.slice(skipSpaces(value, tEnd));
  const type = value.slice(tStart, tEnd);
  return rest.length > 0
    ? { kind: 'rtcp-fb', payloadType: pt, type, parameters: rest }
    : { kind: 'rtcp-fb', payloadType: pt, type };
}

/** Writes an attribute as the text after `a=`. */
export function formatAttribute(a: Attribute): string {
  switch (a.kind) {
    case 'rtpmap':
      return a.channels === undefined
        ? `rtpmap:${a.payloadType} ${a.encodingName}/${a.clockRate}`
        : `rtpmap:${a.payloadType} ${a.encodingName}/${a.clockRate}/${a.channels}`;
    case 'fmtp': {
      return a.config.length === 0 ? `fmtp:${a.format}` : `fmtp:${a.format} ${a.config}`;
    }
    case 'ptime':
    case 'maxptime':
      return `${a.kind}:${a.value}`;
    case 'direction':
      return a.direction;
    case 'rtcp-mux':
      return 'rtcp-mux';
    case 'rtcp':
      return a.address === undefined
        ? `rtcp:${a.port}`
        : `rtcp:${a.port} ${a.netType ?? 'IN'} ${a.addrType ?? (a.address.includes(':') ? 'IP6' : 'IP4')} ${a.address}`;
    case 'crypto': {
      let s = `crypto:${a.tag} ${a.suite} `;
      for (let i = 0; i < a.keyParams.length; i++) {
        const kp = a.keyParams[i] as CryptoKeyParam;
        s += i === 0 ? `${kp.method}:${kp.info}` : `;${kp.method}:${kp.info}`;
      }
      for (const p of a.sessionParams) s += ` ${p}`;
      return s;
    }
    case 'candidate': {
      let s = `candidate:${a.foundation} ${a.component} ${a.transport} ${a.priority} ${a.address} ${a.port} typ ${a.type}`;
      if (a.relatedAddress !== undefined) s += ` raddr ${a.relatedAddress}`;
      if (a.relatedPort !== undefined) s += ` rport ${a.relatedPort}`;
      for (const e of a.extensions) s += ` ${e.name} ${e.value}`;
      return s;
    }
    case 'fingerprint':
      return `fingerprint:${a.hashFunction} ${a.fingerprint}`;
    case 'setup':
      return `setup:${a.role}`;
    case 'ice-ufrag':
    case 'ice-pwd':
    case 'mid':
    case 'label':
      return `${a.kind}:${a.value}`;
    case 'ice-options':
      return `ice-options:${a.options.join(' ')}`;
    case 'group':
      return a.mids.length === 0 ? `group:${a.semantics}` : `group:${a.semantics} ${a.mids.join(' ')}`;
    case 'ssrc':
      return a.value === undefined
        ? `ssrc:${a.ssrc} ${a.attribute}`
        : `ssrc:${a.ssrc} ${a.attribute}:${a.value}`;
    case 'extmap': {
      let s =
        a.direction === undefined ? `extmap:${a.id} ${a.uri}` : `extmap:${a.id}/${a.direction} ${a.uri}`;
      if (a.attributes !== undefined) s += ` ${a.attributes}`;
      return s;
    }
    case 'rtcp-fb':
      return a.parameters === undefined
        ? `rtcp-fb:${a.payloadType} ${a.type}`
        : `rtcp-fb:${a.payloadType} ${a.type} ${a.parameters}`;
    case 'other':
      return a.value === undefined ? a.name : `${a.name}:${a.value}`;
  }
}
