import { describe, expect, it } from 'vitest';
import { flushMicrotasks } from '../../../src/core/index.js';
import {
  createResponse,
  type ServerInviteTransaction,
  type ServerNonInviteTransaction,
  type ServerTransaction,
  type SipRequest,
  type SipResponse,
} from '../../../src/sip/index.js';
import { B, inbox, layer, network, rawRequest, responsesSent, run } from './helpers.js';

/** Host A is a bare transport layer (we craft its requests); host B runs a transaction layer. */
function serverSide(protocol: 'UDP' | 'TCP' = 'UDP', options: Parameters<typeof layer>[2] = {}) {
  const n = network(protocol);
  const uas = layer(n.tb, n.clock, options);
  const txs: ServerTransaction[] = [];
  uas.on('request', (tx) => txs.push(tx));
  const client = inbox(n.ta);
  const send = (req: SipRequest) => n.ta.sendRequest(req, n.toB);
  return { ...n, uas, txs, client, send };
}

const statuses = (rs: SipResponse[]) => rs.map((r) => r.status);

describe('server INVITE transaction', () => {
  it('retransmits the final response on a repeated INVITE', async () => {
    const { clock, uas, txs, client, send } = serverSide();
    const invite = rawRequest('INVITE', 'z9hG4bKinv1');
    await send(invite);
    await flushMicrotasks();
    txs[0]!.respond(486);
    await flushMicrotasks();
    await send(invite);
    await flushMicrotasks();
    expect(statuses(client.responses)).toEqual([486, 486]);
    expect(txs).toHaveLength(1);
    uas.close();
    expect(clock.pendingTimers).toBe(0);
  });

  it('sends 100 Trying itself when the TU has not answered within 200 ms', async () => {
    const { clock, net, txs, send } = serverSide();
    await send(rawRequest('INVITE', 'z9hG4bKinv2'));
    await run(clock, 1000);
    expect(responsesSent(net, B).map((s) => [s.at, (s.msg as SipResponse).status])).toEqual([[200, 100]]);
    const trying = responsesSent(net, B)[0]!.msg as SipResponse;
    expect(trying.toTag).toBeUndefined();
    expect(txs[0]!.state).toBe('proceeding');
  });

  it('sends no 100 Trying when the TU sends a provisional response first', async () => {
    const { clock, net, txs, send } = serverSide();
    await send(rawRequest('INVITE', 'z9hG4bKinv3'));
    await run(clock, 50);
    txs[0]!.respond(180);
    await run(clock, 1000);
    expect(responsesSent(net, B).map((s) => (s.msg as SipResponse).status)).toEqual([180]);
  });

  it('sends 100 Trying before the TU sees the INVITE when tryingDelay is 0', async () => {
    const { clock, net, uas, send } = serverSide('UDP', { tryingDelay: 0 });
    let seenBeforeTu = -1;
    uas.removeAllListeners('request');
    uas.on('request', () => {
      seenBeforeTu = responsesSent(net, B).length;
    });
    await send(rawRequest('INVITE', 'z9hG4bKinv4'));
    await run(clock, 10);
    expect(seenBeforeTu).toBe(1);
  });

  it('answers a retransmitted INVITE with the last provisional response, or 100 at once when there is none', async () => {
    const { clock, txs, client, send } = serverSide('UDP', { tryingDelay: 10_000 });
    const invite = rawRequest('INVITE', 'z9hG4bKinv5');
    await send(invite);
    await run(clock, 10);
    await send(invite);
    await run(clock, 10);
    expect(statuses(client.responses)).toEqual([100]);
    txs[0]!.respond(183);
    await run(clock, 10);
    await send(invite);
    await run(clock, 10);
    expect(statuses(client.responses)).toEqual([100, 183, 183]);
    expect(txs).toHaveLength(1);
  });

  it('retransmits a non-2xx final response at T1, 2·T1 … capped at T2 until the ACK, absorbs the ACK, then waits Timer I', async () => {
    const { clock, net, uas, txs, client, send } = serverSide('UDP', {
      tryingDelay: Number.POSITIVE_INFINITY,
    });
    const invite = rawRequest('INVITE', 'z9hG4bKinv6');
    await send(invite);
    await flushMicrotasks();
    const tx = txs[0] as ServerInviteTransaction;
    tx.respond(404);
    const acks: SipRequest[] = [];
    uas.on('ack', (a) => acks.push(a));
    await run(clock, 20_000);
    expect(responsesSent(net, B).map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500]);
    // the ACK: same branch, To tag of the 404
    const ack = rawRequest('ACK', 'z9hG4bKinv6', { toTag: client.responses[0]!.toTag });
    await send(ack);
    await flushMicrotasks();
    expect(tx.state).toBe('confirmed');
    expect(acks).toHaveLength(0);
    await send(ack); // an ACK retransmission, absorbed
    let at: number | undefined;
    tx.on('terminated', () => {
      at = clock.now();
    });
    await run(clock, 30_000);
    expect(responsesSent(net, B)).toHaveLength(8);
    expect(at).toBe(20_000 + 5000);
    expect(uas.serverCount).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('gives up at Timer H = 64·T1 when no ACK arrives', async () => {
    const { clock, net, txs, send } = serverSide('UDP', { tryingDelay: Number.POSITIVE_INFINITY });
    await send(rawRequest('INVITE', 'z9hG4bKinv7'));
    await flushMicrotasks();
    const tx = txs[0]!;
    tx.respond(500);
    let at: number | undefined;
    tx.on('timeout', () => {
      at = clock.now();
    });
    await run(clock, 40_000);
    expect(at).toBe(32_000);
    expect(tx.state).toBe('terminated');
    expect(responsesSent(net, B).at(-1)!.at).toBe(31_500);
  });

  it('over a reliable transport sends the non-2xx once and Timer I is zero', async () => {
    const { clock, net, uas, txs, client, send } = serverSide('TCP', {
      tryingDelay: Number.POSITIVE_INFINITY,
    });
    await send(rawRequest('INVITE', 'z9hG4bKinv8'));
    await flushMicrotasks();
    const tx = txs[0]!;
    tx.respond(486);
    await run(clock, 10_000);
    expect(responsesSent(net, B)).toHaveLength(1);
    const ack = rawRequest('ACK', 'z9hG4bKinv8', { toTag: client.responses[0]!.toTag });
    ack.setHeader('Via', 'SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bKinv8');
    await send(ack);
    await flushMicrotasks();
    expect(tx.state).toBe('terminated');
    expect(uas.serverCount).toBe(0);
  });

  it('retransmits a 2xx at T1, 2·T1 … capped at T2 until the ACK, which is passed up with the transaction (RFC 6026 Accepted)', async () => {
    const { clock, net, uas, txs, client, send } = serverSide('UDP', {
      tryingDelay: Number.POSITIVE_INFINITY,
    });
    const invite = rawRequest('INVITE', 'z9hG4bKinv9');
    await send(invite);
    await flushMicrotasks();
    const tx = txs[0] as ServerInviteTransaction;
    tx.respond(200);
    expect(tx.state).toBe('accepted');
    const acks: Array<[SipRequest, ServerInviteTransaction | undefined]> = [];
    uas.on('ack', (a, _i, t) => acks.push([a, t]));
    await run(clock, 8000);
    expect(responsesSent(net, B).map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500]);
    // the ACK for a 2xx is a new transaction: new branch, the 2xx's To tag
    const ack = rawRequest('ACK', 'z9hG4bKack9', { toTag: client.responses[0]!.toTag });
    await send(ack);
    await flushMicrotasks();
    expect(acks).toHaveLength(1);
    expect(acks[0]![1]).toBe(tx);
    expect(tx.acknowledged).toBe(true);
    // a retransmitted INVITE in Accepted is absorbed
    await send(invite);
    await run(clock, 20_000);
    expect(responsesSent(net, B)).toHaveLength(5);
    expect(txs).toHaveLength(1);
    expect(tx.state).toBe('accepted');
    let at: number | undefined;
    tx.on('terminated', () => {
      at = clock.now();
    });
    await run(clock, 10_000);
    expect(at).toBe(32_000);
    expect(uas._indexSizes()).toEqual({
      clients: 0,
      servers: 0,
      merge: 0,
      byBranch: 0,
      ack2543: 0,
      accepted: 0,
    });
  });

  it('reports a 2xx never acknowledged with timeout when Timer L fires', async () => {
    const { clock, net, txs, send } = serverSide('UDP', { tryingDelay: Number.POSITIVE_INFINITY });
    await send(rawRequest('INVITE', 'z9hG4bKinv10'));
    await flushMicrotasks();
    const tx = txs[0]!;
    tx.respond(200);
    let at: number | undefined;
    tx.on('timeout', () => {
      at = clock.now();
    });
    await run(clock, 40_000);
    expect(at).toBe(32_000);
    expect(responsesSent(net, B).map((s) => s.at / 1000)).toEqual([
      0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5,
    ]);
  });

  it('retransmits a 2xx over a reliable transport too, unless told not to', async () => {
    for (const retransmit2xxOverReliable of [true, false]) {
      const { clock, net, txs, send } = serverSide('TCP', {
        tryingDelay: Number.POSITIVE_INFINITY,
        retransmit2xxOverReliable,
      });
      await send(rawRequest('INVITE', 'z9hG4bKinv11'));
      await flushMicrotasks();
      txs[0]!.respond(200);
      await run(clock, 2000);
      expect(responsesSent(net, B)).toHaveLength(retransmit2xxOverReliable ? 3 : 1);
    }
  });

  it('refuses a response after the final one, but lets the TU resend its 2xx', async () => {
    const { txs, send } = serverSide();
    await send(rawRequest('INVITE', 'z9hG4bKinv12'));
    await flushMicrotasks();
    const tx = txs[0]!;
    tx.respond(200);
    expect(() => tx.respond(486)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    expect(() => tx.respond(200)).not.toThrow();
    // a response built for another request (another branch)
    const other = createResponse(rawRequest('INVITE', 'z9hG4bKother'), 200, { toTag: 'x' });
    expect(() => tx.respond(other)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });

  it('puts one To tag on every response it builds from a status', async () => {
    const { client, txs, send } = serverSide();
    await send(rawRequest('INVITE', 'z9hG4bKinv13'));
    await flushMicrotasks();
    txs[0]!.respond(180);
    txs[0]!.respond(486);
    await flushMicrotasks();
    const tags = client.responses.map((r) => r.toTag);
    expect(tags[0]).toBeDefined();
    expect(tags[1]).toBe(tags[0]);
    expect(txs[0]!.localTag).toBe(tags[0]);
  });
});

describe('server non-INVITE transaction', () => {
  it('absorbs retransmissions in Trying, answers them with the last provisional in Proceeding and the final in Completed', async () => {
    const { clock, txs, client, send } = serverSide();
    const req = rawRequest('MESSAGE', 'z9hG4bKmsg1');
    await send(req);
    await flushMicrotasks();
    await send(req);
    await flushMicrotasks();
    expect(client.responses).toHaveLength(0);
    const tx = txs[0] as ServerNonInviteTransaction;
    expect(tx.state).toBe('trying');
    tx.respond(100);
    await send(req);
    await flushMicrotasks();
    expect(statuses(client.responses)).toEqual([100, 100]);
    tx.respond(202);
    await send(req);
    await run(clock, 10);
    expect(statuses(client.responses)).toEqual([100, 100, 202, 202]);
    expect(txs).toHaveLength(1);
    expect(() => tx.respond(200)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
  });

  it('waits Timer J = 64·T1 over UDP and not at all over a reliable transport', async () => {
    for (const [protocol, j] of [
      ['UDP', 32_000],
      ['TCP', 0],
    ] as const) {
      const { clock, uas, txs, send } = serverSide(protocol);
      const req = rawRequest('OPTIONS', 'z9hG4bKopt1');
      req.setHeader('Via', `SIP/2.0/${protocol} 10.0.0.1:5060;branch=z9hG4bKopt1`);
      await send(req);
      await flushMicrotasks();
      let at: number | undefined;
      txs[0]!.on('terminated', () => {
        at = clock.now();
      });
      txs[0]!.respond(200);
      await run(clock, 40_000);
      expect(at).toBe(j);
      expect(uas.serverCount).toBe(0);
    }
  });

  it('never passes a retransmitted request to the TU', async () => {
    const { clock, txs, send } = serverSide();
    const req = rawRequest('REGISTER', 'z9hG4bKreg1');
    for (let i = 0; i < 5; i++) {
      await send(req);
      await run(clock, 500);
    }
    expect(txs).toHaveLength(1);
  });

  it('answers 500 itself when nobody listens for requests', async () => {
    const { uas, client, send } = serverSide();
    uas.removeAllListeners('request');
    await send(rawRequest('OPTIONS', 'z9hG4bKnobody'));
    await flushMicrotasks();
    expect(statuses(client.responses)).toEqual([500]);
  });
});

describe('transport errors at the server (RFC 3261 §17.2.4)', () => {
  it('a response that cannot be sent terminates the transaction with transportError', async () => {
    const { tb, txs, uas, send } = serverSide();
    await send(rawRequest('OPTIONS', 'z9hG4bKte1'));
    await flushMicrotasks();
    const tx = txs[0]!;
    const errors: string[] = [];
    tx.on('transportError', (e) => errors.push(e.code));
    await tb.transports[0]!.close();
    tx.respond(200);
    await flushMicrotasks();
    expect(errors).toEqual(['ERR_TRANSPORT']);
    expect(tx.state).toBe('terminated');
    expect(uas.serverCount).toBe(0);
  });

  it('an INVITE transaction in Accepted reports the error and stays until Timer L (RFC 6026)', async () => {
    const { clock, tb, txs, send } = serverSide('UDP', { tryingDelay: Number.POSITIVE_INFINITY });
    await send(rawRequest('INVITE', 'z9hG4bKte2'));
    await flushMicrotasks();
    const tx = txs[0]!;
    const errors: string[] = [];
    tx.on('transportError', (e) => errors.push(e.code));
    await tb.transports[0]!.close();
    tx.respond(200);
    await run(clock, 10_000);
    expect(errors).toEqual(['ERR_TRANSPORT']); // the 2xx retransmissions stopped
    expect(tx.state).toBe('accepted');
    await run(clock, 30_000);
    expect(tx.state).toBe('terminated');
  });
});

describe('requests whose identity cannot be read', () => {
  it('get a stateless 400 that echoes only the headers that parse, and no transaction', async () => {
    const { net, tb, uas, txs, send } = serverSide();
    // capture a real inbound path, then hand the layer a request built in code with a broken CSeq
    let inbound: import('../../../src/sip/index.js').InboundInfo | undefined;
    tb.once('request', (_r, i) => {
      inbound = i;
    });
    await send(rawRequest('OPTIONS', 'z9hG4bKok'));
    await flushMicrotasks();
    const broken = rawRequest('OPTIONS', 'z9hG4bKbroken');
    broken.setHeader('Via', 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKbroken');
    broken.setHeader('CSeq', 'not-a-number OPTIONS');
    tb.emit('request', broken, inbound!);
    await flushMicrotasks();
    expect(txs).toHaveLength(1);
    expect(uas.serverCount).toBe(1);
    const out = net.log
      .filter((p) => p.from.address === B.address)
      .map((p) => Buffer.from(p.data).toString());
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^SIP\/2\.0 400 Bad Request \(CSeq/);
    expect(out[0]).toContain('branch=z9hG4bKbroken');
    expect(out[0]).not.toContain('not-a-number');
  });
});
