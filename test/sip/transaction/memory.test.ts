/**
 * What a completed server transaction keeps: its keys, state, timers and the
 * bytes of its final response — not the parsed request or response. Checked
 * through the heap itself: a heap snapshot runs a full garbage collection and
 * lists only what is still reachable, so a header line that only the request
 * carried (the response does not echo it) is in the snapshot exactly when
 * something still holds the request. Deterministic: no timing, no sizes.
 * (`npm run bench -- tx-memory` measures the bytes.)
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { flushMicrotasks } from '../../../src/core/index.js';
import type { ServerInviteTransaction, ServerNonInviteTransaction } from '../../../src/sip/index.js';
import { heapHolds } from '../../helpers/heap.js';
import { B, layer, network, run } from './helpers.js';

type Tx = ServerInviteTransaction | ServerNonInviteTransaction;

/**
 * A request whose `X-Leak-Check` line exists nowhere else as a string: it is
 * built as bytes, and a response does not copy unknown headers.
 */
function marked(
  method: 'OPTIONS' | 'INVITE' | 'INFO',
  branch: string,
  toTag?: string,
): { bytes: Buffer; needle: Buffer } {
  const token = randomBytes(12);
  const hex = Buffer.from(token.toString('hex'), 'latin1');
  const needle = Buffer.concat([Buffer.from('X-Leak-', 'latin1'), Buffer.from('Check: ', 'latin1'), hex]);
  const sdp =
    method === 'INVITE' ? 'v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n' : '';
  const head = [
    `${method} sip:bob@10.0.0.2 SIP/2.0`,
    `Via: SIP/2.0/UDP 10.0.0.1:5060;branch=${branch}`,
    'Max-Forwards: 70',
    'From: <sip:alice@10.0.0.1>;tag=f1',
    toTag === undefined ? 'To: <sip:bob@10.0.0.2>' : `To: <sip:bob@10.0.0.2>;tag=${toTag}`,
    `Call-ID: ${branch}@10.0.0.1`,
    `CSeq: 1 ${method}`,
    'Contact: <sip:alice@10.0.0.1>',
  ].join('\r\n');
  const tail = [
    ...(method === 'INVITE' ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${sdp.length}`,
    '',
    sdp,
  ].join('\r\n');
  const bytes = Buffer.concat([Buffer.from(`${head}\r\n`), needle, Buffer.from(`\r\n${tail}`)]);
  return { bytes, needle };
}

function setup() {
  const n = network('UDP');
  const uas = layer(n.tb, n.clock);
  const txs: Tx[] = [];
  uas.on('request', (tx) => txs.push(tx));
  const raw = n.ta.transports[0];
  if (!raw) throw new Error('no transport');
  const send = (bytes: Buffer) => raw.send(bytes, B);
  return { ...n, uas, txs, send };
}

describe('a completed server transaction', () => {
  it('lets go of the parsed request and response of a non-INVITE request (the TU still holding the transaction)', async () => {
    const { clock, net, uas, txs, send } = setup();
    const { bytes, needle } = marked('OPTIONS', 'z9hG4bK-mem1-7f3a9c2e51');
    await send(bytes);
    await run(clock, 10);
    const tx = txs[0] as Tx;
    // control: while the TU has not answered, the transaction holds its request
    expect(await heapHolds(needle)).toBe(true);
    tx.respond(200, { headers: [['Allow', 'OPTIONS']] });
    expect(tx.request.method).toBe('OPTIONS'); // the responding code may still read it
    await flushMicrotasks();
    expect(tx.state).toBe('completed');
    expect(uas.serverCount).toBe(1);
    expect(await heapHolds(needle)).toBe(false);
    expect(() => tx.request).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    // what it keeps answers a retransmission with the same bytes
    const first = net.log.find((p) => p.from.address === '10.0.0.2')?.data;
    net.log.length = 0;
    await send(bytes);
    await run(clock, 10);
    const again = net.log.filter((p) => p.from.address === '10.0.0.2').map((p) => p.data);
    expect(again).toEqual([first]);
    expect(txs).toHaveLength(1);
    expect([tx.finalStatus, tx.finalSent?.status, tx.finalSent?.getHeader('allow')]).toEqual([
      200,
      200,
      'OPTIONS',
    ]);
    await run(clock, 64 * 500);
    expect(uas.serverCount).toBe(0);
    expect(Object.values(uas._indexSizes()).every((s) => s === 0)).toBe(true);
  });

  it('lets go of them for an INVITE rejected with a non-2xx, in Completed and in Confirmed', async () => {
    const { clock, net, txs, send } = setup();
    const { bytes, needle } = marked('INVITE', 'z9hG4bK-mem2-7f3a9c2e51');
    await send(bytes);
    await run(clock, 10);
    const tx = txs[0] as Tx;
    expect(await heapHolds(needle)).toBe(true);
    tx.respond(486);
    await flushMicrotasks();
    expect(tx.state).toBe('completed');
    expect(await heapHolds(needle)).toBe(false);
    // Timer G still retransmits the 486 from the kept bytes
    net.log.length = 0;
    await run(clock, 500);
    expect(net.log.filter((p) => p.from.address === '10.0.0.2')).toHaveLength(1);
    const ack = Buffer.from(
      [
        'ACK sip:bob@10.0.0.2 SIP/2.0',
        'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-mem2-7f3a9c2e51',
        'Max-Forwards: 70',
        'From: <sip:alice@10.0.0.1>;tag=f1',
        `To: <sip:bob@10.0.0.2>;tag=${tx.localTag}`,
        'Call-ID: z9hG4bK-mem2-7f3a9c2e51@10.0.0.1',
        'CSeq: 1 ACK',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    await send(ack);
    await run(clock, 10);
    expect(tx.state).toBe('confirmed');
    expect(await heapHolds(needle)).toBe(false);
  });

  it('keeps its own copy of the To tag an in-dialog request brought, not a view of the request', async () => {
    const { clock, txs, send } = setup();
    const { bytes, needle } = marked('INFO', 'z9hG4bK-mem4-7f3a9c2e51', 'bob-tag-1f2e3d4c5b6a');
    await send(bytes);
    await run(clock, 10);
    const tx = txs[0] as Tx;
    tx.respond(200);
    await flushMicrotasks();
    expect(tx.localTag).toBe('bob-tag-1f2e3d4c5b6a');
    expect(await heapHolds(needle)).toBe(false);
  });

  it('keeps the INVITE while it is Accepted (the TU may send its 2xx again)', async () => {
    const { clock, txs, send } = setup();
    const { bytes, needle } = marked('INVITE', 'z9hG4bK-mem3-7f3a9c2e51');
    await send(bytes);
    await run(clock, 10);
    const tx = txs[0] as Tx;
    tx.respond(200);
    await flushMicrotasks();
    expect(tx.state).toBe('accepted');
    expect(await heapHolds(needle)).toBe(true);
    expect(tx.respond(200)?.status).toBe(200);
  });

  it('lets go of the INVITE once its 2xx is ACKed, keeping the 2xx as bytes until Timer L', async () => {
    const { clock, txs, send } = setup();
    const branch = 'z9hG4bK-mem4-61d0e2a9b3';
    const { bytes, needle } = marked('INVITE', branch);
    await send(bytes);
    await run(clock, 10);
    const tx = txs[0] as Tx;
    // the response's headers are views of the request: the test keeps only its To tag
    const tag = tx.respond(200, { headers: [['Contact', '<sip:bob@10.0.0.2>']] })?.to.tag;
    expect(tag).toBeDefined();
    await send(
      Buffer.from(
        [
          'ACK sip:bob@10.0.0.2 SIP/2.0',
          'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-mem4-ack',
          'Max-Forwards: 70',
          'From: <sip:alice@10.0.0.1>;tag=f1',
          `To: <sip:bob@10.0.0.2>;tag=${tag}`,
          `Call-ID: ${branch}@10.0.0.1`,
          'CSeq: 1 ACK',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
      ),
    );
    await run(clock, 10);
    await flushMicrotasks();
    expect(tx.state).toBe('accepted');
    expect(await heapHolds(needle)).toBe(false);
    expect(() => tx.request).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    expect([tx.finalStatus, tx.finalSent?.status, tx.finalSent?.to.tag]).toEqual([200, 200, tag]);
    // INVITE retransmissions are still absorbed until Timer L, then it ends
    await send(bytes);
    await run(clock, 10);
    expect(txs).toHaveLength(1);
    await run(clock, 32_000);
    expect(tx.state).toBe('terminated');
  });
});
