/**
 * The rule of SIPp that leaves calls up in bench/cps, on the real SIPp (3.6): its uac
 * (bench/lib/sipp-scenarios.ts) against a scripted server on loopback that answers the
 * INVITE, never answers the BYE, and sends its 200 to the INVITE once more after the BYE
 * came (a 2xx retransmission whose ACK was late). SIPp's stock matching takes that 200 for
 * the answer to the BYE: the call succeeds, the BYE is never answered — what
 * sipp-peers.ts models. The bench's uac, which matches responses by transaction, ACKs
 * the 200 again and keeps retransmitting its BYE until the BYE itself is answered.
 * And the bench's uas counts a call failed when an ACK reaches it after the BYE (the ACK of
 * a retransmitted 200). Event driven: each script step waits for SIPp's message, and the
 * verdict is read when SIPp exits after its one call.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { uacScenario, uasScenario } from '../../bench/lib/sipp-scenarios.js';
import { runSipp } from '../helpers/sipp.js';
import { headerLines, methodOf } from './sipp-peers.js';

/** The bench's uac as it was: SIPp's stock matching by status code (no transactions). */
const stockUac = () => uacScenario().replace(/ (start|response|ack)_txn="[^"]*"/g, '');

interface Server {
  port: number;
  /** The methods of the requests SIPp sent, in order. */
  got: string[];
}

let server: Socket | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

/** A UDP server that answers the INVITE 200 and hands every message to `script`. */
async function scriptedServer(
  script: (method: string, text: string, reply: (text: string) => void, ok200: () => string) => void,
): Promise<Server> {
  const sock = createSocket('udp4');
  server = sock;
  const got: string[] = [];
  let invite = '';
  let port = 0;
  const ok200 = () =>
    [
      'SIP/2.0 200 OK',
      ...headerLines(invite, 'Via'),
      ...headerLines(invite, 'From'),
      `${headerLines(invite, 'To')[0]};tag=server-tag`,
      ...headerLines(invite, 'Call-ID'),
      ...headerLines(invite, 'CSeq'),
      `Contact: <sip:127.0.0.1:${port}>`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  sock.on('message', (data, rinfo) => {
    const text = data.toString('utf8');
    const method = methodOf(text);
    if (method === '') return;
    got.push(method);
    const reply = (t: string) => sock.send(t, rinfo.port, rinfo.address);
    if (method === 'INVITE' && invite === '') invite = text;
    script(method, text, reply, ok200);
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  port = sock.address().port;
  return { port, got };
}

function okTo(request: string): string {
  return [
    'SIP/2.0 200 OK',
    ...headerLines(request, 'Via'),
    ...headerLines(request, 'From'),
    ...headerLines(request, 'To'),
    ...headerLines(request, 'Call-ID'),
    ...headerLines(request, 'CSeq'),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

const sippPorts = () => 30000 + Math.floor(Math.random() * 20000);

describe("SIPp's uac and a 200 to the INVITE that arrives after its BYE (real SIPp)", () => {
  it('stock matching: the 200 to the INVITE answers the BYE — success, the BYE never answered', async () => {
    let answered200 = 0;
    const s = await scriptedServer((method, _text, reply, ok200) => {
      if (method === 'INVITE') reply(ok200());
      // the first BYE is "lost": instead the INVITE's 200 comes again (its ACK was late)
      if (method === 'BYE' && answered200++ === 0) reply(ok200());
    });
    const port = sippPorts();
    const r = await runSipp({
      scenario: { xml: stockUac() },
      remote: `127.0.0.1:${s.port}`,
      localPort: port,
      calls: 1,
      timeoutSec: 15,
      extraArgs: ['-d', '10', '-s', '5550100', '-mp', String(port + 2)],
    });
    // nothing ever answered the BYE with a 200 of its own, yet the call is a success
    expect(r.successful, r.stderr).toBe(1);
    expect(r.failed).toBe(0);
    expect(s.got.filter((m) => m === 'ACK')).toHaveLength(1); // the 200 was not ACKed again
  });

  it("the bench's uac (transactions): ACKs the 200 again and retransmits the BYE until it is answered", async () => {
    let byes = 0;
    const s = await scriptedServer((method, text, reply, ok200) => {
      if (method === 'INVITE') reply(ok200());
      if (method !== 'BYE') return;
      byes++;
      if (byes === 1)
        reply(ok200()); // the BYE "lost", the INVITE's 200 again
      else reply(okTo(text)); // a retransmitted BYE: answered
    });
    const port = sippPorts();
    const r = await runSipp({
      scenario: { xml: uacScenario() },
      remote: `127.0.0.1:${s.port}`,
      localPort: port,
      calls: 1,
      timeoutSec: 15,
      extraArgs: ['-d', '10', '-s', '5550100', '-mp', String(port + 2)],
    });
    expect(r.successful, r.stderr).toBe(1);
    expect(r.failed).toBe(0);
    expect(s.got.filter((m) => m === 'ACK')).toHaveLength(2);
    expect(byes).toBeGreaterThanOrEqual(2);
  });
});

describe("SIPp's uas and an ACK that arrives after the BYE (real SIPp)", () => {
  it('the ACK of a retransmitted 200, after the BYE: SIPp counts the call failed', async () => {
    // the switch ACKs every copy of the uas's 200 (RFC 3261 §13.2.2.4); a copy's ACK can
    // reach the uas after the BYE, in its timewait, where SIPp takes it as unexpected
    const sock = createSocket('udp4');
    server = sock;
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    const me = sock.address().port;
    const port = sippPorts();
    const head = (method: string, cseq: string, branch: string, toTag = '') =>
      [
        `${method} sip:5550100@127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${me};branch=z9hG4bK-${branch}`,
        `From: <sip:switch@127.0.0.1:${me}>;tag=switch-tag`,
        `To: <sip:5550100@127.0.0.1:${port}>${toTag ? `;tag=${toTag}` : ''}`,
        'Call-ID: late-ack@127.0.0.1',
        `CSeq: ${cseq}`,
        `Contact: <sip:switch@127.0.0.1:${me}>`,
        'Max-Forwards: 70',
      ].join('\r\n');
    const invite = `${head('INVITE', '1 INVITE', 'inv')}\r\nContent-Length: 0\r\n\r\n`;
    const send = (text: string) => sock.send(text, port, '127.0.0.1');
    let ack = '';
    let step = 'invite';
    sock.on('message', (data) => {
      const text = data.toString('utf8');
      const cseq = headerLines(text, 'CSeq')[0] ?? '';
      if (step === 'invite' && text.startsWith('SIP/2.0 200') && cseq.includes('INVITE')) {
        step = 'bye';
        const tag = /;tag=([^;\s]+)/.exec(headerLines(text, 'To')[0] ?? '')?.[1] ?? '';
        ack = `${head('ACK', '1 ACK', 'ack', tag)}\r\nContent-Length: 0\r\n\r\n`;
        send(ack);
        send(`${head('BYE', '2 BYE', 'bye', tag)}\r\nContent-Length: 0\r\n\r\n`);
      } else if (step === 'bye' && text.startsWith('SIP/2.0 200') && cseq.includes('BYE')) {
        step = 'done';
        send(ack); // the ACK of the 200's retransmission, late
      }
    });
    const run = runSipp({
      scenario: { xml: uasScenario() },
      localPort: port,
      calls: 1,
      timeoutSec: 15,
      extraArgs: ['-mp', String(port + 2)],
    });
    // SIPp may not listen yet: the INVITE goes again until it is answered
    const retry = setInterval(() => {
      if (step === 'invite') send(invite);
    }, 200);
    send(invite);
    const r = await run.finally(() => clearInterval(retry));
    expect(step).toBe('done');
    expect(r.failed, r.stderr).toBe(1);
    expect(r.successful).toBe(0);
  });
});
