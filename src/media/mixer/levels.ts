/**
 * Level arithmetic for 16-bit PCM. dBFS follows AES17: a full-scale sine
 * (peak 32767) reads 0 dBFS, so the RMS reference is 32767/√2.
 */

/** Mean square of a full-scale sine: the 0 dBFS reference for RMS levels. */
export const FULL_SCALE_MEAN_SQUARE = (32767 * 32767) / 2;

/** Mean square (per sample) that corresponds to `dbfs`. */
export function dbfsToMeanSquare(dbfs: number): number {
  return FULL_SCALE_MEAN_SQUARE * 10 ** (dbfs / 10);
}

/** Level in dBFS of a mean square; `-Infinity` for digital silence. */
export function meanSquareToDbfs(meanSquare: number): number {
  return meanSquare > 0 ? 10 * Math.log10(meanSquare / FULL_SCALE_MEAN_SQUARE) : Number.NEGATIVE_INFINITY;
}

/** Linear amplitude factor of a gain in dB (`+6` → about 2). */
export function dbToGain(db: number): number {
  return 10 ** (db / 20);
}

/** Gain in dB of a linear factor; `-Infinity` for 0. */
export function gainToDb(gain: number): number {
  return gain > 0 ? 20 * Math.log10(gain) : Number.NEGATIVE_INFINITY;
}

/** RMS level of a frame in dBFS (AES17). Allocation-free. */
export function frameLevelDbfs(frame: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < frame.length; i++) {
    const v = frame[i] as number;
    sum += v * v;
  }
  return frame.length === 0 ? Number.NEGATIVE_INFINITY : meanSquareToDbfs(sum / frame.length);
}
