/**
 * The pieces under playback and recording, directly: the playlist player
 * (gapless concatenation whatever the frame size), the rate adapter (one
 * output frame per input frame), the WAV file writer (round trip, a valid
 * `.part` at every moment, rename on close) and the bridge link (frames in
 * order, delay bounded) — with fast-check where there is an invariant.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeWav } from '../../../src/media/codecs/index.js';
import { createFrameRing, FrameRingWriter } from '../../../src/media/mixer/index.js';
import { BridgeLink } from '../../../src/media/worker/bridge-link.js';
import { createPlayer, PromptLibrary } from '../../../src/media/worker/players.js';
import { RateAdapter } from '../../../src/media/worker/rate-adapter.js';
import { WavFileWriter } from '../../../src/media/worker/wav-file-writer.js';
import { goertzelAmplitude, SineSource } from '../helpers/signal.js';

const dir = mkdtempSync(join(tmpdir(), 'strowger-players-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ctx = { prompts: new PromptLibrary(undefined) };

describe('playlist player', () => {
  it('plays any list of PCM clips and pauses back to back, in any frame size, and ends with the last content frame', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.integer({ min: 0, max: 700 }).map((n) => ({ kind: 'pcm' as const, n })),
            fc.integer({ min: 0, max: 60 }).map((ms) => ({ kind: 'silence' as const, ms })),
          ),
          { minLength: 1, maxLength: 8 },
        ),
        fc.integer({ min: 1, max: 400 }),
        async (items, frame) => {
          let next = 1;
          const want: number[] = [];
          const list = items.map((it) => {
            if (it.kind === 'silence') {
              for (let i = 0; i < it.ms * 8; i++) want.push(0);
              return { silenceMs: it.ms };
            }
            const pcm = new Int16Array(it.n);
            for (let i = 0; i < it.n; i++) {
              pcm[i] = next;
              want.push(next);
              next = next >= 30000 ? 1 : next + 1;
            }
            return { pcm, sampleRate: 8000 };
          });
          const p = await createPlayer(list, 8000, ctx, { frameSamples: frame });
          const got: number[] = [];
          const f = new Int16Array(frame);
          let frames = 0;
          while (!p.done && frames < 10_000) {
            // the next entry is prepared asynchronously: let it resolve, as the tick's 20 ms would
            await new Promise((r) => setImmediate(r));
            const n = p.fill(f);
            got.push(...f.subarray(0, n));
            expect(f.subarray(n).every((x) => x === 0)).toBe(true);
            frames++;
          }
          expect(got).toEqual(want);
          expect(frames).toBe(Math.max(1, Math.ceil(want.length / frame)));
          expect(p.playedMs).toBe((want.length * 1000) / 8000);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a paused player writes silence and keeps its place; a looped one starts over', async () => {
    const pcm = Int16Array.from({ length: 50 }, (_, i) => i + 1);
    const p = await createPlayer({ pcm, sampleRate: 8000 }, 8000, ctx, { frameSamples: 20, loop: true });
    const f = new Int16Array(20);
    p.fill(f);
    expect(f[19]).toBe(20);
    p.paused = true;
    expect(p.fill(f)).toBe(0);
    expect(f.every((x) => x === 0)).toBe(true);
    p.paused = false;
    p.fill(f);
    expect(f[0]).toBe(21);
    await new Promise((r) => setImmediate(r));
    p.fill(f); // 41..50 then 1..10 of the next round
    expect([...f]).toEqual([...pcm.subarray(40), ...pcm.subarray(0, 10)]);
    expect(p.done).toBe(false);
    p.close();
    expect(p.done).toBe(true);
  });

  it('needs a prompt directory for prompt names', async () => {
    await expect(createPlayer(['goodbye'], 8000, ctx)).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
  });
});

describe('rate adapter', () => {
  it('gives exactly one output frame per input frame and keeps a tone (8 ↔ 16 ↔ 48 kHz, 44.1 kHz)', () => {
    for (const [from, to] of [
      [8000, 16000],
      [16000, 8000],
      [8000, 48000],
      [48000, 16000],
      [44100, 8000],
    ] as const) {
      const inN = (from * 20) / 1000;
      const outN = (to * 20) / 1000;
      const a = new RateAdapter(from, to, inN, outN);
      const src = new SineSource(700, 8000, from);
      const frame = new Int16Array(inN);
      const out: Int16Array[] = [];
      for (let k = 0; k < 50; k++) {
        const o = a.process(src.fill(frame));
        expect(o.length).toBe(outN);
        out.push(o.slice());
      }
      const tail = new Int16Array(outN * 25);
      out.slice(25).forEach((o, i) => {
        tail.set(o, i * outN);
      });
      expect(goertzelAmplitude(tail, 700, to, 'hann'), `${from} → ${to}`).toBeGreaterThan(7000);
    }
  });
});

describe('WAV file writer', () => {
  it('round-trips any sequence of appends; the .part is a valid WAV while written; close renames', async () => {
    let k = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(1, 2),
        fc.array(fc.integer({ min: 0, max: 9000 }), { minLength: 0, maxLength: 12 }),
        async (channels, sizes) => {
          const path = join(dir, `w${k++}.wav`);
          const w = await WavFileWriter.open(path, 8000, channels);
          const all: number[] = [];
          let v = 0;
          for (const size of sizes) {
            const frames = Int16Array.from({ length: size * channels }, () => {
              v = (v * 31 + 7) & 0x7fff;
              return v - 16384;
            });
            all.push(...frames);
            expect(w.append(frames, frames.length)).toBe(true);
            await w.drained();
            const part = decodeWav(readFileSync(`${path}.part`));
            expect(part.channels).toBe(channels);
            // whole chunks on disk, in order
            expect([...part.samples]).toEqual(all.slice(0, part.samples.length));
            expect(part.samples.length).toBe(w.writtenBytes / 2);
          }
          const bytes = await w.close();
          expect(bytes).toBe(all.length * 2);
          expect(existsSync(`${path}.part`)).toBe(false);
          const wav = decodeWav(readFileSync(path));
          expect([...wav.samples]).toEqual(all);
          expect(wav.info.dataBytes).toBe(all.length * 2);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('abandon() leaves the .part file as a crash would', async () => {
    const path = join(dir, 'abandoned.wav');
    const w = await WavFileWriter.open(path, 16000, 1);
    w.append(new Int16Array(16000).fill(100), 16000);
    await w.abandon();
    expect(existsSync(path)).toBe(false);
    expect(decodeWav(readFileSync(`${path}.part`)).samples.length).toBe(16000);
  });
});

describe('bridge link', () => {
  it('delivers frames in order after its prefill, keeps the delay bounded, and counts underruns', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 5, maxLength: 200 }),
        fc.integer({ min: 1, max: 4 }),
        (writesPerTick, prefill) => {
          const there = createFrameRing({ frameSamples: 4, capacityFrames: 16 });
          const back = createFrameRing({ frameSamples: 4, capacityFrames: 16 });
          const link = new BridgeLink(1, there, back, prefill);
          const peer = new FrameRingWriter(there);
          let sent = 0;
          let last = 0;
          let started = false;
          for (const w of writesPerTick) {
            for (let i = 0; i < w; i++) {
              sent++;
              peer.write(Int16Array.of(sent, sent, sent, sent), sent);
            }
            const f = link.pull();
            if (f[0] !== 0) {
              started = true;
              expect(f[0] as number).toBeGreaterThan(last); // in order, never twice
              last = f[0] as number;
            }
            expect(link.buffered).toBeLessThanOrEqual(Math.max(prefill + 2, 16));
            link.push(f);
          }
          if (!started) expect(sent).toBeLessThan(prefill + writesPerTick.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});
