/**
 * ITU-T G.722: 7 kHz audio-coding within 64 kbit/s (sub-band ADPCM).
 *
 * 16 kHz linear PCM is split by a 24-tap quadrature mirror filter (QMF) into
 * a lower and a higher sub-band, each sampled at 8 kHz. The lower sub-band is
 * coded with 6-bit ADPCM whose predictor and scale factor only follow the 4
 * most significant bits (so the 1 or 2 least significant bits can be dropped
 * for the 56 and 48 kbit/s modes), the higher sub-band with 2-bit ADPCM. Each
 * pair of input samples becomes one octet: I_H in bits 7–6, I_L in bits 5–0
 * (the octet order of RFC 3551 §4.5.2).
 *
 * The arithmetic is the Recommendation's integer arithmetic, so the output
 * is bit-exact. PCM is 16-bit; the QMF works on it as the ITU-T reference
 * implementation (G.191) does: the transmit QMF output is (sum) >> 14 limited
 * to 15 bits, the receive QMF output (sum) >> 11 limited to 16 bits.
 *
 * Encoders and decoders are streaming and stateful: frames may have any
 * length (an odd trailing sample waits for its pair in the next call), and
 * `encode`/`decode` do not allocate.
 */
import { StrowgerError } from '../../core/index.js';
import {
  adaptHigher,
  adaptLower,
  createHigherBand,
  createLowerBand,
  encodeHigher,
  encodeLower,
  type G722Band,
  limit15,
  sat16,
} from './g722-band.js';
import { HIGH_DQ2, LOW_DQ4, LOW_DQ5, LOW_DQ6 } from './g722-tables.js';

/** The three G.722 modes: 64 kbit/s (mode 1), 56 kbit/s (mode 2) and 48 kbit/s (mode 3) of audio. */
export type G722Bitrate = 64000 | 56000 | 48000;

export interface G722Options {
  /**
   * Audio bit rate. The encoder always runs the full 64 kbit/s algorithm; at
   * 56 and 48 kbit/s it sends the 1 or 2 low bits of I_L, which belong to the
   * auxiliary data channel in those modes, as zeros. The decoder at 56 and
   * 48 kbit/s ignores those bits and uses the 5- or 4-bit inverse quantizer.
   */
  bitrate?: G722Bitrate;
}

/** Defaults of {@link G722Options}. */
export const G722_DEFAULTS: Readonly<Required<G722Options>> = Object.freeze({ bitrate: 64000 });

/** G.722 samples 16 000 times a second and sends one octet per two samples. */
export const G722_SAMPLE_RATE = 16000;

function checkBitrate(options: G722Options | undefined): G722Bitrate {
  const bitrate = options?.bitrate ?? G722_DEFAULTS.bitrate;
  if (bitrate !== 64000 && bitrate !== 56000 && bitrate !== 48000) {
    throw new StrowgerError(
      'ERR_INVALID_ARGUMENT',
      `G.722 bitrate must be 64000, 56000 or 48000, got ${String(bitrate)}`,
    );
  }
  return bitrate;
}

/** Number of I_L bits that carry audio at a bit rate. */
function lowBits(bitrate: G722Bitrate): number {
  return bitrate === 64000 ? 6 : bitrate === 56000 ? 5 : 4;
}

/** G.722 encoder: 16 kHz 16-bit PCM in, one octet per two samples out. */
export class G722Encoder {
  readonly bitrate: G722Bitrate;
  private readonly lower: G722Band = createLowerBand();
  private readonly higher: G722Band = createHigherBand();
  /** Mask applied to each octet (clears the auxiliary data bits at 56/48 kbit/s). */
  private readonly mask: number;
  /**
   * Transmit QMF delay lines of the newer (x(j), x(j-2), …) and the older
   * (x(j-1), x(j-3), …) sample of each pair. Each is a 12-sample ring written
   * twice (at p and p + 12) so the last 12 samples are always contiguous.
   */
  private readonly newer = new Int32Array(24);
  private readonly older = new Int32Array(24);
  private pos = 0;
  /** A sample waiting for its pair, when a call ended on an odd count. */
  private held = 0;
  private holding = false;

  constructor(options?: G722Options) {
    this.bitrate = checkBitrate(options);
    this.mask = (0xff << (6 - lowBits(this.bitrate))) & 0xff;
  }

  /** 1 if a sample from the last call is waiting for its pair, else 0. */
  get pendingSamples(): number {
    return this.holding ? 1 : 0;
  }

  /** Octets that `encode` will write for `samples` more input samples. */
  encodedLength(samples: number): number {
    return (samples + (this.holding ? 1 : 0)) >> 1;
  }

  /**
   * Encodes `pcm` (16 kHz) into `out` and returns the number of octets
   * written, `(pending + pcm.length) >> 1`. Throws `ERR_INVALID_ARGUMENT`
   * (before touching any state) when `out` is too small.
   */
  encode(pcm: Int16Array, out: Uint8Array): number {
    const n = pcm.length;
    const bytes = (n + (this.holding ? 1 : 0)) >> 1;
    if (out.length < bytes) {
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        `G.722 encode needs ${bytes} output bytes for ${n} samples, got ${out.length}`,
      );
    }
    let i = 0;
    let k = 0;
    if (this.holding && n > 0) {
      out[k++] = this.encodePair(this.held, pcm[0] as number);
      this.holding = false;
      i = 1;
    }
    for (; i + 1 < n; i += 2) out[k++] = this.encodePair(pcm[i] as number, pcm[i + 1] as number);
    if (i < n) {
      this.held = pcm[i] as number;
      this.holding = true;
    }
    return k;
  }

  /** Returns the encoder to its reset state and drops a pending sample. */
  reset(): void {
    this.lower.reset();
    this.higher.reset();
    this.newer.fill(0);
    this.older.fill(0);
    this.pos = 0;
    this.held = 0;
    this.holding = false;
  }

  /** Transmit QMF on the pair (x(j-1), x(j)), then the two sub-band encoders. */
  private encodePair(first: number, second: number): number {
    const p = this.pos;
    const newer = this.newer;
    const older = this.older;
    newer[p] = second;
    newer[p + 12] = second;
    older[p] = first;
    older[p + 12] = first;
    const w = p + 12; // newer[w - i] = x(j - 2i), older[w - i] = x(j - 1 - 2i), i = 0..11
    this.pos = p === 11 ? 0 : p + 1;
    // xA = sum h(2i) x(j - 2i), xB = sum h(2i+1) x(j - 1 - 2i), i = 0..11, with the
    // taps of QMF_TAPS written out (h(2i) = 3, -11, 12, 32, …; h(2i+1) = -11, 53, …).
    const xa =
      3 * (newer[w] as number) -
      11 * (newer[w - 1] as number) +
      12 * (newer[w - 2] as number) +
      32 * (newer[w - 3] as number) -
      210 * (newer[w - 4] as number) +
      951 * (newer[w - 5] as number) +
      3876 * (newer[w - 6] as number) -
      805 * (newer[w - 7] as number) +
      362 * (newer[w - 8] as number) -
      156 * (newer[w - 9] as number) +
      53 * (newer[w - 10] as number) -
      11 * (newer[w - 11] as number);
    const xb =
      -11 * (older[w] as number) +
      53 * (older[w - 1] as number) -
      156 * (older[w - 2] as number) +
      362 * (older[w - 3] as number) -
      805 * (older[w - 4] as number) +
      3876 * (older[w - 5] as number) +
      951 * (older[w - 6] as number) -
      210 * (older[w - 7] as number) +
      32 * (older[w - 8] as number) +
      12 * (older[w - 9] as number) -
      11 * (older[w - 10] as number) +
      3 * (older[w - 11] as number);
    const xl = limit15((xa + xb) >> 14);
    const xh = limit15((xa - xb) >> 14);
    const il = encodeLower(this.lower, xl);
    const ih = encodeHigher(this.higher, xh);
    return ((ih << 6) | il) & this.mask;
  }
}

/** G.722 decoder: one octet in, two 16 kHz 16-bit PCM samples out. */
export class G722Decoder {
  readonly bitrate: G722Bitrate;
  private readonly lower: G722Band = createLowerBand();
  private readonly higher: G722Band = createHigherBand();
  /** Inverse quantizer of the lower sub-band output for this mode, and the shift that selects its code. */
  private readonly lowTable: Int32Array;
  private readonly lowShift: number;
  /** Receive QMF delay lines of xd = rL - rH and xs = rL + rH, rings written twice as in the encoder. */
  private readonly diff = new Int32Array(24);
  private readonly sum = new Int32Array(24);
  private pos = 0;

  constructor(options?: G722Options) {
    this.bitrate = checkBitrate(options);
    const bits = lowBits(this.bitrate);
    this.lowShift = 6 - bits;
    this.lowTable = bits === 6 ? LOW_DQ6 : bits === 5 ? LOW_DQ5 : LOW_DQ4;
  }

  /** Samples that `decode` writes for `bytes` octets. */
  decodedLength(bytes: number): number {
    return bytes * 2;
  }

  /**
   * Decodes `data` into `out` (16 kHz) and returns the number of samples
   * written, `2 * data.length`. Any octet is valid input. Throws
   * `ERR_INVALID_ARGUMENT` (before touching any state) when `out` is too small.
   */
  decode(data: Uint8Array, out: Int16Array): number {
    const n = data.length;
    if (out.length < 2 * n) {
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        `G.722 decode needs ${2 * n} output samples for ${n} bytes, got ${out.length}`,
      );
    }
    const lower = this.lower;
    const higher = this.higher;
    const lowTable = this.lowTable;
    const lowShift = this.lowShift;
    const diff = this.diff;
    const sum = this.sum;
    let k = 0;
    for (let j = 0; j < n; j++) {
      const octet = data[j] as number;
      const il = octet & 63;
      const ih = octet >> 6;

      // Lower sub-band: INVQBL (mode dependent) and LIMIT give the output;
      // the predictor follows the embedded 4-bit code.
      const rl = limit15(sat16(lower.s + ((lower.det * (lowTable[il >> lowShift] as number)) >> 15)));
      adaptLower(lower, il >> 2);

      // Higher sub-band: INVQAH, RECONS and LIMIT give the output.
      const rh = limit15(sat16(higher.s + ((higher.det * (HIGH_DQ2[ih] as number)) >> 15)));
      adaptHigher(higher, ih);

      // Receive QMF: xout(j) = 2 sum h(2i) xd(n-i), xout(j+1) = 2 sum h(2i+1) xs(n-i),
      // i = 0..11, taps of QMF_TAPS written out as in the encoder.
      const p = this.pos;
      const xd = rl - rh;
      const xs = rl + rh;
      diff[p] = xd;
      diff[p + 12] = xd;
      sum[p] = xs;
      sum[p + 12] = xs;
      const w = p + 12;
      this.pos = p === 11 ? 0 : p + 1;
      const s0 =
        3 * (diff[w] as number) -
        11 * (diff[w - 1] as number) +
        12 * (diff[w - 2] as number) +
        32 * (diff[w - 3] as number) -
        210 * (diff[w - 4] as number) +
        951 * (diff[w - 5] as number) +
        3876 * (diff[w - 6] as number) -
        805 * (diff[w - 7] as number) +
        362 * (diff[w - 8] as number) -
        156 * (diff[w - 9] as number) +
        53 * (diff[w - 10] as number) -
        11 * (diff[w - 11] as number);
      const s1 =
        -11 * (sum[w] as number) +
        53 * (sum[w - 1] as number) -
        156 * (sum[w - 2] as number) +
        362 * (sum[w - 3] as number) -
        805 * (sum[w - 4] as number) +
        3876 * (sum[w - 5] as number) +
        951 * (sum[w - 6] as number) -
        210 * (sum[w - 7] as number) +
        32 * (sum[w - 8] as number) +
        12 * (sum[w - 9] as number) -
        11 * (sum[w - 10] as number) +
        3 * (sum[w - 11] as number);
      out[k++] = sat16(s0 >> 11);
      out[k++] = sat16(s1 >> 11);
    }
    return k;
  }

  /** Returns the decoder to its reset state. */
  reset(): void {
    this.lower.reset();
    this.higher.reset();
    this.diff.fill(0);
    this.sum.fill(0);
    this.pos = 0;
  }
}
