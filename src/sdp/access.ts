/**
 * Typed reading of a parsed description: attributes by kind, the effective
 * direction and connection of a stream, and its codecs (rtpmap, static
 * payload types and fmtp resolved together).
 */
import { parseFmtpParams } from './attributes.js';
import { STATIC_PAYLOAD_TYPES } from './static-payload-types.js';
import { parseUint } from './tokens.js';
import type {
  Attribute,
  AttributeKind,
  AttributeOfKind,
  Connection,
  Direction,
  MediaDescription,
  OtherAttribute,
  SessionDescription,
} from './types.js';

type HasAttributes = { readonly attributes: readonly Attribute[] };

/** Every attribute of one kind at a level (session or media), in order. */
export function getAttributes<K extends AttributeKind>(level: HasAttributes, kind: K): AttributeOfKind<K>[] {
  const out: AttributeOfKind<K>[] = [];
  for (const a of level.attributes) if (a.kind === kind) out.push(a as AttributeOfKind<K>);
  return out;
}

/** The first attribute of one kind at a level, or undefined. */
export function getAttribute<K extends AttributeKind>(
  level: HasAttributes,
  kind: K,
): AttributeOfKind<K> | undefined {
  for (const a of level.attributes) if (a.kind === kind) return a as AttributeOfKind<K>;
  return undefined;
}

/** The first attribute without a typed form named `name` (say `ice-lite` or `ssrc-group`), or undefined. */
export function getOtherAttribute(level: HasAttributes, name: string): OtherAttribute | undefined {
  for (const a of level.attributes) if (a.kind === 'other' && a.name === name) return a;
  return undefined;
}

/** True when the level carries the attribute `name` (typed or not), e.g. `hasAttribute(m, 'rtcp-mux')`. */
export function hasAttribute(level: HasAttributes, name: string): boolean {
  for (const a of level.attributes) {
    if (
      a.kind === 'other' ? a.name === name : a.kind === 'direction' ? a.direction === name : a.kind === name
    ) {
      return true;
    }
  }
  return false;
}

/**
 * The direction of a stream: its own direction attribute, else the session's,
 * else `sendrecv` (RFC 8866 §6.7). When a level carries several, the last wins.
 */
export function directionOf(media: MediaDescription, session?: SessionDescription): Direction {
  let d: Direction | undefined;
  for (const a of media.attributes) if (a.kind === 'direction') d = a.direction;
  if (d) return d;
  if (session) for (const a of session.attributes) if (a.kind === 'direction') d = a.direction;
  return d ?? 'sendrecv';
}

/** The connection of a stream: its first media-level `c=`, else the session's. */
export function connectionOf(session: SessionDescription, media: MediaDescription): Connection | undefined {
  return media.connections[0] ?? session.connection;
}

/** A format of an m= line resolved to its codec. */
export interface Codec {
  payloadType: number;
  /** As written in the rtpmap (or the RFC 3551 name for a static type without one). */
  encodingName: string;
  clockRate: number;
  /** 1 when not given. */
  channels: number;
  /** The fmtp configuration string, when there is one. */
  fmtp?: string;
  /** The fmtp read as `key=value` (empty when there is no fmtp). */
  params: Readonly<Record<string, string>>;
}

/**
 * The codecs of an m= line in format order: each payload type resolved through
 * its `a=rtpmap`, or the RFC 3551 static table when there is none. Formats
 * that are neither (a dynamic type without rtpmap, a non-RTP format) are left
 * out.
 */
export function codecsOf(media: MediaDescription): Codec[] {
  const out: Codec[] = [];
  for (const f of media.formats) {
    const pt = parseUint(f, 127);
    if (pt < 0) continue;
    let encodingName: string | undefined;
    let clockRate = 0;
    let channels = 1;
    let fmtp: string | undefined;
    for (const a of media.attributes) {
      if (a.kind === 'rtpmap' && a.payloadType === pt && encodingName === undefined) {
        encodingName = a.encodingName;
        clockRate = a.clockRate;
        channels = a.channels ?? 1;
      } else if (a.kind === 'fmtp' && fmtp === undefined && a.format === f) {
        fmtp = a.config;
      }
    }
    if (encodingName === undefined) {
      const s = STATIC_PAYLOAD_TYPES.get(pt);
      if (!s) continue;
      encodingName = s.encodingName;
      clockRate = s.clockRate;
      channels = s.channels ?? 1;
    }
    const c: Codec = {
      payloadType: pt,
      encodingName,
      clockRate,
      channels,
      params: fmtp === undefined ? Object.create(null) : parseFmtpParams(fmtp),
    };
    if (fmtp !== undefined) c.fmtp = fmtp;
    out.push(c);
  }
  return out;
}

/** The key codecs are matched by: encoding name (case-insensitive), clock rate and channels — never the payload type. */
export function codecKey(c: { encodingName: string; clockRate: number; channels?: number }): string {
  return `${c.encodingName.toLowerCase()}/${c.clockRate}/${c.channels ?? 1}`;
}
