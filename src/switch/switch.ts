/**
 * The switch core: one UserAgent (registrar for the users, digest authentication, a
 * B2BUA for their calls), an optional media engine (absent: signalling only), a Storage
 * for CDRs, the trunks, and the calls in progress. `createSwitchCore()` takes ready
 * transports, engine and storage and owns them from then on: `close()` ends every call
 * (CDRs written), unregisters, and closes the UA, the transports, the engine and the
 * storage. `configure()` applies new users, routes, trunks and applications without
 * touching calls in progress; `drain()` refuses new calls with 503 and closes once the
 * calls have ended or the drain time is up.
 *
 * Authentication: REGISTER is challenged with 401 (the registrar, realm `sip.realm`);
 * an INVITE from a user with 407 Proxy-Authenticate, as a proxy would (the switch is the
 * phones' outbound proxy); an INVITE from a trunk's address is the trunk's and is not
 * challenged. Failures other than a missing Authorization are reported as `authFailure`
 * events (the api layer logs them in the fail2ban format).
 */
import {
  type Clock,
  cryptoRandom,
  type Random,
  realClock,
  StrowgerError,
  sleep,
  TypedEmitter,
} from '../core/index.js';
import type { MediaEngine } from '../media/worker/index.js';
import { type SipRequest, SipUri, type Uri, unescapeUri } from '../sip/message/index.js';
import { TransactionLayer } from '../sip/transaction/index.js';
import {
  defaultPort,
  type InboundInfo,
  type SipTransport,
  type Target,
  TransportLayer,
  type TransportProtocol,
} from '../sip/transport/index.js';
import {
  type Binding,
  type BindingsChange,
  createDigestAuthenticator,
  createUserAgent,
  type DigestAlgorithm,
  type DigestAuthenticator,
  type DigestFailureReason,
  type InviteSession,
  type UserAgent,
} from '../sip/ua/index.js';
import { Call, type CallContext, type CallEndInfo } from './call.js';
import { type CallSource, Directory } from './directory.js';
import { Location } from './location.js';
import { SILENT_LOGGER, type SwitchLogger } from './logger.js';
import { pooledCryptoRandom } from './random-pool.js';
import type { SwitchReloadable, SwitchSettings, SwitchUser } from './settings.js';
import type { CallDirection, CdrParty, Storage } from './storage/index.js';
import { TrunkManager, type TrunkRegistrationEvent, trunkCredentials } from './trunks.js';

export interface SwitchCoreOptions {
  settings: SwitchSettings;
  /** Listening SIP transports (owned from now on). */
  transports: readonly SipTransport[];
  /** The media engine (owned). Absent: signalling only — SDP passes through, nothing is anchored. */
  engine?: MediaEngine;
  /** Where CDRs go (owned). */
  storage: Storage;
  clock?: Clock;
  /** Default: crypto-strong bytes from a pool ({@link pooledCryptoRandom}). */
  random?: Random;
  logger?: SwitchLogger;
  /** Secret of the digest nonces (≥ 16 bytes); default random per start. */
  secret?: string | Uint8Array;
  /** Digest algorithms offered, one challenge each; default MD5 (what SIPp and baresip answer). */
  digestAlgorithms?: readonly DigestAlgorithm[];
  /** Directory of the prompt catalogue (`<dir>/en/<name>.wav`) for playback applications. */
  promptDir?: string;
  /** Status for a call nobody answered within the ring time: 480 (default) or 408. */
  noAnswerStatus?: 480 | 408;
  /** Ring time of calls out through a trunk (default 120 s). */
  trunkRingTimeoutMs?: number;
  /** Retry-After (s) of the 503 that refuses calls while draining (default 30). */
  retryAfterSec?: number;
  /** How long close() waits for BYEs and un-REGISTERs to be answered (default 2 s). */
  closeTimeoutMs?: number;
  /** The UA's tryingDelay (transaction layer): tests set Infinity or 0. */
  tryingDelay?: number;
}

export const SWITCH_DEFAULTS = Object.freeze({
  digestAlgorithms: Object.freeze(['MD5'] as DigestAlgorithm[]),
  noAnswerStatus: 480 as const,
  trunkRingTimeoutMs: 120_000,
  retryAfterSec: 30,
  closeTimeoutMs: 2_000,
});

/** A failed digest check (not the first, credential-less request of an exchange). */
export interface AuthFailureEvent {
  /** Source of the packet. */
  ip: string;
  port: number;
  transport: string;
  /** The user name tried (attacker-controlled text). */
  user: string;
  method: string;
  /** 'bad password', 'unknown user', 'bad nonce', 'replayed nonce-count', … (REASON_TEXT) */
  reason: string;
}

/** A user's registrations changed. */
export interface RegistrationEvent {
  extension: string;
  /** Contacts bound now. */
  contacts: number;
  change: BindingsChange;
}

export type SwitchEvents = {
  /** A call arrived and was routed (the destination may still be `unknown`: it then fails 404). */
  call: [call: Call];
  ringing: [call: Call];
  answered: [call: Call];
  /** A call ended and its CDR is written. */
  ended: [call: Call, info: CallEndInfo];
  registration: [event: RegistrationEvent];
  trunk: [event: TrunkRegistrationEvent];
  authFailure: [failure: AuthFailureEvent];
  /** Something went wrong that no caller sees (a CDR not written, a listener that threw). */
  error: [error: Error];
  close: [];
};

const REASON_TEXT: Record<DigestFailureReason, string> = {
  'no-credentials': 'no credentials',
  malformed: 'malformed credentials',
  'uri-mismatch': 'digest uri does not match the Request-URI',
  unsupported: 'unsupported algorithm or qop',
  'bad-nonce': 'bad nonce',
  stale: 'stale nonce',
  'bad-credentials': 'bad password',
  replay: 'replayed nonce-count',
};

function userPart(uri: Uri): string | undefined {
  if (!(uri instanceof SipUri) || uri.user === undefined) return undefined;
  try {
    return unescapeUri(uri.user);
  } catch {
    return uri.user;
  }
}

export class Switch extends TypedEmitter<SwitchEvents> {
  readonly ua: UserAgent;
  readonly engine: MediaEngine | undefined;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly random: Random;
  readonly log: SwitchLogger;
  readonly #transport: TransportLayer;
  readonly #transactions: TransactionLayer;
  readonly #location: Location;
  readonly #trunks: TrunkManager;
  readonly #inbound = new WeakMap<SipRequest, InboundInfo>();
  /** The user each request authenticated as (the UA does not put it on the session). */
  readonly #authenticated = new WeakMap<SipRequest, string>();
  readonly #calls = new Set<Call>();
  readonly #ctx: CallContext;
  readonly #options: SwitchCoreOptions;
  #settings: SwitchSettings;
  #directory: Directory;
  #draining = false;
  #closing: Promise<void> | undefined;
  #idleWaiters: Array<() => void> = [];

  /** @internal use {@link createSwitchCore} */
  constructor(options: SwitchCoreOptions) {
    super();
    if (options.transports.length === 0)
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'the switch needs at least one SIP transport');
    this.#options = options;
    this.#settings = options.settings;
    this.#directory = new Directory(options.settings);
    this.engine = options.engine;
    this.storage = options.storage;
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? pooledCryptoRandom();
    this.log = options.logger ?? SILENT_LOGGER;
    const timers = options.settings.sip.timers;
    this.#transport = new TransportLayer({ transports: options.transports, clock: this.clock });
    this.#transactions = new TransactionLayer({
      transport: this.#transport,
      clock: this.clock,
      random: this.random,
      ...(timers ? { t1: timers.t1Ms, t2: timers.t2Ms, t4: timers.t4Ms } : {}),
      ...(options.tryingDelay === undefined ? {} : { tryingDelay: options.tryingDelay }),
    });
    // Registered before the UA's own listener: the source of every request is known when
    // the UA asks whether it must authenticate and when the INVITE reaches us.
    this.#transactions.on('request', (tx) => {
      this.#inbound.set(tx.request, tx.inbound);
    });
    // requests the switch never answered in time (the transaction layer's bound), and
    // answers that came after it: a bug or a stuck handler, worth a warning
    this.#transactions.on('expired', (tx) =>
      this.log.warn({ method: tx.request.method, callId: tx.request.callId }, 'request not answered in time'),
    );
    this.#transactions.on('lateResponse', (_tx, status) =>
      this.log.warn({ status }, 'response after the request had expired, not sent'),
    );
    const digest = createDigestAuthenticator({
      realm: () => this.#settings.sip.realm,
      secret: options.secret ?? cryptoRandom.bytes(32),
      lookup: (user) => {
        const u = this.#directory.user(user);
        return u ? { password: u.password } : undefined;
      },
      algorithms: options.digestAlgorithms ?? SWITCH_DEFAULTS.digestAlgorithms,
      clock: this.clock,
      random: this.random,
    });
    const authenticator = this.#reportingAuthenticator(digest);
    this.#location = new Location({
      clock: this.clock,
      random: this.random,
      authenticator,
      registration: options.settings.sip.registration,
      maxDevices: (ext) => this.#directory.user(ext)?.maxDevices,
      onChange: (extension, change) => {
        void this.#location
          .contacts(extension)
          .then((c) => this.safeEmit('registration', { extension, contacts: c.length, change }));
      },
    });
    this.ua = createUserAgent({
      transactions: this.#transactions,
      clock: this.clock,
      random: this.random,
      user: 'switch',
      domain: options.settings.sip.domain,
      userAgent: options.settings.sip.userAgent,
      registrar: this.#location.registrar,
      auth: { authenticator, proxy: true, required: (req) => this.#authRequired(req) },
      resolve: (uri) => this.#resolve(uri),
    });
    this.ua.on('INVITE', (session) => this.#onInvite(session));
    this.ua.on('error', (err) => this.log.debug({ err: err.message }, 'SIP'));
    this.#trunks = new TrunkManager({
      ua: this.ua,
      log: this.log,
      onState: (e) => {
        const level = e.state === 'failed' ? 'warn' : 'info';
        this.log[level]({ ...e }, `trunk ${e.trunk} ${e.state}`);
        this.safeEmit('trunk', e);
      },
    });
    this.#ctx = this.#callContext();
  }

  // ------------------------------------------------------------------ public state

  /** The settings in force. */
  get settings(): SwitchSettings {
    return this.#settings;
  }

  /** True when no media is anchored (SDP passed through). */
  get signallingOnly(): boolean {
    return this.engine === undefined;
  }

  /** Calls in progress. */
  get calls(): ReadonlySet<Call> {
    return this.#calls;
  }

  get draining(): boolean {
    return this.#draining;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** The SIP transports as bound (a `port: 0` transport shows its real port). */
  get addresses(): Array<{ protocol: TransportProtocol; address: string; port: number }> {
    return this.#transport.transports.map((t) => ({
      protocol: t.protocol,
      address: t.local.address,
      port: t.local.port,
    }));
  }

  /** The registrar (its `changed` / `expired` events, `lookup`). */
  get registrar() {
    return this.#location.registrar;
  }

  /** An extension's registered contacts, most recent first. */
  contacts(extension: string): Promise<Binding[]> {
    return this.#location.contacts(extension);
  }

  /** Extensions with a registered device. */
  registeredExtensions(): Promise<string[]> {
    return this.#location.registeredExtensions();
  }

  /** Registration state of each trunk that registers. */
  trunkStates() {
    return this.#trunks.registrationStates();
  }

  /** Channels in use per trunk. */
  trunkChannels(): Record<string, number> {
    return this.#trunks.channels();
  }

  // ------------------------------------------------------------------ lifecycle

  /** @internal Starts the trunks' registrations. */
  async _start(): Promise<void> {
    await this.#trunks.apply(this.#settings.trunks);
  }

  /**
   * Applies new users, routes, trunks and applications (and media preferences for new
   * calls) without touching calls in progress. Removed or disabled users lose their
   * registrations; a changed password applies to the next challenge. Rejects (and
   * changes nothing) when the dial plan does not compile.
   */
  async configure(next: SwitchReloadable): Promise<void> {
    if (this.#closing) throw new StrowgerError('ERR_CLOSED', 'the switch is closed');
    const dir = new Directory(next);
    const before = this.#directory;
    this.#directory = dir;
    this.#settings = {
      ...this.#settings,
      users: next.users,
      routes: next.routes,
      trunks: next.trunks,
      applications: next.applications,
      ...(next.media ? { media: next.media } : {}),
    };
    for (const ext of before.users.keys()) {
      if (!dir.user(ext)) await this.#location.removeUser(ext);
    }
    await this.#trunks.apply(next.trunks);
    this.log.info(
      { users: dir.users.size, routes: dir.plan.routes.length, trunks: dir.trunks.size },
      'configuration applied',
    );
  }

  /**
   * Stops taking calls (503 with Retry-After), waits until the calls in progress have
   * ended or `timeoutMs` has passed, then closes. Resolves once closed.
   */
  async drain(options: { timeoutMs?: number } = {}): Promise<void> {
    if (!this.#draining) {
      this.#draining = true;
      this.log.info({ calls: this.#calls.size, timeoutMs: options.timeoutMs }, 'draining');
    }
    if (this.#calls.size > 0 && !this.#closing) {
      const timeout = options.timeoutMs ?? 30_000;
      const stop = new AbortController();
      await Promise.race([
        new Promise<void>((resolve) => this.#idleWaiters.push(resolve)),
        sleep(this.clock, timeout, stop.signal).catch(() => undefined),
      ]);
      stop.abort();
    }
    await this.close();
  }

  /**
   * Ends every call (BYE; 503 to callers still ringing; their CDRs written),
   * unregisters the trunks, closes the UA, the transports, the media engine and the
   * storage. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#draining = true;
      await Promise.allSettled([...this.#calls].map((c) => c._shutdown()));
      this.#location.close();
      await this.#trunks.close();
      await this.ua.close({ timeoutMs: this.#options.closeTimeoutMs ?? SWITCH_DEFAULTS.closeTimeoutMs });
      this.#transactions.close();
      await this.#transport.close();
      await this.engine?.close();
      await this.storage.close();
      for (const w of this.#idleWaiters.splice(0)) w();
      this.safeEmit('close');
    })();
    return this.#closing;
  }

  // ------------------------------------------------------------------ internals

  #report(err: unknown, context: string): void {
    const e = err instanceof Error ? err : new Error(String(err));
    this.log.error({ err: e.message, context }, context);
    if (this.listenerCount('error') > 0) this.safeEmit('error', e);
  }

  #callContext(): CallContext {
    return {
      ua: this.ua,
      engine: this.engine,
      clock: this.clock,
      random: this.random,
      storage: this.storage,
      log: this.log,
      noAnswerStatus: this.#options.noAnswerStatus ?? SWITCH_DEFAULTS.noAnswerStatus,
      trunkRingTimeoutMs: this.#options.trunkRingTimeoutMs ?? SWITCH_DEFAULTS.trunkRingTimeoutMs,
      promptDir: this.#options.promptDir,
      settings: () => this.#settings,
      contacts: (ext) => this.#location.contacts(ext),
      trunkUri: (t, n) => this.#trunks.requestUri(t, n),
      trunkCredentials,
      acquireTrunk: (t) => this.#trunks.acquire(t),
      releaseTrunk: (name) => this.#trunks.release(name),
      report: (err, context) => this.#report(err, context),
      ringing: (call) => this.safeEmit('ringing', call),
      answered: (call) => this.safeEmit('answered', call),
      ended: (call, info) => {
        this.log.info(
          {
            call: call.id,
            caller: call.caller.number,
            callee: call.callee.number,
            disposition: info.disposition,
            status: info.hangup.status,
            by: info.hangup.by,
          },
          'call ended',
        );
        this.safeEmit('ended', call, info);
      },
    };
  }

  /** Wraps the digest authenticator to report failures with the packet's source. */
  #reportingAuthenticator(digest: DigestAuthenticator): DigestAuthenticator {
    return {
      challenge: (request, options) => digest.challenge(request, options),
      verify: async (request, options) => {
        const v = await digest.verify(request, options);
        if (v.ok) this.#authenticated.set(request, v.user);
        if (!v.ok && v.reason !== 'no-credentials' && v.reason !== 'stale') {
          const inbound = this.#inbound.get(request);
          const user = v.user ?? '';
          const reason =
            v.reason === 'bad-credentials' && !this.#directory.user(user)
              ? 'unknown user'
              : REASON_TEXT[v.reason];
          const failure: AuthFailureEvent = {
            ip: inbound?.remote.address ?? '',
            port: inbound?.remote.port ?? 0,
            transport: inbound?.transport.protocol.toLowerCase() ?? '',
            user,
            method: request.method,
            reason,
          };
          this.safeEmit('authFailure', failure);
        }
        return v;
      },
    };
  }

  #authRequired(request: SipRequest): boolean {
    // REGISTER is the registrar's (401); only INVITEs reach a handler here
    if (request.method !== 'INVITE') return request.method !== 'REGISTER';
    if (this.#draining) return false; // answered 503 without a challenge
    const inbound = this.#inbound.get(request);
    return !(inbound && this.#trunks.match(inbound.remote) !== undefined);
  }

  /** Next hop of a request: a registered contact by the way it registered, a trunk's proxy, else the URI. */
  #resolve(uri: Uri): Target {
    const registered = this.#location.target(uri);
    if (registered) return registered;
    if (!(uri instanceof SipUri))
      throw new StrowgerError('ERR_INVALID_ARGUMENT', `cannot route to ${uri.toString()}: not a SIP URI`);
    const proxy = this.#trunks.proxyFor(uri);
    if (proxy) return proxy;
    const param = uri.params.get('transport');
    let protocol: TransportProtocol;
    if (uri.isSecure)
      protocol = param?.toLowerCase() === 'ws' || param?.toLowerCase() === 'wss' ? 'WSS' : 'TLS';
    else if (typeof param === 'string') protocol = param.toUpperCase() as TransportProtocol;
    else
      protocol = this.#transport.transportFor('UDP')
        ? 'UDP'
        : (this.#transport.transports[0]?.protocol ?? 'UDP');
    const maddr = uri.params.get('maddr');
    return {
      address: typeof maddr === 'string' ? maddr : uri.host,
      port: uri.port ?? defaultPort(protocol),
      protocol,
    };
  }

  #onInvite(session: InviteSession): void {
    const req = session.request;
    if (this.#draining) {
      session.reject(503, {
        reason: 'Service Unavailable',
        headers: [['Retry-After', String(this.#options.retryAfterSec ?? SWITCH_DEFAULTS.retryAfterSec)]],
      });
      return;
    }
    const dir = this.#directory;
    const inbound = this.#inbound.get(req);
    const trunkName = inbound ? this.#trunks.match(inbound.remote) : undefined;
    const fromName = req.from.displayName?.trim() || undefined;
    let source: CallSource;
    let caller: CdrParty;
    let user: SwitchUser | undefined;
    if (trunkName !== undefined) {
      const trunk = dir.trunks.get(trunkName);
      if (!trunk?.enabled) {
        session.reject(403, { reason: 'Forbidden' });
        return;
      }
      if (!this.#trunks.acquire(trunk)) {
        session.reject(503, { reason: 'Trunk Busy' });
        return;
      }
      source = { kind: 'trunk', trunk };
      caller = { number: userPart(req.from.uri) || 'anonymous', ...(fromName ? { name: fromName } : {}) };
    } else {
      const authenticated = session.user ?? this.#authenticated.get(req);
      user = authenticated === undefined ? undefined : dir.user(authenticated);
      if (!user) {
        session.reject(403, { reason: 'Forbidden' });
        return;
      }
      source = { kind: 'user', user };
      const name = user.name ?? fromName;
      caller = { number: user.extension, ...(name ? { name } : {}) };
    }
    const numbers = [userPart(req.uri), userPart(req.to.uri)].filter(
      (n): n is string => n !== undefined && n.length > 0,
    );
    const destination = dir.destination(numbers, source);
    const calleeNumber = destination.number || numbers[0] || 'unknown';
    const calleeName = destination.kind === 'extension' ? destination.user.name : undefined;
    const callee: CdrParty = { number: calleeNumber, ...(calleeName ? { name: calleeName } : {}) };
    const direction: CallDirection =
      source.kind === 'trunk' ? 'inbound' : destination.kind === 'trunk' ? 'outbound' : 'internal';
    const extensions = [
      ...(user ? [user.extension] : []),
      ...(destination.kind === 'extension' ? [destination.user.extension] : []),
    ];
    const call = new Call({
      ctx: this.#ctx,
      session,
      caller,
      callee,
      destination,
      direction,
      ...(trunkName !== undefined
        ? { trunk: trunkName }
        : destination.kind === 'trunk'
          ? { trunk: destination.trunk.name }
          : {}),
      ...(user ? { user } : {}),
      extensions: extensions.length > 0 ? extensions : [caller.number, callee.number],
    });
    this.#calls.add(call);
    call.once('close', () => {
      if (trunkName !== undefined) this.#trunks.release(trunkName);
      this.#calls.delete(call);
      if (this.#calls.size === 0) for (const w of this.#idleWaiters.splice(0)) w();
    });
    this.log.info(
      {
        call: call.id,
        caller: caller.number,
        callee: callee.number,
        destination: destination.kind,
        ...(destination.kind === 'unknown' ? { why: destination.why } : {}),
      },
      'call',
    );
    this.safeEmit('call', call);
    void call._run();
  }
}

/**
 * Starts a switch core over ready transports, media engine and storage (see
 * {@link SwitchCoreOptions}); the api layer's `createSwitch(config)` builds those from a
 * configuration. If starting fails, everything passed in is closed.
 */
export async function createSwitchCore(options: SwitchCoreOptions): Promise<Switch> {
  let sw: Switch;
  try {
    sw = new Switch(options);
  } catch (err) {
    await Promise.allSettled([
      ...options.transports.map((t) => t.close()),
      options.engine?.close(),
      options.storage.close(),
    ]);
    throw err;
  }
  try {
    await sw._start();
  } catch (err) {
    await sw.close();
    throw err;
  }
  return sw;
}
