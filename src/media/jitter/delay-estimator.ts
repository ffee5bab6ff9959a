/**
 * The jitter buffer's view of the network: how late packets are, relative to
 * the fastest recent packet, and how much playout delay that calls for.
 *
 * - **Transit** of a packet is `arrivalMs - timestampMs` (both on their own
 *   clocks, so only differences mean anything).
 * - **Floor** is the minimum transit over a sliding window (`floorWindowMs`,
 *   kept as ten bucket minima). It follows clock drift and lasting route
 *   changes; a short delay spike does not lift it.
 * - **Relative delay** of a packet is `transit - floor`. Its distribution is a
 *   histogram with exponential forgetting (NetEq-style): each new sample
 *   gets weight `1 - λ` and the old ones are scaled by `λ`; during start-up
 *   `λ` ramps from 0 so that the first packets are averaged equally. When the
 *   floor steps (by 20 ms or more), the histogram is shifted by the same
 *   amount so that stored samples stay relative to the current floor.
 * - **Target** is the `quantile` of that histogram (fast to follow a widening
 *   distribution only through the weight of new samples), raised at once by a
 *   **peak detector** when one packet's relative delay exceeds the target by
 *   `peakThresholdMs` (a delay spike: fast attack). The peak is held while
 *   packets keep arriving that late and for `peakHoldMs` after, then decays
 *   exponentially with time constant `peakDecayMs` (slow decay). Packets of
 *   a spike do not enter the histogram, so a spike is forgotten after the
 *   hold and decay, not after the histogram's much longer memory.
 *
 * Nothing here allocates after construction.
 */

export interface DelayEstimatorOptions {
  quantile: number;
  forgetFactor: number;
  binMs: number;
  maxDelayMs: number;
  floorWindowMs: number;
  peakThresholdMs: number;
  peakHoldMs: number;
  peakDecayMs: number;
  /** Samples needed before the histogram's quantile is trusted. */
  minSamples: number;
}

const FLOOR_BUCKETS = 10;
/** Floor moves at least this large (ms) shift the histogram. */
const FLOOR_STEP_MS = 20;

export class DelayEstimator {
  readonly #o: DelayEstimatorOptions;
  readonly #bins: Float64Array;
  /** Stored bins are the true (normalised) histogram divided by `#scale`. */
  #scale = 1;
  #total = 0;
  #count = 0;
  #quantileMs = 0;
  #dirty = false;

  readonly #bucketMs: number;
  readonly #bucketMin = new Float64Array(FLOOR_BUCKETS).fill(Number.POSITIVE_INFINITY);
  #bucket = Number.NEGATIVE_INFINITY;
  #floor = Number.NaN;

  #peakMs = 0.5;
  #peakUntil = Number.NEGATIVE_INFINITY;
  #lastRelative = 0.5;
  #target = 0.5;
  #peakNow = 0.5;

  constructor(options: DelayEstimatorOptions) {
    this.#o = options;
    this.#bins = new Float64Array(Math.ceil(options.maxDelayMs / options.binMs) + 1);
    this.#bucketMs = options.floorWindowMs / FLOOR_BUCKETS;
    // (fields that hold doubles start as doubles, so V8 stores them in place)
    this.#peakMs = 0;
    this.#peakNow = 0;
    this.#lastRelative = 0;
    this.#target = 0;
  }

  /** Minimum transit over the window, or NaN before the first sample. */
  get floor(): number {
    return this.#floor;
  }

  /** Relative delay of the latest sample. */
  get lastRelativeMs(): number {
    return this.#lastRelative;
  }

  /** Samples seen so far. */
  get count(): number {
    return this.#count;
  }

  /** Transit of the packet {@link add} records next (ms). */
  transitMs = 0.5;
  /** Arrival time of the packet {@link add} records next (ms). */
  arrivalMs = 0.5;

  /** Records one packet; its relative delay is then {@link lastRelativeMs}. */
  update(transitMs: number, arrivalMs: number): void {
    this.transitMs = transitMs;
    this.arrivalMs = arrivalMs;
    this.add();
  }

  /**
   * Records the packet described by {@link transitMs} and {@link arrivalMs}.
   * (The hot path sets the fields and calls this: doubles passed as arguments to
   * a call V8 does not inline are boxed, i.e. allocated.)
   */
  add(): void {
    const arrivalMs = this.arrivalMs;
    this.#updateFloor();
    const r = Math.max(0, this.transitMs - this.#floor);
    this.#lastRelative = r;
    if (this.#count >= this.#o.minSamples) {
      this.#quantile();
      const q = this.#quantileMs;
      this.#peakAt(arrivalMs);
      const peak = this.#peakNow;
      const threshold = this.#o.peakThresholdMs;
      if (r > Math.max(q, peak) + threshold) {
        this.#peakMs = r;
        this.#peakUntil = arrivalMs + this.#o.peakHoldMs;
        return; // a spike is the peak detector's business, not the histogram's
      }
      if (peak > q && r >= peak - threshold / 2 && r > q + threshold) {
        // still in the spike: keep holding it
        this.#peakMs = Math.max(peak, r);
        this.#peakUntil = arrivalMs + this.#o.peakHoldMs;
        return;
      }
    }
    this.#addSample();
  }

  /** Computes the target relative playout delay at `nowMs` ({@link targetMs}); `initialMs` until enough samples are in. */
  refreshTarget(nowMs: number, initialMs: number): void {
    if (this.#count < this.#o.minSamples) this.#target = initialMs;
    else {
      this.#quantile();
      this.#peakAt(nowMs);
      this.#target = Math.min(Math.max(this.#quantileMs, this.#peakNow), this.#o.maxDelayMs);
    }
  }

  /** The target computed by the last {@link refreshTarget} (ms). */
  get targetMs(): number {
    return this.#target;
  }

  /** The histogram quantile alone (ms). */
  get quantileMs(): number {
    this.#quantile();
    return this.#quantileMs;
  }

  /** Forgets everything. */
  reset(): void {
    this.#bins.fill(0);
    this.#scale = 1;
    this.#total = 0;
    this.#count = 0;
    this.#quantileMs = 0;
    this.#dirty = false;
    this.#bucketMin.fill(Number.POSITIVE_INFINITY);
    this.#bucket = Number.NEGATIVE_INFINITY;
    this.#floor = Number.NaN;
    this.#peakMs = 0;
    this.#peakUntil = Number.NEGATIVE_INFINITY;
    this.#lastRelative = 0;
  }

  /** Sets `#peakNow`: the spike target at `nowMs`, held, then decaying. */
  #peakAt(nowMs: number): void {
    if (this.#peakMs === 0) {
      this.#peakNow = 0;
      return;
    }
    if (nowMs <= this.#peakUntil) {
      this.#peakNow = this.#peakMs;
      return;
    }
    const p = this.#peakMs * Math.exp(-(nowMs - this.#peakUntil) / this.#o.peakDecayMs);
    if (p < this.#o.binMs) this.#peakMs = 0;
    this.#peakNow = this.#peakMs === 0 ? 0 : p;
  }

  #updateFloor(): void {
    const transitMs = this.transitMs;
    const arrivalMs = this.arrivalMs;
    const b = Math.floor(arrivalMs / this.#bucketMs);
    if (b > this.#bucket) {
      const steps = Math.min(FLOOR_BUCKETS, b - this.#bucket);
      for (let s = 1; s <= steps; s++)
        this.#bucketMin[mod(b - steps + s, FLOOR_BUCKETS)] = Number.POSITIVE_INFINITY;
      this.#bucket = b;
    }
    if (b > this.#bucket - FLOOR_BUCKETS) {
      const i = mod(b, FLOOR_BUCKETS);
      if (transitMs < (this.#bucketMin[i] as number)) this.#bucketMin[i] = transitMs;
    }
    let f = Number.POSITIVE_INFINITY;
    for (let i = 0; i < FLOOR_BUCKETS; i++)
      if ((this.#bucketMin[i] as number) < f) f = this.#bucketMin[i] as number;
    if (f === Number.POSITIVE_INFINITY) f = transitMs;
    const old = this.#floor;
    this.#floor = f;
    if (Number.isNaN(old)) return;
    // A step of the floor (route change, a long spike that became the norm) moves the
    // stored samples with it; the small, continuous moves of clock drift and of the
    // minimum's own noise do not: each sample stays relative to the floor of its time.
    const d = f - old;
    if (Math.abs(d) < FLOOR_STEP_MS) return;
    if (this.#peakMs > 0) this.#peakMs = Math.max(0, this.#peakMs - d);
    const bins = Math.round(d / this.#o.binMs);
    if (bins !== 0) this.#shiftBins(bins);
  }

  /** Moves histogram mass `bins` bins down (positive) or up (negative), clamping at the ends. */
  #shiftBins(bins: number): void {
    const h = this.#bins;
    const n = h.length;
    if (bins > 0) {
      let low = 0;
      for (let i = 0; i <= Math.min(bins, n - 1); i++) low += h[i] as number;
      for (let i = 1; i + bins < n; i++) h[i] = h[i + bins] as number;
      h[0] = low;
      for (let i = Math.max(1, n - bins); i < n; i++) h[i] = 0;
    } else {
      const k = -bins;
      let high = 0;
      for (let i = Math.max(0, n - 1 - k); i < n; i++) high += h[i] as number;
      for (let i = n - 2; i >= k; i--) h[i] = h[i - k] as number;
      h[n - 1] = high;
      for (let i = 0; i < Math.min(k, n - 1); i++) h[i] = 0;
    }
    this.#dirty = true;
  }

  #addSample(): void {
    const r = this.#lastRelative;
    const h = this.#bins;
    const b = Math.min(h.length - 1, Math.floor(r / this.#o.binMs));
    this.#count++;
    if (this.#count === 1) {
      h.fill(0);
      h[b] = 1;
      this.#total = 1;
      this.#scale = 1;
    } else {
      const lambda = Math.min(this.#o.forgetFactor, 1 - 1 / this.#count);
      this.#scale *= lambda;
      const inc = (1 - lambda) / this.#scale;
      h[b] = (h[b] as number) + inc;
      this.#total += inc;
      if (this.#scale < 1e-100) {
        const s = this.#scale;
        for (let i = 0; i < h.length; i++) h[i] = (h[i] as number) * s;
        this.#total *= s;
        this.#scale = 1;
      }
    }
    this.#dirty = true;
  }

  /** Brings `#quantileMs` up to date (it returns nothing: a returned double would be boxed). */
  #quantile(): void {
    if (!this.#dirty) return;
    this.#dirty = false;
    const h = this.#bins;
    const want = this.#o.quantile * this.#total;
    let cum = 0;
    const w = this.#o.binMs;
    for (let i = 0; i < h.length; i++) {
      const v = h[i] as number;
      if (cum + v >= want && v > 0) {
        this.#quantileMs = (i + (want - cum) / v) * w;
        return;
      }
      cum += v;
    }
    this.#quantileMs = h.length * w;
  }
}

function mod(a: number, n: number): number {
  const r = a % n;
  return r < 0 ? r + n : r;
}
