/**
 * Converts a stream of fixed-size PCM frames from one rate to fixed-size
 * frames at another: a streaming Resampler followed by a small FIFO, so that
 * every call returns exactly one output frame. Between 8, 16 and 48 kHz the
 * ratio is whole and the FIFO only passes frames through; for odd rates
 * (L16 at 44.1 kHz) it absorbs the varying output counts, padding with
 * silence only before the first samples arrive. Allocation-free per call.
 */
import { Resampler } from '../codecs/index.js';

export class RateAdapter {
  readonly inputRate: number;
  readonly outputRate: number;
  readonly inputSamples: number;
  /** The output frame, rewritten by every {@link process}. */
  readonly out: Int16Array;
  readonly #resampler: Resampler | undefined;
  readonly #tmp: Int16Array;
  readonly #fifo: Int16Array;
  #len = 0;

  constructor(inputRate: number, outputRate: number, inputSamples: number, outputSamples: number) {
    this.inputRate = inputRate;
    this.outputRate = outputRate;
    this.inputSamples = inputSamples;
    this.out = new Int16Array(outputSamples);
    if (inputRate !== outputRate) {
      this.#resampler = new Resampler({ inputRate, outputRate, maxInputSamples: inputSamples });
    }
    this.#tmp = new Int16Array(this.#resampler ? this.#resampler.outputCapacity(inputSamples) : inputSamples);
    this.#fifo = new Int16Array(this.#tmp.length + outputSamples * 2);
  }

  /** Takes one input frame (`inputSamples` values) and returns one output frame (`out`). */
  process(input: Int16Array): Int16Array {
    const out = this.out;
    const L = out.length;
    let n: number;
    let src: Int16Array;
    if (this.#resampler) {
      n = this.#resampler.process(input, this.#tmp, this.inputSamples);
      src = this.#tmp;
    } else {
      n = this.inputSamples;
      src = input;
    }
    if (this.#len === 0 && n === L) {
      for (let i = 0; i < L; i++) out[i] = src[i] as number;
      return out;
    }
    const f = this.#fifo;
    const room = f.length - this.#len;
    const k = Math.min(n, room);
    for (let i = 0; i < k; i++) f[this.#len + i] = src[i] as number;
    this.#len += k;
    if (this.#len >= L) {
      for (let i = 0; i < L; i++) out[i] = f[i] as number;
      f.copyWithin(0, L, this.#len);
      this.#len -= L;
    } else {
      // not enough yet (start of an odd-ratio stream): silence first, keep what came
      out.fill(0);
    }
    return out;
  }
}
