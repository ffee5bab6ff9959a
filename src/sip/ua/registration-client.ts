/**
 * Outbound registration (RFC 3261 §10.2) for trunks and phones: keeps one
 * contact registered with a registrar, answering digest challenges, refreshing
 * before expiry, honouring 423 Min-Expires, backing off on failure
 * (RFC 5626 §4.5's capped exponential backoff with jitter) and unregistering
 * on stop. It sends through an injected `send(request) → Promise<response>`,
 * so it works on top of any transaction layer, and waits on an injected clock.
 */
import {
  assertArgument,
  type Clock,
  type ClockTimer,
  cryptoRandom,
  isStrowgerError,
  type Random,
  randomToken,
  realClock,
  StrowgerError,
  TypedEmitter,
} from '../../core/index.js';
import {
  createRequest,
  NameAddr,
  parseDeltaSeconds,
  parseNameAddr,
  parseUri,
  type SipRequest,
  type SipResponse,
  SipUri,
  type Uri,
  uriEquals,
} from '../message/index.js';
import {
  answerChallenge,
  authorizeRequest,
  createDigestClientState,
  type DigestClientState,
  type DigestCredentials,
} from './digest-client.js';
import { DigestError } from './errors.js';

export type RegistrationState =
  | 'idle'
  | 'registering'
  | 'registered'
  | 'retrying'
  | 'unregistering'
  | 'stopped';

export interface RegisteredInfo {
  /** Seconds granted by the registrar. */
  expires: number;
  /** Every binding the registrar listed for the AOR (ours and others). */
  contacts: NameAddr[];
  response: SipResponse;
}

export interface RegistrationFailure {
  /** The final status, or undefined for a timeout or a send error. */
  status: number | undefined;
  /** Why, in words (`timeout`, `rejected`, the reason phrase …). */
  reason: string;
  /** The digest failure reason when authentication failed. */
  authFailure?: DigestError['reason'];
  error?: Error;
  response?: SipResponse;
}

export interface RegistrationEvents {
  registered: [info: RegisteredInfo];
  failed: [info: RegistrationFailure];
  /** `stopped`: unregistered on request; `expired`: the registration lapsed while retrying. */
  unregistered: [info: { reason: 'stopped' | 'expired' }];
  retrying: [info: { delayMs: number; attempt: number }];
}

export interface RegistrationRetryOptions {
  /** Base wait after the first failure; default 30 000 ms (RFC 5626 §4.5 base-time). */
  baseMs?: number;
  /** Upper bound of the wait; default 1 800 000 ms (RFC 5626 max-time). */
  maxMs?: number;
}

export interface RegistrationClientOptions {
  /** The address-of-record (From and To). */
  aor: string | SipUri;
  /** The registrar's URI (Request-URI), e.g. `sip:sip.carrier.example`. */
  registrar: string | SipUri;
  /** The contact to bind. */
  contact: string | NameAddr | SipUri;
  /** Requested expiry in seconds; default 3600. */
  expires?: number;
  credentials?: DigestCredentials;
  /**
   * Sends a request as a new client transaction (adding the top Via with a
   * new branch) and resolves with its final response; rejects on a transport
   * error or a transaction timeout.
   */
  send: (request: SipRequest) => Promise<SipResponse>;
  clock?: Clock;
  random?: Random;
  /** Call-ID for every REGISTER of this client (RFC 3261 §10.2: one per boot cycle); default random. */
  callId?: string;
  /** Refresh this long before expiry, but never later than half-way; default 300 s. */
  refreshMarginSec?: number;
  retry?: RegistrationRetryOptions;
  /** Give up on one REGISTER after this long; default 32 000 ms (64·T1). */
  timeoutMs?: number;
  /** Extra headers on every REGISTER (User-Agent, Supported …). */
  headers?: Record<string, string>;
  /** Send remembered credentials on refreshes instead of waiting to be challenged; default true. */
  preemptive?: boolean;
}

const DEFAULTS = Object.freeze({
  expires: 3600,
  refreshMarginSec: 300,
  baseMs: 30_000,
  maxMs: 1_800_000,
  timeoutMs: 32_000,
});

/** Challenge / 423 rounds within one attempt before it counts as failed. */
const MAX_ROUNDS = 5;

type Outcome =
  | { ok: true; response: SipResponse; expires: number }
  | { ok: false; failure: RegistrationFailure; retryAfterMs?: number };

export class RegistrationClient extends TypedEmitter<RegistrationEvents> {
  readonly #aor: SipUri;
  readonly #registrar: Uri;
  readonly #contact: NameAddr;
  readonly #credentials: DigestCredentials | undefined;
  readonly #send: (request: SipRequest) => Promise<SipResponse>;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #callId: string;
  readonly #fromTag: string;
  readonly #marginSec: number;
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #timeoutMs: number;
  readonly #headers: Record<string, string>;
  readonly #preemptive: boolean;
  readonly #auth: DigestClientState;
  #expires: number;
  #cseq = 0;
  #state: RegistrationState = 'idle';
  #generation = 0;
  #failures = 0;
  #timer: ClockTimer | undefined;
  #lapseTimer: ClockTimer | undefined;
  /** Clock time (monotonic ms) until which the registrar holds our binding, as far as we know. */
  #boundUntil: number | undefined;
  #inFlight = false;
  /** Cancels the timeout of the REGISTER in flight and rejects its wait (on stop). */
  #abortWait: (() => void) | undefined;
  #stopping: Promise<boolean> | undefined;

  constructor(options: RegistrationClientOptions) {
    super();
    assertArgument(typeof options.send === 'function', 'send', 'a function');
    const aor = typeof options.aor === 'string' ? parseUri(options.aor) : options.aor;
    assertArgument(aor instanceof SipUri, 'aor', 'a SIP or SIPS URI');
    this.#aor = aor;
    this.#registrar = typeof options.registrar === 'string' ? parseUri(options.registrar) : options.registrar;
    const c = options.contact;
    this.#contact =
      typeof c === 'string' ? parseNameAddr(c) : c instanceof NameAddr ? c.clone() : new NameAddr(c);
    this.#contact.params.delete('expires');
    const expires = options.expires ?? DEFAULTS.expires;
    assertArgument(Number.isInteger(expires) && expires > 0, 'expires', 'a positive integer');
    this.#expires = expires;
    this.#credentials = options.credentials;
    this.#send = options.send;
    this.#clock = options.clock ?? realClock;
    this.#random = options.random ?? cryptoRandom;
    this.#callId = options.callId ?? randomToken(this.#random, 24);
    this.#fromTag = randomToken(this.#random, 10);
    this.#marginSec = options.refreshMarginSec ?? DEFAULTS.refreshMarginSec;
    this.#baseMs = options.retry?.baseMs ?? DEFAULTS.baseMs;
    this.#maxMs = options.retry?.maxMs ?? DEFAULTS.maxMs;
    assertArgument(
      this.#baseMs > 0 && this.#maxMs >= this.#baseMs,
      'retry',
      'baseMs > 0 and maxMs >= baseMs',
    );
    this.#timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    this.#headers = { ...(options.headers ?? {}) };
    this.#preemptive = options.preemptive ?? true;
    this.#auth = createDigestClientState({ random: this.#random });
  }

  get state(): RegistrationState {
    return this.#state;
  }

  /** Seconds currently requested (raised by 423 Min-Expires). */
  get expires(): number {
    return this.#expires;
  }

  get callId(): string {
    return this.#callId;
  }

  /** Consecutive failed attempts. */
  get failures(): number {
    return this.#failures;
  }

  /** Starts registering (again, after a stop). Listeners should be attached first. */
  start(): void {
    if (this.#state !== 'idle' && this.#state !== 'stopped') return;
    this.#stopping = undefined;
    this.#failures = 0;
    void this.#register();
  }

  /**
   * Stops refreshing and removes the binding (Expires: 0) if one may exist.
   * Resolves true when nothing is left registered as far as the client knows.
   * Idempotent.
   */
  stop(): Promise<boolean> {
    if (this.#stopping !== undefined) return this.#stopping;
    this.#stopping = this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<boolean> {
    const state = this.#state;
    const inFlight = this.#inFlight;
    this.#generation++;
    this.#cancelTimers();
    this.#abortWait?.();
    if (state === 'idle' || state === 'stopped') {
      this.#state = 'stopped';
      return true;
    }
    const mayBeBound = inFlight || (this.#boundUntil !== undefined && this.#boundUntil > this.#clock.now());
    if (!mayBeBound) {
      this.#state = 'stopped';
      return true;
    }
    this.#state = 'unregistering';
    const outcome = await this.#attempt(0);
    this.#state = 'stopped';
    this.#boundUntil = undefined;
    if (!outcome.ok) {
      this.safeEmit('failed', outcome.failure);
      return false;
    }
    this.safeEmit('unregistered', { reason: 'stopped' });
    return true;
  }

  async #register(): Promise<void> {
    const generation = this.#generation;
    this.#state = 'registering';
    this.#inFlight = true;
    const outcome = await this.#attempt(this.#expires);
    this.#inFlight = false;
    if (generation !== this.#generation) return;
    const now = this.#clock.now();
    if (outcome.ok) {
      this.#failures = 0;
      this.#cancelTimers();
      this.#boundUntil = now + outcome.expires * 1000;
      this.#state = 'registered';
      const delaySec = Math.max(outcome.expires / 2, outcome.expires - this.#marginSec);
      this.#timer = this.#clock.setTimeout(() => void this.#register(), delaySec * 1000);
      this.safeEmit('registered', {
        expires: outcome.expires,
        contacts: safeContacts(outcome.response),
        response: outcome.response,
      });
      return;
    }
    this.#failures++;
    const backoff = this.#backoff();
    const delayMs = Math.min(this.#maxMs, Math.max(backoff, outcome.retryAfterMs ?? 0));
    this.#state = 'retrying';
    this.#timer?.cancel();
    this.#timer = this.#clock.setTimeout(() => void this.#register(), delayMs);
    if (this.#boundUntil !== undefined && this.#lapseTimer === undefined) {
      const left = this.#boundUntil - now;
      const lapse = () => {
        this.#lapseTimer = undefined;
        this.#boundUntil = undefined;
        this.safeEmit('unregistered', { reason: 'expired' });
      };
      if (left <= 0) lapse();
      else this.#lapseTimer = this.#clock.setTimeout(lapse, left);
    }
    this.safeEmit('failed', outcome.failure);
    this.safeEmit('retrying', { delayMs, attempt: this.#failures });
  }

  /** RFC 5626 §4.5: W = min(max-time, base-time · 2^(failures-1)), then a random point in [W/2, W]. */
  #backoff(): number {
    const w = Math.min(this.#maxMs, this.#baseMs * 2 ** Math.min(this.#failures - 1, 30));
    return Math.round(w * (0.5 + 0.5 * this.#random.next()));
  }

  /** One REGISTER exchange: challenges and 423 answered, until a 2xx or a failure. Never throws. */
  async #attempt(expires: number): Promise<Outcome> {
    const generation = this.#generation;
    let request = this.#build(expires);
    let wanted = expires;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      let response: SipResponse;
      try {
        response = await this.#sendWithTimeout(request);
      } catch (err) {
        const timeout = isStrowgerError(err, 'ERR_TIMEOUT') || isStrowgerError(err, 'ERR_TX_TIMEOUT');
        return {
          ok: false,
          failure: {
            status: undefined,
            reason: timeout ? 'timeout' : 'send failed',
            error: err instanceof Error ? err : new Error(String(err)),
          },
        };
      }
      if (generation !== this.#generation && expires !== 0) {
        return { ok: false, failure: { status: undefined, reason: 'stopped' } };
      }
      const status = response.status;
      if (status >= 200 && status < 300) {
        return { ok: true, response, expires: wanted === 0 ? 0 : this.#granted(response, wanted) };
      }
      if ((status === 401 || status === 407) && this.#credentials !== undefined) {
        try {
          request = answerChallenge(request, response, this.#credentials, this.#auth);
        } catch (err) {
          const reason = err instanceof DigestError ? err.reason : 'malformed-challenge';
          return {
            ok: false,
            failure: {
              status,
              reason: `authentication failed (${reason})`,
              authFailure: reason,
              error: err as Error,
              response,
            },
          };
        }
        request.removeHeader('Via');
        this.#cseq = request.cseq.seq;
        continue;
      }
      if (status === 423 && wanted > 0) {
        const min = readMinExpires(response);
        if (min !== undefined && min > wanted) {
          wanted = min;
          if (expires !== 0) this.#expires = min;
          request = this.#build(min);
          continue;
        }
      }
      return {
        ok: false,
        failure: { status, reason: response.reason || `status ${status}`, response },
        retryAfterMs: readRetryAfterMs(response),
      };
    }
    return { ok: false, failure: { status: undefined, reason: 'too many challenge rounds' } };
  }

  #build(expires: number): SipRequest {
    const from = new NameAddr(this.#aor.clone());
    from.tag = this.#fromTag;
    const request = createRequest({
      method: 'REGISTER',
      uri: this.#registrar.clone(),
      from,
      to: new NameAddr(this.#aor.clone()),
      callId: this.#callId,
      cseq: ++this.#cseq,
      contact: this.#contact,
      headers: { ...this.#headers, Expires: String(expires) },
    });
    if (this.#preemptive && this.#credentials !== undefined) {
      authorizeRequest(request, this.#credentials, this.#auth);
      authorizeRequest(request, this.#credentials, this.#auth, { proxy: true });
    }
    return request;
  }

  /** The expiry the registrar granted our contact: its Contact's expires, else Expires, else what we asked. */
  #granted(response: SipResponse, wanted: number): number {
    for (const c of safeContacts(response)) {
      if (!safeUriEquals(c.uri, this.#contact.uri)) continue;
      const e = c.params.get('expires');
      if (e != null && /^\d+$/.test(e)) return Math.max(1, Number(e));
    }
    try {
      const e = response.expires;
      if (e !== undefined && e > 0) return e;
    } catch {
      // malformed Expires: use what we asked for
    }
    return wanted;
  }

  #sendWithTimeout(request: SipRequest): Promise<SipResponse> {
    return new Promise((resolve, reject) => {
      let done = false;
      const timer = this.#clock.setTimeout(() => {
        if (done) return;
        done = true;
        this.#abortWait = undefined;
        reject(new StrowgerError('ERR_TIMEOUT', `REGISTER got no final response in ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#abortWait = () => {
        if (done) return;
        done = true;
        timer.cancel();
        reject(new StrowgerError('ERR_ABORTED', 'registration client stopped'));
      };
      let sent: Promise<SipResponse>;
      try {
        sent = Promise.resolve(this.#send(request));
      } catch (err) {
        sent = Promise.reject(err);
      }
      sent.then(
        (r) => {
          if (done) return;
          done = true;
          this.#abortWait = undefined;
          timer.cancel();
          resolve(r);
        },
        (err) => {
          if (done) return;
          done = true;
          this.#abortWait = undefined;
          timer.cancel();
          reject(err);
        },
      );
    });
  }

  #cancelTimers(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#lapseTimer?.cancel();
    this.#lapseTimer = undefined;
  }
}

/** Creates a registration client; call `start()` after attaching listeners. */
export function createRegistrationClient(options: RegistrationClientOptions): RegistrationClient {
  return new RegistrationClient(options);
}

function safeContacts(response: SipResponse): NameAddr[] {
  try {
    return response.contacts;
  } catch {
    return [];
  }
}

function safeUriEquals(a: Uri, b: Uri): boolean {
  try {
    return uriEquals(a, b);
  } catch {
    return false;
  }
}

function readMinExpires(response: SipResponse): number | undefined {
  const v = response.getHeader('min-expires');
  if (v === undefined) return undefined;
  try {
    return parseDeltaSeconds('Min-Expires', v);
  } catch {
    return undefined;
  }
}

function readRetryAfterMs(response: SipResponse): number | undefined {
  try {
    const r = response.retryAfter;
    return r === undefined ? undefined : r.seconds * 1000;
  } catch {
    return undefined;
  }
}
