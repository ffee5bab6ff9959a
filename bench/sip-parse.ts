/**
 * SIP parse + header access, and serialization, against the npm `sip`
 * package's parser and stringify, measured interleaved in the same process.
 *
 * Parse workload: bytes in (as a UDP socket delivers them) → message, then
 * read what a stack touches on every message, the same fields on both sides:
 * the method or status, the top Via's host, port and branch, From's URI and
 * tag, To's URI and tag, Call-ID, CSeq number and method, the first Contact's
 * URI. npm sip parses all of these eagerly (its URIs stay strings); Strowger
 * parses them eagerly too, except Contact, which the access below forces.
 * Both an INVITE with SDP and a 200 OK; every iteration parses fresh.
 */
import { createRequire } from 'node:module';
import { parseMessage, type SipRequest, type SipResponse, serializeMessage } from '../src/sip/index.js';
import { INVITE, OK200 } from './fixtures/sip-messages.js';
import { compareRates, printResult } from './lib/stats.js';

const require = createRequire(import.meta.url);
const sip = require('sip') as {
  parse(b: Buffer | string): {
    method?: string;
    status?: number;
    headers: Record<string, unknown> & {
      via: Array<{ host: string; port?: number; params: { branch: string } }>;
      from: { uri: string; params: { tag?: string } };
      to: { uri: string; params: { tag?: string } };
      'call-id': string;
      cseq: { seq: number; method: string };
      contact: Array<{ uri: string }>;
    };
  };
  stringify(m: unknown): string;
};

const messages = { INVITE: Buffer.from(INVITE), '200 OK': Buffer.from(OK200) };
let sink = 0;

function oursParse(buf: Buffer) {
  return (n: number) => {
    for (let i = 0; i < n; i++) {
      const m = parseMessage(buf);
      sink += m.isRequest ? (m as SipRequest).method.length : (m as SipResponse).status;
      const via = m.topVia!;
      sink += via.host.length + (via.port ?? 0) + via.branch!.length;
      sink +=
        m.from.uri.scheme.length + m.from.tag!.length + m.to.uri.scheme.length + (m.to.tag?.length ?? 0);
      sink += m.callId.length + m.cseq.seq + m.cseq.method.length + m.contacts[0]!.uri.scheme.length;
    }
  };
}

function peerParse(buf: Buffer) {
  return (n: number) => {
    for (let i = 0; i < n; i++) {
      const m = sip.parse(buf);
      sink += m.method !== undefined ? m.method.length : m.status!;
      const h = m.headers;
      const via = h.via[0]!;
      sink += via.host.length + (via.port ?? 0) + via.params.branch.length;
      sink +=
        h.from.uri.length + h.from.params.tag!.length + h.to.uri.length + (h.to.params.tag?.length ?? 0);
      sink += h['call-id'].length + h.cseq.seq + h.cseq.method.length + h.contact[0]!.uri.length;
    }
  };
}

const lines: string[] = [];
let inviteRatio = 0;
let inviteOurs = 0;
let invitePeer = 0;
for (const [name, buf] of Object.entries(messages)) {
  const r = compareRates(oursParse(buf), peerParse(buf));
  lines.push(
    `parse+access ${name.padEnd(7)} strowger ${Math.round(r.a).toLocaleString('en').padStart(9)} msg/s   npm sip ${Math.round(r.b).toLocaleString('en').padStart(9)} msg/s   ratio ${r.ratio.toFixed(2)}x`,
  );
  if (name === 'INVITE') {
    inviteRatio = r.ratio;
    inviteOurs = r.a;
    invitePeer = r.b;
  }
}

// Serialization: a parsed message back to the wire. Ours produces bytes; the peer a string (ours as string too).
for (const [name, buf] of Object.entries(messages)) {
  const ours = parseMessage(buf);
  const theirs = sip.parse(buf);
  const r = compareRates(
    (n) => {
      for (let i = 0; i < n; i++) sink += serializeMessage(ours).length;
    },
    (n) => {
      for (let i = 0; i < n; i++) sink += sip.stringify(theirs).length;
    },
  );
  const s = compareRates(
    (n) => {
      for (let i = 0; i < n; i++) sink += ours.toString().length;
    },
    (n) => {
      for (let i = 0; i < n; i++) sink += sip.stringify(theirs).length;
    },
  );
  lines.push(
    `serialize ${name.padEnd(7)} strowger bytes ${Math.round(r.a).toLocaleString('en').padStart(9)} msg/s (${r.ratio.toFixed(2)}x)   string ${Math.round(s.a).toLocaleString('en').padStart(9)} msg/s (${s.ratio.toFixed(2)}x)   npm sip stringify ${Math.round(r.b).toLocaleString('en').padStart(9)} msg/s`,
  );
}

process.stdout.write(`${lines.join('\n')}\n(medians of 7 interleaved rounds; sink ${sink % 10})\n`);
printResult({
  name: 'sip-parse',
  value: Math.round(inviteOurs),
  unit: 'INVITE parses+accesses/s',
  peer: 'npm sip 0.0.6 parse',
  peerValue: Math.round(invitePeer),
  ratio: Number(inviteRatio.toFixed(2)),
});
