/**
 * Inside the dialog, on the loop network with a fake clock: 2xx
 * retransmission and BYE at 64·T1 without ACK, re-INVITE and hold/unhold,
 * glare (491 and the RFC 3261 §14.1 retry windows), reliable provisionals
 * (RFC 3262), session timers (RFC 4028), INFO and DTMF.
 */
import { describe, expect, it } from 'vitest';
import type { InviteSession, SipRequest, SipResponse } from '../../../src/sip/index.js';
import { makeNet, media } from './ua-helpers.js';

async function connected(n: ReturnType<typeof makeNet>, aliceOpts = {}, bobOpts = {}) {
  const alice = n.ua('10.0.0.1', aliceOpts);
  const bob = n.ua('10.0.0.2', bobOpts);
  let incoming: InviteSession | undefined;
  bob.on('INVITE', (s) => {
    incoming = s;
    s.answer();
  });
  const [session] = await Promise.all([alice.invite('sip:bob@10.0.0.2'), n.run(50)]);
  return { alice, bob, a: session, b: incoming as InviteSession };
}

const sent = (n: ReturnType<typeof makeNet>, what: string) =>
  n
    .messages()
    .filter(({ m }) =>
      'method' in m
        ? (m as SipRequest).method === what
        : `${(m as SipResponse).status} ${(m as SipResponse).cseq.method}` === what,
    )
    .map(({ p, m }) => ({ at: p.at, m }));

describe('ACK for 2xx', () => {
  it('the UAS retransmits its 2xx (T1, 2·T1 … T2) until 64·T1, then sends BYE and ends with no-ack', async () => {
    const n = makeNet({ latencyMs: 0 });
    const alice = n.ua('10.0.0.1');
    const bob = n.ua('10.0.0.2');
    // drop every ACK
    n.net.onPacket((p) => !new TextDecoder().decode(p.data).startsWith('ACK'));
    const ended: string[] = [];
    bob.on('INVITE', (s) => {
      s.on('ended', (e) => ended.push(e.reason));
      s.answer();
    });
    const call = alice.call('sip:bob@10.0.0.2');
    await n.run(40_000);
    const oks = sent(n, '200 INVITE').map((x) => x.at);
    // 0, 500, 1500, 3500, 7500, 11500, … 31500 (T2 = 4 s), then Timer L at 32 s
    expect(oks.slice(0, 6)).toEqual([0, 500, 1500, 3500, 7500, 11500]);
    expect(oks.at(-1)).toBe(31500);
    const byes = sent(n, 'BYE');
    expect(byes.map((b) => b.at)).toEqual([32000]);
    expect(ended).toEqual(['no-ack']);
    expect((await call.established).state).toBe('terminated'); // Alice saw the 200, then the BYE
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
  });
});

describe('re-INVITE, hold and glare', () => {
  it('hold and unhold: the peer sees hold/unhold and modified; our side keeps localHold', async () => {
    const n = makeNet();
    const { a, b } = await connected(n);
    const events: string[] = [];
    b.on('hold', () => events.push('hold'));
    b.on('unhold', () => events.push('unhold'));
    b.on('modified', (m) => events.push(`modified ${m.method}`));
    await Promise.all([a.hold(), n.run(50)]);
    expect(a.localHold).toBe(true);
    expect(b.remoteHold).toBe(true);
    expect(b.negotiated?.streams[0]?.direction).toBe('recvonly');
    expect(a.negotiated?.streams[0]?.direction).toBe('sendonly');
    await Promise.all([a.unhold(), n.run(50)]);
    expect(events).toEqual(['modified INVITE', 'hold', 'modified INVITE', 'unhold']);
    expect(a.localDescription?.origin.sessionVersion).not.toBe(
      b.remoteDescription?.origin.sessionVersion === '0' ? '' : '0',
    );
    await Promise.all([a.bye(), n.run(50)]);
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
  });

  it('glare: both re-INVITE at once, both get 491, each retries inside its §14.1 window and both succeed', async () => {
    const n = makeNet({ latencyMs: 20 });
    const { a, b } = await connected(n);
    const t0 = n.clock.now();
    const pa = a.reinvite();
    const pb = b.reinvite();
    await n.run(10_000);
    const [ra, rb] = await Promise.all([pa, pb]);
    expect(ra.status).toBe(200);
    expect(rb.status).toBe(200);
    const invites = sent(n, 'INVITE').filter((x) => x.at >= t0);
    expect(sent(n, '491 INVITE').filter((x) => x.at >= t0)).toHaveLength(2);
    const byAlice = invites.filter((x) => (x.m as SipRequest).fromTag === a.dialog?.id.localTag);
    const byBob = invites.filter((x) => (x.m as SipRequest).fromTag === b.dialog?.id.localTag);
    expect(byAlice).toHaveLength(2);
    expect(byBob).toHaveLength(2);
    // Alice owns the Call-ID: 2.1-4 s after her 491; Bob: 0-2 s after his
    const aliceGap = (byAlice[1]?.at ?? 0) - (byAlice[0]?.at ?? 0) - 40;
    const bobGap = (byBob[1]?.at ?? 0) - (byBob[0]?.at ?? 0) - 40;
    expect(aliceGap).toBeGreaterThanOrEqual(2100);
    expect(aliceGap).toBeLessThanOrEqual(4000);
    expect(bobGap).toBeGreaterThanOrEqual(0);
    expect(bobGap).toBeLessThanOrEqual(2000);
    await Promise.all([a.bye(), n.run(100)]);
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
  });

  it('UPDATE with an offer while our own offer is pending gets 491 (RFC 3311 §5.2)', async () => {
    const n = makeNet({ latencyMs: 20 });
    const { a, b } = await connected(n);
    const pa = a.update(a.localSdp);
    const pb = b.update(b.localSdp);
    await n.run(10_000);
    expect((await pa).status).toBe(200);
    expect((await pb).status).toBe(200);
    expect(n.trace().filter((t) => t === '491 UPDATE')).toHaveLength(2);
    await Promise.all([a.bye(), n.run(100)]);
    await n.closeAll();
  });

  it('a re-INVITE the peer cannot answer (488) leaves the session as it was', async () => {
    const n = makeNet();
    const { a, b } = await connected(n);
    const before = a.negotiated;
    b.setOfferHandler(() => {
      throw new Error('no');
    });
    const err = await Promise.all([a.reinvite().catch((e) => e), n.run(50)]).then(([e]) => e);
    expect(err.status).toBe(500);
    expect(a.state).toBe('established');
    expect(a.negotiated).toBe(before);
    await Promise.all([a.bye(), n.run(100)]);
    await n.closeAll();
  });
});

describe('reliable provisional responses (RFC 3262)', () => {
  it('a 183 with early media is sent reliably, retransmitted T1, 2·T1 … until the PRACK; the 200 waits for it', async () => {
    const n = makeNet({ latencyMs: 0 });
    const alice = n.ua('10.0.0.1');
    const bob = n.ua('10.0.0.2');
    let dropPracks = 3;
    n.net.onPacket((p) => {
      if (new TextDecoder().decode(p.data).startsWith('PRACK') && dropPracks > 0) {
        dropPracks--;
        return false;
      }
      return true;
    });
    bob.on('INVITE', (s) => {
      s.progress(media('10.0.0.2', 41000));
      s.answer();
    });
    const call = alice.call('sip:bob@10.0.0.2');
    const progress: boolean[] = [];
    call.on('progress', (p) => progress.push(p.reliable));
    await n.run(10_000);
    const session = await call.established;
    const p183 = sent(n, '183 INVITE');
    // sent at 0, then T1 = 500, 1500, 3500 … while PRACKs are lost (the UAC PRACK retransmits on its own)
    expect(p183[0]?.m.getHeader('Require')).toBe('100rel');
    expect(p183[0]?.m.getHeader('RSeq')).toBeDefined();
    expect(progress).toEqual([true]); // retransmissions are not passed up again
    const prackOk = sent(n, '200 PRACK')[0]?.at ?? 0;
    const ok = sent(n, '200 INVITE')[0]?.at ?? 0;
    expect(ok).toBeGreaterThanOrEqual(prackOk);
    expect(p183.every((x) => x.at <= prackOk)).toBe(true);
    // the answer came in the reliable 183: the 200 carries no SDP and the session uses it
    expect(sent(n, '200 INVITE')[0]?.m.body.length).toBe(0);
    expect(session.negotiated?.streams[0]?.remotePort).toBe(41000);
    await Promise.all([session.bye(), n.run(100)]);
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
  });

  it('the reliable provisional is retransmitted at T1 doubling and without a PRACK the INVITE fails after 64·T1', async () => {
    const n = makeNet({ latencyMs: 0 });
    const alice = n.ua('10.0.0.1');
    const bob = n.ua('10.0.0.2');
    n.net.onPacket((p) => !new TextDecoder().decode(p.data).startsWith('PRACK'));
    const ended: string[] = [];
    bob.on('INVITE', (s) => {
      s.on('ended', (e) => ended.push(`${e.reason} ${e.status}`));
      s.progress(media('10.0.0.2', 41000));
    });
    const p = alice.invite('sip:bob@10.0.0.2').catch((e) => e);
    await n.run(40_000);
    const times = sent(n, '183 INVITE').map((x) => x.at);
    expect(times).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(sent(n, '500 INVITE').map((x) => x.at)).toEqual([32000]);
    expect(ended).toEqual(['error 500']);
    expect(((await p) as { status: number }).status).toBe(500);
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
  });
});

describe('session timers (RFC 4028)', () => {
  it('the refresher refreshes at half the interval; when refreshes stop the other side sends BYE at expiry', async () => {
    const n = makeNet();
    const { a, b } = await connected(
      n,
      { sessionTimers: { expires: 120, minSE: 90 } },
      { sessionTimers: { expires: 120, minSE: 90 } },
    );
    expect(b.sessionTimer).toEqual({ interval: 120, refresher: 'uas' });
    expect(a.sessionTimer).toEqual({ interval: 120, refresher: 'uas' });
    const answeredAt = sent(n, '200 INVITE')[0]?.at ?? 0;
    await n.run(61_000);
    // Bob (uas) refreshes with UPDATE (Alice allows it) exactly half the interval after his 200
    const updates = sent(n, 'UPDATE');
    expect(updates.map((u) => u.at - answeredAt)).toEqual([60_000]);
    expect(a.state).toBe('established');
    // Bob stops refreshing (his UA goes silent); Alice ends the session at expiry: 120 - min(32, 40) = 88 s after the last refresh
    const lastRefresh = updates[0]?.at ?? 0;
    n.net.onPacket((p) => p.from.address !== '10.0.0.2');
    await n.run(100_000);
    // Alice's BYE (retransmissions share its branch; Bob's own packets never arrive)
    const byes = sent(n, 'BYE').filter((x) => (x.m as SipRequest).fromTag === a.dialog?.id.localTag);
    expect(new Set(byes.map((x) => x.m.via[0]?.branch)).size).toBe(1);
    expect(Math.abs((byes[0]?.at ?? 0) - lastRefresh - 88_000)).toBeLessThanOrEqual(20);
    expect(a.endedInfo?.reason).toBe('session-expired');
    await n.closeAll();
  });

  it('an INVITE with a Session-Expires below our Min-SE gets 422 with Min-SE', async () => {
    const n = makeNet();
    const bob = n.ua('10.0.0.2', { sessionTimers: { minSE: 300 } });
    bob.on('INVITE', (s) => s.answer());
    const alice = n.ua('10.0.0.1', { sessionTimers: { expires: 100, minSE: 90 } });
    const [s] = await Promise.all([alice.invite('sip:bob@10.0.0.2'), n.run(100)]);
    const r422 = sent(n, '422 INVITE')[0]?.m as SipResponse;
    expect(r422.minSE).toBe(300);
    expect(s.sessionTimer?.interval).toBe(300);
    await Promise.all([s.bye(), n.run(100)]);
    await n.closeAll();
  });
});

describe('INFO, DTMF and MESSAGE', () => {
  it('INFO application/dtmf-relay arrives as dtmf and info; other INFO as info; MESSAGE in the dialog reaches the UA handler', async () => {
    const n = makeNet();
    const { a, b } = await connected(n);
    const got: string[] = [];
    b.on('dtmf', (d) => got.push(`dtmf ${d.digit} ${d.duration}`));
    b.on('info', (i) => got.push(`info ${i.contentType}`));
    const [r] = await Promise.all([a.sendDtmf('5', 160), n.run(50)]);
    expect(r.status).toBe(200);
    await Promise.all([a.info('<xml/>', 'application/media_control+xml'), n.run(50)]);
    expect(got).toEqual(['dtmf 5 160', 'info application/dtmf-relay', 'info application/media_control+xml']);
    const messages: string[] = [];
    b.ua.on('MESSAGE', (m) => {
      messages.push(`${m.body} ${m.request.toTag === b.dialog?.id.localTag}`);
      m.respond(200);
    });
    const [mr] = await Promise.all([a.message('in the dialog'), n.run(50)]);
    expect(mr.status).toBe(200);
    expect(messages).toEqual(['in the dialog true']);
    await Promise.all([b.bye(), n.run(50)]);
    expect(a.endedInfo?.reason).toBe('remote-bye');
    await n.closeAll();
  });
});

describe('early dialog requests', () => {
  it('UPDATE changes the session in the early dialog after the reliable 183 (RFC 3311), then the call is answered', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    const bob = n.ua('10.0.0.2');
    let incoming: InviteSession | undefined;
    bob.on('INVITE', (s) => {
      incoming = s;
      s.progress(media('10.0.0.2', 41000));
    });
    const call = alice.call('sip:bob@10.0.0.2', { offer: media('10.0.0.1', 40000) });
    await n.run(100);
    expect(call.state).toBe('early');
    const modified: string[] = [];
    incoming?.on('modified', (m) => modified.push(m.method));
    const [res] = await Promise.all([call.update(media('10.0.0.1', 40100)), n.run(100)]);
    expect(res.status).toBe(200);
    expect(modified).toEqual(['UPDATE']);
    expect(incoming?.negotiated?.streams[0]?.remotePort).toBe(40100);
    incoming?.answer();
    await n.run(100);
    const session = await call.established;
    expect(session.negotiated?.streams[0]?.remotePort).toBe(41000);
    await Promise.all([session.bye(), n.run(100)]);
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
  });
});

describe('CANCEL races', () => {
  it('an abort before any response waits for the provisional, then CANCELs (RFC 3261 §9.1)', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    const bob = n.ua('10.0.0.2');
    bob.on('INVITE', () => undefined); // silent: only the automatic 100 Trying after 200 ms
    const ac = new AbortController();
    const p = alice.invite('sip:bob@10.0.0.2', { signal: ac.signal }).catch((e) => e);
    ac.abort();
    await n.run(1000);
    expect(((await p) as { code: string }).code).toBe('ERR_ABORTED');
    expect(n.trace()).toEqual(['INVITE', '100 INVITE', 'CANCEL', '200 CANCEL', '487 INVITE', 'ACK']);
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
  });

  it('a CANCEL that arrives after the answer gets 200 and changes nothing', async () => {
    const n = makeNet({ latencyMs: 50 });
    const alice = n.ua('10.0.0.1');
    const bob = n.ua('10.0.0.2');
    let incoming: InviteSession | undefined;
    bob.on('INVITE', (s) => {
      incoming = s;
      s.ring();
      n.clock.setTimeout(() => s.answer(), 100);
    });
    const ac = new AbortController();
    const call = alice.call('sip:bob@10.0.0.2', { signal: ac.signal });
    await n.run(160); // the 180 arrived, the 200 is on its way
    ac.abort();
    await n.run(500);
    expect(n.trace()).toContain('200 INVITE');
    expect(n.trace()).toContain('200 CANCEL');
    expect(n.trace()).not.toContain('487 INVITE');
    // the 2xx crossed the CANCEL: Alice ACKs and hangs up
    expect(((await call.established.catch((e) => e)) as { code: string }).code).toBe('ERR_ABORTED');
    expect(incoming?.endedInfo?.reason).toBe('remote-bye');
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
  });
});
