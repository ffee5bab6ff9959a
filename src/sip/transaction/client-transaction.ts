/**
 * What every client transaction shares (RFC 3261 §17.1): the request, where
 * it went, the state, the last response, the outcome as a promise and as
 * events, and the timers. The INVITE and non-INVITE machines are the two
 * subclasses.
 */
import { type ClockTimer, StrowgerError, TypedEmitter } from '../../core/index.js';
import type { SipRequest, SipResponse } from '../message/index.js';
import type { Target, TransportProtocol } from '../transport/index.js';
import type { TransactionHost } from './host.js';
import { clientKey } from './matching.js';
import type { TransactionTimers } from './timers.js';

/**
 * `calling` (INVITE) / `trying` (non-INVITE) → `proceeding` → `completed`
 * (non-2xx final for INVITE, any final for non-INVITE) or `accepted` (2xx to
 * INVITE, RFC 6026) → `terminated`.
 */
export type ClientTransactionState =
  | 'calling'
  | 'trying'
  | 'proceeding'
  | 'completed'
  | 'accepted'
  | 'terminated';

export type ClientTransactionEvents = {
  /** A 1xx response arrived. */
  provisional: [response: SipResponse];
  /**
   * A final response passed up: the first one, and on an INVITE in `accepted`
   * every further 2xx (retransmissions and forked answers), each of which the
   * dialog layer must ACK.
   */
  final: [response: SipResponse];
  /** Timer B or F fired (or no final response 64·T1 after a CANCEL, RFC 3261 §9.1). */
  timeout: [];
  /** Sending failed (RFC 3261 §17.1.4); the transaction is terminated. */
  transportError: [error: StrowgerError];
  /** Always the last event. */
  terminated: [];
};

interface Deferred {
  promise: Promise<SipResponse>;
  resolve(r: SipResponse): void;
  reject(e: StrowgerError): void;
}

export abstract class ClientTransaction extends TypedEmitter<ClientTransactionEvents> {
  /** Discriminates {@link ClientInviteTransaction} from {@link ClientNonInviteTransaction}. */
  abstract readonly isInvite: boolean;
  /** The request as sent (its top Via carries the branch and the sent-by the transport stamped). */
  readonly request: SipRequest;
  readonly method: string;
  readonly branch: string;
  /** @internal index key */
  readonly key: string;
  protected readonly host: TransactionHost;
  protected timers: TransactionTimers;
  #target: Target;
  #state: ClientTransactionState;
  #lastResponse: SipResponse | undefined;
  #final: SipResponse | undefined;
  #failure: StrowgerError | undefined;
  #deferred: Deferred | undefined;
  #retransmit: ClockTimer | undefined;
  #timeout: ClockTimer | undefined;
  #linger: ClockTimer | undefined;
  readonly #onSendError = (err: unknown) => this.#sendFailed(err);

  /** @internal — created by {@link TransactionLayer.sendRequest}. */
  constructor(
    host: TransactionHost,
    request: SipRequest,
    target: Target,
    branch: string,
    initial: 'calling' | 'trying',
  ) {
    super();
    this.host = host;
    this.request = request;
    this.method = request.method;
    this.branch = branch;
    this.key = clientKey(branch, request.method);
    this.#target = target;
    this.#state = initial;
    this.timers = host.timers(false);
  }

  get state(): ClientTransactionState {
    return this.#state;
  }

  get terminated(): boolean {
    return this.#state === 'terminated';
  }

  /** Where the request went: the caller's target, with the protocol the transport layer really used. */
  get target(): Target {
    return this.#target;
  }

  /** True when the request went over a reliable transport (no retransmissions, zero wait timers). */
  get reliable(): boolean {
    return this.timers.reliable;
  }

  /** The most recent response passed up. */
  get lastResponse(): SipResponse | undefined {
    return this.#lastResponse;
  }

  /**
   * The first final response (any status ≥ 200: a non-2xx answer is an
   * outcome, not an error). Rejects with `ERR_TX_TIMEOUT`, `ERR_TRANSPORT` or
   * `ERR_CLOSED`. Created on first access, so an unobserved failure is never
   * an unhandled rejection.
   */
  get finalResponse(): Promise<SipResponse> {
    if (this.#deferred === undefined) {
      let resolve!: (r: SipResponse) => void;
      let reject!: (e: StrowgerError) => void;
      const promise = new Promise<SipResponse>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.#deferred = { promise, resolve, reject };
      if (this.#final !== undefined) resolve(this.#final);
      else if (this.#failure !== undefined) reject(this.#failure);
    }
    return this.#deferred.promise;
  }

  /** @internal Sends the request and starts the machine. */
  _start(): void {
    const transport = this.host.transport;
    // sendRequest stamps the top Via synchronously, before its first await: the protocol it
    // chose (UDP, or TCP above the MTU) is known at once.
    transport.sendRequest(this.request, this.#target).then(undefined, this.#onSendError);
    const protocol = (this.request.via[0]?.transport ?? this.#target.protocol) as TransportProtocol;
    if (protocol !== this.#target.protocol) this.#target = { ...this.#target, protocol };
    this.timers = this.host.timers(transport.transportFor(protocol)?.reliable ?? false);
    this.onStart();
  }

  /** @internal A response matched this transaction (RFC 3261 §17.1.3). */
  abstract _receive(response: SipResponse): void;

  /** @internal The layer is closing. */
  _close(): void {
    if (this.#state === 'terminated') return;
    this.#fail(new StrowgerError('ERR_CLOSED', 'the transaction layer was closed'));
    this.terminate();
  }

  protected abstract onStart(): void;

  protected setState(state: ClientTransactionState): void {
    this.#state = state;
  }

  /** Passes a request (the original, an ACK) to the transport layer; a failure terminates the transaction. */
  protected send(request: SipRequest): void {
    this.host.transport.sendRequest(request, this.#target).then(undefined, this.#onSendError);
  }

  protected startRetransmit(ms: number, fn: () => void): void {
    this.#retransmit = this.host.clock.setTimeout(fn, ms);
  }

  protected startTimeout(ms: number, fn: () => void): void {
    this.#timeout = this.host.clock.setTimeout(fn, ms);
  }

  /** Starts the wait of `completed`/`accepted` (Timer D, K or M); zero terminates at once. */
  protected linger(ms: number): void {
    if (this.#state === 'terminated') return;
    this.stopTimers();
    if (ms <= 0) this.terminate();
    else this.#linger = this.host.clock.setTimeout(() => this.terminate(), ms);
  }

  protected stopTimers(): void {
    this.#retransmit?.cancel();
    this.#timeout?.cancel();
    this.#linger?.cancel();
    this.#retransmit = this.#timeout = this.#linger = undefined;
  }

  protected deliverProvisional(response: SipResponse): void {
    this.#lastResponse = response;
    this.emit('provisional', response);
  }

  protected deliverFinal(response: SipResponse): void {
    this.#lastResponse = response;
    if (this.#final === undefined && this.#failure === undefined) {
      this.#final = response;
      this.#deferred?.resolve(response);
    }
    this.emit('final', response);
  }

  /** Timer B/F: no final response in time. */
  protected timedOut(ms: number): void {
    this.#fail(
      new StrowgerError(
        'ERR_TX_TIMEOUT',
        `${this.method} transaction ${this.branch} got no final response in ${ms} ms`,
      ),
    );
    this.emit('timeout');
    this.terminate();
  }

  protected terminate(): void {
    if (this.#state === 'terminated') return;
    this.stopTimers();
    this.#state = 'terminated';
    this.onTerminated();
    this.host.clientTerminated(this);
    this.emit('terminated');
  }

  /** Subclass clean-up when the transaction terminates. */
  protected onTerminated(): void {}

  #fail(error: StrowgerError): void {
    if (this.#final !== undefined || this.#failure !== undefined) return;
    this.#failure = error;
    this.#deferred?.reject(error);
  }

  #sendFailed(err: unknown): void {
    if (this.#state === 'terminated') return;
    const error = new StrowgerError(
      'ERR_TRANSPORT',
      `${this.method} transaction ${this.branch}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
    this.#fail(error);
    this.emit('transportError', error);
    this.terminate();
  }
}
