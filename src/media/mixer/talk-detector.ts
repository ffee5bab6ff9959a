import { StrowgerError } from '../../core/index.js';
import { dbfsToMeanSquare, meanSquareToDbfs } from './levels.js';

/**
 * Energy talk detection with hysteresis and hang-over, one instance per
 * member. A frame whose level reaches `onDbfs` starts talk at once (so the
 * gate never clips the first syllable beyond that frame); while talking, a
 * frame at or above `offDbfs` keeps it going; talk ends after `hangoverMs` of
 * consecutive frames below `offDbfs` — at exactly quiet-start + hang-over
 * (rounded up to whole frames).
 */
export interface TalkDetectionOptions {
  /** Level (dBFS, AES17) at which a silent member starts talking. Default -45. */
  onDbfs: number;
  /** Level below which a talking member counts as quiet. Default -50; must be <= onDbfs. */
  offDbfs: number;
  /** Quiet time after which a talking member becomes silent. Default 400 ms. */
  hangoverMs: number;
}

export const TALK_DETECTION_DEFAULTS: Readonly<TalkDetectionOptions> = Object.freeze({
  onDbfs: -45,
  offDbfs: -50,
  hangoverMs: 400,
});

/** Result of one {@link TalkDetector.update}: what changed with this frame. */
export const TALK_NONE = 0;
export const TALK_STARTED = 1;
export const TALK_STOPPED = 2;
export type TalkTransition = typeof TALK_NONE | typeof TALK_STARTED | typeof TALK_STOPPED;

export function resolveTalkOptions(partial: Partial<TalkDetectionOptions> | undefined): TalkDetectionOptions {
  const o = { ...TALK_DETECTION_DEFAULTS, ...partial };
  if (!Number.isFinite(o.onDbfs) || o.onDbfs > 0) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'talk.onDbfs must be a finite level <= 0 dBFS');
  }
  if (!Number.isFinite(o.offDbfs) || o.offDbfs > o.onDbfs) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'talk.offDbfs must be finite and <= talk.onDbfs');
  }
  if (!Number.isFinite(o.hangoverMs) || o.hangoverMs < 0) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'talk.hangoverMs must be a finite number >= 0');
  }
  return o;
}

export class TalkDetector {
  readonly #onSum: number;
  readonly #offSum: number;
  readonly #hangFrames: number;
  #talking = false;
  #quietFrames = 0;
  #lastSum = 0;
  readonly #frameSamples: number;

  constructor(options: TalkDetectionOptions, frameSamples: number, frameMs: number) {
    this.#frameSamples = frameSamples;
    // Compare sums of squares directly: no log per frame.
    this.#onSum = dbfsToMeanSquare(options.onDbfs) * frameSamples;
    this.#offSum = dbfsToMeanSquare(options.offDbfs) * frameSamples;
    this.#hangFrames = Math.max(1, Math.ceil(options.hangoverMs / frameMs));
  }

  get talking(): boolean {
    return this.#talking;
  }

  /** RMS level of the last frame in dBFS (computed on demand). */
  get levelDbfs(): number {
    return meanSquareToDbfs(this.#lastSum / this.#frameSamples);
  }

  /** Feeds one frame's sum of squares; returns the transition it caused. */
  update(sumSquares: number): TalkTransition {
    this.#lastSum = sumSquares;
    if (this.#talking) {
      if (sumSquares >= this.#offSum) {
        this.#quietFrames = 0;
        return TALK_NONE;
      }
      if (++this.#quietFrames >= this.#hangFrames) {
        this.#talking = false;
        this.#quietFrames = 0;
        return TALK_STOPPED;
      }
      return TALK_NONE;
    }
    if (sumSquares >= this.#onSum) {
      this.#talking = true;
      this.#quietFrames = 0;
      return TALK_STARTED;
    }
    return TALK_NONE;
  }

  reset(): void {
    this.#talking = false;
    this.#quietFrames = 0;
    this.#lastSum = 0;
  }
}
