/**
 * Building descriptions in code: factories that fill in the defaults of one
 * frozen object, and `sdpAttr` to make attributes without spelling out kinds.
 *
 * ```ts
 * const sdp = createSessionDescription({
 *   address: '192.0.2.10',
 *   media: [createMediaDescription({ port: 40000, codecs: [{ payloadType: 0, encodingName: 'PCMU', clockRate: 8000 }] })],
 * });
 * ```
 */
import { addrTypeOf } from './address.js';
import { formatFmtpParams, parseFmtpParams } from './attributes.js';
import type {
  Attribute,
  CandidateAttribute,
  Connection,
  CryptoAttribute,
  Direction,
  FmtpAttribute,
  MediaDescription,
  Origin,
  RtcpAttribute,
  RtpmapAttribute,
  SessionDescription,
  SetupRole,
} from './types.js';

/** The defaults the factories use. */
export const SDP_DEFAULTS = Object.freeze({
  username: '-',
  sessionId: '0',
  sessionVersion: '0',
  sessionName: '-',
  address: '127.0.0.1',
  mediaType: 'audio',
  protocol: 'RTP/AVP',
});

export interface SessionDescriptionInit extends Partial<Omit<SessionDescription, 'origin'>> {
  origin?: Partial<Origin>;
  /** Sets the origin address and, unless `connection` is given, a session-level `c=`. */
  address?: string;
}

/** A connection line for an IPv4/IPv6 literal or a host name (`IP6` when the address holds a colon). */
export function createConnection(
  address: string,
  options?: Partial<Omit<Connection, 'address'>>,
): Connection {
  return { netType: 'IN', addrType: addrTypeOf(address), ...options, address };
}

/** A complete session description: `v=0`, an origin, `s=-`, `t=0 0` and whatever `init` gives. */
export function createSessionDescription(init: SessionDescriptionInit = {}): SessionDescription {
  const { origin, address, ...rest } = init;
  const addr = address ?? origin?.address ?? SDP_DEFAULTS.address;
  const d: SessionDescription = {
    version: 0,
    origin: {
      username: SDP_DEFAULTS.username,
      sessionId: SDP_DEFAULTS.sessionId,
      sessionVersion: SDP_DEFAULTS.sessionVersion,
      netType: 'IN',
      addrType: addrTypeOf(addr),
      address: addr,
      ...origin,
    },
    sessionName: SDP_DEFAULTS.sessionName,
    emails: [],
    phones: [],
    bandwidths: [],
    timing: [{ start: 0, stop: 0, repeats: [] }],
    timeZones: [],
    attributes: [],
    unknownLines: [],
    media: [],
    ...rest,
  };
  if (address !== undefined && !('connection' in init)) d.connection = createConnection(address);
  return d;
}

/** A codec for {@link createMediaDescription}: becomes a format, an rtpmap and maybe an fmtp. */
export interface CodecInit {
  payloadType: number;
  encodingName: string;
  clockRate: number;
  channels?: number;
  fmtp?: string | Record<string, string>;
}

export interface MediaDescriptionInit extends Partial<MediaDescription> {
  /** Appended to `formats` with their rtpmap/fmtp attributes. */
  codecs?: CodecInit[];
  /** Adds a direction attribute. */
  direction?: Direction;
  /** Adds a media-level `c=`. */
  address?: string;
}

/** An m= section: `audio`, `RTP/AVP`, port 0 and no formats unless `init` says otherwise. */
export function createMediaDescription(init: MediaDescriptionInit = {}): MediaDescription {
  const { codecs, direction, address, ...rest } = init;
  const m: MediaDescription = {
    type: SDP_DEFAULTS.mediaType,
    port: 0,
    protocol: SDP_DEFAULTS.protocol,
    formats: [],
    connections: [],
    bandwidths: [],
    attributes: [],
    unknownLines: [],
    ...rest,
  };
  if (address !== undefined) m.connections = [...m.connections, createConnection(address)];
  if (codecs) {
    const formats = [...m.formats];
    const attrs: Attribute[] = [];
    for (const c of codecs) {
      formats.push(String(c.payloadType));
      attrs.push(sdpAttr.rtpmap(c.payloadType, c.encodingName, c.clockRate, c.channels));
      if (c.fmtp !== undefined) attrs.push(sdpAttr.fmtp(c.payloadType, c.fmtp));
    }
    m.formats = formats;
    m.attributes = [...attrs, ...m.attributes];
  }
  if (direction) m.attributes = [...m.attributes, sdpAttr.direction(direction)];
  return m;
}

/** Attribute factories. */
export const sdpAttr = Object.freeze({
  rtpmap(payloadType: number, encodingName: string, clockRate: number, channels?: number): RtpmapAttribute {
    return channels === undefined
      ? { kind: 'rtpmap', payloadType, encodingName, clockRate }
      : { kind: 'rtpmap', payloadType, encodingName, clockRate, channels };
  },
  /** From a config string (`'0-16'`) or a map (`{ minptime: '10', useinbandfec: '1' }`). */
  fmtp(format: number | string, config: string | Record<string, string>): FmtpAttribute {
    const text = typeof config === 'string' ? config : formatFmtpParams(config);
    return { kind: 'fmtp', format: String(format), config: text, params: parseFmtpParams(text) };
  },
  ptime(ms: number): Attribute {
    return { kind: 'ptime', value: ms };
  },
  maxptime(ms: number): Attribute {
    return { kind: 'maxptime', value: ms };
  },
  direction(direction: Direction): Attribute {
    return { kind: 'direction', direction };
  },
  rtcpMux(): Attribute {
    return { kind: 'rtcp-mux' };
  },
  rtcp(port: number, address?: string): RtcpAttribute {
    return address === undefined
      ? { kind: 'rtcp', port }
      : { kind: 'rtcp', port, netType: 'IN', addrType: addrTypeOf(address), address };
  },
  crypto(tag: number, suite: string, inlineKey: string, sessionParams: string[] = []): CryptoAttribute {
    return { kind: 'crypto', tag, suite, keyParams: [{ method: 'inline', info: inlineKey }], sessionParams };
  },
  candidate(
    c: Omit<CandidateAttribute, 'kind' | 'extensions'> & { extensions?: CandidateAttribute['extensions'] },
  ): CandidateAttribute {
    return { kind: 'candidate', extensions: [], ...c };
  },
  fingerprint(hashFunction: string, fingerprint: string): Attribute {
    return { kind: 'fingerprint', hashFunction, fingerprint };
  },
  setup(role: SetupRole): Attribute {
    return { kind: 'setup', role };
  },
  iceUfrag(value: string): Attribute {
    return { kind: 'ice-ufrag', value };
  },
  icePwd(value: string): Attribute {
    return { kind: 'ice-pwd', value };
  },
  mid(value: string): Attribute {
    return { kind: 'mid', value };
  },
  group(semantics: string, mids: string[]): Attribute {
    return { kind: 'group', semantics, mids };
  },
  label(value: string): Attribute {
    return { kind: 'label', value };
  },
  /** Any other attribute: `a=name` or `a=name:value`. */
  other(name: string, value?: string): Attribute {
    return value === undefined ? { kind: 'other', name } : { kind: 'other', name, value };
  },
});
