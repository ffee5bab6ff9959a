/** L1 sip/message: requests, responses, headers, URIs, name-addr, serialization. */

export {
  type CreateRequestOptions,
  type CreateResponseOptions,
  createRequest,
  createResponse,
} from './build.js';
export { SipParseError, type SipParseErrorOptions } from './errors.js';
export {
  CHARSET,
  escapeUri,
  isHostname,
  isIPv4,
  isIPv6,
  isToken,
  isTokenChar,
  quote,
  skipLws,
  splitList,
  unescapeUri,
  unquote,
} from './grammar.js';
export {
  canonicalHeaderName,
  compactHeaderName,
  headerKey,
  isListHeader,
  knownHeaderKey,
  matchHeaderName,
  SINGLETON_HEADERS,
} from './header-names.js';
export {
  type AuthHeader,
  type CSeq,
  type EventHeader,
  type MediaType,
  paramValue,
  parseAuthHeader,
  parseCallId,
  parseContentLength,
  parseCSeq,
  parseDeltaSeconds,
  parseEvent,
  parseMaxForwards,
  parseMediaType,
  parseMinSE,
  parseRAck,
  parseReplaces,
  parseRetryAfter,
  parseRSeq,
  parseSessionExpires,
  parseSubscriptionState,
  parseTokenList,
  type RAck,
  type Replaces,
  type RetryAfter,
  type SessionExpires,
  type SubscriptionState,
} from './header-values.js';
export {
  type Field,
  type HeaderField,
  type HeaderInput,
  isRequest,
  isResponse,
  SipMessage,
  SipRequest,
  SipResponse,
} from './message.js';
export { NameAddr, parseGenericParams, parseNameAddr } from './name-addr.js';
export { Params, sameName } from './params.js';
export { messageToString, serializeMessage } from './serialize.js';
export { REASON_PHRASES, reasonPhrase } from './status.js';
export {
  AbsoluteUri,
  isIpLiteral,
  isSipUri,
  parseUri,
  SipUri,
  type SipUriInit,
  TelUri,
  type Uri,
  uriEquals,
} from './uri.js';
export { BRANCH_MAGIC, parseVia, Via, type ViaInit } from './via.js';
