/**
 * ITU-T G.711 µ-law (PCMU) and A-law (PCMA), table-driven both ways.
 *
 * The scalar functions below follow the formulation of the ITU-T G.191
 * software tools (STL) reference, which is bit-exact with the decision and
 * reconstruction values of G.711 Tables 1a/2a: µ-law works on the top 14 bits
 * of a 16-bit sample, A-law on the top 13 bits, and negative inputs are taken
 * in one's complement (so -1 encodes like 0 with the sign bit clear). They run
 * once at module load to fill the tables; the codecs only index tables:
 *
 * - decode: a 256-entry Int16Array per law;
 * - encode: a Uint8Array over the law's whole input range, indexed by the
 *   14-bit (µ-law, 16 KiB) or 13-bit (A-law, 8 KiB) value. bench/codecs.ts
 *   compares it with a per-sample segment search.
 */
import { StrowgerError } from '../../core/index.js';
import { type AudioCodec, type CodecFactory, checkCapacity, checkLength, syncCodecFactory } from './codec.js';

const ULAW_BIAS = 33; // in 14-bit units (G.711 µ-law: 132 / 4)
const ULAW_CLIP = 0x1fff;

/** G.711 µ-law encoding of one 16-bit sample (reference formulation; use {@link encodeUlaw} for buffers). */
export function linearToUlaw(sample: number): number {
  const x = sample | 0;
  let mag = x < 0 ? ~x >> 2 : x >> 2; // 14-bit magnitude, one's complement for negatives
  mag += ULAW_BIAS;
  if (mag > ULAW_CLIP) mag = ULAW_CLIP;
  let seg = 1;
  for (let i = mag >> 6; i !== 0; i >>= 1) seg++;
  const high = 8 - seg;
  const low = 0xf - ((mag >> seg) & 0xf);
  let code = (high << 4) | low;
  if (x >= 0) code |= 0x80;
  return code;
}

/** G.711 µ-law reconstruction value of one code, as a 16-bit sample. */
export function ulawToLinear(code: number): number {
  const c = ~code & 0xff;
  const exponent = (c >> 4) & 7;
  const mantissa = c & 0xf;
  const step = 4 << (exponent + 1);
  const mag = (0x80 << exponent) + step * mantissa + step / 2 - 4 * ULAW_BIAS;
  return (code & 0x80) !== 0 ? mag : 0 - mag; // 0 - mag: no -0 for 0x7F
}

/** G.711 A-law encoding of one 16-bit sample (reference formulation; use {@link encodeAlaw} for buffers). */
export function linearToAlaw(sample: number): number {
  const x = sample | 0;
  let ix = x < 0 ? ~x >> 4 : x >> 4; // 12-bit magnitude
  if (ix > 15) {
    let exp = 1;
    while (ix > 16 + 15) {
      ix >>= 1;
      exp++;
    }
    ix -= 16;
    ix += exp << 4;
  }
  if (x >= 0) ix |= 0x80;
  return ix ^ 0x55; // even-bit inversion
}

/** G.711 A-law reconstruction value of one code, as a 16-bit sample. */
export function alawToLinear(code: number): number {
  const ix = (code ^ 0x55) & 0x7f;
  const exp = ix >> 4;
  let mant = ix & 0xf;
  if (exp > 0) mant += 16;
  mant = (mant << 4) + 8;
  if (exp > 1) mant <<= exp - 1;
  return (code & 0x80) !== 0 ? mant : -mant;
}

/** µ-law code → 16-bit sample. */
export const ULAW_DECODE_TABLE: Int16Array = new Int16Array(256);
/** A-law code → 16-bit sample. */
export const ALAW_DECODE_TABLE: Int16Array = new Int16Array(256);
/** µ-law code of `(sample >> 2) + 8192`. */
const ULAW_ENCODE_TABLE = new Uint8Array(1 << 14);
/** A-law code of `(sample >> 3) + 4096`. */
const ALAW_ENCODE_TABLE = new Uint8Array(1 << 13);

for (let c = 0; c < 256; c++) {
  ULAW_DECODE_TABLE[c] = ulawToLinear(c);
  ALAW_DECODE_TABLE[c] = alawToLinear(c);
}
for (let i = 0; i < 1 << 14; i++) ULAW_ENCODE_TABLE[i] = linearToUlaw((i - 8192) << 2);
for (let i = 0; i < 1 << 13; i++) ALAW_ENCODE_TABLE[i] = linearToAlaw((i - 4096) << 3);

/** Encodes `pcm[0..n)` to µ-law into `out[0..n)`. No checks: the codec classes check. */
export function encodeUlaw(pcm: Int16Array, out: Uint8Array, n: number): void {
  const t = ULAW_ENCODE_TABLE;
  for (let i = 0; i < n; i++) out[i] = t[((pcm[i] as number) >> 2) + 8192] as number;
}

/** Decodes µ-law `payload[0..n)` into `out[0..n)`. */
export function decodeUlaw(payload: Uint8Array, out: Int16Array, n: number): void {
  const t = ULAW_DECODE_TABLE;
  for (let i = 0; i < n; i++) out[i] = t[payload[i] as number] as number;
}

/** Encodes `pcm[0..n)` to A-law into `out[0..n)`. */
export function encodeAlaw(pcm: Int16Array, out: Uint8Array, n: number): void {
  const t = ALAW_ENCODE_TABLE;
  for (let i = 0; i < n; i++) out[i] = t[((pcm[i] as number) >> 3) + 4096] as number;
}

/** Decodes A-law `payload[0..n)` into `out[0..n)`. */
export function decodeAlaw(payload: Uint8Array, out: Int16Array, n: number): void {
  const t = ALAW_DECODE_TABLE;
  for (let i = 0; i < n; i++) out[i] = t[payload[i] as number] as number;
}

type Law = 'PCMU' | 'PCMA';

/** G.711 at 8 kHz mono: one byte per sample, stateless. */
export class G711Codec implements AudioCodec {
  readonly name: Law;
  readonly clockRate = 8000;
  readonly sampleRate = 8000;
  readonly channels = 1;
  readonly staticPayloadType: number;
  readonly frameSamples = 160;
  #closed = false;
  readonly #enc: (pcm: Int16Array, out: Uint8Array, n: number) => void;
  readonly #dec: (payload: Uint8Array, out: Int16Array, n: number) => void;

  constructor(law: Law) {
    this.name = law;
    this.staticPayloadType = law === 'PCMU' ? 0 : 8;
    this.#enc = law === 'PCMU' ? encodeUlaw : encodeAlaw;
    this.#dec = law === 'PCMU' ? decodeUlaw : decodeAlaw;
  }

  get closed(): boolean {
    return this.#closed;
  }

  maxEncodedBytes(samples: number): number {
    return samples;
  }

  encode(pcm: Int16Array, out: Uint8Array, samples = pcm.length): number {
    if (this.#closed) throw new StrowgerError('ERR_CLOSED', `${this.name} codec is closed`);
    checkLength(samples, pcm.length, 'samples');
    checkCapacity(samples, out.length, 'output buffer');
    this.#enc(pcm, out, samples);
    return samples;
  }

  decode(payload: Uint8Array, out: Int16Array, bytes = payload.length): number {
    if (this.#closed) throw new StrowgerError('ERR_CLOSED', `${this.name} codec is closed`);
    checkLength(bytes, payload.length, 'bytes');
    checkCapacity(bytes, out.length, 'output buffer');
    this.#dec(payload, out, bytes);
    return bytes;
  }

  close(): void {
    this.#closed = true;
  }
}

function g711Factory(law: Law): CodecFactory {
  return syncCodecFactory({
    name: law,
    clockRate: 8000,
    staticPayloadType: law === 'PCMU' ? 0 : 8,
    sampleRates: [8000],
    create: (options) => {
      if ((options.sampleRate ?? 8000) !== 8000 || (options.channels ?? 1) !== 1) {
        throw new StrowgerError('ERR_NOT_SUPPORTED', `${law} is 8000 Hz mono`);
      }
      return new G711Codec(law);
    },
  });
}

export const pcmuFactory: CodecFactory = g711Factory('PCMU');
export const pcmaFactory: CodecFactory = g711Factory('PCMA');
