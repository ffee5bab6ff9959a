/**
 * The host API: lifecycle, errors, placement, worker death, DTMF sending,
 * players, SDP glue — with in-process workers over a MemoryNetwork and a
 * FakeClock (the same runtime and message protocol as worker threads).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DtmfDetector } from '../../../src/media/codecs/index.js';
import { type EndReason, endpointOptionsFromStream } from '../../../src/media/worker/index.js';
import { createAnswer, createOffer, negotiatedSession } from '../../../src/sdp/index.js';
import { goertzelAmplitude } from '../helpers/signal.js';
import {
  decodePayloads,
  ENGINE_ADDRESS,
  inProcessEngine,
  PCMA,
  PCMU,
  Phone,
  TE,
  type TestEngine,
} from './helpers.js';

let t: TestEngine | undefined;
afterEach(async () => {
  await t?.engine.close();
  t = undefined;
});

const SILENCE = new Uint8Array(160).fill(0xff);

function endings(target: {
  on(e: 'ended', l: (r: EndReason) => void): unknown;
  on(e: 'close', l: () => void): unknown;
}) {
  const log: string[] = [];
  target.on('ended', (r) => log.push(`ended:${r}`));
  target.on('close', () => log.push('close'));
  return log;
}

async function pair(te = { a: [PCMU, TE], b: [PCMU, TE] }) {
  t ??= await inProcessEngine();
  const a = await t.engine.createEndpoint({ codecs: te.a, remote: { address: '10.0.0.2', port: 4000 } });
  const b = await t.engine.createEndpoint({
    near: a,
    codecs: te.b,
    remote: { address: '10.0.0.3', port: 5000 },
  });
  return { a, b };
}

describe('media engine lifecycle', () => {
  it('endpoint.close() is idempotent, ends once with "closed", frees the port and sockets', async () => {
    t = await inProcessEngine();
    const ep = await t.engine.createEndpoint({ codecs: [PCMU] });
    expect(ep.local.address).toBe(ENGINE_ADDRESS);
    expect(ep.local.rtpPort % 2).toBe(0);
    expect(ep.local.rtcpPort).toBe(ep.local.rtpPort + 1);
    expect(t.net.boundCount).toBe(2);
    const log = endings(ep);
    const p1 = ep.close();
    const p2 = ep.close();
    expect(ep.closed).toBe(true);
    await Promise.all([p1, p2]);
    await ep.close();
    expect(log).toEqual(['ended:closed', 'close']);
    expect(t.net.boundCount).toBe(0);
    expect(t.engine.portsInUse).toBe(0);
    expect(t.engine.endpointCount).toBe(0);
    await expect(ep.getStats()).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    await expect(ep.play({ tone: 'busy' })).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    await expect(ep.update({ ptime: 40 })).rejects.toMatchObject({ code: 'ERR_CLOSED' });
  });

  it('closing an endpoint ends its session and leaves the other leg open and reusable', async () => {
    const { a, b } = await pair();
    const s = await t!.engine.relay(a, b);
    const slog = endings(s);
    await a.close();
    expect(slog).toEqual(['ended:endpoint-closed', 'close']);
    expect(s.closed).toBe(true);
    expect(b.closed).toBe(false);
    expect(b.session).toBeUndefined();
    const c = await t!.engine.createEndpoint({
      near: b,
      codecs: [PCMU, TE],
      remote: { address: '10.0.0.4', port: 6000 },
    });
    await t!.engine.relay(b, c);
    expect(t!.engine.sessionCount).toBe(1);
  });

  it('session.close() stops the relay and keeps both endpoints', async () => {
    const { a, b } = await pair();
    const pa = new Phone(t!.net, '10.0.0.2', 4000);
    const pb = new Phone(t!.net, '10.0.0.3', 5000);
    const s = await t!.engine.relay(a, b);
    pa.send(a.local.rtpPort, 0, SILENCE);
    await t!.clock.advanceAsync(20);
    await s.close();
    await s.close();
    pa.send(a.local.rtpPort, 0, SILENCE);
    await t!.clock.advanceAsync(20);
    expect(pb.rtp().length).toBe(1);
    expect(a.closed || b.closed).toBe(false);
    expect((await a.getStats()).packetsReceived).toBe(2);
  });

  it('engine.close() ends everything with "engine-closed", closes every socket, and is idempotent', async () => {
    const { a, b } = await pair();
    const s = await t!.engine.relay(a, b);
    const logs = [endings(a), endings(b), endings(s)];
    const engineClosed: number[] = [];
    t!.engine.on('close', () => engineClosed.push(1));
    await Promise.all([t!.engine.close(), t!.engine.close()]);
    expect(logs[0]).toEqual(['ended:engine-closed', 'close']);
    expect(logs[1]).toEqual(['ended:engine-closed', 'close']);
    expect(logs[2]).toEqual(['ended:engine-closed', 'close']);
    expect(engineClosed).toEqual([1]);
    expect(t!.net.boundCount).toBe(0);
    expect(t!.clock.pendingTimers).toBe(0); // no tick, no timer left behind
    await expect(t!.engine.createEndpoint({})).rejects.toMatchObject({ code: 'ERR_CLOSED' });
  });
});

describe('media engine errors and placement', () => {
  it('rejects bad options with ERR_INVALID_ARGUMENT before they reach a worker', async () => {
    t = await inProcessEngine();
    const e = t.engine;
    const bad = [
      { codecs: [{ encodingName: 'PCMU', clockRate: 8000, payloadType: 200 }] },
      { codecs: [{ encodingName: '', clockRate: 8000, payloadType: 0 }] },
      { remote: { address: 'pbx.example.com', port: 4000 } },
      { remote: { address: '10.0.0.2', port: 70000 } },
      { ptime: 30 },
      { learnPackets: 0 },
      { dtmfDetect: 'loud' as 'auto' },
      { rtpTimeoutMs: -1 },
    ];
    for (const options of bad) {
      await expect(e.createEndpoint(options)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    }
    expect(e.portsInUse).toBe(0);
    const ep = await e.createEndpoint({ codecs: [PCMU] });
    await expect(ep.update({ remote: { address: '::1', port: -5 } })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(ep.sendDtmf('12x')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(ep.sendDtmf('1', { mode: 'rfc4733' })).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    await expect(ep.play({ tone: 'no-such-tone' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  it('relay() needs the same codec on both legs; connect() transcodes when they differ', async () => {
    const { a, b } = await pair({ a: [PCMU], b: [PCMA] });
    await expect(t!.engine.relay(a, b)).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    expect(a.session).toBeUndefined();
    const s = await t!.engine.connect(a, b);
    expect(s.kind).toBe('transcode');
    await expect(t!.engine.transcode(a, b)).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    await s.close();
    const { a: c, b: d } = await pair({ a: [PCMU, TE], b: [PCMU] });
    expect((await t!.engine.connect(c, d)).kind).toBe('relay');
  });

  it('refuses to connect endpoints of different workers; `near` places a leg with its peer', async () => {
    t = await inProcessEngine({ workers: 2 });
    const a = await t.engine.createEndpoint({ codecs: [PCMU] });
    const b = await t.engine.createEndpoint({ codecs: [PCMU] }); // least loaded: the other worker
    expect(a.workerIndex).not.toBe(b.workerIndex);
    await expect(t.engine.relay(a, b)).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    const c = await t.engine.createEndpoint({ codecs: [PCMU], near: a });
    expect(c.workerIndex).toBe(a.workerIndex);
    const s = await t.engine.relay(a, c);
    const d = await t.engine.createEndpoint({ codecs: [PCMU], near: s });
    expect(d.workerIndex).toBe(a.workerIndex);
    const stats = await t.engine.workerStats();
    expect(stats.map((w) => [w.index, w.endpoints, w.sessions])).toEqual([
      [0, 3, 1],
      [1, 1, 0],
    ]);
  });

  it('rejects a codec change that would break a relay, and accepts one that keeps it', async () => {
    const { a, b } = await pair();
    await t!.engine.relay(a, b);
    await expect(a.update({ codecs: [PCMA] })).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    await a.update({
      codecs: [
        { ...PCMU, payloadType: 0 },
        { ...TE, payloadType: 96 },
      ],
    });
    expect(a.config.codecs[1]?.payloadType).toBe(96);
  });
});

describe('media worker death', () => {
  for (const how of ['terminate', 'crash'] as const) {
    it(`a worker that dies (${how}) rejects its pending requests, ends its endpoints and sessions, and is replaced`, async () => {
      t = await inProcessEngine({ workers: 2 });
      const e = t.engine;
      const a = await e.createEndpoint({ codecs: [PCMU], remote: { address: '10.0.0.2', port: 4000 } });
      const b = await e.createEndpoint({ codecs: [PCMU], near: a });
      const other = await e.createEndpoint({
        codecs: [PCMU, TE],
        remote: { address: '10.0.0.5', port: 4000 },
      });
      const otherPeer = await e.createEndpoint({
        codecs: [PCMU, TE],
        near: other,
        remote: { address: '10.0.0.6', port: 4000 },
      });
      await e.relay(other, otherPeer);
      expect(other.workerIndex).not.toBe(a.workerIndex);
      const s = await e.relay(a, b);
      const logs = [endings(a), endings(b), endings(s)];
      const died: Array<[number, string]> = [];
      const started: number[] = [];
      e.on('workerDied', (i, err) => died.push([i, err.code]));
      e.on('workerStarted', (i) => started.push(i));
      const pending = a.play({ tone: 'ringback' }); // never ends by itself
      await t.clock.advanceAsync(100);
      if (how === 'terminate') await e.terminateWorker(a.workerIndex);
      else await e.crashWorker(a.workerIndex);
      await expect(pending).rejects.toMatchObject({ code: 'ERR_WORKER_DIED' });
      await t.clock.advanceAsync(0);
      expect(died).toEqual([[a.workerIndex, 'ERR_WORKER_DIED']]);
      for (const log of logs) expect(log).toEqual(['ended:worker-died', 'close']);
      expect(a.closed && b.closed && s.closed).toBe(true);
      expect(started).toEqual([a.workerIndex]);
      expect(e.endpointCount).toBe(2);
      expect(e.portsInUse).toBe(2);
      // the replacement serves new endpoints; the other worker's call never noticed
      const c = await e.createEndpoint({ codecs: [PCMU] });
      const d = await e.createEndpoint({ codecs: [PCMU], near: c });
      await e.relay(c, d);
      const po = new Phone(t.net, '10.0.0.5', 4000);
      const pp = new Phone(t.net, '10.0.0.6', 4000);
      po.send(other.local.rtpPort, 0, SILENCE);
      await t.clock.advanceAsync(20);
      expect(pp.rtp().length).toBe(1);
      expect((await e.workerStats()).length).toBe(2);
    });
  }
});

describe('sending DTMF and playing audio', () => {
  it('sends RFC 4733 digits: marked start, growing durations, three end packets, one timestamp per digit', async () => {
    const { a } = await pair();
    const pa = new Phone(t!.net, '10.0.0.2', 4000);
    const sending = a.sendDtmf('1#', { durationMs: 120, gapMs: 60 });
    for (let i = 0; i < 40 && pa.rtp().length < 12; i++) await t!.clock.advanceAsync(20);
    await t!.clock.advanceAsync(400);
    expect(await sending).toEqual({ sent: 2, mode: 'rfc4733' });
    const te = pa.rtp().filter((p) => p.pt === 101);
    const byTs = new Map<number, typeof te>();
    for (const p of te) byTs.set(p.ts, [...(byTs.get(p.ts) ?? []), p]);
    expect([...byTs.values()].map((ps) => ps[0]?.payload[0])).toEqual([1, 11]);
    for (const ps of byTs.values()) {
      expect(ps[0]?.marker).toBe(true);
      expect(ps.slice(1).every((p) => !p.marker)).toBe(true);
      const ends = ps.filter((p) => ((p.payload[1] as number) & 0x80) !== 0);
      expect(ends.length).toBe(3);
      const durations = ps.map((p) => ((p.payload[2] as number) << 8) | (p.payload[3] as number));
      expect(durations.every((d, i) => i === 0 || d >= (durations[i - 1] as number))).toBe(true);
      expect(Math.abs((durations.at(-1) as number) - 960)).toBeLessThanOrEqual(160);
    }
    const seqs = te.map((p) => p.seq);
    expect(seqs.slice(1).every((s, i) => s === (((seqs[i] as number) + 1) & 0xffff))).toBe(true);
  });

  it('sends in-band DTMF tones where telephone-event was not negotiated', async () => {
    const { a } = await pair({ a: [PCMU], b: [PCMU] });
    const pa = new Phone(t!.net, '10.0.0.2', 4000);
    const sending = a.sendDtmf('05*', { durationMs: 80, gapMs: 80 });
    await t!.clock.advanceAsync(1000);
    expect(await sending).toEqual({ sent: 3, mode: 'inband' });
    const heard: string[] = [];
    const det = new DtmfDetector();
    det.on('digit', (e) => heard.push(e.digit));
    det.process(decodePayloads(pa.rtp().map((p) => p.payload)));
    det.flush();
    expect(heard).toEqual(['0', '5', '*']);
  });

  it('plays a tone for its duration, replacing the relayed audio meanwhile', async () => {
    const { a, b } = await pair();
    await t!.engine.relay(a, b);
    const pa = new Phone(t!.net, '10.0.0.2', 4000);
    const pb = new Phone(t!.net, '10.0.0.3', 5000);
    const playing = a.play({ tone: 'busy', region: 'us', durationMs: 400 });
    for (let i = 0; i < 40; i++) {
      pb.send(b.local.rtpPort, 0, SILENCE); // what B says is held back while A hears the tone
      await t!.clock.advanceAsync(20);
    }
    expect(await playing).toEqual({ completed: true, reason: 'completed', playedMs: 400 });
    const got = pa.rtp();
    const pcm = decodePayloads(got.map((p) => p.payload));
    const tone = pcm.subarray(400, 3200); // inside the 400 ms tone (US busy: 480 + 620 Hz, on 500 ms)
    expect(goertzelAmplitude(tone, 480, 8000, 'hann')).toBeGreaterThan(300);
    expect(goertzelAmplitude(tone, 620, 8000, 'hann')).toBeGreaterThan(300);
    expect(goertzelAmplitude(tone, 1000, 8000, 'hann')).toBeLessThan(30);
    // after the tone the relay takes over again, the sequence numbers carry on
    expect(got.slice(1).every((p, i) => p.seq === (((got[i] as { seq: number }).seq + 1) & 0xffff))).toBe(
      true,
    );
    const after = got.slice(-10);
    expect(after.every((p) => p.payload.every((x) => x === 0xff))).toBe(true);
  });

  it('stopPlay() ends a play with reason "stopped"; a new play replaces the old one ("replaced")', async () => {
    const { a } = await pair();
    const first = a.play({ tone: 'ringback', region: 'uk' });
    await t!.clock.advanceAsync(100);
    const second = a.play({ pcm: new Int16Array(16000).fill(1000), sampleRate: 16000 });
    await t!.clock.advanceAsync(100);
    expect(await first).toMatchObject({ completed: false, reason: 'replaced' });
    await a.stopPlay();
    expect(await second).toMatchObject({ completed: false, reason: 'stopped' });
    const third = a.play({ pcm: new Int16Array(800).fill(1000), sampleRate: 8000 });
    await t!.clock.advanceAsync(200);
    expect(await third).toEqual({ completed: true, reason: 'completed', playedMs: 100 });
  });

  it('takes its codecs and remote address from an SDP offer/answer', async () => {
    t = await inProcessEngine();
    const ep = await t.engine.createEndpoint({});
    const offer = createOffer({
      address: '10.0.0.7',
      media: [
        {
          port: 7000,
          codecs: [
            { encodingName: 'opus', clockRate: 48000, channels: 2 },
            { encodingName: 'PCMU', clockRate: 8000 },
          ],
          telephoneEvent: true,
        },
      ],
    });
    const answer = createAnswer(offer, {
      address: ep.local.address,
      media: [
        { port: ep.local.rtpPort, codecs: [{ encodingName: 'PCMU', clockRate: 8000 }], telephoneEvent: true },
      ],
    });
    const stream = negotiatedSession(offer, answer, 'answerer').streams[0];
    if (!stream) throw new Error('no stream');
    const options = endpointOptionsFromStream(stream);
    await ep.update(options);
    expect(ep.config.remote).toMatchObject({ address: '10.0.0.7', port: 7000 });
    expect(ep.config.codecs.map((c) => c.encodingName)).toEqual(['PCMU', 'telephone-event']);
    const phone = new Phone(t.net, '10.0.0.7', 7000);
    const sent = ep.sendDtmf('9');
    await t.clock.advanceAsync(600);
    await sent;
    expect(phone.rtp().some((p) => p.pt === 101)).toBe(true);
  });
});
