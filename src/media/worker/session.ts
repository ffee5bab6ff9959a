/**
 * The host side of a connection between two endpoints of one worker: a relay
 * (same codec, packets forwarded with rewritten headers) or a transcoding
 * session (decode → resample → encode on the tick). Closing a session
 * disconnects the legs; the endpoints stay open (e.g. to play a prompt or be
 * connected elsewhere).
 */
import { StrowgerError, TypedEmitter } from '../../core/index.js';
import type { MediaEndpoint } from './endpoint.js';
import type { RecordTarget } from './protocol.js';
import { checkRecordingOptions } from './recorder.js';
import type { MediaRecording } from './recording.js';
import type { EndReason, RecordingOptions, RecordingResult } from './types.js';

/** What `session.record()` takes. */
export interface SessionRecordingOptions extends RecordingOptions {
  /** Both sides in one channel instead of one per channel (default false: stereo, left = leg a's peer, right = leg b's). */
  mono?: boolean;
}

export type MediaSessionEvents = {
  /** A recording of this call ended. */
  recordingEnded: [result: RecordingResult, recording: MediaRecording];
  /** The session ended, for whatever reason (then `close`). */
  ended: [reason: EndReason];
  close: [];
};

/** @internal */
export interface SessionLink {
  /** Asks the worker to disconnect (unless it is gone). */
  disconnect(session: MediaSession): Promise<void>;
  released(session: MediaSession): void;
  record(target: RecordTarget, options: RecordingOptions): Promise<MediaRecording>;
}

/** How a session moves media: relay (same codec), transcode, or echo (one endpoint's packets back to it). */
export type MediaSessionKind = 'relay' | 'transcode' | 'echo';

export class MediaSession extends TypedEmitter<MediaSessionEvents> {
  readonly id: number;
  readonly kind: MediaSessionKind;
  readonly a: MediaEndpoint;
  readonly b: MediaEndpoint;
  readonly #link: SessionLink;
  #ended = false;
  #closing: Promise<void> | undefined;

  /** @internal (created by `MediaEngine.relay/transcode/connect`) */
  constructor(id: number, kind: MediaSessionKind, a: MediaEndpoint, b: MediaEndpoint, link: SessionLink) {
    super();
    this.id = id;
    this.kind = kind;
    this.a = a;
    this.b = b;
    this.#link = link;
  }

  /** Index of the worker both legs live in (for an echo, `a === b`). */
  get workerIndex(): number {
    return this.a.workerIndex;
  }

  get closed(): boolean {
    return this.#ended || this.#closing !== undefined;
  }

  /**
   * Records the call: stereo by default — left what leg `a`'s peer says,
   * right what leg `b`'s peer says — or both in one channel (`mono`). Ends
   * with `reason: 'closed'` when the session does.
   */
  async record(options: SessionRecordingOptions): Promise<MediaRecording> {
    if (this.closed) throw new StrowgerError('ERR_CLOSED', `session ${this.id} is closed`);
    const { mono = false, ...rest } = options ?? ({} as SessionRecordingOptions);
    checkRecordingOptions(rest as RecordingOptions);
    const rec = await this.#link.record(
      { kind: 'session', session: this.id, stereo: mono !== true },
      rest as RecordingOptions,
    );
    rec.on('ended', (r) => this.safeEmit('recordingEnded', r, rec));
    return rec;
  }

  /** Disconnects the two legs (they stay open). Idempotent. */
  close(): Promise<void> {
    return this._end('closed', true);
  }

  /** @internal */
  _end(reason: EndReason, tellWorker: boolean): Promise<void> {
    if (this.#closing) return this.#closing;
    if (this.#ended) return Promise.resolve();
    this.#closing = (async () => {
      if (tellWorker) {
        try {
          await this.#link.disconnect(this);
        } catch {
          // the worker died meanwhile: nothing left to disconnect
        }
      }
      this.#finish(reason);
    })();
    if (!tellWorker) this.#finish(reason);
    return this.#closing;
  }

  #finish(reason: EndReason): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.a._session === this) this.a._session = undefined;
    if (this.b._session === this) this.b._session = undefined;
    this.#link.released(this);
    this.safeEmit('ended', reason);
    this.safeEmit('close');
  }
}
