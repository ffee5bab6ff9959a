/**
 * The data model of a session description (RFC 8866 §5). Plain objects, so a
 * description can be built by hand, cloned with `structuredClone` and sent
 * across a worker boundary.
 *
 * ```
 * Session description                 Media description (per m=)
 *   v=  (protocol version)              m=  (media name and transport address)
 *   o=  (originator and session id)     i=* (media title)
 *   s=  (session name)                  c=* (connection information)
 *   i=* (session information)           b=* (zero or more bandwidth lines)
 *   u=* (URI of description)            k=* (obsolete)
 *   e=* (zero or more email addresses)  a=* (zero or more media attributes)
 *   p=* (zero or more phone numbers)
 *   c=* (connection information)
 *   b=* (zero or more bandwidth lines)
 *   t=  r=*  (one or more time descriptions, each with repeat times)
 *   z=* (time zone adjustments)
 *   k=* (obsolete)
 *   a=* (zero or more session attributes)
 * ```
 *
 * Attributes keep their original order in one list per level; the typed ones
 * (`kind` other than `'other'`) are listed in {@link KnownAttribute}.
 */

/** Media direction attributes (RFC 8866 §6.7). */
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** `a=setup` roles (RFC 4145 §4). */
export type SetupRole = 'active' | 'passive' | 'actpass' | 'holdconn';

/** `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>` */
export interface Origin {
  username: string;
  /** Digits in well-formed SDP; kept as a string because it may exceed 2^53. */
  sessionId: string;
  /** Digits in well-formed SDP; kept as a string because it may exceed 2^53. */
  sessionVersion: string;
  netType: string;
  addrType: string;
  address: string;
}

/**
 * `c=<nettype> <addrtype> <connection-address>`; the address is an IPv4
 * literal, an IPv6 literal without brackets (RFC 5118 §4.6) or an FQDN.
 * Multicast addresses carry `/ttl` (IP4 only) and `/number of addresses`.
 */
export interface Connection {
  netType: string;
  addrType: string;
  address: string;
  ttl?: number;
  numberOfAddresses?: number;
}

/** `b=<bwtype>:<bandwidth>` */
export interface Bandwidth {
  type: string;
  bandwidth: number;
}

/** `r=<repeat interval> <active duration> <offsets from start-time>` (typed times such as `7d` kept as written). */
export interface RepeatTime {
  interval: string;
  duration: string;
  offsets: string[];
}

/** `t=<start-time> <stop-time>` (NTP seconds; 0 0 = unbounded) and its `r=` lines. */
export interface Timing {
  start: number;
  stop: number;
  repeats: RepeatTime[];
}

/** One `z=` pair: an adjustment time and an offset (typed time, may be negative). */
export interface TimeZoneAdjustment {
  time: string;
  offset: string;
}

/** A line whose type letter RFC 8866 does not define; kept and re-emitted after the attributes of its level. */
export interface UnknownLine {
  type: string;
  value: string;
}

// ---------------------------------------------------------------- attributes

/** `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]` */
export interface RtpmapAttribute {
  kind: 'rtpmap';
  payloadType: number;
  encodingName: string;
  clockRate: number;
  /** The encoding parameters: the channel count for audio. */
  channels?: number;
}

/** `a=fmtp:<format> <format specific parameters>`; `config` is the source of truth, `params` its `key=value;…` reading. */
export interface FmtpAttribute {
  kind: 'fmtp';
  /** The format (payload type number for RTP) as written. */
  format: string;
  config: string;
  /** Keys lower-cased; a part without `=` (such as `0-15`) maps to `''`. */
  params: Readonly<Record<string, string>>;
}

export interface PtimeAttribute {
  kind: 'ptime';
  value: number;
}

export interface MaxptimeAttribute {
  kind: 'maxptime';
  value: number;
}

/** `a=sendrecv`, `a=sendonly`, `a=recvonly`, `a=inactive` */
export interface DirectionAttribute {
  kind: 'direction';
  direction: Direction;
}

/** `a=rtcp:<port> [<nettype> <addrtype> <connection-address>]` (RFC 3605) */
export interface RtcpAttribute {
  kind: 'rtcp';
  port: number;
  netType?: string;
  addrType?: string;
  address?: string;
}

/** `a=rtcp-mux` (RFC 5761) */
export interface RtcpMuxAttribute {
  kind: 'rtcp-mux';
}

/** One `<key-method>:<key-info>` of a crypto attribute; see {@link parseInlineKey} for `inline`. */
export interface CryptoKeyParam {
  method: string;
  info: string;
}

/** `a=crypto:<tag> <crypto-suite> <key-params> [<session-params>]` (RFC 4568 §9.1) */
export interface CryptoAttribute {
  kind: 'crypto';
  tag: number;
  suite: string;
  keyParams: CryptoKeyParam[];
  sessionParams: string[];
}

/** An extension name/value pair after the fixed fields of an ICE candidate. */
export interface CandidateExtension {
  name: string;
  value: string;
}

/**
 * `a=candidate:<foundation> <component-id> <transport> <priority> <address> <port>
 *  typ <cand-type> [raddr <address>] [rport <port>] *(<ext-name> <ext-value>)` (RFC 8839 §5.1)
 */
export interface CandidateAttribute {
  kind: 'candidate';
  foundation: string;
  component: number;
  transport: string;
  priority: number;
  address: string;
  port: number;
  type: string;
  relatedAddress?: string;
  relatedPort?: number;
  extensions: CandidateExtension[];
}

/** `a=fingerprint:<hash-func> <fingerprint>` (RFC 8122) */
export interface FingerprintAttribute {
  kind: 'fingerprint';
  hashFunction: string;
  fingerprint: string;
}

/** `a=setup:<role>` (RFC 4145) */
export interface SetupAttribute {
  kind: 'setup';
  role: SetupRole;
}

export interface IceUfragAttribute {
  kind: 'ice-ufrag';
  value: string;
}

export interface IcePwdAttribute {
  kind: 'ice-pwd';
  value: string;
}

/** `a=ice-options:<option> …` (RFC 8839) */
export interface IceOptionsAttribute {
  kind: 'ice-options';
  options: string[];
}

/** `a=mid:<identification-tag>` (RFC 5888) */
export interface MidAttribute {
  kind: 'mid';
  value: string;
}

/** `a=group:<semantics> *(<identification-tag>)` (RFC 5888) */
export interface GroupAttribute {
  kind: 'group';
  semantics: string;
  mids: string[];
}

/** `a=ssrc:<ssrc-id> <attribute>[:<value>]` (RFC 5576) */
export interface SsrcAttribute {
  kind: 'ssrc';
  ssrc: number;
  attribute: string;
  value?: string;
}

/** `a=extmap:<id>[/<direction>] <URI> [<extension attributes>]` (RFC 8285) */
export interface ExtmapAttribute {
  kind: 'extmap';
  id: number;
  direction?: Direction;
  uri: string;
  attributes?: string;
}

/** `a=rtcp-fb:<pt or *> <type> [<parameters>]` (RFC 4585) */
export interface RtcpFbAttribute {
  kind: 'rtcp-fb';
  payloadType: number | '*';
  type: string;
  /** The rest after the type (subtype and parameters), verbatim. */
  parameters?: string;
}

/** `a=label:<value>` (RFC 4574) */
export interface LabelAttribute {
  kind: 'label';
  value: string;
}

/**
 * Any attribute without a typed form, kept verbatim: `a=<name>` (value
 * undefined) or `a=<name>:<value>`.
 */
export interface OtherAttribute {
  kind: 'other';
  name: string;
  value?: string;
}

export type KnownAttribute =
  | RtpmapAttribute
  | FmtpAttribute
  | PtimeAttribute
  | MaxptimeAttribute
  | DirectionAttribute
  | RtcpAttribute
  | RtcpMuxAttribute
  | CryptoAttribute
  | CandidateAttribute
  | FingerprintAttribute
  | SetupAttribute
  | IceUfragAttribute
  | IcePwdAttribute
  | IceOptionsAttribute
  | MidAttribute
  | GroupAttribute
  | SsrcAttribute
  | ExtmapAttribute
  | RtcpFbAttribute
  | LabelAttribute;

export type Attribute = KnownAttribute | OtherAttribute;

/** The attribute kinds, each mapped to its type (for {@link getAttributes}). */
export type AttributeKind = Attribute['kind'];
export type AttributeOfKind<K extends AttributeKind> = Extract<Attribute, { kind: K }>;

// ------------------------------------------------------------- descriptions

/** One `m=` section: `m=<media> <port>[/<number of ports>] <proto> <fmt> …` and the lines under it. */
export interface MediaDescription {
  /** `audio`, `video`, `text`, `application`, `message`, `image` or another token. */
  type: string;
  /** 0 marks a rejected or disabled stream (RFC 3264 §6). */
  port: number;
  numberOfPorts?: number;
  /** `RTP/AVP`, `RTP/SAVP`, `RTP/AVPF`, `UDP/TLS/RTP/SAVPF`, `udptl`, … */
  protocol: string;
  /** The format list: payload type numbers for RTP profiles. */
  formats: string[];
  information?: string;
  connections: Connection[];
  bandwidths: Bandwidth[];
  encryptionKey?: string;
  attributes: Attribute[];
  unknownLines: UnknownLine[];
}

export interface SessionDescription {
  /** Always 0. */
  version: number;
  origin: Origin;
  sessionName: string;
  information?: string;
  uri?: string;
  emails: string[];
  phones: string[];
  connection?: Connection;
  bandwidths: Bandwidth[];
  timing: Timing[];
  timeZones: TimeZoneAdjustment[];
  encryptionKey?: string;
  attributes: Attribute[];
  unknownLines: UnknownLine[];
  media: MediaDescription[];
}
