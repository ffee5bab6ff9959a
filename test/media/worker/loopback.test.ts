/**
 * The media engine for real: two worker threads (started from source through
 * tsx), node:dgram sockets on 127.0.0.1 playing the phones. These tests wait
 * for packets and events with generous deadlines but assert nothing about
 * timing itself.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodec, DtmfGenerator } from '../../../src/media/codecs/index.js';
import { createMediaEngine, type DtmfEvent, type MediaEngine } from '../../../src/media/worker/index.js';
import { bestLag, snrDb, speechLike } from '../codecs/signals.js';
import { isRtcp, OPUS, PCMU, read, rtp, TE, telephoneEvent, ulawFrames } from './helpers.js';

const HOST = '127.0.0.1';
let engine: MediaEngine;
let resourcesBefore: string[];
const sockets: Socket[] = [];

async function udp(): Promise<Socket & { got: Uint8Array[] }> {
  const s = createSocket('udp4') as Socket & { got: Uint8Array[] };
  s.got = [];
  s.on('message', (m) => s.got.push(new Uint8Array(m)));
  await new Promise<void>((r) => s.bind(0, HOST, () => r()));
  sockets.push(s);
  return s;
}

const port = (s: Socket) => s.address().port;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(10);
}

/** Sends `frames` every 20 ms on a drift-free schedule. */
async function stream(send: (i: number) => void, frames: number): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; i < frames; i++) {
    send(i);
    const next = t0 + (i + 1) * 20;
    const wait = next - performance.now();
    if (wait > 0) await sleep(wait);
  }
}

beforeAll(async () => {
  resourcesBefore = process.getActiveResourcesInfo();
  engine = await createMediaEngine({
    workers: 2,
    bindAddress: HOST,
    portRange: { min: 24000, max: 24999 },
    endpointDefaults: { statsIntervalMs: 0 },
  });
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  await engine?.close();
});

describe('media engine on loopback (worker threads)', () => {
  it('relays UDP packets with rewritten SSRC/sequence/timestamp and drops a third address after learning', async () => {
    const pa = await udp();
    const pb = await udp();
    const intruder = await udp();
    const a = await engine.createEndpoint({ codecs: [PCMU, TE], remote: { address: HOST, port: port(pa) } });
    const b = await engine.createEndpoint({
      near: a,
      codecs: [PCMU, TE],
      remote: { address: HOST, port: port(pb) },
    });
    await engine.relay(a, b);
    const payload = new Uint8Array(160).fill(0xff);
    const bad = new Uint8Array(160).fill(0x11);
    for (let i = 0; i < 50; i++) {
      pa.send(rtp(0, 7000 + i, 1000 + 160 * i, 0xa, payload), a.local.rtpPort, HOST);
      pb.send(rtp(0, 100 + i, 9000 + 160 * i, 0xb, payload), b.local.rtpPort, HOST);
      if (i >= 5) intruder.send(rtp(0, 7000 + i, 1000 + 160 * i, 0xa, bad), a.local.rtpPort, HOST);
      await sleep(2);
    }
    const rtpAt = (s: { got: Uint8Array[] }) => s.got.filter((d) => !isRtcp(d)).map(read);
    await until(() => rtpAt(pb).length >= 50 && rtpAt(pa).length >= 50, 5000);
    await sleep(100);
    const atB = rtpAt(pb);
    expect(atB.length).toBe(50);
    expect(atB.every((p) => p.ssrc === b.ssrc && p.payload[0] === 0xff)).toBe(true);
    expect(new Set(atB.map((p, i) => (p.seq - (7000 + i)) & 0xffff)).size).toBe(1);
    expect(new Set(atB.map((p, i) => (p.ts - (1000 + 160 * i)) >>> 0)).size).toBe(1);
    const atA = rtpAt(pa);
    expect(atA.every((p) => p.ssrc === a.ssrc)).toBe(true);
    expect(intruder.got.length).toBe(0);
    const stats = await a.getStats();
    expect(stats.packetsReceived).toBe(50);
    expect(stats.source).toEqual({ address: HOST, port: port(pa) });
  });

  it('transcodes PCMU → Opus with the audio intact (median segment SNR ≥ 4 dB)', async () => {
    const pa = await udp();
    const pb = await udp();
    const a = await engine.createEndpoint({ codecs: [PCMU, TE], remote: { address: HOST, port: port(pa) } });
    const b = await engine.createEndpoint({
      near: a,
      codecs: [OPUS],
      remote: { address: HOST, port: port(pb) },
    });
    await engine.transcode(a, b);
    const speech = speechLike({ seconds: 2, sampleRate: 8000, seed: 5 });
    const frames = ulawFrames(speech);
    await stream(
      (i) => pa.send(rtp(0, i, 160 * i, 0xa, frames[i] as Uint8Array), a.local.rtpPort, HOST),
      frames.length,
    );
    await sleep(300);
    const packets = pb.got.filter((d) => !isRtcp(d)).map(read);
    expect(packets.length).toBeGreaterThan(90);
    // decode in timestamp order (what a receiver's jitter buffer would do)
    packets.sort((x, y) => (x.ts - y.ts) | 0);
    const dec = await createCodec('opus', { sampleRate: 8000 });
    const out = new Int16Array(packets.length * 160 + 960);
    const tmp = new Int16Array(960);
    let o = 0;
    for (const p of packets) {
      const n = dec.decode(p.payload, tmp);
      out.set(tmp.subarray(0, n), o);
      o += n;
    }
    dec.close();
    // real scheduling moves the jitter buffer's delay by whole frames now and then:
    // align each half-second segment on its own and take the median
    const snrs: number[] = [];
    for (let from = 4000; from + 4000 <= speech.length; from += 4000) {
      const lag = bestLag(speech, out, from, from + 4000, 2400);
      let best = Number.NEGATIVE_INFINITY;
      for (let l = Math.max(0, lag - 2); l <= lag + 2; l++)
        best = Math.max(best, snrDb(speech, out, from, from + 4000, l));
      snrs.push(best);
    }
    snrs.sort((x, y) => x - y);
    expect(snrs[snrs.length >> 1]).toBeGreaterThanOrEqual(4);
  });

  it('raises dtmf events for RFC 4733 and for in-band digits', async () => {
    const pa = await udp();
    const pc = await udp();
    const withTe = await engine.createEndpoint({
      codecs: [PCMU, TE],
      remote: { address: HOST, port: port(pa) },
    });
    const inband = await engine.createEndpoint({ codecs: [PCMU], remote: { address: HOST, port: port(pc) } });
    const digits: Array<[string, string]> = [];
    const record = (d: DtmfEvent) => digits.push([d.digit, d.source]);
    withTe.on('dtmf', record);
    inband.on('dtmf', record);
    let seq = 0;
    for (const [dur, end] of [
      [400, false],
      [800, true],
      [800, true],
      [800, true],
    ] as const) {
      pa.send(
        rtp(101, seq++, 4000, 0xa, telephoneEvent(2, end, dur), dur === 400),
        withTe.local.rtpPort,
        HOST,
      );
      await sleep(5);
    }
    const pcm = new Int16Array(4000);
    new DtmfGenerator().generate('8', pcm.subarray(800, 800 + 960));
    const frames = ulawFrames(pcm);
    await stream(
      (i) => pc.send(rtp(0, i, 160 * i, 0xc, frames[i] as Uint8Array), inband.local.rtpPort, HOST),
      frames.length,
    );
    await until(() => digits.length >= 2, 3000);
    expect(digits.sort()).toEqual([
      ['2', 'rfc4733'],
      ['8', 'inband'],
    ]);
  });

  it('fires rtpTimeout when the media stops', async () => {
    const pa = await udp();
    const a = await engine.createEndpoint({
      codecs: [PCMU],
      remote: { address: HOST, port: port(pa) },
      rtpTimeoutMs: 300,
    });
    const timeouts: number[] = [];
    a.on('rtpTimeout', (e) => timeouts.push(e.silentMs));
    for (let i = 0; i < 5; i++) {
      pa.send(rtp(0, i, 160 * i, 0xa, new Uint8Array(160)), a.local.rtpPort, HOST);
      await sleep(20);
    }
    await until(() => timeouts.length > 0, 3000);
    expect(timeouts.length).toBe(1);
    expect(timeouts[0]).toBeGreaterThanOrEqual(300);
  });

  it('ends the sessions of a killed worker and keeps serving new ones', async () => {
    const pa = await udp();
    const pb = await udp();
    const a = await engine.createEndpoint({ codecs: [PCMU], remote: { address: HOST, port: port(pa) } });
    const b = await engine.createEndpoint({
      near: a,
      codecs: [PCMU],
      remote: { address: HOST, port: port(pb) },
    });
    const session = await engine.relay(a, b);
    const ended: string[] = [];
    a.on('ended', (r) => ended.push(`a:${r}`));
    session.on('ended', (r) => ended.push(`session:${r}`));
    const replaced = new Promise<number>((r) => engine.once('workerStarted', r));
    const pending = a.play({ tone: 'ringback' });
    await engine.terminateWorker(a.workerIndex);
    await expect(pending).rejects.toMatchObject({ code: 'ERR_WORKER_DIED' });
    expect(ended.sort()).toEqual(['a:worker-died', 'session:worker-died']);
    expect(await replaced).toBe(a.workerIndex);
    // new calls work, in either worker
    const c = await engine.createEndpoint({ codecs: [PCMU], remote: { address: HOST, port: port(pa) } });
    const d = await engine.createEndpoint({
      near: c,
      codecs: [PCMU],
      remote: { address: HOST, port: port(pb) },
    });
    await engine.relay(c, d);
    pb.got.length = 0;
    for (let i = 0; i < 5; i++) pa.send(rtp(0, i, 160 * i, 0xa, new Uint8Array(160)), c.local.rtpPort, HOST);
    await until(() => pb.got.filter((x) => !isRtcp(x)).length >= 5);
    expect(
      pb.got
        .filter((x) => !isRtcp(x))
        .map(read)
        .every((p) => p.ssrc === d.ssrc),
    ).toBe(true);
    expect((await engine.workerStats()).length).toBe(2);
  }, 30_000);

  it('closing the engine closes every socket and thread (no handle left behind)', async () => {
    for (const s of sockets.splice(0)) s.close();
    await engine.close();
    await sleep(50);
    const after = process.getActiveResourcesInfo();
    const count = (xs: string[]) => {
      const m: Record<string, number> = {};
      for (const x of xs) m[x] = (m[x] ?? 0) + 1;
      return m;
    };
    const before = count(resourcesBefore);
    const now = count(after);
    for (const kind of ['UDPWrap', 'MessagePort', 'Worker']) expect(now[kind] ?? 0).toBe(before[kind] ?? 0);
    expect(engine.closed).toBe(true);
  });
});
