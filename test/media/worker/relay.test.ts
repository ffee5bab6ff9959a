/**
 * The relay path, end to end through the engine's host API and an in-process
 * worker, over a MemoryNetwork and a FakeClock: nothing here waits for real
 * time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DtmfDetector, DtmfGenerator } from '../../../src/media/codecs/index.js';
import type { DtmfEvent, MediaEndpoint } from '../../../src/media/worker/index.js';
import { parseRtcp, RtcpBye, RtcpSenderReport, type RtcpSourceDescription } from '../../../src/rtp/index.js';
import {
  decodePayloads,
  inProcessEngine,
  PCMA,
  PCMU,
  Phone,
  rtp,
  TE,
  type TestEngine,
  telephoneEvent,
  ulawFrames,
} from './helpers.js';

let t: TestEngine | undefined;
afterEach(async () => {
  await t?.engine.close();
  t = undefined;
});

const SILENCE = new Uint8Array(160).fill(0xff);

async function relayCall(
  aCodecs = [PCMU, TE],
  bCodecs = [PCMU, TE],
  extra: { a?: object; b?: object } = {},
): Promise<{ t: TestEngine; a: MediaEndpoint; b: MediaEndpoint; pa: Phone; pb: Phone }> {
  t = await inProcessEngine();
  const a = await t.engine.createEndpoint({
    codecs: aCodecs,
    remote: { address: '10.0.0.2', port: 4000 },
    ...extra.a,
  });
  const b = await t.engine.createEndpoint({
    near: a,
    codecs: bCodecs,
    remote: { address: '10.0.0.3', port: 5000 },
    ...extra.b,
  });
  await t.engine.relay(a, b);
  return {
    t,
    a,
    b,
    pa: new Phone(t.net, '10.0.0.2', 4000, 0xa1),
    pb: new Phone(t.net, '10.0.0.3', 5000, 0xb1),
  };
}

describe('relay', () => {
  it('forwards every packet both ways with our SSRC and sequence numbers and timestamps shifted by a constant', async () => {
    const { t, a, b, pa, pb } = await relayCall();
    // A sends 40 packets, the network on the way in loses #10 and swaps #20/#21
    const sent: Array<{ seq: number; ts: number }> = [];
    let fromB = 0;
    for (let i = 0; i < 40; i++) {
      const seq = pa.seq;
      const ts = pa.ts;
      if (i === 10) {
        pa.seq++;
        pa.ts += 160;
        continue;
      }
      if (i === 20) {
        pa.seq += 2;
        pa.ts += 320;
        pa.rtpPeer.send(rtp(0, seq + 1, ts + 160, pa.ssrc, SILENCE), a.local.rtpPort, '10.0.0.1');
        pa.rtpPeer.send(rtp(0, seq, ts, pa.ssrc, SILENCE), a.local.rtpPort, '10.0.0.1');
        sent.push({ seq: seq + 1, ts: ts + 160 }, { seq, ts });
        i++;
      } else {
        pa.send(a.local.rtpPort, 0, SILENCE);
        sent.push({ seq, ts });
      }
      pb.send(b.local.rtpPort, 0, SILENCE);
      fromB++;
      await t.clock.advanceAsync(20);
    }
    const atB = pb.rtp();
    expect(atB.length).toBe(sent.length);
    expect(atB.every((p) => p.ssrc === b.ssrc)).toBe(true);
    const dSeq = new Set(atB.map((p, i) => (p.seq - (sent[i] as { seq: number }).seq) & 0xffff));
    const dTs = new Set(atB.map((p, i) => (p.ts - (sent[i] as { ts: number }).ts) >>> 0));
    expect(dSeq.size).toBe(1); // reordering and the gap are carried through unchanged
    expect(dTs.size).toBe(1);
    const atA = pa.rtp();
    expect(atA.length).toBe(fromB);
    expect(atA.every((p) => p.ssrc === a.ssrc)).toBe(true);
    expect(atA.slice(1).every((p, i) => p.seq === (((atA[i] as { seq: number }).seq + 1) & 0xffff))).toBe(
      true,
    );
  });

  it('translates payload types between the legs and drops formats the other leg does not have', async () => {
    const bPcmu = { ...PCMU, payloadType: 0 };
    const bTe = { ...TE, payloadType: 96, receivePayloadType: 97 };
    const { t, a, pa, pb } = await relayCall([PCMU, { ...PCMA, payloadType: 8 }, TE], [bPcmu, bTe]);
    pa.send(a.local.rtpPort, 0, SILENCE);
    pa.send(a.local.rtpPort, 101, telephoneEvent(5, false, 160), { tsStep: 0 });
    pa.send(a.local.rtpPort, 8, SILENCE); // PCMA: B never agreed to it
    pa.send(a.local.rtpPort, 13, new Uint8Array(1)); // CN: not negotiated at all
    await t.clock.advanceAsync(20);
    expect(pb.rtp().map((p) => p.pt)).toEqual([0, 96]);
  });

  it('keeps the output continuous and marked when the sender restarts with a new SSRC', async () => {
    const { t, a, pa, pb } = await relayCall();
    for (let i = 0; i < 5; i++) {
      pa.send(a.local.rtpPort, 0, SILENCE);
      await t.clock.advanceAsync(20);
    }
    pa.ssrc = 0x777;
    pa.seq = 9;
    pa.ts = 123;
    for (let i = 0; i < 5; i++) {
      pa.send(a.local.rtpPort, 0, SILENCE);
      await t.clock.advanceAsync(20);
    }
    const out = pb.rtp();
    expect(out.length).toBe(10);
    expect(out.slice(1).every((p, i) => p.seq === (((out[i] as { seq: number }).seq + 1) & 0xffff))).toBe(
      true,
    );
    expect(out.slice(1).every((p, i) => (p.ts - (out[i] as { ts: number }).ts) >>> 0 === 160)).toBe(true);
    expect(out.map((p) => p.marker)).toEqual([
      true,
      false,
      false,
      false,
      false,
      true,
      false,
      false,
      false,
      false,
    ]);
  });

  it('learns a NATed source after three packets in sequence, answers it there, and drops a third address', async () => {
    const { t, a, b, pb } = await relayCall();
    const learned: Array<{ address: string; port: number }> = [];
    a.on('sourceLearned', (s, rtcp) => {
      if (!rtcp) learned.push(s);
    });
    const nat = new Phone(t.net, '203.0.113.5', 61000, 0xa1);
    const attacker = new Phone(t.net, '198.51.100.66', 6666, 0xbad);
    for (let i = 0; i < 10; i++) {
      nat.send(a.local.rtpPort, 0, SILENCE);
      if (i >= 5) attacker.send(a.local.rtpPort, 0, new Uint8Array(160).fill(0x11));
      pb.send(b.local.rtpPort, 0, SILENCE);
      await t.clock.advanceAsync(20);
    }
    expect(learned).toEqual([{ address: '203.0.113.5', port: 61000 }]);
    const atB = pb.rtp();
    expect(atB.length).toBe(8); // the first two were dropped while learning
    expect(atB.every((p) => p.payload[0] === 0xff)).toBe(true); // nothing of the attacker's
    // symmetric RTP: B's audio goes to where A's really comes from, not to the SDP address
    expect(nat.rtp().length).toBeGreaterThanOrEqual(7);
    const stats = await a.getStats();
    expect(stats.packetsRejected).toBe(2 + 5);
    expect(stats.source).toEqual({ address: '203.0.113.5', port: 61000 });
  });

  it('with symmetric: false sends to the signalled address even when the source is elsewhere', async () => {
    const { t, a, b, pa, pb } = await relayCall([PCMU, TE], [PCMU, TE], { a: { symmetric: false } });
    const nat = new Phone(t.net, '203.0.113.5', 61000, 0xa1);
    for (let i = 0; i < 6; i++) {
      nat.send(a.local.rtpPort, 0, SILENCE);
      pb.send(b.local.rtpPort, 0, SILENCE);
      await t.clock.advanceAsync(20);
    }
    expect(nat.rtp().length).toBe(0);
    expect(pa.rtp().length).toBe(6);
  });

  it('update() with a new offer/answer starts learning again', async () => {
    const { t, a, pa, pb } = await relayCall([PCMU, TE], [PCMU, TE], { a: { learnPackets: 1 } });
    pa.send(a.local.rtpPort, 0, SILENCE);
    await t.clock.advanceAsync(20);
    const moved = new Phone(t.net, '10.0.0.9', 4100, 2);
    moved.send(a.local.rtpPort, 0, SILENCE);
    await t.clock.advanceAsync(20);
    expect(pb.rtp().length).toBe(1);
    await a.update({ remote: { address: '10.0.0.9', port: 4100 } });
    moved.send(a.local.rtpPort, 0, SILENCE);
    await t.clock.advanceAsync(20);
    expect(pb.rtp().length).toBe(2);
    expect(a.config.remote).toEqual({ address: '10.0.0.9', port: 4100 });
  });

  it('passes telephone-event through and raises exactly one dtmf event per digit', async () => {
    const { t, a, pa, pb } = await relayCall();
    const digits: DtmfEvent[] = [];
    a.on('dtmf', (d) => digits.push(d));
    // '7' for 100 ms: start (marker), updates every 20 ms, three end packets, then audio
    for (const [dur, end] of [
      [160, false],
      [320, false],
      [480, false],
      [640, false],
      [800, true],
      [800, true],
      [800, true],
    ] as const) {
      pa.send(a.local.rtpPort, 101, telephoneEvent(7, end, dur), { marker: dur === 160, tsStep: 0 });
      await t.clock.advanceAsync(20);
    }
    pa.ts += 800;
    pa.send(a.local.rtpPort, 0, SILENCE);
    await t.clock.advanceAsync(20);
    expect(digits).toEqual([{ digit: '7', durationMs: 100, source: 'rfc4733' }]);
    expect(pb.rtp().filter((p) => p.pt === 101).length).toBe(7);
  });

  it('turns a telephone-event digit into in-band tones for a relayed leg that has no telephone-event', async () => {
    const { t, a, b, pa, pb } = await relayCall([PCMU, TE], [PCMU]);
    for (let i = 0; i < 5; i++) {
      pa.send(a.local.rtpPort, 0, SILENCE);
      pb.send(b.local.rtpPort, 0, SILENCE);
      await t.clock.advanceAsync(20);
    }
    for (const [dur, end] of [
      [400, false],
      [800, false],
      [1200, true],
      [1200, true],
      [1200, true],
    ] as const) {
      pa.send(a.local.rtpPort, 101, telephoneEvent(9, end, dur), { marker: dur === 400, tsStep: 0 });
      await t.clock.advanceAsync(50);
    }
    for (let i = 0; i < 20; i++) {
      pa.send(a.local.rtpPort, 0, SILENCE);
      await t.clock.advanceAsync(20);
    }
    const heard: string[] = [];
    const det = new DtmfDetector();
    det.on('digit', (e) => heard.push(e.digit));
    det.process(decodePayloads(pb.rtp().map((p) => p.payload)));
    det.flush();
    expect(heard).toEqual(['9']);
  });

  it('hears in-band DTMF on a leg without telephone-event', async () => {
    const { t, a, b, pa } = await relayCall([PCMU], [PCMU]);
    const digits: DtmfEvent[] = [];
    a.on('dtmf', (d) => digits.push(d));
    const gen = new DtmfGenerator();
    const pcm = new Int16Array(8000);
    gen.generate('4', pcm.subarray(800, 800 + 960)); // 120 ms of '4' after 100 ms of silence
    gen.generate('#', pcm.subarray(3200, 3200 + 800)); // 100 ms of '#'
    for (const f of ulawFrames(pcm)) {
      pa.send(a.local.rtpPort, 0, f);
      await t.clock.advanceAsync(20);
    }
    expect(digits.map((d) => [d.digit, d.source])).toEqual([
      ['4', 'inband'],
      ['#', 'inband'],
    ]);
    expect(Math.abs((digits[0] as DtmfEvent).durationMs - 120)).toBeLessThanOrEqual(20);
    expect(b.closed).toBe(false);
  });

  it('fires rtpTimeout once per silence', async () => {
    const { t, a, pa } = await relayCall([PCMU, TE], [PCMU, TE], { a: { rtpTimeoutMs: 1000 } });
    const timeouts: number[] = [];
    a.on('rtpTimeout', (e) => timeouts.push(e.silentMs));
    pa.send(a.local.rtpPort, 0, SILENCE);
    await t.clock.advanceAsync(900);
    expect(timeouts).toEqual([]);
    await t.clock.advanceAsync(400);
    expect(timeouts.length).toBe(1);
    await t.clock.advanceAsync(3000);
    expect(timeouts.length).toBe(1);
    pa.send(a.local.rtpPort, 0, SILENCE);
    await t.clock.advanceAsync(1400);
    expect(timeouts.length).toBe(2);
    expect(timeouts.every((ms) => ms >= 1000 && ms < 1300)).toBe(true);
  });

  it('sends its own RTCP on each leg: SR with a report block about what it received, SDES CNAME, BYE on close', async () => {
    const { t, a, b, pa, pb } = await relayCall([PCMU, TE], [PCMU, TE], { b: { cname: 'leg-b@test' } });
    for (let i = 0; i < 400; i++) {
      pa.send(a.local.rtpPort, 0, SILENCE);
      if (i % 10 !== 3) pb.send(b.local.rtpPort, 0, SILENCE);
      else pb.seq++; // B's sender loses one packet in ten on the way to us
      await t.clock.advanceAsync(20);
    }
    const reports = pb.rtcp().map((d) => parseRtcp(d));
    expect(reports.length).toBeGreaterThanOrEqual(1);
    const sr = reports[reports.length - 1]?.[0];
    expect(sr).toBeInstanceOf(RtcpSenderReport);
    const s = sr as RtcpSenderReport;
    expect(s.ssrc).toBe(b.ssrc);
    expect(s.packetCount).toBeGreaterThan(300);
    expect(s.reports[0]?.ssrc).toBe(pb.ssrc);
    expect(s.reports[0]?.packetsLost).toBeGreaterThan(30);
    const sdes = reports[0]?.[1] as RtcpSourceDescription;
    expect(sdes.cname(b.ssrc)).toBe('leg-b@test');
    await b.close();
    const last = parseRtcp(pb.rtcp().at(-1) as Uint8Array);
    expect(last.some((p) => p instanceof RtcpBye)).toBe(true);
  });

  it('reports loss, jitter and an E-model estimate in stats events', async () => {
    const { t, a, pa } = await relayCall([PCMU, TE], [PCMU, TE], { a: { statsIntervalMs: 2000 } });
    const stats: Array<{ loss: number; mos: number | undefined }> = [];
    a.on('stats', (s) => stats.push({ loss: s.lossPercent, mos: s.quality?.mos }));
    for (let i = 0; i < 200; i++) {
      if (i < 100 || i % 10 !== 0) pa.send(a.local.rtpPort, 0, SILENCE);
      else pa.seq++; // 10% loss in the second half
      await t.clock.advanceAsync(20);
    }
    expect(stats.length).toBe(2);
    expect(stats[0]?.loss).toBe(0);
    expect(stats[1]?.loss).toBeGreaterThan(8);
    expect(stats[1]?.loss).toBeLessThan(12);
    expect(stats[0]?.mos).toBeGreaterThan(4.3);
    expect(stats[1]?.mos).toBeLessThan(stats[0]?.mos as number);
  });
  it('echo sends the packets of a party back to it with the endpoint SSRC, payload intact, and stops when closed', async () => {
    t = await inProcessEngine();
    const a = await t.engine.createEndpoint({
      codecs: [PCMU, TE],
      remote: { address: '10.0.0.2', port: 4000 },
    });
    const pa = new Phone(t.net, '10.0.0.2', 4000, 0xa1);
    await expect(t.engine.relay(a, a)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    const echo = await t.engine.echo(a);
    expect([echo.kind, echo.a, echo.b, a.session]).toEqual(['echo', a, a, echo]);
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 10; i++) {
      const payload = new Uint8Array(160).fill(i + 1);
      sent.push(payload);
      pa.send(a.local.rtpPort, 0, payload);
      await t.clock.advanceAsync(20);
    }
    const back = pa.rtp();
    expect(back.map((p) => p.payload)).toEqual(sent);
    expect(back.every((p) => p.ssrc === a.ssrc && p.pt === 0)).toBe(true);
    expect(back.slice(1).every((p, i) => p.seq === (((back[i] as { seq: number }).seq + 1) & 0xffff))).toBe(
      true,
    );
    await echo.close();
    expect(a.session).toBeUndefined();
    pa.send(a.local.rtpPort, 0, SILENCE);
    await t.clock.advanceAsync(20);
    expect(pa.rtp().length).toBe(back.length);
    // the endpoint can be echoed again, and closing it ends the echo
    const again = await t.engine.echo(a);
    await a.close();
    expect(again.closed).toBe(true);
    expect(t.engine.sessionCount).toBe(0);
  });
});
