/**
 * An INVITE session (RFC 3261 §13-§15) on either side: the dialog it created,
 * the offer/answer state (RFC 3264, through src/sdp), and everything that
 * happens inside it — provisional responses and early dialogs (forking: the
 * first 2xx wins, later ones are ACKed and BYEd), the ACK for 2xx, CANCEL,
 * re-INVITE and UPDATE (RFC 3311) with glare handling, reliable provisional
 * responses (RFC 3262), session timers (RFC 4028), INFO (RFC 6086, DTMF
 * relay), REFER and its implicit subscription (RFC 3515, RFC 4488), Replaces
 * (RFC 3891) and BYE.
 */
import { type ClockTimer, StrowgerError, TypedEmitter } from '../../core/index.js';
import {
  answerDirection,
  createAnswer,
  createOffer,
  directionOf,
  holdState,
  type LocalDescription,
  type NegotiatedSession,
  negotiatedSession,
  parseSdp,
  SdpNegotiationError,
  SdpParseError,
  type SessionDescription,
  serializeSdp,
  updateOrigin,
} from '../../sdp/index.js';
import {
  Dialog,
  expiryDelayMs,
  glareRetryDelay,
  isReliableProvisional,
  RSeqCounter,
  RSeqTracker,
  rackFor,
  refreshDelayMs,
  type SessionTimer,
  type SessionTimerConfig,
  sessionTimerHeaders,
  uacSessionTimer,
  uasSessionTimer,
} from '../dialog/index.js';
import type { HeaderInput, NameAddr, Replaces, SipRequest, SipResponse, Uri } from '../message/index.js';
import type {
  ClientInviteTransaction,
  ClientNonInviteTransaction,
  ServerInviteTransaction,
  ServerNonInviteTransaction,
  ServerTransactionEvents,
} from '../transaction/index.js';
import type { InboundInfo } from '../transport/index.js';
import type { DigestCredentials } from './digest-client.js';
import { SipResponseError } from './errors.js';
import { IncomingRequest } from './incoming-request.js';
import { IncomingRefer, OutgoingRefer, type ReferOptions, type ReferResult } from './refer.js';
import type { DialogUsage, UserAgent } from './user-agent.js';

export type InviteSessionState = 'calling' | 'incoming' | 'early' | 'established' | 'terminated';

export type EndReason =
  /** We sent BYE. */
  | 'local-bye'
  /** The peer sent BYE. */
  | 'remote-bye'
  /** The caller cancelled (UAS), or we cancelled (UAC). */
  | 'cancelled'
  /** A non-2xx final response ended the INVITE. */
  | 'rejected'
  /** We answered and no ACK came within 64·T1: we sent BYE. */
  | 'no-ack'
  /** The session timer ran out (RFC 4028): BYE sent. */
  | 'session-expired'
  /** Another INVITE replaced this dialog (RFC 3891). */
  | 'replaced'
  /**
   * The INVITE got no final response (UAC); nobody answered it within the
   * transaction layer's `inviteServerTimeout`, and the layer answered 408 (UAS).
   */
  | 'timeout'
  | 'transport-error'
  /** The user agent closed. */
  | 'closed'
  /** A 408/481 to an in-dialog request, or another failure. */
  | 'error';

export interface EndedInfo {
  reason: EndReason;
  /** The final status when a response ended it. */
  status?: number;
  response?: SipResponse;
  /** The BYE or CANCEL that ended it. */
  request?: SipRequest;
  error?: Error;
  /**
   * Only when the peer's BYE ended the session (`remote-bye`): hold the 200 to that BYE until
   * `work` settles, at most {@link BYE_ANSWER_HOLD_MAX_MS} — for "write, then acknowledge"
   * (a switch answers the BYE once the call's record is on disk). Call it from an `ended`
   * listener, synchronously; several calls wait for all.
   */
  holdAnswer?: (work: PromiseLike<unknown>) => void;
}

/**
 * The longest the 200 to a BYE waits for {@link EndedInfo.holdAnswer} work: well inside the
 * peer's Timer F (64·T1 = 32 s), whose retransmissions the transaction absorbs meanwhile.
 */
export const BYE_ANSWER_HOLD_MAX_MS = 4000;

export interface ProgressInfo {
  response: SipResponse;
  /** The SDP of the provisional (early media), if any. */
  sdp: string | undefined;
  reliable: boolean;
}

export interface ModifiedInfo {
  /** The request that carried the change (re-INVITE, UPDATE, ACK, PRACK) or the response. */
  method: string;
  /** The peer's new SDP. */
  sdp: string;
  description: SessionDescription | undefined;
  negotiated: NegotiatedSession | undefined;
}

export interface InfoEvent {
  request: SipRequest;
  body: string;
  contentType: string | undefined;
}

export interface DtmfEvent {
  digit: string;
  duration: number | undefined;
}

export type InviteSessionEvents = {
  /** 180 (or 181/182) from the callee. */
  ringing: [response: SipResponse];
  /** Any provisional above 100 (183 with early media …). */
  progress: [info: ProgressInfo];
  /** UAC: the 2xx arrived. UAS: we sent the 2xx. */
  answered: [response: SipResponse];
  /** UAS: the ACK for our 2xx arrived. UAC: we sent the ACK. */
  confirmed: [ack: SipRequest];
  /** The peer changed the session (re-INVITE, UPDATE, or an answer to our re-offer). */
  modified: [info: ModifiedInfo];
  /** The peer put us on hold (every active stream sendonly/inactive/0.0.0.0). */
  hold: [];
  unhold: [];
  /** The peer asks us to call someone (REFER): accept() or reject(). */
  refer: [refer: IncomingRefer];
  info: [info: InfoEvent];
  /** INFO with application/dtmf-relay. */
  dtmf: [dtmf: DtmfEvent];
  notify: [request: SipRequest];
  /** UAS: the caller cancelled (the 487 was already sent). */
  cancelled: [cancel: SipRequest];
  ended: [info: EndedInfo];
  close: [];
};

/** SDP given by the application: raw text, or capabilities to negotiate with. */
export type SdpInput = string | LocalDescription;

/** Produces the answer (or, for an offerless request, the offer) to a peer's SDP. */
export type OfferHandler = (
  offer: string,
  context: { session: InviteSession; method: string },
) => SdpInput | undefined | Promise<SdpInput | undefined>;

export interface InviteOptions {
  /** The SDP offer as text. */
  sdp?: string;
  /** The offer built from these capabilities (createOffer). */
  offer?: LocalDescription;
  /** Capabilities for answers made later (re-INVITEs, delayed offer); default `offer`, then the UA's `media`. */
  media?: LocalDescription;
  /** Aborting cancels the call while it is not answered (CANCEL; the promise rejects with ERR_ABORTED). */
  signal?: AbortSignal;
  /** Extra headers on the INVITE. */
  headers?: ReadonlyArray<readonly [string, HeaderInput]>;
  from?: string | NameAddr;
  to?: string | NameAddr;
  callId?: string;
  /** Credentials for this call's challenges (`false`: none); default the UA's. */
  auth?: DigestCredentials | false;
  /** Replace a dialog at the callee (RFC 3891): the Replaces value or its parts. */
  replaces?: string | (Pick<Replaces, 'callId' | 'toTag' | 'fromTag'> & { earlyOnly?: boolean });
  /** Referred-By to send (after a REFER). */
  referredBy?: string;
  /** `false` turns session timers off for this call. */
  sessionTimers?: false;
  /** Answers the peer's offers (re-INVITE, UPDATE, the 2xx of a delayed-offer INVITE). */
  onOffer?: OfferHandler;
  /** Cancel when unanswered after this long (ERR_TIMEOUT); default the UA's `inviteTimeoutMs`. */
  timeoutMs?: number;
}

export interface SessionAnswerOptions {
  headers?: ReadonlyArray<readonly [string, HeaderInput]>;
  /** Capabilities for answers made later in this session. */
  media?: LocalDescription;
}

export interface ProvisionalOptions {
  headers?: ReadonlyArray<readonly [string, HeaderInput]>;
  /** Send reliably (RFC 3262). Default: when the caller requires 100rel, or supports it and there is SDP. */
  reliable?: boolean;
  reason?: string;
}

export interface RejectOptions {
  reason?: string;
  headers?: ReadonlyArray<readonly [string, HeaderInput]>;
  body?: string;
  contentType?: string;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
  settled: boolean;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const d: Deferred<T> = {
    promise,
    settled: false,
    resolve: (v) => {
      if (d.settled) return;
      d.settled = true;
      resolve(v);
    },
    reject: (e) => {
      if (d.settled) return;
      d.settled = true;
      reject(e);
    },
  };
  return d;
}

const SDP = 'application/sdp';
/** Offers are read leniently: a malformed typed attribute stays an 'other' attribute. */
const LENIENT = { lenientAttributes: true } as const;

/**
 * RFC 4028 §9 for a request we serve: the timer to run (`timer` undefined: none), or
 * undefined once `reject422` has answered a Session-Expires below our Min-SE.
 */
function decideUasTimer(
  req: SipRequest,
  config: SessionTimerConfig | undefined,
  reject422: (minSE: number) => void,
): { timer: SessionTimer | undefined; require: boolean } | undefined {
  if (!config) return { timer: undefined, require: false };
  const d = uasSessionTimer(req, config);
  if (d.kind === 'reject') {
    reject422(d.minSE);
    return undefined;
  }
  return d.kind === 'accept' ? { timer: d.timer, require: d.require } : { timer: undefined, require: false };
}

export class InviteSession extends TypedEmitter<InviteSessionEvents> implements DialogUsage {
  readonly role: 'uac' | 'uas';
  /** The initial INVITE (as sent, or as received). */
  request: SipRequest;
  /** The dialog once one exists (early or confirmed). */
  dialog: Dialog | undefined;
  /** The SDP this side last sent / the peer last sent, as text and parsed. */
  localSdp: string | undefined;
  remoteSdp: string | undefined;
  remoteDescription: SessionDescription | undefined;
  // our own SDP text is parsed when its description is first read (a B2BUA that passes SDP
  // through never reads it)
  #localDescription: SessionDescription | undefined;
  #localParsed = true;
  #negotiated: NegotiatedSession | undefined;
  /**
   * The exchange `negotiated` has not been computed for yet (it is computed when read): our
   * SDP text then, the peer's description, our role.
   */
  #toNegotiate: [string, SessionDescription, 'offerer' | 'answerer'] | undefined;

  /** The SDP this side last sent, parsed (undefined when it does not parse). */
  get localDescription(): SessionDescription | undefined {
    if (!this.#localParsed) {
      this.#localParsed = true;
      this.#localDescription = this.localSdp === undefined ? undefined : tryParse(this.localSdp);
    }
    return this.#localDescription;
  }

  set localDescription(d: SessionDescription | undefined) {
    this.#localDescription = d;
    this.#localParsed = true;
  }

  /** The last completed offer/answer exchange, seen from this side. */
  get negotiated(): NegotiatedSession | undefined {
    const n = this.#toNegotiate;
    if (n !== undefined) {
      this.#toNegotiate = undefined;
      const local = n[0] === this.localSdp ? this.localDescription : tryParse(n[0]);
      try {
        if (local)
          this.#negotiated =
            n[2] === 'offerer'
              ? negotiatedSession(local, n[1], 'offerer')
              : negotiatedSession(n[1], local, 'answerer');
      } catch {
        // a broken answer: keep the previous negotiation
      }
    }
    return this.#negotiated;
  }
  /** The dialog this INVITE replaces (UAS, RFC 3891), ended with BYE once this one is answered. */
  readonly replaces: InviteSession | undefined;
  /** The authenticated caller, when the UA checked this INVITE. */
  user: string | undefined;
  readonly #ua: UserAgent;
  #state: InviteSessionState;
  #established = deferred<InviteSession>();
  #media: LocalDescription | undefined;
  #offerHandler: OfferHandler | undefined;
  #timerConfig: SessionTimerConfig | undefined;
  #credentials: DigestCredentials | false | undefined;
  #remoteHold = false;
  #localHold = false;
  /** The offer we sent and whose answer we wait for. */
  #pendingOffer: string | undefined;
  #endedInfo: EndedInfo | undefined;
  #closed = false;
  // UAC
  #uacKey: string | undefined;
  #inviteTx: ClientInviteTransaction | undefined;
  #early = new Map<string, { dialog: Dialog; tracker: RSeqTracker }>();
  #acks = new Map<number, SipRequest>();
  /** The ACK of each 2xx we ACKed and BYEd (other forks, late answers), by To tag. */
  #forkAcks = new Map<string, { dialog: Dialog; ack: SipRequest }>();
  #winnerTag: string | undefined;
  #cancelRequested = false;
  #authRetried = false;
  #timerRetried = false;
  #abortCleanup: (() => void) | undefined;
  /** Takes the session's listeners off its initial INVITE transaction (at the end). */
  #unhook: (() => void) | undefined;
  #noAnswer: ClockTimer | undefined;
  #timedOut = false;
  // UAS
  #serverTx: ServerInviteTransaction | undefined;
  #rseq: RSeqCounter | undefined;
  #reliable:
    | { response: SipResponse; timer: ClockTimer | undefined; interval: number; elapsed: number }
    | undefined;
  #prackWaiters: Array<() => void> = [];
  #answeredReliably = false;
  #acked = false;
  #byeAfterAck: { reason: EndReason; resolve: () => void; promise: Promise<void> } | undefined;
  #uasTimer: SessionTimer | undefined;
  // in-dialog offer transactions
  #outgoingOffer: 'INVITE' | 'UPDATE' | undefined;
  #incomingReinvite: ServerInviteTransaction | undefined;
  #glareTimer: ClockTimer | undefined;
  #reinviteAcked = true;
  // session timer
  #sessionTimer: SessionTimer | undefined;
  #stTimer: ClockTimer | undefined;
  // REFER
  #refers = new Map<string, OutgoingRefer>();
  #incomingRefers = new Set<IncomingRefer>();

  /** @internal */
  private constructor(ua: UserAgent, role: 'uac' | 'uas', request: SipRequest, replaces?: InviteSession) {
    super();
    this.#ua = ua;
    this.role = role;
    this.request = request;
    this.#state = role === 'uac' ? 'calling' : 'incoming';
    this.replaces = replaces;
    this.#established.promise.catch(() => undefined);
  }

  get state(): InviteSessionState {
    return this.#state;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get ua(): UserAgent {
    return this.#ua;
  }

  get callId(): string {
    return this.request.callId;
  }

  /** Settles when the INVITE gets its outcome: the session on a 2xx, SipResponseError otherwise. */
  get established(): Promise<InviteSession> {
    return this.#established.promise;
  }

  /** Why the session ended, once it has. */
  get endedInfo(): EndedInfo | undefined {
    return this.#endedInfo;
  }

  /** The peer has put us on hold. */
  get remoteHold(): boolean {
    return this.#remoteHold;
  }

  /** We have put the peer on hold. */
  get localHold(): boolean {
    return this.#localHold;
  }

  /** The running session timer (RFC 4028), if any. */
  get sessionTimer(): SessionTimer | undefined {
    return this.#sessionTimer;
  }

  /** UAS: the caller cancelled. */
  get cancelled(): boolean {
    return this.#serverTx?.cancelled ?? false;
  }

  /** The peer's SDP offer in the INVITE (UAS), if it had one. */
  get offer(): string | undefined {
    return this.role === 'uas' && this.request.body.length > 0 ? this.request.bodyText : undefined;
  }

  /** Sets who answers the peer's offers (re-INVITE, UPDATE, delayed offer); a B2BUA forwards them. */
  setOfferHandler(handler: OfferHandler | undefined): void {
    this.#offerHandler = handler;
  }

  /** Capabilities used for automatic offers and answers. */
  setMedia(media: LocalDescription | undefined): void {
    this.#media = media;
  }

  // ======================================================================================
  // UAC: the initial INVITE
  // ======================================================================================

  /** @internal */
  static _outgoing(ua: UserAgent, target: Uri, options: InviteOptions): InviteSession {
    const headers: Array<readonly [string, HeaderInput]> = [...(options.headers ?? [])];
    const timers = options.sessionTimers === false ? undefined : ua.sessionTimers;
    if (timers && !headers.some(([k]) => k.toLowerCase() === 'session-expires')) {
      headers.push(['Session-Expires', String(timers.expires)]);
      headers.push(['Min-SE', String(timers.minSE)]);
    }
    if (options.replaces !== undefined) {
      const r = options.replaces;
      headers.push([
        'Replaces',
        typeof r === 'string'
          ? r
          : `${r.callId};to-tag=${r.toTag};from-tag=${r.fromTag}${r.earlyOnly ? ';early-only' : ''}`,
      ]);
      if (!headers.some(([k]) => k.toLowerCase() === 'require')) headers.push(['Require', 'replaces']);
    }
    if (options.referredBy !== undefined) headers.push(['Referred-By', options.referredBy]);
    const request = ua._createRequest('INVITE', target, {
      ...(options.from === undefined ? {} : { from: options.from }),
      ...(options.to === undefined ? {} : { to: options.to }),
      ...(options.callId === undefined ? {} : { callId: options.callId }),
      headers,
    });
    const session = new InviteSession(ua, 'uac', request);
    session.#media = options.media ?? options.offer ?? ua.media;
    session.#offerHandler = options.onOffer;
    session.#timerConfig = timers;
    session.#credentials = options.auth;
    if (options.sdp !== undefined || options.offer !== undefined) {
      const sdp = options.sdp ?? session.#offerFrom(options.offer);
      request.setBody(sdp, SDP);
      session.#setLocal(sdp);
      session.#pendingOffer = sdp;
    }
    session.#media = options.media ?? options.offer ?? ua.media;
    session.#uacKey = `${request.callId}\u0000${request.fromTag ?? ''}`;
    ua._trackSession(session, session.#uacKey);
    ua.emit('session', session);
    const signal = options.signal;
    if (signal) {
      if (signal.aborted) {
        session.#cancelRequested = true;
      } else {
        const onAbort = () => session.cancel();
        signal.addEventListener('abort', onAbort, { once: true });
        session.#abortCleanup = () => signal.removeEventListener('abort', onAbort);
      }
    }
    const timeout = options.timeoutMs ?? ua.inviteTimeoutMs;
    if (Number.isFinite(timeout) && timeout > 0) {
      session.#noAnswer = ua.clock.setTimeout(() => {
        session.#noAnswer = undefined;
        session.#timedOut = true;
        session.cancel();
      }, timeout);
    }
    if (session.#cancelRequested) {
      queueMicrotask(() => {
        const err = new SipResponseError(undefined, {
          code: 'ERR_ABORTED',
          message: 'aborted before sending',
        });
        session.#end({ reason: 'cancelled' }, err);
      });
      return session;
    }
    session.#sendInvite(request);
    return session;
  }

  /**
   * Cancels the call while it is not answered (RFC 3261 §9.1): CANCEL after
   * a provisional response; `established` rejects with ERR_ABORTED (with the
   * 487). A 2xx that crosses the CANCEL is ACKed and BYEd.
   */
  cancel(): void {
    if (this.role !== 'uac' || this.#state === 'established' || this.#state === 'terminated') return;
    this.#cancelRequested = true;
    this.#inviteTx?.cancel().catch(() => undefined);
  }

  #sendInvite(request: SipRequest): void {
    const ua = this.#ua;
    const target = ua._outOfDialogTarget(request.uri);
    let tx: ClientInviteTransaction;
    try {
      tx = ua.transactions.sendRequest(request, target) as ClientInviteTransaction;
    } catch (err) {
      queueMicrotask(() => this.#end({ reason: 'error', error: err as Error }, err));
      return;
    }
    this.#inviteTx = tx;
    this.request = request;
    const onProvisional = (r: SipResponse) => this.#onProvisional(tx, r);
    const onFinal = (r: SipResponse) => this.#onFinal(tx, r);
    tx.on('provisional', onProvisional);
    tx.on('final', onFinal);
    // an earlier INVITE of this session (challenged, or 422) lingers too: Timer D
    const earlier = this.#unhook;
    this.#unhook = () => {
      earlier?.();
      tx.off('provisional', onProvisional);
      tx.off('final', onFinal);
      // Timer M (32 s over UDP): a 2xx passed up still gets its ACK, without the session
      if (!tx.terminated) {
        const late = { ...this.#late(), invite: request };
        tx.on('final', (r) => {
          if (r.status >= 200 && r.status < 300 && r.toTag !== undefined) answerLate2xx(late, r);
        });
      }
    };
    tx.finalResponse.catch((err: StrowgerError) => {
      if (this.#inviteTx !== tx || this.#state === 'established' || this.#state === 'terminated') return;
      const reason: EndReason =
        err.code === 'ERR_TX_TIMEOUT'
          ? 'timeout'
          : err.code === 'ERR_TRANSPORT'
            ? 'transport-error'
            : 'closed';
      const e = this.#timedOut
        ? new StrowgerError('ERR_TIMEOUT', 'no answer within the INVITE timeout', { cause: err })
        : this.#cancelRequested
          ? new SipResponseError(undefined, { code: 'ERR_ABORTED', message: 'cancelled', cause: err })
          : err;
      this.#end({ reason: this.#cancelRequested ? 'cancelled' : reason, error: err }, e);
    });
    if (this.#cancelRequested) tx.cancel().catch(() => undefined);
  }

  #earlyDialog(response: SipResponse): { dialog: Dialog; tracker: RSeqTracker } | undefined {
    const tag = response.toTag;
    if (tag === undefined) return undefined;
    let e = this.#early.get(tag);
    if (!e) {
      const dialog = Dialog.fromResponse(this.request, response);
      e = { dialog, tracker: new RSeqTracker() };
      this.#early.set(tag, e);
      this.#ua._registerDialog(dialog, this);
    } else if (response.contacts[0]) {
      e.dialog.refreshTarget(response);
    }
    return e;
  }

  #onProvisional(tx: ClientInviteTransaction, response: SipResponse): void {
    if (tx !== this.#inviteTx || this.#state === 'terminated' || this.#state === 'established') return;
    if (response.status === 100) return;
    let early: { dialog: Dialog; tracker: RSeqTracker } | undefined;
    try {
      early = this.#earlyDialog(response);
    } catch (err) {
      this.#ua._report(err);
    }
    const reliable = early !== undefined && isReliableProvisional(response);
    let prackBody: Promise<string | undefined> = Promise.resolve(undefined);
    if (reliable && early) {
      const kind = early.tracker.receive(response.rseq as number);
      if (kind !== 'new') return; // a retransmission (our PRACK is on its way) or out of order (§4)
    }
    this.#state = 'early';
    if (!this.dialog && early) this.dialog = early.dialog;
    const sdp =
      response.body.length > 0 && response.contentType?.essence === SDP ? response.bodyText : undefined;
    if (sdp !== undefined) {
      if (this.#pendingOffer !== undefined) {
        // an answer: final when reliable, a preview otherwise (RFC 3261 §13.2.1)
        this.#applyAnswer(this.#pendingOffer, sdp, 'INVITE');
        if (reliable) this.#pendingOffer = undefined;
      } else if (reliable && this.localSdp === undefined) {
        // delayed offer answered in a reliable provisional: our answer goes in the PRACK
        prackBody = this.#answerOffer(sdp, 'PRACK').then((answer) => {
          this.#applyOffer(sdp, answer, 'PRACK');
          return answer;
        });
      }
    }
    if (reliable && early) {
      const dialog = early.dialog;
      prackBody.then(
        (body) => this.#sendPrack(dialog, response, body),
        (err) => {
          // an offer in a reliable provisional we cannot answer: give the call up (RFC 3262 §5)
          this.#ua._report(err);
          this.cancel();
        },
      );
    }
    if (response.status >= 180 && response.status <= 182) this.emit('ringing', response);
    this.emit('progress', { response, sdp, reliable });
  }

  #sendPrack(dialog: Dialog, response: SipResponse, body: string | undefined): void {
    if (dialog.state === 'terminated') return;
    const req = dialog.createRequest('PRACK', {
      headers: this.#requestHeaders('PRACK', [['RAck', rackFor(response)]]),
      ...(body === undefined ? {} : { body, contentType: SDP }),
    });
    this.#ua
      ._sendAuthenticated(req, this.#ua._dialogTarget(dialog), this.#credentials, (r) => {
        dialog.localSeq = r.cseq.seq;
      })
      .catch(() => undefined);
  }

  #onFinal(tx: ClientInviteTransaction, response: SipResponse): void {
    if (tx !== this.#inviteTx) return;
    const status = response.status;
    if (status >= 200 && status < 300) {
      this.#on2xx(response);
      return;
    }
    if (this.#state === 'terminated' || this.#state === 'established') return;
    const ua = this.#ua;
    // 401/407: once, with the credentials (a new transaction, CSeq + 1)
    const creds = this.#credentials === false ? undefined : (this.#credentials ?? ua.credentials);
    if ((status === 401 || status === 407) && creds && !this.#authRetried && !this.#cancelRequested) {
      this.#authRetried = true;
      const retry = ua._answerChallenge(this.request, response, creds);
      if (retry) {
        this.#dropEarly();
        this.#sendInvite(retry);
        return;
      }
    }
    // 422: the interval was too small; once, with the peer's Min-SE (RFC 4028 §7.4)
    if (status === 422 && !this.#timerRetried && !this.#cancelRequested) {
      const minSE = response.minSE;
      if (minSE !== undefined) {
        this.#timerRetried = true;
        const retry = this.#cloneForRetry();
        retry.setHeader('Session-Expires', String(minSE));
        retry.setHeader('Min-SE', String(minSE));
        this.#dropEarly();
        this.#sendInvite(retry);
        return;
      }
    }
    const aborted = this.#cancelRequested && status === 487;
    const err =
      aborted && this.#timedOut
        ? new StrowgerError('ERR_TIMEOUT', `no answer within the INVITE timeout (${status})`, {
            cause: new SipResponseError(response),
          })
        : new SipResponseError(response, aborted ? { code: 'ERR_ABORTED' } : {});
    this.#end({ reason: aborted ? 'cancelled' : 'rejected', status, response }, err);
  }

  #cloneForRetry(): SipRequest {
    const r = this.request;
    const copy = new (
      Object.getPrototypeOf(r).constructor as new (
        m: string,
        u: Uri,
        f: unknown[],
        b: Uint8Array,
      ) => SipRequest
    )(
      r.method,
      r.uri.clone(),
      r._fields.map((f) => ({ ...f })),
      r.body,
    );
    copy.removeHeader('Via');
    copy.setHeader('CSeq', `${r.cseq.seq + 1} ${r.method}`);
    return copy;
  }

  #dropEarly(): void {
    for (const e of this.#early.values()) {
      e.dialog.terminate();
      this.#ua._unregisterDialog(e.dialog, this);
    }
    this.#early.clear();
    this.dialog = undefined;
  }

  /** A 2xx to the initial INVITE: the first one wins; its retransmissions are re-ACKed; other forks are ACKed and BYEd. */
  #on2xx(response: SipResponse): void {
    const tag = response.toTag;
    if (tag === undefined) return;
    const seq = response.cseq.seq;
    if (this.#winnerTag !== undefined || this.#state === 'terminated') {
      answerLate2xx(this.#late(), response);
      return;
    }
    this.#winnerTag = tag;
    const early = this.#early.get(tag);
    const dialog = early?.dialog ?? Dialog.fromResponse(this.request, response);
    dialog.updateFromResponse(response);
    dialog.confirm();
    for (const [t, e] of this.#early) {
      if (t === tag) continue;
      e.dialog.terminate();
      this.#ua._unregisterDialog(e.dialog, this);
    }
    this.#early.clear();
    this.dialog = dialog;
    this.#ua._registerDialog(dialog, this);
    this.#state = 'established';
    this.#abortCleanup?.();
    this.#noAnswer?.cancel();
    const sdp =
      response.body.length > 0 && response.contentType?.essence === SDP ? response.bodyText : undefined;
    let unanswerable: Error | undefined;
    let ackBody: Promise<string | undefined> = Promise.resolve(undefined);
    if (sdp !== undefined) {
      if (this.#pendingOffer !== undefined) {
        this.#applyAnswer(this.#pendingOffer, sdp, 'INVITE');
        this.#pendingOffer = undefined;
      } else if (this.localSdp === undefined) {
        // delayed offer: the offer is in the 2xx, the answer goes in the ACK
        ackBody = this.#answerOffer(sdp, 'ACK').then(
          (answer) => {
            this.#applyOffer(sdp, answer, 'ACK');
            return answer;
          },
          (err) => {
            unanswerable = err as Error;
            return undefined;
          },
        );
      }
    }
    ackBody.then((body) => {
      const ack = dialog.createAck(seq, {
        headers: this.#requestHeaders('ACK'),
        ...(body === undefined ? {} : { body, contentType: SDP }),
      });
      this.#acks.set(seq, ack);
      this.#sendAck(dialog, ack);
      if (unanswerable) {
        // RFC 3261 §13.2.2.4: an offer in the 2xx we cannot answer: ACK, then BYE at once
        this.#sendBye();
        this.#end({ reason: 'error', status: response.status, response, error: unanswerable }, unanswerable);
        return;
      }
      if (this.#cancelRequested) {
        // the 2xx crossed our CANCEL: the call is up; hang up at once
        this.#sendBye();
        this.#end(
          { reason: 'cancelled', status: response.status, response },
          new SipResponseError(response, { code: 'ERR_ABORTED', message: 'answered after cancel; hung up' }),
        );
        return;
      }
      const timer = this.#timerConfig ? uacSessionTimer(response) : undefined;
      if (timer) this.#startSessionTimer(timer, true);
      this.emit('answered', response);
      this.emit('confirmed', ack);
      this.#established.resolve(this);
      if (
        body === undefined &&
        sdp === undefined &&
        this.localSdp !== undefined &&
        this.remoteSdp === undefined
      ) {
        // no answer at all to our offer: a broken peer; keep the call, the media layer decides
      }
    });
  }

  #sendAck(dialog: Dialog, ack: SipRequest): void {
    sendAck(this.#ua, dialog, ack);
  }

  /** @internal A 2xx after the INVITE transaction ended (RFC 6026): re-ACK ours, ACK + BYE others. */
  _onStray2xx(response: SipResponse): void {
    answerLate2xx(this.#late(), response);
  }

  /** What answering a late 2xx needs: the session's, at this moment. */
  #late(): LateAnswers {
    return {
      ua: this.#ua,
      invite: this.request,
      winnerTag: this.#winnerTag,
      dialog: this.dialog,
      acks: this.#acks,
      forks: this.#forkAcks,
      credentials: this.#credentials,
    };
  }

  // ======================================================================================
  // UAS: the initial INVITE
  // ======================================================================================

  /** @internal Sets up an incoming INVITE; returns undefined when it was rejected here. */
  static _incoming(ua: UserAgent, tx: ServerInviteTransaction): InviteSession | undefined {
    const req = tx.request;
    // RFC 3891: Replaces
    let replaced: InviteSession | undefined;
    const rep = req.replaces;
    if (rep !== undefined) {
      replaced = ua._findReplaced(rep.callId, rep.toTag, rep.fromTag);
      const d = replaced?.dialog;
      if (!replaced || !d || replaced.state === 'terminated') {
        tx.respond(481, { headers: ua._responseHeaders() });
        return undefined;
      }
      if (rep.earlyOnly && d.state === 'confirmed') {
        tx.respond(486, { headers: ua._responseHeaders() });
        return undefined;
      }
      if (d.state === 'early' && replaced.role === 'uas') {
        tx.respond(481, { headers: ua._responseHeaders() });
        return undefined;
      }
    }
    // RFC 4028 §9: Session-Expires too small → 422 with our Min-SE
    const decided = decideUasTimer(req, ua.sessionTimers, (minSE) =>
      tx.respond(422, { headers: [['Min-SE', String(minSE)], ...ua._responseHeaders()] }),
    );
    if (!decided) return undefined;
    const { timer, require: requireTimer } = decided;
    // an SDP offer that does not parse
    let offered: SessionDescription | undefined;
    if (req.body.length > 0 && req.contentType?.essence === SDP) {
      try {
        offered = parseSdp(req.body, LENIENT);
      } catch (err) {
        const reason = err instanceof SdpParseError ? `Bad SDP (line ${err.line})` : 'Bad SDP';
        tx.respond(400, { reason, headers: ua._responseHeaders() });
        return undefined;
      }
    }
    const session = new InviteSession(ua, 'uas', req, replaced);
    session.#serverTx = tx;
    session.#media = ua.media;
    session.#timerConfig = ua.sessionTimers;
    session.#uasTimer = timer;
    session.#requireTimer = requireTimer;
    if (req.body.length > 0) {
      session.remoteSdp = req.bodyText;
      session.remoteDescription = offered ?? tryParse(session.remoteSdp);
    }
    ua._trackSession(session);
    const hooks: Array<[string, (...args: never[]) => void]> = [];
    const hook = <K extends 'cancelled' | 'timeout' | 'transportError' | 'expired'>(
      event: K,
      fn: (...args: ServerTransactionEvents[K]) => void,
    ) => {
      tx.on(event, fn);
      hooks.push([event, fn as (...args: never[]) => void]);
    };
    // Timer L (32 s over UDP) keeps the transaction after the session: it must not keep the session
    session.#unhook = () => {
      for (const [event, fn] of hooks) tx.off(event as 'timeout', fn as () => void);
    };
    hook('cancelled', (cancel) => {
      session.#stopReliable();
      session.emit('cancelled', cancel);
      session.#end(
        { reason: 'cancelled', request: cancel },
        new SipResponseError(undefined, { code: 'ERR_ABORTED' }),
      );
    });
    hook('timeout', () => {
      // Timer L: our 2xx was never acknowledged (RFC 3261 §13.3.1.4)
      if (session.#state === 'established' && !session.#acked) {
        const pending = session.#byeAfterAck;
        session.#byeAfterAck = undefined;
        session.#sendBye().then(pending?.resolve);
        session.#end({ reason: pending?.reason ?? 'no-ack' }, undefined);
      }
    });
    hook('transportError', (err) => {
      if (session.#state !== 'established') session.#end({ reason: 'transport-error', error: err }, err);
    });
    hook('expired', () => {
      // nobody answered within the layer's inviteServerTimeout: the transaction answers 408
      session.#end(
        { reason: 'timeout', status: 408 },
        new StrowgerError('ERR_TIMEOUT', 'the INVITE was not answered within inviteServerTimeout'),
      );
    });
    return session;
  }

  #requireTimer = false;

  /**
   * The INVITE transaction still waiting for our answer. `undefined` when the
   * transaction layer stopped waiting (the INVITE expired, 408 sent, session
   * ended with `timeout`): the late answer is ignored — passed to the
   * transaction, which drops it and reports it (layer event `lateResponse`).
   */
  #assertIncoming(what: string, status: number): ServerInviteTransaction | undefined {
    const tx = this.#serverTx;
    if (this.role === 'uas' && tx?.expired) {
      tx.respond(status);
      return undefined;
    }
    if (
      this.role !== 'uas' ||
      !tx ||
      (this.#state !== 'incoming' && this.#state !== 'early') ||
      tx.finalStatus !== undefined
    )
      throw new StrowgerError('ERR_INVALID_STATE', `${what}: the INVITE is not waiting for an answer`);
    return tx;
  }

  #ensureUasDialog(tx: ServerInviteTransaction): Dialog {
    if (this.dialog) return this.dialog;
    const dialog = Dialog.fromRequest(
      this.request,
      tx.localTag,
      this.#ua.contactUri(tx.inbound.transport.protocol),
    );
    this.#ua._setFlow(dialog, tx.inbound);
    this.dialog = dialog;
    this.#ua._registerDialog(dialog, this);
    return dialog;
  }

  #uasHeaders(
    tx: ServerInviteTransaction,
    extra: ReadonlyArray<readonly [string, HeaderInput]> = [],
  ): Array<readonly [string, HeaderInput]> {
    const ua = this.#ua;
    const h: Array<readonly [string, HeaderInput]> = [
      ['Contact', `<${ua.contactUri(tx.inbound.transport.protocol).toString()}>`],
      ...extra,
    ];
    ua._decorate(h as Array<readonly [string, HeaderInput]>, 'INVITE', true);
    return [...h, ...ua._responseHeaders()];
  }

  /** Sends 180 Ringing. */
  ring(options: ProvisionalOptions = {}): void {
    this.#provisional(180, undefined, options);
  }

  /**
   * Sends a provisional response (183 by default) with optional early media:
   * the answer to the caller's offer (or our offer, when the INVITE had none
   * and the response is reliable). Reliable (RFC 3262) when the caller
   * requires 100rel, or supports it and there is SDP.
   */
  progress(sdp?: SdpInput, options: ProvisionalOptions & { status?: number } = {}): void {
    this.#provisional(options.status ?? 183, sdp, options);
  }

  #provisional(status: number, sdp: SdpInput | undefined, options: ProvisionalOptions): void {
    const tx = this.#assertIncoming('provisional', status);
    if (!tx) return;
    if (status <= 100 || status >= 200)
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'status must be 101-199');
    const req = this.request;
    const ua = this.#ua;
    const peerRequires = req.require.includes('100rel');
    const peerSupports = peerRequires || req.supported.includes('100rel');
    const weSupport = ua.supported.includes('100rel');
    const reliable =
      weSupport &&
      peerSupports &&
      (options.reliable ?? (peerRequires || sdp !== undefined)) &&
      !this.#answeredReliably;
    if (reliable && this.#reliable) {
      // one unacknowledged reliable provisional at a time: send this one when the PRACK came
      this.#prackWaiters.push(() => {
        if (tx.finalStatus === undefined && !tx.terminated) this.#provisional(status, sdp, options);
      });
      return;
    }
    let body: string | undefined;
    if (sdp !== undefined) {
      const offer = this.offer;
      if (offer !== undefined) {
        body = this.#answerFrom(offer, sdp);
        this.#applyOffer(offer, body, 'INVITE', false);
        if (reliable) this.#answeredReliably = true;
      } else if (reliable) {
        body = this.#offerFrom(sdp);
        this.#setLocal(body);
        this.#pendingOffer = body;
      }
    }
    this.#ensureUasDialog(tx);
    const headers: Array<readonly [string, HeaderInput]> = [...(options.headers ?? [])];
    if (reliable) {
      if (!this.#rseq) this.#rseq = new RSeqCounter(ua.random);
      headers.push(['Require', '100rel'], ['RSeq', String(this.#rseq.allocate(req.cseq.seq))]);
    }
    tx.respond(status, {
      headers: this.#uasHeaders(tx, headers),
      ...(options.reason === undefined ? {} : { reason: options.reason }),
      ...(body === undefined ? {} : { body, contentType: SDP }),
    });
    this.#state = 'early';
    if (reliable) this.#startReliable(tx);
  }

  #startReliable(tx: ServerInviteTransaction): void {
    const response = tx.lastResponse as SipResponse;
    const t1 = ua_t1(this.#ua);
    const r = { response, timer: undefined as ClockTimer | undefined, interval: t1, elapsed: 0 };
    this.#reliable = r;
    const tick = () => {
      if (this.#reliable !== r || tx.finalStatus !== undefined || tx.terminated) return;
      r.elapsed += r.interval;
      if (r.elapsed >= 64 * t1) {
        // RFC 3262 §3: no PRACK within 64·T1 — reject the INVITE
        this.#reliable = undefined;
        this.#rseq?.clear();
        tx.respond(500, { reason: 'No PRACK', headers: this.#ua._responseHeaders() });
        this.#end({ reason: 'error', status: 500 }, new StrowgerError('ERR_TIMEOUT', 'no PRACK'));
        return;
      }
      tx.respond(response);
      r.interval *= 2;
      r.timer = this.#ua.clock.setTimeout(tick, Math.min(r.interval, 64 * t1 - r.elapsed));
    };
    r.timer = this.#ua.clock.setTimeout(tick, t1);
  }

  #stopReliable(): void {
    this.#reliable?.timer?.cancel();
    this.#reliable = undefined;
    this.#rseq?.clear();
    this.#prackWaiters = [];
  }

  /**
   * Answers the call with 200: `sdp` is the answer to the caller's offer
   * (text, or capabilities to build it from; default the UA's media), or our
   * offer when the INVITE had none (the answer then comes in the ACK). The
   * 2xx is retransmitted until the ACK; without one by 64·T1 the session
   * sends BYE and ends with reason `no-ack`.
   */
  answer(sdp?: SdpInput, options: SessionAnswerOptions = {}): void {
    const tx = this.#assertIncoming('answer', 200);
    if (!tx) return;
    if (options.media) this.#media = options.media;
    if (this.#reliable) {
      // RFC 3262 §3: no 2xx before the PRACK of a reliable provisional (it may carry an answer)
      this.#prackWaiters.push(() => this.answer(sdp, options));
      return;
    }
    let body: string | undefined;
    const offer = this.offer;
    if (offer !== undefined) {
      if (this.#answeredReliably) body = undefined;
      else {
        body =
          this.localSdp !== undefined && this.#state === 'early' && sdp === undefined
            ? this.localSdp
            : this.#answerFrom(offer, sdp);
        this.#applyOffer(offer, body, 'INVITE', false);
      }
    } else if (this.#pendingOffer === undefined && this.negotiated === undefined) {
      body = this.#offerFrom(sdp);
      this.#setLocal(body);
      this.#pendingOffer = body;
    }
    const dialog = this.#ensureUasDialog(tx);
    const headers: Array<readonly [string, HeaderInput]> = [...(options.headers ?? [])];
    const timer = this.#uasTimer;
    if (timer) headers.push(...sessionTimerHeaders(timer, this.#requireTimer));
    const response = tx.respond(200, {
      headers: this.#uasHeaders(tx, headers),
      ...(body === undefined ? {} : { body, contentType: SDP }),
    }) as SipResponse;
    dialog.confirm();
    this.#state = 'established';
    if (timer) this.#startSessionTimer(timer, false);
    this.emit('answered', response);
    this.#established.resolve(this);
    const replaced = this.replaces;
    if (replaced && replaced.state !== 'terminated') replaced._replacedBy();
  }

  /** Rejects the call (486 Busy Here by default). */
  reject(status = 486, options: RejectOptions = {}): void {
    if (status < 300 || status > 699)
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'status must be 300-699');
    const tx = this.#assertIncoming('reject', status);
    if (!tx) return;
    this.#stopReliable();
    const response = tx.respond(status, {
      headers: [...(options.headers ?? []), ...this.#ua._responseHeaders()],
      ...(options.reason === undefined ? {} : { reason: options.reason }),
      ...(options.body === undefined
        ? {}
        : { body: options.body, contentType: options.contentType ?? 'text/plain' }),
    });
    this.#end({ reason: 'rejected', status, response }, new SipResponseError(response));
  }

  /** Redirects the caller (302 with the given Contacts). */
  redirect(contacts: ReadonlyArray<string | Uri>, status = 302): void {
    if (status < 300 || status > 399) throw new StrowgerError('ERR_INVALID_ARGUMENT', 'status must be 3xx');
    this.reject(status, {
      headers: contacts.map(
        (c) => ['Contact', typeof c === 'string' && c.includes('<') ? c : `<${c.toString()}>`] as const,
      ),
    });
  }

  /** @internal The ACK for one of our 2xx (initial INVITE or re-INVITE). */
  _onAck(ack: SipRequest, _inbound: InboundInfo): void {
    const seq = ack.cseq.seq;
    const sdp = ack.body.length > 0 ? ack.bodyText : undefined;
    if (this.#serverTx && seq === this.request.cseq.seq) {
      if (this.#acked) return;
      this.#acked = true;
      if (sdp !== undefined && this.#pendingOffer !== undefined) {
        this.#applyAnswer(this.#pendingOffer, sdp, 'ACK');
        this.#pendingOffer = undefined;
      }
      this.emit('confirmed', ack);
      const pending = this.#byeAfterAck;
      if (pending) {
        this.#byeAfterAck = undefined;
        this.#hangUp(pending.reason).then(pending.resolve);
      }
      return;
    }
    const re = this.#incomingReinvite;
    if (re && seq === re.request.cseq.seq) {
      if (this.#reinviteAcked) return;
      this.#reinviteAcked = true;
      this.#incomingReinvite = undefined;
      if (sdp !== undefined && this.#pendingOffer !== undefined) {
        this.#applyAnswer(this.#pendingOffer, sdp, 'ACK');
        this.#pendingOffer = undefined;
      }
    }
  }

  // ======================================================================================
  // Inside the dialog
  // ======================================================================================

  /** @internal */
  _onRequest(tx: ServerInviteTransaction | ServerNonInviteTransaction, dialog: Dialog): void {
    const req = tx.request;
    const method = req.method;
    const ua = this.#ua;
    const respond = (
      status: number,
      headers: ReadonlyArray<readonly [string, HeaderInput]> = [],
      reason?: string,
    ) => {
      if (!tx.terminated && tx.finalStatus === undefined)
        tx.respond(status, {
          headers: [...headers, ...ua._responseHeaders()],
          ...(reason ? { reason } : {}),
        });
    };
    const bad = dialog.receiveRequest(req);
    if (bad !== undefined) {
      respond(bad, [], 'CSeq Out of Order');
      return;
    }
    switch (method) {
      case 'BYE': {
        this.#stopReliable();
        if (this.#serverTx && this.#serverTx.finalStatus === undefined && !this.#serverTx.terminated) {
          // a BYE in an early dialog we are the UAS of (RFC 3261 §15.1.2): end the INVITE too
          this.#serverTx.respond(487, { headers: ua._responseHeaders() });
        }
        const held: PromiseLike<unknown>[] = [];
        let open = true;
        const holdAnswer = (work: PromiseLike<unknown>) => {
          if (!open) throw new StrowgerError('ERR_INVALID_STATE', 'holdAnswer() after the ended event');
          held.push(work);
        };
        this.#end({ reason: 'remote-bye', request: req, holdAnswer }, undefined);
        open = false;
        if (held.length === 0) {
          respond(200);
          return;
        }
        // sent once: when the work settles, at the cap, or when the UA closes first
        const send = () => {
          timer.cancel();
          ua._releaseAnswer(send);
          respond(200);
        };
        const timer = ua.clock.setTimeout(send, BYE_ANSWER_HOLD_MAX_MS);
        ua._holdAnswer(send);
        void Promise.allSettled(held).then(send);
        return;
      }
      case 'INVITE':
        this.#onReinvite(tx as ServerInviteTransaction, dialog);
        return;
      case 'UPDATE':
        this.#onUpdate(tx as ServerNonInviteTransaction, dialog);
        return;
      case 'PRACK':
        this.#onPrack(tx as ServerNonInviteTransaction);
        return;
      case 'INFO':
        this.#onInfo(tx as ServerNonInviteTransaction);
        return;
      case 'REFER':
        this.#onRefer(tx as ServerNonInviteTransaction, dialog);
        return;
      case 'NOTIFY':
        this.#onNotify(tx as ServerNonInviteTransaction);
        return;
      case 'OPTIONS':
        respond(200, [
          ['Allow', ua.allow.join(', ')],
          ['Accept', ua.accept.join(', ')],
          ['Supported', ua.supported.join(', ')],
        ]);
        return;
      case 'ACK':
      case 'CANCEL':
        return;
      case 'MESSAGE':
        // in-dialog MESSAGE goes to the UA's MESSAGE handler, like one outside a dialog
        if (ua.listenerCount('MESSAGE') > 0) ua.emit('MESSAGE', new IncomingRequest(ua, tx));
        else respond(405, [['Allow', ua.allow.join(', ')]]);
        return;
      default:
        respond(405, [['Allow', ua.allow.join(', ')]]);
    }
  }

  #onReinvite(tx: ServerInviteTransaction, dialog: Dialog): void {
    const ua = this.#ua;
    const req = tx.request;
    const reply = (
      status: number,
      headers: ReadonlyArray<readonly [string, HeaderInput]> = [],
      reason?: string,
    ) =>
      tx.respond(status, { headers: [...headers, ...ua._responseHeaders()], ...(reason ? { reason } : {}) });
    if (this.#state !== 'established') {
      // an INVITE in an early dialog: the first INVITE is still in progress (§14.2)
      reply(500, [['Retry-After', String(ua.random.int(11))]]);
      return;
    }
    if (this.#outgoingOffer !== undefined || this.#pendingOffer !== undefined) {
      // glare: our own offer is outstanding (RFC 3261 §14.2)
      reply(491);
      return;
    }
    if (
      (this.#incomingReinvite && !this.#reinviteAcked) ||
      (this.#serverTx && !this.#acked && this.role === 'uas')
    ) {
      reply(500, [['Retry-After', String(ua.random.int(11))]]);
      return;
    }
    const decided = decideUasTimer(req, this.#timerConfig, (minSE) =>
      reply(422, [['Min-SE', String(minSE)]]),
    );
    if (!decided) return;
    const { timer, require: requireTimer } = decided;
    this.#incomingReinvite = tx;
    this.#reinviteAcked = false;
    tx.on('timeout', () => {
      if (this.#incomingReinvite === tx && !this.#reinviteAcked) {
        this.#sendBye();
        this.#end({ reason: 'no-ack' }, undefined);
      }
    });
    tx.on('expired', () => {
      // our answer never came (the layer answered 408): take new offers again
      if (this.#incomingReinvite === tx) {
        this.#incomingReinvite = undefined;
        this.#reinviteAcked = true;
      }
    });
    const sdp = req.body.length > 0 ? req.bodyText : undefined;
    const headers = (): Array<readonly [string, HeaderInput]> => {
      const h: Array<readonly [string, HeaderInput]> = [['Contact', `<${dialog.localTarget.toString()}>`]];
      if (timer) h.push(...sessionTimerHeaders(timer, requireTimer));
      ua._decorate(h, 'INVITE', true);
      return [...h, ...ua._responseHeaders()];
    };
    const finish = (body: string | undefined) => {
      if (tx.finalStatus !== undefined || tx.terminated) return;
      dialog.refreshTarget(req);
      tx.respond(200, { headers: headers(), ...(body === undefined ? {} : { body, contentType: SDP }) });
      if (timer) this.#startSessionTimer(timer, false);
      else if (this.#sessionTimer) this.#startSessionTimer(this.#sessionTimer, this.#weRefreshLast);
    };
    if (sdp === undefined) {
      // an offerless re-INVITE: we offer our current description; the answer comes in the ACK
      const offer = this.localSdp ?? (this.#media ? this.#offerFrom(undefined) : undefined);
      if (offer !== undefined) {
        this.#setLocal(offer);
        this.#pendingOffer = offer;
      }
      finish(offer);
      return;
    }
    this.#answerOffer(sdp, 'INVITE').then(
      (answer) => {
        this.#applyOffer(sdp, answer, 'INVITE');
        finish(answer);
      },
      (err) => {
        if (tx.finalStatus !== undefined || tx.terminated) return;
        this.#incomingReinvite = undefined;
        this.#reinviteAcked = true;
        const status = err instanceof SdpNegotiationError || err instanceof SdpParseError ? 488 : 500;
        reply(status);
      },
    );
  }

  #onUpdate(tx: ServerNonInviteTransaction, dialog: Dialog): void {
    const ua = this.#ua;
    const req = tx.request;
    const reply = (
      status: number,
      headers: ReadonlyArray<readonly [string, HeaderInput]> = [],
      body?: string,
    ) =>
      tx.respond(status, {
        headers: [...headers, ...ua._responseHeaders()],
        ...(body === undefined ? {} : { body, contentType: SDP }),
      });
    const sdp = req.body.length > 0 ? req.bodyText : undefined;
    if (sdp !== undefined) {
      if (this.#outgoingOffer !== undefined || this.#pendingOffer !== undefined) {
        reply(491); // RFC 3311 §5.2: glare
        return;
      }
      if (this.#incomingReinvite && !this.#reinviteAcked && this.#pendingOffer !== undefined) {
        reply(500, [['Retry-After', String(ua.random.int(11))]]);
        return;
      }
    }
    const decided = decideUasTimer(req, this.#timerConfig, (minSE) =>
      reply(422, [['Min-SE', String(minSE)]]),
    );
    if (!decided) return;
    const { timer, require: requireTimer } = decided;
    const finish = (answer: string | undefined) => {
      if (tx.finalStatus !== undefined || tx.terminated) return;
      dialog.refreshTarget(req);
      const h: Array<readonly [string, HeaderInput]> = [['Contact', `<${dialog.localTarget.toString()}>`]];
      if (timer) h.push(...sessionTimerHeaders(timer, requireTimer));
      reply(200, h, answer);
      if (timer) this.#startSessionTimer(timer, false);
      else if (this.#sessionTimer && this.#state === 'established')
        this.#startSessionTimer(this.#sessionTimer, this.#weRefreshLast);
    };
    if (sdp === undefined) {
      finish(undefined);
      return;
    }
    this.#answerOffer(sdp, 'UPDATE').then(
      (answer) => {
        this.#applyOffer(sdp, answer, 'UPDATE');
        finish(answer);
      },
      (err) => {
        if (tx.finalStatus !== undefined || tx.terminated) return;
        reply(err instanceof SdpNegotiationError || err instanceof SdpParseError ? 488 : 500);
      },
    );
  }

  #onPrack(tx: ServerNonInviteTransaction): void {
    const ua = this.#ua;
    const rack = tx.request.rack;
    if (!rack || !this.#rseq?.acknowledge(rack)) {
      tx.respond(481, { headers: ua._responseHeaders() });
      return;
    }
    this.#reliable?.timer?.cancel();
    this.#reliable = undefined;
    const sdp = tx.request.body.length > 0 ? tx.request.bodyText : undefined;
    if (sdp !== undefined && this.#pendingOffer !== undefined) {
      this.#applyAnswer(this.#pendingOffer, sdp, 'PRACK');
      this.#pendingOffer = undefined;
      this.#answeredReliably = true;
    }
    tx.respond(200, { headers: ua._responseHeaders() });
    const waiters = this.#prackWaiters;
    this.#prackWaiters = [];
    for (const w of waiters) {
      try {
        w();
      } catch (err) {
        ua._report(err);
      }
    }
  }

  #onInfo(tx: ServerNonInviteTransaction): void {
    const req = tx.request;
    const type = req.contentType?.essence;
    tx.respond(200, { headers: this.#ua._responseHeaders() });
    if (type === 'application/dtmf-relay') {
      const dtmf = parseDtmfRelay(req.bodyText);
      if (dtmf) this.emit('dtmf', dtmf);
    } else if (type === 'application/dtmf') {
      const digit = req.bodyText.trim();
      if (digit) this.emit('dtmf', { digit, duration: undefined });
    }
    this.emit('info', { request: req, body: req.bodyText, contentType: type });
  }

  #onRefer(tx: ServerNonInviteTransaction, dialog: Dialog): void {
    const req = tx.request;
    const ua = this.#ua;
    if (req.getHeaders('refer-to').length !== 1) {
      tx.respond(400, { reason: 'Bad Request (one Refer-To)', headers: ua._responseHeaders() });
      return;
    }
    if (this.listenerCount('refer') === 0) {
      tx.respond(603, { reason: 'Decline', headers: ua._responseHeaders() });
      return;
    }
    const refer = new IncomingRefer(this, tx, dialog);
    this.#incomingRefers.add(refer);
    this.emit('refer', refer);
    if (!refer.handled) refer.reject(603);
  }

  /** @internal */
  _referDone(refer: IncomingRefer): void {
    this.#incomingRefers.delete(refer);
  }

  #onNotify(tx: ServerNonInviteTransaction): void {
    const req = tx.request;
    const ev = req.event;
    if (ev?.type === 'refer') {
      const id = ev.id ?? '';
      const out = this.#refers.get(id) ?? (id === '' ? [...this.#refers.values()][0] : undefined);
      if (!out) {
        tx.respond(481, { headers: this.#ua._responseHeaders() });
        return;
      }
      tx.respond(200, { headers: this.#ua._responseHeaders() });
      out._onNotify(req);
      this.emit('notify', req);
      return;
    }
    tx.respond(489, { reason: 'Bad Event', headers: this.#ua._responseHeaders() });
  }

  /** @internal */
  _referFinished(id: string): void {
    this.#refers.delete(id);
  }

  #assertEstablished(what: string): Dialog {
    // UPDATE (RFC 3311) and INFO (RFC 6086) may also go in an early dialog
    const early = (what === 'UPDATE' || what === 'INFO') && this.#state === 'early';
    if ((this.#state !== 'established' && !early) || !this.dialog || this.dialog.state === 'terminated')
      throw new StrowgerError('ERR_INVALID_STATE', `${what}: the session is not established`);
    return this.dialog;
  }

  /** Headers for a request we send inside the dialog. */
  #requestHeaders(
    method: string,
    extra: ReadonlyArray<readonly [string, HeaderInput]> = [],
  ): Array<readonly [string, HeaderInput]> {
    return decoratedHeaders(this.#ua, method, extra);
  }

  /**
   * Sends a request inside the dialog; resolves with the final response
   * (401/407 answered once). An in-dialog 408 or 481 ends the session
   * (RFC 3261 §12.2.1.2).
   */
  async #inDialog(
    method: string,
    options: {
      body?: string;
      contentType?: string;
      headers?: ReadonlyArray<readonly [string, HeaderInput]>;
    } = {},
    onTransaction?: (tx: ClientInviteTransaction | ClientNonInviteTransaction) => void,
  ): Promise<SipResponse> {
    const dialog = this.#assertEstablished(method);
    const req = dialog.createRequest(method, {
      headers: this.#requestHeaders(method, options.headers),
      ...(options.body === undefined
        ? {}
        : { body: options.body, contentType: options.contentType ?? 'text/plain' }),
    });
    const ua = this.#ua;
    const target = ua._dialogTarget(dialog);
    const send = (r: SipRequest) => {
      const tx = ua.transactions.sendRequest(r, target);
      onTransaction?.(tx);
      return tx.finalResponse;
    };
    let res = await send(req);
    const creds = this.#credentials === false ? undefined : (this.#credentials ?? ua.credentials);
    if ((res.status === 401 || res.status === 407) && creds) {
      const retry = ua._answerChallenge(req, res, creds);
      if (retry) {
        dialog.localSeq = Math.max(dialog.localSeq, retry.cseq.seq);
        res = await send(retry);
      }
    }
    if ((res.status === 408 || res.status === 481) && this.#state !== 'terminated') {
      this.#end({ reason: 'error', status: res.status, response: res }, undefined);
    }
    return res;
  }

  /**
   * Sends a re-INVITE with a new offer (`sdp`: text or capabilities; default
   * our current description again, which refreshes the session). Resolves
   * with the 2xx once the answer is applied and the ACK sent. A 491 (glare)
   * is retried after the RFC 3261 §14.1 delay; other failures reject with
   * SipResponseError and leave the session as it was.
   */
  reinvite(
    sdp?: SdpInput,
    options: { headers?: ReadonlyArray<readonly [string, HeaderInput]> } = {},
  ): Promise<SipResponse> {
    return this.#offerTransaction('INVITE', sdp, options.headers);
  }

  /** Sends UPDATE (RFC 3311): with an offer, or without one as a session refresh. Glare as for re-INVITE. */
  update(
    sdp?: SdpInput | null,
    options: { headers?: ReadonlyArray<readonly [string, HeaderInput]> } = {},
  ): Promise<SipResponse> {
    return this.#offerTransaction('UPDATE', sdp === null ? null : sdp, options.headers);
  }

  /** Puts the peer on hold: a re-INVITE with every active stream `sendonly`. */
  async hold(): Promise<SipResponse> {
    const res = await this.reinvite(this.#directionOffer('sendonly'));
    this.#localHold = true;
    return res;
  }

  /** Takes the peer off hold: a re-INVITE with every active stream `sendrecv`. */
  async unhold(): Promise<SipResponse> {
    const res = await this.reinvite(this.#directionOffer('sendrecv'));
    this.#localHold = false;
    return res;
  }

  /** INFO (RFC 6086) with a body; resolves with the final response. */
  info(
    body: string,
    contentType: string,
    headers?: ReadonlyArray<readonly [string, HeaderInput]>,
  ): Promise<SipResponse> {
    return this.#inDialog('INFO', { body, contentType, ...(headers ? { headers } : {}) });
  }

  /** One DTMF digit as INFO application/dtmf-relay. */
  sendDtmf(digit: string, durationMs = 160): Promise<SipResponse> {
    if (!/^[0-9A-D*#]$/i.test(digit))
      throw new StrowgerError('ERR_INVALID_ARGUMENT', `not a DTMF digit: ${digit}`);
    return this.info(`Signal=${digit}\r\nDuration=${durationMs}\r\n`, 'application/dtmf-relay');
  }

  /** MESSAGE inside the dialog. */
  message(body: string, contentType = 'text/plain'): Promise<SipResponse> {
    return this.#inDialog('MESSAGE', { body, contentType });
  }

  /**
   * Transfers the peer (REFER, RFC 3515): `target` is where the peer should
   * call; with `replaces` (another session of ours) it is an attended
   * transfer (RFC 3891). Resolves with the final status the peer reports in
   * its NOTIFYs (message/sipfrag), or at once on the 2xx when the
   * implicit subscription was declined (RFC 4488 norefersub).
   */
  refer(target: string | Uri, options: ReferOptions = {}): Promise<ReferResult> {
    this.#assertEstablished('REFER');
    const out = new OutgoingRefer(this, target, options);
    return out._start(
      (headers) =>
        this.#inDialog('REFER', { headers }, (tx) => {
          out.id = String(tx.request.cseq.seq);
          this.#refers.set(out.id, out);
        }),
      this.#peerSupports('norefersub'),
    );
  }

  /** The peer's Supported/Allow lists, from its INVITE or 2xx. */
  #peerSupports(tag: string): boolean {
    try {
      const m = this.role === 'uas' ? this.request : this.#inviteTx?.lastResponse;
      return m?.supported.includes(tag) ?? false;
    } catch {
      return false;
    }
  }

  #peerAllows(method: string): boolean {
    try {
      const m = this.role === 'uas' ? this.request : this.#inviteTx?.lastResponse;
      return m?.allow.includes(method) ?? false;
    } catch {
      return false;
    }
  }

  async #offerTransaction(
    method: 'INVITE' | 'UPDATE',
    sdp: SdpInput | null | undefined,
    headers: ReadonlyArray<readonly [string, HeaderInput]> = [],
    sessionRefresh = false,
  ): Promise<SipResponse> {
    this.#assertEstablished(method);
    if (this.#outgoingOffer !== undefined || (this.#incomingReinvite && !this.#reinviteAcked))
      throw new StrowgerError('ERR_INVALID_STATE', `${method}: another offer is in progress`);
    let offer: string | undefined;
    if (sdp !== null) {
      if (sdp === undefined) offer = this.localSdp ?? (this.#media ? this.#offerFrom(undefined) : undefined);
      else offer = typeof sdp === 'string' ? sdp : this.#offerFrom(sdp);
    }
    const h: Array<readonly [string, HeaderInput]> = [...headers];
    if (this.#sessionTimer && this.#timerConfig) {
      h.push(['Session-Expires', `${this.#sessionTimer.interval};refresher=uac`]);
      h.push(['Min-SE', String(this.#timerConfig.minSE)]);
    }
    this.#outgoingOffer = method;
    if (offer !== undefined) this.#pendingOffer = offer;
    let res: SipResponse;
    let tx: ClientInviteTransaction | ClientNonInviteTransaction | undefined;
    try {
      res = await this.#inDialog(
        method,
        { headers: h, ...(offer === undefined ? {} : { body: offer, contentType: SDP }) },
        (t) => {
          tx = t;
        },
      );
    } catch (err) {
      this.#outgoingOffer = undefined;
      this.#pendingOffer = undefined;
      throw err;
    }
    const status = res.status;
    if (status >= 200 && status < 300) {
      const dialog = this.dialog as Dialog;
      dialog.refreshTarget(res);
      const answer = res.body.length > 0 ? res.bodyText : undefined;
      let ackBody: string | undefined;
      if (offer !== undefined && answer !== undefined) this.#applyAnswer(offer, answer, method);
      else if (offer === undefined && answer !== undefined && method === 'INVITE') {
        // offerless re-INVITE: the 2xx offers, the ACK answers
        try {
          ackBody = await this.#answerOffer(answer, 'ACK');
          this.#applyOffer(answer, ackBody, 'ACK');
        } catch (err) {
          this.#ua._report(err);
        }
      }
      this.#outgoingOffer = undefined;
      this.#pendingOffer = undefined;
      if (method === 'INVITE') {
        const ack = dialog.createAck(res.cseq.seq, {
          headers: this.#requestHeaders('ACK'),
          ...(ackBody === undefined ? {} : { body: ackBody, contentType: SDP }),
        });
        this.#acks.set(res.cseq.seq, ack);
        this.#sendAck(dialog, ack);
        const itx = tx as ClientInviteTransaction | undefined;
        itx?.on('final', (r) => {
          if (r.status >= 200 && r.status < 300) this.#sendAck(dialog, ack);
        });
      }
      if (this.#timerConfig) {
        const t = uacSessionTimer(res);
        if (t) this.#startSessionTimer(t, true);
        else if (this.#sessionTimer && sessionRefresh) this.#stopSessionTimer();
      }
      return res;
    }
    this.#outgoingOffer = undefined;
    this.#pendingOffer = undefined;
    if (status === 491 && this.#state === 'established') {
      // RFC 3261 §14.1: wait, then try again
      const delay = glareRetryDelay(this.dialog?.ownsCallId ?? false, this.#ua.random);
      await new Promise<void>((resolve) => {
        this.#glareTimer = this.#ua.clock.setTimeout(resolve, delay);
      });
      this.#glareTimer = undefined;
      if (this.#state !== 'established') throw new SipResponseError(res);
      return this.#offerTransaction(
        method,
        offer === undefined ? (sdp === null ? null : undefined) : offer,
        headers,
        sessionRefresh,
      );
    }
    if (status === 422 && res.minSE !== undefined && this.#sessionTimer) {
      this.#sessionTimer = {
        ...this.#sessionTimer,
        interval: Math.max(res.minSE, this.#sessionTimer.interval),
      };
      return this.#offerTransaction(
        method,
        offer ?? (sdp === null ? null : undefined),
        headers,
        sessionRefresh,
      );
    }
    throw new SipResponseError(res);
  }

  // ---- session timers (RFC 4028) ---------------------------------------------------------

  #weRefreshLast = false;

  /** Starts (or restarts) the timer; `weWereUac` says whether we sent the request that negotiated it. */
  #startSessionTimer(timer: SessionTimer, weWereUac: boolean): void {
    this.#stopSessionTimer();
    if (this.#state === 'terminated') return;
    this.#sessionTimer = timer;
    const weRefresh = (timer.refresher === 'uac') === weWereUac;
    this.#weRefreshLast = weWereUac;
    const clock = this.#ua.clock;
    if (weRefresh) {
      this.#stTimer = clock.setTimeout(() => {
        this.#stTimer = undefined;
        this.#refresh();
      }, refreshDelayMs(timer));
    } else {
      this.#stTimer = clock.setTimeout(() => {
        this.#stTimer = undefined;
        if (this.#state !== 'established') return;
        this.#hangUp('session-expired');
      }, expiryDelayMs(timer));
    }
  }

  #stopSessionTimer(): void {
    this.#stTimer?.cancel();
    this.#stTimer = undefined;
  }

  #refresh(): void {
    if (this.#state !== 'established') return;
    const timer = this.#sessionTimer;
    if (this.#outgoingOffer !== undefined || (this.#incomingReinvite && !this.#reinviteAcked)) {
      // something else is in progress; try again shortly
      this.#stTimer = this.#ua.clock.setTimeout(() => this.#refresh(), 1000);
      return;
    }
    const useUpdate = this.#peerAllows('UPDATE');
    const p = useUpdate
      ? this.#offerTransaction('UPDATE', null, [], true)
      : this.#offerTransaction('INVITE', undefined, [], true);
    p.catch(() => {
      // a refresh that failed: the session ends when it expires (RFC 4028 §10)
      if (this.#state === 'established' && timer && !this.#stTimer) {
        this.#stTimer = this.#ua.clock.setTimeout(() => {
          this.#hangUp('session-expired');
        }, expiryDelayMs(timer) - refreshDelayMs(timer));
      }
    });
  }

  // ---- ending ----------------------------------------------------------------------------

  /**
   * Ends the session: BYE when established (after the ACK, when we are the
   * UAS), CANCEL while calling, 480 for an unanswered incoming call.
   * Resolves when the BYE got its answer (or at once). Idempotent.
   */
  async bye(): Promise<void> {
    switch (this.#state) {
      case 'terminated':
        return;
      case 'calling':
      case 'early':
        if (this.role === 'uac') {
          this.cancel();
          return;
        }
        this.reject(480, { reason: 'Temporarily Unavailable' });
        return;
      case 'incoming':
        this.reject(480, { reason: 'Temporarily Unavailable' });
        return;
      case 'established':
        await this.#hangUp('local-bye');
    }
  }

  /**
   * BYE and end with `reason`. The UAS of a 2xx not yet acknowledged waits
   * for the ACK (or Timer L) first (RFC 3261 §15).
   */
  #hangUp(reason: EndReason): Promise<void> {
    if (this.role === 'uas' && this.#serverTx && !this.#acked && this.#serverTx.state === 'accepted') {
      if (!this.#byeAfterAck) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => {
          resolve = r;
        });
        this.#byeAfterAck = { reason, resolve, promise };
      }
      return this.#byeAfterAck.promise;
    }
    const p = this.#sendBye();
    this.#end({ reason }, undefined);
    return p;
  }

  /** Same as {@link bye}; then the `close` event. Idempotent. */
  close(): void {
    this.bye().catch(() => undefined);
  }

  /** Sends BYE in the dialog; resolves when it is answered (or failed). */
  #sendBye(): Promise<void> {
    const dialog = this.dialog;
    if (!dialog || dialog.state === 'terminated') return Promise.resolve();
    let req: SipRequest;
    try {
      req = dialog.createRequest('BYE', { headers: this.#requestHeaders('BYE') });
    } catch {
      return Promise.resolve();
    }
    return this.#ua
      ._sendAuthenticated(req, this.#ua._dialogTarget(dialog), this.#credentials, (r) => {
        dialog.localSeq = r.cseq.seq;
      })
      .then(
        () => undefined,
        () => undefined,
      );
  }

  /** @internal Another INVITE replaced this one (RFC 3891 §3): BYE (or CANCEL while early). */
  _replacedBy(): void {
    if (this.#state === 'established') {
      this.#hangUp('replaced');
    } else if (this.role === 'uac') {
      this.cancel();
    }
  }

  /** @internal The UA is closing: BYE/CANCEL/480; resolves when the request was answered. */
  _shutdown(): Promise<void> {
    switch (this.#state) {
      case 'established':
        return this.#hangUp('closed');
      case 'calling':
      case 'early':
        if (this.role === 'uac') {
          // CANCEL, then wait for the INVITE's outcome (487, or a crossing 2xx that gets ACK + BYE)
          this.cancel();
          return this.#established.promise.then(
            () => undefined,
            () => undefined,
          );
        }
        this.reject(480);
        return Promise.resolve();
      case 'incoming':
        this.reject(480);
        return Promise.resolve();
      default:
        return Promise.resolve();
    }
  }

  /** @internal The UA closed: drop everything without sending. */
  _destroy(): void {
    this.#end({ reason: 'closed' }, new StrowgerError('ERR_CLOSED', 'the user agent closed'));
  }

  #end(info: EndedInfo, error: unknown): void {
    if (this.#state === 'terminated') return;
    this.#state = 'terminated';
    this.#endedInfo = info;
    this.#byeAfterAck?.resolve();
    this.#byeAfterAck = undefined;
    this.#stopSessionTimer();
    this.#stopReliable();
    this.#glareTimer?.cancel();
    this.#noAnswer?.cancel();
    this.#abortCleanup?.();
    for (const r of this.#refers.values()) r._sessionEnded();
    this.#refers.clear();
    for (const r of this.#incomingRefers) r._sessionEnded();
    this.#incomingRefers.clear();
    if (this.dialog) {
      this.dialog.terminate();
      this.#ua._unregisterDialog(this.dialog, this);
    }
    for (const e of this.#early.values()) {
      e.dialog.terminate();
      this.#ua._unregisterDialog(e.dialog, this);
    }
    this.#early.clear();
    this.#ua._untrackSession(this, this.#uacKey);
    if (
      this.#uacKey !== undefined &&
      this.#winnerTag === undefined &&
      (info.reason === 'timeout' || info.reason === 'cancelled')
    ) {
      // a callee may still answer (our last INVITE retransmission reaches it after Timer B,
      // a 2xx crosses a CANCEL that got no answer): its 2xx is ACKed and BYEd for 64·T1
      this.#ua._lingerUacSession(this, this.#uacKey, 64 * ua_t1(this.#ua));
    }
    // the error is built only when someone still waits for the answer (a BYE ends most
    // sessions long after it: no Error, no stack trace, per call)
    if (!this.#established.settled)
      this.#established.reject(
        error ??
          (info.reason === 'remote-bye'
            ? new SipResponseError(undefined, { message: 'remote BYE' })
            : new StrowgerError('ERR_CLOSED', info.reason)),
      );
    this.emit('ended', info);
    this.#closed = true;
    this.emit('close');
    // Transactions outlive the session (Timers D, L, M: 32 s over UDP) and hold it through
    // their listeners: let go of the application's hooks, so that what the application
    // built around the session (a switch's call, its legs) is not kept alive with it.
    this.#offerHandler = undefined;
    this.#abortCleanup = undefined;
    this.#unhook?.();
    this.#unhook = undefined;
    this.removeAllListeners();
  }

  // ---- offer/answer ------------------------------------------------------------------------

  // Each SDP text is parsed once: setting the same text again keeps its description.
  #setLocal(sdp: string): void {
    if (sdp === this.localSdp) return;
    this.localSdp = sdp;
    this.#localParsed = false;
  }

  #offerFrom(input: SdpInput | undefined): string {
    if (typeof input === 'string') return input;
    if (input) this.#media = input; // later automatic offers and answers use the same capabilities
    const local = input ?? this.#media ?? this.#ua.media;
    if (!local)
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        'no SDP and no media capabilities to build an offer from',
      );
    const desc = createOffer(local, {
      ...(this.localDescription ? { previous: this.localDescription } : {}),
      random: this.#ua.random,
    });
    return serializeSdp(desc);
  }

  #answerFrom(offer: string, input: SdpInput | undefined): string {
    if (typeof input === 'string') return input;
    if (input) this.#media = input;
    const local = input ?? this.#media ?? this.#ua.media;
    const offered =
      offer === this.remoteSdp && this.remoteDescription ? this.remoteDescription : parseSdp(offer, LENIENT);
    if (!local) return this.#fallbackAnswer(offered);
    return serializeSdp(
      createAnswer(offered, local, {
        ...(this.localDescription ? { previous: this.localDescription } : {}),
        random: this.#ua.random,
      }),
    );
  }

  /**
   * Without capabilities (an application that passes raw SDP): answer a
   * re-offer with our last description, each stream's direction answering
   * the offered one (hold → recvonly). A different number of streams → 488.
   */
  #fallbackAnswer(offered: SessionDescription): string {
    const prev = this.localDescription;
    if (!prev || prev.media.length !== offered.media.length)
      throw new SdpNegotiationError('cannot answer this offer without media capabilities');
    const next = structuredClone(prev) as SessionDescription;
    next.attributes = next.attributes.filter((a) => a.kind !== 'direction');
    next.media.forEach((m, i) => {
      const om = offered.media[i];
      if (!om || m.port === 0) return;
      const base = this.#localHold ? 'sendonly' : 'sendrecv';
      m.attributes = m.attributes.filter((a) => a.kind !== 'direction');
      m.attributes.push({ kind: 'direction', direction: answerDirection(directionOf(om, offered), base) });
    });
    return serializeSdp(updateOrigin(prev, next));
  }

  async #answerOffer(offer: string, method: string): Promise<string> {
    const handler = this.#offerHandler;
    if (handler) {
      const input = await handler(offer, { session: this, method });
      return this.#answerFrom(offer, input);
    }
    return this.#answerFrom(offer, undefined);
  }

  #directionOffer(direction: 'sendonly' | 'sendrecv' | 'inactive' | 'recvonly'): string {
    const prev = this.localDescription;
    if (!prev) throw new StrowgerError('ERR_INVALID_STATE', 'no local SDP to change');
    const next = structuredClone(prev) as SessionDescription;
    next.attributes = next.attributes.filter((a) => a.kind !== 'direction');
    for (const m of next.media) {
      if (m.port === 0) continue;
      m.attributes = m.attributes.filter((a) => a.kind !== 'direction');
      m.attributes.push({ kind: 'direction', direction });
    }
    return serializeSdp(updateOrigin(prev, next));
  }

  /** We offered `offer`, the peer answered `answer`. */
  #applyAnswer(offer: string, answer: string, method: string): void {
    this.#setLocal(offer);
    this.#setRemote(answer);
    this.#negotiate('offerer');
    if (this.#state === 'established' || method !== 'INVITE') this.#modified(method, answer);
    this.#checkHold();
  }

  /** The peer offered `offer`, we answered `answer`. */
  #applyOffer(offer: string, answer: string, method: string, notify = true): void {
    this.#setLocal(answer);
    this.#setRemote(offer);
    this.#negotiate('answerer');
    if (notify && (this.#state === 'established' || method === 'ACK' || method === 'UPDATE'))
      this.#modified(method, offer);
    this.#checkHold();
  }

  #setRemote(sdp: string): void {
    if (sdp === this.remoteSdp && this.remoteDescription !== undefined) return;
    this.remoteSdp = sdp;
    this.remoteDescription = tryParse(sdp);
  }

  #negotiate(role: 'offerer' | 'answerer'): void {
    const local = this.localSdp;
    const remote = this.remoteDescription;
    if (local === undefined || !remote) return;
    // the exchange before is settled first: a broken answer keeps the previous negotiation
    if (this.#toNegotiate !== undefined) void this.negotiated;
    this.#toNegotiate = [local, remote, role];
  }

  #modified(method: string, sdp: string): void {
    this.emit('modified', {
      method,
      sdp,
      description: this.remoteDescription,
      negotiated: this.negotiated,
    });
  }

  #checkHold(): void {
    const d = this.remoteDescription;
    if (!d) return;
    const held = holdState(d).onHold;
    if (held === this.#remoteHold) return;
    this.#remoteHold = held;
    this.emit(held ? 'hold' : 'unhold');
  }
}

function tryParse(sdp: string): SessionDescription | undefined {
  try {
    return parseSdp(sdp, LENIENT);
  } catch {
    return undefined;
  }
}

function ua_t1(ua: UserAgent): number {
  return ua.transactions.t1;
}

/** `Signal=5\r\nDuration=160` (application/dtmf-relay). */
export function parseDtmfRelay(body: string): DtmfEvent | undefined {
  let digit: string | undefined;
  let duration: number | undefined;
  for (const line of body.split(/\r?\n/)) {
    const m = /^\s*(signal|duration)\s*=\s*(\S+)\s*$/i.exec(line);
    if (!m) continue;
    if ((m[1] as string).toLowerCase() === 'signal') digit = m[2];
    else {
      const n = Number(m[2]);
      if (Number.isFinite(n) && n >= 0) duration = n;
    }
  }
  return digit === undefined ? undefined : { digit, duration };
}

/** Sends an ACK for a 2xx (statelessly: an ACK to a 2xx is a transaction of its own). */
function sendAck(ua: UserAgent, dialog: Dialog, ack: SipRequest): void {
  try {
    ua.transactions.sendStateless(ack, ua._dialogTarget(dialog)).catch((e) => ua._report(e));
  } catch (err) {
    ua._report(err);
  }
}

/** Request headers with what the UA adds to every request of `method` (User-Agent, …). */
function decoratedHeaders(
  ua: UserAgent,
  method: string,
  extra: ReadonlyArray<readonly [string, HeaderInput]> = [],
): Array<readonly [string, HeaderInput]> {
  const h: Array<readonly [string, HeaderInput]> = [...extra];
  ua._decorate(h, method);
  return h;
}

/**
 * What a UAC session's 2xx handling needs once its first 2xx was taken (or the session
 * ended): held without the session, so a lingering INVITE transaction does not keep it.
 */
interface LateAnswers {
  ua: UserAgent;
  invite: SipRequest;
  winnerTag: string | undefined;
  dialog: Dialog | undefined;
  acks: Map<number, SipRequest>;
  forks: Map<string, { dialog: Dialog; ack: SipRequest }>;
  credentials: DigestCredentials | false | undefined;
}

/**
 * A 2xx after the one the session took, or after the session ended (RFC 6026): the answered
 * dialog's retransmission is ACKed again; another dialog's 2xx to our INVITE is ACKed and
 * BYEd.
 */
function answerLate2xx(s: LateAnswers, response: SipResponse): void {
  const seq = response.cseq.seq;
  if (response.toTag === s.winnerTag && s.dialog) {
    const ack = s.acks.get(seq);
    if (ack) sendAck(s.ua, s.dialog, ack);
    return;
  }
  if (seq === s.invite.cseq.seq) ackAndBye(s.ua, s.invite, response, s.forks, s.credentials);
}

/**
 * A 2xx we do not want (another fork, or one that came too late): ACK it and BYE its dialog
 * once per To tag (`seen` keeps the ACK for its retransmissions).
 */
function ackAndBye(
  ua: UserAgent,
  invite: SipRequest,
  response: SipResponse,
  seen: Map<string, { dialog: Dialog; ack: SipRequest }>,
  credentials: DigestCredentials | false | undefined,
): void {
  const tag = response.toTag;
  const known = tag === undefined ? undefined : seen.get(tag);
  if (known) {
    sendAck(ua, known.dialog, known.ack);
    return;
  }
  try {
    const dialog = Dialog.fromResponse(invite, response);
    const ack = dialog.createAck(response.cseq.seq, { headers: decoratedHeaders(ua, 'ACK') });
    if (tag !== undefined) seen.set(tag, { dialog, ack });
    sendAck(ua, dialog, ack);
    const bye = dialog.createRequest('BYE', { headers: decoratedHeaders(ua, 'BYE') });
    ua._sendAuthenticated(bye, ua._dialogTarget(dialog), credentials).catch(() => undefined);
  } catch (err) {
    ua._report(err);
  }
}
