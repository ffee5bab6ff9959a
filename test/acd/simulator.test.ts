import { describe, expect, it } from 'vitest';
import { type SimQueue, simulate } from '../../src/acd/index.js';
import { expectCode } from './helpers.js';

const HOUR = 3_600_000;
// 48 erlangs: 720 calls/hour × 240 s, the golden load
const LOAD: SimQueue = {
  id: 'q',
  arrivalsPerHour: 720,
  handleMeanMs: 240_000,
  config: { serviceLevel: { thresholdMs: 15_000 } },
};

describe('simulator', () => {
  it('agrees with Erlang C where Erlang C holds (exponential handle times, no abandonment)', () => {
    let met = 0;
    let answered = 0;
    let predicted = 0;
    for (const seed of [1, 2, 3, 4]) {
      const r = simulate({
        seed,
        durationMs: 24 * HOUR,
        warmupMs: HOUR,
        queues: [{ ...LOAD, handleDistribution: 'exponential' }],
        agents: [{ count: 55, queues: ['q'] }],
      });
      const q = r.queues[0];
      if (!q) throw new Error('no report');
      expect(q.abandoned).toBe(0);
      expect(Math.abs(q.serviceLevel - q.erlangC.serviceLevel)).toBeLessThan(0.05);
      met += q.serviceLevel * q.answered;
      answered += q.answered;
      predicted = q.erlangC.serviceLevel;
      expect(r.occupancy).toBeGreaterThan(0.84);
      expect(r.occupancy).toBeLessThan(0.9); // 48 / 55 = 0.873, give or take the day's random load
    }
    expect(predicted).toBeCloseTo(0.846, 3);
    expect(Math.abs(met / answered - predicted)).toBeLessThan(0.03);
  });

  it('with impatient callers (exponential patience) abandonment agrees with Erlang A', () => {
    const r = simulate({
      seed: 5,
      durationMs: 24 * HOUR,
      warmupMs: HOUR,
      queues: [{ ...LOAD, handleDistribution: 'exponential', patienceMeanMs: 300_000 }],
      agents: [{ count: 50, queues: ['q'] }],
    });
    const q = r.queues[0];
    if (!q?.erlangA) throw new Error('no Erlang A figures');
    expect(q.erlangA.pAbandon).toBeCloseTo(0.0366, 3);
    expect(Math.abs(q.abandonRate - q.erlangA.pAbandon)).toBeLessThan(0.015);
    expect(q.abandoned).toBeGreaterThan(0);
  });

  it('EWT: median absolute error under 20 % of the realised wait in a loaded steady state, and better than the Asterisk-style average', () => {
    const r = simulate({
      seed: 1,
      durationMs: 24 * HOUR,
      warmupMs: HOUR,
      queues: [{ ...LOAD, handleDistribution: 'lognormal', handleCv: 1 }],
      agents: [{ count: 50, queues: ['q'] }],
    });
    const { strowger, asteriskStyle } = r.ewt;
    expect(strowger.samples).toBeGreaterThan(5000);
    expect(strowger.relativeMedianAbsError).toBeLessThan(0.2);
    expect(strowger.medianAbsErrorMs).toBeLessThan(asteriskStyle.medianAbsErrorMs);
    expect(strowger.medianRelativeError).toBeLessThan(asteriskStyle.medianRelativeError);
  });

  it('with agents shared between queues the measured line rate keeps EWT ahead of the Asterisk-style average', () => {
    const r = simulate({
      seed: 4,
      durationMs: 12 * HOUR,
      warmupMs: HOUR,
      queues: [
        { id: 'sales', arrivalsPerHour: 330, handleMeanMs: 240_000 },
        { id: 'support', arrivalsPerHour: 150, handleMeanMs: 300_000 },
        { id: 'vip', arrivalsPerHour: 40, handleMeanMs: 300_000, config: { priority: 2 } },
      ],
      agents: [
        { count: 20, queues: ['sales'] },
        { count: 10, queues: ['support'] },
        { count: 15, queues: ['sales', 'support', 'vip'], prefix: 'flex-' },
      ],
    });
    for (const id of ['sales', 'support']) {
      const q = r.queues.find((x) => x.id === id);
      if (!q) throw new Error(id);
      expect(q.ewt.strowger.relativeMedianAbsError).toBeLessThan(q.ewt.asteriskStyle.relativeMedianAbsError);
      expect(q.ewt.strowger.medianRelativeError).toBeLessThan(q.ewt.asteriskStyle.medianRelativeError);
    }
  });

  it('runs several queues sharing agents and reports each', () => {
    const r = simulate({
      seed: 3,
      durationMs: 4 * HOUR,
      queues: [
        {
          id: 'sales',
          arrivalsPerHour: 120,
          handleMeanMs: 180_000,
          patienceMeanMs: 120_000,
          config: { wrapUpMs: 15_000 },
        },
        { id: 'support', arrivalsPerHour: 60, handleMeanMs: 300_000, config: { strategy: 'fewest-calls' } },
      ],
      agents: [
        { count: 4, queues: ['sales'] },
        { count: 6, queues: ['sales', 'support'], prefix: 'flex-' },
      ],
    });
    expect(r.queues.map((q) => q.id)).toEqual(['sales', 'support']);
    for (const q of r.queues) {
      expect(q.arrivals).toBeGreaterThan(100);
      expect(q.answered + q.abandoned).toBeLessThanOrEqual(q.arrivals);
      expect(q.serviceLevel).toBeGreaterThanOrEqual(0);
      expect(q.serviceLevel).toBeLessThanOrEqual(1);
    }
    expect(r.queues[1]?.abandoned).toBe(0);
    expect(r.occupancy).toBeGreaterThan(0.5);
    expect(r.occupancy).toBeLessThan(1);
  });

  it('rejects bad options with ERR_INVALID_ARGUMENT', () => {
    expectCode(
      () => simulate({ durationMs: 0, queues: [LOAD], agents: [] }),
      'ERR_INVALID_ARGUMENT',
      /durationMs/,
    );
    expectCode(
      () => simulate({ durationMs: HOUR, queues: [], agents: [] }),
      'ERR_INVALID_ARGUMENT',
      /queues/,
    );
    expectCode(
      () => simulate({ durationMs: HOUR, queues: [{ ...LOAD, arrivalsPerHour: -1 }], agents: [] }),
      'ERR_INVALID_ARGUMENT',
      /arrivalsPerHour/,
    );
    expectCode(
      () => simulate({ durationMs: HOUR, warmupMs: 2 * HOUR, queues: [LOAD], agents: [] }),
      'ERR_INVALID_ARGUMENT',
      /warmupMs/,
    );
  });
});
