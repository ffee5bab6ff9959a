import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  conditionalWait,
  digamma,
  erlangA,
  erlangB,
  erlangC,
  erlangCAgentsNeeded,
  erlangCAsa,
  erlangCServiceLevel,
} from '../../src/acd/index.js';
import { isStrowgerError } from '../../src/core/index.js';

// The goldens are for 48 erlangs. They are consistent with a mean handle time of
// 240 s (720 calls/hour), not 180 s: with 180 s, 50 agents give ASA 62.5 s and SL(15 s)
// 41.2 %, 55 agents 6.1 s and 86.7 %.
const AHT = 240;

describe('Erlang C', () => {
  it('matches the goldens for 48 erlangs and 50 agents (AHT 240 s)', () => {
    expect(erlangC(50, 48)).toBeCloseTo(0.694, 3);
    expect(erlangCAsa(50, 48, AHT)).toBeCloseTo(83.3, 1);
    expect(erlangCServiceLevel(50, 48, AHT, 15)).toBeCloseTo(0.387, 3);
  });

  it('matches the goldens for 48 erlangs and 55 agents (AHT 240 s)', () => {
    expect(erlangC(55, 48)).toBeCloseTo(0.239, 3);
    expect(erlangCAsa(55, 48, AHT)).toBeCloseTo(8.2, 1);
    expect(erlangCServiceLevel(55, 48, AHT, 15)).toBeCloseTo(0.846, 3);
  });

  it('shows that a 180 s handle time would not give the golden ASA and service level', () => {
    expect(erlangCAsa(50, 48, 180)).toBeCloseTo(62.5, 1);
    expect(erlangCServiceLevel(50, 48, 180, 15)).toBeCloseTo(0.412, 3);
  });

  it('Erlang B matches the classic table value (5 erlangs on 10 lines: 1.84 %)', () => {
    expect(erlangB(10, 5)).toBeCloseTo(0.018385, 5);
    expect(erlangB(0, 3)).toBe(1);
  });

  it('is unstable (always waits) when agents do not exceed the load', () => {
    expect(erlangC(48, 48)).toBe(1);
    expect(erlangCAsa(40, 48, AHT)).toBe(Number.POSITIVE_INFINITY);
    expect(erlangCServiceLevel(40, 48, AHT, 15)).toBe(0);
  });

  it('agents needed is the smallest staffing that meets the target', () => {
    expect(erlangCAgentsNeeded({ traffic: 48, aht: AHT, threshold: 15, target: 0.8 })).toBe(55);
    expect(erlangCAgentsNeeded({ traffic: 48, aht: AHT, threshold: 15, target: 0.7 })).toBe(53);
    expect(
      erlangCAgentsNeeded({ traffic: 48, aht: AHT, threshold: 15, target: 0.5, maxOccupancy: 0.85 }),
    ).toBe(57);
    expect(erlangCAgentsNeeded({ traffic: 48, aht: AHT, threshold: 15, target: 0.5, maxAsa: 10 })).toBe(55);
  });

  it('P(wait) falls and the service level rises with every agent added', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 200, noNaN: true }),
        fc.integer({ min: 0, max: 40 }),
        (a, extra) => {
          const n = Math.floor(a) + 1 + extra;
          expect(erlangC(n + 1, a)).toBeLessThanOrEqual(erlangC(n, a) + 1e-12);
          expect(erlangCServiceLevel(n + 1, a, AHT, 20)).toBeGreaterThanOrEqual(
            erlangCServiceLevel(n, a, AHT, 20) - 1e-12,
          );
          expect(erlangC(n, a)).toBeGreaterThanOrEqual(erlangB(n, a));
        },
      ),
    );
  });

  it('rejects bad arguments with ERR_INVALID_ARGUMENT', () => {
    for (const f of [
      () => erlangC(1.5, 1),
      () => erlangC(-1, 1),
      () => erlangB(3, Number.NaN),
      () => erlangCAsa(5, 1, 0),
      () => erlangCServiceLevel(5, 1, 10, -1),
      () => erlangCAgentsNeeded({ traffic: 5, aht: 10, threshold: 1, target: 1.5 }),
      () => erlangA(5, 1, 10, 0),
    ]) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(isStrowgerError(err, 'ERR_INVALID_ARGUMENT')).toBe(true);
    }
  });
});

describe('Erlang A', () => {
  it('tends to Erlang C as patience grows', () => {
    const r = erlangA(55, 48, AHT, 1e12, 15);
    expect(r.pWait).toBeCloseTo(erlangC(55, 48), 6);
    expect(r.meanWait).toBeCloseTo(erlangCAsa(55, 48, AHT), 4);
    expect(r.serviceLevel).toBeCloseTo(erlangCServiceLevel(55, 48, AHT, 15), 6);
    expect(r.pAbandon).toBeLessThan(1e-9);
  });

  it('is stable beyond Erlang C: with impatient callers even an overloaded queue has a finite wait', () => {
    const r = erlangA(45, 48, AHT, 120, 20);
    expect(r.pAbandon).toBeGreaterThan(0.06);
    expect(r.pAbandon).toBeLessThan(0.5);
    expect(Number.isFinite(r.meanWait)).toBe(true);
    // flow balance: what is not abandoned is served, at most N/AHT per unit time
    expect((48 / AHT) * (1 - r.pAbandon)).toBeLessThanOrEqual(45 / AHT + 1e-9);
  });

  it('more patience means fewer abandons and longer waits', () => {
    const a = erlangA(50, 48, AHT, 120);
    const b = erlangA(50, 48, AHT, 600);
    expect(b.pAbandon).toBeLessThan(a.pAbandon);
    expect(b.meanWait).toBeGreaterThan(a.meanWait);
  });
});

describe('conditional wait (position-aware)', () => {
  it('is position × AHT / N without abandonment', () => {
    expect(conditionalWait(10, 50, 240)).toBeCloseTo(48, 9);
    expect(conditionalWait(1, 0, 240)).toBe(Number.POSITIVE_INFINITY);
  });

  it('the digamma closed form equals the stage sum at every position', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.double({ min: 0.5, max: 300, noNaN: true }),
        fc.double({ min: 5, max: 5000, noNaN: true }),
        (k, n, patience) => {
          let sum = 0;
          for (let i = 0; i < k; i++) sum += 1 / (n / 240 + i / patience);
          expect(conditionalWait(k, n, 240, patience)).toBeCloseTo(sum, 6);
        },
      ),
    );
  });

  it('digamma hits known values', () => {
    expect(digamma(1)).toBeCloseTo(-0.5772156649015329, 10);
    expect(digamma(0.5)).toBeCloseTo(-1.9635100260214235, 10);
    expect(digamma(100)).toBeCloseTo(4.600161852738087, 10);
  });
});
