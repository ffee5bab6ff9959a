/**
 * SIP requests and responses (RFC 3261 §7). A message keeps every header in
 * its original order with its name as written and its raw (unfolded) value;
 * typed views (`via`, `from`, `cseq`, `contacts` …) are parsed on first
 * access and cached until that header is changed. Headers nobody asks about
 * are never parsed.
 */
import { utf8Decode, utf8Encode } from '../../core/index.js';
import { SipParseError } from './errors.js';
import { splitList } from './grammar.js';
import { canonicalHeaderName, headerKey, isListHeader } from './header-names.js';
import {
  type AuthHeader,
  type CSeq,
  type EventHeader,
  type MediaType,
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
import { type NameAddr, parseNameAddr, parseNameAddrAt } from './name-addr.js';
import { type Cursor, codesOf, ownCodesOf, skipLwsAt } from './scan.js';
import type { Uri } from './uri.js';
import { parseViaAt, type Via } from './via.js';

/** One header line: the name as written and the value with folding collapsed. */
export interface HeaderField {
  readonly name: string;
  readonly value: string;
}

/** A header value may be given as a string or as any typed value (Via, NameAddr, Uri …). */
export type HeaderInput = string | number | { toString(): string };

/** @internal header storage entry */
export interface Field {
  name: string;
  /** lower-cased long name */
  key: string;
  value: string;
  /**
   * Where the value lies in the parsed head (`SipMessage._head`): [at, end).
   * The typed views parse it there, in place, and errors point into the
   * message. Undefined for a header added after parsing.
   */
  at?: number | undefined;
  end?: number | undefined;
  /** The value is not (or no longer) that span: it joined continuation lines or was edited. */
  folded?: boolean;
}

const EMPTY = new Uint8Array(0);
/** Where the list-element parsers stop (see scan.ts). */
const CURSOR: Cursor = { end: 0 };

function missing(name: string): never {
  throw new SipParseError(`missing ${name} header`, { header: name });
}

export abstract class SipMessage {
  #fields: Field[];
  // the parser's fields carry their value as a span of _head until a raw value is first read
  #unsliced = false;
  #body: Uint8Array;
  // where the parser found the body: its view is made on first access (most messages a
  // proxy or a transaction layer handles never have their body read)
  #bodyIn: Uint8Array | undefined = undefined;
  #bodyStart = 0;
  #bodyEnd = 0;
  #cache: Map<string, unknown> | undefined;
  // Parsed views of the headers every stack reads; undefined = not parsed yet, null = header absent.
  /** @internal */ _via: Via[] | undefined = undefined;
  /** @internal */ _from: NameAddr | undefined = undefined;
  /** @internal */ _to: NameAddr | undefined = undefined;
  /** @internal */ _callId: string | undefined = undefined;
  /** @internal */ _cseq: CSeq | undefined = undefined;
  /** @internal */ _maxForwards: number | null | undefined = undefined;
  /** @internal */ _contentLength: number | null | undefined = undefined;
  /** @internal */ _contacts: NameAddr[] | undefined = undefined;
  /**
   * @internal The parsed head, which fields with `at` are spans of, and its
   * character codes (see scan.ts): set by the parser so that typed views read
   * by the stack later (Contact, Route …) are parsed in place. `_codes` may be
   * the input datagram itself; without it the codes are taken from `_head`.
   */
  _head: string | undefined = undefined;
  /** @internal */ _codes: Uint8Array | undefined = undefined;

  /** @internal — use {@link createRequest}/{@link createResponse} or the parser. */
  constructor(fields: Field[], body: Uint8Array) {
    this.#fields = fields;
    this.#body = body;
  }

  /**
   * @internal The header lines, with every value a string. The parser leaves
   * the values of its lines as spans of `_head` (see {@link _parsedFrom}); the
   * first access here slices them all.
   */
  get _fields(): Field[] {
    if (this.#unsliced) {
      const head = this._head as string;
      const fields = this.#fields;
      for (let i = 0; i < fields.length; i++) {
        const f = fields[i] as Field;
        if (f.folded !== true) f.value = head.slice(f.at as number, f.end as number);
      }
      this.#unsliced = false;
    }
    return this.#fields;
  }

  set _fields(fields: Field[]) {
    this.#fields = fields;
    this.#unsliced = false;
  }

  /**
   * @internal Set by the parser: `head` is the message head its fields are
   * spans of, `codes` its character codes (see scan.ts), and the values of
   * fields that are not folded are still to be sliced from `head`.
   */
  _parsedFrom(head: string, codes: Uint8Array | undefined): void {
    this._head = head;
    this._codes = codes;
    this.#unsliced = true;
  }

  abstract get isRequest(): boolean;
  /** The start line without CRLF. */
  abstract get startLine(): string;

  /** The protocol version from the start line (always `SIP/2.0` for parsed messages). */
  readonly version = 'SIP/2.0';

  // ---- raw header access ------------------------------------------------

  /** Every header line in order, names as written. */
  get headerFields(): readonly HeaderField[] {
    return this._fields;
  }

  hasHeader(name: string): boolean {
    const key = headerKey(name);
    for (const f of this.#fields) if (f.key === key) return true;
    return false;
  }

  /** The first header line's raw value (a list header's whole line, not split). */
  getHeader(name: string): string | undefined {
    const key = headerKey(name);
    for (const f of this._fields) if (f.key === key) return f.value;
    return undefined;
  }

  /** All values of a header in order; list headers (Via, Contact, Route …) are split at top-level commas. */
  getHeaders(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    const list = isListHeader(key);
    for (const f of this._fields) {
      if (f.key !== key) continue;
      if (list && f.value.indexOf(',') >= 0) for (const part of splitList(f.value)) out.push(part);
      else out.push(f.value);
    }
    return out;
  }

  /** Replaces every line of this header with `value` (one line per array element), at the first one's position. */
  setHeader(name: string, value: HeaderInput | readonly HeaderInput[]): this {
    const key = headerKey(name);
    const values = toValues(value);
    const written = this.#spelling(name, key);
    const fields = this._fields;
    let at = -1;
    for (let i = fields.length - 1; i >= 0; i--) {
      if ((fields[i] as Field).key === key) {
        fields.splice(i, 1);
        at = i;
      }
    }
    const add = values.map((v) => ({ name: written, key, value: v }));
    if (at < 0) fields.push(...add);
    else fields.splice(at, 0, ...add);
    this.#invalidate(key);
    return this;
  }

  /** Adds header lines after the last line of that header (or at the end). */
  appendHeader(name: string, value: HeaderInput | readonly HeaderInput[]): this {
    const key = headerKey(name);
    const fields = this._fields;
    let at = fields.length;
    for (let i = fields.length - 1; i >= 0; i--) {
      if ((fields[i] as Field).key === key) {
        at = i + 1;
        break;
      }
    }
    const written = this.#spelling(name, key);
    fields.splice(at, 0, ...toValues(value).map((v) => ({ name: written, key, value: v })));
    this.#invalidate(key);
    return this;
  }

  /** Adds header lines before the first line of that header (or at the top) — how Via and Record-Route grow. */
  prependHeader(name: string, value: HeaderInput | readonly HeaderInput[]): this {
    const key = headerKey(name);
    const fields = this._fields;
    let at = fields.findIndex((f) => f.key === key);
    if (at < 0) at = 0;
    const written = this.#spelling(name, key);
    fields.splice(at, 0, ...toValues(value).map((v) => ({ name: written, key, value: v })));
    this.#invalidate(key);
    return this;
  }

  /** Removes every line of the header; returns whether there was any. */
  removeHeader(name: string): boolean {
    const key = headerKey(name);
    const before = this._fields.length;
    this._fields = this._fields.filter((f) => f.key !== key);
    this.#invalidate(key);
    return this._fields.length !== before;
  }

  /** Removes the first element of a list header (e.g. the top Via) and returns it raw. */
  shiftHeader(name: string): string | undefined {
    const key = headerKey(name);
    const fields = this._fields;
    const i = fields.findIndex((f) => f.key === key);
    if (i < 0) return undefined;
    const f = fields[i] as Field;
    const parts = isListHeader(key) ? splitList(f.value) : [f.value];
    const first = parts.shift();
    if (parts.length === 0) fields.splice(i, 1);
    else {
      f.value = parts.join(', ');
      f.folded = true; // no longer a span of the parsed head
    }
    this.#invalidate(key);
    return first;
  }

  // ---- body ---------------------------------------------------------------

  get body(): Uint8Array {
    const from = this.#bodyIn;
    if (from !== undefined) {
      this.#body = new Uint8Array(
        from.buffer,
        from.byteOffset + this.#bodyStart,
        this.#bodyEnd - this.#bodyStart,
      );
      this.#bodyIn = undefined;
    }
    return this.#body;
  }

  set body(b: Uint8Array) {
    this.#body = b;
    this.#bodyIn = undefined;
  }

  /** @internal The body is bytes [start, end) of `from` (the parser's input), viewed when first read. */
  _bodyView(from: Uint8Array, start: number, end: number): void {
    this.#bodyIn = from;
    this.#bodyStart = start;
    this.#bodyEnd = end;
  }

  /** The body decoded as UTF-8. */
  get bodyText(): string {
    const body = this.body;
    return body.length === 0 ? '' : utf8Decode(body);
  }

  /** Sets the body (and Content-Type when given, or removes it for an empty body). */
  setBody(body: Uint8Array | string, contentType?: string): this {
    this.body = typeof body === 'string' ? (body.length === 0 ? EMPTY : utf8Encode(body)) : body;
    if (contentType !== undefined) this.setHeader('Content-Type', contentType);
    else if (this.body.length === 0) this.removeHeader('Content-Type');
    return this;
  }

  // ---- typed views ----------------------------------------------------------

  /** Every Via value, top first. */
  get via(): Via[] {
    if (this._via === undefined) this._via = this.#list('via', 'Via', parseViaAt, false);
    return this._via;
  }

  get topVia(): Via | undefined {
    return this.via[0];
  }

  get from(): NameAddr {
    if (this._from === undefined) this._from = this.#nameAddr('from', 'From');
    return this._from;
  }

  get to(): NameAddr {
    if (this._to === undefined) this._to = this.#nameAddr('to', 'To');
    return this._to;
  }

  get fromTag(): string | undefined {
    return this.from.tag;
  }

  get toTag(): string | undefined {
    return this.to.tag;
  }

  get callId(): string {
    if (this._callId === undefined) {
      const v = this.getHeader('call-id');
      this._callId = v === undefined ? missing('Call-ID') : wrap('Call-ID', () => parseCallId(v));
    }
    return this._callId;
  }

  get cseq(): CSeq {
    if (this._cseq === undefined) {
      const v = this.getHeader('cseq');
      this._cseq = v === undefined ? missing('CSeq') : parseCSeq(v);
    }
    return this._cseq;
  }

  get maxForwards(): number | undefined {
    if (this._maxForwards === undefined) {
      const v = this.getHeader('max-forwards');
      this._maxForwards = v === undefined ? null : parseMaxForwards(v);
    }
    return this._maxForwards ?? undefined;
  }

  /** The declared Content-Length, if the header is present. */
  get contentLength(): number | undefined {
    if (this._contentLength === undefined) {
      const v = this.getHeader('content-length');
      this._contentLength = v === undefined ? null : parseContentLength(v);
    }
    return this._contentLength ?? undefined;
  }

  get contentType(): MediaType | undefined {
    return this.#typed('content-type', () => {
      const v = this.getHeader('content-type');
      return v === undefined ? undefined : parseMediaType(v);
    });
  }

  /** Contact values (empty for `Contact: *`; see {@link contactStar}). */
  get contacts(): NameAddr[] {
    if (this._contacts === undefined)
      this._contacts = this.#list('contact', 'Contact', parseNameAddrAt, true);
    return this._contacts;
  }

  /** True for the `Contact: *` of a REGISTER that removes every binding. */
  get contactStar(): boolean {
    const values = this.getHeaders('contact');
    return values.length === 1 && values[0] === '*';
  }

  get route(): NameAddr[] {
    return this.#typed('route', () => this.#nameAddrList('route', 'Route'));
  }

  get recordRoute(): NameAddr[] {
    return this.#typed('record-route', () => this.#nameAddrList('record-route', 'Record-Route'));
  }

  get path(): NameAddr[] {
    return this.#typed('path', () => this.#nameAddrList('path', 'Path'));
  }

  get expires(): number | undefined {
    return this.#typed('expires', () => {
      const v = this.getHeader('expires');
      return v === undefined ? undefined : parseDeltaSeconds('Expires', v);
    });
  }

  get minExpires(): number | undefined {
    return this.#typed('min-expires', () => {
      const v = this.getHeader('min-expires');
      return v === undefined ? undefined : parseDeltaSeconds('Min-Expires', v);
    });
  }

  get require(): string[] {
    return this.#typed('require', () => parseTokenList('Require', this.getHeaders('require')));
  }

  get proxyRequire(): string[] {
    return this.#typed('proxy-require', () =>
      parseTokenList('Proxy-Require', this.getHeaders('proxy-require')),
    );
  }

  get supported(): string[] {
    return this.#typed('supported', () => parseTokenList('Supported', this.getHeaders('supported')));
  }

  get unsupported(): string[] {
    return this.#typed('unsupported', () => parseTokenList('Unsupported', this.getHeaders('unsupported')));
  }

  get allow(): string[] {
    return this.#typed('allow', () => parseTokenList('Allow', this.getHeaders('allow')));
  }

  /** Accept values as media types (empty when absent). */
  get accept(): MediaType[] {
    return this.#typed('accept', () =>
      this.getHeaders('accept')
        .filter((v) => v.length > 0)
        .map((v) => parseMediaType(v, 'Accept')),
    );
  }

  get authorization(): AuthHeader[] {
    return this.#typed('authorization', () => this.#auth('authorization', 'Authorization'));
  }

  get proxyAuthorization(): AuthHeader[] {
    return this.#typed('proxy-authorization', () => this.#auth('proxy-authorization', 'Proxy-Authorization'));
  }

  get wwwAuthenticate(): AuthHeader[] {
    return this.#typed('www-authenticate', () => this.#auth('www-authenticate', 'WWW-Authenticate'));
  }

  get proxyAuthenticate(): AuthHeader[] {
    return this.#typed('proxy-authenticate', () => this.#auth('proxy-authenticate', 'Proxy-Authenticate'));
  }

  get sessionExpires(): SessionExpires | undefined {
    return this.#typed('session-expires', () => {
      const v = this.getHeader('session-expires');
      return v === undefined ? undefined : parseSessionExpires(v);
    });
  }

  get minSE(): number | undefined {
    return this.#typed('min-se', () => {
      const v = this.getHeader('min-se');
      return v === undefined ? undefined : parseMinSE(v);
    });
  }

  get referTo(): NameAddr | undefined {
    return this.#typed('refer-to', () => {
      const v = this.getHeader('refer-to');
      return v === undefined ? undefined : wrap('Refer-To', () => parseNameAddr(v));
    });
  }

  get referredBy(): NameAddr | undefined {
    return this.#typed('referred-by', () => {
      const v = this.getHeader('referred-by');
      return v === undefined ? undefined : wrap('Referred-By', () => parseNameAddr(v));
    });
  }

  get replaces(): Replaces | undefined {
    return this.#typed('replaces', () => {
      const v = this.getHeader('replaces');
      return v === undefined ? undefined : parseReplaces(v);
    });
  }

  get event(): EventHeader | undefined {
    return this.#typed('event', () => {
      const v = this.getHeader('event');
      return v === undefined ? undefined : parseEvent(v);
    });
  }

  get subscriptionState(): SubscriptionState | undefined {
    return this.#typed('subscription-state', () => {
      const v = this.getHeader('subscription-state');
      return v === undefined ? undefined : parseSubscriptionState(v);
    });
  }

  get rseq(): number | undefined {
    return this.#typed('rseq', () => {
      const v = this.getHeader('rseq');
      return v === undefined ? undefined : parseRSeq(v);
    });
  }

  get rack(): RAck | undefined {
    return this.#typed('rack', () => {
      const v = this.getHeader('rack');
      return v === undefined ? undefined : parseRAck(v);
    });
  }

  get retryAfter(): RetryAfter | undefined {
    return this.#typed('retry-after', () => {
      const v = this.getHeader('retry-after');
      return v === undefined ? undefined : parseRetryAfter(v);
    });
  }

  /** The wire form as a string (the body decoded as UTF-8). */
  toString(): string {
    return serializeHead(this) + this.bodyText;
  }

  #typed<T>(key: string, compute: () => T): T {
    const cache = this.#cache;
    if (cache !== undefined) {
      const hit = cache.get(key);
      if (hit !== undefined || cache.has(key)) return hit as T;
    }
    const v = compute();
    if (!this.#cache) this.#cache = new Map();
    this.#cache.set(key, v);
    return v;
  }

  #invalidate(key: string): void {
    switch (key) {
      case 'via':
        this._via = undefined;
        break;
      case 'from':
        this._from = undefined;
        break;
      case 'to':
        this._to = undefined;
        break;
      case 'call-id':
        this._callId = undefined;
        break;
      case 'cseq':
        this._cseq = undefined;
        break;
      case 'max-forwards':
        this._maxForwards = undefined;
        break;
      case 'content-length':
        this._contentLength = undefined;
        break;
      case 'contact':
        this._contacts = undefined;
        break;
      default:
        this.#cache?.delete(key);
    }
  }

  #spelling(name: string, key: string): string {
    return name === key || name.length === 1 ? canonicalHeaderName(key) : name;
  }

  #nameAddr(key: string, display: string): NameAddr {
    const fields = this.#fields;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i] as Field;
      if (f.key !== key) continue;
      const inPlace = this.#inPlace(f);
      const s = inPlace ? (this._head as string) : f.value;
      const c = inPlace ? this.#codes() : codesOf(s);
      const at = inPlace ? (f.at as number) : 0;
      try {
        return parseNameAddrAt(c, s, at, inPlace ? (f.end as number) : s.length);
      } catch (err) {
        rethrow(display, err, at);
      }
    }
    return missing(display);
  }

  #nameAddrList(key: string, display: string): NameAddr[] {
    return this.#list(key, display, parseNameAddrAt, false);
  }

  /** True when the field's value is the span [at, end) of the parsed head, so it can be parsed there. */
  #inPlace(f: Field): boolean {
    return this._head !== undefined && f.at !== undefined && f.folded !== true;
  }

  /** The codes of the parsed head (see scan.ts), taken from the head when the parser did not keep them. */
  #codes(): Uint8Array {
    if (this._codes === undefined) this._codes = ownCodesOf(this._head as string);
    return this._codes;
  }

  /**
   * Parses every element of a list header (all its lines; elements end at
   * top-level commas) with `parse`, in place in the parsed head where the value
   * is one span of it. With `star`, a lone `*` element (`Contact: *`) gives an
   * empty list, and a `*` among addresses is an error. Error offsets are
   * character offsets in the header value.
   */
  #list<T>(
    key: string,
    display: string,
    parse: (c: Uint8Array, s: string, start: number, end: number, cursor: Cursor) => T,
    star: boolean,
  ): T[] {
    const out: T[] = [];
    let count = 0;
    let sawStar = false;
    const fields = this.#fields;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i] as Field;
      if (f.key !== key) continue;
      const inPlace = this.#inPlace(f);
      const s = inPlace ? (this._head as string) : f.value;
      // from the scratch array when not in place: nothing below calls codesOf again
      const c = inPlace ? this.#codes() : codesOf(s);
      const at = inPlace ? (f.at as number) : 0;
      const end = inPlace ? (f.end as number) : s.length;
      let start = at;
      for (;;) {
        count++;
        const a = skipLwsAt(c, start, end);
        const z = a < end && c[a] === 42 ? skipLwsAt(c, a + 1, end) : -1;
        if (star && z >= 0 && (z === end || c[z] === 44)) {
          // a lone '*'
          if (count > 1) throw new SipParseError(`${display}: "*" mixed with addresses`, { header: display });
          sawStar = true;
          CURSOR.end = z;
        } else if (sawStar) {
          throw new SipParseError(`${display}: "*" mixed with addresses`, { header: display });
        } else {
          try {
            out.push(parse(c, s, start, end, CURSOR));
          } catch (err) {
            rethrow(display, err, at);
          }
        }
        if (CURSOR.end >= end) break;
        start = CURSOR.end + 1;
      }
    }
    return out;
  }

  #auth(key: string, display: string): AuthHeader[] {
    const out: AuthHeader[] = [];
    for (const f of this._fields) if (f.key === key) out.push(parseAuthHeader(f.value, display));
    return out;
  }
}

export class SipRequest extends SipMessage {
  method: string;
  uri: Uri;

  constructor(method: string, uri: Uri, fields: Field[] = [], body: Uint8Array = EMPTY) {
    super(fields, body);
    this.method = method;
    this.uri = uri;
  }

  get isRequest(): true {
    return true;
  }

  get startLine(): string {
    return `${this.method} ${this.uri.toString()} SIP/2.0`;
  }
}

export class SipResponse extends SipMessage {
  status: number;
  reason: string;

  constructor(status: number, reason: string, fields: Field[] = [], body: Uint8Array = EMPTY) {
    super(fields, body);
    this.status = status;
    this.reason = reason;
  }

  get isRequest(): false {
    return false;
  }

  get startLine(): string {
    return `SIP/2.0 ${this.status} ${this.reason}`;
  }

  /** 1xx */
  get isProvisional(): boolean {
    return this.status < 200;
  }

  /** 2xx */
  get isSuccess(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** ≥ 200 */
  get isFinal(): boolean {
    return this.status >= 200;
  }
}

export function isRequest(m: SipMessage): m is SipRequest {
  return m.isRequest;
}

export function isResponse(m: SipMessage): m is SipResponse {
  return !m.isRequest;
}

function toValues(value: HeaderInput | readonly HeaderInput[]): string[] {
  if (Array.isArray(value)) return (value as readonly HeaderInput[]).map(String);
  return [String(value)];
}

/**
 * Re-throws a parse error so that it names the header, with its offset made
 * relative to the header value (which started at `valueAt` in the string parsed).
 */
function rethrow(header: string, err: unknown, valueAt = 0): never {
  if (err instanceof SipParseError && (err.header === undefined || valueAt !== 0)) {
    throw new SipParseError(err.header === undefined ? `${header}: ${err.message}` : err.message, {
      offset: err.offset >= valueAt ? err.offset - valueAt : err.offset,
      status: err.status,
      header: err.header ?? header,
      cause: err,
    });
  }
  throw err;
}

function wrap<T>(header: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    rethrow(header, err);
  }
}

/**
 * Start line and headers, ending with the blank line. Content-Length always
 * states the real body length: the declared one is rewritten in place, or a
 * Content-Length line is added at the end.
 */
export function serializeHead(m: SipMessage): string {
  let s = `${m.startLine}\r\n`;
  const bodyLength = m.body.length;
  let wroteLength = false;
  const fields = m._fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] as Field;
    if (f.key === 'content-length') {
      if (wroteLength) continue;
      wroteLength = true;
      s += `${f.name}: ${bodyLength}\r\n`;
    } else {
      s += `${f.name}: ${f.value}\r\n`;
    }
  }
  if (!wroteLength) s += `Content-Length: ${bodyLength}\r\n`;
  return `${s}\r\n`;
}
