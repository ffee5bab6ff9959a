/**
 * The SIP message parser (RFC 3261 §7, §25).
 *
 *   generic-message = start-line *message-header CRLF [ message-body ]
 *   Request-Line    = Method SP Request-URI SP SIP-Version CRLF
 *   Status-Line     = SIP-Version SP Status-Code SP Reason-Phrase CRLF
 *   message-header  = field-name HCOLON field-value CRLF   (HCOLON = *( SP / HTAB ) ":" SWS)
 *
 * Header lines are split and unfolded in one pass; the headers every stack
 * reads (Via, From, To, Call-ID, CSeq, Max-Forwards, Content-Length) are
 * validated eagerly so a broken one is answered with 400 before anything else
 * sees the message; every other header stays raw until asked for. The work is
 * linear in the message size: no regular expression runs on the input.
 */
import {
  type Cursor,
  checkCallIdAt,
  codesOf,
  decimalAt,
  type Field,
  indexOfCode,
  isSip20,
  KNOWN_HEADERS,
  type KnownHeader,
  matchHeaderNameAt,
  ownCodesOf,
  parseCallId,
  parseCSeqAt,
  parseNameAddrAt,
  parseUriAt,
  parseViaAt,
  SipParseError,
  SipRequest,
  SipResponse,
  sameName,
  scanTokenAt,
  skipLwsAt,
  type Uri,
  type Via,
  wholeNumberAt,
} from '../message/index.js';
import { DEFAULT_LIMITS, type ParserLimits } from './limits.js';

export interface ParseOptions extends Partial<ParserLimits> {
  /**
   * Copy the body out of the input (default false: the body is a view of the
   * input bytes, which is right when the caller owns them, as with a UDP
   * datagram).
   */
  copyBody?: boolean;
}

declare module 'node:buffer' {
  interface Buffer {
    /** Node's UTF-8 decoder without the `toString` argument handling (present since Node 0.x). */
    utf8Slice(start: number, end: number): string;
  }
}

/** UTF-8 decode of buf[start, end): the fast internal slice when this Node has it. */
const decodeUtf8: (buf: Buffer, start: number, end: number) => string =
  typeof Buffer.prototype.utf8Slice === 'function'
    ? (buf, start, end) => buf.utf8Slice(start, end)
    : (buf, start, end) => buf.toString('utf8', start, end);

function toBuffer(data: Uint8Array | string): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (Buffer.isBuffer(data)) return data;
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Parses one SIP message from a datagram or a framed stream message. The body
 * is framed by Content-Length when present (octets after it are ignored, as
 * RFC 3261 §18.3 asks for datagrams); without one it runs to the end.
 *
 * @throws {SipParseError} with the byte offset and the status to answer with.
 */
export function parseMessage(
  data: Uint8Array | string,
  options: ParseOptions = {},
): SipRequest | SipResponse {
  const buf = toBuffer(data);
  const maxMessageSize = options.maxMessageSize ?? DEFAULT_LIMITS.maxMessageSize;
  const maxHeaders = options.maxHeaders ?? DEFAULT_LIMITS.maxHeaders;
  const maxLineLength = options.maxLineLength ?? DEFAULT_LIMITS.maxLineLength;
  if (buf.length > maxMessageSize) {
    throw new SipParseError(`message of ${buf.length} bytes exceeds ${maxMessageSize}`, {
      offset: maxMessageSize,
      status: 513,
    });
  }

  // RFC 3261 §7.5: ignore CRLFs before the start line.
  let start = 0;
  while (start < buf.length && (buf[start] === 13 || buf[start] === 10)) start++;
  if (start >= buf.length) throw new SipParseError('empty message', { offset: start });

  // Decode once. When every byte is ASCII the string's indexes are byte offsets: the head is
  // scanned in the bytes themselves (see scan.ts) and sliced from the string, and the header
  // loop below finds the empty line that ends it. Otherwise that empty line is found in the
  // bytes, the head is decoded on its own and its character codes are taken from the string.
  const text = typeof data === 'string' && data.length === buf.length ? data : decodeUtf8(buf, 0, buf.length);
  let s: string;
  let c: Uint8Array;
  let h0: number;
  let bodyStart = -1;
  let base: number;
  if (text.length === buf.length) {
    s = text;
    c = buf;
    h0 = start;
    base = 0;
  } else {
    const empty = emptyLineAt(buf, start);
    if (empty < 0) throw new SipParseError('no empty line after the headers', { offset: buf.length });
    bodyStart = empty + (buf[empty] === 13 ? 2 : 1);
    s = decodeUtf8(buf, start, empty);
    c = ownCodesOf(s);
    h0 = 0;
    base = start;
  }
  const n = s.length;

  // ---- start line -----------------------------------------------------------
  let eol = s.indexOf('\n', h0);
  if (eol < 0) eol = n;
  const lineEnd = eol > h0 && c[eol - 1] === 13 ? eol - 1 : eol;
  if (lineEnd - h0 > maxLineLength) {
    throw new SipParseError('start line too long', { offset: start + maxLineLength, status: 414 });
  }

  // ---- header lines -----------------------------------------------------------
  const fields: Field[] = [];
  let pos = eol + 1;
  while (pos < n) {
    let e = s.indexOf('\n', pos);
    if (e < 0) e = n;
    let le = e > pos && c[e - 1] === 13 ? e - 1 : e;
    if (le === pos && e < n) {
      bodyStart = e + 1; // the empty line: the head ends here
      break;
    }
    if (le - pos > maxLineLength)
      throw new SipParseError('header line too long', { offset: byteOffset(s, base, pos) });
    const c0 = c[pos] as number;
    if (c0 === 32 || c0 === 9) {
      // continuation line (folding): LWS joins it to the previous value with one SP
      const prev = fields[fields.length - 1];
      if (prev === undefined) {
        throw new SipParseError('continuation line before any header', {
          offset: byteOffset(s, base, pos),
        });
      }
      const b = skipLwsAt(c, pos, le);
      while (le > b && (c[le - 1] === 32 || c[le - 1] === 9)) le--;
      if (le > b) {
        const v = prev.folded ? prev.value : s.slice(prev.at as number, prev.end as number);
        prev.value = v.length === 0 ? s.slice(b, le) : `${v} ${s.slice(b, le)}`;
        prev.folded = true; // the value is no longer one span of the head
      }
      pos = e + 1;
      continue;
    }
    // field-name HCOLON: a token, optional SP/HTAB, ':'. A known name needs no token check.
    let colon = pos;
    while (colon < le && c[colon] !== 58) colon++;
    let ne = colon;
    while (ne > pos && (c[ne - 1] === 32 || c[ne - 1] === 9)) ne--;
    if (colon >= le || ne === pos) nameError(c, s, base, pos, le);
    let name: string;
    let key: string;
    const known = matchHeaderNameAt(c, pos, ne - pos);
    if (known >= 0) {
      const h = KNOWN_HEADERS[known >> 1] as KnownHeader;
      key = h.key;
      // written exactly as the canonical spelling: share that string instead of copying
      name = (known & 1) === 1 ? h.name : s.slice(pos, ne);
    } else {
      if (scanTokenAt(c, pos, ne) !== ne) nameError(c, s, base, pos, le);
      name = s.slice(pos, ne);
      key = name.toLowerCase();
    }
    const vb = skipLwsAt(c, colon + 1, le);
    while (le > vb && (c[le - 1] === 32 || c[le - 1] === 9)) le--;
    if (fields.length >= maxHeaders) {
      throw new SipParseError(`more than ${maxHeaders} headers`, { offset: byteOffset(s, base, pos) });
    }
    // the value stays the span [vb, le) of the head until someone reads it raw (SipMessage._fields)
    fields.push({ name, key, value: '', at: vb, end: le });
    pos = e + 1;
  }

  // A message that ends right after its last header line has no empty line.
  if (bodyStart < 0) throw new SipParseError('no empty line after the headers', { offset: buf.length });

  // ---- the message ------------------------------------------------------------
  const msg = parseStartLine(c, s, h0, lineEnd, fields, base);
  validateHeaders(msg, fields, c, s, base);
  // the datagram is kept for in-place parsing later only when the body may view it too
  msg._parsedFrom(s, c === buf && options.copyBody ? undefined : c);

  // ---- body ---------------------------------------------------------------------
  const available = buf.length - bodyStart;
  const declared = msg._contentLength;
  let bodyEnd = buf.length;
  if (declared != null) {
    if (declared > available) {
      throw new SipParseError(`Content-Length ${declared} exceeds the ${available} body bytes received`, {
        offset: buf.length,
        header: 'Content-Length',
      });
    }
    bodyEnd = bodyStart + declared;
  }
  if (bodyEnd > bodyStart) {
    // (Buffer#slice would share the input's memory: copy into a new array)
    if (options.copyBody) msg.body = new Uint8Array(buf.subarray(bodyStart, bodyEnd));
    else msg._bodyView(buf, bodyStart, bodyEnd);
  }
  return msg;
}

/**
 * Index of the first empty line of the message (CRLF or a bare LF after the
 * start line), or -1: the end of the head, found in the bytes.
 */
function emptyLineAt(buf: Buffer, start: number): number {
  let pos = buf.indexOf(10, start) + 1;
  while (pos > 0 && pos < buf.length) {
    const x = buf[pos];
    if (x === 10 || (x === 13 && buf[pos + 1] === 10)) return pos;
    pos = buf.indexOf(10, pos) + 1;
  }
  return -1;
}

/** The error for a header line whose name is not a token followed by ':' (the line is s[pos, le)). */
function nameError(c: Uint8Array, s: string, base: number, pos: number, le: number): never {
  const colon = indexOfCode(c, 58, pos, le);
  if (colon < 0) throw new SipParseError('header line without ":"', { offset: byteOffset(s, base, pos) });
  let ne = colon;
  while (ne > pos && (c[ne - 1] === 32 || c[ne - 1] === 9)) ne--;
  if (ne === pos) throw new SipParseError('empty header name', { offset: byteOffset(s, base, pos) });
  const bad = pos + (scanTokenAt(c, pos, ne) - pos);
  throw new SipParseError('invalid header name', { offset: byteOffset(s, base, bad) });
}

/** Byte offset in the message of character `charOffset` of the decoded head. */
function byteOffset(head: string, base: number, charOffset: number): number {
  return base + Buffer.byteLength(head.slice(0, Math.max(0, Math.min(charOffset, head.length))), 'utf8');
}

/**
 * Request-Line or Status-Line in s[h0, end). Runs of SP between the elements
 * and trailing whitespace are tolerated (RFC 4475 lwsstart, trws).
 */
function parseStartLine(
  c: Uint8Array,
  s: string,
  h0: number,
  end: number,
  fields: Field[],
  base: number,
): SipRequest | SipResponse {
  // elements separated by SP runs
  let a0 = h0;
  while (a0 < end && c[a0] === 32) a0++;
  let a1 = a0;
  while (a1 < end && c[a1] !== 32) a1++;
  if (a1 - a0 > 4 && ((c[a0] as number) | 0x20) === 115 && c[a0 + 3] === 47) {
    const first = s.slice(a0, a1);
    if (sameName(first.slice(0, 4), 'SIP/')) return parseStatusLine(c, s, end, first, a1, fields, base);
  }
  let b0 = a1;
  while (b0 < end && c[b0] === 32) b0++;
  // the Request-URI runs to the next SP (String#indexOf: the fastest search; it stops in the next line at worst)
  let b1 = s.indexOf(' ', b0);
  if (b1 < 0 || b1 > end) b1 = end;
  let c0 = b1;
  while (c0 < end && c[c0] === 32) c0++;
  let c1 = c0;
  while (c1 < end && c[c1] !== 32 && c[c1] !== 9) c1++;
  const tail = skipLwsAt(c, c1, end);
  if (a1 === a0 || b1 === b0 || c1 === c0 || tail !== end) {
    throw new SipParseError('request line must be "Method SP Request-URI SP SIP-Version"', {
      offset: byteOffset(s, base, h0),
    });
  }
  if (c1 - c0 !== 7 || !isSip20(c, c0)) checkVersion(s.slice(c0, c1), byteOffset(s, base, c0));
  const badMethod = scanTokenAt(c, a0, a1);
  if (badMethod !== a1) throw new SipParseError('invalid method', { offset: byteOffset(s, base, badMethod) });
  let uri: Uri;
  try {
    uri = parseUriAt(c, s, b0, b1);
  } catch (err) {
    throw new SipParseError(`Request-URI: ${(err as Error).message}`, {
      offset: byteOffset(s, base, Math.max(b0, (err as SipParseError).offset ?? b0)),
      cause: err,
    });
  }
  return new SipRequest(s.slice(a0, a1), uri, fields);
}

function parseStatusLine(
  c: Uint8Array,
  s: string,
  end: number,
  version: string,
  i: number,
  fields: Field[],
  base: number,
): SipResponse {
  checkVersion(version, base + i - version.length);
  while (i < end && c[i] === 32) i++;
  const c0 = i;
  while (i < end && (c[i] as number) >= 48 && (c[i] as number) <= 57) i++;
  if (i - c0 !== 3) throw new SipParseError('status code must be 3 digits', { offset: base + c0 });
  const status = decimalAt(c, c0, i, 999);
  if (status < 100 || status > 699)
    throw new SipParseError('status code out of range', { offset: base + c0 });
  if (i < end && c[i] !== 32) {
    throw new SipParseError('expected SP after status code', { offset: base + i });
  }
  const reason = i < end ? s.slice(i + 1, end).trim() : '';
  return new SipResponse(status, reason, fields);
}

function checkVersion(v: string, offset: number): void {
  if (v === 'SIP/2.0') return;
  const m = /^SIP\/(\d{1,5})\.(\d{1,5})$/i.exec(v);
  if (!m) throw new SipParseError(`invalid SIP-Version "${v.slice(0, 32)}"`, { offset });
  if (m[1] !== '2' || m[2] !== '0')
    throw new SipParseError(`SIP version ${v} is not supported`, { offset, status: 505 });
}

function duplicate(f: Field, s: string, base: number): never {
  throw new SipParseError(`more than one ${f.name} header`, {
    offset: byteOffset(s, base, f.at as number),
    header: f.key,
  });
}

/**
 * Throws the error of a header value that did not parse, naming the header.
 * A parser that ran in place in the head reports head indexes; one that ran
 * on a folded value reports indexes into that value.
 */
function headerError(err: unknown, display: string, f: Field, s: string, base: number): never {
  const inner = err instanceof SipParseError && err.offset >= 0 ? err.offset : 0;
  const at = f.at as number;
  const where = f.folded
    ? at + Math.min(inner, f.value.length)
    : Math.min(Math.max(inner, at), f.end as number);
  const message = (err as Error).message;
  throw new SipParseError(message.startsWith(`${display}:`) ? message : `${display}: ${message}`, {
    offset: byteOffset(s, base, where),
    header: display,
    cause: err,
  });
}

/**
 * Parses and checks the headers every stack reads, storing the typed values
 * on the message: at least one Via, exactly one From, To, Call-ID and CSeq
 * (whose method must be the request's), at most one Max-Forwards,
 * Content-Length and Content-Type. Values that are one span of the head are
 * parsed in place; folded ones on their own.
 */
function validateHeaders(
  msg: SipRequest | SipResponse,
  fields: Field[],
  c: Uint8Array,
  s: string,
  base: number,
): void {
  let iFrom = -1;
  let iTo = -1;
  let iCallId = -1;
  let iCSeq = -1;
  let iMaxForwards = -1;
  let iContentLength = -1;
  let iContentType = -1;
  let vias: Via[] | undefined;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] as Field;
    switch (f.key) {
      case 'via':
        if (vias === undefined) vias = [];
        try {
          parseViaList(f, c, s, vias);
        } catch (err) {
          headerError(err, 'Via', f, s, base);
        }
        break;
      case 'from':
        if (iFrom >= 0) duplicate(f, s, base);
        iFrom = i;
        break;
      case 'to':
        if (iTo >= 0) duplicate(f, s, base);
        iTo = i;
        break;
      case 'call-id':
        if (iCallId >= 0) duplicate(f, s, base);
        iCallId = i;
        break;
      case 'cseq':
        if (iCSeq >= 0) duplicate(f, s, base);
        iCSeq = i;
        break;
      case 'max-forwards':
        if (iMaxForwards >= 0) duplicate(f, s, base);
        iMaxForwards = i;
        break;
      case 'content-length':
        if (iContentLength >= 0) duplicate(f, s, base);
        iContentLength = i;
        break;
      case 'content-type':
        if (iContentType >= 0) duplicate(f, s, base);
        iContentType = i;
        break;
    }
  }
  if (vias === undefined) throw new SipParseError('missing Via header', { offset: -1, header: 'Via' });
  if (iFrom < 0) throw new SipParseError('missing From header', { offset: -1, header: 'From' });
  if (iTo < 0) throw new SipParseError('missing To header', { offset: -1, header: 'To' });
  if (iCallId < 0) throw new SipParseError('missing Call-ID header', { offset: -1, header: 'Call-ID' });
  if (iCSeq < 0) throw new SipParseError('missing CSeq header', { offset: -1, header: 'CSeq' });
  msg._via = vias;
  let f = fields[iFrom] as Field;
  try {
    msg._from = inPlace(parseNameAddrAt, f, c, s);
    f = fields[iTo] as Field;
    msg._to = inPlace(parseNameAddrAt, f, c, s);
  } catch (err) {
    headerError(err, f === fields[iFrom] ? 'From' : 'To', f, s, base);
  }
  f = fields[iCallId] as Field;
  try {
    if (f.folded) parseCallId(f.value);
    else checkCallIdAt(c, f.at as number, f.end as number);
    msg._callId = f.folded ? f.value : s.slice(f.at as number, f.end as number);
  } catch (err) {
    headerError(err, 'Call-ID', f, s, base);
  }
  f = fields[iCSeq] as Field;
  try {
    msg._cseq = inPlace(parseCSeqAt, f, c, s);
  } catch (err) {
    headerError(err, 'CSeq', f, s, base);
  }
  msg._maxForwards =
    iMaxForwards < 0 ? null : wholeNumber('Max-Forwards', fields[iMaxForwards] as Field, 255, c, s, base);
  msg._contentLength =
    iContentLength < 0
      ? null
      : wholeNumber('Content-Length', fields[iContentLength] as Field, 2 ** 31 - 1, c, s, base);
  if (msg instanceof SipRequest && msg._cseq.method !== msg.method) {
    throw new SipParseError(`CSeq method ${msg._cseq.method} does not match request method ${msg.method}`, {
      offset: byteOffset(s, base, (fields[iCSeq] as Field).at as number),
      header: 'CSeq',
    });
  }
}

/** Runs a value parser on the field's span of the head, or on the value when it was folded. */
function inPlace<T>(
  parse: (c: Uint8Array, s: string, start: number, end: number) => T,
  f: Field,
  c: Uint8Array,
  s: string,
): T {
  if (f.folded) return parse(codesOf(f.value), f.value, 0, f.value.length);
  return parse(c, s, f.at as number, f.end as number);
}

/** Where the list-element parsers stop (see scan.ts). */
const CURSOR: Cursor = { end: 0 };

/** Parses every via-parm of one Via line (they end at top-level commas) onto `out`. */
function parseViaList(f: Field, c: Uint8Array, s: string, out: Via[]): void {
  let start: number;
  let end: number;
  if (f.folded) {
    s = f.value;
    c = codesOf(s);
    start = 0;
    end = s.length;
  } else {
    start = f.at as number;
    end = f.end as number;
  }
  for (;;) {
    out.push(parseViaAt(c, s, start, end, CURSOR));
    if (CURSOR.end >= end) return;
    start = CURSOR.end + 1;
  }
}

/** Max-Forwards, Content-Length: a whole number no larger than `max`. */
function wholeNumber(display: string, f: Field, max: number, c: Uint8Array, s: string, base: number): number {
  try {
    if (f.folded) return wholeNumberAt(display, codesOf(f.value), 0, f.value.length, max);
    return wholeNumberAt(display, c, f.at as number, f.end as number, max);
  } catch (err) {
    headerError(err, display, f, s, base);
  }
}
