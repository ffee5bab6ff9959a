/**
 * The offer/answer model (RFC 3264) as pure functions:
 *
 * - {@link createOffer}: an offer from what this side can do;
 * - {@link createAnswer}: an answer to a peer's offer (RFC 3264 §6);
 * - {@link processAnswer}: what was agreed, seen by the offerer (RFC 3264 §7);
 * - {@link negotiatedSession}: the same for either role.
 *
 * Codecs are matched by encoding name (case-insensitive), clock rate and
 * channel count, never by payload type number; an answer uses the offerer's
 * numbers (RFC 3264 §6.1). `telephone-event` (RFC 4733) is negotiated apart
 * from the codecs and is never enough on its own to accept a stream.
 */
import { assertArgument, cryptoRandom, type Random, StrowgerError } from '../core/index.js';
import {
  type Codec,
  codecKey,
  codecsOf,
  connectionOf,
  directionOf,
  getAttribute,
  hasAttribute,
} from './access.js';
import { addrTypeOf } from './address.js';
import { createMediaDescription, createSessionDescription, sdpAttr } from './build.js';
import { SdpNegotiationError } from './errors.js';
import { streamHoldReason } from './hold.js';
import { serializeSdp } from './serialize.js';
import {
  DYNAMIC_PAYLOAD_TYPE_MAX,
  DYNAMIC_PAYLOAD_TYPE_MIN,
  staticPayloadTypeOf,
} from './static-payload-types.js';
import { DEFAULT_TELEPHONE_EVENTS, intersectEventLists } from './telephone-event.js';
import type { Attribute, Direction, MediaDescription, Origin, SessionDescription } from './types.js';

// ------------------------------------------------------------------- inputs

/** A codec this side can send and receive. */
export interface LocalCodec {
  encodingName: string;
  clockRate: number;
  /** Default 1. */
  channels?: number;
  /** The payload type to offer it with; default: its static type, else a free dynamic one (96-127). */
  payloadType?: number;
  /** Format parameters this side wants to receive (`'minptime=10;useinbandfec=1'`). */
  fmtp?: string;
}

export interface TelephoneEventCapability {
  /** Default 101. */
  payloadType?: number;
  /** Default 8000. */
  clockRate?: number;
  /** Events this side understands; default `'0-16'` (DTMF and flash). */
  events?: string;
}

/** What this side can do for one stream. */
export interface LocalMedia {
  /** Default `'audio'`. */
  type?: string;
  port: number;
  /** The profile to offer; default `'RTP/AVP'`. */
  protocol?: string;
  /** Profiles this side accepts in an offer; default `[protocol]`. */
  acceptProtocols?: string[];
  /** In order of preference. */
  codecs: LocalCodec[];
  /** RFC 4733 events; default off. `true` means the defaults of {@link TelephoneEventCapability}. */
  telephoneEvent?: boolean | TelephoneEventCapability;
  ptime?: number;
  maxptime?: number;
  /** Default `'sendrecv'`. */
  direction?: Direction;
  /** Offer RTP/RTCP multiplexing, and accept it when offered (RFC 5761). Default false. */
  rtcpMux?: boolean;
  /** Adds `a=rtcp:<port>` (RFC 3605) when RTCP is not on RTP port + 1. */
  rtcpPort?: number;
  /** A media-level `c=` address when it differs from the session's. */
  address?: string;
  /** Adds `a=mid` to an offer (an answer echoes the offer's). */
  mid?: string;
  /** Further attributes for this stream (crypto, ICE, fingerprint, setup, …), added last. */
  attributes?: Attribute[];
}

/** What this side can do: its address and one entry per stream. */
export interface LocalDescription {
  /** The `c=` and `o=` address: IPv4, IPv6 (no brackets) or a host name. */
  address: string;
  /** `o=` user name; default `'-'`. */
  username?: string;
  /** Default `'-'`. */
  sessionName?: string;
  /** `o=` session id; default a random number (see {@link NegotiationOptions.random}). */
  sessionId?: string;
  media: LocalMedia[];
  /** Session-level attributes, added after the others. */
  attributes?: Attribute[];
}

export interface NegotiationOptions {
  /**
   * The description this side last sent in the dialog. Its origin is kept
   * and its session version incremented only if the new description differs
   * (RFC 3264 §8); an offer keeps the payload types it used.
   */
  previous?: SessionDescription;
  /** Source of the session id of a first description; default cryptographic. */
  random?: Random;
}

export interface AnswerOptions extends NegotiationOptions {
  /** Whose preference orders the answered codecs: the offerer's (default) or this side's. */
  codecOrder?: 'offer' | 'local';
  /** Answer with only the first common codec (plus telephone-event and comfort noise). Default false. */
  singleCodec?: boolean;
}

// ------------------------------------------------------------------ outputs

/** A codec both sides agreed on. */
export interface NegotiatedCodec {
  encodingName: string;
  clockRate: number;
  channels: number;
  /** The payload type to send with: the one in the peer's description. */
  payloadType: number;
  /** The payload type the peer sends it with: the one in this side's description. */
  receivePayloadType: number;
  /** The peer's format parameters for it (what the peer wants to receive). */
  fmtp?: string;
  params: Readonly<Record<string, string>>;
}

export interface NegotiatedTelephoneEvent {
  payloadType: number;
  receivePayloadType: number;
  clockRate: number;
  /** Events the peer understands (send only these). */
  events: string;
}

/** One m= line after offer/answer, seen from this side. */
export interface NegotiatedStream {
  index: number;
  type: string;
  protocol: string;
  mid?: string;
  /** Both sides gave a non-zero port and at least one codec is common. */
  accepted: boolean;
  remoteAddress: string;
  remoteAddrType: string;
  remotePort: number;
  remoteRtcpAddress: string;
  remoteRtcpPort: number;
  rtcpMux: boolean;
  /** In the answer's order; the first is the one to send. */
  codecs: NegotiatedCodec[];
  /** The first codec that is not telephone-event, comfort noise, RED, FEC or RTX. */
  codec?: NegotiatedCodec;
  telephoneEvent?: NegotiatedTelephoneEvent;
  /** What this side does: its own direction limited by the peer's. */
  direction: Direction;
  /** The direction the peer stated. */
  remoteDirection: Direction;
  /** The peer is holding this stream (sendonly/inactive, or c=0.0.0.0). */
  remoteHold: boolean;
  /** The packetization the peer wants to receive. */
  ptime?: number;
  maxptime?: number;
  localMedia: MediaDescription;
  remoteMedia: MediaDescription;
}

export interface NegotiatedSession {
  role: 'offerer' | 'answerer';
  remoteOrigin: Origin;
  streams: NegotiatedStream[];
}

// ------------------------------------------------------------------ helpers

const AUXILIARY = new Set(['telephone-event', 'cn', 'red', 'ulpfec', 'flexfec', 'flexfec-03', 'rtx']);

function isAuxiliary(name: string): boolean {
  return AUXILIARY.has(name.toLowerCase());
}

function isTelephoneEvent(name: string): boolean {
  return name.toLowerCase() === 'telephone-event';
}

function sends(d: Direction): boolean {
  return d === 'sendrecv' || d === 'sendonly';
}

function receives(d: Direction): boolean {
  return d === 'sendrecv' || d === 'recvonly';
}

function directionFrom(send: boolean, recv: boolean): Direction {
  return send ? (recv ? 'sendrecv' : 'sendonly') : recv ? 'recvonly' : 'inactive';
}

/**
 * The answer's direction (RFC 3264 §6.1): the answerer may send only what the
 * offerer will receive and receive only what it sends, within what the
 * answerer itself wants. Offer sendonly → recvonly, recvonly → sendonly,
 * inactive → inactive.
 */
export function answerDirection(offered: Direction, local: Direction = 'sendrecv'): Direction {
  return directionFrom(receives(offered) && sends(local), sends(offered) && receives(local));
}

function teCapability(t: LocalMedia['telephoneEvent']): Required<TelephoneEventCapability> | undefined {
  if (!t) return undefined;
  const o = t === true ? {} : t;
  return { payloadType: o.payloadType ?? 101, clockRate: o.clockRate ?? 8000, events: o.events ?? '0-16' };
}

/** `v` plus one, for digit strings longer than 2^53 too. */
function increment(v: string): string {
  return /^[0-9]+$/.test(v) ? (BigInt(v) + 1n).toString() : '1';
}

function sameExceptVersion(a: SessionDescription, b: SessionDescription): boolean {
  const o = a.origin;
  return serializeSdp(a) === serializeSdp({ ...b, origin: o });
}

/**
 * Returns `next` with the origin of `previous` (RFC 3264 §8: only the version
 * may change) and the session version incremented when, and only when, the
 * description differs from `previous`.
 */
export function updateOrigin(previous: SessionDescription, next: SessionDescription): SessionDescription {
  const origin = { ...previous.origin };
  const out = { ...next, origin };
  if (!sameExceptVersion(previous, out)) origin.sessionVersion = increment(previous.origin.sessionVersion);
  return out;
}

function firstOrigin(local: LocalDescription, random: Random): Partial<Origin> {
  return {
    username: local.username ?? '-',
    sessionId: local.sessionId ?? String(1 + random.int(2 ** 47)),
    sessionVersion: '1',
    address: local.address,
    addrType: addrTypeOf(local.address),
  };
}

function finish(
  d: SessionDescription,
  local: LocalDescription,
  options: NegotiationOptions | undefined,
): SessionDescription {
  if (options?.previous) return updateOrigin(options.previous, d);
  d.origin = { ...d.origin, ...firstOrigin(local, options?.random ?? cryptoRandom) };
  return d;
}

function rtpmapFor(pt: number, name: string, clockRate: number, channels: number): Attribute {
  return sdpAttr.rtpmap(pt, name, clockRate, channels === 1 ? undefined : channels);
}

function checkLocal(local: LocalDescription): void {
  assertArgument(
    typeof local.address === 'string' && local.address.length > 0,
    'local.address',
    'a non-empty address',
  );
  for (const [i, m] of local.media.entries()) {
    assertArgument(
      Number.isInteger(m.port) && m.port >= 0 && m.port <= 65535,
      `local.media[${i}].port`,
      'an integer 0-65535',
    );
    assertArgument(Array.isArray(m.codecs), `local.media[${i}].codecs`, 'an array');
  }
}

// -------------------------------------------------------------------- offer

/** Chooses payload types for the codecs of one offered stream. */
class PayloadTypeAllocator {
  private readonly used = new Set<number>();
  private readonly reserved = new Set<number>();

  constructor(private readonly previous: Map<string, number>) {
    for (const pt of previous.values()) this.reserved.add(pt);
  }

  reserve(pt: number | undefined): void {
    if (pt !== undefined) this.reserved.add(pt);
  }

  take(key: string, preferred: (number | undefined)[]): number {
    for (const pt of [this.previous.get(key), ...preferred]) {
      if (pt !== undefined && pt >= 0 && pt <= 127 && !this.used.has(pt)) {
        this.used.add(pt);
        return pt;
      }
    }
    for (const avoidReserved of [true, false]) {
      for (let pt = DYNAMIC_PAYLOAD_TYPE_MIN; pt <= DYNAMIC_PAYLOAD_TYPE_MAX; pt++) {
        if (!this.used.has(pt) && !(avoidReserved && this.reserved.has(pt))) {
          this.used.add(pt);
          return pt;
        }
      }
    }
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'more codecs than dynamic payload types (96-127)');
  }
}

function offerMedia(lm: LocalMedia, previous: MediaDescription | undefined): MediaDescription {
  const type = lm.type ?? 'audio';
  const prev = new Map<string, number>();
  if (previous && previous.type === type)
    for (const c of codecsOf(previous)) prev.set(codecKey(c), c.payloadType);
  const alloc = new PayloadTypeAllocator(prev);
  const te = teCapability(lm.telephoneEvent);
  for (const c of lm.codecs) alloc.reserve(c.payloadType);
  alloc.reserve(te?.payloadType);

  const formats: string[] = [];
  const attributes: Attribute[] = [];
  for (const c of lm.codecs) {
    const channels = c.channels ?? 1;
    const key = codecKey({ encodingName: c.encodingName, clockRate: c.clockRate, channels });
    const pt = alloc.take(key, [c.payloadType, staticPayloadTypeOf(c.encodingName, c.clockRate, channels)]);
    formats.push(String(pt));
    attributes.push(rtpmapFor(pt, c.encodingName, c.clockRate, channels));
    if (c.fmtp !== undefined) attributes.push(sdpAttr.fmtp(pt, c.fmtp));
  }
  if (te) {
    const key = codecKey({ encodingName: 'telephone-event', clockRate: te.clockRate });
    const pt = alloc.take(key, [te.payloadType]);
    formats.push(String(pt));
    attributes.push(sdpAttr.rtpmap(pt, 'telephone-event', te.clockRate));
    attributes.push(sdpAttr.fmtp(pt, te.events));
  }
  commonAttributes(lm, attributes, lm.direction ?? 'sendrecv', lm.rtcpMux === true);
  if (lm.mid !== undefined) attributes.push(sdpAttr.mid(lm.mid));
  if (lm.attributes) attributes.push(...lm.attributes);
  return createMediaDescription({
    type,
    port: lm.port,
    protocol: lm.protocol ?? 'RTP/AVP',
    formats,
    attributes,
    ...(lm.address === undefined ? {} : { address: lm.address }),
  });
}

function commonAttributes(lm: LocalMedia, attributes: Attribute[], direction: Direction, mux: boolean): void {
  if (lm.ptime !== undefined) attributes.push(sdpAttr.ptime(lm.ptime));
  if (lm.maxptime !== undefined) attributes.push(sdpAttr.maxptime(lm.maxptime));
  attributes.push(sdpAttr.direction(direction));
  if (mux) attributes.push(sdpAttr.rtcpMux());
  if (lm.rtcpPort !== undefined) attributes.push(sdpAttr.rtcp(lm.rtcpPort));
}

/**
 * An offer from this side's capabilities. With `options.previous` (the last
 * description this side sent in the dialog) it is a re-offer: same origin,
 * version incremented only if something changed, payload types kept.
 */
export function createOffer(local: LocalDescription, options?: NegotiationOptions): SessionDescription {
  checkLocal(local);
  for (const [i, m] of local.media.entries()) {
    assertArgument(m.codecs.length > 0, `local.media[${i}].codecs`, 'at least one codec in an offer');
  }
  const before = options?.previous?.media.length ?? 0;
  assertArgument(
    local.media.length >= before,
    'local.media',
    `at least the ${before} streams of the previous description (RFC 3264 §8: disable a stream with port 0, never remove its m= line)`,
  );
  const media = local.media.map((lm, i) => offerMedia(lm, options?.previous?.media[i]));
  const d = createSessionDescription({
    address: local.address,
    sessionName: local.sessionName ?? '-',
    attributes: local.attributes ? [...local.attributes] : [],
    media,
  });
  return finish(d, local, options);
}

// ------------------------------------------------------------------- answer

function rejectedMedia(om: MediaDescription): MediaDescription {
  const mid = getAttribute(om, 'mid');
  return createMediaDescription({
    type: om.type,
    port: 0,
    protocol: om.protocol,
    formats: [...om.formats],
    attributes: mid ? [sdpAttr.mid(mid.value)] : [],
  });
}

function protocolAccepted(lm: LocalMedia, offered: string): boolean {
  const accepted = lm.acceptProtocols ?? [lm.protocol ?? 'RTP/AVP'];
  const o = offered.toUpperCase();
  return accepted.some((p) => p.toUpperCase() === o);
}

interface Choice {
  offered: Codec;
  local: LocalCodec | undefined;
  fmtp: string | undefined;
}

function answerMedia(
  offer: SessionDescription,
  om: MediaDescription,
  lm: LocalMedia,
  options: AnswerOptions | undefined,
): MediaDescription | undefined {
  const offered = codecsOf(om);
  const localByKey = new Map<string, LocalCodec>();
  for (const c of lm.codecs) {
    const key = codecKey({ encodingName: c.encodingName, clockRate: c.clockRate, channels: c.channels ?? 1 });
    if (!localByKey.has(key)) localByKey.set(key, c);
  }

  let chosen: Choice[] = [];
  const seen = new Set<number>();
  const pick = (o: Codec, l: LocalCodec) => {
    if (seen.has(o.payloadType)) return;
    seen.add(o.payloadType);
    chosen.push({ offered: o, local: l, fmtp: l.fmtp ?? o.fmtp });
  };
  if (options?.codecOrder === 'local') {
    for (const l of lm.codecs) {
      const key = codecKey({
        encodingName: l.encodingName,
        clockRate: l.clockRate,
        channels: l.channels ?? 1,
      });
      for (const o of offered) if (!isTelephoneEvent(o.encodingName) && codecKey(o) === key) pick(o, l);
    }
  } else {
    for (const o of offered) {
      if (isTelephoneEvent(o.encodingName)) continue;
      const l = localByKey.get(codecKey(o));
      if (l) pick(o, l);
    }
  }
  const primary = chosen.find((c) => !isAuxiliary(c.offered.encodingName));
  if (!primary) return undefined;
  if (options?.singleCodec) {
    chosen = chosen.filter(
      (c) =>
        c === primary ||
        (isAuxiliary(c.offered.encodingName) && c.offered.encodingName.toLowerCase() !== 'rtx') ||
        c.offered.params.apt === String(primary.offered.payloadType),
    );
  }
  // RTX (RFC 4588) only alongside the payload type it repairs
  const pts = new Set(chosen.map((c) => String(c.offered.payloadType)));
  chosen = chosen.filter(
    (c) => c.offered.encodingName.toLowerCase() !== 'rtx' || pts.has(c.offered.params.apt ?? ''),
  );

  const formats: string[] = [];
  const attributes: Attribute[] = [];
  for (const c of chosen) {
    const o = c.offered;
    formats.push(String(o.payloadType));
    attributes.push(rtpmapFor(o.payloadType, o.encodingName, o.clockRate, o.channels));
    if (c.fmtp !== undefined) attributes.push(sdpAttr.fmtp(o.payloadType, c.fmtp));
  }

  const te = teCapability(lm.telephoneEvent);
  if (te) {
    const offeredTe = offered.filter((o) => isTelephoneEvent(o.encodingName));
    const rates = new Set(
      chosen.filter((c) => !isAuxiliary(c.offered.encodingName)).map((c) => c.offered.clockRate),
    );
    let useTe = offeredTe.filter((o) => rates.has(o.clockRate));
    if (useTe.length === 0 && offeredTe[0]) useTe = [offeredTe[0]];
    for (const o of useTe) {
      const events = intersectEventLists(o.fmtp ?? DEFAULT_TELEPHONE_EVENTS, te.events);
      if (events === undefined) continue;
      formats.push(String(o.payloadType));
      attributes.push(sdpAttr.rtpmap(o.payloadType, o.encodingName, o.clockRate));
      attributes.push(sdpAttr.fmtp(o.payloadType, events));
    }
  }

  const direction = answerDirection(directionOf(om, offer), lm.direction ?? 'sendrecv');
  commonAttributes(lm, attributes, direction, lm.rtcpMux === true && hasAttribute(om, 'rtcp-mux'));
  const mid = getAttribute(om, 'mid');
  if (mid) attributes.push(sdpAttr.mid(mid.value));
  if (lm.attributes) attributes.push(...lm.attributes);
  return createMediaDescription({
    type: om.type,
    port: lm.port,
    protocol: om.protocol,
    formats,
    attributes,
    ...(lm.address === undefined ? {} : { address: lm.address }),
  });
}

/**
 * An answer to `offer` from this side's capabilities (RFC 3264 §6): one m=
 * line per offered m= line, in the same order; a stream with nothing in
 * common (media type, profile or codec) is rejected with port 0. Throws
 * {@link SdpNegotiationError} (answer 488) when the offer has active streams
 * and none can be accepted.
 *
 * Each offered stream takes the first unused local entry of the same media
 * type whose profiles include the offered one.
 */
export function createAnswer(
  offer: SessionDescription,
  local: LocalDescription,
  options?: AnswerOptions,
): SessionDescription {
  checkLocal(local);
  const used = new Set<number>();
  const media: MediaDescription[] = [];
  let active = 0;
  let accepted = 0;
  for (const om of offer.media) {
    if (om.port === 0) {
      media.push(rejectedMedia(om));
      continue;
    }
    active++;
    let answered: MediaDescription | undefined;
    for (const [j, lm] of local.media.entries()) {
      if (used.has(j) || (lm.type ?? 'audio') !== om.type || !protocolAccepted(lm, om.protocol)) continue;
      answered = answerMedia(offer, om, lm, options);
      if (answered) {
        used.add(j);
        break;
      }
    }
    if (answered) accepted++;
    media.push(answered ?? rejectedMedia(om));
  }
  if (active > 0 && accepted === 0) {
    const offered = offer.media
      .filter((m) => m.port !== 0)
      .map(
        (m) =>
          `${m.type} ${m.protocol} [${codecsOf(m)
            .map((c) => `${c.encodingName}/${c.clockRate}`)
            .join(', ')}]`,
      )
      .join('; ');
    throw new SdpNegotiationError(`no offered stream can be accepted (offered: ${offered})`);
  }
  const d = createSessionDescription({
    address: local.address,
    sessionName: local.sessionName ?? '-',
    timing:
      offer.timing.length > 0
        ? offer.timing.map((t) => ({ start: t.start, stop: t.stop, repeats: [] }))
        : [{ start: 0, stop: 0, repeats: [] }],
    attributes: local.attributes ? [...local.attributes] : [],
    media,
  });
  return finish(d, local, options);
}

// --------------------------------------------------------------- negotiated

function resolveStream(
  index: number,
  offer: SessionDescription,
  answer: SessionDescription,
  role: 'offerer' | 'answerer',
): NegotiatedStream {
  const om = offer.media[index] as MediaDescription;
  const am = answer.media[index] as MediaDescription;
  if (om.type !== am.type) {
    throw new SdpNegotiationError(
      `m-line ${index + 1}: answer has ${am.type} where the offer has ${om.type}`,
    );
  }
  const [localDesc, remoteDesc] = role === 'offerer' ? [offer, answer] : [answer, offer];
  const [localMedia, remoteMedia] = role === 'offerer' ? [om, am] : [am, om];

  const conn = connectionOf(remoteDesc, remoteMedia);
  const bothPorts = om.port !== 0 && am.port !== 0;
  if (bothPorts && !conn)
    throw new SdpNegotiationError(`m-line ${index + 1}: no c= address for the peer's stream`);
  const remoteAddress = conn?.address ?? '';
  const rtcpMux = hasAttribute(om, 'rtcp-mux') && hasAttribute(am, 'rtcp-mux');
  const rtcp = getAttribute(remoteMedia, 'rtcp');
  let remoteRtcpAddress = remoteAddress;
  let remoteRtcpPort = remoteMedia.port === 0 ? 0 : remoteMedia.port + 1;
  if (rtcpMux) remoteRtcpPort = remoteMedia.port;
  else if (rtcp) {
    remoteRtcpPort = rtcp.port;
    if (rtcp.address !== undefined) remoteRtcpAddress = rtcp.address;
  }

  const offerCodecs = codecsOf(om);
  const localCodecs = codecsOf(localMedia);
  const remoteCodecs = codecsOf(remoteMedia);
  const codecs: NegotiatedCodec[] = [];
  let telephoneEvent: NegotiatedTelephoneEvent | undefined;
  const teCandidates: NegotiatedTelephoneEvent[] = [];
  for (const a of codecsOf(am)) {
    const key = codecKey(a);
    if (!offerCodecs.some((o) => codecKey(o) === key)) continue; // the answer may not add codecs
    const r = remoteCodecs.find((c) => codecKey(c) === key) as Codec;
    const l = localCodecs.find((c) => codecKey(c) === key) as Codec;
    if (isTelephoneEvent(a.encodingName)) {
      teCandidates.push({
        payloadType: r.payloadType,
        receivePayloadType: l.payloadType,
        clockRate: a.clockRate,
        events: r.fmtp ?? DEFAULT_TELEPHONE_EVENTS,
      });
      continue;
    }
    const n: NegotiatedCodec = {
      encodingName: r.encodingName,
      clockRate: r.clockRate,
      channels: r.channels,
      payloadType: r.payloadType,
      receivePayloadType: l.payloadType,
      params: r.params,
    };
    if (r.fmtp !== undefined) n.fmtp = r.fmtp;
    codecs.push(n);
  }
  const codec = codecs.find((c) => !isAuxiliary(c.encodingName));
  if (codec) telephoneEvent = teCandidates.find((t) => t.clockRate === codec.clockRate);
  telephoneEvent ??= teCandidates[0];

  const remoteDirection = directionOf(remoteMedia, remoteDesc);
  const localDirection = directionOf(localMedia, localDesc);
  const direction = directionFrom(
    sends(localDirection) && receives(remoteDirection),
    receives(localDirection) && sends(remoteDirection),
  );
  const s: NegotiatedStream = {
    index,
    type: om.type,
    protocol: am.protocol,
    accepted: bothPorts && codec !== undefined,
    remoteAddress,
    remoteAddrType: conn?.addrType ?? '',
    remotePort: remoteMedia.port,
    remoteRtcpAddress,
    remoteRtcpPort,
    rtcpMux,
    codecs,
    direction,
    remoteDirection,
    remoteHold: remoteMedia.port !== 0 && streamHoldReason(remoteDesc, remoteMedia) !== undefined,
    localMedia,
    remoteMedia,
  };
  const mid = getAttribute(am, 'mid') ?? getAttribute(om, 'mid');
  if (mid) s.mid = mid.value;
  if (codec) s.codec = codec;
  if (telephoneEvent) s.telephoneEvent = telephoneEvent;
  const ptime = getAttribute(remoteMedia, 'ptime') ?? getAttribute(remoteDesc, 'ptime');
  if (ptime) s.ptime = ptime.value;
  const maxptime = getAttribute(remoteMedia, 'maxptime') ?? getAttribute(remoteDesc, 'maxptime');
  if (maxptime) s.maxptime = maxptime.value;
  return s;
}

/**
 * What an offer and its answer agreed, seen from `role`'s side: per m= line
 * the peer's RTP and RTCP address and port, the common codecs with the
 * payload types to send and to expect, telephone-event, direction and ptime.
 * Throws {@link SdpNegotiationError} when the answer does not fit the offer
 * (another number of m= lines, another media type, no address).
 */
export function negotiatedSession(
  offer: SessionDescription,
  answer: SessionDescription,
  role: 'offerer' | 'answerer',
): NegotiatedSession {
  if (offer.media.length !== answer.media.length) {
    throw new SdpNegotiationError(
      `the answer has ${answer.media.length} m-lines, the offer ${offer.media.length} (RFC 3264 §6)`,
    );
  }
  const streams: NegotiatedStream[] = [];
  for (let i = 0; i < offer.media.length; i++) streams.push(resolveStream(i, offer, answer, role));
  return { role, remoteOrigin: (role === 'offerer' ? answer : offer).origin, streams };
}

/** The offerer's view of an answer (RFC 3264 §7): {@link negotiatedSession} with role `'offerer'`. */
export function processAnswer(offer: SessionDescription, answer: SessionDescription): NegotiatedSession {
  return negotiatedSession(offer, answer, 'offerer');
}
