import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DBM0_PEAK,
  DTMF_KEYPAD,
  DtmfDetector,
  type DtmfDetectorOptions,
  type DtmfDigitEvent,
  DtmfGenerator,
  type DtmfGeneratorOptions,
  dtmfTone,
  powerToDbm0,
} from '../../../src/media/codecs/index.js';
import { speechLike } from './signals.js';

/** Feeds `x` in 20 ms frames and collects the digits (flushing at the end). */
function detect(x: Int16Array, options: DtmfDetectorOptions = {}, frame = 160): DtmfDigitEvent[] {
  const d = new DtmfDetector(options);
  const events: DtmfDigitEvent[] = [];
  d.on('digit', (e) => events.push(e));
  for (let i = 0; i < x.length; i += frame) d.process(x.subarray(i, Math.min(x.length, i + frame)));
  d.flush();
  return events;
}

/** `lead` ms of silence, a tone of `ms`, 100 ms of silence. */
function burst(digit: string, ms: number, options: DtmfGeneratorOptions = {}, leadMs = 50): Int16Array {
  const lead = Math.round(leadMs * 8);
  const x = new Int16Array(lead + ms * 8 + 800);
  new DtmfGenerator(options).generate(digit, x, ms * 8, lead);
  return x;
}

const digits = DTMF_KEYPAD.split('');

/** Six minutes of speech-like audio at three levels, made once for the talk-off tests. */
let speechCache: Int16Array[] | undefined;
const speech = () =>
  (speechCache ??= (
    [
      [1, 12000],
      [2, 24000],
      [3, 6000],
    ] as const
  ).map(([seed, peak]) => speechLike({ seconds: 120, seed, peak })));

describe('DTMF generator', () => {
  it('produces each tone at the requested level in dBm0', () => {
    const x = dtmfTone('5', 1000, { levelDbm0: -10 });
    let p = 0;
    for (const v of x) p += v * v;
    // two tones at −10 dBm0 each: total power −10 + 3.01 dBm0
    expect(powerToDbm0(p / x.length)).toBeCloseTo(-10 + 10 * Math.log10(2), 1);
    expect(DBM0_PEAK).toBeCloseTo(32767 * 10 ** (-3.14 / 20), 6); // ≈ 22 826
  });

  it('rejects characters that are not DTMF digits', () => {
    expect(() => dtmfTone('x', 40)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => new DtmfGenerator().generate('12', new Int16Array(10))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});

describe('DTMF detector', () => {
  it.each([-10, -20, -26])('detects all 16 digits at %i dBm0 per tone, with start and duration', (level) => {
    for (const digit of digits) {
      const ev = detect(burst(digit, 60, { levelDbm0: level }, 50));
      expect(ev).toHaveLength(1);
      expect(ev[0]?.digit).toBe(digit);
      expect(Math.abs((ev[0]?.start as number) - 50)).toBeLessThanOrEqual(12);
      expect(Math.abs((ev[0]?.duration as number) - 60)).toBeLessThanOrEqual(20);
      expect(Math.abs((ev[0]?.rowLevelDbm0 as number) - level)).toBeLessThan(0.5);
      expect(Math.abs((ev[0]?.colLevelDbm0 as number) - level)).toBeLessThan(0.5);
    }
  });

  it('ignores tones below the minimum level (−40 dBm0 per tone)', () => {
    for (const digit of digits) expect(detect(burst(digit, 100, { levelDbm0: -40 }))).toEqual([]);
  });

  it.each([0.015, -0.015])('accepts a frequency offset of %d on both tones', (offset) => {
    for (const digit of digits) {
      expect(
        detect(burst(digit, 60, { levelDbm0: -15, frequencyOffset: offset })).map((e) => e.digit),
      ).toEqual([digit]);
    }
  });

  it.each([0.035, -0.035, 0.05])('rejects a frequency offset of %d', (offset) => {
    for (const digit of digits)
      expect(detect(burst(digit, 100, { levelDbm0: -10, frequencyOffset: offset }))).toEqual([]);
  });

  it('rejects a tone pair where only one tone is off by 3.5%', () => {
    // 697 Hz + 3.5% with 1209 Hz exact, mixed by hand
    const x = new Int16Array(1600);
    const a = DBM0_PEAK * 10 ** (-10 / 20);
    for (let i = 400; i < 1200; i++) {
      x[i] = Math.round(
        a * Math.sin((2 * Math.PI * 697 * 1.035 * i) / 8000) + a * Math.sin((2 * Math.PI * 1209 * i) / 8000),
      );
    }
    expect(detect(x)).toEqual([]);
  });

  it('accepts normal twist up to 8 dB and reverse twist up to 4 dB, and rejects beyond', () => {
    const ok = (twistDb: number) =>
      digits.every((d) => detect(burst(d, 60, { levelDbm0: -12, twistDb })).length === 1);
    const none = (twistDb: number) =>
      digits.every((d) => detect(burst(d, 60, { levelDbm0: -12, twistDb })).length === 0);
    expect(ok(6)).toBe(true); // high group 6 dB louder (normal twist)
    expect(ok(-3)).toBe(true); // low group 3 dB louder (reverse twist)
    expect(none(10)).toBe(true);
    expect(none(-6)).toBe(true);
  });

  it('accepts tones of 40 ms or more and rejects tones of 25 ms or less, at any alignment and level', () => {
    for (const level of [-3, -20]) {
      for (let lead = 50; lead < 60; lead += 3) {
        for (const digit of ['1', '5', '9', 'D', '0']) {
          expect(detect(burst(digit, 40, { levelDbm0: level }, lead))).toHaveLength(1);
          expect(detect(burst(digit, 25, { levelDbm0: level }, lead))).toEqual([]);
          expect(detect(burst(digit, 20, { levelDbm0: level }, lead))).toEqual([]);
        }
      }
    }
  });

  it('separates digits by a 40 ms pause, also a repeated digit, and bridges a 10 ms drop-out', () => {
    const g = new DtmfGenerator({ levelDbm0: -10 });
    const seq = (parts: Array<[string | null, number]>) => {
      const total = parts.reduce((s, [, ms]) => s + ms * 8, 0);
      const x = new Int16Array(total);
      let o = 0;
      for (const [d, ms] of parts) {
        if (d) g.generate(d, x, ms * 8, o);
        else g.silence(x, ms * 8, o);
        o += ms * 8;
      }
      return x;
    };
    const x = seq([
      [null, 50],
      ['1', 50],
      [null, 40],
      ['1', 50],
      [null, 40],
      ['2', 60],
      [null, 60],
    ]);
    expect(detect(x).map((e) => e.digit)).toEqual(['1', '1', '2']);
    const dropout = seq([
      [null, 50],
      ['7', 60],
      [null, 10],
      ['7', 60],
      [null, 60],
    ]);
    const ev = detect(dropout);
    expect(ev.map((e) => e.digit)).toEqual(['7']);
    expect(Math.abs((ev[0]?.duration as number) - 130)).toBeLessThanOrEqual(20);
  });

  it('reports a dialled string sent at 10 digits per second (50 ms tone, 50 ms pause)', () => {
    const g = new DtmfGenerator({ levelDbm0: -8, twistDb: 2 });
    const x = new Int16Array(800 * 17);
    digits.forEach((d, i) => {
      g.generate(d, x, 400, 400 + i * 800);
    });
    expect(
      detect(x)
        .map((e) => e.digit)
        .join(''),
    ).toBe(DTMF_KEYPAD);
  });

  it('emits tonestart about 40 ms into a digit', () => {
    const d = new DtmfDetector();
    const starts: Array<[string, number, number]> = [];
    d.on('tonestart', (digit, start) => starts.push([digit, start, d.time]));
    d.process(burst('#', 200, {}, 100));
    expect(starts).toHaveLength(1);
    expect(starts[0]?.[0]).toBe('#');
    expect(Math.abs((starts[0]?.[1] as number) - 100)).toBeLessThanOrEqual(12);
  });

  it('gives the same digits whatever the frame sizes (property)', () => {
    const x = new Int16Array(8000);
    const g = new DtmfGenerator({ levelDbm0: -12 });
    g.generate('4', x, 480, 800);
    g.generate('C', x, 640, 3200);
    g.generate('*', x, 400, 5600);
    const want = detect(x);
    expect(want.map((e) => e.digit)).toEqual(['4', 'C', '*']);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), (frame) => {
        const got = detect(x, {}, frame);
        return JSON.stringify(got) === JSON.stringify(want);
      }),
      { numRuns: 30 },
    );
  });

  it('never reports a digit in six minutes of speech-like audio at three levels', () => {
    for (const x of speech()) expect(detect(x)).toEqual([]);
  });

  it('the speech-like signal does talk off a detector without the speech checks (the test above can fail)', () => {
    const weak: DtmfDetectorOptions = {
      minToneFraction: 0.3,
      harmonicDb: 0,
      relativePeakDb: 0,
      maxFrequencyDeviation: 1,
    };
    let talkOff = 0;
    for (const x of speech()) talkOff += detect(x, weak).length;
    expect(talkOff).toBeGreaterThan(3);
  });

  it('still hears a digit over speech-like background 20 dB down', () => {
    const x = speechLike({ seconds: 1, seed: 21, peak: 2000 });
    const tone = burst('8', 80, { levelDbm0: -8 }, 400);
    for (let i = 0; i < tone.length && i < x.length; i++) x[i] = (x[i] as number) + (tone[i] as number);
    expect(detect(x).map((e) => e.digit)).toEqual(['8']);
  });

  it('takes 8 kHz only', () => {
    expect(() => new DtmfDetector({ sampleRate: 16000 })).toThrow(
      expect.objectContaining({ code: 'ERR_NOT_SUPPORTED' }),
    );
  });
});
