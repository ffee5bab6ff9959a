/**
 * The sub-band blocks and the code maps, checked against the structure the
 * Recommendation gives them: the quantizer and the inverse quantizers agree,
 * the embedded 4- and 5-bit codes stand for the coarser levels that contain
 * the 6-bit one, and the adaptation keeps every variable inside the ranges
 * the Recommendation limits it to.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  adaptHigher,
  adaptLower,
  createHigherBand,
  createLowerBand,
  encodeHigher,
  encodeLower,
  type G722Band,
} from '../../../src/media/codecs/g722-band.js';
import {
  IL_NEGATIVE,
  IL_POSITIVE,
  LOW_DQ4,
  LOW_DQ5,
  LOW_DQ6,
  Q6,
  QMF_TAPS,
  QQ6,
} from '../../../src/media/codecs/g722-tables.js';

function bounds(m: number): [lo: number, hi: number] {
  return [Q6[m - 1] as number, m === 30 ? Number.POSITIVE_INFINITY : (Q6[m] as number)];
}

describe('G.722 tables and code maps', () => {
  it('the QMF is symmetric and its taps add up to about 1 per branch', () => {
    for (let i = 0; i < 24; i++) expect(QMF_TAPS[i]).toBe(QMF_TAPS[23 - i]);
    const sum = QMF_TAPS.reduce((a, b) => a + b, 0);
    expect(Math.abs(sum / 8192 - 1)).toBeLessThan(0.02);
  });

  it('each 6-bit level lies inside its quantizer interval and codewords are one-to-one', () => {
    const seen = new Set<number>();
    for (let m = 1; m <= 30; m++) {
      const [lo, hi] = bounds(m);
      expect(QQ6[m]).toBeGreaterThanOrEqual(lo);
      expect(QQ6[m]).toBeLessThan(hi);
      const pos = IL_POSITIVE[m] as number;
      const neg = IL_NEGATIVE[m] as number;
      expect(LOW_DQ6[pos]).toBe((QQ6[m] as number) << 3);
      expect(LOW_DQ6[neg]).toBe(-((QQ6[m] as number) << 3));
      seen.add(pos);
      seen.add(neg);
    }
    expect(seen.size).toBe(60);
    for (const unused of [0, 1, 2, 3]) expect(seen.has(unused)).toBe(false);
  });

  it('the embedded 4- and 5-bit codes give a level of the same sign inside the merged intervals', () => {
    for (let m = 1; m <= 30; m++) {
      for (const [il, sign] of [
        [IL_POSITIVE[m] as number, 1],
        [IL_NEGATIVE[m] as number, -1],
      ] as const) {
        for (const [value, group] of [
          [LOW_DQ5[il >> 1] as number, 2],
          [LOW_DQ4[il >> 2] as number, 4],
        ] as const) {
          // The coarse code covers the 6-bit intervals whose codes share its high bits.
          const members: number[] = [];
          for (let k = 1; k <= 30; k++) {
            const code = sign > 0 ? (IL_POSITIVE[k] as number) : (IL_NEGATIVE[k] as number);
            if (code >> (group === 2 ? 1 : 2) === il >> (group === 2 ? 1 : 2)) members.push(k);
          }
          const lo = bounds(Math.min(...members))[0];
          const hi = bounds(Math.max(...members))[1];
          const magnitude = Math.abs(value) >> 3;
          if (value !== 0) expect(Math.sign(value)).toBe(sign);
          expect(magnitude).toBeGreaterThanOrEqual(lo);
          expect(magnitude).toBeLessThanOrEqual(hi);
        }
      }
    }
  });
});

function expectInRange(band: G722Band, nbMax: number, detMin: number): void {
  expect(band.nb).toBeGreaterThanOrEqual(0);
  expect(band.nb).toBeLessThanOrEqual(nbMax);
  expect(band.det).toBeGreaterThanOrEqual(detMin);
  expect(band.det).toBeLessThanOrEqual(16384);
  expect(Math.abs(band.a2)).toBeLessThanOrEqual(12288);
  expect(Math.abs(band.a1)).toBeLessThanOrEqual(15360 - band.a2);
  for (const v of [
    band.s,
    band.sz,
    band.r1,
    band.r2,
    band.p1,
    band.p2,
    band.b1,
    band.b2,
    band.b3,
    band.b4,
    band.b5,
    band.b6,
  ]) {
    expect(v).toBeGreaterThanOrEqual(-32768);
    expect(v).toBeLessThanOrEqual(32767);
  }
}

describe('G.722 sub-band adaptation', () => {
  it('keeps the lower band inside the limits of the Recommendation for any code sequence', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 3000 }),
        fc.integer({ min: 0, max: 15 }),
        (codes, runCode) => {
          const band = createLowerBand();
          for (const c of codes) adaptLower(band, c);
          for (let i = 0; i < 1500; i++) adaptLower(band, runCode); // a long run saturates the zero section
          expectInRange(band, 18432, 32);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps the higher band inside the limits of the Recommendation for any code sequence', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3000 }),
        fc.integer({ min: 0, max: 3 }),
        (codes, runCode) => {
          const band = createHigherBand();
          for (const c of codes) adaptHigher(band, c);
          for (let i = 0; i < 1500; i++) adaptHigher(band, runCode);
          expectInRange(band, 22528, 8);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('starts from the reset state: DETL = 32, DETH = 8, everything else 0', () => {
    const low = createLowerBand();
    const high = createHigherBand();
    expect(low.det).toBe(32);
    expect(high.det).toBe(8);
    encodeLower(low, 1000);
    encodeHigher(high, -1000);
    low.reset();
    high.reset();
    expect(low).toEqual(createLowerBand());
    expect(high).toEqual(createHigherBand());
  });

  it('the encoder quantizer picks the interval whose decision levels enclose the difference', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -32768, max: 32767 }),
        fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 40 }),
        (x, warmup) => {
          const band = createLowerBand();
          for (const c of warmup) adaptLower(band, c);
          const el = Math.max(-32768, Math.min(32767, x - band.s));
          const det = band.det;
          const il = encodeLower(band, x);
          const negative = el < 0;
          const m = (negative ? IL_NEGATIVE : IL_POSITIVE).indexOf(il);
          expect(m).toBeGreaterThanOrEqual(1);
          const magnitude = negative ? -el - 1 : el;
          const level = (k: number) => ((Q6[k] as number) * 8 * det) >> 15;
          if (m < 30) expect(magnitude).toBeLessThan(level(m));
          if (m > 1) expect(magnitude).toBeGreaterThanOrEqual(level(m - 1));
        },
      ),
      { numRuns: 300 },
    );
  });
});
