/**
 * The header-name table: canonical spelling, compact form (RFC 3261 §7.3.3 and
 * later RFCs), and whether values are comma-separated lists that may be
 * split or combined (RFC 3261 §7.3.1). Keys are the lower-cased long names.
 */

import { sameName } from './params.js';
import { ownCodesOf as codesFor, codesOf } from './scan.js';

interface HeaderInfo {
  /** Canonical spelling used when Strowger writes the header. */
  readonly name: string;
  readonly compact?: string;
  /** The value is a comma-separated list (`#element`). */
  readonly list?: boolean;
}

const INFO: Record<string, HeaderInfo> = {
  accept: { name: 'Accept', list: true },
  'accept-contact': { name: 'Accept-Contact', compact: 'a', list: true },
  'accept-encoding': { name: 'Accept-Encoding', list: true },
  'accept-language': { name: 'Accept-Language', list: true },
  'alert-info': { name: 'Alert-Info', list: true },
  allow: { name: 'Allow', list: true },
  'allow-events': { name: 'Allow-Events', compact: 'u', list: true },
  'authentication-info': { name: 'Authentication-Info' },
  authorization: { name: 'Authorization' },
  'call-id': { name: 'Call-ID', compact: 'i' },
  'call-info': { name: 'Call-Info', list: true },
  contact: { name: 'Contact', compact: 'm', list: true },
  'content-disposition': { name: 'Content-Disposition' },
  'content-encoding': { name: 'Content-Encoding', compact: 'e', list: true },
  'content-language': { name: 'Content-Language', list: true },
  'content-length': { name: 'Content-Length', compact: 'l' },
  'content-type': { name: 'Content-Type', compact: 'c' },
  cseq: { name: 'CSeq' },
  date: { name: 'Date' },
  'error-info': { name: 'Error-Info', list: true },
  event: { name: 'Event', compact: 'o' },
  expires: { name: 'Expires' },
  from: { name: 'From', compact: 'f' },
  'history-info': { name: 'History-Info', list: true },
  identity: { name: 'Identity', compact: 'y' },
  'identity-info': { name: 'Identity-Info', compact: 'n' },
  'in-reply-to': { name: 'In-Reply-To', list: true },
  'max-forwards': { name: 'Max-Forwards' },
  'mime-version': { name: 'MIME-Version' },
  'min-expires': { name: 'Min-Expires' },
  'min-se': { name: 'Min-SE' },
  organization: { name: 'Organization' },
  'p-asserted-identity': { name: 'P-Asserted-Identity', list: true },
  'p-preferred-identity': { name: 'P-Preferred-Identity', list: true },
  path: { name: 'Path', list: true },
  priority: { name: 'Priority' },
  privacy: { name: 'Privacy' },
  'proxy-authenticate': { name: 'Proxy-Authenticate' },
  'proxy-authorization': { name: 'Proxy-Authorization' },
  'proxy-require': { name: 'Proxy-Require', list: true },
  rack: { name: 'RAck' },
  reason: { name: 'Reason', list: true },
  'record-route': { name: 'Record-Route', list: true },
  'refer-sub': { name: 'Refer-Sub' },
  'refer-to': { name: 'Refer-To', compact: 'r' },
  'referred-by': { name: 'Referred-By', compact: 'b' },
  'reject-contact': { name: 'Reject-Contact', compact: 'j', list: true },
  replaces: { name: 'Replaces' },
  'reply-to': { name: 'Reply-To' },
  'request-disposition': { name: 'Request-Disposition', compact: 'd', list: true },
  require: { name: 'Require', list: true },
  'retry-after': { name: 'Retry-After' },
  route: { name: 'Route', list: true },
  rseq: { name: 'RSeq' },
  'security-client': { name: 'Security-Client', list: true },
  'security-server': { name: 'Security-Server', list: true },
  'security-verify': { name: 'Security-Verify', list: true },
  server: { name: 'Server' },
  'service-route': { name: 'Service-Route', list: true },
  'session-expires': { name: 'Session-Expires', compact: 'x' },
  'sip-etag': { name: 'SIP-ETag' },
  'sip-if-match': { name: 'SIP-If-Match' },
  subject: { name: 'Subject', compact: 's' },
  'subscription-state': { name: 'Subscription-State' },
  supported: { name: 'Supported', compact: 'k', list: true },
  timestamp: { name: 'Timestamp' },
  to: { name: 'To', compact: 't' },
  unsupported: { name: 'Unsupported', list: true },
  'user-agent': { name: 'User-Agent' },
  via: { name: 'Via', compact: 'v', list: true },
  warning: { name: 'Warning', list: true },
  'www-authenticate': { name: 'WWW-Authenticate' },
};

const COMPACT: Record<string, string> = {};
for (const [key, info] of Object.entries(INFO)) if (info.compact) COMPACT[info.compact] = key;

/** Known headers grouped by name length, most common first: [key, canonical spelling] pairs. */
const BY_LENGTH: Array<Array<[string, string, true]>> = [];
const HOT = [
  'via',
  'from',
  'to',
  'call-id',
  'cseq',
  'contact',
  'content-length',
  'content-type',
  'max-forwards',
];
for (const key of [...HOT, ...Object.keys(INFO).filter((k) => !HOT.includes(k))]) {
  const list = BY_LENGTH[key.length] ?? [];
  list.push([key, (INFO[key] as HeaderInfo).name, true]);
  BY_LENGTH[key.length] = list;
}
const COMPACT_BY_CODE: string[] = [];
for (const [c, key] of Object.entries(COMPACT)) COMPACT_BY_CODE[c.charCodeAt(0)] = key;

/**
 * The key of a header the table knows (compact forms expanded), or undefined.
 * Matches without hashing: by length, then the canonical spelling exactly,
 * then case-insensitively.
 */
export function knownHeaderKey(name: string): string | undefined {
  if (INFO[name] !== undefined) return name; // already a key (how Strowger's own code asks)
  const len = name.length;
  if (len === 1) return COMPACT_BY_CODE[name.charCodeAt(0) | 0x20];
  const candidates = BY_LENGTH[len];
  if (candidates === undefined) return undefined;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i] as [string, string, true];
    if (name === c[1]) return c[0];
  }
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i] as [string, string, true];
    if (sameName(name, c[0])) return c[0];
  }
  return undefined;
}

/**
 * @internal A known header for the parser: `key` (lower-cased long name),
 * `name` (canonical spelling), `id` (its index in {@link KNOWN_HEADERS}) and
 * the codes of both spellings for matching bytes.
 */
export interface KnownHeader {
  readonly key: string;
  readonly name: string;
  readonly id: number;
  readonly keyCodes: Uint8Array;
  readonly nameCodes: Uint8Array;
  /** The first (up to) four codes of `name`, little-endian in one number: a one-step first check. */
  readonly head4: number;
}

/** @internal Every known header (for the parser), the HOT ones first. */
export const KNOWN_HEADERS: readonly KnownHeader[] = [
  ...HOT,
  ...Object.keys(INFO).filter((k) => !HOT.includes(k)),
].map((key, id) => {
  const name = (INFO[key] as HeaderInfo).name;
  const nameCodes = codesFor(name);
  let head4 = 0;
  for (let i = Math.min(4, name.length) - 1; i >= 0; i--) head4 = (head4 << 8) | (nameCodes[i] as number);
  return { key, name, id, keyCodes: codesFor(key), nameCodes, head4: head4 >>> 0 };
});

/** Known headers by (length, lower-cased first letter) → candidates, most common first. */
const BY_SHAPE = new Map<number, KnownHeader[]>();
for (const h of KNOWN_HEADERS) {
  const shape = (h.key.length << 8) | h.key.charCodeAt(0);
  const l = BY_SHAPE.get(shape) ?? [];
  l.push(h);
  BY_SHAPE.set(shape, l);
}
// dense (not holey) so the lookup stays a plain indexed load
const SHAPES: Array<KnownHeader[] | undefined> = new Array(64 << 8).fill(undefined);
for (const [shape, l] of BY_SHAPE) if (shape < 64 << 8) SHAPES[shape] = l;
const COMPACT_IDS: number[] = new Array(128).fill(-1);
for (const [c, key] of Object.entries(COMPACT))
  COMPACT_IDS[c.charCodeAt(0)] = (KNOWN_HEADERS.find((h) => h.key === key) as KnownHeader).id;

/**
 * @internal Matches the header name c[pos, pos + len) (character codes, see scan.ts)
 * against the table. Returns `id << 1 | exact`, where `exact` tells that the
 * name was written exactly in the canonical spelling (so the caller can share
 * that string instead of copying), or -1 for a header the table does not know.
 */
export function matchHeaderNameAt(c: Uint8Array, pos: number, len: number): number {
  let c0 = c[pos] as number;
  if (c0 >= 65 && c0 <= 90) c0 |= 0x20;
  if (len === 1) {
    const id = c0 < 128 ? (COMPACT_IDS[c0] as number) : -1;
    return id < 0 ? -1 : id << 1;
  }
  const candidates = len < 64 ? SHAPES[(len << 8) | c0] : undefined;
  if (candidates === undefined) return -1;
  // the first four codes in one number, to check the canonical spelling's start in one step
  const head4 =
    len >= 4
      ? ((c[pos] as number) |
          ((c[pos + 1] as number) << 8) |
          ((c[pos + 2] as number) << 16) |
          ((c[pos + 3] as number) << 24)) >>>
        0
      : len === 3
        ? (c[pos] as number) | ((c[pos + 1] as number) << 8) | ((c[pos + 2] as number) << 16)
        : (c[pos] as number) | ((c[pos + 1] as number) << 8);
  for (let i = 0; i < candidates.length; i++) {
    const h = candidates[i] as KnownHeader;
    // the canonical spelling first (the common case, and the simplest loop), then any case
    const name = h.nameCodes;
    let j = 0;
    if (head4 === h.head4) {
      j = Math.min(len, 4);
      while (j < len && c[pos + j] === name[j]) j++;
      if (j === len) return (h.id << 1) | 1;
    }
    const key = h.keyCodes;
    for (; j < len; j++) {
      const x = c[pos + j] as number;
      if ((x >= 65 && x <= 90 ? x | 0x20 : x) !== key[j]) break;
    }
    if (j === len) return h.id << 1;
  }
  return -1;
}

/**
 * Matches the header name s[pos, pos + len) against the table without
 * slicing it out. Returns the [key, canonical spelling, exact] triple where
 * `exact` tells that the name was written exactly in the canonical spelling,
 * or undefined.
 */
export function matchHeaderName(s: string, pos: number, len: number): [string, string, boolean] | undefined {
  if (len <= 0) return undefined;
  const m = matchHeaderNameAt(codesOf(s, pos, pos + len), pos, len);
  if (m < 0) return undefined;
  const h = KNOWN_HEADERS[m >> 1] as KnownHeader;
  return len === 1 ? [h.key, h.key, false] : [h.key, h.name, (m & 1) === 1];
}

/** The lookup key of a header name: lower-cased, compact forms expanded to the long name. */
export function headerKey(name: string): string {
  return knownHeaderKey(name) ?? name.toLowerCase();
}

/** The canonical spelling of a header name (`call-id` → `Call-ID`, `v` → `Via`); unknown names are kept. */
export function canonicalHeaderName(name: string): string {
  const key = headerKey(name);
  return INFO[key]?.name ?? name;
}

/** The compact form of a header, if it has one. */
export function compactHeaderName(name: string): string | undefined {
  return INFO[headerKey(name)]?.compact;
}

/** True when the header's values form a comma-separated list that may be split and combined. */
export function isListHeader(name: string): boolean {
  return INFO[headerKey(name)]?.list === true;
}

/** Keys of headers that may appear at most once in a message (RFC 3261 §7.3.1 and §20). */
export const SINGLETON_HEADERS: ReadonlySet<string> = new Set([
  'call-id',
  'content-length',
  'content-type',
  'cseq',
  'from',
  'max-forwards',
  'to',
  'expires',
  'min-expires',
  'rseq',
  'rack',
  'session-expires',
  'min-se',
  'refer-to',
  'event',
  'subscription-state',
  'replaces',
]);
