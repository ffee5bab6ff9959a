/**
 * The worker's media tick: a drift-free periodic callback. Tick n is due at
 * start + n × period (not "period after the previous one ran"), so timer
 * lateness never accumulates: a tick that runs 3 ms late is followed by one
 * that waits 17 ms. After a stall the missed ticks are run back to back (the
 * jitter buffers then play the frames that piled up), up to `maxCatchUpTicks`;
 * beyond that the oldest are skipped and counted.
 */
import type { Clock, ClockTimer } from '../../core/index.js';

export interface TickSchedulerOptions {
  clock: Clock;
  periodMs: number;
  /** Most ticks run back to back after a stall (default 5). */
  maxCatchUpTicks?: number;
  /** Runs each tick; `nowMs` is the clock's time when the tick runs, `dueMs` its scheduled time. */
  onTick(nowMs: number, dueMs: number): void;
}

export class TickScheduler {
  readonly periodMs: number;
  readonly #clock: Clock;
  readonly #maxCatchUp: number;
  readonly #onTick: (nowMs: number, dueMs: number) => void;
  #timer: ClockTimer | undefined;
  #dueAt = 0;
  #running = false;
  /** Ticks run. */
  ticks = 0;
  /** Ticks that ran more than one period after they were due. */
  lateTicks = 0;
  /** Ticks dropped after a stall. */
  skippedTicks = 0;
  /** Largest lag behind schedule seen, ms. */
  maxLagMs = 0;
  /** Sum of the time spent inside `onTick`, ms. */
  busyMs = 0;
  /** Ticks by lag behind schedule in whole ms (the last bucket: 255 ms and more). */
  readonly lagHistogram = new Uint32Array(256);

  constructor(options: TickSchedulerOptions) {
    this.#clock = options.clock;
    this.periodMs = options.periodMs;
    this.#maxCatchUp = Math.max(1, options.maxCatchUpTicks ?? 5);
    this.#onTick = options.onTick;
  }

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#dueAt = this.#clock.now() + this.periodMs;
    this.#schedule();
  }

  stop(): void {
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #schedule(): void {
    const delay = Math.max(0, this.#dueAt - this.#clock.now());
    this.#timer = this.#clock.setTimeout(this.#runBound, delay);
  }

  readonly #runBound = (): void => this.#run();

  #run(): void {
    if (!this.#running) return;
    const p = this.periodMs;
    let now = this.#clock.now();
    const behind = Math.floor((now - this.#dueAt) / p) + 1;
    if (behind > this.#maxCatchUp) {
      const skip = behind - this.#maxCatchUp;
      this.skippedTicks += skip;
      this.#dueAt += skip * p;
    }
    for (let n = 0; n < this.#maxCatchUp && this.#dueAt <= now && this.#running; n++) {
      const lag = now - this.#dueAt;
      if (lag > this.maxLagMs) this.maxLagMs = lag;
      const bucket = lag < 255 ? Math.floor(lag) : 255;
      this.lagHistogram[bucket] = (this.lagHistogram[bucket] as number) + 1;
      if (lag > p) this.lateTicks++;
      this.ticks++;
      const due = this.#dueAt;
      this.#dueAt += p;
      this.#onTick(now, due);
      const after = this.#clock.now();
      this.busyMs += after - now;
      now = after;
    }
    if (this.#running) this.#schedule();
  }
}
