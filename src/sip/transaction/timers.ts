/**
 * Transaction timers (RFC 3261 §17 and Table 4 of Appendix A, RFC 6026 §8.4).
 * Every value is derived from the per-instance T1/T2/T4 of one
 * {@link TransactionLayer}; nothing here is a module global.
 *
 *   Timer  Value (unreliable)   Value (reliable)   Meaning
 *   T1     500 ms                                  RTT estimate
 *   T2     4 s                                     cap of non-INVITE request / INVITE response retransmits
 *   T4     5 s                                     maximum time a message stays in the network
 *   A      T1, doubling         —                  INVITE request retransmit (client)
 *   B      64·T1                64·T1              INVITE transaction timeout (client)
 *   D      64·T1 (≥ 32 s)       0                  wait for response retransmits (client INVITE)
 *   E      T1, ×2 up to T2      —                  non-INVITE request retransmit (client)
 *   F      64·T1                64·T1              non-INVITE transaction timeout (client)
 *   G      T1, ×2 up to T2      —                  INVITE non-2xx response retransmit (server)
 *   H      64·T1                64·T1              wait for ACK (server)
 *   I      T4                   0                  wait for ACK retransmits (server)
 *   J      64·T1                0                  wait for non-INVITE request retransmits (server)
 *   K      T4                   0                  wait for response retransmits (client non-INVITE)
 *   L      64·T1                64·T1              wait for INVITE retransmits after a 2xx (server, RFC 6026)
 *   M      64·T1                64·T1              wait for 2xx retransmits (client, RFC 6026)
 *
 * Not in the RFCs: a server transaction that has not sent its final response
 * waits for the TU at most F (64·T1) for a non-INVITE request and the layer's
 * `inviteServerTimeout` (default 5 min, restarted by each provisional) for an
 * INVITE — see ServerTransaction.
 *
 * Timer D: RFC 3261 asks for "at least 32 seconds" — the longest a server
 * keeps retransmitting a final response (its Timer H). Here it is 64·T1,
 * which is 32 s at the default T1 and keeps the two in step when T1 changes.
 */
import { StrowgerError } from '../../core/index.js';

const MAX_TIMER = 2 ** 31 - 1;

/** Default RFC 3261 base timers and layer behaviour. */
export const TRANSACTION_DEFAULTS = Object.freeze({
  /** RTT estimate, ms. */
  t1: 500,
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses, ms. */
  t2: 4000,
  /** Maximum duration a message remains in the network, ms. */
  t4: 5000,
  /** An INVITE server transaction sends 100 Trying itself when the TU has sent no provisional within this many ms. */
  tryingDelay: 200,
  /** Retransmit 2xx responses to INVITE over reliable transports too (RFC 3261 §13.3.1.4: "independent of … transport"). */
  retransmit2xxOverReliable: true,
  /**
   * How long an INVITE server transaction waits for the TU's final response,
   * counted from the request or the TU's last provisional, before it answers
   * 408 itself, ms (5 min: above a proxy's Timer C, "greater than 3 minutes"
   * in RFC 3261 §16.6, so that with a proxy in the path its Timer C fires
   * first). A non-INVITE server transaction waits 64·T1 (Timer F).
   */
  inviteServerTimeout: 300_000,
});

/** The timer values (ms) of one layer for one kind of transport. */
export interface TransactionTimers {
  readonly reliable: boolean;
  readonly t1: number;
  readonly t2: number;
  readonly t4: number;
  /** Timer A initial value; 0 means no request retransmission (reliable transports). */
  readonly A: number;
  readonly B: number;
  readonly D: number;
  /** Timer E initial value; 0 means no request retransmission (reliable transports). */
  readonly E: number;
  readonly F: number;
  /** Timer G initial value; 0 means no response retransmission (reliable transports). */
  readonly G: number;
  readonly H: number;
  readonly I: number;
  readonly J: number;
  readonly K: number;
  readonly L: number;
  readonly M: number;
}

/** Computes every timer from T1, T2 and T4 for a reliable or an unreliable transport. */
export function transactionTimers(t1: number, t2: number, t4: number, reliable: boolean): TransactionTimers {
  if (!(Number.isFinite(t1) && t1 > 0))
    throw new StrowgerError('ERR_INVALID_ARGUMENT', `t1 must be a positive number of ms, got ${t1}`);
  if (!(Number.isFinite(t2) && t2 >= t1))
    throw new StrowgerError('ERR_INVALID_ARGUMENT', `t2 must be a number of ms >= t1, got ${t2}`);
  if (!(Number.isFinite(t4) && t4 > 0))
    throw new StrowgerError('ERR_INVALID_ARGUMENT', `t4 must be a positive number of ms, got ${t4}`);
  const t64 = 64 * t1;
  // timers run on setTimeout-like clocks, which overflow above 2^31 - 1 ms
  if (t64 > MAX_TIMER || t2 > MAX_TIMER || t4 > MAX_TIMER)
    throw new StrowgerError('ERR_INVALID_ARGUMENT', `64·t1, t2 and t4 must not exceed ${MAX_TIMER} ms`);
  return Object.freeze({
    reliable,
    t1,
    t2,
    t4,
    A: reliable ? 0 : t1,
    B: t64,
    D: reliable ? 0 : t64,
    E: reliable ? 0 : t1,
    F: t64,
    G: reliable ? 0 : t1,
    H: t64,
    I: reliable ? 0 : t4,
    J: reliable ? 0 : t64,
    K: reliable ? 0 : t4,
    L: t64,
    M: t64,
  });
}
