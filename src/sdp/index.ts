/**
 * strowger/sdp — SDP (RFC 8866) parse/serialize, typed attributes, building
 * descriptions in code, offer/answer negotiation (RFC 3264) and hold detection.
 */

export {
  type Codec,
  codecKey,
  codecsOf,
  connectionOf,
  directionOf,
  getAttribute,
  getAttributes,
  getOtherAttribute,
  hasAttribute,
} from './access.js';
export { type AddressFamily, addressFamily, addrTypeOf, isFqdn, isIPv4, isIPv6 } from './address.js';
export {
  formatAttribute,
  formatFmtpParams,
  type InlineKey,
  isDirection,
  parseAttribute,
  parseFmtpParams,
  parseInlineKey,
} from './attributes.js';
export {
  type CodecInit,
  createConnection,
  createMediaDescription,
  createSessionDescription,
  type MediaDescriptionInit,
  SDP_DEFAULTS,
  type SessionDescriptionInit,
  sdpAttr,
} from './build.js';
export { NOT_ACCEPTABLE_HERE, SdpNegotiationError, SdpParseError } from './errors.js';
export {
  type HoldReason,
  type HoldState,
  holdState,
  type StreamHoldState,
  streamHoldReason,
} from './hold.js';
export {
  type AnswerOptions,
  answerDirection,
  createAnswer,
  createOffer,
  type LocalCodec,
  type LocalDescription,
  type LocalMedia,
  type NegotiatedCodec,
  type NegotiatedSession,
  type NegotiatedStream,
  type NegotiatedTelephoneEvent,
  type NegotiationOptions,
  negotiatedSession,
  processAnswer,
  type TelephoneEventCapability,
  updateOrigin,
} from './negotiate.js';
export { parseSdp, type SdpParseOptions } from './parse.js';
export { serializeMedia, serializeSdp } from './serialize.js';
export {
  DYNAMIC_PAYLOAD_TYPE_MAX,
  DYNAMIC_PAYLOAD_TYPE_MIN,
  STATIC_PAYLOAD_TYPES,
  type StaticPayloadType,
  staticPayloadTypeOf,
} from './static-payload-types.js';
export {
  DEFAULT_TELEPHONE_EVENTS,
  formatEventList,
  intersectEventLists,
  parseEventList,
} from './telephone-event.js';
export type {
  Attribute,
  AttributeKind,
  AttributeOfKind,
  Bandwidth,
  CandidateAttribute,
  CandidateExtension,
  Connection,
  CryptoAttribute,
  CryptoKeyParam,
  Direction,
  DirectionAttribute,
  ExtmapAttribute,
  FingerprintAttribute,
  FmtpAttribute,
  GroupAttribute,
  IceOptionsAttribute,
  IcePwdAttribute,
  IceUfragAttribute,
  KnownAttribute,
  LabelAttribute,
  MaxptimeAttribute,
  MediaDescription,
  MidAttribute,
  Origin,
  OtherAttribute,
  PtimeAttribute,
  RepeatTime,
  RtcpAttribute,
  RtcpFbAttribute,
  RtcpMuxAttribute,
  RtpmapAttribute,
  SessionDescription,
  SetupAttribute,
  SetupRole,
  SsrcAttribute,
  TimeZoneAdjustment,
  Timing,
  UnknownLine,
} from './types.js';
