/** Requests the transaction layer builds itself: the ACK for a non-2xx final response and CANCEL. */
import { type HeaderInput, SipRequest, type SipResponse } from '../message/index.js';

/** Copies every line of `name` from `from` to `to`, values as written. */
function copyHeader(from: SipRequest | SipResponse, to: SipRequest, name: string): void {
  const values = from.getHeaders(name);
  if (values.length > 0) to.appendHeader(name, values);
}

/**
 * The ACK for a non-2xx final response to an INVITE (RFC 3261 §17.1.1.3):
 * Request-URI, Call-ID, From and the CSeq number of the INVITE, the To of the
 * response (with its tag), the INVITE's top Via only (same branch) and its
 * Route header fields.
 */
export function buildNon2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  const ack = new SipRequest('ACK', invite.uri);
  const via = invite.getHeaders('via')[0];
  if (via !== undefined) ack.appendHeader('Via', via);
  ack.appendHeader('Max-Forwards', 70);
  ack.appendHeader('From', invite.getHeader('from') as string);
  ack.appendHeader('To', response.getHeader('to') as string);
  ack.appendHeader('Call-ID', invite.getHeader('call-id') as string);
  ack.appendHeader('CSeq', `${invite.cseq.seq} ACK`);
  copyHeader(invite, ack, 'route');
  return ack;
}

/**
 * A CANCEL for `request` (RFC 3261 §9.1): Request-URI, Call-ID, To, From and
 * the CSeq number of the request, its top Via only (same branch), its Route
 * header fields, and any extra headers (for instance `Reason`, RFC 3326).
 */
export function buildCancel(
  request: SipRequest,
  extra: ReadonlyArray<readonly [string, HeaderInput]> = [],
): SipRequest {
  const cancel = new SipRequest('CANCEL', request.uri);
  const via = request.getHeaders('via')[0];
  if (via !== undefined) cancel.appendHeader('Via', via);
  cancel.appendHeader('Max-Forwards', 70);
  cancel.appendHeader('From', request.getHeader('from') as string);
  cancel.appendHeader('To', request.getHeader('to') as string);
  cancel.appendHeader('Call-ID', request.getHeader('call-id') as string);
  cancel.appendHeader('CSeq', `${request.cseq.seq} CANCEL`);
  copyHeader(request, cancel, 'route');
  for (const [name, value] of extra) cancel.appendHeader(name, value);
  return cancel;
}
