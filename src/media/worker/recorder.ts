/**
 * A recording in a media worker: one frame of PCM per channel per tick in,
 * a WAV file out (through {@link WavFileWriter}, which never blocks the
 * tick). It pauses and resumes (skipping the paused time, or writing silence
 * for it), ends itself after `maxDurationMs` of recorded audio or after
 * `silence.durationMs` below `silence.thresholdDbfs` (voicemail), and ends
 * when its owner stops or goes away. Whoever feeds it (an endpoint's taps, a
 * session's, a bridge) calls `write()` once per tick.
 */
import { StrowgerError } from '../../core/index.js';
import { dbfsToMeanSquare } from '../mixer/index.js';
import type { RecordingEndReason, RecordingOptions, RecordingResult } from './types.js';
import { WavFileWriter } from './wav-file-writer.js';

/** Rates a recording file can have. */
export const RECORDING_RATES: readonly number[] = [8000, 16000, 32000, 44100, 48000];

/** Checks recording options (host and worker alike); returns them with defaults. */
export function checkRecordingOptions(o: RecordingOptions): RecordingOptions {
  const bad = (m: string) => new StrowgerError('ERR_INVALID_ARGUMENT', m);
  if (o === null || typeof o !== 'object') throw bad('recording options must be an object');
  if (typeof o.path !== 'string' || o.path.length === 0 || o.path.includes('\0')) {
    throw bad('recording path must be a non-empty string');
  }
  if (o.maxDurationMs !== undefined && !(Number.isFinite(o.maxDurationMs) && o.maxDurationMs > 0)) {
    throw bad('maxDurationMs must be > 0');
  }
  if (o.silence !== undefined) {
    const s = o.silence;
    if (s === null || typeof s !== 'object') throw bad('silence must be { thresholdDbfs, durationMs }');
    if (!(Number.isFinite(s.thresholdDbfs) && s.thresholdDbfs <= 0 && s.thresholdDbfs >= -120)) {
      throw bad('silence.thresholdDbfs must be -120 … 0');
    }
    if (!(Number.isFinite(s.durationMs) && s.durationMs > 0)) throw bad('silence.durationMs must be > 0');
  }
  if (o.pauseMode !== undefined && o.pauseMode !== 'skip' && o.pauseMode !== 'silence') {
    throw bad("pauseMode must be 'skip' or 'silence'");
  }
  if (o.sampleRate !== undefined && !RECORDING_RATES.includes(o.sampleRate)) {
    throw bad(`sampleRate must be one of ${RECORDING_RATES.join(', ')}`);
  }
  return o;
}

const STATE_RECORDING = 0;
const STATE_PAUSED = 1;
const STATE_ENDED = 2;

export class Recorder {
  readonly id: number;
  readonly sampleRate: number;
  readonly channels: number;
  readonly frameSamples: number;
  readonly #writer: WavFileWriter;
  readonly #interleaved: Int16Array;
  readonly #silence: Int16Array;
  readonly #pauseSilence: boolean;
  readonly #maxSamples: number;
  readonly #quietSum: number;
  readonly #quietLimit: number;
  readonly #onEnd: (result: RecordingResult) => void;
  #state: number;
  /** Sample frames (per channel) in the file. */
  #samples = 0;
  #quietSamples = 0;
  #pausedSamples = 0;
  #droppedFrames = 0;
  #ending: Promise<RecordingResult> | undefined;

  private constructor(
    id: number,
    writer: WavFileWriter,
    frameSamples: number,
    options: RecordingOptions,
    onEnd: (result: RecordingResult) => void,
  ) {
    this.id = id;
    this.#writer = writer;
    this.sampleRate = writer.sampleRate;
    this.channels = writer.channels;
    this.frameSamples = frameSamples;
    this.#interleaved = new Int16Array(frameSamples * writer.channels);
    this.#silence = new Int16Array(frameSamples * writer.channels);
    this.#pauseSilence = options.pauseMode === 'silence';
    const rate = writer.sampleRate;
    this.#maxSamples =
      options.maxDurationMs === undefined
        ? Number.POSITIVE_INFINITY
        : Math.round((options.maxDurationMs * rate) / 1000);
    const s = options.silence;
    // compare sums of squares over a frame (all channels), not levels: no log per tick
    this.#quietSum = s ? dbfsToMeanSquare(s.thresholdDbfs) * frameSamples * writer.channels : -1;
    this.#quietLimit = s ? Math.round((s.durationMs * rate) / 1000) : Number.POSITIVE_INFINITY;
    this.#state = options.paused ? STATE_PAUSED : STATE_RECORDING;
    this.#onEnd = onEnd;
  }

  /** Opens `<path>.part` and returns a running recorder (paused if `options.paused`). */
  static async create(
    id: number,
    options: RecordingOptions,
    sampleRate: number,
    channels: 1 | 2,
    frameSamples: number,
    onEnd: (result: RecordingResult) => void,
  ): Promise<Recorder> {
    checkRecordingOptions(options);
    const writer = await WavFileWriter.open(options.path, sampleRate, channels);
    return new Recorder(id, writer, frameSamples, options, onEnd);
  }

  get path(): string {
    return this.#writer.path;
  }

  get partPath(): string {
    return this.#writer.partPath;
  }

  get ended(): boolean {
    return this.#state === STATE_ENDED;
  }

  get paused(): boolean {
    return this.#state === STATE_PAUSED;
  }

  /** Audio in the file so far, ms. */
  get durationMs(): number {
    return (this.#samples * 1000) / this.sampleRate;
  }

  pause(): void {
    if (this.#state === STATE_RECORDING) this.#state = STATE_PAUSED;
  }

  resume(): void {
    if (this.#state === STATE_PAUSED) this.#state = STATE_RECORDING;
  }

  /**
   * One tick of audio: `left` (and `right` for stereo), `frameSamples` each.
   * `null` is silence. Ends the recording itself on max duration, silence or
   * a write error.
   */
  write(left: Int16Array | null, right: Int16Array | null = null): void {
    if (this.#state === STATE_ENDED) return;
    if (this.#writer.error) {
      void this.stop('error');
      return;
    }
    const L = this.frameSamples;
    if (this.#state === STATE_PAUSED) {
      this.#pausedSamples += L;
      if (!this.#pauseSilence) return;
      this.#put(this.#silence, L);
      return;
    }
    let frame: Int16Array;
    let sumSq = 0;
    if (this.channels === 1) {
      frame = left ?? this.#silence;
      if (this.#quietSum >= 0) {
        for (let i = 0; i < L; i++) {
          const v = frame[i] as number;
          sumSq += v * v;
        }
      }
    } else {
      frame = this.#interleaved;
      for (let i = 0; i < L; i++) {
        const l = left ? (left[i] as number) : 0;
        const r = right ? (right[i] as number) : 0;
        frame[2 * i] = l;
        frame[2 * i + 1] = r;
        sumSq += l * l + r * r;
      }
    }
    this.#put(frame, L);
    if (this.#state === STATE_ENDED) return;
    if (this.#quietSum >= 0) {
      if (sumSq < this.#quietSum) {
        this.#quietSamples += L;
        if (this.#quietSamples >= this.#quietLimit) void this.stop('silence');
      } else {
        this.#quietSamples = 0;
      }
    }
  }

  /** Appends `frames` sample frames of `pcm`, up to the maximum duration. */
  #put(pcm: Int16Array, frames: number): void {
    const n = Math.min(frames, this.#maxSamples - this.#samples);
    if (n > 0) {
      if (this.#writer.append(pcm, n * this.channels)) this.#samples += n;
      else this.#droppedFrames++;
    }
    if (this.#samples >= this.#maxSamples) void this.stop('max-duration');
  }

  /**
   * Ends the recording: the rest is written, the header finalised and the
   * file renamed (or left as `.part` after a write error). Idempotent: later
   * calls return the first one's result.
   */
  stop(reason: RecordingEndReason): Promise<RecordingResult> {
    if (!this.#ending) {
      this.#state = STATE_ENDED;
      this.#ending = (async () => {
        const w = this.#writer;
        const dataBytes = await w.close();
        const failed = w.error !== undefined;
        const result: RecordingResult = {
          path: failed ? w.partPath : w.path,
          reason: failed ? 'error' : reason,
          durationMs: (dataBytes / 2 / this.channels / this.sampleRate) * 1000,
          sampleRate: this.sampleRate,
          channels: this.channels,
          dataBytes,
          pausedMs: (this.#pausedSamples * 1000) / this.sampleRate,
          droppedFrames: this.#droppedFrames,
        };
        if (failed) result.error = w.error?.message ?? 'write failed';
        this.#onEnd(result);
        return result;
      })();
    }
    return this.#ending;
  }

  /** Stops without finishing the file (it stays `<path>.part`, as after a crash). */
  async abandon(): Promise<void> {
    this.#state = STATE_ENDED;
    await this.#writer.abandon();
  }
}
