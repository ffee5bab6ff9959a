/**
 * The UserAgent (RFC 3261 §8): one object that owns a transport layer and a
 * transaction layer and acts as UAC and UAS. As UAS core it applies the
 * checks of §8.2 in order — method (405 with Allow, 501 for unknown methods),
 * Request-URI scheme (416), Require (420 with Unsupported), dialog matching
 * (481), authentication, content (415 with Accept, 406) — and hands what
 * remains to the application (`ua.on('INVITE', …)`, `ua.on('MESSAGE', …)`,
 * `ua.onRequest(method, …)`), to the registrar, or to the dialog usage it
 * belongs to (invite sessions, subscriptions). As UAC it starts invite
 * sessions, subscriptions and plain requests, answering 401/407 once with the
 * configured credentials.
 */
import {
  type Clock,
  type ClockTimer,
  cryptoRandom,
  type Random,
  randomToken,
  realClock,
  StrowgerError,
  sleep,
  TypedEmitter,
} from '../../core/index.js';
import type { LocalDescription } from '../../sdp/index.js';
import { type Dialog, dialogKey, SESSION_TIMER_DEFAULTS, type SessionTimerConfig } from '../dialog/index.js';
import {
  type CreateRequestOptions,
  createRequest,
  type HeaderInput,
  NameAddr,
  parseNameAddr,
  parseUri,
  SipParseError,
  type SipRequest,
  type SipResponse,
  SipUri,
  TelUri,
  type Uri,
} from '../message/index.js';
import type {
  ClientInviteTransaction,
  ClientNonInviteTransaction,
  ServerInviteTransaction,
  ServerNonInviteTransaction,
} from '../transaction/index.js';
import { TransactionLayer } from '../transaction/index.js';
import {
  defaultPort,
  type InboundInfo,
  type SipTransport,
  type Target,
  TransportLayer,
  type TransportProtocol,
} from '../transport/index.js';
import type { DigestAuthenticator } from './digest-authenticator.js';
import {
  answerChallenge,
  createDigestClientState,
  type DigestClientState,
  type DigestCredentials,
} from './digest-client.js';
import { SipResponseError } from './errors.js';
import { IncomingRequest, type RequestResponseOptions } from './incoming-request.js';
import { type InviteOptions, InviteSession } from './invite-session.js';
import type { Registrar } from './registrar.js';
import {
  createRegistrationClient,
  type RegistrationClient,
  type RegistrationClientOptions,
} from './registration-client.js';
import { IncomingSubscription, type SubscribeOptions, Subscription } from './subscription.js';

/** Methods RFC 3261 and its extensions define; other methods are unknown (501). */
export const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'INVITE',
  'ACK',
  'CANCEL',
  'BYE',
  'OPTIONS',
  'REGISTER',
  'PRACK',
  'SUBSCRIBE',
  'NOTIFY',
  'PUBLISH',
  'INFO',
  'REFER',
  'MESSAGE',
  'UPDATE',
]);

/** Option tags this UA implements (Supported; a Require of anything else gets 420). */
export const UA_EXTENSIONS = Object.freeze(['100rel', 'timer', 'replaces', 'norefersub'] as const);

export const USER_AGENT_DEFAULTS = Object.freeze({
  user: 'strowger',
  userAgent: 'strowger',
  maxForwards: 70,
  /** How long close() waits for the BYEs and CANCELs it sent, ms. */
  closeTimeoutMs: 2000,
  inviteTimeoutMs: 180_000,
});

export interface UserAgentAuthOptions {
  authenticator: DigestAuthenticator;
  /**
   * Which out-of-dialog requests must authenticate: a list of methods or a
   * predicate. Default: INVITE, SUBSCRIBE, MESSAGE, REFER, PUBLISH (REGISTER
   * is the registrar's, which may own an authenticator). ACK and CANCEL never.
   */
  required?: readonly string[] | ((request: SipRequest) => boolean);
  /** Challenge with 407/Proxy-Authenticate (a B2BUA acting as a proxy). */
  proxy?: boolean;
}

export interface UserAgentOptions {
  /** The transports to use (a TransportLayer is built over them), or a ready TransportLayer. */
  transports?: readonly SipTransport[] | TransportLayer;
  /** A ready transaction layer (then `transports` is ignored). */
  transactions?: TransactionLayer;
  clock?: Clock;
  random?: Random;
  /** Host for Contact and the default From (default: the transport's advertised host). */
  host?: string;
  /** Domain of the default From (default: `host`). */
  domain?: string;
  /** User part of Contact and the default From; default `strowger`. */
  user?: string;
  displayName?: string;
  /** User-Agent (requests) and Server (responses) header; `false` sends none. */
  userAgent?: string | false;
  t1?: number;
  t2?: number;
  t4?: number;
  tryingDelay?: number;
  /**
   * How long an incoming INVITE may wait for `answer()`/`reject()` since it
   * arrived or since our last provisional response before the transaction
   * layer answers 408 and the session ends with reason `timeout` (ms, default
   * 300 000; `Infinity`: forever). Passed to the transaction layer the UA builds.
   */
  inviteServerTimeout?: number;
  /** Checks incoming requests (digest). */
  auth?: UserAgentAuthOptions;
  /** Answers 401/407 to outgoing requests (only for its realms, see answerChallenge). */
  credentials?: DigestCredentials;
  /** Option tags to announce and honour; default all of {@link UA_EXTENSIONS}. */
  supported?: readonly string[];
  /** Session timers (RFC 4028); `false` turns them off. Active only while `timer` is supported. */
  sessionTimers?: false | Partial<SessionTimerConfig>;
  /** Handle REGISTER with this registrar (else 405). */
  registrar?: Registrar;
  /** Default media capabilities for offers and answers the UA makes by itself. */
  media?: LocalDescription;
  /** Send every out-of-dialog request here (a loose route is added). */
  outboundProxy?: string | Uri;
  /** Maps a URI to a next hop (RFC 3263 is not implemented: the default takes host, port and transport from the URI). */
  resolve?: (uri: Uri) => Target;
  /** Content types accepted in INVITE bodies; default `['application/sdp']`. */
  accept?: readonly string[];
  /**
   * An outgoing INVITE still unanswered after this long is cancelled and
   * rejects with ERR_TIMEOUT (a UA has no Timer C; default 180 000 ms).
   */
  inviteTimeoutMs?: number;
}

/** A raw handler: the request and its server transaction; it must respond. */
export type RequestHandler = (
  request: SipRequest,
  transaction: ServerInviteTransaction | ServerNonInviteTransaction,
) => void | Promise<void>;

export type UserAgentEvents = {
  /** A new call. Answer with `ring()`/`progress()`/`answer()`/`reject()`/`redirect()`. */
  INVITE: [session: InviteSession];
  MESSAGE: [request: IncomingRequest];
  /** Overrides the default 200 with Allow/Accept/Supported. */
  OPTIONS: [request: IncomingRequest];
  SUBSCRIBE: [subscription: IncomingSubscription];
  /** REFER outside a dialog. */
  REFER: [request: IncomingRequest];
  /** NOTIFY matching no subscription. */
  NOTIFY: [request: IncomingRequest];
  PUBLISH: [request: IncomingRequest];
  /** Any other method, unknown ones included (they are answered 501 without a listener). */
  request: [request: IncomingRequest];
  /** Every invite session, incoming or outgoing, when it is created. */
  session: [session: InviteSession];
  /** Trouble nobody else can see (a failed send, a listener that threw). */
  error: [error: Error];
  close: [];
};

/** Something that owns a dialog and takes its in-dialog requests. */
export interface DialogUsage {
  /** @internal */ _onRequest(tx: ServerInviteTransaction | ServerNonInviteTransaction, dialog: Dialog): void;
  /** @internal */ _onAck?(ack: SipRequest, inbound: InboundInfo): void;
}

const DEFAULT_AUTH_METHODS = ['INVITE', 'SUBSCRIBE', 'MESSAGE', 'REFER', 'PUBLISH'];
const EVENT_METHODS = new Set(['MESSAGE', 'OPTIONS', 'REFER', 'NOTIFY', 'PUBLISH']);
/** Methods that only make sense inside a dialog: outside one they get 481 (§12.2.2, §15.1.2). */
const DIALOG_ONLY = new Set(['BYE', 'PRACK', 'UPDATE', 'INFO']);

export class UserAgent extends TypedEmitter<UserAgentEvents> {
  readonly transport: TransportLayer;
  readonly transactions: TransactionLayer;
  readonly clock: Clock;
  readonly random: Random;
  readonly user: string;
  readonly host: string;
  readonly domain: string;
  readonly displayName: string | undefined;
  readonly userAgentHeader: string | undefined;
  readonly supported: readonly string[];
  readonly sessionTimers: SessionTimerConfig | undefined;
  readonly credentials: DigestCredentials | undefined;
  readonly registrar: Registrar | undefined;
  readonly media: LocalDescription | undefined;
  readonly accept: readonly string[];
  readonly inviteTimeoutMs: number;
  readonly #auth: UserAgentAuthOptions | undefined;
  readonly #ownsTransport: boolean;
  readonly #ownsTransactions: boolean;
  readonly #resolve: ((uri: Uri) => Target) | undefined;
  readonly #outboundProxy: Uri | undefined;
  readonly #handlers = new Map<string, RequestHandler>();
  readonly #dialogs = new Map<string, { dialog: Dialog; owner: DialogUsage }>();
  /** UAC sessions by Call-ID + local tag (stray 2xx, forks after the transaction ended). */
  readonly #uacSessions = new Map<string, InviteSession>();
  /** Timers of the unanswered UAC sessions still taking late 2xx ({@link _lingerUacSession}). */
  readonly #lingering = new Set<ClockTimer>();
  /** Subscriptions waiting for their first NOTIFY or 2xx, by Call-ID + local tag. */
  readonly #pendingSubscriptions = new Map<string, Subscription>();
  readonly #sessions = new Set<InviteSession>();
  /** Answers to BYEs held by EndedInfo.holdAnswer: sent at once when the UA closes. */
  readonly #heldAnswers = new Set<() => void>();
  readonly #subscriptions = new Set<Subscription | IncomingSubscription>();
  readonly #registrations = new Set<RegistrationClient>();
  readonly #digest = new Map<string, DigestClientState>();
  readonly #flows = new WeakMap<Dialog, { protocol: TransportProtocol; connectionId: string }>();
  readonly #off: () => void;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: UserAgentOptions) {
    super();
    if (options.transactions) {
      this.transactions = options.transactions;
      this.transport = options.transactions.transport;
      this.#ownsTransport = false;
      this.#ownsTransactions = false;
    } else {
      const t = options.transports;
      if (t === undefined)
        throw new StrowgerError('ERR_INVALID_ARGUMENT', 'createUserAgent needs transports or transactions');
      if (t instanceof TransportLayer) {
        this.transport = t;
        this.#ownsTransport = false;
      } else {
        this.transport = new TransportLayer({ transports: t, clock: options.clock ?? realClock });
        this.#ownsTransport = true;
      }
      this.transactions = new TransactionLayer({
        transport: this.transport,
        clock: options.clock ?? this.transport.clock,
        random: options.random ?? cryptoRandom,
        ...(options.t1 === undefined ? {} : { t1: options.t1 }),
        ...(options.t2 === undefined ? {} : { t2: options.t2 }),
        ...(options.t4 === undefined ? {} : { t4: options.t4 }),
        ...(options.tryingDelay === undefined ? {} : { tryingDelay: options.tryingDelay }),
        ...(options.inviteServerTimeout === undefined
          ? {}
          : { inviteServerTimeout: options.inviteServerTimeout }),
      });
      this.#ownsTransactions = true;
    }
    this.clock = options.clock ?? this.transactions.clock;
    this.random = options.random ?? this.transactions.random;
    const first = this.transport.transports[0];
    this.host = options.host ?? first?.advertisedHost ?? '127.0.0.1';
    this.domain = options.domain ?? this.host;
    this.user = options.user ?? USER_AGENT_DEFAULTS.user;
    this.displayName = options.displayName;
    this.userAgentHeader =
      options.userAgent === false ? undefined : (options.userAgent ?? USER_AGENT_DEFAULTS.userAgent);
    this.supported = options.supported ?? [...UA_EXTENSIONS];
    this.sessionTimers =
      options.sessionTimers === false || !this.supported.includes('timer')
        ? undefined
        : { ...SESSION_TIMER_DEFAULTS, ...(options.sessionTimers ?? {}) };
    this.credentials = options.credentials;
    this.registrar = options.registrar;
    this.media = options.media;
    this.accept = options.accept ?? ['application/sdp'];
    this.inviteTimeoutMs = options.inviteTimeoutMs ?? USER_AGENT_DEFAULTS.inviteTimeoutMs;
    this.#auth = options.auth;
    this.#resolve = options.resolve;
    this.#outboundProxy =
      options.outboundProxy === undefined
        ? undefined
        : typeof options.outboundProxy === 'string'
          ? parseUri(options.outboundProxy)
          : options.outboundProxy;

    const onRequest = (tx: ServerInviteTransaction | ServerNonInviteTransaction) => this.#onRequest(tx);
    const onAck = (ack: SipRequest, inbound: InboundInfo) => this.#onAck(ack, inbound);
    const onStray = (res: SipResponse) => this.#onStray(res);
    const onError = (err: Error) => this.emit('error', err);
    this.transactions.on('request', onRequest);
    this.transactions.on('ack', onAck);
    this.transactions.on('strayResponse', onStray);
    this.transactions.on('error', onError);
    this.#off = () => {
      this.transactions.off('request', onRequest);
      this.transactions.off('ack', onAck);
      this.transactions.off('strayResponse', onStray);
      this.transactions.off('error', onError);
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Live invite sessions. */
  get sessions(): ReadonlySet<InviteSession> {
    return this.#sessions;
  }

  /** Live dialogs (invite sessions and subscriptions). */
  get dialogCount(): number {
    return this.#dialogs.size;
  }

  /** The methods this UA answers (the Allow header). */
  get allow(): string[] {
    const out = ['ACK', 'CANCEL', 'BYE', 'OPTIONS', 'PRACK', 'UPDATE', 'INFO', 'REFER', 'NOTIFY'];
    if (this.listenerCount('INVITE') > 0 || this.#handlers.has('INVITE')) out.unshift('INVITE');
    for (const m of ['MESSAGE', 'SUBSCRIBE', 'PUBLISH'])
      if (this.listenerCount(m as keyof UserAgentEvents) > 0 || this.#handlers.has(m)) out.push(m);
    if (this.registrar || this.#handlers.has('REGISTER')) out.push('REGISTER');
    return out;
  }

  /** Registers a raw handler for a method (it takes precedence over the events and the built-in handling). */
  onRequest(method: string, handler: RequestHandler): this {
    this.#handlers.set(method.toUpperCase() === method ? method : method, handler);
    return this;
  }

  offRequest(method: string): this {
    this.#handlers.delete(method);
    return this;
  }

  // ---- UAC -------------------------------------------------------------------------------

  /**
   * Starts a call and returns its session at once (state `calling`), so that
   * `ringing`/`progress` can be observed; `session.established` settles with
   * the outcome. See {@link invite} for the promise-only form.
   */
  call(target: string | Uri, options: InviteOptions = {}): InviteSession {
    this.#assertOpen();
    const session = InviteSession._outgoing(
      this,
      typeof target === 'string' ? parseUri(target) : target,
      options,
    );
    return session;
  }

  /**
   * Calls `target`; resolves with the established session on a 2xx, rejects
   * with {@link SipResponseError} on a non-2xx (`ERR_ABORTED` with the 487
   * after `signal` aborted), or with the transaction's error (timeout,
   * transport).
   */
  invite(target: string | Uri, options: InviteOptions = {}): Promise<InviteSession> {
    try {
      return this.call(target, options).established;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Sends one out-of-dialog request (OPTIONS, MESSAGE, …) and resolves with
   * its final response (any status; 401/407 answered once).
   */
  async request(
    method: string,
    target: string | Uri,
    options: {
      body?: string | Uint8Array;
      contentType?: string;
      headers?: ReadonlyArray<readonly [string, HeaderInput]>;
      from?: string | NameAddr;
      to?: string | NameAddr;
      auth?: DigestCredentials | false;
    } = {},
  ): Promise<SipResponse> {
    this.#assertOpen();
    if (method === 'INVITE' || method === 'ACK' || method === 'CANCEL')
      throw new StrowgerError('ERR_INVALID_ARGUMENT', `use invite() for ${method}`);
    const uri = typeof target === 'string' ? parseUri(target) : target;
    const req = this._createRequest(method, uri, {
      ...(options.from === undefined ? {} : { from: options.from }),
      ...(options.to === undefined ? {} : { to: options.to }),
      headers: options.headers ?? [],
      ...(options.body === undefined
        ? {}
        : { body: options.body, contentType: options.contentType ?? 'text/plain' }),
    });
    return this._sendAuthenticated(req, this._outOfDialogTarget(uri), options.auth);
  }

  /** OPTIONS to `target` (keep-alive / qualify); resolves with the final response. */
  options(target: string | Uri, options: { headers?: ReadonlyArray<readonly [string, HeaderInput]> } = {}) {
    return this.request('OPTIONS', target, {
      headers: [['Accept', 'application/sdp'], ...(options.headers ?? [])],
    });
  }

  /** MESSAGE (RFC 3428) to `target`; rejects with SipResponseError on a non-2xx. */
  async message(target: string | Uri, body: string, contentType = 'text/plain'): Promise<SipResponse> {
    const res = await this.request('MESSAGE', target, { body, contentType });
    if (res.status >= 300) throw new SipResponseError(res);
    return res;
  }

  /** Subscribes to `event` at `target` (RFC 6665); resolves once the SUBSCRIBE is accepted. */
  subscribe(target: string | Uri, event: string, options: SubscribeOptions = {}): Promise<Subscription> {
    this.#assertOpen();
    const sub = new Subscription(
      this,
      typeof target === 'string' ? parseUri(target) : target,
      event,
      options,
    );
    return sub._start();
  }

  /**
   * Keeps this UA registered (RFC 3261 §10.2) through the registration
   * client, sending each REGISTER as a client transaction of this UA.
   */
  register(
    options: Omit<RegistrationClientOptions, 'send' | 'clock' | 'random' | 'contact'> & {
      contact?: RegistrationClientOptions['contact'];
    },
  ): RegistrationClient {
    this.#assertOpen();
    const registrar = typeof options.registrar === 'string' ? parseUri(options.registrar) : options.registrar;
    const target = this._target(registrar);
    const reg = createRegistrationClient({
      ...options,
      contact: options.contact ?? `<${this.contactUri(target.protocol).toString()}>`,
      clock: this.clock,
      random: this.random,
      ...(options.credentials === undefined && this.credentials ? { credentials: this.credentials } : {}),
      headers: {
        ...(this.userAgentHeader ? { 'User-Agent': this.userAgentHeader } : {}),
        ...(options.headers ?? {}),
      },
      send: (request) => {
        const tx = this.transactions.sendRequest(request, this._outOfDialogTarget(registrar));
        return tx.finalResponse;
      },
    });
    this.#registrations.add(reg);
    reg.start();
    return reg;
  }

  /**
   * Ends every session (BYE, or CANCEL while calling), terminates
   * subscriptions and registrations, waits up to `closeTimeoutMs` for those
   * requests to be answered, then closes the transaction layer and (when this
   * UA built it) the transport layer. Idempotent.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closing = this.#close(options.timeoutMs ?? USER_AGENT_DEFAULTS.closeTimeoutMs);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    for (const send of [...this.#heldAnswers]) send();
    const waits: Promise<unknown>[] = [];
    for (const s of [...this.#sessions]) waits.push(s._shutdown());
    for (const s of [...this.#subscriptions]) waits.push(s._shutdown());
    for (const r of [...this.#registrations]) waits.push(r.stop().catch(() => undefined));
    if (waits.length > 0) {
      const all = Promise.allSettled(waits);
      const timer = new AbortController();
      await Promise.race([all, sleep(this.clock, timeoutMs, timer.signal).catch(() => undefined)]);
      timer.abort();
    }
    this.#closed = true;
    for (const s of [...this.#sessions]) s._destroy();
    for (const s of [...this.#subscriptions]) s._destroy();
    this.#off();
    if (this.#ownsTransactions) this.transactions.close();
    if (this.#ownsTransport) await this.transport.close();
    this.#dialogs.clear();
    for (const t of this.#lingering) t.cancel();
    this.#lingering.clear();
    this.#uacSessions.clear();
    this.#pendingSubscriptions.clear();
    this.emit('close');
  }

  // ---- helpers shared with sessions and subscriptions (internal) -------------------------

  /** Our Contact URI for a protocol. */
  contactUri(protocol: TransportProtocol = 'UDP'): SipUri {
    const t = this.transport.transportFor(protocol) ?? this.transport.transports[0];
    const uri = new SipUri({
      user: this.user,
      host: this.host,
      ...(t && t.local.port !== 0 ? { port: t.local.port } : {}),
    });
    if (t && t.protocol !== 'UDP') uri.params.set('transport', t.protocol.toLowerCase());
    return uri;
  }

  /** The next hop for a URI (RFC 3263 not implemented: host, port and transport parameter). */
  _target(uri: Uri): Target {
    if (this.#resolve) return this.#resolve(uri);
    if (!(uri instanceof SipUri))
      throw new StrowgerError('ERR_INVALID_ARGUMENT', `cannot route to ${uri.toString()}: not a SIP URI`);
    const param = uri.params.get('transport');
    let protocol: TransportProtocol;
    if (uri.isSecure)
      protocol = param?.toLowerCase() === 'ws' || param?.toLowerCase() === 'wss' ? 'WSS' : 'TLS';
    else if (typeof param === 'string') protocol = param.toUpperCase() as TransportProtocol;
    else
      protocol = this.transport.transportFor('UDP')
        ? 'UDP'
        : (this.transport.transports[0]?.protocol ?? 'UDP');
    const host = uri.params.get('maddr') ?? uri.host;
    return {
      address: typeof host === 'string' ? host : uri.host,
      port: uri.port ?? defaultPort(protocol),
      protocol,
    };
  }

  /** Where an out-of-dialog request goes: the outbound proxy, else the Request-URI. */
  _outOfDialogTarget(uri: Uri): Target {
    return this._target(this.#outboundProxy ?? uri);
  }

  /**
   * Where an in-dialog request goes: the first route, else the remote target;
   * over the connection the dialog came in on when it used a stream transport
   * (a phone behind NAT is only reachable that way).
   */
  _dialogTarget(dialog: Dialog): Target {
    const target = this._target(dialog.nextHopUri());
    const flow = this.#flows.get(dialog);
    if (flow && flow.protocol === target.protocol && flow.connectionId !== undefined)
      return { ...target, connectionId: flow.connectionId };
    return target;
  }

  /** @internal Remembers the connection a dialog-creating request arrived on. */
  _setFlow(dialog: Dialog, inbound: InboundInfo): void {
    if (inbound.connectionId !== undefined)
      this.#flows.set(dialog, { protocol: inbound.transport.protocol, connectionId: inbound.connectionId });
  }

  /** Builds an out-of-dialog request from this UA (From with a fresh tag, a new Call-ID). */
  _createRequest(
    method: string,
    uri: Uri,
    options: {
      from?: string | NameAddr;
      to?: string | NameAddr;
      callId?: string;
      cseq?: number;
      headers?: CreateRequestOptions['headers'];
      body?: string | Uint8Array;
      contentType?: string;
      contact?: boolean;
    } = {},
  ): SipRequest {
    const from = options.from === undefined ? this.#defaultFrom() : toNameAddr(options.from);
    if (from.tag === undefined) from.tag = randomToken(this.random, 10);
    const to = options.to === undefined ? new NameAddr(uri.clone()) : toNameAddr(options.to);
    const target = this._outOfDialogTarget(uri);
    const headers: Array<readonly [string, HeaderInput]> = [];
    if (this.#outboundProxy) {
      const route = this.#outboundProxy.clone();
      if (route instanceof SipUri && !route.params.has('lr')) route.params.set('lr');
      headers.push(['Route', `<${route.toString()}>`]);
    }
    const extra = options.headers;
    if (extra) {
      if (Array.isArray(extra)) headers.push(...(extra as ReadonlyArray<readonly [string, HeaderInput]>));
      else
        for (const [k, v] of Object.entries(extra))
          for (const x of [v].flat()) headers.push([k, x as HeaderInput]);
    }
    this._decorate(headers, method);
    return createRequest({
      method,
      uri,
      from,
      to,
      callId: options.callId ?? `${randomToken(this.random, 20)}@${this.host}`,
      cseq: options.cseq ?? 1,
      ...(options.contact === false ? {} : { contact: new NameAddr(this.contactUri(target.protocol)) }),
      headers,
      ...(options.body === undefined ? {} : { body: options.body, contentType: options.contentType }),
    });
  }

  /** Adds User-Agent, Allow and Supported where they belong. */
  _decorate(headers: Array<readonly [string, HeaderInput]>, method: string, response = false): void {
    const has = (n: string) => headers.some(([k]) => k.toLowerCase() === n);
    if (this.userAgentHeader && !response && !has('user-agent'))
      headers.push(['User-Agent', this.userAgentHeader]);
    if (
      (method === 'INVITE' ||
        method === 'UPDATE' ||
        method === 'OPTIONS' ||
        method === 'SUBSCRIBE' ||
        method === 'REFER') &&
      !has('allow')
    )
      headers.push(['Allow', this.allow.join(', ')]);
    if (method !== 'ACK' && method !== 'CANCEL' && this.supported.length > 0 && !has('supported'))
      headers.push(['Supported', this.supported.join(', ')]);
  }

  /** Headers every response of ours carries (Server). */
  _responseHeaders(): Array<[string, string]> {
    return this.userAgentHeader ? [['Server', this.userAgentHeader]] : [];
  }

  /** The digest client state for a peer (by Request-URI host). */
  _digestState(key: string): DigestClientState {
    let s = this.#digest.get(key);
    if (!s) {
      s = createDigestClientState();
      this.#digest.set(key, s);
    }
    return s;
  }

  /**
   * Sends a non-INVITE request as a client transaction and resolves with its
   * final response, answering one 401/407 with the credentials (a new
   * transaction: new branch, CSeq + 1). `onResend` learns the new request
   * (an in-dialog request moves the dialog's CSeq).
   */
  async _sendAuthenticated(
    request: SipRequest,
    target: Target,
    credentials?: DigestCredentials | false,
    onResend?: (request: SipRequest) => void,
  ): Promise<SipResponse> {
    const tx = this.transactions.sendRequest(request, target) as
      | ClientNonInviteTransaction
      | ClientInviteTransaction;
    const res = await tx.finalResponse;
    const creds = credentials === false ? undefined : (credentials ?? this.credentials);
    if ((res.status === 401 || res.status === 407) && creds) {
      const retry = this._answerChallenge(request, res, creds);
      if (!retry) return res;
      onResend?.(retry);
      return (this.transactions.sendRequest(retry, target) as ClientNonInviteTransaction).finalResponse;
    }
    return res;
  }

  /** answerChallenge with the Via removed (the new transaction adds its own); undefined when it cannot be answered. */
  _answerChallenge(
    request: SipRequest,
    response: SipResponse,
    credentials: DigestCredentials,
  ): SipRequest | undefined {
    try {
      const key = request.uri instanceof SipUri ? request.uri.host : request.uri.toString();
      const next = answerChallenge(request, response, credentials, this._digestState(key));
      next.removeHeader('Via');
      return next;
    } catch {
      return undefined;
    }
  }

  /** @internal */
  _registerDialog(dialog: Dialog, owner: DialogUsage): void {
    this.#dialogs.set(dialog.key, { dialog, owner });
  }

  /** @internal */
  _unregisterDialog(dialog: Dialog, owner?: DialogUsage): void {
    const e = this.#dialogs.get(dialog.key);
    if (e && (owner === undefined || e.owner === owner)) this.#dialogs.delete(dialog.key);
  }

  /** @internal */
  _findDialog(
    callId: string,
    localTag: string,
    remoteTag: string,
  ): { dialog: Dialog; owner: DialogUsage } | undefined {
    return this.#dialogs.get(dialogKey({ callId, localTag, remoteTag }));
  }

  /** @internal */
  _trackSession(session: InviteSession, uacKey?: string): void {
    this.#sessions.add(session);
    if (uacKey) this.#uacSessions.set(uacKey, session);
  }

  /** @internal */
  /** @internal A held answer to a BYE (EndedInfo.holdAnswer); `send` unregisters itself. */
  _holdAnswer(send: () => void): void {
    if (this.#closing) send();
    else this.#heldAnswers.add(send);
  }

  /** @internal */
  _releaseAnswer(send: () => void): void {
    this.#heldAnswers.delete(send);
  }

  _untrackSession(session: InviteSession, uacKey?: string): void {
    this.#sessions.delete(session);
    if (uacKey && this.#uacSessions.get(uacKey) === session) this.#uacSessions.delete(uacKey);
  }

  /**
   * @internal A UAC session that ended unanswered (its INVITE timed out or was cancelled)
   * still takes stray 2xx responses for `ms` — to ACK and BYE a callee that answered late.
   */
  _lingerUacSession(session: InviteSession, uacKey: string, ms: number): void {
    if (this.#closing) return;
    this.#uacSessions.set(uacKey, session);
    const timer = this.clock.setTimeout(() => {
      this.#lingering.delete(timer);
      if (this.#uacSessions.get(uacKey) === session) this.#uacSessions.delete(uacKey);
    }, ms);
    this.#lingering.add(timer);
  }

  /** @internal */
  _trackSubscription(sub: Subscription | IncomingSubscription, pendingKey?: string): void {
    this.#subscriptions.add(sub);
    if (pendingKey && sub instanceof Subscription) this.#pendingSubscriptions.set(pendingKey, sub);
  }

  /** @internal */
  _untrackSubscription(sub: Subscription | IncomingSubscription, pendingKey?: string): void {
    this.#subscriptions.delete(sub);
    if (pendingKey) this.#unpend(pendingKey, sub);
  }

  /** @internal */
  _unpendSubscription(key: string, sub: Subscription): void {
    this.#unpend(key, sub);
  }

  #unpend(key: string, sub: Subscription | IncomingSubscription): void {
    if (this.#pendingSubscriptions.get(key) === sub) this.#pendingSubscriptions.delete(key);
  }

  /** Finds the dialog an incoming INVITE's Replaces header names (RFC 3891 §3), either orientation. */
  _findReplaced(callId: string, toTag: string, fromTag: string): InviteSession | undefined {
    const a = this._findDialog(callId, toTag, fromTag) ?? this._findDialog(callId, fromTag, toTag);
    return a?.owner instanceof InviteSession ? a.owner : undefined;
  }

  /** @internal Reports an error nobody awaits. */
  _report(err: unknown): void {
    this.emit('error', err instanceof Error ? err : new Error(String(err)));
  }

  #assertOpen(): void {
    if (this.#closed || this.#closing) throw new StrowgerError('ERR_CLOSED', 'the user agent is closed');
  }

  #defaultFrom(): NameAddr {
    const uri = new SipUri({ user: this.user, host: this.domain });
    const na = new NameAddr(uri);
    if (this.displayName !== undefined) na.displayName = this.displayName;
    return na;
  }

  // ---- UAS core ------------------------------------------------------------------------

  #respond(
    tx: ServerInviteTransaction | ServerNonInviteTransaction,
    status: number,
    headers: Array<[string, string]> = [],
    reason?: string,
  ): void {
    if (tx.terminated || tx.finalStatus !== undefined) return;
    try {
      tx.respond(status, {
        headers: [...headers, ...this._responseHeaders()],
        ...(reason ? { reason } : {}),
      });
    } catch (err) {
      this._report(err);
    }
  }

  #onRequest(tx: ServerInviteTransaction | ServerNonInviteTransaction): void {
    if (this.#closing) {
      this.#respond(tx, 503, [], 'Shutting Down');
      return;
    }
    try {
      this.#route(tx);
    } catch (err) {
      if (err instanceof SipParseError)
        this.#respond(tx, 400, [], `Bad Request (${safeReason(err.message)})`);
      else {
        this._report(err);
        this.#respond(tx, 500);
      }
    }
  }

  #route(tx: ServerInviteTransaction | ServerNonInviteTransaction): void {
    const req = tx.request;
    const method = req.method;
    const raw = this.#handlers.get(method);
    const known = KNOWN_METHODS.has(method);
    // §8.2.1: a method nobody implements
    if (!known && !raw && this.listenerCount('request') === 0) {
      this.#respond(tx, 501, [['Allow', this.allow.join(', ')]]);
      return;
    }
    // §8.2.2.1: the Request-URI scheme
    if (!(req.uri instanceof SipUri || req.uri instanceof TelUri)) {
      this.#respond(tx, 416);
      return;
    }
    // §8.2.2.3: Require (a registrar checks its own: path, outbound)
    if (!(method === 'REGISTER' && this.registrar)) {
      const unsupported = req.require.filter((t) => !this.supported.includes(t));
      if (unsupported.length > 0) {
        this.#respond(tx, 420, [['Unsupported', unsupported.join(', ')]]);
        return;
      }
    }
    // §12.2.2: in-dialog requests
    const toTag = req.toTag;
    if (toTag !== undefined) {
      const fromTag = req.fromTag ?? '';
      const hit = this._findDialog(req.callId, toTag, fromTag);
      if (hit) {
        hit.owner._onRequest(tx, hit.dialog);
        return;
      }
      if (method === 'NOTIFY') {
        const sub = this.#pendingSubscriptions.get(`${req.callId}\u0000${toTag}`);
        if (sub) {
          sub._onFirstNotify(tx);
          return;
        }
      }
      if (!raw) {
        this.#respond(tx, 481);
        return;
      }
    }
    if (raw) {
      this.#authenticateThen(tx, () => raw(req, tx));
      return;
    }
    if (DIALOG_ONLY.has(method)) {
      this.#respond(tx, 481);
      return;
    }
    switch (method) {
      case 'INVITE':
        if (this.listenerCount('INVITE') === 0) {
          this.#notAllowed(tx);
          return;
        }
        this.#authenticateThen(tx, () => this.#onInvite(tx as ServerInviteTransaction));
        return;
      case 'REGISTER': {
        const registrar = this.registrar;
        if (!registrar) {
          this.#notAllowed(tx);
          return;
        }
        this.#authenticateThen(tx, async (user) => {
          const res = await registrar.handle(req, {
            ...(user === undefined ? {} : { user }),
            source: {
              transport: tx.inbound.transport.protocol,
              address: tx.inbound.remote.address,
              port: tx.inbound.remote.port,
              ...(tx.inbound.connectionId === undefined ? {} : { connectionId: tx.inbound.connectionId }),
            },
          });
          if (!tx.terminated && tx.finalStatus === undefined) tx.respond(res);
        });
        return;
      }
      case 'SUBSCRIBE':
        if (this.listenerCount('SUBSCRIBE') === 0) {
          this.#notAllowed(tx);
          return;
        }
        this.#authenticateThen(tx, () => {
          const sub = new IncomingSubscription(this, tx as ServerNonInviteTransaction);
          if (sub._validate()) this.emit('SUBSCRIBE', sub);
        });
        return;
      case 'OPTIONS':
        if (this.listenerCount('OPTIONS') === 0) {
          this.#respond(tx, 200, [
            ['Allow', this.allow.join(', ')],
            ['Accept', this.accept.join(', ')],
            ['Supported', this.supported.join(', ')],
          ]);
          return;
        }
        break;
      case 'ACK':
      case 'CANCEL':
        return; // never reach here (the transaction layer owns them)
    }
    const event = EVENT_METHODS.has(method) ? (method as 'MESSAGE') : 'request';
    if (this.listenerCount(event) === 0) {
      if (method === 'NOTIFY') this.#respond(tx, 481);
      else if (known) this.#notAllowed(tx);
      else this.#respond(tx, 501, [['Allow', this.allow.join(', ')]]);
      return;
    }
    this.#authenticateThen(tx, (user) => {
      const incoming = new IncomingRequest(this, tx, user);
      this.emit(event, incoming);
    });
  }

  #notAllowed(tx: ServerInviteTransaction | ServerNonInviteTransaction): void {
    this.#respond(tx, 405, [['Allow', this.allow.join(', ')]]);
  }

  #authRequired(req: SipRequest): boolean {
    const auth = this.#auth;
    if (!auth) return false;
    const r = auth.required ?? DEFAULT_AUTH_METHODS;
    return typeof r === 'function' ? r(req) : r.includes(req.method);
  }

  /** Runs `then` with the authenticated user (or undefined when none is required); answers the challenge otherwise. */
  #authenticateThen(
    tx: ServerInviteTransaction | ServerNonInviteTransaction,
    then: (user: string | undefined) => void | Promise<void>,
  ): void {
    const fail = (err: unknown) => {
      this._report(err);
      this.#respond(tx, 500);
    };
    const run = (user: string | undefined) => {
      try {
        const r = then(user);
        if (r && typeof (r as Promise<void>).then === 'function') (r as Promise<void>).catch(fail);
      } catch (err) {
        if (err instanceof SipParseError)
          this.#respond(tx, 400, [], `Bad Request (${safeReason(err.message)})`);
        else fail(err);
      }
    };
    const auth = this.#auth;
    if (!auth || !this.#authRequired(tx.request)) {
      run(undefined);
      return;
    }
    auth.authenticator.verify(tx.request, { proxy: auth.proxy ?? false }).then((v) => {
      if (tx.terminated || tx.finalStatus !== undefined) return;
      if (!v.ok) {
        tx.respond(v.response);
        return;
      }
      run(v.user);
    }, fail);
  }

  #onInvite(tx: ServerInviteTransaction): void {
    const req = tx.request;
    // §8.2.3: content
    const body = req.body.length > 0;
    const ct = req.contentType;
    if (body && ct && !this.accept.some((a) => a.toLowerCase() === ct.essence)) {
      this.#respond(tx, 415, [['Accept', this.accept.join(', ')]]);
      return;
    }
    const accepts = req.accept;
    if (
      accepts.length > 0 &&
      !accepts.some(
        (a) => a.essence === 'application/sdp' || a.essence === '*/*' || a.essence === 'application/*',
      )
    ) {
      this.#respond(tx, 406, [['Accept', this.accept.join(', ')]]);
      return;
    }
    if (req.contacts.length === 0) {
      this.#respond(tx, 400, [], 'Bad Request (no Contact)');
      return;
    }
    const session = InviteSession._incoming(this, tx);
    if (!session) return; // rejected while being set up (422, 481, 488 …)
    this.emit('session', session);
    this.emit('INVITE', session);
  }

  #onAck(ack: SipRequest, inbound: InboundInfo): void {
    let toTag: string | undefined;
    let fromTag: string | undefined;
    try {
      toTag = ack.toTag;
      fromTag = ack.fromTag;
    } catch {
      return;
    }
    if (toTag === undefined) return;
    const hit = this._findDialog(ack.callId, toTag, fromTag ?? '');
    hit?.owner._onAck?.(ack, inbound);
  }

  #onStray(res: SipResponse): void {
    let key: string;
    try {
      key = `${res.callId}\u0000${res.fromTag ?? ''}`;
    } catch {
      return;
    }
    this.#uacSessions.get(key)?._onStray2xx(res);
  }
}

/** Creates a {@link UserAgent}. */
export function createUserAgent(options: UserAgentOptions): UserAgent {
  return new UserAgent(options);
}

function toNameAddr(v: string | NameAddr): NameAddr {
  if (typeof v !== 'string') return v.clone();
  return v.includes('<') ? parseNameAddr(v) : new NameAddr(parseUri(v));
}

function safeReason(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, ' ').slice(0, 100);
}

export type { RequestResponseOptions };
