/** Test-side signal helpers: a reference sine source and a Goertzel detector. */

/** A streaming sine source with phase continuity across frames (reference, not under test). */
export class SineSource {
  #phase = 0;
  readonly #step: number;
  constructor(
    readonly freq: number,
    readonly amplitude: number,
    readonly sampleRate: number,
  ) {
    this.#step = (2 * Math.PI * freq) / sampleRate;
  }

  fill(frame: Int16Array): Int16Array {
    for (let i = 0; i < frame.length; i++) {
      frame[i] = Math.round(this.amplitude * Math.sin(this.#phase));
      this.#phase += this.#step;
    }
    this.#phase %= 2 * Math.PI;
    return frame;
  }
}

/**
 * Amplitude (peak, in sample units) of the component at `freq` in `samples`,
 * by the Goertzel algorithm. With the rectangular window it is exact for a
 * sine with a whole number of cycles in the window; the Hann window trades
 * resolution for low leakage when the frequency is off-bin.
 */
export function goertzelAmplitude(
  samples: ArrayLike<number>,
  freq: number,
  sampleRate: number,
  window: 'rect' | 'hann' = 'rect',
): number {
  const n = samples.length;
  const w = (2 * Math.PI * freq) / sampleRate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  let wsum = 0;
  for (let i = 0; i < n; i++) {
    const g = window === 'hann' ? 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)) : 1;
    wsum += g;
    const s0 = (samples[i] as number) * g + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const re = s1 - s2 * Math.cos(w);
  const im = s2 * Math.sin(w);
  return (2 * Math.sqrt(re * re + im * im)) / wsum;
}

/** Concatenates frames into one Int16Array. */
export function concat(frames: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(frames.reduce((a, f) => a + f.length, 0));
  let o = 0;
  for (const f of frames) {
    out.set(f, o);
    o += f.length;
  }
  return out;
}

/** RMS of a signal in sample units. */
export function rms(samples: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < samples.length; i++) s += (samples[i] as number) ** 2;
  return samples.length === 0 ? 0 : Math.sqrt(s / samples.length);
}
