/**
 * The host side of an RTP endpoint: a typed proxy whose methods are requests
 * to the worker that owns the endpoint's sockets, and whose events are that
 * worker's reports. The main thread never sees the endpoint's packets.
 */
import { StrowgerError, TypedEmitter } from '../../core/index.js';
import type { MediaBridge } from './bridge.js';
import { type EndpointOptions, resolveEndpointConfig } from './options.js';
import type { Command, CommandResults, RecordTarget } from './protocol.js';
import { checkRecordingOptions } from './recorder.js';
import type { MediaRecording } from './recording.js';
import type { MediaSession } from './session.js';
import type {
  DtmfSendOptions,
  EndpointConfig,
  EndpointStats,
  EndReason,
  PlayInput,
  PlayOptions,
  PlayResult,
  RecordingOptions,
  RecordingResult,
  SocketAddress,
} from './types.js';

/** What `endpoint.record()` takes. */
export interface EndpointRecordingOptions extends RecordingOptions {
  /** 'in' (default): what the peer sends; 'both': that and what the engine sends it. */
  direction?: 'in' | 'both';
  /** With `direction: 'both'`: one direction per channel (left in, right out) instead of mixed. */
  stereo?: boolean;
}

/** A DTMF digit received on an endpoint. */
export interface DtmfEvent {
  digit: string;
  durationMs: number;
  /** 'rfc4733': telephone-event packets; 'inband': heard in the audio. */
  source: 'rfc4733' | 'inband';
}

export type MediaEndpointEvents = {
  /** A digit ended (one event per digit, however many packets carried it). */
  dtmf: [event: DtmfEvent];
  /** No RTP was accepted for `rtpTimeoutMs` (emitted once per silence). */
  rtpTimeout: [event: { silentMs: number }];
  /** The peer's RTP (or RTCP) source was learned (NAT latching). */
  sourceLearned: [source: SocketAddress, rtcp: boolean];
  /** Periodic figures (every `statsIntervalMs`). */
  stats: [stats: EndpointStats];
  /** A play started (`play()` was accepted and its first frame goes out at the next tick). */
  playing: [];
  /** A play ended (the result `play()` resolves with). */
  played: [result: PlayResult];
  /** A recording of this leg ended. */
  recordingEnded: [result: RecordingResult, recording: MediaRecording];
  /** The endpoint ended, for whatever reason (then `close`). */
  ended: [reason: EndReason];
  close: [];
};

/** The local transport address of an endpoint (what goes into our SDP). */
export interface LocalAddress {
  address: string;
  rtpPort: number;
  rtcpPort: number;
}

/** What an endpoint needs from its engine. @internal */
export interface EndpointLink {
  readonly workerIndex: number;
  request<C extends Command>(command: C): Promise<CommandResults[C['type']]>;
  /** Bookkeeping when the endpoint is gone (port released, maps cleaned). */
  released(endpoint: MediaEndpoint): void;
  /** Starts a recording in the endpoint's worker. */
  record(target: RecordTarget, options: RecordingOptions): Promise<MediaRecording>;
}

export class MediaEndpoint extends TypedEmitter<MediaEndpointEvents> {
  readonly id: number;
  readonly local: LocalAddress;
  /** SSRC of the stream this endpoint sends. */
  readonly ssrc: number;
  #config: EndpointConfig;
  readonly #link: EndpointLink;
  #ended = false;
  #closing: Promise<void> | undefined;
  /** @internal */
  _session: MediaSession | undefined;
  /** @internal */
  _bridge: MediaBridge | undefined;

  /** @internal (created by `MediaEngine.createEndpoint`) */
  constructor(id: number, local: LocalAddress, ssrc: number, config: EndpointConfig, link: EndpointLink) {
    super();
    this.id = id;
    this.local = local;
    this.ssrc = ssrc;
    this.#config = config;
    this.#link = link;
  }

  /** Index of the worker that owns the endpoint. */
  get workerIndex(): number {
    return this.#link.workerIndex;
  }

  get config(): Readonly<EndpointConfig> {
    return this.#config;
  }

  /** The relay/transcoding session the endpoint is in, if any. */
  get session(): MediaSession | undefined {
    return this._session;
  }

  /** The conference bridge the endpoint is a member of, if any. */
  get bridge(): MediaBridge | undefined {
    return this._bridge;
  }

  get closed(): boolean {
    return this.#ended || this.#closing !== undefined;
  }

  #check(): void {
    if (this.closed) throw new StrowgerError('ERR_CLOSED', `endpoint ${this.id} is closed`);
  }

  /**
   * Applies new options — typically the remote address and codecs of a new
   * offer/answer (re-INVITE). Source learning starts again. Rejects with
   * `ERR_INVALID_STATE` when a relayed leg's codec no longer matches its peer.
   */
  async update(options: EndpointOptions): Promise<void> {
    this.#check();
    const config = resolveEndpointConfig(options, this.#config);
    await this.#link.request({ type: 'updateEndpoint', endpoint: this.id, config });
    this.#config = config;
  }

  /** Sends DTMF (RFC 4733 when negotiated, else in-band); resolves when the last digit went out. */
  async sendDtmf(digits: string, options: DtmfSendOptions = {}): Promise<CommandResults['sendDtmf']> {
    this.#check();
    return this.#link.request({ type: 'sendDtmf', endpoint: this.id, digits, options });
  }

  /**
   * Plays a tone, PCM, a WAV file (streamed from disk), a prompt, or a
   * playlist of them back to back, to the peer — replacing what would be
   * relayed, transcoded or mixed to it meanwhile. Resolves when it ends:
   * `{ completed: true, reason: 'completed' }` at the end; `'stopped'`,
   * `'replaced'` (another play), `'barge-in'` (with the `digit`, when
   * `bargeIn` is set and a DTMF digit began), `'closed'`.
   *
   * ```ts
   * await ep.play(['please-hold', ...sayNumber(3), { tone: 'beep', region: 'us' }], { bargeIn: true });
   * ```
   */
  async play(input: PlayInput, options: PlayOptions = {}): Promise<PlayResult> {
    this.#check();
    const result = await this.#link.request({ type: 'play', endpoint: this.id, source: input, options });
    this.safeEmit('played', result);
    return result;
  }

  /** Ends the current play (it resolves with `reason: 'stopped'`). */
  async stopPlay(): Promise<void> {
    this.#check();
    await this.#link.request({ type: 'playControl', endpoint: this.id, action: 'stop' });
  }

  /** Holds the current play where it is; the peer hears silence meanwhile. */
  async pausePlay(): Promise<void> {
    this.#check();
    await this.#link.request({ type: 'playControl', endpoint: this.id, action: 'pause' });
  }

  /** Continues a paused play where it stopped. */
  async resumePlay(): Promise<void> {
    this.#check();
    await this.#link.request({ type: 'playControl', endpoint: this.id, action: 'resume' });
  }

  /**
   * Records this leg to a WAV file (written as `<path>.part`, renamed to
   * `path` when it ends): what the peer sends, or both directions (mixed, or
   * one per channel with `stereo`). Resolves once recording has started.
   */
  async record(options: EndpointRecordingOptions): Promise<MediaRecording> {
    this.#check();
    const { direction = 'in', stereo = false, ...rest } = options ?? ({} as EndpointRecordingOptions);
    if (direction !== 'in' && direction !== 'both') {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', "direction must be 'in' or 'both'");
    }
    checkRecordingOptions(rest as RecordingOptions);
    const rec = await this.#link.record(
      { kind: 'endpoint', endpoint: this.id, direction, stereo: stereo === true && direction === 'both' },
      rest as RecordingOptions,
    );
    rec.on('ended', (r) => this.safeEmit('recordingEnded', r, rec));
    return rec;
  }

  /** Current figures (loss since the start; the `stats` event reports loss per interval). */
  async getStats(): Promise<EndpointStats> {
    this.#check();
    return this.#link.request({ type: 'getStats', endpoint: this.id });
  }

  /** Closes the endpoint (its session first, then its sockets, with an RTCP BYE). Idempotent. */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    if (this.#ended) return Promise.resolve();
    this.#closing = (async () => {
      await this._session?._end('endpoint-closed', false);
      try {
        await this.#link.request({ type: 'closeEndpoint', endpoint: this.id });
      } catch {
        // the worker died meanwhile: its sockets are gone with it
      }
      this._end('closed');
    })();
    return this.#closing;
  }

  /** @internal Marks the endpoint ended (worker died, engine closed, or after close()). */
  _end(reason: EndReason): void {
    if (this.#ended) return;
    this.#ended = true;
    void this._session?._end(reason === 'closed' ? 'endpoint-closed' : reason, false);
    this._bridge?._memberGone(this);
    this.#link.released(this);
    this.safeEmit('ended', reason);
    this.safeEmit('close');
  }

  /** @internal An event from the worker. */
  _event(type: string, payload: Record<string, unknown>): void {
    if (this.#ended) return;
    switch (type) {
      case 'dtmf':
        this.safeEmit('dtmf', {
          digit: payload.digit as string,
          durationMs: payload.durationMs as number,
          source: payload.source as DtmfEvent['source'],
        });
        break;
      case 'rtpTimeout':
        this.safeEmit('rtpTimeout', { silentMs: payload.silentMs as number });
        break;
      case 'sourceLearned':
        this.safeEmit('sourceLearned', payload.source as SocketAddress, payload.rtcp as boolean);
        break;
      case 'stats':
        this.safeEmit('stats', payload.stats as EndpointStats);
        break;
      case 'playing':
        this.safeEmit('playing');
        break;
    }
  }
}
