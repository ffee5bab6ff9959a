/**
 * The header-name table: canonical spelling, compact form (RFC 3261 §7.3.3 and
 * later RFCs), and whether values are comma-separated lists that may be
 * split or combined (RFC 3261 §7.3.1). Keys are the lower-cased long names.
 */

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

/**
 * Exact spellings seen on the wire → key. Filled with the canonical and
 * lower-case spellings and the compact forms up front; other spellings go
 * through the slow path (lower-casing), which then caches them (bounded).
 */
const FAST = new Map<string, string>();
for (const [key, info] of Object.entries(INFO)) {
  FAST.set(key, key);
  FAST.set(info.name, key);
  if (info.compact) {
    FAST.set(info.compact, key);
    FAST.set(info.compact.toUpperCase(), key);
  }
}
const FAST_LIMIT = FAST.size + 512;

/** The lookup key of a header name: lower-cased, compact forms expanded to the long name. */
export function headerKey(name: string): string {
  const k = FAST.get(name);
  if (k !== undefined) return k;
  const lower = name.toLowerCase();
  const key = lower.length === 1 ? (COMPACT[lower] ?? lower) : lower;
  if (FAST.size < FAST_LIMIT) FAST.set(name, key);
  return key;
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
