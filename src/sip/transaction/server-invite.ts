/**
 * INVITE server transaction (RFC 3261 §17.2.1 with the Accepted state of
 * RFC 6026 §7.1).
 *
 *                                |INVITE
 *                                |pass INV to TU
 *             INVITE             V send 100 if TU won't in 200 ms
 *             send response+------------+
 *                 +--------|            |--------+ 101-199 from TU
 *                 |        |            |        | send response
 *                 +------->|            |<-------+
 *                          | Proceeding |
 *                          |            |--------+ Transport Err.
 *                          |            |        | Inform TU
 *                          |            |<-------+
 *                          +------------+
 *             300-699 from TU |    |2xx from TU
 *             send response   |    |send response
 *              +--------------+    +------------+
 *              |                                |
 * INVITE       V          Timer G fires         |
 * send response+-----------+ send response      |
 *   +--------|           |--------+             |
 *   |        |           |        |             |
 *   +------->| Completed |<-------+     INVITE  |  Transport Err.
 *            |           |              -       |  Inform TU
 *   +--------|           |----+       +-----+   |  +---+
 *   |        +-----------+    | ACK   |     v   v  |   v
 *   |          ^   |          | -     |  +------------+
 *   |          |   |          |       |  |            |---+ ACK
 *   +----------+   |          |       +--|  Accepted  |   | to TU
 *   Transport Err. |          |          |            |<--+
 *   Inform TU      |          V          +------------+
 *                  |      +-----------+     |  ^     |
 *                  |      |           |     |  |     |
 *                  |      | Confirmed |     |  +-----+
 *                  |      |           |     |  2xx from TU
 *    Timer H fires |      +-----------+     |  send response
 *    -             |          |             |
 *                  |          | Timer I     |
 *                  |          | fires       |
 *                  |          | -           | Timer L fires
 *                  |          V             | -
 *                  |        +------------+  |
 *                  |        |            |<-+
 *                  +------->| Terminated |
 *                           |            |
 *                           +------------+
 *
 * Timer G (unreliable only) starts at T1 and doubles up to T2; H and L are
 * 64·T1; I is T4 (0 over reliable transports).
 *
 * Beyond the figure, and in place of the UAS core (RFC 3261 §13.3.1.4), the
 * transaction retransmits a 2xx while `accepted` — T1, 2·T1, … capped at T2 —
 * until the ACK arrives. That ACK is a transaction of its own with a new
 * branch; the layer matches it to this transaction by Call-ID, From tag, To
 * tag and CSeq number, stops the retransmissions, and still passes the ACK up
 * (layer event `ack`). If Timer L fires without an ACK the transaction emits
 * `timeout`.
 *
 * A TU that sends no final response for the layer's `inviteServerTimeout`
 * (default 5 min) since the request or its last provisional response makes
 * the transaction emit `expired` and answer 408 itself (as a proxy's Timer C
 * would, RFC 3261 §16.8): the caller is not left ringing forever. Completed
 * keeps only the final response's bytes (see ServerTransaction).
 */
import type { ClockTimer, StrowgerError } from '../../core/index.js';
import { createResponse, type SipRequest, type SipResponse } from '../message/index.js';
import type { InboundInfo } from '../transport/index.js';
import type { TransactionHost } from './host.js';
import { ServerTransaction } from './server-transaction.js';

export class ServerInviteTransaction extends ServerTransaction {
  readonly isInvite = true as const;
  #trying: ClockTimer | undefined;
  #retransmit: ClockTimer | undefined;
  #timerH: ClockTimer | undefined;
  #interval = 0;
  #acked = false;
  #cancelled = false;

  /** @internal */
  constructor(host: TransactionHost, request: SipRequest, inbound: InboundInfo, key: string) {
    super(host, request, inbound, key, 'proceeding');
  }

  /** True when a CANCEL ended this INVITE (the layer answered it 487). */
  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** True once the ACK for the 2xx arrived. */
  get acknowledged(): boolean {
    return this.#acked;
  }

  /** @internal Called by the layer before the TU sees the request: the automatic 100 Trying. */
  _start(): void {
    const delay = this.host.tryingDelay;
    if (delay <= 0) this.#sendTrying();
    else if (Number.isFinite(delay)) this.#trying = this.host.clock.setTimeout(() => this.#onTrying(), delay);
  }

  #onTrying(): void {
    this.#trying = undefined;
    if (this.state === 'proceeding' && this.lastProvisional === undefined) this.#sendTrying();
  }

  #sendTrying(): void {
    this.#trying?.cancel();
    this.#trying = undefined;
    const trying = createResponse(this.request, 100);
    this.recordProvisional(trying);
    this.send(trying);
  }

  protected onRespond(response: SipResponse): void {
    const state = this.state;
    const status = response.status;
    if (state === 'accepted') {
      if (status < 200 || status >= 300) this.invalidState('only a 2xx may follow a 2xx');
      this.sendKept(response);
      return;
    }
    if (state !== 'proceeding') this.invalidState('a final response was already sent');
    this.#trying?.cancel();
    this.#trying = undefined;
    if (status < 200) {
      this.recordProvisional(response);
      this.restartBound();
      this.send(response);
    } else if (status < 300) {
      this.setState('accepted');
      this.sendKept(response);
      const tag = this._knownLocalTag;
      if (tag !== undefined) this.host.serverAccepted(this, tag);
      const t = this.timers;
      if (!t.reliable || this.host.retransmit2xxOverReliable) {
        this.#interval = t.t1;
        this.#retransmit = this.host.clock.setTimeout(() => this.#on2xxRetransmit(), this.#interval);
      }
      this.linger(t.L, () => this.#onTimerL());
    } else {
      this.setState('completed');
      this.completeWith(response);
      const t = this.timers;
      if (t.G > 0) {
        this.#interval = t.G;
        this.#retransmit = this.host.clock.setTimeout(() => this.#onTimerG(), this.#interval);
      }
      this.#timerH = this.host.clock.setTimeout(() => this.#onTimerH(), t.H);
    }
  }

  protected tuBound(): number {
    return this.host.inviteServerTimeout;
  }

  /** The caller would ring forever: 408, like a proxy whose Timer C fired (RFC 3261 §16.8). */
  protected onExpired(): void {
    if (this.state !== 'proceeding') return;
    this.onRespond(createResponse(this.request, 408, { toTag: this.localTag }));
  }

  #onTimerG(): void {
    if (this.state !== 'completed') return;
    this.resendFinal();
    this.#interval = Math.min(2 * this.#interval, this.timers.t2);
    this.#retransmit = this.host.clock.setTimeout(() => this.#onTimerG(), this.#interval);
  }

  #on2xxRetransmit(): void {
    if (this.state !== 'accepted' || this.#acked) return;
    this.resendFinal();
    this.#interval = Math.min(2 * this.#interval, this.timers.t2);
    this.#retransmit = this.host.clock.setTimeout(() => this.#on2xxRetransmit(), this.#interval);
  }

  #onTimerH(): void {
    if (this.state !== 'completed') return;
    this.emit('timeout');
    this.terminate();
  }

  #onTimerL(): void {
    if (!this.#acked) this.emit('timeout');
    this.terminate();
  }

  /** @internal */
  _retransmission(): void {
    const state = this.state;
    if (state === 'proceeding') {
      const last = this.lastProvisional;
      if (last !== undefined) this.send(last);
      else this.#sendTrying();
    } else if (state === 'completed') {
      this.resendFinal();
    }
    // accepted (RFC 6026) and confirmed: absorbed
  }

  /**
   * @internal An ACK for this transaction. Returns true when it must be passed
   * up (the ACK for a 2xx), false when absorbed (the ACK for a non-2xx).
   */
  _ack(): boolean {
    switch (this.state) {
      case 'completed':
        this.#retransmit?.cancel();
        this.#timerH?.cancel();
        this.#retransmit = this.#timerH = undefined;
        this.setState('confirmed');
        this.linger(this.timers.I);
        return false;
      case 'accepted':
        if (!this.#acked) {
          // from here on it only absorbs INVITE retransmissions (until Timer L, 32 s over
          // UDP): it keeps the 2xx's bytes, not the parsed request and response
          this.#acked = true;
          this.letGo();
        }
        this.#retransmit?.cancel();
        this.#retransmit = undefined;
        return true;
      default:
        return false;
    }
  }

  /** @internal A CANCEL matched: 487 if no final response was sent yet. */
  _cancel(cancel: SipRequest): void {
    if (this.state !== 'proceeding') return;
    this.#cancelled = true;
    this.respond(487);
    this.emit('cancelled', cancel);
  }

  protected override stopTimers(): void {
    this.#trying?.cancel();
    this.#retransmit?.cancel();
    this.#timerH?.cancel();
    this.#trying = this.#retransmit = this.#timerH = undefined;
  }

  protected override onTransportError(error: StrowgerError): void {
    if (this.state === 'accepted') {
      // RFC 6026: inform the TU and stay in Accepted (absorbing INVITE retransmissions until Timer L)
      this.#retransmit?.cancel();
      this.#retransmit = undefined;
      this.emit('transportError', error);
      return;
    }
    super.onTransportError(error);
  }
}
