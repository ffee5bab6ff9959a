import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  designResampler,
  RESAMPLER_DEFAULTS,
  Resampler,
  resampleBuffer,
} from '../../../src/media/codecs/index.js';
import { amplitudeAt, sine, snrDb, speechLike } from './signals.js';

const STOP_DB = RESAMPLER_DEFAULTS.stopbandDb; // the documented promise: 60 dB

/** Streams `x` through `r` in 20 ms frames and returns everything it produced. */
function stream(r: Resampler, x: Int16Array): Int16Array {
  const frame = r.inputRate / 50;
  const out = new Int16Array(r.outputCapacity(x.length) + r.outputCapacity(frame));
  const tmp = new Int16Array(r.outputCapacity(frame));
  let o = 0;
  for (let i = 0; i + frame <= x.length; i += frame) {
    const n = r.process(x.subarray(i, i + frame), tmp);
    out.set(tmp.subarray(0, n), o);
    o += n;
  }
  return out.subarray(0, o);
}

/** Level in dB (re `ref`) of the `hz` component of y over 0.1 s after 0.25 s of settling. */
function levelDb(y: Int16Array, hz: number, rate: number, ref: number): number {
  return 20 * Math.log10(amplitudeAt(y, hz, rate, rate / 4, rate / 10) / ref);
}

const PAIRS: Array<[number, number]> = [
  [8000, 16000],
  [16000, 8000],
  [8000, 48000],
  [48000, 8000],
  [16000, 48000],
  [48000, 16000],
];

describe('polyphase resampler — measured against its documented design', () => {
  it.each(PAIRS)(
    '%i → %i keeps passband tones (up to 0.85 × the lower Nyquist) within ±0.05 dB',
    (fin, fout) => {
      const edge = 0.85 * (Math.min(fin, fout) / 2);
      for (const hz of [300, 1000, Math.round(edge / 10) * 10 - 10]) {
        const y = stream(new Resampler({ inputRate: fin, outputRate: fout }), sine(hz, fin, fin / 2, 10000));
        expect(Math.abs(levelDb(y, hz, fout, 10000))).toBeLessThan(0.05);
      }
    },
  );

  it.each(PAIRS.filter(([a, b]) => b > a))(
    '%i → %i attenuates the images of passband tones by ≥ 60 dB',
    (fin, fout) => {
      for (const hz of [1000, Math.round(0.85 * (fin / 2))]) {
        const y = stream(new Resampler({ inputRate: fin, outputRate: fout }), sine(hz, fin, fin / 2, 16000));
        for (let k = 1; k * fin - hz < fout / 2; k++) {
          for (const image of [k * fin - hz, k * fin + hz]) {
            if (image >= fout / 2) continue;
            expect(levelDb(y, image, fout, 16000)).toBeLessThan(-STOP_DB);
          }
        }
      }
    },
  );

  it.each(PAIRS.filter(([a, b]) => b < a))(
    '%i → %i attenuates tones above the new Nyquist (their aliases) by ≥ 60 dB',
    (fin, fout) => {
      const nyq = fout / 2;
      for (const hz of [nyq + 100, nyq + 1000, fout + 700, fin / 2 - 500]) {
        const alias = Math.abs(hz - Math.round(hz / fout) * fout);
        const y = stream(new Resampler({ inputRate: fin, outputRate: fout }), sine(hz, fin, fin / 2, 16000));
        expect(levelDb(y, alias, fout, 16000)).toBeLessThan(-STOP_DB);
      }
    },
  );

  it('the prototype filter meets its specification on a dense frequency grid', () => {
    for (const [fin, fout] of [...PAIRS, [44100, 8000] as [number, number]]) {
      const d = designResampler(fin, fout);
      const fs = fin * d.up;
      const n = d.taps * d.up;
      expect(d.length % 2).toBe(1);
      expect(((d.length - 1) / 2) % d.down).toBe(0);
      const h = new Float64Array(n);
      for (let p = 0; p < d.up; p++) {
        for (let j = 0; j < d.taps; j++) h[p + j * d.up] = (d.coefficients[p * d.taps + j] as number) / d.up;
      }
      const gainDb = (f: number) => {
        let re = 0;
        let im = 0;
        for (let i = 0; i < n; i++) {
          re += (h[i] as number) * Math.cos((2 * Math.PI * f * i) / fs);
          im -= (h[i] as number) * Math.sin((2 * Math.PI * f * i) / fs);
        }
        return 20 * Math.log10(Math.hypot(re, im));
      };
      for (let f = 0; f <= d.passbandHz; f += d.passbandHz / 40)
        expect(Math.abs(gainDb(f))).toBeLessThan(0.01);
      const top = Math.min(fs / 2, 3 * Math.max(fin, fout));
      for (let f = d.stopbandHz; f <= top; f += (top - d.stopbandHz) / 300)
        expect(gainDb(f)).toBeLessThan(-STOP_DB);
    }
  });

  it('gives the same output whatever the input frame sizes (state carries across calls)', () => {
    const x = speechLike({ seconds: 0.3, sampleRate: 16000, seed: 3 });
    const whole = new Resampler({ inputRate: 16000, outputRate: 48000 });
    const ref = new Int16Array(whole.outputCapacity(x.length));
    const nRef = whole.process(x, ref);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 1, maxLength: 30 }), (sizes) => {
        const r = new Resampler({ inputRate: 16000, outputRate: 48000, maxInputSamples: 320 });
        const got: number[] = [];
        let i = 0;
        let k = 0;
        while (i < x.length) {
          const len = Math.min(x.length - i, sizes[k++ % sizes.length] as number);
          const out = new Int16Array(r.outputCapacity(len));
          const n = r.process(x.subarray(i, i + len), out);
          for (let j = 0; j < n; j++) got.push(out[j] as number);
          i += len;
          if (len === 0 && sizes.every((s) => s === 0)) break;
        }
        if (i < x.length) return true;
        return got.length === nRef && got.every((v, j) => v === ref[j]);
      }),
      { numRuns: 40 },
    );
  });

  it('produces exactly L/M times the input over a stream', () => {
    for (const [fin, fout] of [
      ...PAIRS,
      [44100, 8000] as [number, number],
      [11025, 16000] as [number, number],
    ]) {
      const r = new Resampler({ inputRate: fin, outputRate: fout });
      const y = stream(r, new Int16Array(fin)); // one second
      expect(y.length).toBe(fout);
    }
  });

  it('8 → 16 → 8 and 16 → 48 → 16 kHz return passband audio with SNR ≥ 50 dB (delay removed exactly)', () => {
    for (const [low, high] of [
      [8000, 16000],
      [16000, 48000],
      [8000, 48000],
    ] as const) {
      // a random multi-tone inside the passband
      const x = new Int16Array(low);
      const edge = 0.8 * (low / 2);
      const tones = Array.from({ length: 12 }, (_, k) => [
        100 + (k * (edge - 100)) / 11,
        500 + 150 * k,
        k * 0.7,
      ]);
      for (let i = 0; i < x.length; i++) {
        let v = 0;
        for (const [f, a, ph] of tones)
          v += (a as number) * Math.sin((2 * Math.PI * (f as number) * i) / low + (ph as number));
        x[i] = Math.round(v);
      }
      const up = resampleBuffer(x, low, high);
      expect(up.length).toBe((x.length * high) / low);
      const back = resampleBuffer(up, high, low);
      expect(back.length).toBe(x.length);
      expect(snrDb(x, back, low / 10, x.length - low / 10)).toBeGreaterThan(50);
    }
  });

  it('general ratios (44100 → 8000, 11025 → 16000, 22050 → 48000) keep tones and reject aliases', () => {
    for (const [fin, fout, hz, bad] of [
      [44100, 8000, 1000, 5000],
      [11025, 16000, 2000, 0],
      [22050, 48000, 3000, 0],
      [44100, 16000, 440, 9000],
    ] as const) {
      const y = resampleBuffer(sine(hz, fin, fin, 12000), fin, fout);
      expect(Math.abs(levelDb(y, hz, fout, 12000))).toBeLessThan(0.05);
      if (bad) {
        const alias = Math.abs(bad - Math.round(bad / fout) * fout);
        const z = resampleBuffer(sine(bad, fin, fin, 12000), fin, fout);
        expect(levelDb(z, alias, fout, 12000)).toBeLessThan(-STOP_DB);
      }
    }
  });

  it('stereo channels are resampled independently', () => {
    const l = sine(500, 8000, 4000, 8000);
    const r = sine(1500, 8000, 4000, 8000);
    const x = new Int16Array(8000);
    for (let i = 0; i < 4000; i++) {
      x[2 * i] = l[i] as number;
      x[2 * i + 1] = r[i] as number;
    }
    const y = resampleBuffer(x, 8000, 16000, 2);
    const yl = y.filter((_, i) => i % 2 === 0);
    const yr = y.filter((_, i) => i % 2 === 1);
    expect(Math.abs(levelDb(yl, 500, 16000, 8000))).toBeLessThan(0.05);
    expect(levelDb(yl, 1500, 16000, 8000)).toBeLessThan(-80);
    expect(Math.abs(levelDb(yr, 1500, 16000, 8000))).toBeLessThan(0.05);
  });

  it('the mono kernels (2/3/6-phase interpolation, folded decimation) agree with the generic path', () => {
    for (const [fin, fout] of [...PAIRS, [11025, 8000] as [number, number]]) {
      const x = speechLike({ seconds: 0.2, sampleRate: fin, seed: 6 });
      const mono = resampleBuffer(x, fin, fout, 1);
      const twice = new Int16Array(x.length * 2);
      for (let i = 0; i < x.length; i++) {
        twice[2 * i] = x[i] as number;
        twice[2 * i + 1] = x[i] as number;
      }
      const stereo = resampleBuffer(twice, fin, fout, 2); // the generic, channel-looping path
      expect(stereo.length).toBe(mono.length * 2);
      let worst = 0;
      for (let i = 0; i < mono.length; i++)
        worst = Math.max(worst, Math.abs((mono[i] as number) - (stereo[2 * i] as number)));
      // interpolation sums in the same order (identical); folding reorders the sum (≤ 1 LSB)
      expect(worst).toBeLessThanOrEqual(fout > fin ? 0 : 1);
    }
  });

  it('rejects bad arguments with ERR_INVALID_ARGUMENT', () => {
    expect(() => new Resampler({ inputRate: 0, outputRate: 8000 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    expect(() => new Resampler({ inputRate: 8000, outputRate: 16000, channels: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    const r = new Resampler({ inputRate: 8000, outputRate: 16000 });
    expect(() => r.process(new Int16Array(160), new Int16Array(10))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    expect(() => r.process(new Int16Array(160), new Int16Array(400), 161)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });

  it('does not allocate per frame', () => {
    const r = new Resampler({ inputRate: 8000, outputRate: 48000 });
    const x = sine(700, 8000, 160, 5000);
    const out = new Int16Array(r.outputCapacity(160));
    for (let i = 0; i < 1000; i++) r.process(x, out);
    let least = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 5; round++) {
      const before = process.memoryUsage().heapUsed;
      for (let i = 0; i < 300; i++) r.process(x, out);
      const g = (process.memoryUsage().heapUsed - before) / 300;
      if (g >= 0) least = Math.min(least, g);
    }
    expect(least).toBeLessThan(16);
  });
});
