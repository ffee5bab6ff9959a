/**
 * Conferences and recordings for real: two worker threads (started from
 * source through tsx), node:dgram phones on 127.0.0.1 sending a tone each in
 * real time. Who hears whom is read off the spectrum of the RTP each phone
 * receives. Deadlines are generous; nothing asserts on timing itself.
 */

import { execFileSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeUlaw, decodeWav, encodeUlaw } from '../../../src/media/codecs/index.js';
import { createMediaEngine, type MediaEndpoint, type MediaEngine } from '../../../src/media/worker/index.js';
import { ensureTool } from '../../helpers/tools.js';
import { goertzelAmplitude, SineSource } from '../helpers/signal.js';
import { isRtcp, PCMU, read, rtp } from './helpers.js';

const HOST = '127.0.0.1';
const AMP = 4000;
let engine: MediaEngine;
const sockets: Socket[] = [];
const dir = mkdtempSync(join(tmpdir(), 'strowger-conf-'));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface UdpPhone {
  name: string;
  freq: number;
  socket: Socket;
  got: Uint8Array[];
  endpoint: MediaEndpoint;
  source: SineSource;
  seq: number;
  talking: boolean;
}

async function udpPhone(name: string, freq: number, near?: MediaEndpoint): Promise<UdpPhone> {
  const socket = createSocket('udp4');
  const got: Uint8Array[] = [];
  socket.on('message', (m) => got.push(new Uint8Array(m)));
  await new Promise<void>((r) => socket.bind(0, HOST, () => r()));
  sockets.push(socket);
  const endpoint = await engine.createEndpoint({
    codecs: [PCMU],
    remote: { address: HOST, port: socket.address().port },
    ...(near ? { near } : {}),
  });
  return {
    name,
    freq,
    socket,
    got,
    endpoint,
    source: new SineSource(freq, AMP, 8000),
    seq: 0,
    talking: true,
  };
}

/** Every phone sends 20 ms of its tone every 20 ms, on a drift-free schedule. */
async function talk(phones: UdpPhone[], frames: number): Promise<void> {
  const pcm = new Int16Array(160);
  const t0 = performance.now();
  for (let i = 0; i < frames; i++) {
    for (const p of phones) {
      if (p.talking) p.source.fill(pcm);
      else pcm.fill(0);
      const payload = new Uint8Array(160);
      encodeUlaw(pcm, payload, 160);
      p.socket.send(rtp(0, p.seq, p.seq * 160, 0x5000 + p.freq, payload), p.endpoint.local.rtpPort, HOST);
      p.seq++;
    }
    const wait = t0 + (i + 1) * 20 - performance.now();
    if (wait > 0) await sleep(wait);
  }
}

/** The last `ms` of what `p` received, decoded. */
function heard(p: UdpPhone, ms: number): Int16Array {
  const packets = p.got.filter((d) => !isRtcp(d)).map(read);
  packets.sort((x, y) => ((x.seq - y.seq) << 16) >> 16);
  const frames = packets.slice(-Math.round(ms / 20));
  const out = new Int16Array(frames.length * 160);
  frames.forEach((f, i) => {
    decodeUlaw(f.payload, out.subarray(i * 160), f.payload.length);
  });
  return out;
}

function hearing(phones: UdpPhone[], ms = 400): Record<string, string[]> {
  const o: Record<string, string[]> = {};
  for (const l of phones) {
    const pcm = heard(l, ms);
    o[l.name] = phones
      .filter((s) => {
        const a = goertzelAmplitude(pcm, s.freq, 8000, 'hann');
        if (a > 0.5 * AMP) return true;
        if (a > 0.05 * AMP) throw new Error(`${l.name} hears ${s.name} partly (${a.toFixed(0)})`);
        return false;
      })
      .map((s) => s.name)
      .sort();
  }
  return o;
}

beforeAll(async () => {
  engine = await createMediaEngine({
    workers: 2,
    bindAddress: HOST,
    portRange: { min: 26000, max: 26999 },
    endpointDefaults: { statsIntervalMs: 0 },
  });
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('conference bridge on loopback (worker threads, UDP)', () => {
  it('a 3-party conference in one worker: everyone hears the other two, never itself; then a listener', async () => {
    const a = await udpPhone('a', 500);
    const b = await udpPhone('b', 800, a.endpoint);
    const c = await udpPhone('c', 1100, a.endpoint);
    const bridge = await engine.createBridge({ worker: a.endpoint.workerIndex });
    for (const p of [a, b, c]) await bridge.add(p.endpoint);
    await talk([a, b, c], 50);
    await sleep(100);
    expect(hearing([a, b, c])).toEqual({ a: ['b', 'c'], b: ['a', 'c'], c: ['a', 'b'] });
    await bridge.update(c.endpoint, { mode: 'listen' });
    await talk([a, b, c], 40);
    await sleep(100);
    expect(hearing([a, b, c])).toEqual({ a: ['b'], b: ['a'], c: ['a', 'b'] });
    await bridge.close();
  });

  it('a bridge split across the two workers: members on both sides hear everyone else', async () => {
    const phones: UdpPhone[] = [];
    for (const [name, f] of [
      ['w', 500],
      ['x', 800],
      ['y', 1100],
      ['z', 1400],
    ] as const) {
      phones.push(await udpPhone(name, f)); // least loaded: they alternate between the workers
    }
    expect(new Set(phones.map((p) => p.endpoint.workerIndex)).size).toBe(2);
    const bridge = await engine.createBridge();
    for (const p of phones) await bridge.add(p.endpoint);
    await talk(phones, 60);
    await sleep(150);
    expect(hearing(phones)).toEqual({
      w: ['x', 'y', 'z'],
      x: ['w', 'y', 'z'],
      y: ['w', 'x', 'z'],
      z: ['w', 'x', 'y'],
    });
    const stats = await bridge.getStats();
    expect(stats.map((s) => s.links.length)).toEqual([1, 1]);
    await bridge.close();
  });

  it('records a call of a known tone pattern: right duration, tones ±40 ms, no gap over 60 ms, sox reads it', async () => {
    const a = await udpPhone('a', 600);
    const b = await udpPhone('b', 900, a.endpoint);
    const session = await engine.relay(a.endpoint, b.endpoint);
    const path = join(dir, 'call.wav');
    const rec = await session.record({ path, maxDurationMs: 2400 });
    // a: 600 Hz 0.6 s, silence 0.4 s, 600 Hz 0.8 s; b: silence 0.3 s, 900 Hz 1.2 s
    const plan = (p: UdpPhone, segs: Array<[boolean, number]>) => {
      const out: boolean[] = [];
      for (const [on, ms] of segs) for (let k = 0; k < ms / 20; k++) out.push(on);
      return { p, out };
    };
    const pa = plan(a, [
      [true, 600],
      [false, 400],
      [true, 800],
      [false, 800],
    ]);
    const pb = plan(b, [
      [false, 300],
      [true, 1200],
      [false, 1100],
    ]);
    const pcm = new Int16Array(160);
    const t0 = performance.now();
    for (let i = 0; i < 130; i++) {
      for (const { p, out } of [pa, pb]) {
        if (out[i]) p.source.fill(pcm);
        else pcm.fill(0);
        const payload = new Uint8Array(160);
        encodeUlaw(pcm, payload, 160);
        p.socket.send(rtp(0, p.seq, p.seq * 160, 0x7000 + p.freq, payload), p.endpoint.local.rtpPort, HOST);
        p.seq++;
      }
      const wait = t0 + (i + 1) * 20 - performance.now();
      if (wait > 0) await sleep(wait);
    }
    const r = await rec.result;
    expect(r).toMatchObject({
      path,
      reason: 'max-duration',
      durationMs: 2400,
      channels: 2,
      droppedFrames: 0,
    });
    expect(existsSync(`${path}.part`)).toBe(false);
    const wav = decodeWav(readFileSync(path));
    expect(wav.samples.length).toBe(2400 * 8 * 2);
    const runsOf = (c: number) => {
      const out: Array<{ on: boolean; ms: number }> = [];
      for (let b = 0; b + 80 <= wav.samples.length / 2; b += 80) {
        let s = 0;
        for (let i = b; i < b + 80; i++) s += (wav.samples[2 * i + c] as number) ** 2;
        const on = Math.sqrt(s / 80) > 1000;
        const last = out.at(-1);
        if (last && last.on === on) last.ms += 10;
        else out.push({ on, ms: 10 });
      }
      return out;
    };
    const left = runsOf(0).filter((x) => x.on);
    const right = runsOf(1).filter((x) => x.on);
    expect(left.map((x) => x.ms).length).toBe(2);
    expect(Math.abs((left[0]?.ms ?? 0) - 600)).toBeLessThanOrEqual(40);
    expect(Math.abs((left[1]?.ms ?? 0) - 800)).toBeLessThanOrEqual(40);
    expect(right.length).toBe(1); // 1.2 s of tone without a gap
    expect(Math.abs((right[0]?.ms ?? 0) - 1200)).toBeLessThanOrEqual(40);
    const sox = ensureTool('sox', 'sox');
    const info = execFileSync(sox, ['--i', path], { encoding: 'utf8' });
    expect(info).toMatch(/Channels\s*:\s*2/);
    expect(info).toMatch(/Sample Rate\s*:\s*8000/);
    expect(info).toMatch(/Duration\s*:\s*00:00:02\.40 = 19200 samples/);
    await session.close();
  });

  it('a killed worker ends its bridges cleanly and the engine keeps serving', async () => {
    const a = await udpPhone('a', 500);
    let b = await udpPhone('b', 800);
    // the least loaded worker gets the next endpoint: one more if the first landed with a
    if (b.endpoint.workerIndex === a.endpoint.workerIndex) b = await udpPhone('b', 800);
    expect(a.endpoint.workerIndex).not.toBe(b.endpoint.workerIndex);
    const bridge = await engine.createBridge({ worker: a.endpoint.workerIndex });
    await bridge.add(a.endpoint);
    await bridge.add(b.endpoint);
    const ended: string[] = [];
    bridge.on('ended', (r) => ended.push(r));
    const playing = bridge.play({ tone: 'dial', region: 'itu' });
    const replaced = new Promise<number>((r) => engine.once('workerStarted', r));
    await engine.terminateWorker(a.endpoint.workerIndex);
    await expect(playing).rejects.toMatchObject({ code: 'ERR_WORKER_DIED' });
    await sleep(50);
    expect(ended).toEqual(['worker-died']);
    expect(a.endpoint.closed).toBe(true);
    expect(b.endpoint.closed).toBe(false);
    expect(b.endpoint.bridge).toBeUndefined();
    expect(await replaced).toBe(a.endpoint.workerIndex);
    // b's worker let it go: it can join a new bridge
    const again = await engine.createBridge({ worker: b.endpoint.workerIndex });
    const c = await udpPhone('c', 1100, b.endpoint);
    await again.add(b.endpoint);
    await again.add(c.endpoint);
    await talk([b, c], 40);
    await sleep(100);
    expect(hearing([b, c])).toEqual({ b: ['c'], c: ['b'] });
    expect(engine.bridgeCount).toBe(1);
  }, 30_000);
});
