import { describe, expect, it } from 'vitest';
import { isStrowgerError, seededRandom } from '../../../src/core/index.js';
import { PcmConcealer } from '../../../src/media/jitter/index.js';

const RATE = 8000;

/** A voiced-speech-like signal: f0 with a few harmonics. */
function voiced(n: number, f0: number, rate = RATE, amp = 8000): Int16Array {
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    const v =
      Math.sin(2 * Math.PI * f0 * t) +
      0.5 * Math.sin(2 * Math.PI * 2 * f0 * t + 0.3) +
      0.25 * Math.sin(2 * Math.PI * 3 * f0 * t + 1.1);
    out[i] = Math.round((amp * v) / 1.75);
  }
  return out;
}

/** Voiced sound plus a slowly wandering aperiodic part: repeating it blindly leaves steps at every join. */
function noisyVoiced(n: number, f0: number, seed: number): Int16Array {
  const r = seededRandom(seed);
  const out = new Int16Array(n);
  let wander = 0;
  for (let i = 0; i < n; i++) {
    wander = 0.995 * wander + (r.next() - 0.5) * 0.08;
    const ph = (2 * Math.PI * f0 * i) / RATE;
    out[i] = Math.round((6000 * (Math.sin(ph) + 0.4 * Math.sin(2 * ph + 0.5))) / 1.4 + 6000 * wander);
  }
  return out;
}

/**
 * Worst ratio, over the concealed frames and the frame after each, of an
 * output step to the largest step of the true signal nearby (±25 ms).
 */
function worstJoinStep(x: Int16Array, y: Int16Array, frame: number, lost: Set<number>, delay = 30): number {
  let worst = 0;
  for (let i = delay + 10; i < y.length; i++) {
    const f = Math.floor((i - delay) / frame);
    if (!lost.has(f) && !lost.has(f - 1)) continue;
    let ref = 1;
    const c = i - delay;
    for (let j = Math.max(1, c - 200); j < Math.min(x.length, c + 200); j++) {
      ref = Math.max(ref, Math.abs((x[j] as number) - (x[j - 1] as number)));
    }
    worst = Math.max(worst, Math.abs((y[i] as number) - (y[i - 1] as number)) / ref);
  }
  return worst;
}

/**
 * Runs `signal` through the concealer in frames of `frame` samples; frames
 * whose index is in `lost` are concealed instead. Returns the output stream.
 */
function run(
  signal: Int16Array,
  frame: number,
  lost: (i: number) => boolean,
  plc = new PcmConcealer(),
): Int16Array {
  const out = new Int16Array(signal.length);
  const buf = new Int16Array(frame);
  for (let f = 0; f * frame < signal.length; f++) {
    buf.set(signal.subarray(f * frame, (f + 1) * frame));
    if (lost(f)) plc.conceal(buf);
    else plc.receive(buf);
    out.set(buf, f * frame);
  }
  return out;
}

function energy(x: Int16Array, from: number, to: number): number {
  let e = 0;
  for (let i = from; i < to; i++) e += (x[i] as number) ** 2;
  return e / Math.max(1, to - from);
}

function snrDb(ref: Int16Array, got: Int16Array, from: number, to: number): number {
  let s = 0;
  let n = 0;
  for (let i = from; i < to; i++) {
    s += (ref[i] as number) ** 2;
    n += ((ref[i] as number) - (got[i] as number)) ** 2;
  }
  return 10 * Math.log10(s / Math.max(n, 1e-9));
}

function maxStep(x: Int16Array, from = 1, to = x.length): number {
  let m = 0;
  for (let i = Math.max(1, from); i < to; i++)
    m = Math.max(m, Math.abs((x[i] as number) - (x[i - 1] as number)));
  return m;
}

describe('PCM concealer (G.711 Appendix I style)', () => {
  it('passes good frames through unchanged, 3.75 ms late', () => {
    const plc = new PcmConcealer();
    expect(plc.delay).toBe(30);
    const x = voiced(1600, 150);
    const y = run(x, 160, () => false, plc);
    for (let i = 30; i < x.length; i++) expect(y[i]).toBe(x[i - 30]);
    for (let i = 0; i < 30; i++) expect(y[i]).toBe(0);
  });

  it.each([
    ['a 200 Hz tone', 200, false],
    ['a 150 Hz voiced sound', 150, true],
    ['a 110 Hz voiced sound', 110, true],
  ])('continues %s across one lost 20 ms frame with small error', (_name, f0, harmonics) => {
    const n = 3200;
    const x = harmonics
      ? voiced(n, f0 as number)
      : voiced(n, f0 as number).map((_, i) =>
          Math.round(6000 * Math.sin((2 * Math.PI * (f0 as number) * i) / RATE)),
        );
    const lostFrame = 10;
    const y = run(x, 160, (i) => i === lostFrame);
    // compare the output over the concealed stretch with the true signal, both 30 samples late
    const from = lostFrame * 160 + 30;
    const to = from + 160;
    const ref = new Int16Array(n);
    for (let i = 30; i < n; i++) ref[i] = x[i - 30] as number;
    expect(snrDb(ref, y, from, to)).toBeGreaterThan(12);
    // and the first 10 ms, before any attenuation, is closer still
    expect(snrDb(ref, y, from, from + 80)).toBeGreaterThan(15);
  });

  it('finds the pitch period by autocorrelation', () => {
    const plc = new PcmConcealer();
    const x = voiced(1600, 100); // period 80 samples
    run(x, 160, (i) => i === 9, plc);
    expect(plc.pitch === 80 || plc.pitch === 79 || plc.pitch === 81).toBe(true);
  });

  it('fades a long loss to silence by 60 ms', () => {
    const x = voiced(4000, 150);
    const y = run(x, 80, (i) => i >= 20); // 10 ms frames, lost from 200 ms on
    const start = 20 * 80 + 30; // first synthetic sample in the output
    const block = (k: number) => energy(y, start + k * 80, start + (k + 1) * 80);
    expect(block(0)).toBeGreaterThan(0.5 * energy(x, 1200, 1600));
    for (let k = 1; k < 6; k++) expect(block(k)).toBeLessThan(block(k - 1) * 1.05);
    for (let i = start + 480; i < y.length; i++) expect(y[i]).toBe(0);
  });

  it.each([1, 2, 3])(
    'makes no clicks: steps at every join stay within those of the signal nearby (seed %i)',
    (seed) => {
      const x = noisyVoiced(8000, 130, seed);
      // isolated losses, a 30 ms burst (period switches), a 100 ms burst (fade and re-entry)
      const lost = new Set([
        8, 9, 20, 21, 22, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 60, 61, 70, 71, 72, 73,
      ]);
      const y = run(x, 80, (i) => lost.has(i));
      expect(worstJoinStep(x, y, 80, lost)).toBeLessThan(1.25);
    },
  );

  it('re-enters smoothly after a loss longer than the fade', () => {
    const x = voiced(4000, 150);
    const y = run(x, 160, (i) => i >= 5 && i < 10); // 100 ms lost
    const reentry = 10 * 160 + 30; // first output sample of the good frame
    const ref = maxStep(x);
    expect(maxStep(y, reentry - 5, reentry + 200)).toBeLessThan(ref * 1.3);
    // the good signal is ramped in, not switched on
    expect(Math.abs(y[reentry]!)).toBeLessThan(0.2 * 8000);
    expect(energy(y, reentry + 200, reentry + 600)).toBeGreaterThan(0.8 * energy(x, 1600, 2000));
  });

  it('conceals with silence before it has heard enough signal', () => {
    const plc = new PcmConcealer();
    const frame = new Int16Array(160).fill(1234);
    plc.conceal(frame);
    expect(frame.every((v) => v === 0)).toBe(true);
    expect(plc.concealing).toBe(true);
    plc.receive(new Int16Array(160));
    expect(plc.concealing).toBe(false);
  });

  it('works at 16 kHz with scaled periods', () => {
    const plc = new PcmConcealer({ sampleRate: 16_000 });
    expect(plc.delay).toBe(60);
    const x = voiced(6400, 150, 16_000);
    const y = run(x, 320, (i) => i === 10, plc);
    const ref = new Int16Array(x.length);
    for (let i = 60; i < x.length; i++) ref[i] = x[i - 60] as number;
    expect(snrDb(ref, y, 10 * 320 + 60, 10 * 320 + 60 + 160)).toBeGreaterThan(15);
  });

  it('rejects an unsupported sample rate with ERR_INVALID_ARGUMENT', () => {
    let err: unknown;
    try {
      new PcmConcealer({ sampleRate: 11_025 });
    } catch (e) {
      err = e;
    }
    expect(isStrowgerError(err, 'ERR_INVALID_ARGUMENT')).toBe(true);
  });
});
