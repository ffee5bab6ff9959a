/**
 * The host side of a recording (of a leg, a call or a bridge): pause,
 * resume, stop, and its end. The worker writes the file; this object only
 * says what to do and reports how it ended. `result` resolves exactly once,
 * whatever ends it — `stop()`, the maximum duration, silence, the owner
 * closing, a write error, the worker dying (the file then stays
 * `<path>.part`: readable up to its last completed half second).
 */
import { StrowgerError, TypedEmitter } from '../../core/index.js';
import type { Command, CommandResults } from './protocol.js';
import type { RecordingResult } from './types.js';

export type MediaRecordingEvents = {
  paused: [];
  resumed: [];
  /** The recording ended (then `close`); the file is complete unless `result.path` ends in `.part`. */
  ended: [result: RecordingResult];
  close: [];
};

/** What a recording needs from its engine. @internal */
export interface RecordingLink {
  readonly workerIndex: number;
  request<C extends Command>(command: C): Promise<CommandResults[C['type']]>;
  released(recording: MediaRecording): void;
}

export class MediaRecording extends TypedEmitter<MediaRecordingEvents> {
  readonly id: number;
  /** The final file name. */
  readonly path: string;
  /** Where the audio is while it is being written. */
  readonly partPath: string;
  readonly sampleRate: number;
  readonly channels: number;
  /** Resolves when the recording has ended and its file is closed (never rejects). */
  readonly result: Promise<RecordingResult>;
  readonly #link: RecordingLink;
  #resolve!: (r: RecordingResult) => void;
  #ended: RecordingResult | undefined;
  #paused: boolean;

  /** @internal (created by `record()` of an endpoint, session or bridge) */
  constructor(
    id: number,
    info: { path: string; partPath: string; sampleRate: number; channels: number },
    paused: boolean,
    link: RecordingLink,
  ) {
    super();
    this.id = id;
    this.path = info.path;
    this.partPath = info.partPath;
    this.sampleRate = info.sampleRate;
    this.channels = info.channels;
    this.#paused = paused;
    this.#link = link;
    this.result = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  get workerIndex(): number {
    return this.#link.workerIndex;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get ended(): boolean {
    return this.#ended !== undefined;
  }

  #check(): void {
    if (this.#ended) throw new StrowgerError('ERR_CLOSED', `recording ${this.id} has ended`);
  }

  /** Pauses (nothing is written, or silence with `pauseMode: 'silence'`) — e.g. while a card number is read out. */
  async pause(): Promise<void> {
    this.#check();
    await this.#link.request({ type: 'recordControl', recording: this.id, action: 'pause' });
    if (!this.#paused) {
      this.#paused = true;
      this.safeEmit('paused');
    }
  }

  async resume(): Promise<void> {
    this.#check();
    await this.#link.request({ type: 'recordControl', recording: this.id, action: 'resume' });
    if (this.#paused) {
      this.#paused = false;
      this.safeEmit('resumed');
    }
  }

  /** Ends the recording; resolves when the file is complete and renamed. Idempotent. */
  async stop(): Promise<RecordingResult> {
    if (!this.#ended) {
      try {
        const r = await this.#link.request({ type: 'recordControl', recording: this.id, action: 'stop' });
        if (r) this._end(r);
      } catch {
        // the worker died or the engine closed: `result` is settled by them
      }
    }
    return this.result;
  }

  /** @internal The recording ended (worker event, worker death, engine close). */
  _end(result: RecordingResult): void {
    if (this.#ended) return;
    this.#ended = result;
    this.#link.released(this);
    this.#resolve(result);
    this.safeEmit('ended', result);
    this.safeEmit('close');
  }
}
