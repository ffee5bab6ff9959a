/**
 * The sub-band ADPCM blocks of ITU-T G.722 shared by the encoder and the
 * decoder: the quantizers, the scale factor adaptation and the adaptive
 * pole-zero predictor (blocks 1L–4L and 1H–4H of the Recommendation).
 *
 * All arithmetic is the Recommendation's 16-bit word arithmetic: products of
 * two words are shifted right by 15 with the sign kept (floor), sums are
 * limited to [-32768, 32767] where the Recommendation's words could overflow.
 * Every intermediate value stays well inside the int32 range, so plain `*`
 * and `>>` are exact here.
 */
import {
  DETH_RESET,
  DETL_RESET,
  HIGH_DQ2,
  HIGH_WH,
  IH_NEGATIVE,
  IH_POSITIVE,
  IL_NEGATIVE,
  IL_POSITIVE,
  ILB,
  LOW_DQ4,
  LOW_WL,
  NBH_MAX,
  NBL_MAX,
  Q2,
  Q6,
} from './g722-tables.js';

/** Limits `x` to a 16-bit two's complement word. */
export function sat16(x: number): number {
  return Math.min(32767, Math.max(-32768, x));
}

/** LIMIT: the decoder output of a sub-band, and the transmit QMF output, are 15-bit. */
export function limit15(x: number): number {
  return Math.min(16383, Math.max(-16384, x));
}

/** Q6(k) << 3 for k = 0..29, the lower sub-band decision levels before scaling. */
const Q6_SHIFTED = Int32Array.from(Q6, (q) => q << 3);
const Q2_SHIFTED = Q2 << 3;

/**
 * The state of one sub-band ADPCM coder. The encoder and the decoder of one
 * sub-band keep identical copies of it when the channel is error-free.
 */
export class G722Band {
  /** S: predictor output (estimate of the sub-band signal). */
  s = 0;
  /** SZ: output of the zero section of the predictor. */
  sz = 0;
  /** DET: quantizer scale factor. */
  det: number;
  /** NB: logarithmic quantizer scale factor. */
  nb = 0;
  /** A1, A2: pole section coefficients. */
  a1 = 0;
  a2 = 0;
  /** R(n-1), R(n-2): reconstructed signal. */
  r1 = 0;
  r2 = 0;
  /** P(n-1), P(n-2): partially reconstructed signal. */
  p1 = 0;
  p2 = 0;
  /** D(n-1)..D(n-6): quantized difference signal. */
  d1 = 0;
  d2 = 0;
  d3 = 0;
  d4 = 0;
  d5 = 0;
  d6 = 0;
  /** B1..B6: zero section coefficients. */
  b1 = 0;
  b2 = 0;
  b3 = 0;
  b4 = 0;
  b5 = 0;
  b6 = 0;

  private readonly detReset: number;

  constructor(detReset: number) {
    this.detReset = detReset;
    this.det = detReset;
  }

  /** Puts the band in the Recommendation's reset state. */
  reset(): void {
    this.s = 0;
    this.sz = 0;
    this.det = this.detReset;
    this.nb = 0;
    this.a1 = 0;
    this.a2 = 0;
    this.r1 = 0;
    this.r2 = 0;
    this.p1 = 0;
    this.p2 = 0;
    this.d1 = 0;
    this.d2 = 0;
    this.d3 = 0;
    this.d4 = 0;
    this.d5 = 0;
    this.d6 = 0;
    this.b1 = 0;
    this.b2 = 0;
    this.b3 = 0;
    this.b4 = 0;
    this.b5 = 0;
    this.b6 = 0;
  }
}

/** Creates the state of the lower sub-band (DETL = 32 after reset). */
export function createLowerBand(): G722Band {
  return new G722Band(DETL_RESET);
}

/** Creates the state of the higher sub-band (DETH = 8 after reset). */
export function createHigherBand(): G722Band {
  return new G722Band(DETH_RESET);
}

/**
 * SCALEL / SCALEH: the linear scale factor from the log one,
 * DET = (ILB(NB[10:6]) shifted by NB[15:11] - base) << 2, with base 8 for the
 * lower and 10 for the higher sub-band.
 */
function linearScale(nb: number, base: number): number {
  const mantissa = ILB[(nb >> 6) & 31] as number;
  const e = (nb >> 11) - base;
  return (e >= 0 ? mantissa << e : mantissa >> -e) << 2;
}

/**
 * Block 4 (RECONS, PARREC, UPZERO, UPPOL2, UPPOL1, DELAYA, FILTEZ, FILTEP,
 * PREDIC): adapts the predictor of `band` to the quantized difference `dq`
 * and computes the prediction of the next sample in `band.s`.
 */
export function adaptPredictor(band: G722Band, dq: number): void {
  // RECONS and PARREC
  const r0 = sat16(band.s + dq);
  const p0 = sat16(dq + band.sz);

  // UPZERO: B_i <- B_i * (1 - 2^-8) + 2^-7 * sgn(D) * sgn(D_i); no step when D = 0.
  // Branch-free: m = -1 when the signs of D and D_i differ, 0 when equal; (g ^ m) - m = ±g.
  const g = dq === 0 ? 0 : 128;
  let m = (dq ^ band.d1) >> 31;
  band.b1 = (g ^ m) - m + ((band.b1 * 32640) >> 15);
  m = (dq ^ band.d2) >> 31;
  band.b2 = (g ^ m) - m + ((band.b2 * 32640) >> 15);
  m = (dq ^ band.d3) >> 31;
  band.b3 = (g ^ m) - m + ((band.b3 * 32640) >> 15);
  m = (dq ^ band.d4) >> 31;
  band.b4 = (g ^ m) - m + ((band.b4 * 32640) >> 15);
  m = (dq ^ band.d5) >> 31;
  band.b5 = (g ^ m) - m + ((band.b5 * 32640) >> 15);
  m = (dq ^ band.d6) >> 31;
  band.b6 = (g ^ m) - m + ((band.b6 * 32640) >> 15);

  // UPPOL2. Sign agreements as masks: m01 = -1 when P(n) and P(n-1) differ in
  // sign, 0 when equal (likewise m02); (x ^ m) - m negates x when m = -1.
  const m01 = (p0 ^ band.p1) >> 31;
  const m02 = (p0 ^ band.p2) >> 31;
  const same01 = ~m01;
  // WD = -4 A1 when the signs agree, +4 A1 otherwise, each 16-bit limited.
  const wd = Math.min(32767, (sat16(band.a1 << 2) ^ same01) - same01);
  let a2 = (wd >> 7) + ((128 ^ m02) - m02) + ((band.a2 * 32512) >> 15);
  a2 = Math.min(12288, Math.max(-12288, a2));

  // UPPOL1, limited to |A1| <= 1 - 2^-4 - A2 (15360 - A2 in 2^-14 units)
  const lim = 15360 - a2;
  const a1 = Math.min(lim, Math.max(-lim, (192 ^ m01) - m01 + ((band.a1 * 32640) >> 15)));

  // DELAYA
  band.a1 = a1;
  band.a2 = a2;
  band.d6 = band.d5;
  band.d5 = band.d4;
  band.d4 = band.d3;
  band.d3 = band.d2;
  band.d2 = band.d1;
  band.d1 = dq;
  band.p2 = band.p1;
  band.p1 = p0;
  band.r2 = band.r1;
  band.r1 = r0;

  // FILTEZ: SZ = sum of B_i * 2 D_i, accumulated from i = 6 down to 1 in 16-bit words
  let sz = (band.b6 * (band.d6 << 1)) >> 15;
  sz = sat16(sz + ((band.b5 * (band.d5 << 1)) >> 15));
  sz = sat16(sz + ((band.b4 * (band.d4 << 1)) >> 15));
  sz = sat16(sz + ((band.b3 * (band.d3 << 1)) >> 15));
  sz = sat16(sz + ((band.b2 * (band.d2 << 1)) >> 15));
  sz = sat16(sz + ((band.b1 * (band.d1 << 1)) >> 15));
  band.sz = sz;

  // FILTEP
  const sp = sat16(((a1 * sat16(r0 << 1)) >> 15) + ((a2 * sat16(band.r2 << 1)) >> 15));

  // PREDIC
  band.s = sat16(sp + sz);
}

/**
 * Lower sub-band encoder step (SUBTRA, QUANTL, INVQAL, LOGSCL, SCALEL, block
 * 4L). Returns the 6-bit codeword I_L for the sub-band sample `xl`.
 */
export function encodeLower(band: G722Band, xl: number): number {
  // SUBTRA
  const el = sat16(xl - band.s);
  // QUANTL: magnitude of EL in one's complement, then the interval m_L: the
  // first m in 1..29 with WD < (Q6(m) << 3) * DETL >> 15, otherwise 30.
  const wd = el >= 0 ? el : -el - 1;
  const det = band.det;
  let lo = 1;
  let hi = 30;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (wd < ((Q6_SHIFTED[mid] as number) * det) >> 15) hi = mid;
    else lo = mid + 1;
  }
  const il = el >= 0 ? (IL_POSITIVE[lo] as number) : (IL_NEGATIVE[lo] as number);
  adaptLower(band, il >> 2);
  return il;
}

/**
 * The part of the lower sub-band shared by encoder and decoder: INVQAL with
 * the embedded 4-bit code, LOGSCL, SCALEL and block 4L.
 */
export function adaptLower(band: G722Band, il4: number): void {
  const dlt = (band.det * (LOW_DQ4[il4] as number)) >> 15;
  let nb = ((band.nb * 32512) >> 15) + (LOW_WL[il4] as number);
  if (nb < 0) nb = 0;
  else if (nb > NBL_MAX) nb = NBL_MAX;
  band.nb = nb;
  band.det = linearScale(nb, 8);
  adaptPredictor(band, dlt);
}

/**
 * Higher sub-band encoder step (SUBTRA, QUANTH, INVQAH, LOGSCH, SCALEH, block
 * 4H). Returns the 2-bit codeword I_H for the sub-band sample `xh`.
 */
export function encodeHigher(band: G722Band, xh: number): number {
  const eh = sat16(xh - band.s);
  const wd = eh >= 0 ? eh : -eh - 1;
  const mh = wd >= (Q2_SHIFTED * band.det) >> 15 ? 2 : 1;
  const ih = eh >= 0 ? (IH_POSITIVE[mh] as number) : (IH_NEGATIVE[mh] as number);
  adaptHigher(band, ih);
  return ih;
}

/** INVQAH, LOGSCH, SCALEH and block 4H for the codeword `ih`. */
export function adaptHigher(band: G722Band, ih: number): void {
  const dh = (band.det * (HIGH_DQ2[ih] as number)) >> 15;
  let nb = ((band.nb * 32512) >> 15) + (HIGH_WH[ih] as number);
  if (nb < 0) nb = 0;
  else if (nb > NBH_MAX) nb = NBH_MAX;
  band.nb = nb;
  band.det = linearScale(nb, 10);
  adaptPredictor(band, dh);
}
