/**
 * The rule of SIPp that leaves calls up in bench/cps, on the real SIPp (3.6): its uac
 * (bench/lib/sipp-scenarios.ts) against a scripted server on loopback that answers the
 * INVITE, never answers the BYE, and sends its 200 to the INVITE once more after the BYE
 * came (a 2xx retransmission whose ACK was late). SIPp's stock matching takes that 200 for
 * the answer to the BYE: the call succeeds, the BYE is never answered — what
 * sipp-peers.ts models. The bench's uac, which matches responses by transaction, ACKs
 * the 200 again and keeps retransmitting its BYE until the BYE itself is answered.
 * Event driven: each script step waits for SIPp's message, and the verdict is read when
 * SIPp exits after its one call.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { uacScenario } from '../../bench/lib/sipp-scenarios.js';
import { runSipp } from '../helpers/sipp.js';
import { headerLines, headerValue, methodOf } from './sipp-peers.js';

/** The bench's uac as it was: SIPp's stock matching by status code (no transactions). */
const stockUac = () => uacScenario().replace(/ (start|response|ack)_txn="[^"]*"/g, '');

interface Server {
  port: number;
  got: string[];
  close(): void;
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
  return { port, got, close: () => sock.close() };
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
    expect(headerValue(okTo('BYE x SIP/2.0\r\nCSeq: 2 BYE\r\n\r\n'), 'CSeq')).toBe('2 BYE');
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
