/**
 * Streaming polyphase FIR resampler for a rational ratio L/M (L = up, M =
 * down, reduced by their gcd): 8 ↔ 16 ↔ 48 kHz on the media hot path, and
 * any other pair of rates (11025, 22050, 44100 → 8000 …) for files.
 *
 * Filter design (one prototype low-pass at L × inputRate, Kaiser-windowed sinc):
 * - the band of interest is the lower of the two Nyquist frequencies, fN;
 * - passband edge 0.85·fN (3.4 kHz at 8 kHz, 6.8 kHz at 16 kHz), ripple ≤ 0.01 dB;
 * - stopband edge 1.0·fN (4 kHz at 8 kHz), attenuation ≥ `stopbandDb` (default 60 dB,
 *   measured by the tests) — alias and image products land at least that far
 *   below the signal, i.e. under G.711's own quantization noise (≈ 38 dB SNR);
 *   raise it for music (each 10 dB costs ≈ 20% more taps);
 * - length from Kaiser's formula N ≈ (A′ − 7.95) / (14.36 · Δf/Fs), rounded up to a
 *   multiple of L; β = 0.1102 (A′ − 8.7), with A′ = A + 2 dB of margin over the
 *   estimate's error.
 *
 * The prototype is split into L phases of K taps (stored phase-major, scaled
 * by L so every phase has unity DC gain). Output n is the dot product of phase
 * (n·M mod L) with the K newest inputs up to ⌊n·M/L⌋. N is odd and
 * (N − 1)/2 a multiple of M, so the group delay is a whole number of output
 * samples (`delay`) and {@link resampleBuffer} can remove it exactly. State (the last
 * K − 1 inputs per channel and the phase) carries across calls, so any split
 * of the input into frames gives the same output. `process` allocates nothing
 * unless a frame larger than every earlier one arrives (the buffer then grows once).
 */
import { StrowgerError } from '../../core/index.js';

export interface ResamplerOptions {
  inputRate: number;
  outputRate: number;
  /** Interleaved channels (default 1). */
  channels?: number;
  /** Stopband attenuation the filter is designed for, dB (default 60). */
  stopbandDb?: number;
  /** Passband edge as a fraction of the lower Nyquist frequency (default 0.85). */
  passband?: number;
  /** Largest input (Int16 values) one `process` call takes without growing its buffer (default 120 ms). */
  maxInputSamples?: number;
}

export const RESAMPLER_DEFAULTS = Object.freeze({ stopbandDb: 60, passband: 0.85 });

/** Upper bound of L × K (coefficients) — keeps odd ratios like 44100 → 8000 (L = 80) sane. */
const MAX_COEFFICIENTS = 1 << 21;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind (series), for the Kaiser window. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-16) break;
  }
  return sum;
}

export interface FilterDesign {
  up: number;
  down: number;
  /** Taps per phase. */
  taps: number;
  /** Prototype length N (odd; the phases are zero-padded to `taps · up`). */
  length: number;
  /** Prototype cutoff (−6 dB) in Hz. */
  cutoffHz: number;
  passbandHz: number;
  stopbandHz: number;
  beta: number;
  /** Phase-major coefficients: `coefficients[p * taps + j]`, scaled by `up`. */
  coefficients: Float64Array;
}

const designs = new Map<string, FilterDesign>();

/**
 * Designs the polyphase filter for a rate pair (see the module comment).
 * Designs are cached per thread and shared (read-only) by every resampler
 * of the same rates, so a call's set-up costs no filter design.
 */
export function designResampler(
  inputRate: number,
  outputRate: number,
  stopbandDb: number = RESAMPLER_DEFAULTS.stopbandDb,
  passband: number = RESAMPLER_DEFAULTS.passband,
): Readonly<FilterDesign> {
  const key = `${inputRate}/${outputRate}/${stopbandDb}/${passband}`;
  let d = designs.get(key);
  if (!d) {
    d = design(inputRate, outputRate, stopbandDb, passband);
    designs.set(key, d);
  }
  return d;
}

function design(
  inputRate: number,
  outputRate: number,
  stopbandDb: number = RESAMPLER_DEFAULTS.stopbandDb,
  passband: number = RESAMPLER_DEFAULTS.passband,
): FilterDesign {
  for (const [name, r] of [
    ['inputRate', inputRate],
    ['outputRate', outputRate],
  ] as const) {
    if (!Number.isInteger(r) || r < 1000 || r > 384000) {
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        `${name} must be an integer in [1000, 384000], got ${r}`,
      );
    }
  }
  if (!(stopbandDb >= 20 && stopbandDb <= 150)) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'stopbandDb must be in [20, 150]');
  }
  if (!(passband > 0.1 && passband < 1))
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'passband must be in (0.1, 1)');
  const g = gcd(inputRate, outputRate);
  const up = outputRate / g;
  const down = inputRate / g;
  const fs = inputRate * up; // prototype rate
  const nyq = Math.min(inputRate, outputRate) / 2;
  const passbandHz = passband * nyq;
  const stopbandHz = nyq;
  const cutoffHz = (passbandHz + stopbandHz) / 2;
  const width = (stopbandHz - passbandHz) / fs;
  // Kaiser's formulas are estimates good to about ±1 dB: design 2 dB beyond the promise
  const a = stopbandDb + 2;
  const needed = Math.ceil((a - 7.95) / (14.36 * width)) + 1;
  // odd length with (n − 1)/2 a multiple of M: the group delay is a whole number of output samples
  const n = 2 * down * Math.ceil((needed - 1) / (2 * down)) + 1;
  const taps = Math.max(2, Math.ceil(n / up)); // phases are zero-padded to `taps`
  if (taps * up > MAX_COEFFICIENTS) {
    throw new StrowgerError(
      'ERR_NOT_SUPPORTED',
      `resampling ${inputRate} → ${outputRate} needs ${n} coefficients`,
    );
  }
  const beta = a > 50 ? 0.1102 * (a - 8.7) : 0.5842 * (a - 21) ** 0.4 + 0.07886 * (a - 21);
  const i0b = besselI0(beta);
  const fc = cutoffHz / fs; // cycles per prototype sample
  const mid = (n - 1) / 2;
  const proto = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const t = i - mid;
    const sinc = t === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * t) / (Math.PI * t);
    const r = (2 * i) / (n - 1) - 1;
    const w = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0b;
    proto[i] = sinc * w;
    sum += proto[i] as number;
  }
  const coefficients = new Float64Array(taps * up);
  const scale = up / sum;
  for (let p = 0; p < up; p++) {
    for (let j = 0; j < taps; j++) coefficients[p * taps + j] = (proto[p + j * up] ?? 0) * scale;
  }
  return { up, down, taps, length: n, cutoffHz, passbandHz, stopbandHz, beta, coefficients };
}

/** Σ rcoef[cb + j] · buf[xs + j] for j < K (coefficients stored reversed so both walk forward). */
function dot(rcoef: Float64Array, cb: number, buf: Float64Array, xs: number, K: number): number {
  let acc = 0;
  for (let j = 0; j < K; j++) acc += (rcoef[cb + j] as number) * (buf[xs + j] as number);
  return acc;
}

/** Rounds to the nearest integer and saturates to int16. */
function clamp16(acc: number): number {
  const v = Math.round(acc);
  return v > 32767 ? 32767 : Math.max(v, -32768);
}

/** L = 2, M = 1: both phases of each input position in one pass over its K inputs. */
function up2(c: Float64Array, buf: Float64Array, out: Int16Array, pos: number, end: number, K: number): void {
  let o = 0;
  for (; pos < end; pos++) {
    const xs = pos - K + 1;
    let a0 = 0;
    let a1 = 0;
    for (let j = 0; j < K; j++) {
      const x = buf[xs + j] as number;
      a0 += (c[j] as number) * x;
      a1 += (c[K + j] as number) * x;
    }
    out[o++] = clamp16(a0);
    out[o++] = clamp16(a1);
  }
}

/** L = 3, M = 1. */
function up3(c: Float64Array, buf: Float64Array, out: Int16Array, pos: number, end: number, K: number): void {
  let o = 0;
  const k2 = 2 * K;
  for (; pos < end; pos++) {
    const xs = pos - K + 1;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    for (let j = 0; j < K; j++) {
      const x = buf[xs + j] as number;
      a0 += (c[j] as number) * x;
      a1 += (c[K + j] as number) * x;
      a2 += (c[k2 + j] as number) * x;
    }
    out[o++] = clamp16(a0);
    out[o++] = clamp16(a1);
    out[o++] = clamp16(a2);
  }
}

/** L = 6, M = 1. */
function up6(c: Float64Array, buf: Float64Array, out: Int16Array, pos: number, end: number, K: number): void {
  let o = 0;
  for (; pos < end; pos++) {
    const xs = pos - K + 1;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let a4 = 0;
    let a5 = 0;
    for (let j = 0; j < K; j++) {
      const x = buf[xs + j] as number;
      a0 += (c[j] as number) * x;
      a1 += (c[K + j] as number) * x;
      a2 += (c[2 * K + j] as number) * x;
      a3 += (c[3 * K + j] as number) * x;
      a4 += (c[4 * K + j] as number) * x;
      a5 += (c[5 * K + j] as number) * x;
    }
    out[o++] = clamp16(a0);
    out[o++] = clamp16(a1);
    out[o++] = clamp16(a2);
    out[o++] = clamp16(a3);
    out[o++] = clamp16(a4);
    out[o++] = clamp16(a5);
  }
}

/** L = 1 with a symmetric odd-length filter: c[j] = c[K−1−j], so pairs of inputs share a multiply. */
function downFolded(
  c: Float64Array,
  buf: Float64Array,
  out: Int16Array,
  pos: number,
  count: number,
  M: number,
  K: number,
): void {
  const half = (K - 1) >> 1;
  const mid = c[half] as number;
  for (let k = 0; k < count; k++, pos += M) {
    const xs = pos - K + 1;
    let acc = mid * (buf[xs + half] as number);
    for (let j = 0; j < half; j++)
      acc += (c[j] as number) * ((buf[xs + j] as number) + (buf[pos - j] as number));
    out[k] = clamp16(acc);
  }
}

const reversed = new WeakMap<FilterDesign, Float64Array>();

/** Each phase's taps in reverse order (so the dot product walks both arrays forward); cached per design. */
function reversedCoefficients(d: Readonly<FilterDesign>): Float64Array {
  let rc = reversed.get(d);
  if (!rc) {
    rc = new Float64Array(d.coefficients.length);
    for (let p = 0; p < d.up; p++) {
      for (let j = 0; j < d.taps; j++)
        rc[p * d.taps + j] = d.coefficients[p * d.taps + d.taps - 1 - j] as number;
    }
    reversed.set(d, rc);
  }
  return rc;
}

export class Resampler {
  readonly inputRate: number;
  readonly outputRate: number;
  readonly channels: number;
  /** Interpolation factor L. */
  readonly up: number;
  /** Decimation factor M. */
  readonly down: number;
  /** Taps per phase K. */
  readonly taps: number;
  /** Group delay in output samples (per channel); a whole number by design. */
  readonly delay: number;
  readonly design: Readonly<FilterDesign>;
  readonly #coef: Float64Array;
  /** Single symmetric phase (pure decimation): the folded kernel applies. */
  readonly #symmetric: boolean;
  /** Per-channel history + current input, channel-major with stride #stride. */
  #buf: Float64Array;
  #stride: number;
  /** Index (in the per-channel buffer) of the newest input the next output uses. */
  #pos: number;
  #phase = 0;

  constructor(options: ResamplerOptions) {
    const channels = options.channels ?? 1;
    if (!Number.isInteger(channels) || channels < 1 || channels > 8) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'channels must be an integer in [1, 8]');
    }
    this.design = designResampler(
      options.inputRate,
      options.outputRate,
      options.stopbandDb,
      options.passband,
    );
    this.inputRate = options.inputRate;
    this.outputRate = options.outputRate;
    this.channels = channels;
    this.up = this.design.up;
    this.down = this.design.down;
    this.taps = this.design.taps;
    this.#coef = reversedCoefficients(this.design);
    this.#symmetric = this.up === 1 && this.taps === this.design.length && this.taps % 2 === 1;
    this.delay = (this.design.length - 1) / 2 / this.down;
    const maxIn = Math.ceil((options.maxInputSamples ?? (options.inputRate * 120) / 1000) / channels);
    this.#stride = this.taps - 1 + maxIn;
    this.#buf = new Float64Array(this.#stride * channels);
    this.#pos = this.taps - 1;
  }

  /** Largest output (Int16 values) `process` can produce for `inputSamples` values of input. */
  outputCapacity(inputSamples: number): number {
    const frames = Math.ceil(inputSamples / this.channels);
    return (Math.ceil((frames * this.up) / this.down) + 1) * this.channels;
  }

  /** Clears the history (as after construction). */
  reset(): void {
    this.#buf.fill(0);
    this.#pos = this.taps - 1;
    this.#phase = 0;
  }

  /**
   * Resamples `input[0 .. samples)` (interleaved), appending to the stream,
   * and writes the outputs now due to `out` from index 0. Returns the number
   * of Int16 values written. Throws `ERR_INVALID_ARGUMENT` when `out` is too
   * small (size it with {@link outputCapacity}).
   */
  process(input: Int16Array, out: Int16Array, samples = input.length): number {
    const ch = this.channels;
    if (!Number.isInteger(samples) || samples < 0 || samples > input.length || samples % ch !== 0) {
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        `samples must be a whole number of frames ≤ input.length`,
      );
    }
    const frames = samples / ch;
    const K = this.taps;
    const hist = K - 1;
    if (hist + frames > this.#stride) this.#grow(frames);
    const L = this.up;
    const M = this.down;
    const avail = hist + frames;
    // number of outputs: steps t = pos·L + phase, t += M, while t < avail·L
    const t0 = this.#pos * L + this.#phase;
    const count = t0 < avail * L ? Math.ceil((avail * L - t0) / M) : 0;
    if (count * ch > out.length) {
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        `output buffer holds ${out.length}, needs ${count * ch}`,
      );
    }
    const buf = this.#buf;
    const stride = this.#stride;
    for (let c = 0; c < ch; c++) {
      const base = c * stride + hist;
      for (let i = 0; i < frames; i++) buf[base + i] = input[i * ch + c] as number;
    }
    const coef = this.#coef;
    let pos = this.#pos;
    let phase = this.#phase;
    if (ch === 1) {
      // mono, the common case: kernels free of the channel loop. For pure interpolation
      // (M = 1) every input position yields L outputs from the same K inputs, so the
      // 2/3/6-phase kernels load each input once; for pure decimation (L = 1) the single
      // phase is symmetric and is folded (half the multiplies).
      if (M === 1 && phase === 0 && (L === 2 || L === 3 || L === 6)) {
        const end = pos + count / L;
        if (L === 2) up2(coef, buf, out, pos, end, K);
        else if (L === 3) up3(coef, buf, out, pos, end, K);
        else up6(coef, buf, out, pos, end, K);
        pos = end;
      } else if (L === 1 && this.#symmetric) {
        downFolded(coef, buf, out, pos, count, M, K);
        pos += count * M;
      } else {
        for (let k = 0; k < count; k++) {
          const cb = phase * K;
          const xs = pos - K + 1;
          let acc = 0;
          for (let j = 0; j < K; j++) acc += (coef[cb + j] as number) * (buf[xs + j] as number);
          out[k] = clamp16(acc);
          phase += M;
          while (phase >= L) {
            phase -= L;
            pos++;
          }
        }
      }
    } else {
      let o = 0;
      for (let k = 0; k < count; k++) {
        const cb = phase * K;
        for (let c = 0; c < ch; c++) {
          out[o + c] = clamp16(dot(coef, cb, buf, c * stride + pos - K + 1, K));
        }
        o += ch;
        phase += M;
        while (phase >= L) {
          phase -= L;
          pos++;
        }
      }
    }
    // keep the newest K−1 inputs as history
    for (let c = 0; c < ch; c++) {
      const b = c * stride;
      buf.copyWithin(b, b + avail - hist, b + avail);
    }
    this.#pos = pos - (avail - hist);
    this.#phase = phase;
    return count * ch;
  }

  #grow(frames: number): void {
    const hist = this.taps - 1;
    const stride = hist + frames;
    const buf = new Float64Array(stride * this.channels);
    for (let c = 0; c < this.channels; c++) {
      buf.set(this.#buf.subarray(c * this.#stride, c * this.#stride + hist), c * stride);
    }
    this.#buf = buf;
    this.#stride = stride;
  }
}

/**
 * Resamples a whole buffer in one go (for files and prompts, not the hot path):
 * the filter's group delay is removed, so output sample i lines up with input
 * time i / outputRate, and the tail is flushed.
 */
export function resampleBuffer(
  input: Int16Array,
  inputRate: number,
  outputRate: number,
  channels = 1,
  options: Pick<ResamplerOptions, 'stopbandDb' | 'passband'> = {},
): Int16Array {
  if (inputRate === outputRate) return input.slice();
  const r = new Resampler({ ...options, inputRate, outputRate, channels, maxInputSamples: input.length + 1 });
  const frames = input.length / channels;
  const delay = r.delay;
  const wanted = Math.round((frames * outputRate) / inputRate);
  // feed the input, then enough zeros to push the delayed tail out
  const padFrames = Math.ceil(((delay + 2) * inputRate) / outputRate) + r.taps;
  const padded = new Int16Array(input.length + padFrames * channels);
  padded.set(input);
  const tmp = new Int16Array(r.outputCapacity(padded.length));
  const n = r.process(padded, tmp) / channels;
  const out = new Int16Array(wanted * channels);
  const avail = Math.max(0, Math.min(wanted, n - delay));
  out.set(tmp.subarray(delay * channels, (delay + avail) * channels));
  return out;
}
