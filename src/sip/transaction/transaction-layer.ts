/**
 * The transaction layer (RFC 3261 §17, RFC 6026) above a {@link TransportLayer}:
 * starts client transactions for outbound requests, creates a server
 * transaction for every new inbound request, matches responses and
 * retransmissions to their transactions, handles CANCEL and merged requests,
 * and hands the rest up (the ACK for a 2xx, stray 2xx responses).
 *
 * Requests that cannot form a transaction are answered statelessly with 400:
 * a top-Via branch that is the bare magic cookie `z9hG4bK` (it claims RFC 3261
 * uniqueness and carries none), and a request whose From, To, Call-ID, CSeq or
 * Via cannot be read (only possible for messages not checked by the parser).
 * ACKs are never answered: an unmatchable ACK is passed up or dropped.
 */
import {
  type Clock,
  cryptoRandom,
  type Random,
  randomToken,
  StrowgerError,
  TypedEmitter,
} from '../../core/index.js';
import {
  BRANCH_MAGIC,
  createResponse,
  SipParseError,
  type SipRequest,
  type SipResponse,
  serializeMessage,
  Via,
} from '../message/index.js';
import { statelessErrorResponse } from '../parser/index.js';
import type { InboundInfo, SentRequest, Target, TransportLayer } from '../transport/index.js';
import { ClientInviteTransaction } from './client-invite.js';
import { ClientNonInviteTransaction } from './client-non-invite.js';
import type { ClientTransaction } from './client-transaction.js';
import type { TransactionHost } from './host.js';
import { clientKey, createBranch, dialogAckKey, type RequestIdentity, requestIdentity } from './matching.js';
import { ServerInviteTransaction } from './server-invite.js';
import { ServerNonInviteTransaction } from './server-non-invite.js';
import type { ServerTransaction } from './server-transaction.js';
import { TRANSACTION_DEFAULTS, type TransactionTimers, transactionTimers } from './timers.js';

export interface TransactionLayerOptions {
  transport: TransportLayer;
  /** Defaults to the transport layer's clock. */
  clock?: Clock;
  /** Source of branches and tags (default: cryptographically strong). */
  random?: Random;
  /** RTT estimate in ms (default 500). */
  t1?: number;
  /** Retransmit interval cap in ms (default 4000). */
  t2?: number;
  /** Maximum message lifetime in the network in ms (default 5000). */
  t4?: number;
  /**
   * An INVITE server transaction sends 100 Trying itself when the TU has sent
   * no provisional response after this many ms (default 200). 0 sends it at
   * once, before the TU sees the request; `Infinity` never (the TU promises to
   * answer within 200 ms, RFC 3261 §17.2.1).
   */
  tryingDelay?: number;
  /** Retransmit 2xx to INVITE over reliable transports too, as RFC 3261 §13.3.1.4 asks (default true). */
  retransmit2xxOverReliable?: boolean;
  /**
   * How long an INVITE server transaction waits for the TU's final response,
   * counted from the request or the TU's last provisional, before it emits
   * `expired` and answers 408 itself (ms, default 300 000; `Infinity`: wait
   * forever). A non-INVITE server transaction always waits 64·T1.
   */
  inviteServerTimeout?: number;
}

export type TransactionLayerEvents = {
  /** A new request (not a retransmission, not ACK, not CANCEL): answer it with `transaction.respond()`. */
  request: [transaction: ServerInviteTransaction | ServerNonInviteTransaction];
  /**
   * An ACK that is not part of a transaction: the ACK for a 2xx (with the INVITE
   * server transaction that sent the 2xx, if it is still in Accepted, which
   * has stopped retransmitting it) or an ACK matching nothing (`undefined`).
   */
  ack: [ack: SipRequest, inbound: InboundInfo, transaction: ServerInviteTransaction | undefined];
  /** A 2xx to INVITE matching no client transaction (a late retransmission or fork, for the dialog layer). Other stray responses are dropped (RFC 6026 §7.3). */
  strayResponse: [response: SipResponse, inbound: InboundInfo];
  /**
   * A server transaction's TU sent no final response in time (64·T1 for a
   * non-INVITE request, `inviteServerTimeout` for an INVITE): the transaction
   * emitted `expired` and ends (non-INVITE: nothing sent; INVITE: 408).
   */
  expired: [transaction: ServerInviteTransaction | ServerNonInviteTransaction];
  /**
   * A TU responded (`status`) to a transaction after it expired: the call was
   * ignored. Worth a debug log — the TU was too slow or missed `expired`.
   */
  lateResponse: [transaction: ServerInviteTransaction | ServerNonInviteTransaction, status: number];
  /** A failure nobody else can see (a stateless response that could not be sent). */
  error: [error: Error];
  close: [];
};

export class TransactionLayer extends TypedEmitter<TransactionLayerEvents> {
  readonly transport: TransportLayer;
  readonly clock: Clock;
  readonly random: Random;
  readonly t1: number;
  readonly t2: number;
  readonly t4: number;
  readonly tryingDelay: number;
  readonly retransmit2xxOverReliable: boolean;
  readonly inviteServerTimeout: number;
  readonly #unreliable: TransactionTimers;
  readonly #reliable: TransactionTimers;
  readonly #clients = new Map<string, ClientTransaction>();
  readonly #servers = new Map<string, ServerTransaction>();
  /** From tag + Call-ID + CSeq of requests without To tag → transaction (merged requests, §8.2.2.2). */
  readonly #merge = new Map<string, ServerTransaction>();
  /** branch + sent-by → non-INVITE transaction (the target of a CANCEL of a non-INVITE). */
  readonly #byBranch = new Map<string, ServerTransaction>();
  /** RFC 2543 INVITE identity without the To tag → transaction (ACK matching). */
  readonly #ack2543 = new Map<string, ServerInviteTransaction>();
  /** Call-ID + tags + CSeq number of a sent 2xx → transaction (ACK for 2xx). */
  readonly #accepted = new Map<string, ServerInviteTransaction>();
  /** Transactions that completed in this task: compacted together in one microtask. */
  #toCompact: ServerTransaction[] = [];
  readonly #compact = (): void => {
    const list = this.#toCompact;
    this.#toCompact = [];
    for (const tx of list) tx._compact();
  };
  readonly #host: TransactionHost;
  readonly #off: () => void;
  #closed = false;

  constructor(options: TransactionLayerOptions) {
    super();
    this.transport = options.transport;
    this.clock = options.clock ?? options.transport.clock;
    this.random = options.random ?? cryptoRandom;
    this.t1 = options.t1 ?? TRANSACTION_DEFAULTS.t1;
    this.t2 = options.t2 ?? TRANSACTION_DEFAULTS.t2;
    this.t4 = options.t4 ?? TRANSACTION_DEFAULTS.t4;
    this.tryingDelay = options.tryingDelay ?? TRANSACTION_DEFAULTS.tryingDelay;
    if (!(this.tryingDelay >= 0))
      throw new StrowgerError('ERR_INVALID_ARGUMENT', `tryingDelay must be >= 0 ms, got ${this.tryingDelay}`);
    this.retransmit2xxOverReliable =
      options.retransmit2xxOverReliable ?? TRANSACTION_DEFAULTS.retransmit2xxOverReliable;
    this.inviteServerTimeout = options.inviteServerTimeout ?? TRANSACTION_DEFAULTS.inviteServerTimeout;
    const bound = this.inviteServerTimeout;
    if (!(bound > 0 && (bound <= 2 ** 31 - 1 || bound === Number.POSITIVE_INFINITY)))
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        `inviteServerTimeout must be > 0 and <= ${2 ** 31 - 1} ms (or Infinity), got ${bound}`,
      );
    this.#unreliable = transactionTimers(this.t1, this.t2, this.t4, false);
    this.#reliable = transactionTimers(this.t1, this.t2, this.t4, true);
    this.#host = {
      clock: this.clock,
      random: this.random,
      transport: this.transport,
      tryingDelay: this.tryingDelay,
      retransmit2xxOverReliable: this.retransmit2xxOverReliable,
      inviteServerTimeout: this.inviteServerTimeout,
      timers: (reliable) => this.timers(reliable),
      sendRequest: (request, target) => this.sendRequest(request, target),
      clientTerminated: (tx) => {
        if (this.#clients.get(tx.key) === tx) this.#clients.delete(tx.key);
      },
      serverTerminated: (tx) => this.#forget(tx),
      serverAccepted: (tx, toTag) => {
        const req = tx.request;
        const key = dialogAckKey(req.callId, req.from.tag, toTag, req.cseq.seq);
        tx.acceptedKey = key;
        this.#accepted.set(key, tx);
      },
      compactSoon: (tx) => {
        if (this.#toCompact.push(tx) === 1) queueMicrotask(this.#compact);
      },
      serverExpired: (tx) => this.emit('expired', tx as ServerInviteTransaction | ServerNonInviteTransaction),
      lateResponse: (tx, status) =>
        this.emit('lateResponse', tx as ServerInviteTransaction | ServerNonInviteTransaction, status),
    };
    const onRequest = (req: SipRequest, inbound: InboundInfo) => this.#onRequest(req, inbound);
    const onResponse = (res: SipResponse, inbound: InboundInfo) => this.#onResponse(res, inbound);
    this.transport.on('request', onRequest);
    this.transport.on('response', onResponse);
    this.#off = () => {
      this.transport.off('request', onRequest);
      this.transport.off('response', onResponse);
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Live client transactions. */
  get clientCount(): number {
    return this.#clients.size;
  }

  /** Live server transactions. */
  get serverCount(): number {
    return this.#servers.size;
  }

  /** The timer values for a reliable or an unreliable transport. */
  timers(reliable: boolean): TransactionTimers {
    return reliable ? this.#reliable : this.#unreliable;
  }

  /** A fresh RFC 3261 branch from this layer's random source. */
  newBranch(): string {
    return createBranch(this.random);
  }

  /**
   * Starts a client transaction for `request` towards `target` (already
   * resolved, RFC 3263). A request without a Via gets one with a fresh branch
   * (the transport layer fills in protocol and sent-by); a top Via without a
   * branch gets one; an existing branch is kept and must not belong to a live
   * transaction. The request object is the one sent: do not reuse it for
   * another transaction.
   *
   * @throws ERR_CLOSED after {@link close}; ERR_INVALID_ARGUMENT for ACK
   *   (see {@link sendStateless}) or a branch already in use.
   */
  sendRequest(request: SipRequest, target: Target): ClientInviteTransaction | ClientNonInviteTransaction {
    if (this.#closed) throw new StrowgerError('ERR_CLOSED', 'the transaction layer is closed');
    if (request.method === 'ACK') {
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        'ACK is not sent in a transaction of its own: the INVITE transaction ACKs a non-2xx, sendStateless() sends the ACK for a 2xx',
      );
    }
    const branch = this.#ensureBranch(request, target);
    const key = clientKey(branch, request.method);
    if (this.#clients.has(key))
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        `branch ${branch} is in use by a live ${request.method} transaction`,
      );
    const tx =
      request.method === 'INVITE'
        ? new ClientInviteTransaction(this.#host, request, target, branch)
        : new ClientNonInviteTransaction(this.#host, request, target, branch);
    this.#clients.set(key, tx);
    tx._start();
    return tx;
  }

  /**
   * Sends a request outside any transaction, once (the ACK for a 2xx,
   * RFC 3261 §13.2.2.4): a Via with a fresh branch is added as for
   * {@link sendRequest}. Rejects with the transport's error.
   */
  sendStateless(request: SipRequest, target: Target): Promise<SentRequest> {
    if (this.#closed)
      return Promise.reject(new StrowgerError('ERR_CLOSED', 'the transaction layer is closed'));
    this.#ensureBranch(request, target);
    return this.transport.sendRequest(request, target);
  }

  /**
   * Terminates every transaction (client ones reject `finalResponse` with
   * ERR_CLOSED), cancels every timer, stops listening to the transport layer
   * (which stays open: it belongs to the caller). Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#off();
    for (const tx of [...this.#clients.values()]) tx._close();
    for (const tx of [...this.#servers.values()]) tx._close();
    this.#clients.clear();
    this.#servers.clear();
    this.#merge.clear();
    this.#byBranch.clear();
    this.#ack2543.clear();
    this.#accepted.clear();
    this.emit('close');
  }

  /** @internal Sizes of every index (tests check that nothing leaks). */
  _indexSizes(): Record<string, number> {
    return {
      clients: this.#clients.size,
      servers: this.#servers.size,
      merge: this.#merge.size,
      byBranch: this.#byBranch.size,
      ack2543: this.#ack2543.size,
      accepted: this.#accepted.size,
    };
  }

  /** Gives the request a top Via with a branch when it lacks one; returns the branch. */
  #ensureBranch(request: SipRequest, target: Target): string {
    let top: Via | undefined;
    try {
      top = request.via[0];
    } catch (err) {
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        `request has an unreadable Via: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    const branch = top?.branch;
    if (branch !== undefined) return branch;
    const fresh = this.newBranch();
    if (top === undefined) {
      const host = this.transport.transportFor(target.protocol)?.advertisedHost ?? 'invalid';
      const via = new Via({ transport: target.protocol, host });
      via.branch = fresh;
      request.prependHeader('Via', via.toString());
    } else {
      const via = top.clone();
      via.branch = fresh;
      request.shiftHeader('Via');
      request.prependHeader('Via', via.toString());
    }
    return fresh;
  }

  // ---- inbound ------------------------------------------------------------------

  #onRequest(request: SipRequest, inbound: InboundInfo): void {
    const method = request.method;
    let id: RequestIdentity;
    try {
      if (request.via[0]?.branch === BRANCH_MAGIC) {
        if (method !== 'ACK') this.#statelessReject(request, inbound, 'Via branch has no unique part');
        return;
      }
      id = requestIdentity(request);
    } catch (err) {
      if (method !== 'ACK') this.#statelessReject(request, inbound, (err as Error).message, err);
      return;
    }
    if (method === 'ACK') this.#onAck(request, inbound, id);
    else if (method === 'CANCEL') this.#onCancel(request, inbound, id);
    else this.#onNewOrRetransmitted(request, inbound, id);
  }

  #onNewOrRetransmitted(request: SipRequest, inbound: InboundInfo, id: RequestIdentity): void {
    const existing = this.#servers.get(id.key);
    if (existing !== undefined) {
      existing._retransmission();
      return;
    }
    let merged = false;
    if (id.mergeKey !== undefined) {
      const first = this.#merge.get(id.mergeKey);
      merged = first !== undefined && !first.terminated;
    }
    const tx = this.#createServer(request, inbound, id, !merged);
    if (merged) {
      // §8.2.2.2: same From tag, Call-ID and CSeq as a transaction in progress, another branch
      tx.respond(482);
      return;
    }
    if (tx.isInvite) tx._start();
    if (this.listenerCount('request') === 0) {
      tx.respond(500, { reason: 'No Transaction User' });
      return;
    }
    this.emit('request', tx);
    // the TU did not answer at once: bound its wait (no timer at all for the usual synchronous answer)
    if (tx.finalStatus === undefined && !tx.terminated) tx._armBound();
  }

  #createServer(
    request: SipRequest,
    inbound: InboundInfo,
    id: RequestIdentity,
    indexMerge: boolean,
  ): ServerInviteTransaction | ServerNonInviteTransaction {
    const tx =
      request.method === 'INVITE'
        ? new ServerInviteTransaction(this.#host, request, inbound, id.key)
        : new ServerNonInviteTransaction(this.#host, request, inbound, id.key);
    this.#servers.set(id.key, tx);
    if (indexMerge && id.mergeKey !== undefined) {
      tx.mergeKey = id.mergeKey;
      this.#merge.set(id.mergeKey, tx);
    }
    if (tx.isInvite) {
      if (!id.rfc3261 && id.ackKey !== undefined) {
        tx.ackKey = id.ackKey;
        this.#ack2543.set(id.ackKey, tx);
      }
    } else if (id.branchKey !== undefined && request.method !== 'CANCEL') {
      tx.branchKey = id.branchKey;
      this.#byBranch.set(id.branchKey, tx);
    }
    return tx;
  }

  #onAck(ack: SipRequest, inbound: InboundInfo, id: RequestIdentity): void {
    let tx: ServerTransaction | undefined;
    if (id.rfc3261) tx = this.#servers.get(id.key);
    else if (id.ackKey !== undefined) {
      const candidate = this.#ack2543.get(id.ackKey);
      // RFC 2543: the ACK carries the To tag of the response it acknowledges
      if (candidate?.finalStatus !== undefined && candidate._finalToTag === id.toTag) tx = candidate;
    }
    if (tx instanceof ServerInviteTransaction) {
      if (tx._ack()) this.emit('ack', ack, inbound, tx);
      return;
    }
    // the ACK for a 2xx: a transaction of its own; find the INVITE that sent the 2xx
    let accepted: ServerInviteTransaction | undefined;
    if (id.toTag !== undefined) {
      accepted = this.#accepted.get(dialogAckKey(ack.callId, ack.from.tag, id.toTag, ack.cseq.seq));
      accepted?._ack();
    }
    this.emit('ack', ack, inbound, accepted);
  }

  #onCancel(cancel: SipRequest, inbound: InboundInfo, id: RequestIdentity): void {
    const existing = this.#servers.get(id.key);
    if (existing !== undefined) {
      existing._retransmission();
      return;
    }
    let target: ServerTransaction | undefined;
    if (id.cancelTargetKey !== undefined) target = this.#servers.get(id.cancelTargetKey);
    if (target === undefined && id.branchKey !== undefined) target = this.#byBranch.get(id.branchKey);
    const tx = this.#createServer(cancel, inbound, id, false);
    if (target === undefined) {
      tx.respond(481);
      return;
    }
    // §9.2: 200 for the CANCEL, with the To tag the INVITE's responses carry; 487 for the INVITE
    tx.respond(200, { toTag: target.localTag });
    if (target instanceof ServerInviteTransaction) target._cancel(cancel);
  }

  #onResponse(response: SipResponse, inbound: InboundInfo): void {
    let branch: string | undefined;
    let method: string;
    try {
      branch = response.via[0]?.branch;
      method = response.cseq.method;
    } catch {
      return;
    }
    const tx = branch === undefined ? undefined : this.#clients.get(clientKey(branch, method));
    if (tx !== undefined) {
      tx._receive(response);
      return;
    }
    if (method === 'INVITE' && response.status >= 200 && response.status < 300)
      this.emit('strayResponse', response, inbound);
  }

  #statelessReject(request: SipRequest, inbound: InboundInfo, why: string, cause?: unknown): void {
    let response: SipResponse | undefined;
    try {
      if (cause instanceof SipParseError) {
        // a header does not parse: answer like the parser does, echoing only the headers that parse
        response = statelessErrorResponse(serializeMessage(request), cause);
      } else {
        response = createResponse(request, 400, {
          reason: `Bad Request (${why.replace(/[\x00-\x1f\x7f]/g, ' ').slice(0, 100)})`,
          toTag: randomToken(this.random, 10),
        });
      }
    } catch (err) {
      this.emit('error', err as Error);
      return;
    }
    if (response === undefined) return; // no usable Via: nobody to answer
    this.transport.sendResponse(response, inbound).catch((err: Error) => this.emit('error', err));
  }

  #forget(tx: ServerTransaction): void {
    if (this.#servers.get(tx.key) === tx) this.#servers.delete(tx.key);
    if (tx.mergeKey !== undefined && this.#merge.get(tx.mergeKey) === tx) this.#merge.delete(tx.mergeKey);
    if (tx.branchKey !== undefined && this.#byBranch.get(tx.branchKey) === tx)
      this.#byBranch.delete(tx.branchKey);
    if (tx.ackKey !== undefined && this.#ack2543.get(tx.ackKey) === tx) this.#ack2543.delete(tx.ackKey);
    if (tx.acceptedKey !== undefined && this.#accepted.get(tx.acceptedKey) === tx)
      this.#accepted.delete(tx.acceptedKey);
  }
}
