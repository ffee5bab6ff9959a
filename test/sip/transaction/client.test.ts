import { describe, expect, it } from 'vitest';
import { flushMicrotasks } from '../../../src/core/index.js';
import { createResponse, type SipRequest, type SipResponse } from '../../../src/sip/index.js';
import { A, B, inbox, layer, network, request, requestsSent, run } from './helpers.js';

const seconds = (xs: number[]) => xs.map((ms) => ms / 1000);

describe('client INVITE transaction', () => {
  it('sends an unanswered INVITE over UDP 7 times at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s and times out at 32 s', async () => {
    const { clock, net, ta, toB } = network('UDP');
    const ua = layer(ta, clock);
    const tx = ua.sendRequest(request('INVITE'), toB);
    let timedOutAt: number | undefined;
    tx.on('timeout', () => {
      timedOutAt = clock.now();
    });
    const outcome = tx.finalResponse.catch((e) => e);
    await run(clock, 40_000);
    expect(seconds(requestsSent(net, 'INVITE').map((s) => s.at))).toEqual([
      0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5,
    ]);
    expect(timedOutAt).toBe(32_000);
    expect((await outcome).code).toBe('ERR_TX_TIMEOUT');
    expect(tx.state).toBe('terminated');
    expect(ua.clientCount).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('retransmits every copy with the same branch and the stamped Via', async () => {
    const { clock, net, ta, toB } = network('UDP');
    const ua = layer(ta, clock);
    const tx = ua.sendRequest(request('INVITE'), toB);
    await run(clock, 2000);
    const copies = requestsSent(net, 'INVITE');
    expect(copies).toHaveLength(3);
    for (const c of copies) {
      expect(c.msg.topVia?.branch).toBe(tx.branch);
      expect(c.msg.topVia?.sentBy).toBe('10.0.0.1:5060');
    }
    expect(tx.branch).toMatch(/^z9hG4bK[A-Za-z0-9]{16}$/);
    ua.close();
  });

  it('derives every timer from the per-instance T1 (t1 = 100 ms: 0, 0.1, 0.3 … 6.3 s and a 6.4 s timeout)', async () => {
    const { clock, net, ta, toB } = network('UDP');
    const ua = layer(ta, clock, { t1: 100 });
    const tx = ua.sendRequest(request('INVITE'), toB);
    let at: number | undefined;
    tx.on('terminated', () => {
      at = clock.now();
    });
    await run(clock, 10_000);
    expect(requestsSent(net, 'INVITE').map((s) => s.at)).toEqual([0, 100, 300, 700, 1500, 3100, 6300]);
    expect(at).toBe(6400);
  });

  it('does not retransmit over a reliable transport and still times out at 64·T1', async () => {
    const { clock, net, ta, toB } = network('TCP');
    const ua = layer(ta, clock);
    const tx = ua.sendRequest(request('INVITE'), toB);
    expect(tx.reliable).toBe(true);
    let at: number | undefined;
    tx.on('timeout', () => {
      at = clock.now();
    });
    await run(clock, 40_000);
    expect(requestsSent(net, 'INVITE').map((s) => s.at)).toEqual([0]);
    expect(at).toBe(32_000);
  });

  it('stops retransmitting on a provisional response and passes it up', async () => {
    const { clock, net, ta, tb, toB } = network('UDP');
    const ua = layer(ta, clock);
    const peer = inbox(tb);
    const tx = ua.sendRequest(request('INVITE'), toB);
    const provisional: number[] = [];
    tx.on('provisional', (r) => provisional.push(r.status));
    await run(clock, 600);
    const [req, inbound] = peer.requests[0]!;
    await tb.sendResponse(createResponse(req, 180, { toTag: 'b1' }), inbound);
    await run(clock, 60_000);
    expect(provisional).toEqual([180]);
    expect(tx.state).toBe('proceeding');
    expect(requestsSent(net, 'INVITE').map((s) => s.at)).toEqual([0, 500]);
    // RFC 3261: no timer in Proceeding for a UAC; the TU decides (CANCEL)
    expect(ua.clientCount).toBe(1);
    ua.close();
  });

  it('ACKs a non-2xx final response itself with the INVITE branch and the response To, and absorbs its retransmissions', async () => {
    const { clock, net, ta, tb, toB } = network('UDP');
    const ua = layer(ta, clock);
    const peer = inbox(tb);
    const invite = request('INVITE');
    invite.appendHeader('Route', '<sip:proxy.example.com;lr>');
    const tx = ua.sendRequest(invite, toB);
    const finals: number[] = [];
    tx.on('final', (r) => finals.push(r.status));
    await flushMicrotasks();
    const [req, inbound] = peer.requests[0]!;
    const busy = createResponse(req, 486, { toTag: 'busy1' });
    await tb.sendResponse(busy, inbound);
    await flushMicrotasks();
    expect(tx.state).toBe('completed');
    expect((await tx.finalResponse).status).toBe(486);
    const acks = requestsSent(net, 'ACK');
    expect(acks).toHaveLength(1);
    const ack = acks[0]!.msg as SipRequest;
    expect(ack.topVia?.branch).toBe(tx.branch);
    expect(ack.via).toHaveLength(1);
    expect(ack.toTag).toBe('busy1');
    expect(ack.fromTag).toBe(invite.fromTag);
    expect(ack.callId).toBe(invite.callId);
    expect(ack.cseq).toEqual({ seq: 1, method: 'ACK' });
    expect(ack.uri.toString()).toBe(invite.uri.toString());
    expect(ack.getHeader('route')).toBe('<sip:proxy.example.com;lr>');
    // the server retransmits the 486: ACK again, not passed up
    await run(clock, 1000);
    await tb.sendResponse(busy, inbound);
    await flushMicrotasks();
    expect(requestsSent(net, 'ACK')).toHaveLength(2);
    expect(finals).toEqual([486]);
    // Timer D = 64·T1 over UDP
    let at: number | undefined;
    tx.on('terminated', () => {
      at = clock.now();
    });
    await run(clock, 40_000);
    expect(at).toBe(32_000);
    expect(ua.clientCount).toBe(0);
  });

  it('Timer D is zero over a reliable transport', async () => {
    const { clock, ta, tb, toB } = network('TCP');
    const ua = layer(ta, clock);
    const peer = inbox(tb);
    const tx = ua.sendRequest(request('INVITE'), toB);
    await flushMicrotasks();
    const [req, inbound] = peer.requests[0]!;
    await tb.sendResponse(createResponse(req, 603, { toTag: 'x' }), inbound);
    await flushMicrotasks();
    expect(tx.state).toBe('terminated');
    expect(ua.clientCount).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('passes a 2xx up, stays Accepted for Timer M passing up retransmitted 2xx, and sends no ACK itself', async () => {
    const { clock, net, ta, tb, toB } = network('UDP');
    const ua = layer(ta, clock);
    const peer = inbox(tb);
    const tx = ua.sendRequest(request('INVITE'), toB);
    const finals: SipResponse[] = [];
    tx.on('final', (r) => finals.push(r));
    let at: number | undefined;
    tx.on('terminated', () => {
      at = clock.now();
    });
    await flushMicrotasks();
    const [req, inbound] = peer.requests[0]!;
    const ok = createResponse(req, 200, { toTag: 'ok1' });
    await tb.sendResponse(ok, inbound);
    await flushMicrotasks();
    expect(tx.state).toBe('accepted');
    await run(clock, 500);
    await tb.sendResponse(ok, inbound);
    // a forked answer from another UAS
    await tb.sendResponse(createResponse(req, 200, { toTag: 'ok2' }), inbound);
    await run(clock, 40_000);
    expect(finals.map((r) => r.toTag)).toEqual(['ok1', 'ok1', 'ok2']);
    expect((await tx.finalResponse).toTag).toBe('ok1');
    expect(requestsSent(net, 'ACK')).toHaveLength(0);
    expect(requestsSent(net, 'INVITE')).toHaveLength(1);
    expect(at).toBe(32_000);
  });

  it('a 2xx arriving after Timer M is a stray response for the dialog layer', async () => {
    const { clock, ta, tb, toB } = network('UDP');
    const ua = layer(ta, clock);
    const stray: SipResponse[] = [];
    ua.on('strayResponse', (r) => stray.push(r));
    const peer = inbox(tb);
    ua.sendRequest(request('INVITE'), toB);
    await flushMicrotasks();
    const [req, inbound] = peer.requests[0]!;
    const ok = createResponse(req, 200, { toTag: 'ok1' });
    await tb.sendResponse(ok, inbound);
    await run(clock, 33_000);
    await tb.sendResponse(ok, inbound);
    await tb.sendResponse(createResponse(req, 486, { toTag: 'late' }), inbound);
    await flushMicrotasks();
    expect(stray.map((r) => r.status)).toEqual([200]);
  });

  it('reports a transport error and terminates when the request cannot be sent', async () => {
    const { clock, ta } = network('UDP');
    const ua = layer(ta, clock);
    const tx = ua.sendRequest(request('INVITE'), { ...B, protocol: 'TLS' });
    const errors: string[] = [];
    tx.on('transportError', (e) => errors.push(e.code));
    const outcome = tx.finalResponse.catch((e) => e);
    await flushMicrotasks();
    expect(errors).toEqual(['ERR_TRANSPORT']);
    expect(tx.state).toBe('terminated');
    expect((await outcome).code).toBe('ERR_TRANSPORT');
    expect(ua.clientCount).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('client non-INVITE transaction', () => {
  it('caps retransmissions at T2: 0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5 … 31.5 s, then times out at 32 s', async () => {
    const { clock, net, ta, toB } = network('UDP');
    const ua = layer(ta, clock);
    const tx = ua.sendRequest(request('OPTIONS'), toB);
    let at: number | undefined;
    tx.on('timeout', () => {
      at = clock.now();
    });
    tx.finalResponse.catch(() => {});
    await run(clock, 40_000);
    expect(seconds(requestsSent(net, 'OPTIONS').map((s) => s.at))).toEqual([
      0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5,
    ]);
    expect(at).toBe(32_000);
    expect(ua.clientCount).toBe(0);
  });

  it('retransmits every T2 once a provisional response has arrived', async () => {
    const { clock, net, ta, tb, toB } = network('UDP');
    const ua = layer(ta, clock);
    const peer = inbox(tb);
    ua.sendRequest(request('REGISTER'), toB).finalResponse.catch(() => {});
    await run(clock, 100);
    const [req, inbound] = peer.requests[0]!;
    await tb.sendResponse(createResponse(req, 100), inbound);
    await run(clock, 16_000);
    // the pending Timer E (0.5 s) fires once more, then every T2
    expect(seconds(requestsSent(net, 'REGISTER').map((s) => s.at))).toEqual([0, 0.5, 4.5, 8.5, 12.5]);
    ua.close();
  });

  it('sends once over a reliable transport and times out at 64·T1', async () => {
    const { clock, net, ta, toB } = network('TCP');
    const ua = layer(ta, clock);
    const tx = ua.sendRequest(request('OPTIONS'), toB);
    tx.finalResponse.catch(() => {});
    await run(clock, 40_000);
    expect(requestsSent(net, 'OPTIONS')).toHaveLength(1);
    expect(tx.state).toBe('terminated');
  });

  it('passes the final response up once and lingers Timer K = T4 over UDP', async () => {
    const { clock, net, ta, tb, toB } = network('UDP');
    const ua = layer(ta, clock);
    const peer = inbox(tb);
    const tx = ua.sendRequest(request('OPTIONS'), toB);
    const finals: number[] = [];
    tx.on('final', (r) => finals.push(r.status));
    let at: number | undefined;
    tx.on('terminated', () => {
      at = clock.now();
    });
    await run(clock, 1000);
    const [req, inbound] = peer.requests[0]!;
    const ok = createResponse(req, 200, { toTag: 't' });
    await tb.sendResponse(ok, inbound);
    await flushMicrotasks();
    expect(tx.state).toBe('completed');
    await tb.sendResponse(ok, inbound);
    await run(clock, 10_000);
    expect(finals).toEqual([200]);
    expect(at).toBe(6000);
    // no retransmission after the final response
    expect(requestsSent(net, 'OPTIONS').map((s) => s.at)).toEqual([0, 500]);
  });

  it('Timer K is zero over a reliable transport', async () => {
    const { clock, ta, tb, toB } = network('TCP');
    const ua = layer(ta, clock);
    const peer = inbox(tb);
    const tx = ua.sendRequest(request('BYE', { toTag: 'x' }), toB);
    await flushMicrotasks();
    const [req, inbound] = peer.requests[0]!;
    await tb.sendResponse(createResponse(req, 200), inbound);
    await flushMicrotasks();
    expect(tx.state).toBe('terminated');
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('sendRequest', () => {
  it('adds a Via with a fresh branch, fills a branch into a Via without one, and keeps an existing branch', async () => {
    const { clock, ta, toB } = network('UDP');
    const ua = layer(ta, clock);
    const a = ua.sendRequest(request('OPTIONS'), toB);
    const b = ua.sendRequest(request('OPTIONS'), toB);
    expect(a.branch).not.toBe(b.branch);
    expect(a.request.via).toHaveLength(1);
    const withVia = request('OPTIONS');
    withVia.prependHeader('Via', 'SIP/2.0/UDP 10.0.0.1:5060');
    const c = ua.sendRequest(withVia, toB);
    expect(c.branch).toMatch(/^z9hG4bK/);
    const kept = request('OPTIONS');
    kept.prependHeader('Via', 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKmine');
    expect(ua.sendRequest(kept, toB).branch).toBe('z9hG4bKmine');
    ua.close();
  });

  it('refuses ACK and a branch in use by a live transaction', () => {
    const { clock, ta, toB } = network('UDP');
    const ua = layer(ta, clock);
    expect(() => ua.sendRequest(request('ACK'), toB)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    const r1 = request('OPTIONS');
    r1.prependHeader('Via', 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKsame');
    ua.sendRequest(r1, toB);
    const r2 = request('OPTIONS');
    r2.prependHeader('Via', 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKsame');
    expect(() => ua.sendRequest(r2, toB)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    ua.close();
  });

  it('sendStateless sends once with a fresh branch (the ACK for a 2xx)', async () => {
    const { clock, net, ta, toB } = network('UDP');
    const ua = layer(ta, clock);
    const ack = request('ACK', { toTag: 'x' });
    await ua.sendStateless(ack, toB);
    await run(clock, 5000);
    const acks = requestsSent(net, 'ACK', A);
    expect(acks).toHaveLength(1);
    expect(acks[0]!.msg.topVia?.branch).toMatch(/^z9hG4bK.{16}$/);
    expect(ua.clientCount).toBe(0);
  });
});

describe('transport errors at the client (RFC 3261 §17.1.4)', () => {
  it('a retransmission that cannot be sent terminates the transaction with transportError', async () => {
    const { clock, net, ta, toB } = network('UDP');
    const ua = layer(ta, clock);
    const tx = ua.sendRequest(request('OPTIONS'), toB);
    const events: string[] = [];
    tx.on('transportError', (e) => events.push(e.code));
    tx.on('timeout', () => events.push('timeout'));
    const outcome = tx.finalResponse.catch((e) => e.code);
    await flushMicrotasks();
    await ta.transports[0]!.close();
    await run(clock, 40_000);
    expect(events).toEqual(['ERR_TRANSPORT']);
    expect(await outcome).toBe('ERR_TRANSPORT');
    expect(requestsSent(net, 'OPTIONS')).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
  });
});
