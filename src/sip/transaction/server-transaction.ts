/**
 * What every server transaction shares (RFC 3261 §17.2): the request and
 * where it came from, the state, the responses sent, `respond()`, and the
 * timers. The INVITE and non-INVITE machines are the two subclasses.
 */
import { type ClockTimer, randomToken, StrowgerError, TypedEmitter } from '../../core/index.js';
import {
  type CreateResponseOptions,
  createResponse,
  type SipRequest,
  type SipResponse,
} from '../message/index.js';
import type { InboundInfo } from '../transport/index.js';
import type { TransactionHost } from './host.js';
import type { TransactionTimers } from './timers.js';

/**
 * Non-INVITE: `trying` → `proceeding` → `completed` → `terminated`.
 * INVITE: `proceeding` → `completed` (non-2xx) → `confirmed` (ACK) →
 * `terminated`, or `proceeding` → `accepted` (2xx, RFC 6026) → `terminated`.
 */
export type ServerTransactionState =
  | 'trying'
  | 'proceeding'
  | 'completed'
  | 'confirmed'
  | 'accepted'
  | 'terminated';

export type ServerTransactionEvents = {
  /**
   * INVITE only: a CANCEL matched while no final response had been sent. The
   * layer has already answered the CANCEL 200 and the INVITE 487.
   */
  cancelled: [cancel: SipRequest];
  /**
   * INVITE only: no ACK arrived — Timer H fired after a non-2xx, or Timer L
   * after a 2xx that was never acknowledged (the dialog layer should send BYE,
   * RFC 3261 §13.3.1.4).
   */
  timeout: [];
  /** Sending a response failed (RFC 3261 §17.2.4). */
  transportError: [error: StrowgerError];
  /** Always the last event. */
  terminated: [];
};

export abstract class ServerTransaction extends TypedEmitter<ServerTransactionEvents> {
  /** Discriminates {@link ServerInviteTransaction} from {@link ServerNonInviteTransaction}. */
  abstract readonly isInvite: boolean;
  readonly request: SipRequest;
  /** Where the request came from; responses go back this way (RFC 3261 §18.2.2). */
  readonly inbound: InboundInfo;
  readonly method: string;
  /** @internal index key */
  readonly key: string;
  /** @internal merged-request key, when indexed */
  mergeKey: string | undefined;
  /** @internal branch key for CANCEL of a non-INVITE request, when indexed */
  branchKey: string | undefined;
  /** @internal RFC 2543 ACK key, when indexed */
  ackKey: string | undefined;
  /** @internal dialog ACK key once a 2xx was sent */
  acceptedKey: string | undefined;
  protected readonly host: TransactionHost;
  protected readonly timers: TransactionTimers;
  #state: ServerTransactionState;
  #lastProvisional: SipResponse | undefined;
  #lastFinal: SipResponse | undefined;
  #localTag: string | undefined;
  #linger: ClockTimer | undefined;
  readonly #onSendError = (err: unknown) => this.#sendFailed(err);

  /** @internal — created by the layer for each new inbound request. */
  constructor(
    host: TransactionHost,
    request: SipRequest,
    inbound: InboundInfo,
    key: string,
    initial: 'trying' | 'proceeding',
  ) {
    super();
    this.host = host;
    this.request = request;
    this.inbound = inbound;
    this.method = request.method;
    this.key = key;
    this.timers = host.timers(inbound.transport.reliable);
    this.#state = initial;
    this.#localTag = request.to.tag;
  }

  get state(): ServerTransactionState {
    return this.#state;
  }

  get terminated(): boolean {
    return this.#state === 'terminated';
  }

  /** True when the request arrived over a reliable transport. */
  get reliable(): boolean {
    return this.timers.reliable;
  }

  /** The most recent response sent (final if any, else the last provisional). */
  get lastResponse(): SipResponse | undefined {
    return this.#lastFinal ?? this.#lastProvisional;
  }

  /** The final response sent, if any. */
  get finalSent(): SipResponse | undefined {
    return this.#lastFinal;
  }

  /**
   * This side's To tag: the request's own (in-dialog requests), else the tag
   * of the first response that carried one; one is generated on first use
   * (by {@link respond} with a status, or for the 487 after a CANCEL).
   */
  get localTag(): string {
    if (this.#localTag === undefined) this.#localTag = randomToken(this.host.random, 10);
    return this.#localTag;
  }

  /** @internal The local tag if one is known, without generating one. */
  get _knownLocalTag(): string | undefined {
    return this.#localTag;
  }

  /**
   * Sends a response through this transaction: a ready response, or a status
   * (the response is built from the request with {@link localTag} as To tag).
   * @throws ERR_INVALID_STATE after the final response (a 2xx to INVITE may be
   *   sent again while `accepted`) or once terminated; ERR_INVALID_ARGUMENT for
   *   a response that does not belong to this request.
   */
  respond(response: SipResponse): void;
  respond(status: number, options?: CreateResponseOptions): void;
  respond(responseOrStatus: SipResponse | number, options: CreateResponseOptions = {}): void {
    if (this.#state === 'terminated')
      throw new StrowgerError('ERR_INVALID_STATE', `${this.method} server transaction is terminated`);
    let response: SipResponse;
    if (typeof responseOrStatus === 'number') {
      const status = responseOrStatus;
      let toTag = options.toTag;
      if (toTag === undefined && status !== 100) toTag = this.localTag;
      else if (toTag !== undefined && status !== 100 && this.#localTag === undefined) this.#localTag = toTag;
      response = createResponse(this.request, status, toTag === undefined ? options : { ...options, toTag });
    } else {
      response = responseOrStatus;
      this.#checkBelongs(response);
      if (this.#localTag === undefined && response.status !== 100) this.#localTag = response.to.tag;
    }
    this.onRespond(response);
  }

  /** @internal A retransmission of the request arrived. */
  abstract _retransmission(): void;

  /** @internal The layer is closing. */
  _close(): void {
    this.terminate();
  }

  /** The state machine's reaction to a response from the TU. */
  protected abstract onRespond(response: SipResponse): void;

  protected setState(state: ServerTransactionState): void {
    this.#state = state;
  }

  protected recordProvisional(response: SipResponse): void {
    this.#lastProvisional = response;
  }

  protected recordFinal(response: SipResponse): void {
    this.#lastFinal = response;
  }

  protected get lastProvisional(): SipResponse | undefined {
    return this.#lastProvisional;
  }

  /** Passes a response to the transport layer; a failure reaches {@link onTransportError}. */
  protected send(response: SipResponse): void {
    this.host.transport.sendResponse(response, this.inbound).then(undefined, this.#onSendError);
  }

  protected invalidState(what: string): never {
    throw new StrowgerError(
      'ERR_INVALID_STATE',
      `${this.method} server transaction in ${this.#state}: ${what}`,
    );
  }

  /** Starts the wait of `completed`/`confirmed`/`accepted` (Timer I, J or L); zero terminates at once. */
  protected linger(ms: number, onFire: () => void = () => this.terminate()): void {
    if (this.#state === 'terminated') return;
    this.#linger?.cancel();
    if (ms <= 0) onFire();
    else this.#linger = this.host.clock.setTimeout(onFire, ms);
  }

  protected terminate(): void {
    if (this.#state === 'terminated') return;
    this.#linger?.cancel();
    this.#linger = undefined;
    this.#state = 'terminated';
    this.stopTimers();
    this.host.serverTerminated(this);
    this.emit('terminated');
  }

  /** Subclasses cancel their own timers here. */
  protected stopTimers(): void {}

  /** RFC 3261 §17.2.4: by default a transport error terminates the transaction. */
  protected onTransportError(error: StrowgerError): void {
    this.emit('transportError', error);
    this.terminate();
  }

  #sendFailed(err: unknown): void {
    if (this.#state === 'terminated') return;
    this.onTransportError(
      new StrowgerError(
        'ERR_TRANSPORT',
        `${this.method} server transaction: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      ),
    );
  }

  #checkBelongs(response: SipResponse): void {
    let ok: boolean;
    try {
      ok =
        response.cseq.method === this.request.method &&
        response.cseq.seq === this.request.cseq.seq &&
        response.via[0]?.branch === this.request.via[0]?.branch;
    } catch {
      ok = false;
    }
    if (!ok)
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        `response does not belong to this ${this.method} transaction (CSeq and top Via must be the request's)`,
      );
  }
}
