/**
 * Per-queue counters over a sliding window made of fixed slots, so updates are O(1) and
 * old data falls out as the window moves. Reads sum the slots.
 */
const FIELDS = 12;
export const F_ARRIVALS = 0;
export const F_ANSWERED = 1;
/** Answered within the service-level threshold. */
export const F_MET = 2;
export const F_ABANDONED = 3;
/** Abandoned after the threshold (counts as a miss). */
export const F_ABANDONED_LATE = 4;
/** Sum of waits of answered calls (ASA). */
export const F_WAIT_ANSWERED = 5;
/** Sum of waits of calls that left the queue either way (patience estimate). */
export const F_WAIT_ALL = 6;
/** Sum and count of handle times (offer to agent free). */
export const F_HANDLE_SUM = 7;
export const F_HANDLE_COUNT = 8;
export const F_CALLBACKS_ANSWERED = 9;
/** Time (ms) the queue had at least one interaction waiting in line. */
export const F_BACKLOG_MS = 10;
/** Interactions that left the line for an agent after waiting in it (the line's service rate). */
export const F_DEPARTURES = 11;

export class RollingStats {
  readonly #slotMs: number;
  readonly #slots: number;
  readonly #data: Float64Array;
  readonly #sum = new Float64Array(FIELDS);
  #slot = 0;
  #slotIndex: number;
  readonly #createdAt: number;

  constructor(windowMs: number, now: number, slots = 30) {
    this.#slots = slots;
    this.#slotMs = windowMs / slots;
    this.#data = new Float64Array(slots * FIELDS);
    this.#slotIndex = Math.floor(now / this.#slotMs);
    this.#createdAt = now;
  }

  /** Length of history the window covers now (shorter than the window at the start). */
  span(now: number): number {
    return Math.min(this.#slots * this.#slotMs, Math.max(now - this.#createdAt, this.#slotMs));
  }

  add(now: number, field: number, value = 1): void {
    this.#roll(now);
    this.#data[this.#slot * FIELDS + field] = (this.#data[this.#slot * FIELDS + field] as number) + value;
    this.#sum[field] = (this.#sum[field] as number) + value;
  }

  get(now: number, field: number): number {
    this.#roll(now);
    return Math.max(0, this.#sum[field] as number);
  }

  #roll(now: number): void {
    const idx = Math.floor(now / this.#slotMs);
    if (idx <= this.#slotIndex) return;
    const steps = Math.min(idx - this.#slotIndex, this.#slots);
    for (let s = 0; s < steps; s++) {
      this.#slot = (this.#slot + 1) % this.#slots;
      const base = this.#slot * FIELDS;
      for (let f = 0; f < FIELDS; f++) {
        this.#sum[f] = (this.#sum[f] as number) - (this.#data[base + f] as number);
        this.#data[base + f] = 0;
      }
    }
    if (steps === this.#slots) this.#sum.fill(0);
    this.#slotIndex = idx;
  }
}
