import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  burstRatio,
  CODEC_IMPAIRMENTS,
  delayImpairment,
  effectiveEquipmentImpairment,
  estimateQuality,
  mosFromR,
  R_DEFAULT,
} from '../../src/rtp/index.js';

describe('E-model (ITU-T G.107, reduced)', () => {
  it('gives R = 93.2 and MOS 4.41 with every input at its default (G.107 §7.7)', () => {
    const q = estimateQuality({ codec: 'pcmu' });
    expect(q.r).toBe(R_DEFAULT);
    expect(q.mos).toBeCloseTo(4.41, 2);
  });

  it('maps R to MOS as the G.109 quality-class boundaries publish them', () => {
    // G.109 Table 1: R 90/80/70/60/50 ↔ MOS 4.34/4.03/3.60/3.10/2.58 (rounded in the table)
    const published: Array<[number, number]> = [
      [90, 4.34],
      [80, 4.03],
      [70, 3.6],
      [60, 3.1],
      [50, 2.58],
    ];
    for (const [r, mos] of published) expect(Math.abs(mosFromR(r) - mos), `R=${r}`).toBeLessThan(0.01);
    expect(mosFromR(-5)).toBe(1);
    expect(mosFromR(3)).toBe(1); // the cubic dips under 1 there
    expect(mosFromR(120)).toBe(4.5);
  });

  it('MOS never decreases as R grows and stays in [1, 4.5]', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -50, max: 150, noNaN: true }),
        fc.double({ min: 0, max: 10, noNaN: true }),
        (r, dr) => {
          const a = mosFromR(r);
          expect(a).toBeGreaterThanOrEqual(1);
          expect(a).toBeLessThanOrEqual(4.5);
          expect(mosFromR(r + dr)).toBeGreaterThanOrEqual(a - 1e-12);
        },
      ),
    );
  });

  it('reproduces the published Ie at 2% random loss for G.711+PLC, G.729A and G.723.1', () => {
    // ICAO ACP WG-I working paper, Appendix B Table B-1 ("Ie (2% loss)": 7, 19, 24), derived from G.113 values
    const at2 = (c: keyof typeof CODEC_IMPAIRMENTS) =>
      effectiveEquipmentImpairment(CODEC_IMPAIRMENTS[c].ie, CODEC_IMPAIRMENTS[c].bpl, 2);
    expect(at2('pcmu')).toBeCloseTo(7, 0);
    expect(at2('g729a')).toBeCloseTo(19, 0);
    expect(at2('g723.1')).toBeCloseTo(24, 0);
    expect(at2('g711-no-plc')).toBeGreaterThan(at2('pcmu') * 4); // concealment matters
  });

  it('Ie,eff is Ie without loss, rises with loss, and approaches 95', () => {
    expect(effectiveEquipmentImpairment(11, 19, 0)).toBe(11);
    expect(effectiveEquipmentImpairment(0, 25.1, 100)).toBeCloseTo(95 * (100 / 125.1), 6);
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 99, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (p, dp) => {
          expect(effectiveEquipmentImpairment(0, 25.1, p + dp)).toBeGreaterThanOrEqual(
            effectiveEquipmentImpairment(0, 25.1, p) - 1e-12,
          );
          expect(effectiveEquipmentImpairment(0, 25.1, p)).toBeLessThan(95);
        },
      ),
    );
  });

  it('bursty loss hurts more than random loss at the same rate', () => {
    expect(burstRatio(10, 1 / 0.9)).toBeCloseTo(1, 10); // random loss: mean burst 1/(1-p)
    const br = burstRatio(10, 3);
    expect(br).toBeCloseTo(1 / (1 / 3 + (0.1 / 0.9) * (1 / 3)), 10);
    expect(br).toBeGreaterThan(2);
    const random = estimateQuality({ codec: 'pcma', lossPercent: 10 });
    const bursty = estimateQuality({ codec: 'pcma', lossPercent: 10, burstR: br });
    expect(bursty.r).toBeLessThan(random.r);
    expect(burstRatio(0, 5)).toBe(1);
  });

  it('delay costs nothing up to 100 ms (G.107 Idd) and then grows', () => {
    expect(delayImpairment(0)).toBe(0);
    expect(delayImpairment(100)).toBe(0);
    expect(delayImpairment(100.5)).toBeLessThan(1e-6);
    // X = log2(Ta/100) = 1 at 200 ms: Idd = 25((2)^(1/6) - 3(1 + 1/729)^(1/6) + 2)
    expect(delayImpairment(200)).toBeCloseTo(3.04, 2);
    let prev = 0;
    for (let d = 100; d <= 1000; d += 25) {
      const id = delayImpairment(d);
      expect(id).toBeGreaterThanOrEqual(prev);
      prev = id;
    }
    // with G.711 the reduced model crosses R = 70 (MOS 3.6) a little below 400 ms one way
    expect(estimateQuality({ codec: 'pcmu', oneWayDelayMs: 380 }).r).toBeGreaterThan(70);
    expect(estimateQuality({ codec: 'pcmu', oneWayDelayMs: 400 }).r).toBeLessThan(70);
  });

  it('offers the Cole-Rosenbluth linear delay fit', () => {
    expect(delayImpairment(100, 'cole-rosenbluth')).toBeCloseTo(2.4, 10);
    expect(delayImpairment(300, 'cole-rosenbluth')).toBeCloseTo(0.024 * 300 + 0.11 * (300 - 177.3), 10);
  });

  it('accepts a measured codec impairment and the advantage factor', () => {
    const q = estimateQuality({
      codec: { ie: 10, bpl: 20 },
      lossPercent: 1,
      oneWayDelayMs: 150,
      advantage: 5,
    });
    expect(q.r).toBeCloseTo(93.2 - delayImpairment(150) - (10 + (85 * 1) / 21) + 5, 10);
  });

  it('marks the codec values that are assumptions', () => {
    expect(CODEC_IMPAIRMENTS.pcmu.provisional).toBe(false);
    expect(CODEC_IMPAIRMENTS.g722.provisional).toBe(true);
    expect(CODEC_IMPAIRMENTS.opus.provisional).toBe(true);
  });

  it('rejects impossible inputs with ERR_INVALID_ARGUMENT', () => {
    const bad = [
      () => effectiveEquipmentImpairment(0, 25, -1),
      () => effectiveEquipmentImpairment(0, 25, 101),
      () => effectiveEquipmentImpairment(0, 0, 1),
      () => effectiveEquipmentImpairment(0, 25, 1, 0.5),
      () => delayImpairment(-1),
      () => burstRatio(100, 2),
      () => burstRatio(5, 0.5),
      () => estimateQuality({ codec: 'nope' as 'pcmu' }),
    ];
    for (const f of bad) expect(f).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });
});
