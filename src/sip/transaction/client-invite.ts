/**
 * INVITE client transaction (RFC 3261 §17.1.1, with the Accepted state of
 * RFC 6026 §7.2) and CANCEL (RFC 3261 §9.1).
 *
 *                                |INVITE from TU
 *              Timer A fires     |INVITE sent      Timer B fires
 *              Reset A,          V                 or Transport Err.
 *              INVITE sent +-----------+           inform TU
 *                +---------|           |--------------------------+
 *                |         |  Calling  |                          |
 *                +-------->|           |-----------+              |
 * 300-699                  +-----------+ 2xx       |              |
 * ACK sent                    |  |       2xx to TU |              |
 * resp. to TU                 |  |1xx              |              |
 * +---------------------------+  |resp. to TU      |              |
 * |                              |                 |              |
 * |                1xx           V                 |              |
 * |                resp. to TU +-----------+       |              |
 * |                +-----------|           |       |              |
 * |                |           |Proceeding |       |              |
 * |                +---------->|           |       |              |
 * |                            +-----------+ 2xx   |              |
 * |         300-699               |          2xx to TU            |
 * |         ACK sent,  +----------+          |     |              |
 * |         resp. to TU|                     |     |              |
 * |                    |                     V     V              |
 * |                    |                  +-----------+           |
 * |                    |                  |  Accepted |---+ 2xx   |
 * |                    |                  |           |   | 2xx to TU
 * |  300-699           V                  +-----------+<--+       |
 * |  ACK sent    +-----------+   Transport Err.  |                 |
 * |  +-----------|           |   Inform TU       | Timer M fires   |
 * |  |           | Completed |-----------+       | -               |
 * |  +---------->|           |           |       |                 |
 * |              +-----------+           |       |                 |
 * |                ^   |                 |       |                 |
 * |                |   | Timer D fires   |       |                 |
 * +----------------+   | -               |       |                 |
 *                      |                 V       V                 |
 *                      |              +-----------+                |
 *                      +------------->| Terminated|<---------------+
 *                                     +-----------+
 *
 * Timer A (unreliable transports only) starts at T1 and doubles; Timer B is
 * 64·T1. The ACK for a non-2xx is built and sent here with the INVITE's
 * branch; the ACK for a 2xx is the dialog layer's (a new transaction).
 */
import type { ClockTimer } from '../../core/index.js';
import type { HeaderInput, SipRequest, SipResponse } from '../message/index.js';
import type { Target } from '../transport/index.js';
import { buildCancel, buildNon2xxAck } from './build.js';
import { ClientTransaction } from './client-transaction.js';
import type { TransactionHost } from './host.js';

export interface CancelOptions {
  /** Extra header fields for the CANCEL, e.g. `[['Reason', 'SIP;cause=200;text="Call completed elsewhere"']]`. */
  headers?: ReadonlyArray<readonly [string, HeaderInput]>;
}

export class ClientInviteTransaction extends ClientTransaction {
  readonly isInvite = true as const;
  #timerA = 0;
  #cancelPromise: Promise<SipResponse | undefined> | undefined;
  #cancelResolve: ((r: SipResponse | undefined) => void) | undefined;
  #cancelHeaders: ReadonlyArray<readonly [string, HeaderInput]> = [];
  #cancelTx: ClientTransaction | undefined;
  #cancelGuard: ClockTimer | undefined;

  /** @internal */
  constructor(host: TransactionHost, request: SipRequest, target: Target, branch: string) {
    super(host, request, target, branch, 'calling');
  }

  /** True once {@link cancel} was called. */
  get cancelRequested(): boolean {
    return this.#cancelPromise !== undefined;
  }

  /** The CANCEL's own client transaction, once the CANCEL was sent. */
  get cancelTransaction(): ClientTransaction | undefined {
    return this.#cancelTx;
  }

  /**
   * Cancels the INVITE (RFC 3261 §9.1): the CANCEL is sent at once when a
   * provisional response has arrived, otherwise as soon as one arrives; a
   * final response first makes it moot. Idempotent. Resolves with the
   * CANCEL's final response (200, or 481 when the server no longer knew the
   * INVITE), or `undefined` when no CANCEL was sent or it got no answer; never
   * rejects. The INVITE's own outcome (usually 487) arrives as usual; if none
   * arrives within 64·T1 of the CANCEL the INVITE transaction times out.
   */
  cancel(options: CancelOptions = {}): Promise<SipResponse | undefined> {
    if (this.#cancelPromise !== undefined) return this.#cancelPromise;
    const state = this.state;
    if (state !== 'calling' && state !== 'proceeding') return Promise.resolve(undefined);
    this.#cancelPromise = new Promise((resolve) => {
      this.#cancelResolve = resolve;
    });
    this.#cancelHeaders = options.headers ?? [];
    if (state === 'proceeding') this.#sendCancel();
    return this.#cancelPromise;
  }

  protected onStart(): void {
    const t = this.timers;
    if (t.A > 0) {
      this.#timerA = t.A;
      this.startRetransmit(this.#timerA, this.#onTimerA);
    }
    this.startTimeout(t.B, this.#onTimerB);
  }

  readonly #onTimerA = (): void => {
    if (this.state !== 'calling') return;
    this.send(this.request);
    this.#timerA *= 2;
    this.startRetransmit(this.#timerA, this.#onTimerA);
  };

  readonly #onTimerB = (): void => {
    if (this.state === 'calling') this.timedOut(this.timers.B);
  };

  /** @internal */
  _receive(response: SipResponse): void {
    const state = this.state;
    const status = response.status;
    if (state === 'calling' || state === 'proceeding') {
      if (status < 200) {
        if (state === 'calling') {
          this.stopTimers();
          this.setState('proceeding');
        }
        this.deliverProvisional(response);
        if (this.#cancelPromise !== undefined && this.#cancelTx === undefined) this.#sendCancel();
      } else if (status < 300) {
        this.#cancelGuard?.cancel();
        this.stopTimers();
        this.setState('accepted');
        this.deliverFinal(response);
        this.#settleUnsentCancel();
        this.linger(this.timers.M);
      } else {
        this.#cancelGuard?.cancel();
        this.stopTimers();
        this.setState('completed');
        this.send(buildNon2xxAck(this.request, response));
        this.deliverFinal(response);
        this.#settleUnsentCancel();
        this.linger(this.timers.D);
      }
    } else if (state === 'accepted') {
      // RFC 6026: every 2xx is passed up (retransmissions and other forks' answers); the TU ACKs each
      if (status >= 200 && status < 300) this.deliverFinal(response);
    } else if (state === 'completed') {
      // a retransmitted non-2xx final response: ACK again, do not pass up
      if (status >= 300) this.send(buildNon2xxAck(this.request, response));
    }
  }

  protected override onTerminated(): void {
    this.#cancelGuard?.cancel();
    this.#settleUnsentCancel();
  }

  #sendCancel(): void {
    let tx: ClientTransaction;
    try {
      tx = this.host.sendRequest(buildCancel(this.request, this.#cancelHeaders), this.target);
    } catch {
      this.#settleCancel(undefined);
      return;
    }
    this.#cancelTx = tx;
    tx.finalResponse.then(
      (r) => this.#settleCancel(r),
      () => this.#settleCancel(undefined),
    );
    // §9.1: no final response 64·T1 after the CANCEL: the INVITE is considered cancelled
    this.#cancelGuard = this.host.clock.setTimeout(() => {
      if (this.state === 'proceeding') this.timedOut(this.timers.B);
    }, this.timers.B);
  }

  #settleUnsentCancel(): void {
    if (this.#cancelTx === undefined) this.#settleCancel(undefined);
  }

  #settleCancel(response: SipResponse | undefined): void {
    const resolve = this.#cancelResolve;
    this.#cancelResolve = undefined;
    resolve?.(response);
  }
}
