/**
 * Packet-loss concealment on decoded PCM, for codecs without their own PLC
 * (G.711 above all), in the spirit of ITU-T G.711 Appendix I: a lost frame is
 * replaced by repeating the last pitch period of the signal.
 *
 * - The output runs `delay` samples (3.75 ms) behind the input, so that when
 *   a loss starts the last quarter pitch period of real signal, not yet
 *   played, can be overlap-added into the repetition.
 * - The pitch period (40..120 samples at 8 kHz, i.e. 66–200 Hz) is the lag of
 *   the highest normalised cross-correlation between the last 20 ms of
 *   history and the same stretch one lag earlier.
 * - The repeated stretch is one period for the first 10 ms of a loss, two
 *   periods from 10 ms and three from 20 ms (fewer buzzy artefacts); each
 *   repetition buffer has its tail cross-faded into the samples before its
 *   start, so every wrap-around is seamless, and switching buffers is a
 *   quarter-period cross-fade.
 * - The first 10 ms are at full level; the level then falls linearly by 20%
 *   per 10 ms, reaching silence 60 ms into the loss.
 * - On the first good frame after a loss the synthetic signal is continued
 *   and cross-faded into the real one over a quarter period plus 4 ms for each
 *   further 10 ms lost (at most 10 ms).
 *
 * Frames may be any length; they are processed in 10 ms pieces in place.
 * Nothing allocates after construction.
 */
import { StrowgerError } from '../../core/index.js';

export interface PcmConcealerOptions {
  /** Sample rate: 8000 (default) or a multiple of it up to 48000. */
  sampleRate?: number;
}

export class PcmConcealer {
  readonly sampleRate: number;
  /** Samples the output lags behind the input. */
  readonly delay: number;

  readonly #k: number;
  readonly #pMin: number;
  readonly #pMax: number;
  readonly #corrLen: number;
  readonly #block: number;
  readonly #hist: Float32Array;
  readonly #h: number;
  readonly #c1: Float32Array;
  readonly #c2: Float32Array;
  readonly #c3: Float32Array;
  readonly #scratch: Float32Array;
  #filled = 0;
  #erasing = false;
  #t = 0;
  #pitch = 0;
  #ola = 1;
  #buf: Float32Array;
  #bufLen = 0;
  #periods = 1;
  #pos = 0;
  #xfOld: Float32Array;
  #xfOldLen = 0;
  #xfOldPos = 0;
  #xfLeft = 0;
  #xfLen = 0;
  #reLeft = 0;
  #reLen = 0;

  constructor(options: PcmConcealerOptions = {}) {
    const rate = options.sampleRate ?? 8000;
    if (!(Number.isInteger(rate) && rate >= 8000 && rate <= 48_000 && rate % 8000 === 0)) {
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        'PcmConcealer: sampleRate must be 8000, 16000, …, 48000',
      );
    }
    this.sampleRate = rate;
    const k = rate / 8000;
    this.#k = k;
    this.#pMin = 40 * k;
    this.#pMax = 120 * k;
    this.#corrLen = 160 * k;
    this.#block = 80 * k;
    this.delay = this.#pMax >> 2;
    // three periods plus the quarter period before them (G.711 App. I: 390 samples at 8 kHz)
    this.#h = 3 * this.#pMax + this.delay;
    this.#hist = new Float32Array(this.#h);
    this.#c1 = new Float32Array(this.#pMax);
    this.#c2 = new Float32Array(2 * this.#pMax);
    this.#c3 = new Float32Array(3 * this.#pMax);
    this.#scratch = new Float32Array(this.#block);
    this.#buf = this.#c1;
    this.#xfOld = this.#c1;
  }

  /** True while frames are being concealed (until the next good frame). */
  get concealing(): boolean {
    return this.#erasing;
  }

  /** Pitch period (samples) used by the current or last concealment; 0 if none. */
  get pitch(): number {
    return this.#pitch;
  }

  /** A good decoded frame: replaced in place by the output (delayed by `delay` samples). */
  receive(frame: Int16Array): void {
    for (let o = 0; o < frame.length; o += this.#block) {
      this.#goodPiece(frame, o, Math.min(this.#block, frame.length - o));
    }
  }

  /** A lost frame: filled with the concealment (at the same delay). */
  conceal(frame: Int16Array): void {
    for (let o = 0; o < frame.length; o += this.#block) {
      this.#lostPiece(frame, o, Math.min(this.#block, frame.length - o));
    }
  }

  /** Forgets the history (as at construction). */
  reset(): void {
    this.#hist.fill(0);
    this.#filled = 0;
    this.#erasing = false;
    this.#reLeft = 0;
    this.#xfLeft = 0;
    this.#pitch = 0;
  }

  #goodPiece(frame: Int16Array, o: number, n: number): void {
    if (this.#erasing) {
      this.#erasing = false;
      const blocks = Math.ceil(this.#t / this.#block);
      this.#reLen = Math.min(this.#block, this.#ola + (blocks - 1) * 32 * this.#k);
      this.#reLeft = this.#reLen;
    }
    const h = this.#hist;
    const H = this.#h;
    h.copyWithin(0, n);
    const mix = Math.min(n, this.#reLeft);
    if (mix > 0) this.#synthInto(this.#scratch, 0, mix);
    for (let i = 0; i < n; i++) {
      let x = frame[o + i] as number;
      if (i < mix) {
        const w = (this.#reLen - this.#reLeft + 1) / (this.#reLen + 1);
        x = (this.#scratch[i] as number) * (1 - w) + x * w;
        this.#reLeft--;
      }
      h[H - n + i] = x;
    }
    this.#filled = Math.min(H, this.#filled + n);
    this.#emit(frame, o, n);
  }

  #lostPiece(frame: Int16Array, o: number, n: number): void {
    if (!this.#erasing) this.#startErasure();
    this.#reLeft = 0;
    const h = this.#hist;
    const H = this.#h;
    h.copyWithin(0, n);
    this.#synthInto(h, H - n, n);
    this.#emit(frame, o, n);
  }

  #emit(frame: Int16Array, o: number, n: number): void {
    const h = this.#hist;
    const start = this.#h - this.delay - n;
    for (let i = 0; i < n; i++) {
      const v = Math.round(h[start + i] as number);
      frame[o + i] = Math.min(32767, Math.max(-32768, v));
    }
  }

  #startErasure(): void {
    this.#erasing = true;
    this.#t = 0;
    this.#xfLeft = 0;
    this.#periods = 1;
    this.#pos = 0;
    const H = this.#h;
    if (this.#filled < this.#corrLen + this.#pMax) {
      // not enough history to find a pitch: conceal with silence
      this.#pitch = 0;
      this.#ola = this.delay;
      this.#c1.fill(0);
      this.#buf = this.#c1;
      this.#bufLen = 1;
      return;
    }
    const p = this.#findPitch();
    const l = Math.max(1, p >> 2);
    this.#pitch = p;
    this.#ola = l;
    const h = this.#hist;
    for (let k = 1; k <= 3; k++) {
      const c = k === 1 ? this.#c1 : k === 2 ? this.#c2 : this.#c3;
      const len = k * p;
      if (len + l > this.#filled) break;
      for (let i = 0; i < len - l; i++) c[i] = h[H - len + i] as number;
      // tail fades into the samples that precede the stretch: the wrap-around is seamless
      for (let j = 0; j < l; j++) {
        const w = (j + 1) / (l + 1);
        c[len - l + j] = (h[H - l + j] as number) * (1 - w) + (h[H - len - l + j] as number) * w;
      }
    }
    // the last quarter period of real signal (not yet output) becomes the same fade
    for (let j = 0; j < l; j++) h[H - l + j] = this.#c1[p - l + j] as number;
    this.#buf = this.#c1;
    this.#bufLen = p;
  }

  /** Lag in [pMin, pMax] maximising the normalised cross-correlation of the last corrLen samples. */
  #findPitch(): number {
    const h = this.#hist;
    const end = this.#h;
    const n = this.#corrLen;
    const a0 = end - n;
    let best = this.#pMin;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let p = this.#pMin; p <= this.#pMax; p++) {
      let xy = 0;
      let yy = 0;
      const b0 = a0 - p;
      for (let i = 0; i < n; i++) {
        const y = h[b0 + i] as number;
        xy += (h[a0 + i] as number) * y;
        yy += y * y;
      }
      const score = yy > 0 ? xy / Math.sqrt(yy) : 0;
      if (score > bestScore) {
        bestScore = score;
        best = p;
      }
    }
    return best;
  }

  /** Writes the next `n` synthetic samples (repetition, cross-fades, attenuation) to `out` at `off`. */
  #synthInto(out: Float32Array, off: number, n: number): void {
    const B = this.#block;
    for (let i = 0; i < n; i++) {
      const t = this.#t;
      if (this.#pitch > 0 && (t === B || t === 2 * B) && this.#periods < 3) this.#morePeriods();
      let y = this.#buf[this.#pos] as number;
      this.#pos++;
      if (this.#pos >= this.#bufLen) this.#pos = 0;
      if (this.#xfLeft > 0) {
        const w = (this.#xfLen - this.#xfLeft + 1) / (this.#xfLen + 1);
        const old = this.#xfOld[this.#xfOldPos] as number;
        this.#xfOldPos++;
        if (this.#xfOldPos >= this.#xfOldLen) this.#xfOldPos = 0;
        y = old * (1 - w) + y * w;
        this.#xfLeft--;
      }
      this.#t = t + 1;
      if (t >= B) {
        const g = 1 - (t - B) / (5 * B);
        y = g > 0 ? y * g : 0;
      }
      out[off + i] = y;
    }
  }

  /** Repeats one more pitch period from here on, cross-fading from the shorter repetition. */
  #morePeriods(): void {
    const next = this.#periods + 1;
    if (next * this.#pitch + this.#ola > this.#filled) return;
    this.#xfOld = this.#buf;
    this.#xfOldLen = this.#bufLen;
    this.#xfOldPos = this.#pos;
    this.#xfLen = this.#ola;
    this.#xfLeft = this.#ola;
    this.#buf = next === 2 ? this.#c2 : this.#c3;
    this.#bufLen = next * this.#pitch;
    this.#pos %= this.#pitch;
    this.#periods = next;
  }
}
