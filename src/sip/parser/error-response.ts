/**
 * A best-effort stateless answer to a request that failed to parse
 * (RFC 3261 §8.2.2, §16.3): the error's status (400, 505, 513 …) with the
 * headers needed to route and match it. Headers are copied only when they
 * parse on their own — a broken header is never echoed back — and without a
 * usable Via there is nobody to answer, so nothing is built.
 */
import {
  createResponse,
  type Field,
  headerKey,
  parseCallId,
  parseCSeq,
  parseNameAddr,
  parseVia,
  type SipParseError,
  SipRequest,
  SipUri,
  splitList,
} from '../message/index.js';

const MAX_SCAN = 16_384;

/** Builds the stateless error response for unparseable request bytes, or undefined when none can be sent. */
export function statelessErrorResponse(
  data: Uint8Array,
  error: SipParseError,
): import('../message/index.js').SipResponse | undefined {
  const text = Buffer.from(data.buffer, data.byteOffset, Math.min(data.byteLength, MAX_SCAN)).toString(
    'latin1',
  );
  let start = 0;
  while (text.charCodeAt(start) === 13 || text.charCodeAt(start) === 10) start++;
  if (text.startsWith('SIP/', start)) return undefined; // a response: dropped, never answered
  const end = text.indexOf('\r\n\r\n', start);
  const lines = text.slice(start, end < 0 ? text.length : end).split(/\r?\n/);
  // unfold
  const headers: Array<{ name: string; value: string }> = [];
  for (const line of lines.slice(1)) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && headers.length > 0) {
      const last = headers[headers.length - 1] as { name: string; value: string };
      last.value = `${last.value} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  const fields: Field[] = [];
  const once = new Set<string>();
  let vias = 0;
  for (const h of headers) {
    const key = headerKey(h.name);
    try {
      if (key === 'via') {
        for (const part of splitList(h.value)) parseVia(part);
        vias++;
      } else if (key === 'from' || key === 'to') parseNameAddr(h.value);
      else if (key === 'call-id') parseCallId(h.value);
      else if (key === 'cseq') parseCSeq(h.value);
      else continue;
    } catch {
      if (key === 'via') return undefined; // cannot route a response
      continue;
    }
    if (key !== 'via') {
      if (once.has(key)) continue;
      once.add(key);
    }
    fields.push({ name: h.name.length === 1 ? key : h.name, key, value: h.value });
  }
  if (vias === 0) return undefined;
  // A response must carry From, To, Call-ID and CSeq (RFC 3261 §8.1.1); where the request's did not
  // parse, say so with anonymous placeholders (RFC 3323 style) rather than echo broken syntax.
  const method = /^[A-Za-z0-9\-.!%*_+`'~]+/.exec(lines[0] ?? '')?.[0] ?? 'OPTIONS';
  if (!once.has('from'))
    fields.push({ name: 'From', key: 'from', value: '<sip:anonymous@anonymous.invalid>;tag=invalid' });
  if (!once.has('to')) fields.push({ name: 'To', key: 'to', value: '<sip:anonymous@anonymous.invalid>' });
  if (!once.has('call-id'))
    fields.push({ name: 'Call-ID', key: 'call-id', value: 'invalid@anonymous.invalid' });
  if (!once.has('cseq')) fields.push({ name: 'CSeq', key: 'cseq', value: `1 ${method}` });
  const request = new SipRequest('INVALID', new SipUri({ host: 'invalid' }), fields);
  const reason = error.status === 400 ? `Bad Request (${sanitize(error.message)})` : undefined;
  return createResponse(request, error.status, reason === undefined ? {} : { reason });
}

/** A reason phrase may hold TEXT-UTF8 only: no CR/LF, bounded length. */
function sanitize(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, ' ').slice(0, 120);
}
