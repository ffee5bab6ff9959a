/**
 * Recording legs, calls and bridges to WAV files: in-process workers over a
 * MemoryNetwork and a FakeClock (the media is deterministic), real files in
 * a temporary directory (written asynchronously by the worker). The files
 * are read back with the project's WAV reader and with `sox --i`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { decodeWav, encodeUlaw } from '../../../src/media/codecs/index.js';
import type { MediaEndpoint, RecordingResult } from '../../../src/media/worker/index.js';
import { ensureTool } from '../../helpers/tools.js';
import { goertzelAmplitude, SineSource } from '../helpers/signal.js';
import { conferencePhone, run } from './conference-helpers.js';
import { inProcessEngine, PCMA, PCMU, Phone, type TestEngine } from './helpers.js';

let t: TestEngine | undefined;
const dir = mkdtempSync(join(tmpdir(), 'strowger-rec-'));
let n = 0;
const file = (name: string) => join(dir, `${++n}-${name}.wav`);
afterEach(async () => {
  await t?.engine.close();
  t = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const realTurn = () => new Promise((r) => setTimeout(r, 1));

/** A leg with a phone that can send a tone pattern in µ-law (or A-law). */
async function leg(address: string, codecs = [PCMU], near?: MediaEndpoint) {
  t ??= await inProcessEngine();
  const ep = await t.engine.createEndpoint({
    codecs,
    remote: { address, port: 4000 },
    ...(near ? { near } : {}),
  });
  return { ep, phone: new Phone(t.net, address, 4000) };
}

/** A pattern: [freq or 0, ms] segments, sent one 20 ms frame per tick. */
class PatternSender {
  readonly #frames: Uint8Array[] = [];
  #i = 0;
  constructor(pattern: Array<[number, number]>, law: 'ulaw' | 'alaw' = 'ulaw') {
    for (const [freq, ms] of pattern) {
      const src = new SineSource(freq, 5000, 8000);
      for (let k = 0; k < ms / 20; k++) {
        const pcm = new Int16Array(160);
        if (freq > 0) src.fill(pcm);
        const f = new Uint8Array(160);
        if (law === 'ulaw') encodeUlaw(pcm, f, 160);
        else for (let i = 0; i < 160; i++) f[i] = 0xd5; // A-law silence (pattern tests use µ-law)
        this.#frames.push(f);
      }
    }
  }
  get ticks(): number {
    return this.#frames.length;
  }
  sendNext(phone: Phone, port: number): boolean {
    const f = this.#frames[this.#i++];
    if (!f) return false;
    phone.send(port, 0, f);
    return true;
  }
}

async function ticks(count: number, each: () => void = () => {}): Promise<void> {
  for (let i = 0; i < count; i++) {
    each();
    await t?.clock.advanceAsync(20);
    if (i % 10 === 9) await realTurn(); // let the worker's file writes run
  }
}

/** On/off runs of a signal in 10 ms blocks (on: RMS above 1000). */
function runs(pcm: Int16Array, rate: number): Array<{ on: boolean; ms: number }> {
  const block = rate / 100;
  const out: Array<{ on: boolean; ms: number }> = [];
  for (let b = 0; b + block <= pcm.length; b += block) {
    let s = 0;
    for (let i = b; i < b + block; i++) s += (pcm[i] as number) ** 2;
    const on = Math.sqrt(s / block) > 1000;
    const last = out.at(-1);
    if (last && last.on === on) last.ms += 10;
    else out.push({ on, ms: 10 });
  }
  return out;
}

function channel(samples: Int16Array, channels: number, c: number): Int16Array {
  const out = new Int16Array(samples.length / channels);
  for (let i = 0; i < out.length; i++) out[i] = samples[i * channels + c] as number;
  return out;
}

function soxInfo(path: string): { rate: number; channels: number; seconds: number } {
  const sox = ensureTool('sox', 'sox');
  const out = execFileSync(sox, ['--i', path], { encoding: 'utf8' });
  const rate = Number(/Sample Rate\s*:\s*(\d+)/.exec(out)?.[1]);
  const channels = Number(/Channels\s*:\s*(\d+)/.exec(out)?.[1]);
  const d = /Duration\s*:\s*(\d+):(\d+):([\d.]+)/.exec(out);
  const seconds = d ? Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]) : Number.NaN;
  return { rate, channels, seconds };
}

describe('recording a leg', () => {
  it('records a known tone pattern: right duration (±40 ms), tones of the right length, no gap over 60 ms, sox reads it', async () => {
    const { ep, phone } = await leg('10.0.0.2');
    const path = file('leg');
    const rec = await ep.record({ path });
    expect(rec).toMatchObject({ path, partPath: `${path}.part`, sampleRate: 8000, channels: 1 });
    const pattern = new PatternSender([
      [0, 200],
      [600, 500],
      [0, 300],
      [900, 700],
      [0, 300],
    ]);
    await ticks(pattern.ticks, () => pattern.sendNext(phone, ep.local.rtpPort));
    const ended: RecordingResult[] = [];
    ep.on('recordingEnded', (r) => ended.push(r));
    const r = await rec.stop();
    expect(r).toMatchObject({ path, reason: 'stopped', sampleRate: 8000, channels: 1, droppedFrames: 0 });
    expect(Math.abs(r.durationMs - pattern.ticks * 20)).toBeLessThanOrEqual(40);
    expect(existsSync(path)).toBe(true);
    expect(existsSync(`${path}.part`)).toBe(false);
    expect(ended).toEqual([r]);
    const wav = decodeWav(readFileSync(path));
    expect(wav.samples.length).toBe((r.durationMs * 8000) / 1000);
    const segs = runs(wav.samples, 8000);
    const tones = segs.filter((s) => s.on);
    expect(tones.length).toBe(2); // no gap split a tone
    expect(Math.abs((tones[0]?.ms ?? 0) - 500)).toBeLessThanOrEqual(40);
    expect(Math.abs((tones[1]?.ms ?? 0) - 700)).toBeLessThanOrEqual(40);
    const inner = segs.slice(
      segs.indexOf(tones[0] as (typeof segs)[number]) + 1,
      segs.indexOf(tones[1] as (typeof segs)[number]),
    );
    expect(inner.reduce((s, x) => s + x.ms, 0)).toBeGreaterThan(260); // the pause between them, not lost
    const info = soxInfo(path);
    expect(info).toMatchObject({ rate: 8000, channels: 1 });
    expect(Math.abs(info.seconds * 1000 - r.durationMs)).toBeLessThan(1);
  });

  it('records both directions of a transcoded leg, one per channel', async () => {
    const a = await leg('10.0.0.2', [PCMU]);
    const b = await leg('10.0.0.3', [PCMA], a.ep);
    await t?.engine.transcode(a.ep, b.ep);
    const rec = await a.ep.record({ path: file('both'), direction: 'both', stereo: true });
    const toneA = new PatternSender([[600, 1000]]);
    const srcB = new SineSource(900, 5000, 8000);
    const pcmB = new Int16Array(160);
    const alaw = new Uint8Array(160);
    const { encodeAlaw } = await import('../../../src/media/codecs/index.js');
    await ticks(50, () => {
      toneA.sendNext(a.phone, a.ep.local.rtpPort);
      srcB.fill(pcmB);
      encodeAlaw(pcmB, alaw, 160);
      b.phone.send(b.ep.local.rtpPort, 8, alaw.slice());
    });
    const r = await rec.stop();
    expect(r.channels).toBe(2);
    const wav = decodeWav(readFileSync(r.path));
    const left = channel(wav.samples, 2, 0).subarray(2400);
    const right = channel(wav.samples, 2, 1).subarray(2400);
    // left: what A's phone says; right: what the engine sends A's phone (B's voice)
    expect(goertzelAmplitude(left, 600, 8000, 'hann')).toBeGreaterThan(3000);
    expect(goertzelAmplitude(left, 900, 8000, 'hann')).toBeLessThan(100);
    expect(goertzelAmplitude(right, 900, 8000, 'hann')).toBeGreaterThan(3000);
    expect(goertzelAmplitude(right, 600, 8000, 'hann')).toBeLessThan(100);
  });

  it('pause skips the paused audio (card numbers); pauseMode "silence" keeps the timeline', async () => {
    for (const pauseMode of ['skip', 'silence'] as const) {
      const { ep, phone } = await leg(pauseMode === 'skip' ? '10.0.0.2' : '10.0.0.4');
      const rec = await ep.record({ path: file(`pause-${pauseMode}`), pauseMode });
      const pattern = new PatternSender([
        [600, 1000],
        [900, 400], // said while paused
        [600, 1000],
      ]);
      const send = () => pattern.sendNext(phone, ep.local.rtpPort);
      await ticks(50, send);
      await rec.pause();
      expect(rec.paused).toBe(true);
      await ticks(20, send);
      await rec.resume();
      await ticks(50, send);
      const r = await rec.stop();
      expect(r.pausedMs).toBe(400);
      const wav = decodeWav(readFileSync(r.path));
      if (pauseMode === 'skip') {
        expect(r.durationMs).toBe(2000);
        // the 900 Hz said during the pause is not in the file (beyond the jitter buffer's delay)
        expect(goertzelAmplitude(wav.samples.subarray(1600), 900, 8000, 'hann')).toBeLessThan(600);
      } else {
        expect(r.durationMs).toBe(2400);
        const paused = wav.samples.subarray(8000 + 800, 8000 + 3200);
        expect(Math.max(...paused.map(Math.abs))).toBe(0);
      }
    }
  });

  it('ends itself at maxDurationMs with exactly that much audio', async () => {
    const { ep, phone } = await leg('10.0.0.2');
    const rec = await ep.record({ path: file('max'), maxDurationMs: 730 });
    const pattern = new PatternSender([[600, 2000]]);
    await ticks(60, () => pattern.sendNext(phone, ep.local.rtpPort));
    const r = await rec.result;
    expect(r).toMatchObject({ reason: 'max-duration', durationMs: 730 });
    expect(decodeWav(readFileSync(r.path)).samples.length).toBe(730 * 8);
    expect(rec.ended).toBe(true);
  });

  it('ends itself after silence (voicemail)', async () => {
    const { ep, phone } = await leg('10.0.0.2');
    const rec = await ep.record({ path: file('vm'), silence: { thresholdDbfs: -40, durationMs: 600 } });
    const pattern = new PatternSender([
      [600, 1000],
      [0, 3000],
    ]);
    await ticks(pattern.ticks, () => pattern.sendNext(phone, ep.local.rtpPort));
    const r = await rec.result;
    expect(r.reason).toBe('silence');
    // 1 s of message, 0.6 s of silence, and the jitter buffer's delay before the tone
    expect(r.durationMs).toBeGreaterThanOrEqual(1600);
    expect(r.durationMs).toBeLessThanOrEqual(1700);
  });

  it('keeps a readable <path>.part while recording; a killed worker leaves it (not renamed)', async () => {
    t = await inProcessEngine({ workers: 2 });
    const { ep, phone } = await leg('10.0.0.2');
    const path = file('crash');
    const rec = await ep.record({ path });
    const pattern = new PatternSender([[600, 3000]]);
    await ticks(100, () => pattern.sendNext(phone, ep.local.rtpPort));
    for (let i = 0; i < 200 && statSync(`${path}.part`).size < 44 + 3 * 8000; i++) await realTurn();
    expect(existsSync(path)).toBe(false);
    const partial = decodeWav(readFileSync(`${path}.part`));
    expect(partial.samples.length).toBeGreaterThanOrEqual(3 * 4000); // whole half-second chunks
    expect(partial.samples.length % 4000).toBe(0);
    await t?.engine.terminateWorker(ep.workerIndex);
    const r = await rec.result;
    expect(r.reason).toBe('worker-died');
    expect(r.path).toBe(`${path}.part`);
    const after = decodeWav(readFileSync(`${path}.part`));
    expect(r.durationMs).toBe((after.samples.length * 1000) / 8000);
    expect(after.samples.length).toBeGreaterThanOrEqual(partial.samples.length);
    expect(existsSync(path)).toBe(false);
  });

  it('closing the leg ends its recording ("closed"); closing the engine completes the file ("engine-closed")', async () => {
    const a = await leg('10.0.0.2');
    const b = await leg('10.0.0.3');
    const ra = await a.ep.record({ path: file('closed') });
    const rb = await b.ep.record({ path: file('engine') });
    await ticks(10);
    await a.ep.close();
    expect((await ra.result).reason).toBe('closed');
    await t?.engine.close();
    const r = await rb.result;
    expect(r.reason).toBe('engine-closed');
    expect(existsSync(r.path) && !r.path.endsWith('.part')).toBe(true);
    t = undefined;
  });

  it('rejects bad options (ERR_INVALID_ARGUMENT) and unwritable paths (ERR_STORAGE)', async () => {
    const { ep } = await leg('10.0.0.2');
    const bad = [
      { path: '' },
      { path: file('x'), maxDurationMs: -1 },
      { path: file('x'), silence: { thresholdDbfs: 3, durationMs: 100 } },
      { path: file('x'), pauseMode: 'later' as 'skip' },
      { path: file('x'), sampleRate: 12345 },
    ];
    for (const o of bad) await expect(ep.record(o)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(ep.record({ path: join(dir, 'no', 'such', 'dir', 'x.wav') })).rejects.toMatchObject({
      code: 'ERR_STORAGE',
    });
    expect(t?.engine.recordingCount).toBe(0);
  });
});

describe('recording a call and a bridge', () => {
  it('records a relayed call in stereo, one side per channel; the session ending ends it', async () => {
    const a = await leg('10.0.0.2');
    const b = await leg('10.0.0.3', [PCMU], a.ep);
    const session = await t!.engine.relay(a.ep, b.ep);
    const rec = await session.record({ path: file('call') });
    const pa = new PatternSender([[600, 1200]]);
    const pb = new PatternSender([[900, 1200]]);
    await ticks(60, () => {
      pa.sendNext(a.phone, a.ep.local.rtpPort);
      pb.sendNext(b.phone, b.ep.local.rtpPort);
    });
    await session.close();
    const r = await rec.result;
    expect(r).toMatchObject({ reason: 'closed', channels: 2, sampleRate: 8000 });
    expect(Math.abs(r.durationMs - 1200)).toBeLessThanOrEqual(40);
    const wav = decodeWav(readFileSync(r.path));
    const left = channel(wav.samples, 2, 0).subarray(1600);
    const right = channel(wav.samples, 2, 1).subarray(1600);
    expect(goertzelAmplitude(left, 600, 8000, 'hann')).toBeGreaterThan(3000);
    expect(goertzelAmplitude(left, 900, 8000, 'hann')).toBeLessThan(50);
    expect(goertzelAmplitude(right, 900, 8000, 'hann')).toBeGreaterThan(3000);
    expect(goertzelAmplitude(right, 600, 8000, 'hann')).toBeLessThan(50);
    expect(soxInfo(r.path)).toMatchObject({ rate: 8000, channels: 2 });
  });

  it('records a bridge: mono is the common mix, stereo puts the listed members on each side', async () => {
    t = await inProcessEngine();
    const bridge = await t.engine.createBridge({ sampleRate: 16000 });
    const a = await conferencePhone(t.net, t.engine, 'a', 400, PCMU);
    const b = await conferencePhone(t.net, t.engine, 'b', 700, PCMU);
    const c = await conferencePhone(t.net, t.engine, 'c', 1000, PCMU);
    for (const p of [a, b, c]) await bridge.add(p.endpoint);
    await bridge.update(c.endpoint, { mode: 'whisper', whisperTo: b.endpoint });
    const mono = await bridge.record({ path: file('bridge-mono') });
    await expect(bridge.record({ path: file('twice') })).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    await run(t.clock, [a, b, c], 40);
    const rm = await mono.stop();
    const stereo = await bridge.record({
      path: file('bridge-stereo'),
      stereo: { left: [a.endpoint], right: [b.endpoint, c.endpoint] },
    });
    await run(t.clock, [a, b, c], 40);
    const rs = await stereo.stop();
    expect(rm).toMatchObject({ sampleRate: 16000, channels: 1 });
    const m = decodeWav(readFileSync(rm.path)).samples.subarray(3200);
    // the common mix: a and b; the whisper (c) only reaches b
    expect(goertzelAmplitude(m, 400, 16000, 'hann')).toBeGreaterThan(2500);
    expect(goertzelAmplitude(m, 700, 16000, 'hann')).toBeGreaterThan(2500);
    expect(goertzelAmplitude(m, 1000, 16000, 'hann')).toBeLessThan(50);
    const s = decodeWav(readFileSync(rs.path)).samples;
    const left = channel(s, 2, 0).subarray(3200);
    const right = channel(s, 2, 1).subarray(3200);
    expect(goertzelAmplitude(left, 400, 16000, 'hann')).toBeGreaterThan(2500);
    expect(goertzelAmplitude(left, 700, 16000, 'hann')).toBeLessThan(50);
    expect(goertzelAmplitude(right, 700, 16000, 'hann')).toBeGreaterThan(2500);
    expect(goertzelAmplitude(right, 1000, 16000, 'hann')).toBeGreaterThan(2500);
    expect(goertzelAmplitude(right, 400, 16000, 'hann')).toBeLessThan(50);
  });
});
