import { describe, expect, it } from 'vitest';
import { flushMicrotasks } from '../../../src/core/index.js';
import {
  createRequest,
  type ServerInviteTransaction,
  type ServerTransaction,
  type SipRequest,
  type SipResponse,
} from '../../../src/sip/index.js';
import { A, B, layer, network, request, requestsSent, responsesSent, run } from './helpers.js';

function twoLayers(protocol: 'UDP' | 'TCP' = 'UDP', latencyMs = 0) {
  const n = network(protocol, latencyMs);
  const uac = layer(n.ta, n.clock, {}, 1);
  const uas = layer(n.tb, n.clock, {}, 2);
  const incoming: ServerTransaction[] = [];
  uas.on('request', (tx) => incoming.push(tx));
  return { ...n, uac, uas, incoming };
}

/** The ACK for a 2xx, as the dialog layer would build it (RFC 3261 §13.2.2.4). */
function ackFor(invite: SipRequest, ok: SipResponse): SipRequest {
  return createRequest({
    method: 'ACK',
    uri: invite.uri,
    from: invite.getHeader('from') as string,
    to: ok.getHeader('to') as string,
    callId: invite.callId,
    cseq: invite.cseq.seq,
  });
}

describe('two transaction layers over the loop network', () => {
  for (const protocol of ['UDP', 'TCP'] as const) {
    it(`complete an INVITE, 180, 200, ACK exchange over ${protocol} and leave nothing behind`, async () => {
      const { clock, net, uac, uas, incoming, toB } = twoLayers(protocol, 20);
      const invite = request('INVITE');
      const tx = uac.sendRequest(invite, toB);
      const seen: number[] = [];
      tx.on('provisional', (r) => seen.push(r.status));
      tx.on('final', (ok) => {
        seen.push(ok.status);
        void uac.sendStateless(ackFor(invite, ok), tx.target);
      });
      const acked: Array<ServerInviteTransaction | undefined> = [];
      uas.on('ack', (_a, _i, t) => acked.push(t));
      await run(clock, 100);
      const stx = incoming[0]!;
      stx.respond(180);
      await run(clock, 100);
      stx.respond(200);
      await run(clock, 100);
      expect(seen).toEqual([180, 200]);
      expect(acked).toEqual([stx]);
      await run(clock, 60_000);
      // nothing retransmitted: the ACK stopped the 2xx, the 1xx stopped the INVITE
      expect(requestsSent(net, 'INVITE')).toHaveLength(1);
      expect(responsesSent(net, B).map((s) => (s.msg as SipResponse).status)).toEqual(
        protocol === 'UDP' ? [180, 200] : [180, 200],
      );
      expect(requestsSent(net, 'ACK', A)).toHaveLength(1);
      expect(uac.clientCount + uas.serverCount).toBe(0);
      expect(clock.pendingTimers).toBe(0);
    });
  }

  it('cancel an INVITE: CANCEL waits for the first provisional, the server answers 200 and 487, the client ACKs the 487', async () => {
    const { clock, net, uac, uas, incoming, toB } = twoLayers('UDP', 10);
    const reasons: string[] = [];
    uas.on('request', (stx) => stx.on('cancelled', (c) => reasons.push(c.getHeader('reason') ?? '')));
    const tx = uac.sendRequest(request('INVITE'), toB);
    if (!tx.isInvite) throw new Error('expected an INVITE transaction');
    const cancelled = tx.cancel({ headers: [['Reason', 'SIP;cause=200;text="elsewhere"']] });
    expect(tx.cancelRequested).toBe(true);
    await run(clock, 300); // INVITE in at 10 ms, the server's automatic 100 Trying out at 210, in at 220
    expect(requestsSent(net, 'CANCEL')).toHaveLength(1);
    expect(requestsSent(net, 'CANCEL')[0]!.at).toBe(220);
    const stx = incoming[0] as ServerInviteTransaction;
    await run(clock, 100);
    expect(reasons).toEqual(['SIP;cause=200;text="elsewhere"']);
    expect((await cancelled)?.status).toBe(200);
    expect((await tx.finalResponse).status).toBe(487);
    const ack = requestsSent(net, 'ACK', A)[0]!.msg as SipRequest;
    expect(ack.topVia?.branch).toBe(tx.branch);
    await run(clock, 60_000);
    expect(stx.state).toBe('terminated');
    expect(uac._indexSizes()).toEqual({
      clients: 0,
      servers: 0,
      merge: 0,
      byBranch: 0,
      ack2543: 0,
      accepted: 0,
    });
    expect(uas._indexSizes()).toEqual({
      clients: 0,
      servers: 0,
      merge: 0,
      byBranch: 0,
      ack2543: 0,
      accepted: 0,
    });
    expect(clock.pendingTimers).toBe(0);
  });

  it('a CANCEL requested before any provisional is not sent when a final response comes first', async () => {
    const { clock, net, uac, uas, toB } = twoLayers('UDP');
    uas.removeAllListeners('request');
    uas.on('request', (stx) => stx.respond(486));
    const tx = uac.sendRequest(request('INVITE'), toB);
    if (!tx.isInvite) throw new Error('expected an INVITE transaction');
    const cancelled = tx.cancel();
    await run(clock, 100);
    expect(await cancelled).toBeUndefined();
    expect((await tx.finalResponse).status).toBe(486);
    expect(requestsSent(net, 'CANCEL')).toHaveLength(0);
    expect(await tx.cancel()).toBeUndefined();
    uac.close();
    uas.close();
  });

  it('an INVITE whose CANCEL gets no final response within 64·T1 times out (RFC 3261 §9.1)', async () => {
    const { clock, net, uac, toB } = twoLayers('UDP');
    const tx = uac.sendRequest(request('INVITE'), toB);
    if (!tx.isInvite) throw new Error('expected an INVITE transaction');
    await run(clock, 300); // 100 Trying from the server's transaction
    // from now on the server side hears nothing
    net.onPacket((p) => p.from.address !== A.address);
    const outcome = tx.cancel();
    let at: number | undefined;
    tx.on('timeout', () => {
      at = clock.now();
    });
    await run(clock, 40_000);
    expect(at).toBe(300 + 32_000);
    expect(await outcome).toBeUndefined();
    await expect(tx.finalResponse).rejects.toMatchObject({ code: 'ERR_TX_TIMEOUT' });
  });

  it('survives loss: retransmissions get the request and the response through', async () => {
    const { clock, net, uac, uas, toB } = twoLayers('UDP');
    uas.removeAllListeners('request');
    let delivered = 0;
    uas.on('request', (stx) => {
      delivered++;
      stx.respond(200);
    });
    // drop the first two copies of the request and the first response
    let requests = 0;
    let responses = 0;
    net.onPacket((p) => {
      const isResponse = p.data[0] === 0x53; // "SIP/2.0 …"
      if (isResponse) return ++responses > 1;
      return ++requests > 2;
    });
    const tx = uac.sendRequest(request('MESSAGE'), toB);
    await run(clock, 10_000);
    expect(delivered).toBe(1);
    expect((await tx.finalResponse).status).toBe(200);
    expect(requestsSent(net, 'MESSAGE').map((s) => s.at)).toEqual([0, 500, 1500, 3500]);
  });
});

describe('close()', () => {
  it('terminates every transaction, cancels every timer, rejects pending outcomes, and is idempotent', async () => {
    const { clock, uac, uas, incoming, toB } = twoLayers('UDP');
    const invite = uac.sendRequest(request('INVITE'), toB);
    const options = uac.sendRequest(request('OPTIONS'), toB);
    const outcomes = [invite.finalResponse.catch((e) => e.code), options.finalResponse.catch((e) => e.code)];
    await run(clock, 10);
    expect(incoming).toHaveLength(2);
    const terminated: string[] = [];
    for (const t of [invite, options]) t.on('terminated', () => terminated.push(t.method));
    for (const t of incoming) t.on('terminated', () => terminated.push(t.method));
    let closes = 0;
    uac.on('close', () => closes++);
    uac.close();
    uas.close();
    uac.close();
    expect(closes).toBe(1);
    expect(await Promise.all(outcomes)).toEqual(['ERR_CLOSED', 'ERR_CLOSED']);
    expect(terminated.sort()).toEqual(['INVITE', 'INVITE', 'OPTIONS', 'OPTIONS']);
    expect(uac.clientCount + uas.serverCount).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    expect(() => uac.sendRequest(request('OPTIONS'), toB)).toThrow(
      expect.objectContaining({ code: 'ERR_CLOSED' }),
    );
    expect(() => incoming[0]!.respond(200)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
  });

  it('stops listening: requests arriving after close create no transaction', async () => {
    const { clock, uas, incoming, ta, toB } = twoLayers('UDP');
    uas.close();
    await ta.sendRequest(
      createRequest({
        method: 'OPTIONS',
        uri: 'sip:b@10.0.0.2',
        from: '<sip:a@10.0.0.1>;tag=1',
        to: '<sip:b@10.0.0.2>',
        callId: 'x',
        cseq: 1,
        via: ['SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKafter'],
      }),
      toB,
    );
    await flushMicrotasks();
    await run(clock, 1000);
    expect(incoming).toHaveLength(0);
    expect(uas.serverCount).toBe(0);
  });
});
