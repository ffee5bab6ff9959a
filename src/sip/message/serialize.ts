/** Serialization of SIP messages to their wire form. */
import { type SipMessage, serializeHead } from './message.js';

/** The wire bytes of a message: start line, headers (original order), blank line, body. */
export function serializeMessage(m: SipMessage): Uint8Array {
  const head = serializeHead(m);
  const body = m.body;
  const headLen = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLen + body.length);
  out.write(head, 0, 'utf8');
  if (body.length > 0) out.set(body, headLen);
  return out;
}

/** The wire form as a string (for logs and text transports); the body is decoded as UTF-8. */
export function messageToString(m: SipMessage): string {
  return m.toString();
}
