/**
 * Endpoint playback: playlists of catalogue prompts (the `say` helpers),
 * tones and pauses back to back; WAV files streamed from disk; pause and
 * resume; barge-in on RFC 4733 and in-band DTMF; loops; the playing/played
 * events — in-process workers over a MemoryNetwork and a FakeClock, checked
 * on the RTP the phone receives.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { sayNumber } from '../../../src/media/audio/index.js';
import { DtmfGenerator, decodeWav, encodeUlaw, encodeWav } from '../../../src/media/codecs/index.js';
import { defaultPromptDirectory, type MediaEndpoint } from '../../../src/media/worker/index.js';
import { snrDb } from '../codecs/signals.js';
import { goertzelAmplitude, SineSource } from '../helpers/signal.js';
import {
  decodePayloads,
  inProcessEngine,
  PCMU,
  Phone,
  TE,
  type TestEngine,
  telephoneEvent,
} from './helpers.js';

let t: TestEngine | undefined;
const dir = mkdtempSync(join(tmpdir(), 'strowger-play-'));
afterEach(async () => {
  await t?.engine.close();
  t = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const realTurn = () => new Promise((r) => setTimeout(r, 1));

async function leg(codecs = [PCMU, TE]): Promise<{ ep: MediaEndpoint; phone: Phone }> {
  t ??= await inProcessEngine();
  const ep = await t.engine.createEndpoint({ codecs, remote: { address: '10.0.0.2', port: 4000 } });
  return { ep, phone: new Phone(t.net, '10.0.0.2', 4000) };
}

/** Advances tick by tick (letting real file I/O run between ticks) until `p` settles. */
async function until<T>(p: Promise<T>, maxTicks = 1000): Promise<T> {
  let done = false;
  void p.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  for (let i = 0; i < maxTicks && !done; i++) {
    await t?.clock.advanceAsync(20);
    await realTurn();
  }
  return p;
}

function received(phone: Phone): Int16Array {
  return decodePayloads(
    phone
      .rtp()
      .filter((p) => p.pt === 0)
      .map((p) => p.payload),
  );
}

function prompt(name: string): Int16Array {
  const dirOf = defaultPromptDirectory() as string;
  return decodeWav(readFileSync(join(dirOf, 'en', `${name}.wav`)), { sampleRate: 8000, channels: 1 }).samples;
}

describe('playlists', () => {
  it('plays a `say` playlist of prompts back to back, sample for sample (through G.711)', async () => {
    const { ep, phone } = await leg();
    const list = sayNumber(42); // forty two
    expect(list).toEqual(['forty', 'two']);
    const events: string[] = [];
    ep.on('playing', () => events.push('playing'));
    ep.on('played', (r) => events.push(`played:${r.reason}`));
    const result = await until(ep.play(list));
    const want = new Int16Array([...prompt('forty'), ...prompt('two')]);
    expect(result).toEqual({ completed: true, reason: 'completed', playedMs: (want.length * 1000) / 8000 });
    const got = received(phone);
    expect(got.length).toBe(Math.ceil(want.length / 160) * 160);
    expect(snrDb(want, got, 0, want.length, 0)).toBeGreaterThan(30); // µ-law alone: ≈ 35 dB
    expect(events).toEqual(['playing', 'played:completed']);
  });

  it('mixes tones, pauses and prompts in one list, in order and gapless', async () => {
    const { ep, phone } = await leg();
    const r = await until(
      ep.play([{ tone: 'dial', region: 'itu', durationMs: 200 }, { silenceMs: 100 }, { prompt: 'goodbye' }]),
    );
    const bye = prompt('goodbye');
    expect(r.playedMs).toBe(300 + (bye.length * 1000) / 8000);
    const got = received(phone);
    expect(goertzelAmplitude(got.subarray(400, 1600), 425, 8000, 'hann')).toBeGreaterThan(300);
    expect(Math.max(...got.subarray(1600, 2400).map(Math.abs))).toBe(0);
    expect(snrDb(bye, got, 0, bye.length, 2400)).toBeGreaterThan(30);
  });

  it('streams a WAV file from disk (16 kHz stereo → 8 kHz mono) without gaps', async () => {
    const rate = 16000;
    const seconds = 3; // 192 kB: read in several blocks while it plays
    const pcm = new Int16Array(rate * seconds * 2);
    const s = new SineSource(1000, 6000, rate);
    const mono = s.fill(new Int16Array(rate * seconds));
    for (let i = 0; i < mono.length; i++) {
      pcm[2 * i] = mono[i] as number;
      pcm[2 * i + 1] = mono[i] as number;
    }
    const file = join(dir, 'tone.wav');
    writeFileSync(file, encodeWav(pcm, { sampleRate: rate, channels: 2 }));
    const { ep, phone } = await leg();
    const r = await until(ep.play({ file }));
    expect(r.completed).toBe(true);
    expect(Math.abs(r.playedMs - seconds * 1000)).toBeLessThan(30);
    const got = received(phone);
    // every 20 ms frame of the body carries the tone: no underrun gaps
    for (let f = 2; f < seconds * 50 - 2; f++) {
      const frame = got.subarray(f * 160, (f + 1) * 160);
      expect(goertzelAmplitude(frame, 1000, 8000), `frame ${f}`).toBeGreaterThan(4000);
    }
  });

  it('loops until stopped', async () => {
    const { ep } = await leg();
    const p = ep.play({ pcm: new Int16Array(800).fill(500), sampleRate: 8000 }, { loop: true });
    for (let i = 0; i < 30; i++) await t?.clock.advanceAsync(20);
    await ep.stopPlay();
    const r = await p;
    expect(r).toMatchObject({ completed: false, reason: 'stopped' });
    expect(r.playedMs).toBeGreaterThanOrEqual(500); // five times round the 100 ms clip
  });

  it('rejects unknown prompts, empty lists and missing files with ERR_INVALID_ARGUMENT', async () => {
    const { ep } = await leg();
    await expect(ep.play(['no-such-prompt'])).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(ep.play([])).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(ep.play({ file: join(dir, 'missing.wav') })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    writeFileSync(join(dir, 'junk.wav'), 'not a wav file at all, no');
    await expect(ep.play({ file: join(dir, 'junk.wav') })).rejects.toMatchObject({ code: 'ERR_WAV_PARSE' });
    await expect(ep.play([{ silenceMs: -1 }])).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});

describe('pause, resume and barge-in', () => {
  it('pausePlay() holds the position and sends silence; resumePlay() carries on', async () => {
    const { ep, phone } = await leg();
    const p = ep.play({ tone: 'dial', region: 'itu', durationMs: 600 });
    await t?.clock.advanceAsync(0);
    for (let i = 0; i < 10; i++) await t?.clock.advanceAsync(20); // 200 ms played
    await ep.pausePlay();
    for (let i = 0; i < 15; i++) await t?.clock.advanceAsync(20); // 300 ms paused
    await ep.resumePlay();
    for (let i = 0; i < 30; i++) await t?.clock.advanceAsync(20);
    const r = await p;
    expect(r).toEqual({ completed: true, reason: 'completed', playedMs: 600 });
    const got = received(phone);
    const energy = (from: number, to: number) => goertzelAmplitude(got.subarray(from, to), 425, 8000, 'hann');
    expect(energy(400, 1600)).toBeGreaterThan(300); // before the pause
    expect(energy(1800, 3800)).toBeLessThan(10); // paused
    expect(energy(4400, 6400)).toBeGreaterThan(300); // after
    expect(got.length).toBe(45 * 160); // 900 ms of packets: 600 of tone + 300 of pause
  });

  it('a digit (RFC 4733) barges in on a play with bargeIn and is reported', async () => {
    const { ep, phone } = await leg();
    const p = ep.play({ tone: 'ringback', region: 'us' }, { bargeIn: true });
    for (let i = 0; i < 10; i++) await t?.clock.advanceAsync(20);
    phone.send(ep.local.rtpPort, 101, telephoneEvent(9, false, 160), { marker: true, tsStep: 0 });
    await t?.clock.advanceAsync(20);
    const r = await p;
    expect(r).toMatchObject({ completed: false, reason: 'barge-in', digit: '9' });
    expect(r.playedMs).toBe(200);
  });

  it('without bargeIn a digit does not stop the play', async () => {
    const { ep, phone } = await leg();
    const p = ep.play({ tone: 'busy', region: 'us', durationMs: 400 });
    let settled = false;
    void p.then(() => {
      settled = true;
    });
    for (let i = 0; i < 5; i++) await t?.clock.advanceAsync(20);
    phone.send(ep.local.rtpPort, 101, telephoneEvent(9, false, 160), { marker: true, tsStep: 0 });
    await t?.clock.advanceAsync(20);
    expect(settled).toBe(false);
    for (let i = 0; i < 20; i++) await t?.clock.advanceAsync(20);
    expect(await p).toMatchObject({ completed: true });
  });

  it('an in-band digit barges in too (no telephone-event negotiated)', async () => {
    const { ep, phone } = await leg([PCMU]);
    const p = ep.play({ tone: 'ringback', region: 'uk' }, { bargeIn: true });
    const pcm = new Int16Array(160 * 20);
    new DtmfGenerator().generate('4', pcm.subarray(0, 1200));
    for (let i = 0; i < 20; i++) {
      const f = new Uint8Array(160);
      encodeUlaw(pcm.subarray(i * 160, (i + 1) * 160), f, 160);
      phone.send(ep.local.rtpPort, 0, f);
      await t?.clock.advanceAsync(20);
    }
    expect(await p).toMatchObject({ completed: false, reason: 'barge-in', digit: '4' });
  });
});
