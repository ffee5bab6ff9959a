import { describe, expect, it } from 'vitest';
import { TRANSACTION_DEFAULTS, TransactionLayer, transactionTimers } from '../../../src/sip/index.js';
import { network } from './helpers.js';

describe('transaction timers', () => {
  it('derive every RFC 3261 / RFC 6026 timer from T1, T2 and T4', () => {
    const { t1, t2, t4 } = TRANSACTION_DEFAULTS;
    const udp = transactionTimers(t1, t2, t4, false);
    expect({ ...udp }).toEqual({
      reliable: false,
      t1: 500,
      t2: 4000,
      t4: 5000,
      A: 500,
      B: 32_000,
      D: 32_000,
      E: 500,
      F: 32_000,
      G: 500,
      H: 32_000,
      I: 5000,
      J: 32_000,
      K: 5000,
      L: 32_000,
      M: 32_000,
    });
    const tcp = transactionTimers(t1, t2, t4, true);
    expect([tcp.A, tcp.E, tcp.G, tcp.D, tcp.I, tcp.J, tcp.K]).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect([tcp.B, tcp.F, tcp.H, tcp.L, tcp.M]).toEqual([32_000, 32_000, 32_000, 32_000, 32_000]);
    expect(Object.isFrozen(TRANSACTION_DEFAULTS)).toBe(true);
    expect(Object.isFrozen(udp)).toBe(true);
  });

  it('scale with a per-instance T1 and leave other layers alone', () => {
    const { ta, tb } = network('UDP');
    const fast = new TransactionLayer({ transport: ta, t1: 100, t2: 1000, t4: 2000 });
    const normal = new TransactionLayer({ transport: tb });
    expect(fast.timers(false).B).toBe(6400);
    expect(fast.timers(false).K).toBe(2000);
    expect(normal.timers(false).B).toBe(32_000);
    fast.close();
    normal.close();
  });

  it('refuse values that are not usable, with ERR_INVALID_ARGUMENT', () => {
    const { ta } = network('UDP');
    for (const bad of [
      { t1: 0 },
      { t1: -1 },
      { t1: Number.NaN },
      { t2: 100 },
      { t4: 0 },
      { t1: 2 ** 26 },
      { tryingDelay: -5 },
    ]) {
      expect(() => new TransactionLayer({ transport: ta, ...bad })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    }
  });
});
