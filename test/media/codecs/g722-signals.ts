/**
 * Deterministic test signals for the G.722 tests, the fixture generator and
 * the benchmark (16 kHz, 16-bit). Not a test file itself.
 */
import { seededRandom } from '../../../src/core/index.js';

const RATE = 16000;

function clamp16(x: number): number {
  const r = Math.round(x);
  return r > 32767 ? 32767 : Math.max(r, -32768);
}

/**
 * A vowel-like voiced signal: harmonics of a pitch that glides 110 → 240 →
 * 140 Hz, shaped by three formant resonances (an /a/ moving towards /i/), with
 * a slow amplitude envelope and a little breath noise.
 */
export function vowelSignal(samples: number, seed = 1, peak = 9000): Int16Array {
  const rnd = seededRandom(seed);
  const out = new Int16Array(samples);
  let phase = 0;
  for (let i = 0; i < samples; i++) {
    const t = i / samples;
    const f0 = t < 0.5 ? 110 + 260 * t : 240 - 200 * (t - 0.5);
    phase += (2 * Math.PI * f0) / RATE;
    const f1 = 750 - 450 * t;
    const f2 = 1200 + 1000 * t;
    const f3 = 2600 + 400 * t;
    let x = 0;
    for (let h = 1; h * f0 < 7000; h++) {
      const f = h * f0;
      const a =
        1 / (1 + ((f - f1) / 120) ** 2) +
        0.6 / (1 + ((f - f2) / 160) ** 2) +
        0.3 / (1 + ((f - f3) / 220) ** 2);
      x += (a / Math.sqrt(h)) * Math.sin(h * phase);
    }
    const envelope = 0.35 + 0.65 * Math.sin(Math.PI * t) ** 2;
    out[i] = clamp16(peak * 0.45 * envelope * x + 150 * (rnd.next() - 0.5));
  }
  return out;
}

/** A linear chirp from `from` to `to` Hz over the whole signal. */
export function sweepSignal(samples: number, from = 50, to = 7000, peak = 8000): Int16Array {
  const out = new Int16Array(samples);
  const k = (to - from) / (samples / RATE);
  for (let i = 0; i < samples; i++) {
    const t = i / RATE;
    out[i] = clamp16(peak * Math.sin(2 * Math.PI * (from * t + 0.5 * k * t * t)));
  }
  return out;
}

/** White noise of the given peak amplitude. */
export function noiseSignal(samples: number, seed = 2, peak = 4000): Int16Array {
  const rnd = seededRandom(seed);
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = clamp16(peak * 2 * (rnd.next() - 0.5));
  return out;
}

/** Pseudo-random octets, as a decoder sees after a corrupted or foreign stream. */
export function randomOctets(length: number, seed = 3): Uint8Array {
  return seededRandom(seed).bytes(length);
}

/**
 * SNR in dB of `decoded` against `reference`, with `decoded` delayed by
 * `delay` samples (the codec's QMF pair delays the signal), skipping the
 * first `skip` samples while the adaptation settles.
 */
export function snrDb(reference: Int16Array, decoded: Int16Array, delay: number, skip = 320): number {
  let signal = 0;
  let noise = 0;
  for (let i = skip; i + delay < decoded.length && i < reference.length; i++) {
    const r = reference[i] as number;
    const e = r - (decoded[i + delay] as number);
    signal += r * r;
    noise += e * e;
  }
  return 10 * Math.log10(signal / Math.max(noise, 1));
}

/** The delay (in samples) in [0, maxDelay] that gives the best SNR. */
export function bestDelay(reference: Int16Array, decoded: Int16Array, maxDelay = 40): number {
  let best = 0;
  let bestSnr = Number.NEGATIVE_INFINITY;
  for (let d = 0; d <= maxDelay; d++) {
    const s = snrDb(reference, decoded, d);
    if (s > bestSnr) {
      bestSnr = s;
      best = d;
    }
  }
  return best;
}
