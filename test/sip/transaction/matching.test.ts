import { describe, expect, it } from 'vitest';
import { flushMicrotasks } from '../../../src/core/index.js';
import {
  createResponse,
  type ServerInviteTransaction,
  type ServerTransaction,
  type SipRequest,
  type SipResponse,
} from '../../../src/sip/index.js';
import { A, B, inbox, layer, network, rawRequest, requestsSent, responsesSent, run } from './helpers.js';

function serverSide(protocol: 'UDP' | 'TCP' = 'UDP') {
  const n = network(protocol);
  const uas = layer(n.tb, n.clock, { tryingDelay: Number.POSITIVE_INFINITY });
  const txs: ServerTransaction[] = [];
  uas.on('request', (tx) => txs.push(tx));
  const client = inbox(n.ta);
  const send = (req: SipRequest) => n.ta.sendRequest(req, n.toB);
  return { ...n, uas, txs, client, send };
}

const byMethod = (rs: SipResponse[]) => rs.map((r) => `${r.status} ${r.cseq.method}`);

describe('CANCEL at the server', () => {
  it('answers the CANCEL 200 and the INVITE 487 with one To tag, and emits cancelled', async () => {
    const { clock, uas, txs, client, send } = serverSide();
    await send(rawRequest('INVITE', 'z9hG4bKc1'));
    await flushMicrotasks();
    const tx = txs[0] as ServerInviteTransaction;
    tx.respond(180);
    const cancelled: SipRequest[] = [];
    tx.on('cancelled', (c) => cancelled.push(c));
    const cancel = rawRequest('CANCEL', 'z9hG4bKc1');
    cancel.appendHeader('Reason', 'SIP;cause=487;text="ORIGINATOR_CANCEL"');
    await send(cancel);
    await flushMicrotasks();
    expect(byMethod(client.responses)).toEqual(['180 INVITE', '200 CANCEL', '487 INVITE']);
    const tags = new Set(client.responses.map((r) => r.toTag));
    expect(tags.size).toBe(1);
    expect(cancelled.map((c) => c.getHeader('reason'))).toEqual(['SIP;cause=487;text="ORIGINATOR_CANCEL"']);
    expect(tx.cancelled).toBe(true);
    expect(tx.state).toBe('completed');
    // the CANCEL never reaches the TU as a request
    expect(txs).toHaveLength(1);
    // a retransmitted CANCEL is answered again by its own transaction
    await send(cancel);
    await flushMicrotasks();
    expect(byMethod(client.responses).filter((s) => s === '200 CANCEL')).toHaveLength(2);
    // the UAC ACKs the 487
    await send(rawRequest('ACK', 'z9hG4bKc1', { toTag: client.responses[2]!.toTag }));
    await run(clock, 40_000);
    expect(uas._indexSizes()).toEqual({
      clients: 0,
      servers: 0,
      merge: 0,
      byBranch: 0,
      ack2543: 0,
      accepted: 0,
    });
  });

  it('answers a CANCEL after the final response 200 without touching the INVITE', async () => {
    const { txs, client, send } = serverSide();
    await send(rawRequest('INVITE', 'z9hG4bKc2'));
    await flushMicrotasks();
    const tx = txs[0] as ServerInviteTransaction;
    tx.respond(200);
    let cancelled = false;
    tx.on('cancelled', () => {
      cancelled = true;
    });
    await send(rawRequest('CANCEL', 'z9hG4bKc2'));
    await flushMicrotasks();
    expect(byMethod(client.responses)).toEqual(['200 INVITE', '200 CANCEL']);
    expect(client.responses[1]!.toTag).toBe(client.responses[0]!.toTag);
    expect(cancelled).toBe(false);
    expect(tx.state).toBe('accepted');
  });

  it('answers 481 to a CANCEL that matches no transaction', async () => {
    const { txs, client, send } = serverSide();
    await send(rawRequest('CANCEL', 'z9hG4bKnothing'));
    await flushMicrotasks();
    expect(byMethod(client.responses)).toEqual(['481 CANCEL']);
    expect(txs).toHaveLength(0);
  });

  it('matches a CANCEL only to the INVITE with the same branch and sent-by', async () => {
    const { txs, client, send } = serverSide();
    await send(rawRequest('INVITE', 'z9hG4bKc3'));
    await flushMicrotasks();
    await send(rawRequest('CANCEL', 'z9hG4bKc3x'));
    await flushMicrotasks();
    expect(byMethod(client.responses)).toEqual(['481 CANCEL']);
    expect(txs[0]!.state).toBe('proceeding');
  });

  it('answers 200 to a CANCEL of a non-INVITE request and leaves it alone', async () => {
    const { txs, client, send } = serverSide();
    await send(rawRequest('OPTIONS', 'z9hG4bKc4'));
    await flushMicrotasks();
    await send(rawRequest('CANCEL', 'z9hG4bKc4'));
    await flushMicrotasks();
    expect(byMethod(client.responses)).toEqual(['200 CANCEL']);
    expect(txs[0]!.state).toBe('trying');
  });
});

describe('merged requests (RFC 3261 §8.2.2.2)', () => {
  it('answers 482 to the same From tag, Call-ID and CSeq on another branch while the first is in progress', async () => {
    const { clock, uas, txs, client, send } = serverSide();
    await send(rawRequest('INVITE', 'z9hG4bKpath1'));
    await flushMicrotasks();
    const forked = rawRequest('INVITE', 'z9hG4bKpath2');
    await send(forked);
    await flushMicrotasks();
    expect(txs).toHaveLength(1);
    expect(byMethod(client.responses)).toEqual(['482 INVITE']);
    // the 482 is an ordinary INVITE transaction: retransmitted, ACKed, gone
    await send(rawRequest('ACK', 'z9hG4bKpath2', { toTag: client.responses[0]!.toTag }));
    await flushMicrotasks();
    // once the first transaction is over, the same identity is a new request again
    txs[0]!.respond(486);
    await send(rawRequest('ACK', 'z9hG4bKpath1', { toTag: client.responses.at(-1)!.toTag }));
    await run(clock, 10_000);
    expect(uas.serverCount).toBe(0);
    await send(rawRequest('INVITE', 'z9hG4bKpath3'));
    await flushMicrotasks();
    expect(txs).toHaveLength(2);
  });

  it('does not treat a request with a To tag as merged', async () => {
    const { txs, send } = serverSide();
    await send(rawRequest('BYE', 'z9hG4bKb1', { toTag: 't' }));
    await send(rawRequest('BYE', 'z9hG4bKb2', { toTag: 't' }));
    await flushMicrotasks();
    expect(txs).toHaveLength(2);
  });
});

describe('RFC 2543 requests (no magic cookie)', () => {
  it('matches retransmissions on Request-URI, tags, Call-ID, CSeq and top Via', async () => {
    const { txs, client, send } = serverSide();
    const invite = rawRequest('INVITE', '2543branch');
    await send(invite);
    await flushMicrotasks();
    txs[0]!.respond(404);
    await send(invite);
    await flushMicrotasks();
    expect(txs).toHaveLength(1);
    expect(byMethod(client.responses)).toEqual(['404 INVITE', '404 INVITE']);
    // another Request-URI is another transaction
    await send(rawRequest('INVITE', '2543branch', { uri: 'sip:carol@10.0.0.2', cseq: 2 }));
    await flushMicrotasks();
    expect(txs).toHaveLength(2);
  });

  it('matches the ACK for a non-2xx by the To tag of the response and absorbs it', async () => {
    const { clock, uas, txs, client, send } = serverSide();
    await send(rawRequest('INVITE', undefined, { callId: 'old' }));
    await flushMicrotasks();
    const tx = txs[0] as ServerInviteTransaction;
    tx.respond(486);
    await flushMicrotasks();
    const acks: SipRequest[] = [];
    uas.on('ack', (a) => acks.push(a));
    // wrong To tag: not this transaction's ACK, passed up
    await send(rawRequest('ACK', undefined, { callId: 'old', toTag: 'wrong' }));
    await flushMicrotasks();
    expect(tx.state).toBe('completed');
    expect(acks).toHaveLength(1);
    await send(rawRequest('ACK', undefined, { callId: 'old', toTag: client.responses[0]!.toTag }));
    await flushMicrotasks();
    expect(tx.state).toBe('confirmed');
    expect(acks).toHaveLength(1);
    await run(clock, 10_000);
    expect(uas._indexSizes().ack2543).toBe(0);
  });

  it('matches a CANCEL to the INVITE with the same identity', async () => {
    const { txs, client, send } = serverSide();
    await send(rawRequest('INVITE', undefined, { callId: 'old2' }));
    await flushMicrotasks();
    await send(rawRequest('CANCEL', undefined, { callId: 'old2' }));
    await flushMicrotasks();
    expect(byMethod(client.responses)).toEqual(['200 CANCEL', '487 INVITE']);
    expect((txs[0] as ServerInviteTransaction).cancelled).toBe(true);
  });
});

describe('requests that cannot form a transaction', () => {
  it('answers a Via branch that is only the magic cookie with a stateless 400', async () => {
    const { uas, txs, client, send } = serverSide();
    await send(rawRequest('OPTIONS', 'z9hG4bK'));
    await flushMicrotasks();
    expect(txs).toHaveLength(0);
    expect(client.responses.map((r) => r.status)).toEqual([400]);
    expect(client.responses[0]!.reason).toMatch(/branch/);
    expect(uas.serverCount).toBe(0);
    // never for an ACK
    await send(rawRequest('ACK', 'z9hG4bK'));
    await flushMicrotasks();
    expect(client.responses).toHaveLength(1);
  });
});

describe('responses matching no client transaction', () => {
  it('passes a stray 2xx to INVITE up and drops the others', async () => {
    const { clock, ta, tb, toB } = network('UDP');
    const uac = layer(ta, clock);
    const stray: SipResponse[] = [];
    uac.on('strayResponse', (r) => stray.push(r));
    const peer = inbox(tb);
    // a request sent by the bare transport: no transaction knows its branch
    await ta.sendRequest(rawRequest('INVITE', 'z9hG4bKunknown'), toB);
    await flushMicrotasks();
    const [req, inbound] = peer.requests[0]!;
    for (const status of [180, 200, 486])
      await tb.sendResponse(createResponse(req, status, { toTag: 't' }), inbound);
    await flushMicrotasks();
    expect(stray.map((r) => r.status)).toEqual([200]);
  });

  it('routes a response by branch and CSeq method: the CANCEL 200 goes to the CANCEL transaction', async () => {
    const { clock, net, ta, tb, toB } = network('UDP');
    const uac = layer(ta, clock);
    const peer = inbox(tb);
    const invite = uac.sendRequest(rawRequest('INVITE', undefined), toB);
    await flushMicrotasks();
    const [req, inbound] = peer.requests[0]!;
    await tb.sendResponse(createResponse(req, 180, { toTag: 't' }), inbound);
    await flushMicrotasks();
    if (!invite.isInvite) throw new Error('expected an INVITE transaction');
    const cancelOutcome = invite.cancel();
    await flushMicrotasks();
    const [cancelReq, cancelInbound] = peer.requests[1]!;
    expect(cancelReq.method).toBe('CANCEL');
    await tb.sendResponse(createResponse(cancelReq, 200, { toTag: 't' }), cancelInbound);
    await flushMicrotasks();
    expect((await cancelOutcome)?.cseq.method).toBe('CANCEL');
    expect(invite.state).toBe('proceeding');
    expect(requestsSent(net, 'CANCEL', A)).toHaveLength(1);
    expect(responsesSent(net, B)).toHaveLength(2);
    uac.close();
  });
});
