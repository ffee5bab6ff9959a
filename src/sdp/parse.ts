/**
 * SDP parser (RFC 8866 §5, §9). Accepts LF or CRLF line ends. Lines are read
 * into the model of `types.ts`; lines in an unusual order are accepted and put
 * where RFC 8866 §5 says they belong, so serializing gives the canonical order.
 * Lines with a type letter RFC 8866 does not define are kept per level.
 *
 * What is rejected with an {@link SdpParseError} (a SIP UA answers 488):
 * a first line other than `v=0`, a line not of the form `<letter>=<value>`,
 * CR or NUL inside a line, a missing or duplicated `o=`/`s=`, a session-only
 * line after the first `m=`, malformed `o=`, `c=`, `b=`, `t=`, `r=`, `z=`,
 * `m=` lines and (unless `lenientAttributes`) malformed typed attributes.
 * A missing `t=` is tolerated (`timing` is then empty).
 */
import { utf8Decode } from '../core/index.js';
import { isFqdn, isIPv4, isIPv6 } from './address.js';
import { parseAttribute } from './attributes.js';
import { SdpParseError } from './errors.js';
import { parseUint, splitTokens } from './tokens.js';
import type {
  Attribute,
  Bandwidth,
  Connection,
  MediaDescription,
  Origin,
  SessionDescription,
  TimeZoneAdjustment,
  UnknownLine,
} from './types.js';

export interface SdpParseOptions {
  /**
   * Keep a known attribute whose value does not match its grammar (say
   * `a=ptime:abc`) as an `{ kind: 'other' }` attribute instead of throwing.
   * Default false.
   */
  lenientAttributes?: boolean;
}

const TYPED_TIME = /^[0-9]+[dhms]?$/;
const SIGNED_TYPED_TIME = /^-?[0-9]+[dhms]?$/;

/** Where the parser is: the current line, for error messages. */
class Cursor {
  line = 0;
  start = 0;
  text = '';

  fail(reason: string): never {
    throw new SdpParseError(reason, this.line, this.text, this.start);
  }
}

/** Parses a session description. Throws {@link SdpParseError} on anything that is not SDP. */
export function parseSdp(input: string | Uint8Array, options?: SdpParseOptions): SessionDescription {
  const text = typeof input === 'string' ? input : utf8Decode(input);
  const lenient = options?.lenientAttributes === true;
  const cur: Cursor = new Cursor();
  const len = text.length;

  let sawVersion = false;
  let origin: Origin | undefined;
  let sessionName: string | undefined;
  const session: SessionDescription = {
    version: 0,
    origin: undefined as unknown as Origin,
    sessionName: '',
    emails: [],
    phones: [],
    bandwidths: [],
    timing: [],
    timeZones: [],
    attributes: [],
    unknownLines: [],
    media: [],
  };
  let sawZ = false;
  let media: MediaDescription | undefined;

  let pos = 0;
  while (pos < len) {
    let nl = text.indexOf('\n', pos);
    if (nl === -1) nl = len;
    let end = nl;
    if (end > pos && text.charCodeAt(end - 1) === 13) end--;
    const lineStart = pos;
    pos = nl + 1;
    cur.line++;
    if (end === lineStart) continue; // blank line (or a trailing CRLF)
    const line = text.slice(lineStart, end);
    cur.text = line;
    cur.start = lineStart;

    const type = line.charCodeAt(0);
    const isLetter = (type >= 97 && type <= 122) || (type >= 65 && type <= 90);
    if (line.length < 2 || line.charCodeAt(1) !== 61 || !isLetter) cur.fail('a line must be <type>=<value>');
    if (line.indexOf('\r') !== -1) cur.fail('stray CR inside a line');
    if (line.indexOf('\0') !== -1) cur.fail('NUL inside a line');
    const value = line.slice(2);

    if (!sawVersion) {
      if (type !== 118 /* v */) cur.fail('a session description starts with v=0');
      if (value !== '0') cur.fail('only SDP version 0 is defined');
      sawVersion = true;
      continue;
    }

    switch (type) {
      case 97 /* a */:
        {
          const a = readAttribute(value, cur, lenient);
          (media ?? session).attributes.push(a);
          break;
        }
      case 109 /* m */:
        media = readMedia(value, cur);
        session.media.push(media);
        break;
      case 99 /* c */:
        {
          const c = readConnection(value, cur);
          if (media) media.connections.push(c);
          else if (session.connection) cur.fail('more than one session-level c= line');
          else session.connection = c;
          break;
        }
      case 98 /* b */:
        (media ?? session).bandwidths.push(readBandwidth(value, cur));
        break;
      case 105 /* i */:
        {
          const level = media ?? session;
          if (level.information !== undefined) cur.fail('more than one i= line');
          level.information = value;
          break;
        }
      case 107 /* k */:
        {
          const level = media ?? session;
          if (level.encryptionKey !== undefined) cur.fail('more than one k= line');
          level.encryptionKey = value;
          break;
        }
      case 118 /* v */:
        cur.fail('more than one v= line');
        break;
      case 111 /* o */:
        if (media) cur.fail('o= belongs before the first m= line');
        if (origin) cur.fail('more than one o= line');
        origin = readOrigin(value, cur);
        break;
      case 115 /* s */:
        if (media) cur.fail('s= belongs before the first m= line');
        if (sessionName !== undefined) cur.fail('more than one s= line');
        sessionName = value;
        break;
      case 117 /* u */:
        if (media) cur.fail('u= belongs before the first m= line');
        if (session.uri !== undefined) cur.fail('more than one u= line');
        session.uri = value;
        break;
      case 101 /* e */:
        if (media) cur.fail('e= belongs before the first m= line');
        session.emails.push(value);
        break;
      case 112 /* p */:
        if (media) cur.fail('p= belongs before the first m= line');
        session.phones.push(value);
        break;
      case 116 /* t */:
        {
          if (media) cur.fail('t= belongs before the first m= line');
          const t = splitTokens(value);
          const start = t.length === 2 ? parseUint(t[0] as string, Number.MAX_SAFE_INTEGER) : -1;
          const stop = t.length === 2 ? parseUint(t[1] as string, Number.MAX_SAFE_INTEGER) : -1;
          if (start < 0 || stop < 0) cur.fail('t= must be <start-time> <stop-time>');
          session.timing.push({ start, stop, repeats: [] });
          break;
        }
      case 114 /* r */:
        {
          const last = session.timing[session.timing.length - 1];
          if (media || !last) cur.fail('r= must follow a t= line');
          const t = splitTokens(value);
          if (t.length < 3 || !t.every((x) => TYPED_TIME.test(x))) {
            cur.fail('r= must be <repeat interval> <active duration> <offsets>');
          }
          last.repeats.push({ interval: t[0] as string, duration: t[1] as string, offsets: t.slice(2) });
          break;
        }
      case 122 /* z */:
        {
          if (media) cur.fail('z= belongs before the first m= line');
          if (sawZ) cur.fail('more than one z= line');
          sawZ = true;
          session.timeZones = readTimeZones(value, cur);
          break;
        }
      default: {
        const u: UnknownLine = { type: line[0] as string, value };
        (media ?? session).unknownLines.push(u);
      }
    }
  }

  cur.line++;
  cur.text = '';
  cur.start = len;
  if (!sawVersion) cur.fail('empty session description');
  if (!origin) cur.fail('missing o= line');
  if (sessionName === undefined) cur.fail('missing s= line');
  session.origin = origin;
  session.sessionName = sessionName;
  return session;
}

function readAttribute(value: string, cur: Cursor, lenient: boolean): Attribute {
  const colon = value.indexOf(':');
  const name = colon === -1 ? value : value.slice(0, colon);
  if (name.length === 0) cur.fail('an attribute needs a name');
  const v = colon === -1 ? undefined : value.slice(colon + 1);
  const a = parseAttribute(name, v);
  if (typeof a === 'string') {
    if (!lenient) cur.fail(a);
    return v === undefined ? { kind: 'other', name } : { kind: 'other', name, value: v };
  }
  return a;
}

function readOrigin(value: string, cur: Cursor): Origin {
  const t = splitTokens(value);
  if (t.length < 6) {
    cur.fail('o= must be <username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>');
  }
  const n = t.length;
  // Some user agents put spaces in the user name; the last five fields are fixed.
  return {
    username: n === 6 ? (t[0] as string) : t.slice(0, n - 5).join(' '),
    sessionId: t[n - 5] as string,
    sessionVersion: t[n - 4] as string,
    netType: t[n - 3] as string,
    addrType: t[n - 2] as string,
    address: t[n - 1] as string,
  };
}

function checkAddress(addrType: string, address: string, cur: Cursor): void {
  if (addrType === 'IP4') {
    if (!isIPv4(address) && !isFqdn(address)) cur.fail('not an IPv4 address or host name');
  } else if (addrType === 'IP6') {
    if (!isIPv6(address) && !isFqdn(address)) cur.fail('not an IPv6 address or host name');
  }
}

function readConnection(value: string, cur: Cursor): Connection {
  const t = splitTokens(value);
  if (t.length !== 3) cur.fail('c= must be <nettype> <addrtype> <connection-address>');
  const netType = t[0] as string;
  const addrType = t[1] as string;
  const full = t[2] as string;
  const slash = full.indexOf('/');
  if (slash === -1 || (addrType !== 'IP4' && addrType !== 'IP6')) {
    checkAddress(addrType, full, cur);
    return { netType, addrType, address: full };
  }
  // multicast: IP4 <addr>/<ttl>[/<n>], IP6 <addr>[/<n>] (RFC 8866 §5.7)
  const parts = full.split('/');
  const address = parts[0] as string;
  checkAddress(addrType, address, cur);
  const c: Connection = { netType, addrType, address };
  if (addrType === 'IP4') {
    const ttl = parseUint(parts[1] as string, 255);
    if (parts.length > 3 || ttl < 0) cur.fail('IP4 multicast address must be <address>/<ttl>[/<number>]');
    c.ttl = ttl;
    if (parts.length === 3) {
      const n = parseUint(parts[2] as string, 65535);
      if (n < 1) cur.fail('number of addresses must be a positive integer');
      c.numberOfAddresses = n;
    }
  } else {
    const n = parts.length === 2 ? parseUint(parts[1] as string, 65535) : -1;
    if (n < 1) cur.fail('IP6 multicast address must be <address>[/<number>]');
    c.numberOfAddresses = n;
  }
  return c;
}

function readBandwidth(value: string, cur: Cursor): Bandwidth {
  const colon = value.indexOf(':');
  const bw = colon > 0 ? parseUint(value.slice(colon + 1), Number.MAX_SAFE_INTEGER) : -1;
  if (bw < 0) cur.fail('b= must be <bwtype>:<bandwidth>');
  return { type: value.slice(0, colon), bandwidth: bw };
}

function readMedia(value: string, cur: Cursor): MediaDescription {
  const t = splitTokens(value);
  if (t.length < 3) cur.fail('m= must be <media> <port> <proto> <fmt> ...');
  const portPart = t[1] as string;
  const slash = portPart.indexOf('/');
  const port = parseUint(slash === -1 ? portPart : portPart.slice(0, slash), 65535);
  if (port < 0) cur.fail('m= port must be 0-65535');
  const m: MediaDescription = {
    type: t[0] as string,
    port,
    protocol: t[2] as string,
    formats: t.slice(3),
    connections: [],
    bandwidths: [],
    attributes: [],
    unknownLines: [],
  };
  if (slash !== -1) {
    const n = parseUint(portPart.slice(slash + 1), 65535);
    if (n < 1) cur.fail('m= number of ports must be a positive integer');
    m.numberOfPorts = n;
  }
  return m;
}

function readTimeZones(value: string, cur: Cursor): TimeZoneAdjustment[] {
  const t = splitTokens(value);
  if (t.length === 0 || t.length % 2 !== 0) cur.fail('z= must be pairs of <adjustment time> <offset>');
  const out: TimeZoneAdjustment[] = [];
  for (let i = 0; i < t.length; i += 2) {
    const time = t[i] as string;
    const offset = t[i + 1] as string;
    if (parseUint(time, Number.MAX_SAFE_INTEGER) < 0 || !SIGNED_TYPED_TIME.test(offset)) {
      cur.fail('z= must be pairs of <adjustment time> <offset>');
    }
    out.push({ time, offset });
  }
  return out;
}
