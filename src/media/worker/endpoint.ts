/**
 * The host side of an RTP endpoint: a typed proxy whose methods are requests
 * to the worker that owns the endpoint's sockets, and whose events are that
 * worker's reports. The main thread never sees the endpoint's packets.
 */
import { StrowgerError, TypedEmitter } from '../../core/index.js';
import { type EndpointOptions, resolveEndpointConfig } from './options.js';
import type { Command, CommandResults } from './protocol.js';
import type { MediaSession } from './session.js';
import type {
  DtmfSendOptions,
  EndpointConfig,
  EndpointStats,
  EndReason,
  PlaySource,
  SocketAddress,
} from './types.js';

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
   * Plays a tone, PCM or a WAV file to the peer, replacing what would be
   * relayed or transcoded to it meanwhile. Resolves `{ completed: true }` at the
   * end, `{ completed: false }` when stopped or replaced by another play.
   */
  async play(source: PlaySource): Promise<CommandResults['play']> {
    this.#check();
    return this.#link.request({ type: 'play', endpoint: this.id, source });
  }

  async stopPlay(): Promise<void> {
    this.#check();
    await this.#link.request({ type: 'stopPlay', endpoint: this.id });
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
    }
  }
}
