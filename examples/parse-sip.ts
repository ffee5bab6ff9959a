/**
 * Parse a SIP request, read its headers, answer it and print the wire bytes.
 * Run: npx tsx examples/parse-sip.ts
 */
import { createResponse, parseMessage, type SipRequest, serializeMessage } from 'strowger/sip';

const wire = [
  'INVITE sip:1002@pbx.example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport',
  'Max-Forwards: 70',
  'To: <sip:1002@pbx.example.com>',
  'From: "Alice" <sip:1001@pbx.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@192.0.2.10',
  'CSeq: 1 INVITE',
  'Contact: <sip:1001@192.0.2.10:5060>',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

const invite = parseMessage(wire) as SipRequest;
console.log(`${invite.method} from ${invite.from.displayName} <${invite.from.uri}> tag ${invite.fromTag}`);
console.log(`top Via branch ${invite.topVia?.branch}, CSeq ${invite.cseq.seq} ${invite.cseq.method}`);

const ringing = createResponse(invite, 180, { toTag: 'b7x2' });
process.stdout.write(Buffer.from(serializeMessage(ringing)).toString());
