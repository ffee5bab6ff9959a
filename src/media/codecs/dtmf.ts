/**
 * In-band DTMF (ITU-T Q.23 signals): a streaming detector for 8 kHz PCM and a
 * tone generator.
 *
 * Detector. Every 10 ms (80 samples) it analyses the last 20 ms (160 samples):
 * 1. Hann-windowed Goertzel power at the 4 row and 4 column frequencies, and
 *    the window's total power;
 * 2. the strongest row and column tone must each be ≥ `relativePeakDb` above
 *    the other tones of their group;
 * 3. each tone's frequency is measured from the phase advance of its DFT
 *    between two 15 ms sub-windows 5 ms apart, and must be within
 *    `maxFrequencyDeviation` of nominal (default 2.5%: Q.24's "operate within
 *    ±1.5%, do not operate beyond ±3.5%" has its boundary between the two);
 * 4. tone powers (re-measured at the measured frequencies) must be ≥
 *    `minLevelDbm0` each, within the twist limits (normal twist: high group
 *    louder, ≤ `maxNormalTwistDb`; reverse twist: low group louder,
 *    ≤ `maxReverseTwistDb`), and together carry ≥ `minToneFraction` of the
 *    window's power (speech and noise spread theirs);
 * 5. the 2nd harmonic of each tone must be ≥ `harmonicDb` below it (vowels have
 *    harmonics, DTMF has none); a row harmonic that falls within 150 Hz of the
 *    detected column tone is not checked (the column tone leaks into that bin);
 * 6. the two 10 ms halves of the window must have power within
 *    `stationarityDb` of each other, so a window only counts when the tone
 *    fills it (this is what makes duration measurable at any level).
 * A digit starts after `minWindows` (3) consecutive valid windows with the
 * same digit — tones of 40 ms or more are always accepted, tones of 25 ms or
 * less never — and ends after `endWindows` (3) windows without it, so a
 * drop-out of ≤ 10 ms is bridged and a pause of ≥ 40 ms separates two digits.
 * Reported start and duration are accurate to about ±10 ms.
 *
 * Level reference: a full-scale 16-bit sine (peak 32767) is +3.14 dBm0 (the
 * G.711 A-law convention), so 0 dBm0 is a sine of peak ≈ 22 826.
 */
import { StrowgerError, TypedEmitter } from '../../core/index.js';

export const DTMF_ROW_HZ: readonly number[] = Object.freeze([697, 770, 852, 941]);
export const DTMF_COL_HZ: readonly number[] = Object.freeze([1209, 1336, 1477, 1633]);
/** Digits by row-major keypad position: `DTMF_KEYPAD[row * 4 + col]`. */
export const DTMF_KEYPAD = '123A456B789C*0#D';

/** Peak amplitude of a 0 dBm0 sine in 16-bit PCM. */
export const DBM0_PEAK = 32767 * 10 ** (-3.14 / 20);

/** Mean power (per sample) of a sine at `dbm0`, in 16-bit units². */
export function dbm0ToPower(dbm0: number): number {
  const a = DBM0_PEAK * 10 ** (dbm0 / 20);
  return (a * a) / 2;
}

/** dBm0 of a mean power in 16-bit units². */
export function powerToDbm0(power: number): number {
  return 10 * Math.log10(power / dbm0ToPower(0));
}

export interface DtmfDetectorOptions {
  /** Only 8000 is supported; resample other rates first. */
  sampleRate?: number;
  /** Weakest tone accepted, dBm0 per tone (default −32). */
  minLevelDbm0?: number;
  /** High-group tone louder than the low-group one, most accepted (default 8 dB). */
  maxNormalTwistDb?: number;
  /** Low-group tone louder than the high-group one, most accepted (default 4 dB). */
  maxReverseTwistDb?: number;
  /** Peak tone over the others of its group, least accepted (default 6 dB). */
  relativePeakDb?: number;
  /** Fundamental over its 2nd harmonic, least accepted (default 15 dB). */
  harmonicDb?: number;
  /** Largest relative frequency error accepted (default 0.025). */
  maxFrequencyDeviation?: number;
  /** Share of the window's power the two tones must carry (default 0.8). */
  minToneFraction?: number;
  /** Largest power difference between the window's halves (default 4 dB). */
  stationarityDb?: number;
  /** Consecutive valid 10 ms-spaced windows that start a digit (default 3). */
  minWindows?: number;
  /** Consecutive windows without the digit that end it (default 3). */
  endWindows?: number;
}

export const DTMF_DETECTOR_DEFAULTS = Object.freeze({
  sampleRate: 8000,
  minLevelDbm0: -32,
  maxNormalTwistDb: 8,
  maxReverseTwistDb: 4,
  relativePeakDb: 6,
  harmonicDb: 15,
  maxFrequencyDeviation: 0.025,
  minToneFraction: 0.8,
  stationarityDb: 4,
  minWindows: 3,
  endWindows: 3,
});

/** One detected digit. Times are in ms from the first sample the detector was fed (or its last reset). */
export interface DtmfDigitEvent {
  digit: string;
  /** Start, ms. */
  start: number;
  /** Duration, ms. */
  duration: number;
  /** Mean level of the low-group (row) and high-group (column) tone, dBm0. */
  rowLevelDbm0: number;
  colLevelDbm0: number;
}

export interface DtmfDetectorEvents {
  [event: string]: unknown[];
  /** A digit was recognised (about 40 ms after it began); `start` in ms. */
  tonestart: [digit: string, start: number];
  /** A digit ended. */
  digit: [event: DtmfDigitEvent];
}

const WINDOW = 160;
const HOP = 80;
const SUB = 120; // sub-window for the phase-based frequency estimate
const SUB_SHIFT = 40;
const RATE = 8000;

function hann(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / n);
  return w;
}

const W160 = hann(WINDOW);
const W120 = hann(SUB);
let sumW160 = 0;
let sumW160sq = 0;
for (let i = 0; i < WINDOW; i++) {
  sumW160 += W160[i] as number;
  sumW160sq += (W160[i] as number) ** 2;
}
const TONES = [...DTMF_ROW_HZ, ...DTMF_COL_HZ];
/** Windowed cos/sin tables of the 8 tones over the 120-sample sub-window: [tone][n]. */
const SUB_COS = TONES.map((f) =>
  Float64Array.from(W120, (w, n) => w * Math.cos((2 * Math.PI * f * n) / RATE)),
);
const SUB_SIN = TONES.map((f) =>
  Float64Array.from(W120, (w, n) => w * Math.sin((2 * Math.PI * f * n) / RATE)),
);

/** Normalised Goertzel power of pre-windowed `x[0..WINDOW)` at `hz`: ≈ A²/2 for a sine of amplitude A. */
function tonePower(x: Float64Array, hz: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * hz) / RATE);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < WINDOW; i++) {
    const s0 = (x[i] as number) + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const mag2 = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * mag2) / (sumW160 * sumW160);
}

const db = (ratio: number) => 10 ** (ratio / 10);

/** Streaming in-band DTMF detector for 8 kHz mono PCM. */
export class DtmfDetector extends TypedEmitter<DtmfDetectorEvents> {
  readonly options: Readonly<Required<DtmfDetectorOptions>>;
  readonly #raw = new Float64Array(WINDOW);
  readonly #xw = new Float64Array(WINDOW);
  #fill = 0;
  /** Samples consumed since start/reset. */
  #samples = 0;
  // thresholds as power ratios
  readonly #minPower: number;
  readonly #normalTwist: number;
  readonly #reverseTwist: number;
  readonly #relPeak: number;
  readonly #harmonic: number;
  readonly #stationarity: number;
  // state machine
  #cand = -1;
  #run = 0;
  #runStart = 0;
  #active = -1;
  #activeStart = 0;
  #lastEnd = 0;
  #misses = 0;
  #rowSum = 0;
  #colSum = 0;
  #hits = 0;
  // results of the last window analysis
  #rowPower = 0;
  #colPower = 0;

  constructor(options: DtmfDetectorOptions = {}) {
    super();
    const o = { ...DTMF_DETECTOR_DEFAULTS, ...options };
    if (o.sampleRate !== 8000) {
      throw new StrowgerError('ERR_NOT_SUPPORTED', 'DtmfDetector takes 8000 Hz PCM: resample first');
    }
    if (!(o.minWindows >= 1 && o.endWindows >= 1)) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'minWindows and endWindows must be ≥ 1');
    }
    this.options = Object.freeze(o);
    this.#minPower = dbm0ToPower(o.minLevelDbm0);
    this.#normalTwist = db(o.maxNormalTwistDb);
    this.#reverseTwist = db(o.maxReverseTwistDb);
    this.#relPeak = db(o.relativePeakDb);
    this.#harmonic = db(o.harmonicDb);
    this.#stationarity = db(o.stationarityDb);
  }

  /** Milliseconds of audio consumed. */
  get time(): number {
    return this.#samples / 8;
  }

  /** The digit currently sounding (recognised, not yet ended), or undefined. */
  get current(): string | undefined {
    return this.#active >= 0 ? DTMF_KEYPAD[this.#active] : undefined;
  }

  /** Feeds `pcm[0 .. samples)`; emits `tonestart` and `digit` as digits begin and end. */
  process(pcm: Int16Array, samples = pcm.length): void {
    if (!Number.isInteger(samples) || samples < 0 || samples > pcm.length) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'samples must be an integer ≤ pcm.length');
    }
    const raw = this.#raw;
    let i = 0;
    while (i < samples) {
      const take = Math.min(samples - i, WINDOW - this.#fill);
      for (let k = 0; k < take; k++) raw[this.#fill + k] = pcm[i + k] as number;
      this.#fill += take;
      this.#samples += take;
      i += take;
      if (this.#fill === WINDOW) {
        this.#step(this.#analyse());
        raw.copyWithin(0, HOP, WINDOW);
        this.#fill = WINDOW - HOP;
      }
    }
  }

  /** Ends a digit in progress (call at the end of a stream). */
  flush(): void {
    if (this.#active >= 0) this.#end();
    this.#cand = -1;
    this.#run = 0;
  }

  /** Forgets all state and restarts the time base at 0. */
  reset(): void {
    this.#raw.fill(0);
    this.#fill = 0;
    this.#samples = 0;
    this.#cand = -1;
    this.#run = 0;
    this.#active = -1;
    this.#misses = 0;
  }

  /** Keypad index (row·4 + col) of the digit this window holds, or −1. */
  #analyse(): number {
    const raw = this.#raw;
    const xw = this.#xw;
    let e1 = 0;
    let e2 = 0;
    let tot = 0;
    for (let i = 0; i < WINDOW; i++) {
      const v = raw[i] as number;
      if (i < HOP) e1 += v * v;
      else e2 += v * v;
      const y = v * (W160[i] as number);
      xw[i] = y;
      tot += y * y;
    }
    tot /= sumW160sq;
    const o = this.options;
    if (tot < 2 * this.#minPower * o.minToneFraction) return -1;
    if (e1 * this.#stationarity < e2 || e2 * this.#stationarity < e1) return -1;

    let r = 0;
    let rp = -1;
    let r2 = 0;
    for (let k = 0; k < 4; k++) {
      const p = tonePower(xw, DTMF_ROW_HZ[k] as number);
      if (p > rp) {
        r2 = Math.max(r2, rp);
        rp = p;
        r = k;
      } else if (p > r2) r2 = p;
    }
    let c = 0;
    let cp = -1;
    let c2 = 0;
    for (let k = 0; k < 4; k++) {
      const p = tonePower(xw, DTMF_COL_HZ[k] as number);
      if (p > cp) {
        c2 = Math.max(c2, cp);
        cp = p;
        c = k;
      } else if (p > c2) c2 = p;
    }
    if (rp < r2 * this.#relPeak || cp < c2 * this.#relPeak) return -1;

    const rf = this.#frequency(r);
    const cf = this.#frequency(4 + c);
    const rNom = DTMF_ROW_HZ[r] as number;
    const cNom = DTMF_COL_HZ[c] as number;
    if (Math.abs(rf - rNom) > rNom * o.maxFrequencyDeviation) return -1;
    if (Math.abs(cf - cNom) > cNom * o.maxFrequencyDeviation) return -1;

    const rowP = tonePower(xw, rf);
    const colP = tonePower(xw, cf);
    if (rowP < this.#minPower || colP < this.#minPower) return -1;
    if (colP > rowP * this.#normalTwist || rowP > colP * this.#reverseTwist) return -1;
    if (rowP + colP < tot * o.minToneFraction) return -1;

    if (tonePower(xw, 2 * cf) * this.#harmonic > colP) return -1;
    if (Math.abs(2 * rf - cf) >= 150 && tonePower(xw, 2 * rf) * this.#harmonic > rowP) return -1;

    this.#rowPower = rowP;
    this.#colPower = colP;
    return r * 4 + c;
  }

  /** Frequency (Hz) of tone `k` from the phase advance between two sub-windows SUB_SHIFT apart. */
  #frequency(k: number): number {
    const raw = this.#raw;
    const ct = SUB_COS[k] as Float64Array;
    const st = SUB_SIN[k] as Float64Array;
    let re1 = 0;
    let im1 = 0;
    let re2 = 0;
    let im2 = 0;
    for (let n = 0; n < SUB; n++) {
      const c = ct[n] as number;
      const s = st[n] as number;
      const a = raw[n] as number;
      const b = raw[n + SUB_SHIFT] as number;
      re1 += a * c;
      im1 -= a * s;
      re2 += b * c;
      im2 -= b * s;
    }
    // arg(X2 · conj(X1)) = (ω + δ)·SUB_SHIFT (mod 2π)
    const re = re2 * re1 + im2 * im1;
    const im = im2 * re1 - re2 * im1;
    const nominal = TONES[k] as number;
    const w = (2 * Math.PI * nominal) / RATE;
    let d = Math.atan2(im, re) - w * SUB_SHIFT;
    d -= 2 * Math.PI * Math.round(d / (2 * Math.PI));
    return nominal + (d / SUB_SHIFT) * (RATE / (2 * Math.PI));
  }

  #step(d: number): void {
    const end = this.#samples;
    const start = end - WINDOW;
    if (d >= 0 && d === this.#cand) this.#run++;
    else {
      this.#cand = d;
      this.#run = d >= 0 ? 1 : 0;
      this.#runStart = start;
    }
    if (this.#active >= 0) {
      if (d === this.#active) {
        this.#lastEnd = end;
        this.#misses = 0;
        this.#accumulate();
        return;
      }
      if (++this.#misses < this.options.endWindows) return;
      this.#end();
    }
    if (this.#cand >= 0 && this.#run >= this.options.minWindows) {
      this.#active = this.#cand;
      this.#activeStart = this.#runStart;
      this.#lastEnd = end;
      this.#misses = 0;
      this.#rowSum = 0;
      this.#colSum = 0;
      this.#hits = 0;
      this.#accumulate();
      this.safeEmit('tonestart', DTMF_KEYPAD[this.#active] as string, this.#activeStart / 8);
    }
  }

  #accumulate(): void {
    this.#rowSum += this.#rowPower;
    this.#colSum += this.#colPower;
    this.#hits++;
  }

  #end(): void {
    const ev: DtmfDigitEvent = {
      digit: DTMF_KEYPAD[this.#active] as string,
      start: this.#activeStart / 8,
      duration: (this.#lastEnd - this.#activeStart) / 8,
      rowLevelDbm0: powerToDbm0(this.#rowSum / this.#hits),
      colLevelDbm0: powerToDbm0(this.#colSum / this.#hits),
    };
    this.#active = -1;
    this.#misses = 0;
    // the windows that ended this digit may already be the start of the next one
    this.safeEmit('digit', ev);
  }
}

export interface DtmfGeneratorOptions {
  /** PCM rate (default 8000). */
  sampleRate?: number;
  /** Level of each tone, dBm0 (default −10). */
  levelDbm0?: number;
  /** High-group level minus low-group level, dB (default 0; Q.23 senders use about +2). */
  twistDb?: number;
  /** Relative frequency error applied to both tones, e.g. 0.015 (default 0). */
  frequencyOffset?: number;
}

/** Phase-continuous DTMF tone generator; writes into caller buffers. */
export class DtmfGenerator {
  readonly sampleRate: number;
  #low: number;
  #high: number;
  #offset: number;
  #phaseLow = 0;
  #phaseHigh = 0;
  #digit = '';

  constructor(options: DtmfGeneratorOptions = {}) {
    this.sampleRate = options.sampleRate ?? 8000;
    if (!Number.isInteger(this.sampleRate) || this.sampleRate < 4000) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'sampleRate must be an integer ≥ 4000');
    }
    this.#low = 0;
    this.#high = 0;
    this.#offset = 0;
    this.configure(options);
  }

  /** Changes level, twist or frequency offset (takes effect on the next sample). */
  configure(options: Omit<DtmfGeneratorOptions, 'sampleRate'>): void {
    const level = options.levelDbm0 ?? -10;
    const twist = options.twistDb ?? 0;
    this.#low = DBM0_PEAK * 10 ** (level / 20);
    this.#high = DBM0_PEAK * 10 ** ((level + twist) / 20);
    this.#offset = options.frequencyOffset ?? 0;
  }

  /**
   * Writes `samples` values of `digit`'s dual tone to `out` from `offset`,
   * continuing the phase when the digit is the one generated last.
   */
  generate(digit: string, out: Int16Array, samples: number = out.length, offset = 0): number {
    const idx = DTMF_KEYPAD.indexOf(digit.toUpperCase());
    if (digit.length !== 1 || idx < 0)
      throw new StrowgerError('ERR_INVALID_ARGUMENT', `not a DTMF digit: ${digit}`);
    if (!Number.isInteger(samples) || samples < 0 || offset < 0 || offset + samples > out.length) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'samples/offset outside the output buffer');
    }
    if (digit !== this.#digit) {
      this.#phaseLow = 0;
      this.#phaseHigh = 0;
      this.#digit = digit;
    }
    const wl = (2 * Math.PI * (DTMF_ROW_HZ[idx >> 2] as number) * (1 + this.#offset)) / this.sampleRate;
    const wh = (2 * Math.PI * (DTMF_COL_HZ[idx & 3] as number) * (1 + this.#offset)) / this.sampleRate;
    let pl = this.#phaseLow;
    let ph = this.#phaseHigh;
    for (let i = 0; i < samples; i++) {
      const v = Math.round(this.#low * Math.sin(pl) + this.#high * Math.sin(ph));
      out[offset + i] = v > 32767 ? 32767 : Math.max(v, -32768);
      pl += wl;
      ph += wh;
    }
    this.#phaseLow = pl % (2 * Math.PI);
    this.#phaseHigh = ph % (2 * Math.PI);
    return samples;
  }

  /** Writes silence and forgets the phase (the next tone starts at phase 0). */
  silence(out: Int16Array, samples: number = out.length, offset = 0): number {
    out.fill(0, offset, offset + samples);
    this.#digit = '';
    return samples;
  }
}

/** A whole tone burst as a new buffer (convenience for prompts and tests). */
export function dtmfTone(digit: string, durationMs: number, options: DtmfGeneratorOptions = {}): Int16Array {
  const g = new DtmfGenerator(options);
  const out = new Int16Array(Math.round((durationMs * g.sampleRate) / 1000));
  g.generate(digit, out);
  return out;
}
