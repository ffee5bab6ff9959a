/**
 * UAC behaviour against a scripted peer on the loop network (fake clock):
 * forking (several early dialogs, the first 2xx wins, later 2xx ACKed and
 * BYEd), ACK re-sent on every 2xx retransmission, CANCEL via AbortSignal and
 * the CANCEL/2xx race, digest challenges answered once, 422 Min-SE,
 * delayed offer.
 */
import { describe, expect, it } from 'vitest';
import {
  createDigestAuthenticator,
  createResponse,
  type LoopTransport,
  parseMessage,
  type SipRequest,
  SipResponseError,
} from '../../../src/sip/index.js';
import { makeNet, media } from './ua-helpers.js';

const SDP_ANSWER = (port: number) =>
  [
    'v=0',
    `o=- 1 1 IN IP4 10.0.0.2`,
    's=-',
    'c=IN IP4 10.0.0.2',
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    'a=rtpmap:0 PCMU/8000',
    '',
  ].join('\r\n');

/** A peer that records requests and lets the test answer them by hand. */
function scriptedPeer(transport: LoopTransport) {
  const requests: SipRequest[] = [];
  const from = transport.local;
  transport.on('message', (data, remote) => {
    const m = parseMessage(data);
    if ('method' in m) requests.push(Object.assign(m as SipRequest, { _remote: remote }));
  });
  const send = (bytes: string, to: { address: string; port: number }) =>
    transport.send(new TextEncoder().encode(bytes), to);
  return {
    requests,
    from,
    reply(
      req: SipRequest,
      status: number,
      options: { toTag?: string; sdp?: string; headers?: Array<[string, string]> } = {},
    ) {
      const res = createResponse(req, status, {
        ...(options.toTag ? { toTag: options.toTag } : {}),
        headers: [['Contact', `<sip:bob@${from.address}:${from.port}>`], ...(options.headers ?? [])],
        ...(options.sdp ? { body: options.sdp, contentType: 'application/sdp' } : {}),
      });
      const v = req.topVia;
      return send(res.toString(), {
        address: v?.received ?? v?.host ?? '',
        port: v?.rport ?? v?.port ?? 5060,
      });
    },
    of: (method: string) => requests.filter((r) => r.method === method),
  };
}

describe('UAC: forking, ACK, CANCEL, challenges', () => {
  it('forked early dialogs: the first 2xx wins, a later 2xx is ACKed and BYEd, retransmitted 2xx re-ACKed', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    const peer = scriptedPeer(n.net.createTransport({ address: '10.0.0.2', port: 5060 }));
    const call = alice.call('sip:bob@10.0.0.2');
    const ringing: string[] = [];
    call.on('ringing', (r) => ringing.push(r.toTag ?? ''));
    await n.run(10);
    const invite = peer.of('INVITE')[0] as SipRequest;
    await peer.reply(invite, 180, { toTag: 'forkA' });
    await peer.reply(invite, 183, { toTag: 'forkB', sdp: SDP_ANSWER(50000) });
    await n.run(10);
    expect(ringing).toEqual(['forkA']);
    expect(alice.dialogCount).toBe(2); // two early dialogs
    await peer.reply(invite, 200, { toTag: 'forkB', sdp: SDP_ANSWER(50000) });
    await n.run(10);
    const session = await call.established;
    expect(session.dialog?.id.remoteTag).toBe('forkB');
    expect(alice.dialogCount).toBe(1);
    expect(session.negotiated?.streams[0]?.remotePort).toBe(50000);
    // the other fork answers too: ACK + BYE for it
    await peer.reply(invite, 200, { toTag: 'forkA', sdp: SDP_ANSWER(50002) });
    await n.run(10);
    const acks = peer.of('ACK');
    expect(acks.map((a) => a.toTag)).toEqual(['forkB', 'forkA']);
    expect(peer.of('BYE').map((b) => b.toTag)).toEqual(['forkA']);
    // a retransmitted 2xx of the winner is ACKed again with the same ACK
    await peer.reply(invite, 200, { toTag: 'forkB', sdp: SDP_ANSWER(50000) });
    await n.run(10);
    expect(peer.of('ACK').map((a) => a.toTag)).toEqual(['forkB', 'forkA', 'forkB']);
    expect(peer.of('ACK')[2]?.via[0]?.branch).toBe(acks[0]?.via[0]?.branch);
    expect(session.state).toBe('established');
    // after Timer M the transaction is gone: a late 2xx (stray) is still re-ACKed
    await n.run(40_000);
    await peer.reply(invite, 200, { toTag: 'forkB', sdp: SDP_ANSWER(50000) });
    await n.run(10);
    expect(peer.of('ACK')).toHaveLength(4);
    for (const bye of peer.of('BYE')) await peer.reply(bye, 200);
    const bye = session.bye();
    await n.run(10);
    const ours = peer.of('BYE').find((b) => b.toTag === 'forkB') as SipRequest;
    expect(ours.cseq.seq).toBe(invite.cseq.seq + 1);
    await peer.reply(ours, 200);
    await n.run(10);
    await bye;
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
  });

  it('abort before an answer sends CANCEL and rejects with ERR_ABORTED carrying the 487', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    const bob = n.ua('10.0.0.2');
    const cancelled: string[] = [];
    bob.on('INVITE', (s) => {
      s.ring();
      s.on('cancelled', () => cancelled.push('cancelled'));
      s.on('ended', (e) => cancelled.push(e.reason));
    });
    const ac = new AbortController();
    const p = alice.invite('sip:bob@10.0.0.2', { signal: ac.signal }).catch((e) => e);
    await n.run(100);
    ac.abort();
    await n.run(100);
    const err = (await p) as SipResponseError;
    expect(err).toBeInstanceOf(SipResponseError);
    expect(err.code).toBe('ERR_ABORTED');
    expect(err.status).toBe(487);
    expect(cancelled).toEqual(['cancelled', 'cancelled']);
    expect(n.trace()).toEqual(['INVITE', '180 INVITE', 'CANCEL', '200 CANCEL', '487 INVITE', 'ACK']);
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
    expect(alice.dialogCount + bob.dialogCount).toBe(0);
  });

  it('a 2xx that crosses the CANCEL is ACKed and BYEd; the promise still rejects with ERR_ABORTED', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    const peer = scriptedPeer(n.net.createTransport({ address: '10.0.0.2', port: 5060 }));
    const ac = new AbortController();
    const p = alice.invite('sip:bob@10.0.0.2', { signal: ac.signal }).catch((e) => e);
    await n.run(10);
    const invite = peer.of('INVITE')[0] as SipRequest;
    await peer.reply(invite, 180, { toTag: 't1' });
    await n.run(10);
    ac.abort();
    await peer.reply(invite, 200, { toTag: 't1', sdp: SDP_ANSWER(50000) }); // already on its way
    await n.run(10);
    const cancel = peer.of('CANCEL')[0] as SipRequest;
    expect(cancel).toBeDefined();
    await peer.reply(cancel, 200);
    await n.run(10);
    expect(peer.of('ACK')).toHaveLength(1);
    expect(peer.of('BYE')).toHaveLength(1);
    const err = (await p) as SipResponseError;
    expect(err.code).toBe('ERR_ABORTED');
    expect(err.status).toBe(200);
    await peer.reply(peer.of('BYE')[0] as SipRequest, 200);
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
  });

  it('a 401 is answered once with the credentials (new branch, same Call-ID, CSeq + 1); a second 401 rejects', async () => {
    const n = makeNet();
    const auth = createDigestAuthenticator({
      realm: '10.0.0.2',
      secret: 'sixteen bytes or more secret!',
      clock: n.clock,
      lookup: (u) => (u === 'alice' ? { password: 'pw' } : undefined),
    });
    const bob = n.ua('10.0.0.2', { auth: { authenticator: auth } });
    bob.on('INVITE', (s) => s.answer());
    const alice = n.ua('10.0.0.1', { credentials: { username: 'alice', password: 'pw' } });
    const p = alice.invite('sip:bob@10.0.0.2');
    await n.run(100);
    const session = await p;
    const invites = n.messages().filter(({ m }) => 'method' in m && (m as SipRequest).method === 'INVITE');
    expect(invites).toHaveLength(2);
    const [first, second] = invites.map(({ m }) => m as SipRequest);
    expect(second?.callId).toBe(first?.callId);
    expect(second?.cseq.seq).toBe((first?.cseq.seq ?? 0) + 1);
    expect(second?.via[0]?.branch).not.toBe(first?.via[0]?.branch);
    expect(second?.authorization).toHaveLength(1);
    expect(session.dialog?.localSeq).toBe(second?.cseq.seq);
    await Promise.all([session.bye(), n.run(100)]);
    // wrong password: the second challenge is final
    const mallory = n.ua('10.0.0.3', {
      credentials: { username: 'alice', password: 'nope', realm: '10.0.0.2' },
    });
    const e = (await Promise.all([mallory.invite('sip:bob@10.0.0.2').catch((x) => x), n.run(100)]))[0];
    expect(e).toBeInstanceOf(SipResponseError);
    expect((e as SipResponseError).status).toBe(401);
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
  });

  it('a 422 is retried once with the Min-SE it names (RFC 4028 §7.4)', async () => {
    const n = makeNet();
    const bob = n.ua('10.0.0.2', { sessionTimers: { minSE: 1200, expires: 1800 } });
    bob.on('INVITE', (s) => s.answer());
    const alice = n.ua('10.0.0.1', { sessionTimers: { expires: 600, minSE: 90 } });
    const [session] = await Promise.all([alice.invite('sip:bob@10.0.0.2'), n.run(100)]);
    const invites = n.messages().filter(({ m }) => 'method' in m && (m as SipRequest).method === 'INVITE');
    expect(n.trace().slice(0, 4)).toEqual(['INVITE', '422 INVITE', 'ACK', 'INVITE']);
    expect((invites[1]?.m as SipRequest | undefined)?.sessionExpires?.delta).toBe(1200);
    expect(session.sessionTimer).toEqual({ interval: 1200, refresher: 'uas' });
    await Promise.all([session.bye(), n.run(100)]);
    await n.closeAll();
  });

  it('delayed offer: an INVITE without SDP gets the offer in the 2xx and answers in the ACK', async () => {
    const n = makeNet();
    const bob = n.ua('10.0.0.2');
    const confirmed: string[] = [];
    bob.on('INVITE', (s) => {
      expect(s.offer).toBeUndefined();
      s.answer(media('10.0.0.2', 42000));
      s.on('confirmed', (ack) =>
        confirmed.push(ack.bodyText.includes('m=audio 40000') ? 'answer in ACK' : 'no answer'),
      );
    });
    const alice = n.ua('10.0.0.1');
    const [session] = await Promise.all([alice.invite('sip:bob@10.0.0.2'), n.run(100)]);
    expect(confirmed).toEqual(['answer in ACK']);
    expect(session.negotiated?.role).toBe('answerer');
    expect(session.negotiated?.streams[0]?.remotePort).toBe(42000);
    const bobSession = [...bob.sessions][0];
    expect(bobSession?.negotiated?.role).toBe('offerer');
    expect(bobSession?.negotiated?.streams[0]?.remotePort).toBe(40000);
    await Promise.all([session.bye(), n.run(100)]);
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
  });

  it('an INVITE nobody answers times out after 64·T1 and rejects with ERR_TX_TIMEOUT', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    const p = alice.invite('sip:nobody@10.0.0.9').catch((e) => e);
    await n.run(32_500);
    expect(((await p) as { code: string }).code).toBe('ERR_TX_TIMEOUT');
    expect(n.trace().filter((t) => t === 'INVITE')).toHaveLength(7);
    await n.closeAll();
  });

  it('a 2xx that arrives after the INVITE timed out is ACKed and BYEd (once), not left answered', async () => {
    // regression: the last retransmission of the INVITE (31.5 s) reached the callee after
    // Timer B; its 200 found no transaction and no session, so nothing ACKed or ended the
    // dialog it made (SIPp's uas then gave up on the call as failed, without a BYE)
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    const peer = scriptedPeer(n.net.createTransport({ address: '10.0.0.2', port: 5060 }));
    const p = alice.invite('sip:bob@10.0.0.2').catch((e) => e);
    await n.run(32_500);
    expect(((await p) as { code: string }).code).toBe('ERR_TX_TIMEOUT');
    expect(alice.sessions.size).toBe(0);
    const invite = peer.of('INVITE').at(-1) as SipRequest;
    await peer.reply(invite, 200, { toTag: 'late', sdp: SDP_ANSWER(50000) });
    await n.run(10);
    expect(peer.of('ACK').map((a) => a.toTag)).toEqual(['late']);
    const byes = peer.of('BYE');
    expect(byes.map((b) => [b.toTag, b.cseq.seq])).toEqual([['late', invite.cseq.seq + 1]]);
    // its retransmission is ACKed again, without a second BYE
    await peer.reply(invite, 200, { toTag: 'late', sdp: SDP_ANSWER(50000) });
    await n.run(10);
    expect(peer.of('ACK')).toHaveLength(2);
    expect(peer.of('ACK')[1]?.via[0]?.branch).toBe(peer.of('ACK')[0]?.via[0]?.branch);
    expect(peer.of('BYE')).toHaveLength(1);
    await peer.reply(byes[0] as SipRequest, 200);
    await n.run(10);
    expect(alice.sessions.size + alice.dialogCount).toBe(0);
    // 64·T1 later the late answers are no longer looked for
    await n.run(32_000);
    await peer.reply(invite, 200, { toTag: 'later', sdp: SDP_ANSWER(50000) });
    await n.run(10);
    expect(peer.of('ACK')).toHaveLength(2);
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
  });
});

describe('UAC: offers it cannot answer', () => {
  it('an offer in the 2xx of a delayed-offer INVITE that cannot be answered gets ACK then BYE', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1', { media: undefined });
    const bob = n.ua('10.0.0.2');
    bob.on('INVITE', (s) => s.answer());
    const [err] = await Promise.all([alice.invite('sip:bob@10.0.0.2').catch((e) => e), n.run(100)]);
    expect(err.code).toBe('ERR_SDP_NEGOTIATION');
    expect(n.trace()).toEqual(['INVITE', '200 INVITE', 'ACK', 'BYE', '200 BYE']);
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
  });
});
