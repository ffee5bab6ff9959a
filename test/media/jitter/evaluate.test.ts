import { describe, expect, it } from 'vitest';
import {
  evaluateTrace,
  generateTrace,
  oracle,
  simulate,
  standardTraces,
} from '../../../src/media/jitter/index.js';

describe('trace generator', () => {
  it('is deterministic for a seed and different across seeds', () => {
    const a = generateTrace({ seed: 5, jitterMs: 10, loss: { rate: 0.02, meanBurst: 2 } });
    const b = generateTrace({ seed: 5, jitterMs: 10, loss: { rate: 0.02, meanBurst: 2 } });
    const c = generateTrace({ seed: 6, jitterMs: 10, loss: { rate: 0.02, meanBurst: 2 } });
    expect([...a.arrivalMs]).toEqual([...b.arrivalMs]);
    expect([...a.arrivalMs]).not.toEqual([...c.arrivalMs]);
  });

  it('produces Gilbert–Elliott loss near the asked rate, in bursts', () => {
    const t = generateTrace({ seed: 9, durationMs: 200_000, loss: { rate: 0.05, meanBurst: 3 } });
    let lost = 0;
    let bursts = 0;
    for (let i = 0; i < t.count; i++) {
      if (Number.isNaN(t.arrivalMs[i])) {
        lost++;
        if (i === 0 || !Number.isNaN(t.arrivalMs[i - 1])) bursts++;
      }
    }
    expect(lost / t.count).toBeGreaterThan(0.035);
    expect(lost / t.count).toBeLessThan(0.065);
    expect(lost / bursts).toBeGreaterThan(2.2);
  });

  it('wraps the sequence number and the timestamp, and models sender drift and DTX', () => {
    const t = generateTrace({ seed: 1, driftPpm: 100, talkSpurts: { meanOnMs: 1000, meanOffMs: 1000 } });
    expect([...t.seq]).toContain(0);
    let tsWrapped = false;
    for (let i = 1; i < t.count; i++)
      if ((t.timestamp[i] as number) < (t.timestamp[i - 1] as number)) tsWrapped = true;
    expect(tsWrapped).toBe(true);
    expect(t.count).toBeLessThan(2500); // silences send nothing
    expect(t.marker.filter((m) => m === 1).length).toBeGreaterThan(10);
    const steady = generateTrace({ seed: 1, driftPpm: 100 });
    expect((steady.sendMs[1000] as number) - (steady.sendMs[0] as number)).toBeCloseTo(20_000 / 1.0001, 6);
  });
});

describe('evaluation harness', () => {
  it('adds less than a tick of delay and loses nothing on a jitter-free network', () => {
    const t = generateTrace({ seed: 3, jitterMs: 0 });
    const r = simulate(t, { mode: 'adaptive' }, 'adaptive');
    expect(r.late).toBe(0);
    expect(r.played + r.dropped).toBe(t.count);
    expect(r.dropped).toBeLessThanOrEqual(2); // the start-up delay (40 ms) shrinking to what the network needs
    expect(r.meanDelayMs).toBeLessThan(20);
  });

  it('finds the oracle delay: the smallest fixed delay within the loss budget', () => {
    const t = generateTrace({ seed: 4, jitterMs: 20 });
    const strict = oracle(t, 0);
    const loose = oracle(t, 60);
    expect(strict.late).toBe(0);
    expect(loose.late).toBeLessThanOrEqual(60);
    expect(loose.delayMs).toBeLessThan(strict.delayMs);
    expect(loose.meanDelayMs).toBeLessThan(strict.meanDelayMs);
  });

  it('meets the target on every standard trace: adaptive mean delay within 1.2x the oracle at equal loss', () => {
    for (const t of standardTraces()) {
      const e = evaluateTrace(t);
      expect(e.adaptive.orderErrors, t.name).toBe(0);
      expect(e.fixed.orderErrors, t.name).toBe(0);
      expect(e.oracle.late, t.name).toBeLessThanOrEqual(e.adaptive.unplayed);
      expect(e.ratio, t.name).toBeLessThanOrEqual(1.2);
      expect(e.interpolatedRatio, t.name).toBeLessThanOrEqual(1.2);
    }
  });
});
