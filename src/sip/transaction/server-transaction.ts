/**
 * What every server transaction shares (RFC 3261 §17.2): the request and
 * where it came from, the state, the responses sent, `respond()`, and the
 * timers. The INVITE and non-INVITE machines are the two subclasses.
 *
 * Two things beyond RFC 3261:
 *
 * - **A bound on the TU.** RFC 3261 gives a server transaction no timer
 *   before its final response, so one whose TU never answers would live
 *   forever. Once the request has been handed up, the layer arms a deadline:
 *   64·T1 for a non-INVITE request (the client's Timer F has fired by then;
 *   nothing is sent, RFC 4320 §4.2), `inviteServerTimeout` since the request
 *   or the TU's last provisional for an INVITE (a 408 is sent). The
 *   transaction emits `expired`; a `respond()` after that is ignored and
 *   reported (layer event `lateResponse`) instead of throwing.
 * - **A compact Completed state.** On its final non-2xx response (any final
 *   response for a non-INVITE) the transaction serializes the response once
 *   and keeps only those bytes and their top Via for retransmissions; the
 *   parsed request and responses are let go. `finalSent`/`lastResponse` are
 *   then parsed again from the bytes on access; `request` is no longer held.
 */
import { type ClockTimer, randomToken, StrowgerError, TypedEmitter } from '../../core/index.js';
import {
  type CreateResponseOptions,
  createResponse,
  isResponse,
  type SipRequest,
  type SipResponse,
  serializeMessage,
  type Via,
} from '../message/index.js';
import { parseMessage } from '../parser/index.js';
import type { InboundInfo } from '../transport/index.js';
import type { TransactionHost } from './host.js';
import { detached } from './strings.js';
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
  /**
   * The TU sent no final response within the layer's bound: 64·T1 for a
   * non-INVITE request (nothing is sent: the client's Timer F has fired, and
   * RFC 4320 §4.2 forbids a 408 to a non-INVITE request), the layer's
   * `inviteServerTimeout` since the request or the TU's last provisional for
   * an INVITE (the layer answers 408). Release whatever you hold for this
   * request; a later `respond()` is ignored (layer event `lateResponse`).
   * Emitted before the 408 goes out and before `terminated`.
   */
  expired: [];
  /** Sending a response failed (RFC 3261 §17.2.4). */
  transportError: [error: StrowgerError];
  /** Always the last event. */
  terminated: [];
};

export abstract class ServerTransaction extends TypedEmitter<ServerTransactionEvents> {
  /** Discriminates {@link ServerInviteTransaction} from {@link ServerNonInviteTransaction}. */
  abstract readonly isInvite: boolean;
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
  // the parsed messages: let go once Completed (see completeWith, _compact)
  #request: SipRequest | undefined;
  #lastProvisional: SipResponse | undefined;
  #lastFinal: SipResponse | undefined;
  // what Completed keeps to retransmit its final response: its wire bytes, as a one-byte
  // (latin1) string — on the V8 heap, exact size, no ArrayBuffer per transaction and no
  // Buffer pool slab kept alive by a small slice of it
  #finalWire: string | undefined;
  // still sending: the retransmission schedule needs the wire form, termination drops this
  #resending = false;
  #finalStatus: number | undefined;
  // RFC 2543 ACK matching needs the To tag of the final response (only kept for those)
  #finalToTag: string | undefined;
  #localTag: string | undefined;
  #linger: ClockTimer | undefined;
  // the bound on the TU: counts from #boundFrom; armed by the layer after the request was handed up
  #boundFrom: number;
  #bound: ClockTimer | undefined;
  #expired = false;

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
    this.#request = request;
    this.inbound = inbound;
    this.method = detached(request.method); // a long extension method would be a view of the request
    this.key = key;
    this.timers = host.timers(inbound.transport.reliable);
    this.#state = initial;
    this.#localTag = request.to.tag;
    this.#boundFrom = host.clock.now();
  }

  /**
   * The request. Held until the transaction completes: after a final
   * response to a non-INVITE request or a non-2xx final response to an
   * INVITE the transaction keeps only what absorbing retransmissions needs.
   * The request is let go one microtask after that response, so the code
   * that sent it can still read it; keep your own reference to read it later.
   * @throws ERR_INVALID_STATE once the transaction no longer holds it.
   */
  get request(): SipRequest {
    const request = this.#request;
    if (request === undefined)
      throw new StrowgerError(
        'ERR_INVALID_STATE',
        `${this.method} server transaction in ${this.#state}: the request is no longer held (keep a reference of your own)`,
      );
    return request;
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

  /**
   * The most recent response sent (final if any, else the last provisional).
   * Once Completed it is parsed again from the bytes sent, a new object on
   * each access.
   */
  get lastResponse(): SipResponse | undefined {
    return this.#lastFinal ?? this.#lastProvisional ?? this.#parsedFinal();
  }

  /**
   * The final response sent, if any. Once Completed it is parsed again from
   * the bytes sent, a new object on each access: {@link finalStatus} is the
   * cheap test for "answered".
   */
  get finalSent(): SipResponse | undefined {
    return this.#lastFinal ?? this.#parsedFinal();
  }

  /** The status of the final response sent (also the layer's 408 after {@link expired}), if any. */
  get finalStatus(): number | undefined {
    return this.#finalStatus;
  }

  /**
   * True once the layer ended the wait for the TU's final response (event
   * `expired`): a later {@link respond} is ignored.
   */
  get expired(): boolean {
    return this.#expired;
  }

  /** @internal The To tag of the final response (RFC 2543 ACK matching). */
  get _finalToTag(): string | undefined {
    return this.#lastFinal !== undefined ? this.#lastFinal.to.tag : this.#finalToTag;
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
   * Returns the response sent.
   *
   * After the layer expired the transaction (the TU did not answer in time,
   * event `expired`) the call is ignored: nothing is sent, the layer emits
   * `lateResponse`, and the result is `undefined`.
   * @throws ERR_INVALID_STATE after the final response (a 2xx to INVITE may be
   *   sent again while `accepted`) or once terminated; ERR_INVALID_ARGUMENT for
   *   a response that does not belong to this request.
   */
  respond(response: SipResponse): SipResponse | undefined;
  respond(status: number, options?: CreateResponseOptions): SipResponse | undefined;
  respond(
    responseOrStatus: SipResponse | number,
    options: CreateResponseOptions = {},
  ): SipResponse | undefined {
    if (this.#expired) {
      this.host.lateResponse(
        this,
        typeof responseOrStatus === 'number' ? responseOrStatus : responseOrStatus.status,
      );
      return undefined;
    }
    const state = this.#state;
    if (state === 'terminated')
      throw new StrowgerError('ERR_INVALID_STATE', `${this.method} server transaction is terminated`);
    if (state === 'completed' || state === 'confirmed')
      this.invalidState('a final response was already sent');
    const request = this.request;
    let response: SipResponse;
    if (typeof responseOrStatus === 'number') {
      const status = responseOrStatus;
      let toTag = options.toTag;
      if (toTag === undefined && status !== 100) toTag = this.localTag;
      else if (toTag !== undefined && status !== 100 && this.#localTag === undefined) this.#localTag = toTag;
      response = createResponse(request, status, toTag === undefined ? options : { ...options, toTag });
    } else {
      response = responseOrStatus;
      this.#checkBelongs(request, response);
      if (this.#localTag === undefined && response.status !== 100) this.#localTag = response.to.tag;
    }
    this.onRespond(response);
    return response;
  }

  /**
   * @internal The layer arms the bound on the TU once the request has been
   * handed up (most TUs answer at once, and then no timer is ever made).
   */
  _armBound(): void {
    if (this.#bound !== undefined || this.#finalStatus !== undefined || this.#state === 'terminated') return;
    const limit = this.tuBound();
    if (!Number.isFinite(limit)) return;
    this.#bound = this.host.clock.setTimeout(
      () => this.#onBound(limit),
      this.#boundFrom + limit - this.host.clock.now(),
    );
  }

  #onBound(limit: number): void {
    this.#bound = undefined;
    if (this.#finalStatus !== undefined || this.#state === 'terminated') return;
    // the INVITE's bound restarts at each provisional: wait for the rest of it
    const left = this.#boundFrom + limit - this.host.clock.now();
    if (left > 0) {
      this.#bound = this.host.clock.setTimeout(() => this.#onBound(limit), left);
      return;
    }
    this.#expired = true;
    this.emit('expired');
    this.host.serverExpired(this);
    if (!this.terminated) this.onExpired(); // unless a listener closed the layer
  }

  /** How long the TU may take for its final response (ms; `Infinity`: no bound). */
  protected abstract tuBound(): number;

  /** What the machine does when the TU's bound ran out (the `expired` event was emitted). */
  protected abstract onExpired(): void;

  /** Restarts the TU's bound (an INVITE's provisional response shows the TU is alive). */
  protected restartBound(): void {
    this.#boundFrom = this.host.clock.now();
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

  /**
   * Sends the final response of a transaction entering Completed and keeps
   * its wire bytes for retransmissions. The parsed request and responses are
   * let go a moment later ({@link _compact}, once the code that responded has
   * returned to the event loop, so that it may still read `request`).
   * Retransmissions parse the bytes again for the top Via that routes them —
   * rare (a lost response or ACK), so the Via is not kept: as a parsed object
   * its strings would be views of the request's head and keep all of it alive.
   */
  protected completeWith(response: SipResponse): void {
    this.letGo();
    this.sendKept(response);
  }

  /**
   * Sends a final response and keeps its wire bytes, as {@link completeWith} does, but
   * keeps the parsed messages too until {@link letGo} (an INVITE's 2xx: the request is
   * still the TU's business until the ACK).
   */
  protected sendKept(response: SipResponse): void {
    this.#finalStatus = response.status;
    this.#lastFinal = response;
    this.#stopBound();
    let via: Via | undefined;
    let bytes: Uint8Array | undefined;
    let failure: unknown;
    try {
      via = response.topVia;
      if (via === undefined) failure = new StrowgerError('ERR_INVALID_ARGUMENT', 'response has no Via');
      else bytes = serializeMessage(response);
      if (this.ackKey !== undefined) {
        const tag = response.to.tag;
        this.#finalToTag = tag === undefined ? undefined : detached(tag);
      }
    } catch (err) {
      failure = err;
    }
    if (via === undefined || bytes === undefined) {
      // as the transport layer would: the failure reaches onTransportError asynchronously
      Promise.reject(failure).then(undefined, (err) => this.#sendFailed(err));
      return;
    }
    this.#finalWire = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    this.#resending = true;
    this.host.transport
      .sendSerializedResponse(bytes, via, this.inbound)
      .then(undefined, (err) => this.#sendFailed(err));
  }

  /** Lets go of the parsed request and responses a moment from now (see {@link _compact}). */
  protected letGo(): void {
    this.host.compactSoon(this);
  }

  /**
   * @internal Lets go of the parsed request and responses of a transaction
   * that completed (the layer calls it from a microtask after
   * {@link completeWith}): from now on it holds its keys, state, timers and
   * the final response's bytes.
   */
  _compact(): void {
    if (this.#finalWire === undefined && this.#finalStatus === undefined) return;
    this.#request = undefined;
    this.#lastProvisional = undefined;
    this.#lastFinal = undefined;
    // the request's own To tag (in-dialog requests) is a view of the request's head
    if (this.#localTag !== undefined) this.#localTag = detached(this.#localTag);
  }

  protected get lastProvisional(): SipResponse | undefined {
    return this.#lastProvisional;
  }

  /** Passes a response to the transport layer; a failure reaches {@link onTransportError}. */
  protected send(response: SipResponse): void {
    this.host.transport.sendResponse(response, this.inbound).then(undefined, (err) => this.#sendFailed(err));
  }

  /** Sends the final response (again): the kept bytes once Completed, else the response object. */
  protected resendFinal(): void {
    const wire = this.#finalWire;
    if (wire === undefined) {
      if (this.#lastFinal !== undefined) this.send(this.#lastFinal);
      return;
    }
    if (!this.#resending) return;
    const bytes = Buffer.from(wire, 'latin1');
    let via: Via | undefined;
    try {
      via = parseMessage(bytes).topVia;
    } catch {
      via = undefined; // it parsed when it was built: cannot happen
    }
    if (via !== undefined)
      this.host.transport
        .sendSerializedResponse(bytes, via, this.inbound)
        .then(undefined, (err) => this.#sendFailed(err));
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
    this.#stopBound();
    this.#state = 'terminated';
    // nothing is sent any more (the bytes stay: finalSent still reads them)
    this.#resending = false;
    this.stopTimers();
    this.host.serverTerminated(this);
    this.emit('terminated');
  }

  #stopBound(): void {
    if (this.#bound === undefined) return;
    this.#bound.cancel();
    this.#bound = undefined;
  }

  #parsedFinal(): SipResponse | undefined {
    const wire = this.#finalWire;
    if (wire === undefined) return undefined;
    try {
      const m = parseMessage(Buffer.from(wire, 'latin1'));
      return isResponse(m) ? m : undefined;
    } catch {
      return undefined;
    }
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

  #checkBelongs(request: SipRequest, response: SipResponse): void {
    let ok: boolean;
    try {
      ok =
        response.cseq.method === request.method &&
        response.cseq.seq === request.cseq.seq &&
        response.via[0]?.branch === request.via[0]?.branch;
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
