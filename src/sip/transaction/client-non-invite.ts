/**
 * Non-INVITE client transaction (RFC 3261 §17.1.2).
 *
 *                                |Request from TU
 *                                |send request
 *            Timer E             V
 *            send request  +-----------+
 *                +---------|           |-------------------+
 *                |         |  Trying   |  Timer F          |
 *                +-------->|           |  or Transport Err.|
 *                          +-----------+  inform TU        |
 *             200-699         |  |                         |
 *             resp. to TU     |  |1xx                      |
 *             +---------------+  |resp. to TU              |
 *             |                  |                         |
 *             |   Timer E        V       Timer F           |
 *             |   send req +-----------+ or Transport Err. |
 *             |  +---------|           | inform TU         |
 *             |  |         |Proceeding |------------------>|
 *             |  +-------->|           |-----+             |
 *             |            +-----------+     |1xx          |
 *             |              |      ^        |resp to TU   |
 *             | 200-699      |      +--------+             |
 *             | resp. to TU  |                             |
 *             |              |                             |
 *             |              V                             |
 *             |            +-----------+                   |
 *             |            |           |                   |
 *             |            | Completed |                   |
 *             |            |           |                   |
 *             |            +-----------+                   |
 *             |              ^   |                         |
 *             |              |   | Timer K                 |
 *             +--------------+   | -                       |
 *                                |                         |
 *                                V                         |
 *          NOTE:           +-----------+                   |
 *                          |           |                   |
 *      transitions         | Terminated|<------------------+
 *      labeled with        |           |
 *      the event           +-----------+
 *      over the action
 *      to take
 *
 * Timer E (unreliable transports only) starts at T1 and doubles up to T2;
 * in Proceeding it is T2. Timer F is 64·T1, Timer K is T4 (0 when reliable).
 */
import type { SipRequest, SipResponse } from '../message/index.js';
import type { Target } from '../transport/index.js';
import { ClientTransaction } from './client-transaction.js';
import type { TransactionHost } from './host.js';

export class ClientNonInviteTransaction extends ClientTransaction {
  readonly isInvite = false as const;
  #timerE = 0;

  /** @internal */
  constructor(host: TransactionHost, request: SipRequest, target: Target, branch: string) {
    super(host, request, target, branch, 'trying');
  }

  protected onStart(): void {
    const t = this.timers;
    if (t.E > 0) {
      this.#timerE = t.E;
      this.startRetransmit(this.#timerE, this.#onTimerE);
    }
    this.startTimeout(t.F, this.#onTimerF);
  }

  readonly #onTimerE = (): void => {
    const state = this.state;
    if (state !== 'trying' && state !== 'proceeding') return;
    this.send(this.request);
    this.#timerE = state === 'trying' ? Math.min(2 * this.#timerE, this.timers.t2) : this.timers.t2;
    this.startRetransmit(this.#timerE, this.#onTimerE);
  };

  readonly #onTimerF = (): void => {
    const state = this.state;
    if (state === 'trying' || state === 'proceeding') this.timedOut(this.timers.F);
  };

  /** @internal */
  _receive(response: SipResponse): void {
    const state = this.state;
    if (state !== 'trying' && state !== 'proceeding') return; // completed: retransmissions absorbed
    if (response.status < 200) {
      this.setState('proceeding');
      this.deliverProvisional(response);
    } else {
      this.stopTimers();
      this.setState('completed');
      this.deliverFinal(response);
      this.linger(this.timers.K);
    }
  }
}
