/**
 * Non-INVITE server transaction (RFC 3261 §17.2.2).
 *
 *                           |Request received
 *                           |pass to TU
 *                           V
 *                     +-----------+
 *                     |           |
 *                     | Trying    |-------------+
 *                     |           |             |
 *                     +-----------+             |200-699 from TU
 *                           |                   |send response
 *                           |1xx from TU        |
 *                           |send response      |
 *                           |                   |
 *        Request            V      1xx from TU  |
 *        send response+-----------+send response|
 *            +--------|           |--------+    |
 *            |        | Proceeding|        |    |
 *            +------->|           |<-------+    |
 *     +<--------------|           |             |
 *     |Trnsprt Err    +-----------+             |
 *     |Inform TU            |                   |
 *     |                     |                   |
 *     |                     |200-699 from TU    |
 *     |                     |send response      |
 *     |  Request            V                   |
 *     |  send response+-----------+             |
 *     |      +--------|           |             |
 *     |      |        | Completed |<------------+
 *     |      +------->|           |
 *     +<--------------|           |
 *     |Trnsprt Err    +-----------+
 *     |Inform TU            |
 *     |                     |Timer J fires
 *     |                     |-
 *     |                     |
 *     |                     V
 *     |               +-----------+
 *     |               |           |
 *     +-------------->| Terminated|
 *                     |           |
 *                     +-----------+
 *
 * Request retransmissions are absorbed in Trying and answered with the last
 * response afterwards. Timer J is 64·T1 (0 over reliable transports).
 *
 * Beyond the figure: a TU that sends no final response within 64·T1 of the
 * request (the client's Timer F; its transaction has given up by then) makes
 * the transaction go from Trying/Proceeding to Terminated with `expired`,
 * sending nothing — a 408 would reach nobody, and RFC 4320 §4.2 forbids it.
 * Completed keeps only the final response's bytes (see ServerTransaction).
 */
import type { SipRequest, SipResponse } from '../message/index.js';
import type { InboundInfo } from '../transport/index.js';
import type { TransactionHost } from './host.js';
import { ServerTransaction } from './server-transaction.js';

export class ServerNonInviteTransaction extends ServerTransaction {
  readonly isInvite = false as const;
  /** @internal */
  constructor(host: TransactionHost, request: SipRequest, inbound: InboundInfo, key: string) {
    super(host, request, inbound, key, 'trying');
  }

  protected onRespond(response: SipResponse): void {
    const state = this.state;
    if (state !== 'trying' && state !== 'proceeding') this.invalidState('a final response was already sent');
    if (response.status < 200) {
      this.setState('proceeding');
      this.recordProvisional(response);
      this.send(response);
    } else {
      this.setState('completed');
      this.completeWith(response);
      this.linger(this.timers.J);
    }
  }

  /** The client's Timer F: after it nobody waits for an answer. */
  protected tuBound(): number {
    return this.timers.F;
  }

  /** RFC 4320 §4.2: no 408 to a non-INVITE request; nothing at all, the client has given up. */
  protected onExpired(): void {
    this.terminate();
  }

  /** @internal */
  _retransmission(): void {
    const state = this.state;
    if (state === 'completed') this.resendFinal();
    else if (state === 'proceeding') {
      const last = this.lastProvisional;
      if (last !== undefined) this.send(last);
    }
  }
}
