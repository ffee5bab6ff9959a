/**
 * Test signals: a speech-like generator (voiced segments synthesised from a
 * glottal pulse train with pitch glides through gliding formant resonators,
 * unvoiced noise bursts, pauses, background noise), tones, and measurements.
 */
import { type Random, seededRandom } from '../../../src/core/index.js';

/** Vowel formant targets (F1, F2, F3) in Hz, roughly /a e i o u ə/. */
const VOWELS: ReadonlyArray<readonly [number, number, number]> = [
  [730, 1090, 2440],
  [530, 1840, 2480],
  [270, 2290, 3010],
  [570, 840, 2410],
  [300, 870, 2240],
  [500, 1500, 2500],
];

/** A vowel: one of the targets above, or formants drawn anywhere in the usual ranges. */
function randomVowel(rnd: Random): readonly number[] {
  if (rnd.next() < 0.5) return VOWELS[rnd.int(VOWELS.length)] as readonly number[];
  return [250 + rnd.next() * 750, 800 + rnd.next() * 1700, 2200 + rnd.next() * 1100];
}

/** Two-pole resonator (formant) with centre `f`, bandwidth `bw`, unity gain at DC-normalised scale. */
class Resonator {
  #y1 = 0;
  #y2 = 0;
  #a1 = 0;
  #a2 = 0;
  #g = 0;
  set(f: number, bw: number, fs: number): void {
    const r = Math.exp((-Math.PI * bw) / fs);
    this.#a1 = 2 * r * Math.cos((2 * Math.PI * f) / fs);
    this.#a2 = -r * r;
    this.#g = 1 - r;
  }
  step(x: number): number {
    const y = this.#g * x + this.#a1 * this.#y1 + this.#a2 * this.#y2;
    this.#y2 = this.#y1;
    this.#y1 = y;
    return y;
  }
}

export interface SpeechOptions {
  seconds: number;
  sampleRate?: number;
  seed?: number;
  /** Peak level of the loudest segments (default 12000). */
  peak?: number;
  /** Background noise RMS (default 20). */
  noise?: number;
}

/** Deterministic speech-like audio. */
export function speechLike(options: SpeechOptions): Int16Array {
  const fs = options.sampleRate ?? 8000;
  const rnd: Random = seededRandom(options.seed ?? 1);
  const n = Math.round(options.seconds * fs);
  const out = new Float64Array(n);
  const formants = [new Resonator(), new Resonator(), new Resonator()];
  let i = 0;
  let pulsePhase = 0;
  const gauss = () => {
    let s = 0;
    for (let k = 0; k < 6; k++) s += rnd.next();
    return (s - 3) * Math.SQRT2;
  };
  while (i < n) {
    const kind = rnd.next();
    const len = Math.min(n - i, Math.round(fs * (0.08 + rnd.next() * 0.5)));
    const level = (options.peak ?? 12000) * 10 ** (-rnd.next() * 1.5); // 0 … −30 dB
    if (kind < 0.6) {
      // voiced: pitch glide, formant glide between two vowels
      const f0a = 80 + rnd.next() * 220;
      // half of the voiced segments hold their pitch (sustained vowels are what talks off DTMF receivers)
      const f0b = rnd.next() < 0.5 ? f0a : f0a * (0.7 + rnd.next() * 0.6);
      const va = randomVowel(rnd);
      const vb = rnd.next() < 0.5 ? va : randomVowel(rnd);
      const open = 0.3 + rnd.next() * 0.3; // glottal open quotient
      for (let k = 0; k < len; k++, i++) {
        const t = k / len;
        if (k % 40 === 0) {
          for (let j = 0; j < 3; j++) {
            const f = (va[j] as number) + ((vb[j] as number) - (va[j] as number)) * t;
            formants[j]?.set(Math.min(f, fs / 2 - 200), 50 + 30 * j, fs);
          }
        }
        const f0 = f0a + (f0b - f0a) * t;
        pulsePhase += f0 / fs;
        if (pulsePhase >= 1) pulsePhase -= 1;
        // derivative of a half-sine glottal pulse: the abrupt closure excites every harmonic
        const g = pulsePhase < open ? Math.cos((Math.PI * pulsePhase) / open) : 0;
        let y = 0;
        for (const r of formants) y += r.step(g);
        const env = Math.sin(Math.PI * t) ** 0.5;
        out[i] = y * level * env * 4 + gauss() * level * 0.02;
      }
    } else if (kind < 0.8) {
      // unvoiced: coloured noise burst (fricative)
      const r = new Resonator();
      r.set(2000 + rnd.next() * 1500, 1500, fs);
      for (let k = 0; k < len; k++, i++) {
        const env = Math.sin((Math.PI * k) / len);
        out[i] = r.step(gauss()) * level * env * 3;
      }
    } else {
      i += len; // pause
    }
  }
  const noise = options.noise ?? 20;
  const pcm = new Int16Array(n);
  for (let k = 0; k < n; k++) {
    const v = Math.round((out[k] as number) + gauss() * noise);
    pcm[k] = v > 32767 ? 32767 : Math.max(v, -32768);
  }
  return pcm;
}

export function sine(
  hz: number,
  sampleRate: number,
  samples: number,
  amplitude: number,
  phase = 0,
): Int16Array {
  const x = new Int16Array(samples);
  for (let i = 0; i < samples; i++)
    x[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / sampleRate + phase));
  return x;
}

/** Amplitude of the `hz` component of `x[from .. from + n)` by correlation (exact for whole cycles). */
export function amplitudeAt(
  x: ArrayLike<number>,
  hz: number,
  sampleRate: number,
  from: number,
  n: number,
): number {
  let re = 0;
  let im = 0;
  for (let i = 0; i < n; i++) {
    const v = x[from + i] as number;
    const w = (2 * Math.PI * hz * i) / sampleRate;
    re += v * Math.cos(w);
    im += v * Math.sin(w);
  }
  return (2 * Math.hypot(re, im)) / n;
}

/** SNR in dB of `y` against reference `x`, comparing x[i] with y[i + lag] over [from, to). */
export function snrDb(x: ArrayLike<number>, y: ArrayLike<number>, from: number, to: number, lag = 0): number {
  let s = 0;
  let e = 0;
  for (let i = from; i < to; i++) {
    const a = x[i] as number;
    const d = a - (y[i + lag] as number);
    s += a * a;
    e += d * d;
  }
  return 10 * Math.log10(s / e);
}

/** Lag in [0, maxLag] that maximises the cross-correlation of x[i] and y[i + lag] over [from, to). */
export function bestLag(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  from: number,
  to: number,
  maxLag: number,
): number {
  let best = -Infinity;
  let lag = 0;
  for (let l = 0; l <= maxLag; l++) {
    let s = 0;
    for (let i = from; i < to; i++) s += (x[i] as number) * (y[i + l] as number);
    if (s > best) {
      best = s;
      lag = l;
    }
  }
  return lag;
}

/**
 * SNR of `y` against `x` at the best alignment: a lag in [0, maxLag] found by
 * correlation over the loudest half second, refined to the best SNR within ±3.
 */
export function alignedSnrDb(x: Int16Array, y: Int16Array, sampleRate: number, maxLag: number): number {
  const half = sampleRate / 2;
  const end = x.length - maxLag - 3;
  let from = 0;
  let best = -1;
  for (let s = 0; s + half <= end; s += half) {
    let e = 0;
    for (let i = s; i < s + half; i++) e += (x[i] as number) ** 2;
    if (e > best) {
      best = e;
      from = s;
    }
  }
  const lag = bestLag(x, y, from, from + half, maxLag);
  let snr = Number.NEGATIVE_INFINITY;
  for (let l = Math.max(0, lag - 3); l <= lag + 3; l++)
    snr = Math.max(snr, snrDb(x, y, sampleRate / 4, end, l));
  return snr;
}
