import { StrowgerError } from '../../core/index.js';
import { dbm0ToAmplitude, type ToneSpec } from './tone-plan.js';

export type ToneSampleRate = 8000 | 16000 | 48000;

export interface ToneGeneratorOptions {
  sampleRate: ToneSampleRate;
  /**
   * Linear rise/fall at each edge of a sounding segment, in ms (default 2).
   * Avoids clicks and the splatter a hard edge spreads across the band; the
   * half-amplitude points stay on the nominal cadence edges.
   */
  rampMs?: number;
}

export const TONE_GENERATOR_DEFAULTS = Object.freeze({ rampMs: 2 });

interface Seg {
  /** Samples in this segment (Infinity for a steady tone). */
  len: number;
  /** Indexes into the generator's frequency table, and peak amplitudes. */
  freqIdx: Int32Array;
  amp: Float64Array;
  ramp: number;
}

/**
 * Streams a {@link ToneSpec} into caller-provided Int16Array frames of any
 * size at 8, 16 or 48 kHz. Every frequency's phase runs on one continuous
 * sample clock, so consecutive frames join without a discontinuity and the
 * output does not depend on how the stream is cut into frames. Segment
 * boundaries are placed on the cumulative schedule (no cadence drift over a
 * long ring). No allocation after construction.
 */
export class ToneGenerator {
  readonly sampleRate: ToneSampleRate;
  readonly spec: ToneSpec;
  readonly #segs: Seg[];
  readonly #loopFrom: number;
  /** Distinct frequencies: angular step per sample and running phase. */
  readonly #step: Float64Array;
  readonly #phase: Float64Array;
  /** Per-sample rotation (cos, sin) of each frequency. */
  readonly #rotC: Float64Array;
  readonly #rotS: Float64Array;
  /** Working phasors for the components of the segment being rendered. */
  readonly #pc: Float64Array;
  readonly #ps: Float64Array;
  #seg = 0;
  /** Samples into the current segment. */
  #pos = 0;
  #done = false;
  #elapsed = 0;

  constructor(spec: ToneSpec, options: ToneGeneratorOptions) {
    const rate = options.sampleRate;
    if (rate !== 8000 && rate !== 16000 && rate !== 48000) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'sampleRate must be 8000, 16000 or 48000');
    }
    const rampMs = options.rampMs ?? TONE_GENERATOR_DEFAULTS.rampMs;
    if (!Number.isFinite(rampMs) || rampMs < 0 || rampMs > 50) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'rampMs must be from 0 to 50');
    }
    validate(spec, rate);
    this.sampleRate = rate;
    this.spec = spec;
    this.#loopFrom = spec.loopFrom ?? 0;
    const freqs: number[] = [];
    let maxComponents = 0;
    for (const s of spec.segments) {
      for (const c of s.components) if (!freqs.includes(c.freq)) freqs.push(c.freq);
      maxComponents = Math.max(maxComponents, s.components.length);
    }
    this.#step = Float64Array.from(freqs, (f) => (2 * Math.PI * f) / rate);
    this.#phase = new Float64Array(freqs.length);
    this.#rotC = Float64Array.from(this.#step, Math.cos);
    this.#rotS = Float64Array.from(this.#step, Math.sin);
    this.#pc = new Float64Array(maxComponents);
    this.#ps = new Float64Array(maxComponents);
    const rampSamples = Math.round((rampMs * rate) / 1000);
    // segment lengths from a cumulative ms schedule, so rounding never accumulates
    let cumMs = 0;
    let prev = 0;
    this.#segs = spec.segments.map((s, i) => {
      cumMs += s.durationMs;
      const end = Number.isFinite(cumMs) ? Math.round((cumMs * rate) / 1000) : Infinity;
      const len = end - prev;
      prev = end;
      if (!(len >= 1)) {
        throw new StrowgerError(
          'ERR_INVALID_ARGUMENT',
          `tone ${spec.name}: segment ${i} is shorter than one sample`,
        );
      }
      return {
        len,
        freqIdx: Int32Array.from(s.components, (c) => freqs.indexOf(c.freq)),
        amp: Float64Array.from(s.components, (c) => dbm0ToAmplitude(c.levelDbm0)),
        ramp: Math.min(rampSamples, Number.isFinite(len) ? Math.floor(len / 2) : rampSamples),
      };
    });
    this.#enterSegment(0);
  }

  /** True once a non-looping tone has played to its end. */
  get done(): boolean {
    return this.#done;
  }

  /** Samples produced since construction or {@link reset}. */
  get elapsedSamples(): number {
    return this.#elapsed;
  }

  /** Back to the start of the cadence, phases at zero. */
  reset(): void {
    this.#phase.fill(0);
    this.#done = false;
    this.#elapsed = 0;
    this.#enterSegment(0);
  }

  /**
   * Fills `frame` with the next samples of the tone. Returns how many samples
   * belong to the tone (its sounding and silent parts); after a one-shot tone
   * ends, the rest of the frame is zero and the return value is smaller than
   * `frame.length`.
   */
  fill(frame: Int16Array): number {
    if (!(frame instanceof Int16Array)) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'frame must be an Int16Array');
    }
    const n = frame.length;
    let i = 0;
    while (i < n) {
      if (this.#done) {
        frame.fill(0, i);
        return i;
      }
      const seg = this.#segs[this.#seg] as Seg;
      const k = Math.min(n - i, seg.len - this.#pos);
      this.#render(seg, frame, i, k);
      i += k;
      this.#pos += k;
      this.#elapsed += k;
      if (this.#pos >= seg.len) this.#next();
    }
    return n;
  }

  #render(seg: Seg, frame: Int16Array, start: number, k: number): void {
    const nc = seg.freqIdx.length;
    const phase = this.#phase;
    const step = this.#step;
    if (nc === 0) {
      frame.fill(0, start, start + k);
    } else {
      const pc = this.#pc;
      const ps = this.#ps;
      for (let c = 0; c < nc; c++) {
        const p = phase[seg.freqIdx[c] as number] as number;
        pc[c] = Math.cos(p);
        ps[c] = Math.sin(p);
      }
      const len = seg.len;
      const ramp = seg.ramp;
      const finite = Number.isFinite(len);
      for (let j = 0; j < k; j++) {
        let v = 0;
        for (let c = 0; c < nc; c++) {
          const f = seg.freqIdx[c] as number;
          const s = ps[c] as number;
          const co = pc[c] as number;
          v += (seg.amp[c] as number) * s;
          const rc = this.#rotC[f] as number;
          const rs = this.#rotS[f] as number;
          pc[c] = co * rc - s * rs;
          ps[c] = s * rc + co * rs;
        }
        if (ramp > 0) {
          const p = this.#pos + j;
          let env = 1;
          if (p < ramp) env = (p + 0.5) / ramp;
          if (finite) {
            const tail = (len - p - 0.5) / ramp;
            if (tail < env) env = tail;
          }
          if (env < 1) v *= env;
        }
        frame[start + j] = Math.max(-32768, Math.min(32767, Math.round(v)));
      }
    }
    // every frequency's clock runs on, sounding or not: phase-continuous across frames
    for (let f = 0; f < phase.length; f++) {
      phase[f] = ((phase[f] as number) + (step[f] as number) * k) % (2 * Math.PI);
    }
  }

  #next(): void {
    const last = this.#segs.length - 1;
    if (this.#seg < last) {
      this.#enterSegment(this.#seg + 1);
      return;
    }
    if (!this.spec.loop) {
      this.#done = true;
      return;
    }
    this.#enterSegment(this.#loopFrom);
  }

  #enterSegment(i: number): void {
    this.#seg = i;
    this.#pos = 0;
  }
}

function validate(spec: ToneSpec, rate: number): void {
  const bad = (why: string) => new StrowgerError('ERR_INVALID_ARGUMENT', `tone ${spec?.name ?? '?'}: ${why}`);
  if (!spec || !Array.isArray(spec.segments) || spec.segments.length === 0)
    throw bad('needs at least one segment');
  spec.segments.forEach((s, i) => {
    if (!(s.durationMs > 0)) throw bad(`segment ${i} duration must be > 0 ms`);
    if (s.durationMs === Infinity && i !== spec.segments.length - 1)
      throw bad('only the last segment may be endless');
    if (!Array.isArray(s.components) || s.components.length > 8) throw bad(`segment ${i}: 0 to 8 components`);
    for (const c of s.components) {
      if (!(c.freq > 0 && c.freq < rate / 2)) throw bad(`frequency ${c.freq} Hz outside 0 … ${rate / 2} Hz`);
      if (!Number.isFinite(c.levelDbm0) || c.levelDbm0 > 3)
        throw bad(`level ${c.levelDbm0} dBm0 must be <= 3`);
    }
  });
  const from = spec.loopFrom ?? 0;
  if (!Number.isInteger(from) || from < 0 || from >= spec.segments.length) throw bad('loopFrom out of range');
}
