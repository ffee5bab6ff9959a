import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStrowgerError } from '../../../src/core/index.js';
import {
  DTMF_FREQUENCIES,
  dbm0ToAmplitude,
  dtmfToneSpec,
  TONE_NAMES,
  TONE_PLANS,
  TONE_REGIONS,
  ToneGenerator,
  type ToneSampleRate,
  type ToneSpec,
  toneSpec,
} from '../../../src/media/audio/index.js';
import { goertzelAmplitude } from '../helpers/signal.js';

const RATES: ToneSampleRate[] = [8000, 16000, 48000];

/** Streams `ms` of a tone in frames of `frameMs` (as a media worker would) and joins them. */
function render(spec: ToneSpec, rate: ToneSampleRate, ms: number, frameMs = 20): Int16Array {
  const g = new ToneGenerator(spec, { sampleRate: rate });
  const frame = new Int16Array((rate * frameMs) / 1000);
  const total = Math.ceil((rate * ms) / 1000 / frame.length) * frame.length;
  const out = new Int16Array(total);
  for (let o = 0; o < total; o += frame.length) {
    g.fill(frame);
    out.set(frame, o);
  }
  return out.subarray(0, Math.round((rate * ms) / 1000));
}

/** The cadence of one pass as alternating runs: sounding segments next to each other merge. */
function expectedRuns(spec: ToneSpec): Array<{ on: boolean; ms: number }> {
  const runs: Array<{ on: boolean; ms: number }> = [];
  for (const s of spec.segments) {
    const on = s.components.length > 0;
    const last = runs[runs.length - 1];
    if (last && last.on === on) last.ms += s.durationMs;
    else runs.push({ on, ms: s.durationMs });
  }
  return runs;
}

/**
 * Measured on/off runs (ms). Silent segments are digital silence, so a run
 * of zero samples longer than 2 ms is "off"; shorter zero runs (zero
 * crossings, the first samples of a ramp) belong to the sounding run.
 */
function measuredRuns(x: Int16Array, rate: number): Array<{ on: boolean; ms: number }> {
  const minGap = Math.round(rate * 0.002);
  const runs: Array<{ on: boolean; ms: number }> = [];
  let i = 0;
  while (i < x.length) {
    let j = i;
    while (j < x.length && x[j] === 0) j++;
    const zeros = j - i;
    if (zeros >= minGap) {
      if (zeros > 0) runs.push({ on: false, ms: (zeros * 1000) / rate });
    } else if (zeros > 0) {
      const last = runs[runs.length - 1];
      if (last?.on) last.ms += (zeros * 1000) / rate;
      else runs.push({ on: true, ms: (zeros * 1000) / rate });
    }
    i = j;
    while (j < x.length && x[j] !== 0) j++;
    if (j > i) {
      const last = runs[runs.length - 1];
      if (last?.on) last.ms += ((j - i) * 1000) / rate;
      else runs.push({ on: true, ms: ((j - i) * 1000) / rate });
    }
    i = j;
  }
  return runs;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return isStrowgerError(err) ? err.code : 'untyped';
  }
  return 'no error';
}

describe('tone plans: spectrum of every sounding segment', () => {
  for (const region of TONE_REGIONS) {
    for (const name of TONE_NAMES) {
      it(`${region} ${name}: each segment has exactly its frequencies at their levels, at 8/16/48 kHz`, () => {
        const spec = toneSpec(region, name);
        for (const rate of RATES) {
          const passMs = spec.segments.reduce(
            (a, s) => a + (Number.isFinite(s.durationMs) ? s.durationMs : 1000),
            0,
          );
          const x = render(spec, rate, passMs);
          let t0 = 0;
          for (const seg of spec.segments) {
            const dur = Number.isFinite(seg.durationMs) ? seg.durationMs : 1000;
            // the interior of the segment, clear of the 2 ms ramps
            const a = Math.round((rate * (t0 + 5)) / 1000);
            const b = Math.round((rate * (t0 + dur - 5)) / 1000);
            const part = x.subarray(a, b);
            if (seg.components.length === 0) {
              expect(part.every((v) => v === 0)).toBe(true);
            } else {
              let expectedPower = 0;
              for (const c of seg.components) {
                const want = dbm0ToAmplitude(c.levelDbm0);
                expectedPower += (want * want) / 2;
                const got = goertzelAmplitude(part, c.freq, rate, 'hann');
                expect(20 * Math.log10(got / want), `${c.freq} Hz at ${rate}`).toBeCloseTo(0, 0);
                expect(Math.abs(20 * Math.log10(got / want))).toBeLessThan(0.3);
              }
              // Parseval: the components account for all the power, so nothing else sounds
              let power = 0;
              for (const v of part) power += v * v;
              power /= part.length;
              expect(power / expectedPower).toBeGreaterThan(0.97);
              expect(power / expectedPower).toBeLessThan(1.03);
            }
            t0 += dur;
          }
        }
      });
    }
  }

  it('the regions differ where the standards do: 350+440 Hz dial in the US, 425 Hz in Europe', () => {
    const us = render(toneSpec('us', 'dial'), 8000, 200);
    const eu = render(toneSpec('eu', 'dial'), 8000, 200);
    expect(goertzelAmplitude(us, 350, 8000, 'hann')).toBeGreaterThan(1000);
    expect(goertzelAmplitude(us, 425, 8000, 'hann')).toBeLessThan(20);
    expect(goertzelAmplitude(eu, 425, 8000, 'hann')).toBeGreaterThan(1000);
    expect(goertzelAmplitude(eu, 350, 8000, 'hann')).toBeLessThan(20);
    expect(TONE_PLANS.eu).toBe(TONE_PLANS.itu);
  });
});

describe('tone plans: cadence timing', () => {
  const looping = TONE_REGIONS.flatMap((r) =>
    TONE_NAMES.filter((n) => toneSpec(r, n).loop && toneSpec(r, n).segments.length > 1).map(
      (n) => [r, n] as const,
    ),
  );
  for (const [region, name] of looping) {
    it(`${region} ${name} keeps its on/off cadence over two full cycles`, () => {
      const spec = toneSpec(region, name);
      const runs = expectedRuns(spec);
      const passMs = runs.reduce((a, r) => a + r.ms, 0);
      for (const rate of [8000, 48000] as ToneSampleRate[]) {
        const measured = measuredRuns(render(spec, rate, passMs * 2 + 50), rate);
        // two passes of the cadence; the final run is cut by the end of the capture
        const want = [...runs, ...runs];
        for (let i = 0; i < want.length - 1; i++) {
          const m = measured[i];
          const w = want[i] as { on: boolean; ms: number };
          expect(m?.on, `run ${i} of ${region} ${name}`).toBe(w.on);
          expect(
            Math.abs((m?.ms ?? 0) - w.ms),
            `run ${i}: ${m?.ms} ms vs ${w.ms} ms at ${rate}`,
          ).toBeLessThan(1.5);
        }
      }
    });
  }

  it('a long ring does not drift: the 100th ringback burst starts on the 6 s grid', () => {
    const g = new ToneGenerator(toneSpec('us', 'ringback'), { sampleRate: 8000 });
    const frame = new Int16Array(160);
    // skip 99 cycles of 6 s
    for (let i = 0; i < (99 * 6000) / 20; i++) g.fill(frame);
    expect(g.elapsedSamples).toBe(99 * 6 * 8000);
    const x = new Int16Array(8000 * 6);
    for (let o = 0; o < x.length; o += 160) {
      g.fill(frame);
      x.set(frame, o);
    }
    const runs = measuredRuns(x, 8000);
    expect(runs[0]?.on).toBe(true);
    expect(Math.abs((runs[0]?.ms ?? 0) - 2000)).toBeLessThan(1.5);
  });
});

describe('tone generator: streaming', () => {
  it('output does not depend on how the stream is cut into frames (phase continuity)', () => {
    const spec = toneSpec('uk', 'ringback');
    fc.assert(
      fc.property(
        fc.constantFrom(...RATES),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 40 }),
        (rate, sizes) => {
          const whole = new Int16Array(sizes.reduce((a, b) => a + b, 0));
          new ToneGenerator(spec, { sampleRate: rate }).fill(whole);
          const g = new ToneGenerator(spec, { sampleRate: rate });
          let o = 0;
          for (const n of sizes) {
            const f = new Int16Array(n);
            g.fill(f);
            for (let i = 0; i < n; i++) {
              if (Math.abs((f[i] as number) - (whole[o + i] as number)) > 1) {
                throw new Error(`sample ${o + i}: ${f[i]} vs ${whole[o + i]}`);
              }
            }
            o += n;
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a steady tone matches the ideal sum of sines across thousands of frames, with no jump at frame edges', () => {
    for (const rate of RATES) {
      const spec = toneSpec('us', 'dial');
      const x = render(spec, rate, 5000);
      const a = dbm0ToAmplitude(-13);
      const ramp = Math.round(rate * 0.002);
      let maxErr = 0;
      for (let n = ramp; n < x.length; n++) {
        const ideal =
          a * Math.sin((2 * Math.PI * 350 * n) / rate) + a * Math.sin((2 * Math.PI * 440 * n) / rate);
        maxErr = Math.max(maxErr, Math.abs((x[n] as number) - ideal));
      }
      expect(maxErr, `at ${rate}`).toBeLessThanOrEqual(1);
      // the largest step between neighbours, frame edges included, stays under the tone's max slope
      const maxSlope = a * ((2 * Math.PI * 350) / rate + (2 * Math.PI * 440) / rate);
      let maxStep = 0;
      for (let n = 1; n < x.length; n++)
        maxStep = Math.max(maxStep, Math.abs((x[n] as number) - (x[n - 1] as number)));
      expect(maxStep).toBeLessThanOrEqual(maxSlope + 2);
    }
  });

  it('a one-shot tone ends: fill reports the samples it produced and zero-fills the rest', () => {
    const g = new ToneGenerator(toneSpec('us', 'beep'), { sampleRate: 8000 }); // 300 ms
    const frame = new Int16Array(160);
    const produced: number[] = [];
    for (let i = 0; i < 17; i++) produced.push(g.fill(frame));
    expect(produced).toEqual([...Array(15).fill(160), 0, 0]);
    expect(g.done).toBe(true);
    expect(frame.every((v) => v === 0)).toBe(true);
    const g2 = new ToneGenerator(toneSpec('us', 'beep'), { sampleRate: 8000 });
    const odd = new Int16Array(1000);
    expect(g2.fill(odd)).toBe(1000);
    expect(g2.fill(odd)).toBe(1000);
    expect(g2.fill(odd)).toBe(400);
    expect(odd.subarray(400).every((v) => v === 0)).toBe(true);
  });

  it('reset() starts the cadence and phases again', () => {
    const g = new ToneGenerator(toneSpec('de', 'callWaiting'), { sampleRate: 16000 });
    const a = new Int16Array(5000);
    const b = new Int16Array(5000);
    g.fill(a);
    g.fill(b);
    g.reset();
    const c = new Int16Array(5000);
    g.fill(c);
    expect(c).toEqual(a);
    expect(g.elapsedSamples).toBe(5000);
  });

  it('the stutter dial tone stutters ten times, then stays steady', () => {
    const x = render(toneSpec('us', 'specialDial'), 8000, 3500);
    const runs = measuredRuns(x, 8000);
    expect(runs.filter((r) => r.on)).toHaveLength(11);
    expect(runs[runs.length - 1]?.on).toBe(true);
    expect(runs[runs.length - 1]?.ms).toBeGreaterThan(1400);
  });

  it('rejects bad rates, frequencies, durations and names with typed errors', () => {
    const seg = (durationMs: number, freq = 1000) => ({ durationMs, components: [{ freq, levelDbm0: -10 }] });
    expect(code(() => new ToneGenerator(toneSpec('us', 'dial'), { sampleRate: 44100 as 8000 }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect(code(() => new ToneGenerator(toneSpec('us', 'dial'), { sampleRate: 8000, rampMs: -1 }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    const bad: ToneSpec[] = [
      { name: 'nyquist', segments: [seg(100, 4500)], loop: false },
      { name: 'negative', segments: [seg(-1)], loop: false },
      { name: 'empty', segments: [], loop: true },
      { name: 'endless-first', segments: [seg(Infinity), seg(100)], loop: false },
      { name: 'too-short', segments: [seg(0.01)], loop: true },
      { name: 'loop-from', segments: [seg(100)], loop: true, loopFrom: 3 },
      {
        name: 'loud',
        segments: [{ durationMs: 100, components: [{ freq: 1000, levelDbm0: 10 }] }],
        loop: false,
      },
    ];
    for (const s of bad)
      expect(
        code(() => new ToneGenerator(s, { sampleRate: 8000 })),
        s.name,
      ).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => toneSpec('mars' as 'us', 'dial'))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => toneSpec('us', 'hum' as 'dial'))).toBe('ERR_INVALID_ARGUMENT');
    expect(
      code(() => new ToneGenerator(toneSpec('us', 'dial'), { sampleRate: 8000 }).fill([] as never)),
    ).toBe('ERR_INVALID_ARGUMENT');
  });
});

describe('DTMF', () => {
  const ALL = Object.keys(DTMF_FREQUENCIES);
  const DTMF_SET = [697, 770, 852, 941, 1209, 1336, 1477, 1633];

  for (const rate of RATES) {
    it(`every key sounds its row and column frequency and no other at ${rate} Hz`, () => {
      for (const key of ALL) {
        const x = render(dtmfToneSpec(key), rate, 100);
        const part = x.subarray(Math.round(rate * 0.005), Math.round(rate * 0.095));
        const [lo, hi] = DTMF_FREQUENCIES[key] as [number, number];
        for (const f of DTMF_SET) {
          const amp = goertzelAmplitude(part, f, rate, 'hann');
          if (f === lo) expect(20 * Math.log10(amp / dbm0ToAmplitude(-9))).toBeCloseTo(0, 0);
          else if (f === hi) expect(20 * Math.log10(amp / dbm0ToAmplitude(-7))).toBeCloseTo(0, 0);
          else expect(amp, `${key}: ${f} Hz`).toBeLessThan(0.03 * dbm0ToAmplitude(-9));
        }
      }
    });
  }

  it('a digit string plays each digit for toneMs with gapMs between, then ends', () => {
    const spec = dtmfToneSpec('19#', { toneMs: 80, gapMs: 60 });
    const x = render(spec, 8000, 400);
    const runs = measuredRuns(x, 8000);
    const on = runs.filter((r) => r.on).map((r) => Math.round(r.ms));
    const gaps = runs
      .slice(1, -1)
      .filter((r) => !r.on)
      .map((r) => Math.round(r.ms));
    expect(on).toEqual([80, 80, 80]);
    expect(gaps).toEqual([60, 60]);
    const g = new ToneGenerator(spec, { sampleRate: 8000 });
    g.fill(new Int16Array(8000));
    expect(g.done).toBe(true);
    // and the second digit is a 9: 852 + 1477 Hz
    const second = x.subarray(Math.round(8 * 145), Math.round(8 * 215));
    expect(goertzelAmplitude(second, 852, 8000, 'hann')).toBeGreaterThan(1000);
    expect(goertzelAmplitude(second, 1477, 8000, 'hann')).toBeGreaterThan(1000);
  });

  it('accepts lower-case A-D and rejects anything that is not a key', () => {
    expect(dtmfToneSpec('abcd').segments.filter((s) => s.components.length > 0)).toHaveLength(4);
    expect(code(() => dtmfToneSpec('12x'))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => dtmfToneSpec(''))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => dtmfToneSpec('1', { toneMs: 0 }))).toBe('ERR_INVALID_ARGUMENT');
  });
});
