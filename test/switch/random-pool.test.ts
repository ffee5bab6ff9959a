import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pooledCryptoRandom } from '../../src/switch/index.js';

describe('pooled crypto random', () => {
  it('hands out every byte once: tokens across several refills are all different', () => {
    const r = pooledCryptoRandom(64);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) seen.add(Buffer.from(r.bytes(12)).toString('hex'));
    expect(seen.size).toBe(2000);
  });

  it('gives the length asked for, pooled or not (larger than a quarter of the pool)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), (n) => {
        expect(pooledCryptoRandom(256).bytes(n)).toHaveLength(n);
      }),
      { numRuns: 200 },
    );
  });

  it('a returned array is a copy: changing it does not change later draws', () => {
    const r = pooledCryptoRandom(64);
    const a = r.bytes(8);
    a.fill(0);
    const later = Array.from({ length: 20 }, () => r.bytes(8));
    expect(later.some((b) => b.some((x) => x !== 0))).toBe(true);
  });

  it('next() is in [0, 1) and int(max) in [0, max)', () => {
    const r = pooledCryptoRandom();
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 48 }), (max) => {
        const v = r.int(max);
        expect(Number.isInteger(v) && v >= 0 && v < max).toBe(true);
        const x = r.next();
        expect(x >= 0 && x < 1).toBe(true);
      }),
    );
  });

  it('int(6) hits every value, none far from a sixth of 6,000 draws', () => {
    const r = pooledCryptoRandom();
    const counts = new Array(6).fill(0) as number[];
    for (let i = 0; i < 6000; i++) {
      const v = r.int(6);
      counts[v] = (counts[v] ?? 0) + 1;
    }
    // 1000 expected each; 6 standard deviations ≈ 173
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(200);
  });

  it('bad arguments are ERR_INVALID_ARGUMENT', () => {
    const r = pooledCryptoRandom();
    for (const f of [
      () => r.int(0),
      () => r.int(1.5),
      () => r.int(2 ** 49),
      () => r.bytes(-1),
      () => r.bytes(Number.NaN),
      () => pooledCryptoRandom(10),
    ]) {
      expect(f).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    }
  });
});
