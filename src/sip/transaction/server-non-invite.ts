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
      this.recordFinal(response);
      this.send(response);
      this.linger(this.timers.J);
    }
  }

  /** @internal */
  _retransmission(): void {
    if (this.state === 'trying') return;
    const last = this.lastResponse;
    if (last !== undefined) this.send(last);
  }
}
