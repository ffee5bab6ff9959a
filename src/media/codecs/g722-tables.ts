/**
 * Tables of ITU-T G.722 (7 kHz audio-coding within 64 kbit/s), and the code
 * maps derived from them once at load time.
 *
 * Every constant here is a table or a constant of the Recommendation; the
 * code-to-level maps are built from the rules the Recommendation's mapping
 * tables follow (which codeword stands for which sign and interval), so that
 * the hot path is one indexed load per step.
 *
 * Units follow the Recommendation: quantizer levels are in the units of the
 * tables (the blocks shift them left by 3 before multiplying by the scale
 * factor, which we fold into the maps below); QMF taps are h(i) * 2^13.
 */

/**
 * The 24 QMF taps h(0)..h(23), scaled by 2^13 (Table 11/G.722: h0 = h23 =
 * 0.366211E-3 = 3/8192, …, h11 = h12 = 0.473145 = 3876/8192). Used by the
 * transmit (analysis) and receive (synthesis) QMF.
 */
export const QMF_TAPS: readonly number[] = Object.freeze([
  3, -11, -11, 53, 12, -156, 32, 362, -210, -805, 951, 3876, 3876, 951, -805, -210, 362, 32, -156, 12, 53,
  -11, -11, 3,
]);

/**
 * Q6(1)..Q6(29): the decision levels of the 60-level lower sub-band quantizer
 * (the "Q6" column of the quantizer table). Interval m_L (1..30) is
 * [Q6(m_L-1), Q6(m_L)) with Q6(0) = 0 and Q6(30) = +infinity. Index 0 is 0.
 */
export const Q6: readonly number[] = Object.freeze([
  0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023, 1121, 1219,
  1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919,
]);

/** QQ6(m_L), m_L = 1..30: output levels of the 6-bit inverse quantizer (64 kbit/s decoder). */
export const QQ6: readonly number[] = Object.freeze([
  0, 17, 54, 91, 130, 170, 211, 254, 300, 347, 396, 447, 501, 558, 618, 682, 750, 822, 899, 982, 1072, 1170,
  1279, 1399, 1535, 1689, 1873, 2088, 2376, 2738, 3101,
]);

/** QQ5(k), k = 1..15: output levels of the 5-bit inverse quantizer (56 kbit/s decoder). */
export const QQ5: readonly number[] = Object.freeze([
  0, 35, 110, 190, 276, 370, 473, 587, 714, 858, 1023, 1219, 1458, 1765, 2195, 2919,
]);

/**
 * QQ4(k), k = 1..7: output levels of the 4-bit inverse quantizer used by the
 * predictor feedback of both ends and by the 48 kbit/s decoder. Index 0 is the
 * zero level that 4-bit codes 0 and 15 stand for.
 */
export const QQ4: readonly number[] = Object.freeze([0, 150, 323, 530, 786, 1121, 1612, 2557]);

/** QQ2(m_H), m_H = 1..2: output levels of the higher sub-band 2-bit inverse quantizer. */
export const QQ2: readonly number[] = Object.freeze([0, 202, 926]);

/** Q2: the single decision level of the higher sub-band quantizer. */
export const Q2 = 564;

/** W_L(k), k = 0..7: lower sub-band log scale factor multipliers, by 4-bit level index. */
export const WL: readonly number[] = Object.freeze([-60, -30, 58, 172, 334, 538, 1198, 3042]);

/** W_H(m_H), m_H = 1..2: higher sub-band log scale factor multipliers. */
export const WH: readonly number[] = Object.freeze([0, -214, 798]);

/**
 * ILB(i), i = 0..31: 2048 * 2^(i/32), the log-to-linear table of the scale
 * factor computation (SCALEL / SCALEH).
 */
export const ILB: Int32Array = Int32Array.from([
  2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834, 2896, 2960,
  3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
]);

/** Limits of the log scale factors (LOGSCL, LOGSCH). */
export const NBL_MAX = 18432;
export const NBH_MAX = 22528;
/** The scale factors after reset: DETL = 32, DETH = 8. */
export const DETL_RESET = 32;
export const DETH_RESET = 8;

// ---------------------------------------------------------------------------
// Code maps.
//
// 6-bit lower sub-band codeword I_L for sign S_L and interval m_L (1..30):
//   positive: I_L = 62 - m_L             (61 = 111101 … 32 = 100000)
//   negative: m_L = 1 → 63, m_L = 2 → 62, m_L >= 3 → I_L = 34 - m_L (31 … 4)
// Codewords 0..3 are never sent; a decoder reads them as negative m_L = 1.
//
// The 4 most significant bits of I_L form the embedded 4-bit code I_L4 that
// drives the predictor and the scale factor at both ends:
//   I_L4 = 0 and 15 → level 0;  1..7 → -QQ4(8 - I_L4);  8..14 → +QQ4(15 - I_L4)
// The 5 most significant bits form I_L5 (56 kbit/s):
//   I_L5 = 0, 1, 31 → -QQ5(1);  2..15 → -QQ5(17 - I_L5);  16..30 → +QQ5(31 - I_L5)
// ---------------------------------------------------------------------------

/** I_L for a positive difference in interval m_L (index m_L = 1..30). */
export const IL_POSITIVE: Uint8Array = Uint8Array.from({ length: 31 }, (_, m) => (m === 0 ? 0 : 62 - m));
/** I_L for a negative difference in interval m_L (index m_L = 1..30). */
export const IL_NEGATIVE: Uint8Array = Uint8Array.from({ length: 31 }, (_, m) =>
  m === 0 ? 0 : m === 1 ? 63 : m === 2 ? 62 : 34 - m,
);

/** Sign (+1/-1/0) and level index of a 4-bit code I_L4. */
function level4(code: number): [sign: number, k: number] {
  if (code === 0 || code === 15) return [0, 0];
  return code < 8 ? [-1, 8 - code] : [1, 15 - code];
}

/** Signed 4-bit inverse quantizer output, QQ4 << 3 with sign, by I_L4 (INVQAL / 48 kbit/s INVQBL). */
export const LOW_DQ4: Int32Array = Int32Array.from({ length: 16 }, (_, c) => {
  const [sign, k] = level4(c);
  return sign * ((QQ4[k] as number) << 3);
});

/** W_L by I_L4 (LOGSCL). */
export const LOW_WL: Int32Array = Int32Array.from({ length: 16 }, (_, c) => WL[level4(c)[1]] as number);

/** Signed 5-bit inverse quantizer output, QQ5 << 3 with sign, by I_L5 (56 kbit/s INVQBL). */
export const LOW_DQ5: Int32Array = Int32Array.from({ length: 32 }, (_, c) => {
  let sign: number;
  let k: number;
  if (c <= 1 || c === 31) [sign, k] = [-1, 1];
  else if (c <= 15) [sign, k] = [-1, 17 - c];
  else [sign, k] = [1, 31 - c];
  return sign * ((QQ5[k] as number) << 3);
});

/** Signed 6-bit inverse quantizer output, QQ6 << 3 with sign, by I_L (64 kbit/s INVQBL). */
export const LOW_DQ6: Int32Array = Int32Array.from({ length: 64 }, (_, c) => {
  let sign: number;
  let m: number;
  if (c <= 3) [sign, m] = [-1, 1];
  else if (c <= 31) [sign, m] = [-1, 34 - c];
  else if (c <= 61) [sign, m] = [1, 62 - c];
  else [sign, m] = [-1, 64 - c];
  return sign * ((QQ6[m] as number) << 3);
});

// Higher sub-band 2-bit codeword I_H: negative m_H = 2 → 0, negative m_H = 1 → 1,
// positive m_H = 2 → 2, positive m_H = 1 → 3.

/** I_H for (negative, m_H) and (positive, m_H), indexed [m_H] with m_H = 1..2. */
export const IH_NEGATIVE: Uint8Array = Uint8Array.from([0, 1, 0]);
export const IH_POSITIVE: Uint8Array = Uint8Array.from([0, 3, 2]);

/** Signed 2-bit inverse quantizer output, QQ2 << 3 with sign, by I_H (INVQAH). */
export const HIGH_DQ2: Int32Array = Int32Array.from([
  -QQ2[2]! << 3,
  -QQ2[1]! << 3,
  QQ2[2]! << 3,
  QQ2[1]! << 3,
]);

/** W_H by I_H (LOGSCH). */
export const HIGH_WH: Int32Array = Int32Array.from([WH[2]!, WH[1]!, WH[2]!, WH[1]!]);
