/**
 * What a transaction needs from its layer: the clock, the timers, the
 * transport layer to send through, and callbacks for the layer's indexes.
 * Internal: users never build transactions themselves.
 */
import type { Clock, Random } from '../../core/index.js';
import type { SipRequest } from '../message/index.js';
import type { Target, TransportLayer } from '../transport/index.js';
import type { ClientTransaction } from './client-transaction.js';
import type { ServerInviteTransaction } from './server-invite.js';
import type { ServerTransaction } from './server-transaction.js';
import type { TransactionTimers } from './timers.js';

/** @internal */
export interface TransactionHost {
  readonly clock: Clock;
  readonly random: Random;
  readonly transport: TransportLayer;
  readonly tryingDelay: number;
  readonly retransmit2xxOverReliable: boolean;
  /** How long an INVITE server transaction waits for the TU's final response (ms; `Infinity`: forever). */
  readonly inviteServerTimeout: number;
  timers(reliable: boolean): TransactionTimers;
  /** Starts a client transaction (used for CANCEL). */
  sendRequest(request: SipRequest, target: Target): ClientTransaction;
  /** A transaction entered Terminated: forget it. */
  clientTerminated(tx: ClientTransaction): void;
  serverTerminated(tx: ServerTransaction): void;
  /** An INVITE server transaction sent a 2xx: index it so the ACK (a new transaction) can find it. */
  serverAccepted(tx: ServerInviteTransaction, toTag: string): void;
  /** A transaction entered Completed: let go of its parsed messages once the current task is done. */
  compactSoon(tx: ServerTransaction): void;
  /** The TU's bound ran out (the transaction emitted `expired`). */
  serverExpired(tx: ServerTransaction): void;
  /** The TU responded after the transaction expired: ignored, reported. */
  lateResponse(tx: ServerTransaction, status: number): void;
}
