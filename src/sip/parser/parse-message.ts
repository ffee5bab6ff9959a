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
  headerKey,
  isTokenChar,
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
  splitList,
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

/** Headers that must appear at most once; a second one makes the message invalid (400). */
const UNIQUE = new Set(['call-id', 'content-length', 'content-type', 'cseq', 'from', 'max-forwards', 'to']);

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');

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

  let headEnd = buf.indexOf(CRLFCRLF, start);
  let bodyStart = headEnd + 4;
  if (headEnd < 0) {
    headEnd = buf.indexOf(LFLF, start);
    bodyStart = headEnd + 2;
    if (headEnd < 0) {
      // A message that ends right after its last header line has no empty line.
      throw new SipParseError('no empty line after the headers', { offset: buf.length });
    }
  }
  const head = buf.toString('utf8', start, headEnd);
  const byteOffset = (charOffset: number): number =>
    start + Buffer.byteLength(head.slice(0, Math.max(0, Math.min(charOffset, head.length))), 'utf8');

  // ---- start line -----------------------------------------------------------
  let eol = head.indexOf('\n');
  if (eol < 0) eol = head.length;
  const lineEnd = eol > 0 && head.charCodeAt(eol - 1) === 13 ? eol - 1 : eol;
  if (lineEnd > maxLineLength) {
    throw new SipParseError('start line too long', { offset: start + maxLineLength, status: 414 });
  }
  const startLine = head.slice(0, lineEnd);

  // ---- header lines -----------------------------------------------------------
  const fields: Field[] = [];
  const valueAt: number[] = [];
  let pos = eol + 1;
  const n = head.length;
  while (pos < n) {
    let e = head.indexOf('\n', pos);
    if (e < 0) e = n;
    let le = e > pos && head.charCodeAt(e - 1) === 13 ? e - 1 : e;
    if (le - pos > maxLineLength)
      throw new SipParseError('header line too long', { offset: byteOffset(pos) });
    const c0 = head.charCodeAt(pos);
    if (c0 === 32 || c0 === 9) {
      // continuation line (folding): LWS joins it to the previous value with one SP
      const prev = fields[fields.length - 1];
      if (prev === undefined)
        throw new SipParseError('continuation line before any header', { offset: byteOffset(pos) });
      let b = pos;
      while (b < le && (head.charCodeAt(b) === 32 || head.charCodeAt(b) === 9)) b++;
      while (le > b && (head.charCodeAt(le - 1) === 32 || head.charCodeAt(le - 1) === 9)) le--;
      if (le > b)
        prev.value = prev.value.length === 0 ? head.slice(b, le) : `${prev.value} ${head.slice(b, le)}`;
      pos = e + 1;
      continue;
    }
    const colon = head.indexOf(':', pos);
    if (colon < 0 || colon >= le)
      throw new SipParseError('header line without ":"', { offset: byteOffset(pos) });
    let ne = colon;
    while (ne > pos && (head.charCodeAt(ne - 1) === 32 || head.charCodeAt(ne - 1) === 9)) ne--;
    if (ne === pos) throw new SipParseError('empty header name', { offset: byteOffset(pos) });
    for (let i = pos; i < ne; i++) {
      if (!isTokenChar(head.charCodeAt(i)))
        throw new SipParseError('invalid header name', { offset: byteOffset(i) });
    }
    let vb = colon + 1;
    while (vb < le && (head.charCodeAt(vb) === 32 || head.charCodeAt(vb) === 9)) vb++;
    while (le > vb && (head.charCodeAt(le - 1) === 32 || head.charCodeAt(le - 1) === 9)) le--;
    if (fields.length >= maxHeaders) {
      throw new SipParseError(`more than ${maxHeaders} headers`, { offset: byteOffset(pos) });
    }
    const name = head.slice(pos, ne);
    fields.push({ name, key: headerKey(name), value: head.slice(vb, le) });
    valueAt.push(vb);
    pos = e + 1;
  }

  // ---- the message ------------------------------------------------------------
  const msg = parseStartLine(startLine, fields, start);
  validateHeaders(msg, fields, valueAt, byteOffset);

  // ---- body ---------------------------------------------------------------------
  const available = buf.length - bodyStart;
  const declared = msg.contentLength;
  let bodyEnd = buf.length;
  if (declared !== undefined) {
    if (declared > available) {
      throw new SipParseError(`Content-Length ${declared} exceeds the ${available} body bytes received`, {
        offset: buf.length,
        header: 'Content-Length',
      });
    }
    bodyEnd = bodyStart + declared;
  }
  if (bodyEnd > bodyStart) {
    const body = buf.subarray(bodyStart, bodyEnd);
    msg.body = options.copyBody ? new Uint8Array(body) : body;
  }
  return msg;
}

function parseStartLine(line: string, fields: Field[], base: number): SipRequest | SipResponse {
  // Tolerant of runs of SP between elements and trailing whitespace (RFC 4475 lwsstart, trws).
  if (line.startsWith('SIP/') || line.startsWith('sip/')) return parseStatusLine(line, fields, base);
  const parts = line.split(' ').filter((p) => p.length > 0);
  if (parts.length !== 3) {
    throw new SipParseError(
      `request line must be "Method SP Request-URI SP SIP-Version", got ${parts.length} elements`,
      {
        offset: base,
      },
    );
  }
  const [method, uriText, version] = parts as [string, string, string];
  checkVersion(version, base + line.lastIndexOf(version));
  for (let i = 0; i < method.length; i++) {
    if (!isTokenChar(method.charCodeAt(i))) throw new SipParseError('invalid method', { offset: base + i });
  }
  let uri: ReturnType<typeof parseUri>;
  try {
    uri = parseUri(uriText);
  } catch (err) {
    const at = line.indexOf(uriText);
    throw new SipParseError(`Request-URI: ${(err as Error).message}`, {
      offset: base + at + Math.max(0, (err as SipParseError).offset ?? 0),
      cause: err,
    });
  }
  return new SipRequest(method, uri, fields);
}

function parseStatusLine(line: string, fields: Field[], base: number): SipResponse {
  const sp = line.indexOf(' ');
  if (sp < 0) throw new SipParseError('status line without a status code', { offset: base + line.length });
  checkVersion(line.slice(0, sp), base);
  let i = sp;
  while (line.charCodeAt(i) === 32) i++;
  const c0 = i;
  while (i < line.length && line.charCodeAt(i) >= 48 && line.charCodeAt(i) <= 57) i++;
  if (i - c0 !== 3) throw new SipParseError('status code must be 3 digits', { offset: base + c0 });
  const status = Number(line.slice(c0, i));
  if (status < 100 || status > 699)
    throw new SipParseError('status code out of range', { offset: base + c0 });
  if (i < line.length && line.charCodeAt(i) !== 32)
    throw new SipParseError('expected SP after status code', { offset: base + i });
  const reason = line.slice(i + 1).trim();
  return new SipResponse(status, reason, fields);
}

function checkVersion(v: string, offset: number): void {
  if (v === 'SIP/2.0') return;
  const m = /^SIP\/(\d{1,5})\.(\d{1,5})$/i.exec(v);
  if (!m) throw new SipParseError(`invalid SIP-Version "${v.slice(0, 32)}"`, { offset });
  if (m[1] !== '2' || m[2] !== '0')
    throw new SipParseError(`SIP version ${v} is not supported`, { offset, status: 505 });
}

function validateHeaders(
  msg: SipRequest | SipResponse,
  fields: Field[],
  valueAt: number[],
  byteOffset: (charOffset: number) => number,
): void {
  const seen = new Map<string, number>();
  let hasVia = false;
  for (let i = 0; i < fields.length; i++) {
    const key = (fields[i] as Field).key;
    if (key === 'via') hasVia = true;
    else if (UNIQUE.has(key)) {
      if (seen.has(key)) {
        throw new SipParseError(`more than one ${(fields[i] as Field).name} header`, {
          offset: byteOffset(valueAt[i] as number),
          header: key,
        });
      }
      seen.set(key, i);
    }
  }
  const need = (key: string, display: string): number => {
    const i = seen.get(key);
    if (i === undefined)
      throw new SipParseError(`missing ${display} header`, { offset: -1, header: display });
    return i;
  };
  const at = (i: number, err: unknown, display: string): never => {
    const inner = err instanceof SipParseError && err.offset >= 0 ? err.offset : 0;
    const message = (err as Error).message;
    throw new SipParseError(message.startsWith(`${display}:`) ? message : `${display}: ${message}`, {
      offset: byteOffset((valueAt[i] as number) + inner),
      header: display,
      cause: err,
    });
  };
  const typed = <T>(key: string, display: string, parse: (v: string) => T, required: boolean): void => {
    const i = required ? need(key, display) : seen.get(key);
    if (i === undefined) return;
    try {
      msg._prime(key, parse((fields[i] as Field).value));
    } catch (err) {
      at(i, err, display);
    }
  };

  if (!hasVia) throw new SipParseError('missing Via header', { offset: -1, header: 'Via' });
  const vias: Via[] = [];
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] as Field;
    if (f.key !== 'via') continue;
    try {
      if (f.value.indexOf(',') < 0) vias.push(parseVia(f.value));
      else for (const part of splitList(f.value)) vias.push(parseVia(part));
    } catch (err) {
      at(i, err, 'Via');
    }
  }
  msg._prime('via', vias);
  typed('from', 'From', (v) => parseNameAddr(v), true);
  typed('to', 'To', (v) => parseNameAddr(v), true);
  typed('call-id', 'Call-ID', parseCallId, true);
  typed('cseq', 'CSeq', parseCSeq, true);
  typed('max-forwards', 'Max-Forwards', parseMaxForwards, false);
  typed('content-length', 'Content-Length', parseContentLength, false);
  if (msg instanceof SipRequest && msg.cseq.method !== msg.method) {
    const i = seen.get('cseq') as number;
    throw new SipParseError(`CSeq method ${msg.cseq.method} does not match request method ${msg.method}`, {
      offset: byteOffset(valueAt[i] as number),
      header: 'CSeq',
    });
  }
}
