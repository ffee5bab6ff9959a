import { describe, expect, it } from 'vitest';
import { FakeClock, RealClock, StrowgerError, sleep } from '../../src/core/index.js';

describe('FakeClock', () => {
  it('fires timers in due order with now() equal to each due time', () => {
    const clock = new FakeClock();
    const seen: Array<[string, number]> = [];
    clock.setTimeout(() => seen.push(['b', clock.now()]), 200);
    clock.setTimeout(() => seen.push(['a', clock.now()]), 100);
    clock.setTimeout(() => seen.push(['a2', clock.now()]), 100);
    clock.advance(150);
    expect(seen).toEqual([
      ['a', 100],
      ['a2', 100],
    ]);
    expect(clock.now()).toBe(150);
    clock.advance(50);
    expect(seen.at(-1)).toEqual(['b', 200]);
  });

  it('runs timers scheduled from inside a callback when they fall in the window', () => {
    const clock = new FakeClock();
    const times: number[] = [];
    let interval = 500;
    const arm = () =>
      clock.setTimeout(() => {
        times.push(clock.now());
        interval *= 2;
        arm();
      }, interval);
    arm();
    clock.advance(31_500);
    expect(times).toEqual([500, 1500, 3500, 7500, 15500, 31500]);
  });

  it('cancel() prevents a timer and is idempotent; pending reflects state', () => {
    const clock = new FakeClock();
    let fired = 0;
    const t = clock.setTimeout(() => fired++, 10);
    expect(t.pending).toBe(true);
    expect(clock.pendingTimers).toBe(1);
    t.cancel();
    t.cancel();
    expect(t.pending).toBe(false);
    expect(clock.pendingTimers).toBe(0);
    clock.advance(100);
    expect(fired).toBe(0);
    const u = clock.setTimeout(() => fired++, 10);
    clock.advance(10);
    expect(u.pending).toBe(false);
    expect(fired).toBe(1);
    u.cancel();
    expect(clock.pendingTimers).toBe(0);
  });

  it('intervals repeat until cancelled and runAll refuses to spin forever', () => {
    const clock = new FakeClock();
    let n = 0;
    const t = clock.setInterval(() => n++, 20);
    clock.advance(100);
    expect(n).toBe(5);
    expect(() => clock.runAll(50)).toThrow(StrowgerError);
    t.cancel();
    expect(clock.nextTimerAt()).toBeUndefined();
  });

  it('wallTime moves with now()', () => {
    const clock = new FakeClock({ wallStart: 1_000_000 });
    clock.advance(1234);
    expect(clock.wallTime()).toBe(1_001_234);
  });

  it('sleep resolves on the fake clock and rejects with ERR_ABORTED on abort', async () => {
    const clock = new FakeClock();
    let done = false;
    const p = sleep(clock, 1000).then(() => {
      done = true;
    });
    await clock.advanceAsync(999);
    expect(done).toBe(false);
    await clock.advanceAsync(1);
    await p;
    expect(done).toBe(true);
    const ac = new AbortController();
    const q = sleep(clock, 1000, ac.signal);
    ac.abort();
    await expect(q).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('RealClock', () => {
  it('is monotonic and fires a timer', async () => {
    const clock = new RealClock();
    const a = clock.now();
    await new Promise<void>((r) => clock.setTimeout(r, 5));
    expect(clock.now()).toBeGreaterThanOrEqual(a);
  });

  it('timers report pending until they fire or are cancelled; cancel is idempotent; intervals repeat', async () => {
    const clock = new RealClock();
    let fired = 0;
    const once = clock.setTimeout(() => fired++, 1);
    const never = clock.setTimeout(() => fired++, 1);
    expect(once.pending).toBe(true);
    never.cancel();
    never.cancel();
    expect(never.pending).toBe(false);
    let ticks = 0;
    const every = await new Promise<ReturnType<RealClock['setInterval']>>((resolve) => {
      const t = clock.setInterval(() => {
        ticks++;
        expect(t.pending).toBe(true);
        if (ticks === 3) resolve(t);
      }, 1);
    });
    every.cancel();
    expect(every.pending).toBe(false);
    await new Promise<void>((r) => clock.setTimeout(r, 5));
    expect(fired).toBe(1);
    expect(once.pending).toBe(false);
    expect(ticks).toBe(3);
  });
});

describe('FakeClock memory', () => {
  it('cancelled timers leave the queue at once (long simulations do not accumulate them)', () => {
    const clock = new FakeClock();
    for (let i = 0; i < 10_000; i++) clock.setTimeout(() => {}, 1_000_000 + i).cancel();
    expect(clock.pendingTimers).toBe(0);
    expect(clock.nextTimerAt()).toBeUndefined();
    const keep = clock.setTimeout(() => {}, 5);
    const drop = clock.setTimeout(() => {}, 3);
    drop.cancel();
    expect(clock.nextTimerAt()).toBe(5);
    let n = 0;
    const every = clock.setInterval(() => {
      n++;
      if (n === 3) every.cancel();
    }, 10);
    clock.advance(100);
    expect(n).toBe(3);
    expect(keep.pending).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });
});
