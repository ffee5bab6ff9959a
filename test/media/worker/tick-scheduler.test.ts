import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/index.js';
import { TickScheduler } from '../../../src/media/worker/index.js';

describe('TickScheduler', () => {
  it('runs on a drift-free grid: lateness of one tick is not carried into the next', () => {
    const clock = new FakeClock({ start: 0 });
    const due: number[] = [];
    const s = new TickScheduler({ clock, periodMs: 20, onTick: (_now, d) => due.push(d) });
    s.start();
    for (let i = 0; i < 50; i++) clock.advance(7); // the clock moves in odd steps
    expect(due.length).toBe(17);
    expect(due.every((d, i) => d === 20 * (i + 1))).toBe(true);
    s.stop();
  });

  it('runs missed ticks back to back after a stall, skips beyond maxCatchUpTicks, and counts both', () => {
    const clock = new FakeClock({ start: 0 });
    const due: number[] = [];
    const s = new TickScheduler({
      clock,
      periodMs: 20,
      maxCatchUpTicks: 3,
      onTick: (_now, d) => {
        due.push(d);
        if (d === 20) clock.advance(200); // this tick blocks the thread for 200 ms
      },
    });
    s.start();
    clock.advance(300);
    // 20 stalls until 220; 40 and 60 catch up in the same run (3 at most); the next run finds
    // 80..220 due: the oldest 5 are skipped, the newest 3 run; then the grid continues
    expect(due.slice(0, 9)).toEqual([20, 40, 60, 180, 200, 220, 240, 260, 280]);
    expect(s.skippedTicks).toBe(5);
    expect(s.lateTicks).toBeGreaterThan(0);
    expect(s.maxLagMs).toBeGreaterThanOrEqual(180);
    s.stop();
  });

  it('stop() cancels the timer', () => {
    const clock = new FakeClock();
    let n = 0;
    const s = new TickScheduler({ clock, periodMs: 20, onTick: () => n++ });
    s.start();
    clock.advance(100);
    s.stop();
    clock.advance(100);
    expect(n).toBe(5);
    expect(clock.pendingTimers).toBe(0);
  });
});
