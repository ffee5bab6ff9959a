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
  type Field,
  isTokenChar,
  matchHeaderName,
  parseCallId,
  parseContentLength,
  parseCSeq,
  parseMaxForwards,
  parseNameAddr,
  parseUri,
  parseVia,
  SipParseError,
  SipRequest,
  SipResponse,
  sameName,
  splitList,
  type Uri,
  type Via,
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

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');

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

  // Decode once. When every byte is ASCII the string's indexes are byte offsets, so the head
  // is parsed in place and the body found by the same index; otherwise the head is located
  // in bytes and decoded on its own.
  let head = typeof data === 'string' && data.length === buf.length ? data : decodeUtf8(buf, 0, buf.length);
  let h0 = start;
  let headEnd: number;
  let bodyStart: number;
  let base = 0;
  let n: number;
  if (head.length === buf.length) {
    headEnd = head.indexOf('\r\n\r\n', start);
    bodyStart = headEnd + 4;
    if (headEnd < 0) {
      headEnd = head.indexOf('\n\n', start);
      bodyStart = headEnd + 2;
    }
    n = headEnd;
  } else {
    headEnd = buf.indexOf(CRLFCRLF, start);
    bodyStart = headEnd + 4;
    if (headEnd < 0) {
      headEnd = buf.indexOf(LFLF, start);
      bodyStart = headEnd + 2;
    }
    head = headEnd < 0 ? '' : decodeUtf8(buf, start, headEnd);
    h0 = 0;
    n = head.length;
    base = start;
  }
  if (headEnd < 0) {
    // A message that ends right after its last header line has no empty line.
    throw new SipParseError('no empty line after the headers', { offset: buf.length });
  }

  // ---- start line -----------------------------------------------------------
  let eol = head.indexOf('\n', h0);
  if (eol < 0 || eol > n) eol = n;
  const lineEnd = eol > h0 && head.charCodeAt(eol - 1) === 13 ? eol - 1 : eol;
  if (lineEnd - h0 > maxLineLength) {
    throw new SipParseError('start line too long', { offset: start + maxLineLength, status: 414 });
  }

  // ---- header lines -----------------------------------------------------------
  const fields: Field[] = [];
  let pos = eol + 1;
  while (pos < n) {
    let e = head.indexOf('\n', pos);
    if (e < 0 || e > n) e = n;
    let le = e > pos && head.charCodeAt(e - 1) === 13 ? e - 1 : e;
    if (le - pos > maxLineLength)
      throw new SipParseError('header line too long', { offset: byteOffset(head, base, pos) });
    const c0 = head.charCodeAt(pos);
    if (c0 === 32 || c0 === 9) {
      // continuation line (folding): LWS joins it to the previous value with one SP
      const prev = fields[fields.length - 1];
      if (prev === undefined) {
        throw new SipParseError('continuation line before any header', {
          offset: byteOffset(head, base, pos),
        });
      }
      let b = pos;
      while (b < le && (head.charCodeAt(b) === 32 || head.charCodeAt(b) === 9)) b++;
      while (le > b && (head.charCodeAt(le - 1) === 32 || head.charCodeAt(le - 1) === 9)) le--;
      if (le > b) {
        prev.value = prev.value.length === 0 ? head.slice(b, le) : `${prev.value} ${head.slice(b, le)}`;
        prev.folded = true; // the value is no longer one span of the head
      }
      pos = e + 1;
      continue;
    }
    const colon = head.indexOf(':', pos);
    if (colon < 0 || colon >= le)
      throw new SipParseError('header line without ":"', { offset: byteOffset(head, base, pos) });
    let ne = colon;
    while (ne > pos && (head.charCodeAt(ne - 1) === 32 || head.charCodeAt(ne - 1) === 9)) ne--;
    if (ne === pos) throw new SipParseError('empty header name', { offset: byteOffset(head, base, pos) });
    let name: string;
    let key: string;
    const known = matchHeaderName(head, pos, ne - pos);
    if (known !== undefined) {
      key = known[0];
      // written exactly as the canonical spelling: share that string instead of copying
      name = known[2] ? known[1] : head.slice(pos, ne);
    } else {
      // unknown names are checked to be tokens (known ones matched a table entry)
      for (let i = pos; i < ne; i++) {
        if (!isTokenChar(head.charCodeAt(i))) {
          throw new SipParseError('invalid header name', { offset: byteOffset(head, base, i) });
        }
      }
      name = head.slice(pos, ne);
      key = name.toLowerCase();
    }
    let vb = colon + 1;
    while (vb < le && (head.charCodeAt(vb) === 32 || head.charCodeAt(vb) === 9)) vb++;
    while (le > vb && (head.charCodeAt(le - 1) === 32 || head.charCodeAt(le - 1) === 9)) le--;
    if (fields.length >= maxHeaders) {
      throw new SipParseError(`more than ${maxHeaders} headers`, { offset: byteOffset(head, base, pos) });
    }
    fields.push({ name, key, value: head.slice(vb, le), at: vb });
    pos = e + 1;
  }

  // ---- the message ------------------------------------------------------------
  const msg = parseStartLine(head, h0, lineEnd, fields, base);
  validateHeaders(msg, fields, head, base);

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
    msg.body = options.copyBody
      ? buf.slice(bodyStart, bodyEnd)
      : new Uint8Array(buf.buffer, buf.byteOffset + bodyStart, bodyEnd - bodyStart);
  }
  return msg;
}

/** Byte offset in the message of character `charOffset` of the decoded head. */
function byteOffset(head: string, base: number, charOffset: number): number {
  return base + Buffer.byteLength(head.slice(0, Math.max(0, Math.min(charOffset, head.length))), 'utf8');
}

/**
 * Request-Line or Status-Line in head[0, end). Runs of SP between the elements
 * and trailing whitespace are tolerated (RFC 4475 lwsstart, trws).
 */
function parseStartLine(
  head: string,
  h0: number,
  end: number,
  fields: Field[],
  base: number,
): SipRequest | SipResponse {
  // elements separated by SP runs
  let a0 = h0;
  while (a0 < end && head.charCodeAt(a0) === 32) a0++;
  let a1 = a0;
  while (a1 < end && head.charCodeAt(a1) !== 32) a1++;
  const first = head.slice(a0, a1);
  if (first.length > 4 && (first.charCodeAt(0) | 0x20) === 115 && first.charCodeAt(3) === 47) {
    if (sameName(first.slice(0, 4), 'SIP/')) return parseStatusLine(head, end, first, a1, fields, base);
  }
  let b0 = a1;
  while (b0 < end && head.charCodeAt(b0) === 32) b0++;
  let b1 = b0;
  while (b1 < end && head.charCodeAt(b1) !== 32) b1++;
  let c0 = b1;
  while (c0 < end && head.charCodeAt(c0) === 32) c0++;
  let c1 = c0;
  while (c1 < end && head.charCodeAt(c1) !== 32 && head.charCodeAt(c1) !== 9) c1++;
  let tail = c1;
  while (tail < end && (head.charCodeAt(tail) === 32 || head.charCodeAt(tail) === 9)) tail++;
  if (a1 === a0 || b1 === b0 || c1 === c0 || tail !== end) {
    throw new SipParseError('request line must be "Method SP Request-URI SP SIP-Version"', {
      offset: byteOffset(head, base, h0),
    });
  }
  if (c1 - c0 !== 7 || !head.startsWith('SIP/2.0', c0))
    checkVersion(head.slice(c0, c1), byteOffset(head, base, c0));
  for (let i = a0; i < a1; i++) {
    if (!isTokenChar(head.charCodeAt(i)))
      throw new SipParseError('invalid method', { offset: byteOffset(head, base, i) });
  }
  let uri: Uri;
  try {
    uri = parseUri(head, b0, b1);
  } catch (err) {
    throw new SipParseError(`Request-URI: ${(err as Error).message}`, {
      offset: byteOffset(head, base, Math.max(b0, (err as SipParseError).offset ?? b0)),
      cause: err,
    });
  }
  return new SipRequest(first, uri, fields);
}

function parseStatusLine(
  head: string,
  end: number,
  version: string,
  i: number,
  fields: Field[],
  base: number,
): SipResponse {
  checkVersion(version, base + i - version.length);
  while (i < end && head.charCodeAt(i) === 32) i++;
  const c0 = i;
  while (i < end && head.charCodeAt(i) >= 48 && head.charCodeAt(i) <= 57) i++;
  if (i - c0 !== 3) throw new SipParseError('status code must be 3 digits', { offset: base + c0 });
  const status =
    (head.charCodeAt(c0) - 48) * 100 + (head.charCodeAt(c0 + 1) - 48) * 10 + (head.charCodeAt(c0 + 2) - 48);
  if (status < 100 || status > 699)
    throw new SipParseError('status code out of range', { offset: base + c0 });
  if (i < end && head.charCodeAt(i) !== 32) {
    throw new SipParseError('expected SP after status code', { offset: base + i });
  }
  const reason = i < end ? head.slice(i + 1, end).trim() : '';
  return new SipResponse(status, reason, fields);
}

function checkVersion(v: string, offset: number): void {
  if (v === 'SIP/2.0') return;
  const m = /^SIP\/(\d{1,5})\.(\d{1,5})$/i.exec(v);
  if (!m) throw new SipParseError(`invalid SIP-Version "${v.slice(0, 32)}"`, { offset });
  if (m[1] !== '2' || m[2] !== '0')
    throw new SipParseError(`SIP version ${v} is not supported`, { offset, status: 505 });
}

/** Runs a value parser on the field's span of the head (one flat string), or on the value when it was folded. */
function inPlace<T>(parse: (s: string, start?: number, end?: number) => T, head: string, f: Field): T {
  return f.folded || f.at === undefined ? parse(f.value) : parse(head, f.at, f.at + f.value.length);
}

function duplicate(f: Field, at: number, head: string, start: number): never {
  throw new SipParseError(`more than one ${f.name} header`, {
    offset: byteOffset(head, start, at),
    header: f.key,
  });
}

function headerError(err: unknown, display: string, valueStart: number, head: string, start: number): never {
  const inner = err instanceof SipParseError && err.offset >= 0 ? err.offset : 0;
  const message = (err as Error).message;
  throw new SipParseError(message.startsWith(`${display}:`) ? message : `${display}: ${message}`, {
    offset: byteOffset(head, start, valueStart + inner),
    header: display,
    cause: err,
  });
}

/**
 * Parses and checks the headers every stack reads, storing the typed values
 * on the message: at least one Via, exactly one From, To, Call-ID and CSeq
 * (whose method must be the request's), at most one Max-Forwards,
 * Content-Length and Content-Type.
 */
function validateHeaders(msg: SipRequest | SipResponse, fields: Field[], head: string, start: number): void {
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
        try {
          if (vias === undefined) vias = [];
          // parse in place in the (flat) head when the value is one span of it: faster than on a slice
          if (f.value.indexOf(',') < 0)
            vias.push(
              f.folded
                ? parseVia(f.value)
                : parseVia(head, f.at as number, (f.at as number) + f.value.length),
            );
          else for (const part of splitList(f.value)) vias.push(parseVia(part));
        } catch (err) {
          headerError(err, 'Via', (fields[i] as Field).at as number, head, start);
        }
        break;
      case 'from':
        if (iFrom >= 0) duplicate(f, (fields[i] as Field).at as number, head, start);
        iFrom = i;
        break;
      case 'to':
        if (iTo >= 0) duplicate(f, (fields[i] as Field).at as number, head, start);
        iTo = i;
        break;
      case 'call-id':
        if (iCallId >= 0) duplicate(f, (fields[i] as Field).at as number, head, start);
        iCallId = i;
        break;
      case 'cseq':
        if (iCSeq >= 0) duplicate(f, (fields[i] as Field).at as number, head, start);
        iCSeq = i;
        break;
      case 'max-forwards':
        if (iMaxForwards >= 0) duplicate(f, (fields[i] as Field).at as number, head, start);
        iMaxForwards = i;
        break;
      case 'content-length':
        if (iContentLength >= 0) duplicate(f, (fields[i] as Field).at as number, head, start);
        iContentLength = i;
        break;
      case 'content-type':
        if (iContentType >= 0) duplicate(f, (fields[i] as Field).at as number, head, start);
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
  let i = iFrom;
  try {
    msg._from = inPlace(parseNameAddr, head, fields[i] as Field);
    i = iTo;
    msg._to = inPlace(parseNameAddr, head, fields[i] as Field);
  } catch (err) {
    headerError(err, i === iFrom ? 'From' : 'To', (fields[i] as Field).at as number, head, start);
  }
  try {
    msg._callId = parseCallId((fields[iCallId] as Field).value);
  } catch (err) {
    headerError(err, 'Call-ID', (fields[iCallId] as Field).at as number, head, start);
  }
  try {
    msg._cseq = parseCSeq((fields[iCSeq] as Field).value);
  } catch (err) {
    headerError(err, 'CSeq', (fields[iCSeq] as Field).at as number, head, start);
  }
  if (iMaxForwards >= 0) {
    try {
      msg._maxForwards = parseMaxForwards((fields[iMaxForwards] as Field).value);
    } catch (err) {
      headerError(err, 'Max-Forwards', (fields[iMaxForwards] as Field).at as number, head, start);
    }
  } else msg._maxForwards = null;
  if (iContentLength >= 0) {
    try {
      msg._contentLength = parseContentLength((fields[iContentLength] as Field).value);
    } catch (err) {
      headerError(err, 'Content-Length', (fields[iContentLength] as Field).at as number, head, start);
    }
  } else msg._contentLength = null;
  if (msg instanceof SipRequest && msg._cseq.method !== msg.method) {
    throw new SipParseError(`CSeq method ${msg._cseq.method} does not match request method ${msg.method}`, {
      offset: byteOffset(head, start, (fields[iCSeq] as Field).at as number),
      header: 'CSeq',
    });
  }
}
