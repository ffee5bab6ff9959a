/**
 * The media side of switch calls: transcoding when the phones share no codec, early
 * media, hold and unhold passed across and followed by the endpoints, the echo and
 * playback applications, and signalling-only mode (SDP untouched, nothing anchored).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type SwitchNet, settings, switchNet } from './helpers.js';

let n: SwitchNet | undefined;
afterEach(async () => {
  await n?.close();
  n = undefined;
});

async function connected(n: SwitchNet, aCodecs = ['PCMU', 'PCMA'], bCodecs = ['PCMU', 'PCMA']) {
  const alice = await n.phone('10.0.0.11', '1001', { codecs: aCodecs });
  const bob = await n.phone('10.0.0.12', '1002', { codecs: bCodecs });
  bob.ua.on('INVITE', (s) => s.answer());
  const [session] = await Promise.all([
    alice.ua.invite('sip:1002@10.0.0.1', { offer: alice.media }),
    n.run(300),
  ]);
  const atBob = bob.incoming[0];
  if (!atBob) throw new Error('bob got no call');
  const call = [...n.sw.calls][0];
  if (!call) throw new Error('no call');
  return { alice, bob, session, atBob, call };
}

describe('switch media', () => {
  it('transcodes PCMU ↔ PCMA when the phones share no codec', async () => {
    n = await switchNet();
    const { alice, bob, session, atBob, call } = await connected(n, ['PCMU'], ['PCMA']);
    expect(session.negotiated?.streams[0]?.codec?.encodingName).toBe('PCMU');
    expect(atBob.negotiated?.streams[0]?.codec?.encodingName).toBe('PCMA');
    expect(call.media?.kind).toBe('transcode');
    await alice.send(session, 25, 0, 0xff);
    await bob.send(atBob, 25, 8, 0xd5);
    await n.run(200);
    // audio came out on the other side in that side's codec
    expect(bob.rtpIn().filter((p) => p.pt === 8).length).toBeGreaterThan(15);
    expect(alice.rtpIn().filter((p) => p.pt === 0).length).toBeGreaterThan(15);
  });

  it('passes early media (183 with SDP) from the callee to the caller through the anchor', async () => {
    n = await switchNet();
    const alice = await n.phone('10.0.0.11', '1001');
    const bob = await n.phone('10.0.0.12', '1002');
    bob.ua.on('INVITE', (s) => s.progress(bob.media));
    const call = alice.ua.call('sip:1002@10.0.0.1', { offer: alice.media });
    const progress: number[] = [];
    call.on('progress', (p) => p.sdp && progress.push(p.response.status));
    await n.run(300);
    expect(progress).toEqual([183]);
    const swCall = [...n.sw.calls][0]!;
    expect(swCall.state).toBe('early');
    expect(swCall.media?.kind).toBe('relay');
    await bob.send(bob.incoming[0]!, 10, 0, 0x33);
    await n.run(50);
    expect(alice.rtpIn().filter((p) => p.payload[0] === 0x33)).toHaveLength(10);
    bob.incoming[0]?.answer();
    await n.run(300);
    await call.established;
    expect(swCall.state).toBe('answered');
  });

  it('hold and unhold from either side reach the other party; media follows', async () => {
    n = await switchNet();
    const { alice, bob, session, atBob, call } = await connected(n);
    const seen: string[] = [];
    atBob.on('hold', () => seen.push('bob sees hold'));
    atBob.on('unhold', () => seen.push('bob sees unhold'));
    session.on('hold', () => seen.push('alice sees hold'));
    session.on('unhold', () => seen.push('alice sees unhold'));
    call.on('hold', (leg) => seen.push(`call hold by ${leg.role}`));
    await Promise.all([session.hold(), n.run(300)]);
    await Promise.all([session.unhold(), n.run(300)]);
    await Promise.all([atBob.hold(), n.run(300)]);
    await Promise.all([atBob.unhold(), n.run(300)]);
    expect(seen).toEqual([
      'call hold by caller',
      'bob sees hold',
      'bob sees unhold',
      'call hold by callee',
      'alice sees hold',
      'alice sees unhold',
    ]);
    // still one relay, still carrying audio
    expect(call.state).toBe('answered');
    await alice.send(session, 5, 0, 0x44);
    await n.run(50);
    expect(bob.rtpIn().filter((p) => p.payload[0] === 0x44)).toHaveLength(5);
  });

  it('echo application: answers and sends the caller its own packets back', async () => {
    n = await switchNet();
    const alice = await n.phone('10.0.0.11', '1001');
    const [session] = await Promise.all([
      alice.ua.invite('sip:9196@10.0.0.1', { offer: alice.media }),
      n.run(300),
    ]);
    const call = [...n.sw.calls][0]!;
    expect(call.media?.kind).toBe('echo');
    await alice.send(session, 20, 0, 0x66);
    await n.run(50);
    const back = alice.rtpIn();
    expect(back.filter((p) => p.payload[0] === 0x66)).toHaveLength(20);
    const stats = await call.callerLeg.endpoint!.getStats();
    expect(stats.packetsReceived).toBe(20);
    expect(stats.packetsSent).toBe(20);
    const ended = call.ended;
    await Promise.all([session.bye(), n.run(200)]);
    expect((await ended).cdr).toMatchObject({ callee: { number: '9196' }, disposition: 'answered' });
  });

  it('playback application: plays the tone for its duration, then hangs up', async () => {
    n = await switchNet();
    const alice = await n.phone('10.0.0.11', '1001');
    const [session] = await Promise.all([
      alice.ua.invite('sip:9197@10.0.0.1', { offer: alice.media }),
      n.run(300),
    ]);
    await n.run(2500);
    const tone = alice.rtpIn().filter((p) => p.pt === 0);
    expect(tone.length).toBeGreaterThanOrEqual(95); // 2 s at 20 ms
    expect(tone.length).toBeLessThanOrEqual(101);
    expect(new Set(tone[10]?.payload).size).toBeGreaterThan(10); // a tone, not silence
    expect(session.state).toBe('terminated');
    expect(session.endedInfo?.reason).toBe('remote-bye');
    const [cdr] = (await n.sw.storage.cdrs.query()).items;
    expect(cdr).toMatchObject({
      disposition: 'answered',
      hangup: { by: 'system', reason: 'playback finished' },
    });
  });

  it('signalling-only mode passes the SDP through untouched and anchors nothing', async () => {
    n = await switchNet({ signallingOnly: true });
    const alice = await n.phone('10.0.0.11', '1001');
    const bob = await n.phone('10.0.0.12', '1002');
    bob.ua.on('INVITE', (s) => s.answer());
    const [session] = await Promise.all([
      alice.ua.invite('sip:1002@10.0.0.1', { offer: alice.media }),
      n.run(300),
    ]);
    const atBob = bob.incoming[0]!;
    expect(atBob.offer).toBe(session.localSdp);
    expect(session.remoteSdp).toBe(atBob.localSdp);
    expect(session.negotiated?.streams[0]?.remoteAddress).toBe('10.0.0.12');
    expect(n.sw.signallingOnly).toBe(true);
    // a re-INVITE (hold) is forwarded as it is
    const holds: string[] = [];
    atBob.on('hold', () => holds.push('hold'));
    await Promise.all([session.hold(), n.run(300)]);
    expect(holds).toEqual(['hold']);
    // applications need media: refused
    const [err] = await Promise.all([
      alice.ua.invite('sip:9196@10.0.0.1', { offer: alice.media }).catch((e) => e),
      n.run(300),
    ]);
    expect(err.status).toBe(488);
  });

  it('hangs up a call whose RTP stopped (rtpTimeoutMs), but not one on hold', async () => {
    const s0 = settings();
    n = await switchNet({ settings: { ...s0, media: { ...s0.media, rtpTimeoutMs: 2000 } } });
    const { alice, bob, session, atBob, call } = await connected(n);
    // on hold nobody needs to send: the call stays up
    await Promise.all([session.hold(), n.run(300)]);
    await n.run(4000);
    expect(call.state).toBe('answered');
    await Promise.all([session.unhold(), n.run(300)]);
    // media flows for a while, then stops
    await Promise.all([alice.send(session, 20), bob.send(atBob, 20)]);
    expect(call.state).toBe('answered');
    const ended = call.ended;
    await n.run(3000);
    const info = await ended;
    expect(info.hangup).toEqual({ by: 'system', reason: 'RTP timeout' });
    expect(session.state).toBe('terminated');
    expect(atBob.state).toBe('terminated');
  });
});
