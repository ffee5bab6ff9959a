import { performance } from 'node:perf_hooks';
import { StrowgerError } from './errors.js';
import { IndexedHeap } from './indexed-heap.js';

/** A scheduled callback. `cancel()` is idempotent. */
export interface ClockTimer {
  cancel(): void;
  /** True until the callback ran or the timer was cancelled. */
  readonly pending: boolean;
}

/**
 * Time, injected. Everything in Strowger that waits asks a Clock, so tests run
 * RFC timers (Timer B's 32 s and friends) in microseconds with {@link FakeClock}.
 */
export interface Clock {
  /** Monotonic milliseconds; only differences mean anything. */
  now(): number;
  /** Wall-clock milliseconds since the Unix epoch (for CDRs and Date headers). */
  wallTime(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): ClockTimer;
  /** Runs `fn` every `ms` milliseconds until cancelled. */
  setInterval(fn: () => void, ms: number): ClockTimer;
}

/** The real clock: `performance.now()` and Node timers. */
export class RealClock implements Clock {
  now(): number {
    return performance.now();
  }

  wallTime(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    return new RealTimer(fn, ms, false);
  }

  setInterval(fn: () => void, ms: number): ClockTimer {
    return new RealTimer(fn, ms, true);
  }
}

/**
 * A Node timer behind {@link ClockTimer}: one object per timer, its callback reached through
 * the timer argument (no closures per call — the SIP stack starts several timers per
 * transaction).
 */
class RealTimer implements ClockTimer {
  #pending = true;
  readonly #fn: () => void;
  readonly #interval: boolean;
  readonly #handle: ReturnType<typeof globalThis.setTimeout>;

  constructor(fn: () => void, ms: number, interval: boolean) {
    this.#fn = fn;
    this.#interval = interval;
    this.#handle = interval ? globalThis.setInterval(fire, ms, this) : globalThis.setTimeout(fire, ms, this);
  }

  get pending(): boolean {
    return this.#pending;
  }

  cancel(): void {
    if (!this.#pending) return;
    this.#pending = false;
    if (this.#interval) globalThis.clearInterval(this.#handle);
    else globalThis.clearTimeout(this.#handle);
  }

  /** @internal */
  _fire(): void {
    if (!this.#interval) this.#pending = false;
    this.#fn();
  }
}

function fire(timer: RealTimer): void {
  timer._fire();
}

/** The process-wide real clock. */
export const realClock: Clock = new RealClock();

interface FakeTimer {
  heapIndex: number;
  due: number;
  seq: number;
  fn: () => void;
  interval: number;
  cancelled: boolean;
  done: boolean;
}

export interface FakeClockOptions {
  /** Initial monotonic time in ms (default 0). */
  start?: number;
  /** Wall-clock epoch ms corresponding to `start` (default 2026-01-01T00:00:00Z). */
  wallStart?: number;
}

/**
 * A clock that only moves when told to. Timers fire in due-time order (ties in
 * scheduling order) and `now()` reads the due time of the timer being run, so
 * a timer scheduled from inside a callback lands at the exact RFC instant.
 */
export class FakeClock implements Clock {
  #now: number;
  readonly #wallOffset: number;
  #seq = 0;
  #live = 0;
  readonly #heap = new IndexedHeap<FakeTimer>((a, b) => a.due < b.due || (a.due === b.due && a.seq < b.seq));

  constructor(options: FakeClockOptions = {}) {
    this.#now = options.start ?? 0;
    this.#wallOffset = (options.wallStart ?? Date.UTC(2026, 0, 1)) - this.#now;
  }

  now(): number {
    return this.#now;
  }

  wallTime(): number {
    return this.#now + this.#wallOffset;
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    return this.#schedule(fn, ms, 0);
  }

  setInterval(fn: () => void, ms: number): ClockTimer {
    if (!(ms > 0)) throw new StrowgerError('ERR_INVALID_ARGUMENT', 'interval must be > 0 ms');
    return this.#schedule(fn, ms, ms);
  }

  /** Number of timers waiting to fire. */
  get pendingTimers(): number {
    return this.#live;
  }

  /** Due time of the next live timer, or undefined. */
  nextTimerAt(): number | undefined {
    return this.#heap.peek()?.due;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new StrowgerError('ERR_INVALID_ARGUMENT', 'advance(ms) needs ms >= 0');
    const target = this.#now + ms;
    for (;;) {
      const t = this.#heap.peek();
      if (!t || t.due > target) break;
      this.#fire(t);
    }
    this.#now = target;
  }

  /** Like {@link advance}, but lets promise callbacks settle after each timer. */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.#now + ms;
    await flushMicrotasks();
    for (;;) {
      const t = this.#heap.peek();
      if (!t || t.due > target) break;
      this.#fire(t);
      await flushMicrotasks();
    }
    this.#now = target;
    await flushMicrotasks();
  }

  /** Fires the next timer (moving time to it); returns false when none is pending. */
  runNext(): boolean {
    const t = this.#heap.peek();
    if (!t) return false;
    this.#fire(t);
    return true;
  }

  /** Fires timers until none is left; throws after `limit` to catch runaway intervals. */
  runAll(limit = 100_000): void {
    for (let i = 0; i < limit; i++) if (!this.runNext()) return;
    throw new StrowgerError('ERR_INVALID_STATE', `FakeClock.runAll: more than ${limit} timers fired`);
  }

  #schedule(fn: () => void, ms: number, interval: number): ClockTimer {
    const t: FakeTimer = {
      heapIndex: -1,
      due: this.#now + Math.max(0, ms),
      seq: this.#seq++,
      fn,
      interval,
      cancelled: false,
      done: false,
    };
    this.#heap.push(t);
    this.#live++;
    return {
      cancel: () => {
        if (t.cancelled || t.done) return;
        t.cancelled = true;
        this.#live--;
        this.#heap.remove(t); // O(log n): long simulations do not accumulate cancelled timers
      },
      get pending() {
        return !t.cancelled && !t.done;
      },
    };
  }

  #fire(t: FakeTimer): void {
    this.#heap.pop();
    this.#now = t.due;
    if (t.interval > 0) {
      t.due += t.interval;
      t.seq = this.#seq++;
      this.#heap.push(t);
    } else {
      t.done = true;
      this.#live--;
    }
    t.fn();
  }
}

/** Resolves after pending promise reactions (several hops) have run. */
export async function flushMicrotasks(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** Waits `ms` on `clock`; rejects with `ERR_ABORTED` when `signal` aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new StrowgerError('ERR_ABORTED', 'aborted', { cause: signal.reason }));
      return;
    }
    const onAbort = () => {
      timer.cancel();
      reject(new StrowgerError('ERR_ABORTED', 'aborted', { cause: signal?.reason }));
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
