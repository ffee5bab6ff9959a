/**
 * The call model: a Call is one caller leg (the INVITE that arrived) routed by the dial
 * plan to a destination — an extension (every registered device rings; the first answer
 * wins and the others are cancelled), a trunk, or an application (echo, playback,
 * hangup). A back-to-back call negotiates SDP with each side independently and anchors
 * the media in one engine worker: the caller's endpoint is made when its offer arrives,
 * each callee endpoint `near` it, and `engine.connect()` relays them (same codec) or
 * transcodes. In signalling-only mode the SDP is passed through untouched and no media
 * is anchored.
 *
 * A call ends exactly once (`#finish`): both sides are hung up or rejected with the
 * mapped status, the media is closed, the CDR is written, and only then `ended` fires.
 */
import {
  type Clock,
  type ClockTimer,
  isStrowgerError,
  type Random,
  randomToken,
  TypedEmitter,
} from '../core/index.js';
import { promptFile } from '../media/audio/index.js';
import {
  type EndpointOptions,
  endpointOptionsFromStream,
  type MediaEndpoint,
  type MediaEngine,
  type MediaSession,
  type PlaySource,
} from '../media/worker/index.js';
import type { NegotiatedStream } from '../sdp/index.js';
import { NameAddr, parseUri, SipUri } from '../sip/message/index.js';
import type {
  Binding,
  DigestCredentials,
  EndedInfo,
  InviteSession,
  ProgressInfo,
  SipResponseError,
  UserAgent,
} from '../sip/ua/index.js';
import type { Destination } from './directory.js';
import { Leg } from './leg.js';
import type { SwitchLogger } from './logger.js';
import {
  answeredStream,
  answerOffer,
  firstAudio,
  localCodecs,
  localDescription,
  makeOffer,
  preferring,
} from './sdp-media.js';
import type { SwitchApplication, SwitchSettings, SwitchTrunk, SwitchUser } from './settings.js';
import type {
  CallDirection,
  CallDisposition,
  CdrHangup,
  CdrInput,
  CdrParty,
  CdrRecord,
  HangupBy,
  Storage,
} from './storage/index.js';

export type CallState = 'routing' | 'ringing' | 'early' | 'answered' | 'ended';

/** How a call ended (the `ended` event; also what `call.ended` resolves with). */
export interface CallEndInfo {
  disposition: CallDisposition;
  hangup: CdrHangup;
  /** The CDR as stored (undefined when storage failed: the switch reported an `error`). */
  cdr: CdrRecord | undefined;
}

export type CallEvents = {
  /** A callee device rings (sent on to the caller as 180). */
  ringing: [];
  /** Early media from the callee reaches the caller (183 with SDP). */
  progress: [];
  /** The call was answered (the caller has its 200). */
  answered: [];
  /** A party put the call on hold (passed on to the other party). */
  hold: [leg: Leg];
  unhold: [leg: Leg];
  /** The call ended and its CDR is written (then `close`). */
  ended: [info: CallEndInfo];
  close: [];
};

/** @internal What a call needs from its switch. */
export interface CallContext {
  readonly ua: UserAgent;
  readonly engine: MediaEngine | undefined;
  readonly clock: Clock;
  readonly random: Random;
  readonly storage: Storage;
  readonly log: SwitchLogger;
  readonly noAnswerStatus: number;
  readonly trunkRingTimeoutMs: number;
  readonly promptDir: string | undefined;
  settings(): Pick<SwitchSettings, 'sip' | 'media'>;
  contacts(extension: string): Promise<Binding[]>;
  trunkUri(trunk: SwitchTrunk, number: string): string;
  trunkCredentials(trunk: SwitchTrunk): DigestCredentials | undefined;
  acquireTrunk(trunk: SwitchTrunk): boolean;
  releaseTrunk(name: string): void;
  report(err: unknown, context: string): void;
  ringing(call: Call): void;
  answered(call: Call): void;
  ended(call: Call, info: CallEndInfo): void;
}

interface Outcome {
  disposition: CallDisposition;
  by: HangupBy;
  status?: number;
  reason?: string;
}

interface ForkTarget {
  uri: string;
  from: NameAddr;
  to: NameAddr;
  auth?: DigestCredentials;
  codecs?: readonly string[];
}

/** The disposition a final status means for the caller. */
export function dispositionOf(status: number): CallDisposition {
  if (status === 486 || status === 600) return 'busy';
  if (status === 480 || status === 408) return 'no-answer';
  if (status === 487) return 'cancelled';
  return 'failed';
}

/**
 * The one status the caller gets when every fork failed (RFC 3261 §16.7 in spirit): a
 * 6xx wins, then busy, then another 4xx (the lowest), then no-answer (480, else the
 * callee's 408), then 5xx (503 becomes 500: the switch itself is not unavailable);
 * redirects are not followed and become 480.
 */
export function pickFailure(statuses: readonly number[]): { status: number; disposition: CallDisposition } {
  const got = statuses.filter((s) => s >= 300 && s !== 487);
  const six = got.filter((s) => s >= 600).sort((a, b) => a - b)[0];
  if (six !== undefined) return { status: six, disposition: dispositionOf(six) };
  if (got.includes(486)) return { status: 486, disposition: 'busy' };
  const four = got.filter((s) => s >= 400 && s < 500 && s !== 408 && s !== 480).sort((a, b) => a - b)[0];
  if (four !== undefined) return { status: four, disposition: 'failed' };
  if (got.includes(480)) return { status: 480, disposition: 'no-answer' };
  if (got.includes(408)) return { status: 408, disposition: 'no-answer' };
  const five = got.filter((s) => s >= 500 && s < 600).sort((a, b) => a - b)[0];
  if (five !== undefined) return { status: five === 503 ? 500 : five, disposition: 'failed' };
  if (got.length > 0) return { status: 480, disposition: 'no-answer' };
  // every fork was cancelled by us (or none could be sent)
  return { status: 480, disposition: 'no-answer' };
}

/** The status a failed outgoing INVITE stands for. */
function statusOfError(err: unknown): number {
  const e = err as Partial<SipResponseError> & { code?: string };
  if (e?.code === 'ERR_ABORTED') return 487;
  if (typeof e?.status === 'number' && e.status >= 300) return e.status;
  // Timer B, transport errors, a closed UA: the device is not reachable now
  return 480;
}

const REASONS: Record<number, string> = {
  404: 'Not Found',
  408: 'Request Timeout',
  480: 'Temporarily Unavailable',
  483: 'Too Many Hops',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  500: 'Server Internal Error',
  503: 'Service Unavailable',
};

function clip(s: string | undefined, max = 200): string | undefined {
  if (s === undefined) return undefined;
  const t = s.replace(/[\x00-\x1f\x7f]/g, ' ').trim();
  return t.length === 0 ? undefined : t.slice(0, max);
}

export class Call extends TypedEmitter<CallEvents> {
  /** Unique per call (the CDR's callId), not a SIP Call-ID. */
  readonly id: string;
  readonly caller: CdrParty;
  readonly callee: CdrParty;
  readonly destination: Destination;
  readonly direction: CallDirection;
  /** The trunk the call came in or goes out through. */
  readonly trunk: string | undefined;
  /** Wall ms. */
  readonly startedAt: number;
  answeredAt: number | undefined;
  endedAt: number | undefined;
  /** The caller leg first, then one leg per callee device rung. */
  readonly legs: Leg[] = [];
  /** The anchored media between the caller and the answering callee (or the echo). */
  media: MediaSession | undefined;
  readonly #ctx: CallContext;
  readonly #a: Leg;
  readonly #extensions: string[];
  readonly #user: SwitchUser | undefined;
  #state: CallState = 'routing';
  /** Callee legs still ringing. */
  readonly #forks = new Set<Leg>();
  /** Forks not yet settled (starting or ringing). */
  #outstanding = 0;
  readonly #failures: number[] = [];
  #winner: Leg | undefined;
  #earlyLeg: Leg | undefined;
  #earlySent = false;
  #rang = false;
  #trunkHeld: string | undefined;
  readonly #timers: ClockTimer[] = [];
  #mediaChain: Promise<unknown> = Promise.resolve();
  #ending: Promise<CallEndInfo> | undefined;
  #resolveEnded!: (info: CallEndInfo) => void;
  /** Settles once the call ended and its CDR was written. */
  readonly ended: Promise<CallEndInfo>;

  /** @internal created by the switch for each INVITE it routes */
  constructor(options: {
    ctx: CallContext;
    session: InviteSession;
    caller: CdrParty;
    callee: CdrParty;
    destination: Destination;
    direction: CallDirection;
    trunk?: string;
    /** The local user placing the call (its caller id goes out on trunks). */
    user?: SwitchUser;
    extensions: string[];
  }) {
    super();
    this.#ctx = options.ctx;
    this.id = randomToken(options.ctx.random, 16);
    this.caller = options.caller;
    this.callee = options.callee;
    this.destination = options.destination;
    this.direction = options.direction;
    this.trunk = options.trunk;
    this.#extensions = options.extensions;
    this.#user = options.user;
    this.startedAt = options.ctx.clock.wallTime();
    this.ended = new Promise((resolve) => {
      this.#resolveEnded = resolve;
    });
    const s = options.session;
    this.#a = new Leg({
      id: `${this.id}-a`,
      role: 'caller',
      session: s,
      uri: s.request.from.uri.toString(),
      clock: options.ctx.clock,
    });
    this.legs.push(this.#a);
    s.on('ended', (info) => {
      this.#onCallerEnded(info);
      this.#holdByeAnswer(info);
    });
  }

  get state(): CallState {
    return this.#state;
  }

  /** The caller's leg. */
  get callerLeg(): Leg {
    return this.#a;
  }

  /** The callee leg that answered. */
  get calleeLeg(): Leg | undefined {
    return this.#winner;
  }

  get closed(): boolean {
    return this.#ending !== undefined;
  }

  /** Hangs up (BYE both ways, or rejects the caller with 480 while it rings). Idempotent. */
  hangup(reason = 'hung up'): Promise<CallEndInfo> {
    return this.#finish(
      this.answeredAt !== undefined
        ? { disposition: 'answered', by: 'system', reason }
        : { disposition: 'failed', by: 'system', status: 480, reason },
    );
  }

  /** @internal The switch is shutting down: 503 to an unanswered caller, BYE otherwise. */
  _shutdown(): Promise<CallEndInfo> {
    return this.#finish(
      this.answeredAt !== undefined
        ? { disposition: 'answered', by: 'system', reason: 'switch closing' }
        : { disposition: 'failed', by: 'system', status: 503, reason: 'Service Unavailable' },
    );
  }

  /** Same as {@link hangup}; resolves when the call is gone. */
  async close(): Promise<void> {
    await this.hangup('closed');
  }

  // ------------------------------------------------------------------ routing

  /** @internal Runs the call: route, ring, bridge. Never throws. */
  async _run(): Promise<void> {
    try {
      await this.#route();
    } catch (err) {
      this.#ctx.report(err, 'call failed');
      void this.#finish({ disposition: 'failed', by: 'system', status: 500 });
    }
  }

  async #route(): Promise<void> {
    const d = this.destination;
    switch (d.kind) {
      case 'unknown':
        await this.#finish({ disposition: 'failed', by: 'system', status: 404, reason: 'Not Found' });
        return;
      case 'queue':
        // queues arrive with the call-center features; until then the destination is unavailable
        await this.#finish({
          disposition: 'failed',
          by: 'system',
          status: 480,
          reason: 'Queue Not Available',
        });
        return;
      case 'application':
        await this.#runApplication(d.application);
        return;
      case 'extension':
        await this.#callExtension(d.user);
        return;
      case 'trunk':
        await this.#callTrunk(d.trunk, d.number);
        return;
    }
  }

  #tooManyHops(): boolean {
    const mf = this.#a.session.request.maxForwards;
    if (mf !== undefined && mf <= 0) {
      void this.#finish({ disposition: 'failed', by: 'system', status: 483, reason: 'Too Many Hops' });
      return true;
    }
    return false;
  }

  #fromIdentity(host: string, who: { number: string; name?: string | undefined }): NameAddr {
    const na = new NameAddr(new SipUri({ user: who.number, host }));
    if (who.name !== undefined) na.displayName = who.name;
    return na;
  }

  async #callExtension(user: SwitchUser): Promise<void> {
    if (this.#tooManyHops()) return;
    const bindings = await this.#ctx.contacts(user.extension);
    if (this.#ending) return;
    if (bindings.length === 0) {
      // offline: nothing registered
      await this.#finish({
        disposition: 'failed',
        by: 'system',
        status: 480,
        reason: 'Temporarily Unavailable',
      });
      return;
    }
    const { domain } = this.#ctx.settings().sip;
    const from = this.#fromIdentity(domain, this.caller);
    const to = new NameAddr(new SipUri({ user: user.extension, host: domain }));
    if (user.name !== undefined) to.displayName = user.name;
    await this.#bridge(
      bindings.map((b) => ({ uri: b.uri, from, to })),
      user.ringTimeoutMs,
    );
  }

  async #callTrunk(trunk: SwitchTrunk, number: string): Promise<void> {
    if (this.#tooManyHops()) return;
    if (this.#trunkHeld !== trunk.name) {
      if (!this.#ctx.acquireTrunk(trunk)) {
        await this.#finish({ disposition: 'failed', by: 'system', status: 503, reason: 'Trunk Busy' });
        return;
      }
      this.#trunkHeld = trunk.name;
    }
    const uri = this.#ctx.trunkUri(trunk, number);
    const registrar = parseUri(trunk.registrar) as SipUri;
    const id = this.#user?.callerId ?? trunk.callerId ?? this.caller;
    const from = this.#fromIdentity(trunk.fromDomain ?? registrar.host, { number: id.number, name: id.name });
    const to = new NameAddr(
      new SipUri({
        user: number,
        host: registrar.host,
        ...(registrar.port === undefined ? {} : { port: registrar.port }),
      }),
    );
    const auth = this.#ctx.trunkCredentials(trunk);
    await this.#bridge(
      [{ uri, from, to, ...(auth ? { auth } : {}), ...(trunk.codecs ? { codecs: trunk.codecs } : {}) }],
      this.#ctx.trunkRingTimeoutMs,
    );
  }

  // ------------------------------------------------------------------ media helpers

  #codecs(names?: readonly string[]) {
    return localCodecs(names ?? this.#ctx.settings().media.codecs);
  }

  #ptime(): number {
    return this.#ctx.settings().media.ptimeMs;
  }

  #endpointBase(): EndpointOptions {
    const m = this.#ctx.settings().media;
    const out: EndpointOptions = { rtpTimeoutMs: m.rtpTimeoutMs };
    if (m.jitter) {
      out.jitter = {
        mode: m.jitter.mode,
        minDelayMs: m.jitter.minDelayMs,
        maxDelayMs: m.jitter.maxDelayMs,
        ...(m.jitter.delayMs === undefined ? {} : { delayMs: m.jitter.delayMs }),
      };
    }
    return out;
  }

  /** Media operations (updates, connects) run one after another. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#mediaChain.then(fn, fn);
    this.#mediaChain = p.catch(() => undefined);
    return p;
  }

  #watchEndpoint(leg: Leg, endpoint: MediaEndpoint): void {
    endpoint.on('rtpTimeout', ({ silentMs }) => {
      if (this.#ending || this.#state !== 'answered') return;
      const held = this.legs.some((l) => l.session.remoteHold || l.session.localHold);
      if (held) return;
      this.#ctx.log.info({ call: this.id, leg: leg.id, silentMs }, 'no RTP: hanging up');
      void this.#finish({ disposition: 'answered', by: 'system', reason: 'RTP timeout' });
    });
    endpoint.on('ended', (reason) => {
      if (reason === 'worker-died' && !this.#ending) {
        this.#ctx.log.error({ call: this.id, leg: leg.id }, 'media worker died: ending the call');
        void this.#finish(
          this.answeredAt !== undefined
            ? { disposition: 'answered', by: 'system', reason: 'media failure' }
            : { disposition: 'failed', by: 'system', status: 500, reason: 'Media Failure' },
        );
      }
    });
  }

  /** Applies a negotiated stream to a leg's endpoint (a relay whose codec no longer matches is disconnected first). */
  async #updateEndpoint(leg: Leg, stream: NegotiatedStream): Promise<void> {
    const ep = leg.endpoint;
    if (!ep || ep.closed) return;
    const opts = endpointOptionsFromStream(stream);
    leg.codec = stream.codec;
    const c = ep.config;
    if (
      JSON.stringify(c.codecs) === JSON.stringify(opts.codecs) &&
      JSON.stringify(c.remote) === JSON.stringify(opts.remote) &&
      c.ptime === opts.ptime
    )
      return;
    try {
      await ep.update(opts);
    } catch (err) {
      if (!isStrowgerError(err, 'ERR_INVALID_STATE') || !ep.session) throw err;
      await ep.session.close();
      await ep.update(opts);
    }
  }

  /** Connects the caller's endpoint to `leg`'s (relay or transcode), replacing another connection. */
  async #connect(leg: Leg): Promise<void> {
    const engine = this.#ctx.engine;
    const a = this.#a.endpoint;
    const b = leg.endpoint;
    if (!engine || !a || !b || a.closed || b.closed || !this.#a.codec || !leg.codec) return;
    const m = this.media;
    if (m && !m.closed && m.b === b && m.a === a) return;
    if (m && !m.closed) await m.close();
    if (a.session) await a.session.close();
    if (b.session) await b.session.close();
    if (this.#ending) return;
    this.media = await engine.connect(a, b);
  }

  /** After an endpoint update broke the connection: connect again. */
  async #reconnect(): Promise<void> {
    if (this.#ending || (this.media && !this.media.closed)) return;
    const engine = this.#ctx.engine;
    if (this.#winner) await this.#connect(this.#winner);
    else if (
      engine &&
      this.destination.kind === 'application' &&
      this.destination.application.type === 'echo'
    ) {
      const ep = this.#a.endpoint;
      if (ep && !ep.closed && !ep.session) this.media = await engine.echo(ep);
    }
  }

  /**
   * Prepares the caller side: its endpoint, and our answer to its offer (one codec of
   * ours, in its order of preference). False when the call was finished instead.
   */
  async #prepareCaller(): Promise<boolean> {
    const engine = this.#ctx.engine;
    if (!engine) return true;
    const leg = this.#a;
    let endpoint: MediaEndpoint;
    try {
      endpoint = await engine.createEndpoint(this.#endpointBase());
    } catch (err) {
      this.#ctx.report(err, 'no media endpoint for the caller');
      await this.#finish({ disposition: 'failed', by: 'system', status: 503, reason: 'Media Unavailable' });
      return false;
    }
    leg.endpoint = endpoint;
    this.#watchEndpoint(leg, endpoint);
    if (this.#ending) {
      await endpoint.close();
      return false;
    }
    const offer = leg.session.offer;
    if (offer === undefined) {
      leg._delayed = true;
      return true;
    }
    try {
      const local = localDescription(endpoint.local, this.#codecs(), this.#ptime());
      const r = answerOffer(offer, local, { random: this.#ctx.random });
      if (!r.stream) throw Object.assign(new Error('no audio stream in common'), { status: 488 });
      await endpoint.update(endpointOptionsFromStream(r.stream));
      leg._answer = r.answer;
      leg.codec = r.stream.codec;
      return true;
    } catch (err) {
      const status = (err as { status?: number }).status === 488 ? 488 : 500;
      if (status === 500) this.#ctx.report(err, 'caller media');
      await this.#finish({ disposition: 'failed', by: 'system', status, reason: REASONS[status] });
      return false;
    }
  }

  /** Delayed offer: our offer went in the 2xx, the caller's answer came in the ACK. */
  async #onDelayedAnswer(): Promise<void> {
    const leg = this.#a;
    const n = leg.session.negotiated;
    const stream = n ? firstAudio(n) : undefined;
    if (!stream) {
      await this.#finish({
        disposition: 'answered',
        by: 'system',
        reason: 'no usable answer in the ACK',
      });
      return;
    }
    await this.#serial(async () => {
      await this.#updateEndpoint(leg, stream);
      await this.#reconnect();
    });
  }

  // ------------------------------------------------------------------ applications

  async #runApplication(app: SwitchApplication): Promise<void> {
    const a = this.#a.session;
    if (app.type === 'hangup') {
      await this.#finish({
        disposition: dispositionOf(app.status),
        by: 'system',
        status: app.status,
        ...(app.reason === undefined ? {} : { reason: app.reason }),
      });
      return;
    }
    const engine = this.#ctx.engine;
    if (!engine) {
      // echo and playback terminate media: there is none in signalling-only mode
      await this.#finish({
        disposition: 'failed',
        by: 'system',
        status: 488,
        reason: 'No Media In Signalling-Only Mode',
      });
      return;
    }
    if (!(await this.#prepareCaller())) return;
    const leg = this.#a;
    const ep = leg.endpoint as MediaEndpoint;
    let sdp = leg._answer;
    if (leg._delayed) {
      const o = makeOffer(localDescription(ep.local, this.#codecs(), this.#ptime()), {
        random: this.#ctx.random,
      });
      leg._offer = o.description;
      sdp = o.text;
      a.once('confirmed', () => {
        void this.#onDelayedAnswer().then(() => this.#startApplicationMedia(app));
      });
    }
    a.setOfferHandler((offer) => this.#reoffer(leg, offer));
    a.on('hold', () => this.safeEmit('hold', leg));
    a.on('unhold', () => this.safeEmit('unhold', leg));
    // the echo is connected before the answer goes out, so no packet of the caller is lost
    if (!leg._delayed && app.type === 'echo') await this.#startApplicationMedia(app);
    if (this.#ending || a.state === 'terminated') return;
    try {
      a.answer(sdp);
    } catch (err) {
      this.#ctx.report(err, 'answering the caller');
      await this.#finish({ disposition: 'failed', by: 'system', status: 500 });
      return;
    }
    this.#answered();
    if (app.type === 'echo' && app.maxDurationMs > 0) {
      this.#timer(app.maxDurationMs, () => {
        void this.#finish({ disposition: 'answered', by: 'system', reason: 'echo time limit' });
      });
    }
    if (!leg._delayed && app.type !== 'echo') await this.#startApplicationMedia(app);
  }

  async #startApplicationMedia(app: SwitchApplication): Promise<void> {
    const engine = this.#ctx.engine;
    const ep = this.#a.endpoint;
    if (!engine || !ep || ep.closed || this.#ending) return;
    if (app.type === 'echo') {
      await this.#serial(async () => {
        if (!ep.session && !this.#ending) this.media = await engine.echo(ep);
      });
      return;
    }
    if (app.type !== 'playback') return;
    let source: PlaySource;
    if (app.tone !== undefined) {
      source = {
        tone: app.tone,
        region: app.region ?? this.#ctx.settings().media.toneRegion,
        ...(app.durationMs > 0 ? { durationMs: app.durationMs } : {}),
      };
    } else if (app.prompt !== undefined && this.#ctx.promptDir !== undefined) {
      source = {
        file: `${this.#ctx.promptDir}/${promptFile(app.prompt as Parameters<typeof promptFile>[0])}`,
      };
    } else {
      await this.#finish({ disposition: 'answered', by: 'system', reason: 'nothing to play' });
      return;
    }
    ep.play(source).then(
      ({ completed }) => {
        if (completed && !this.#ending)
          void this.#finish({ disposition: 'answered', by: 'system', reason: 'playback finished' });
      },
      (err) => {
        if (!this.#ending) {
          this.#ctx.report(err, 'playback');
          void this.#finish({ disposition: 'answered', by: 'system', reason: 'playback failed' });
        }
      },
    );
  }

  // ------------------------------------------------------------------ bridging

  async #bridge(targets: ForkTarget[], ringTimeoutMs: number): Promise<void> {
    if (!(await this.#prepareCaller())) return;
    if (this.#ending) return;
    this.#timer(ringTimeoutMs, () => {
      if (this.#winner || this.#ending) return;
      const status = this.#ctx.noAnswerStatus;
      void this.#finish({
        disposition: 'no-answer',
        by: 'system',
        status,
        reason: status === 408 ? 'Request Timeout' : 'No Answer',
      });
    });
    this.#outstanding = targets.length;
    await Promise.all(targets.map((t) => this.#fork(t)));
  }

  async #fork(target: ForkTarget): Promise<void> {
    const ctx = this.#ctx;
    const engine = ctx.engine;
    let endpoint: MediaEndpoint | undefined;
    let sdp: string | undefined;
    let offerDesc: ReturnType<typeof makeOffer>['description'] | undefined;
    if (engine) {
      try {
        endpoint = await engine.createEndpoint({
          ...this.#endpointBase(),
          ...(this.#a.endpoint && !this.#a.endpoint.closed ? { near: this.#a.endpoint } : {}),
        });
      } catch (err) {
        ctx.report(err, 'no media endpoint for a callee');
        this.#forkSettled(undefined, 500);
        return;
      }
      if (this.#ending || this.#winner) {
        await endpoint.close();
        this.#forkSettled(undefined, 487);
        return;
      }
      const codecs = preferring(this.#codecs(target.codecs), this.#a.codec);
      const o = makeOffer(localDescription(endpoint.local, codecs, this.#ptime()), { random: ctx.random });
      sdp = o.text;
      offerDesc = o.description;
    } else {
      sdp = this.#a.session.offer;
    }
    let session: InviteSession;
    try {
      session = ctx.ua.call(target.uri, {
        ...(sdp === undefined ? {} : { sdp }),
        from: target.from,
        to: target.to,
        auth: target.auth ?? false,
        timeoutMs: 0,
      });
    } catch (err) {
      await endpoint?.close();
      ctx.report(err, `cannot call ${target.uri}`);
      this.#forkSettled(undefined, 480);
      return;
    }
    const leg = new Leg({
      id: `${this.id}-b${this.legs.length}`,
      role: 'callee',
      session,
      uri: target.uri,
      clock: ctx.clock,
    });
    leg.endpoint = endpoint;
    leg._offer = offerDesc;
    this.legs.push(leg);
    this.#forks.add(leg);
    if (endpoint) this.#watchEndpoint(leg, endpoint);
    session.on('ringing', () => this.#onRinging());
    session.on('progress', (p) => {
      this.#onProgress(leg, p).catch((err) => ctx.report(err, 'early media'));
    });
    session.established.then(
      () => {
        this.#onForkAnswered(leg).catch((err) => {
          ctx.report(err, 'connecting the answered call');
          void this.#finish(
            this.answeredAt !== undefined
              ? { disposition: 'answered', by: 'system', reason: 'media failure' }
              : { disposition: 'failed', by: 'system', status: 500 },
          );
        });
      },
      (err) => this.#onForkFailed(leg, err),
    );
  }

  #onRinging(): void {
    if (this.#ending || this.#winner || this.#rang) return;
    this.#rang = true;
    if (this.#state === 'routing') this.#state = 'ringing';
    const a = this.#a.session;
    if (!this.#earlySent && (a.state === 'incoming' || a.state === 'early')) {
      try {
        a.ring();
      } catch (err) {
        this.#ctx.report(err, 'sending 180');
      }
    }
    this.safeEmit('ringing');
    this.#ctx.ringing(this);
  }

  async #onProgress(leg: Leg, p: ProgressInfo): Promise<void> {
    if (this.#ending || this.#winner) return;
    const status = p.response.status;
    if (p.sdp === undefined) {
      if (status === 183) this.#onRinging();
      return;
    }
    if (this.#earlyLeg && this.#earlyLeg !== leg) return;
    this.#earlyLeg = leg;
    const a = this.#a.session;
    if (this.#ctx.engine) {
      if (!leg._offer) return;
      let stream: NegotiatedStream | undefined;
      try {
        stream = answeredStream(leg._offer, p.sdp);
      } catch {
        return; // early SDP we cannot use: the caller hears its own ringback
      }
      if (!stream) return;
      await this.#serial(async () => {
        await this.#updateEndpoint(leg, stream);
        await this.#connect(leg);
      });
      if (this.#ending || this.#winner || this.#earlySent) return;
      if (this.#a._delayed || this.#a._answer === undefined) {
        this.#onRinging();
        return;
      }
      this.#earlySent = true;
      if (a.state === 'incoming' || a.state === 'early') a.progress(this.#a._answer, { status: 183 });
    } else {
      if (this.#earlySent) return;
      this.#earlySent = true;
      if (a.state === 'incoming' || a.state === 'early')
        a.progress(p.sdp, { status: status === 180 ? 183 : status, reliable: p.reliable });
    }
    if (this.#state === 'routing' || this.#state === 'ringing') this.#state = 'early';
    this.safeEmit('progress');
  }

  #forkSettled(leg: Leg | undefined, status: number): void {
    if (leg) this.#forks.delete(leg);
    this.#outstanding--;
    if (this.#winner || this.#ending) return;
    this.#failures.push(status);
    if (this.#outstanding > 0) return;
    const f = pickFailure(this.#failures);
    void this.#finish({
      disposition: f.disposition,
      by: 'callee',
      status: f.status,
      ...(REASONS[f.status] === undefined ? {} : { reason: REASONS[f.status] }),
    });
  }

  #onForkFailed(leg: Leg, err: unknown): void {
    const status = statusOfError(err);
    leg.status ??= status;
    if (leg.endpoint && leg !== this.#winner) {
      const ep = leg.endpoint;
      void this.#serial(async () => {
        if (this.media && (this.media.a === ep || this.media.b === ep)) this.media = undefined;
        await ep.close();
      });
    }
    if (leg === this.#earlyLeg) this.#earlyLeg = undefined;
    this.#forkSettled(leg, status);
  }

  async #onForkAnswered(leg: Leg): Promise<void> {
    this.#forks.delete(leg);
    if (this.#ending || this.#winner) {
      // a second device answered, or the call ended meanwhile
      leg.session.bye().catch(() => undefined);
      await leg.endpoint?.close();
      return;
    }
    this.#winner = leg;
    this.#outstanding--;
    for (const t of this.#timers.splice(0)) t.cancel();
    for (const other of this.#forks) other.session.cancel();
    const a = this.#a.session;
    const b = leg.session;
    // Listened to from the answer on, not from when the caller is connected: the callee
    // may hang up while the media is being connected (a worker round trip or two), and
    // its BYE must end the call (and wait for the CDR) rather than go unnoticed.
    b.on('ended', (info) => {
      this.#onCalleeEnded(info);
      this.#holdByeAnswer(info);
    });
    let sdp: string | undefined;
    if (this.#ctx.engine) {
      const remote = b.remoteSdp;
      const stream = leg._offer && remote !== undefined ? answeredStream(leg._offer, remote) : undefined;
      if (!stream) {
        await this.#finish({
          disposition: 'failed',
          by: 'callee',
          status: 488,
          reason: 'Not Acceptable Here',
        });
        return;
      }
      await this.#serial(async () => {
        await this.#updateEndpoint(leg, stream);
        await this.#connect(leg);
      });
      if (this.#ending) return;
      if (this.#a._delayed) {
        const ep = this.#a.endpoint as MediaEndpoint;
        const o = makeOffer(
          localDescription(ep.local, preferring(this.#codecs(), leg.codec), this.#ptime()),
          {
            random: this.#ctx.random,
          },
        );
        this.#a._offer = o.description;
        sdp = o.text;
        a.once('confirmed', () => {
          this.#onDelayedAnswer().catch((err) => this.#ctx.report(err, 'delayed offer'));
        });
      } else {
        sdp = this.#a._answer;
      }
    } else {
      sdp = b.remoteSdp;
    }
    // the caller left, or the callee hung up, meanwhile: #onCallerEnded/#onCalleeEnded finish
    if (this.#ending || a.state === 'terminated') return;
    try {
      a.answer(sdp);
    } catch (err) {
      this.#ctx.report(err, 'answering the caller');
      await this.#finish({ disposition: 'failed', by: 'system', status: 500 });
      return;
    }
    this.#wireAnswered(leg);
    this.#answered();
  }

  #answered(): void {
    this.answeredAt = this.#ctx.clock.wallTime();
    this.#state = 'answered';
    this.safeEmit('answered');
    this.#ctx.answered(this);
  }

  #wireAnswered(winner: Leg): void {
    const a = this.#a;
    const b = winner.session;
    if (this.#ctx.engine) {
      a.session.setOfferHandler((offer) => this.#reoffer(a, offer));
      b.setOfferHandler((offer) => this.#reoffer(winner, offer));
      a.session.on('hold', () => this.#holdAcross(a, winner, true));
      a.session.on('unhold', () => this.#holdAcross(a, winner, false));
      b.on('hold', () => this.#holdAcross(winner, a, true));
      b.on('unhold', () => this.#holdAcross(winner, a, false));
    } else {
      // signalling only: every re-offer goes to the other side untouched, its answer comes back
      a.session.setOfferHandler(async (offer) => {
        await b.reinvite(offer);
        return b.remoteSdp as string;
      });
      b.setOfferHandler(async (offer) => {
        await a.session.reinvite(offer);
        return a.session.remoteSdp as string;
      });
      a.session.on('hold', () => this.safeEmit('hold', a));
      a.session.on('unhold', () => this.safeEmit('unhold', a));
      b.on('hold', () => this.safeEmit('hold', winner));
      b.on('unhold', () => this.safeEmit('unhold', winner));
    }
  }

  /** A party's new offer (re-INVITE, UPDATE): answered from our endpoint, which follows it. */
  async #reoffer(leg: Leg, offer: string): Promise<string> {
    const ep = leg.endpoint;
    if (!ep || ep.closed) throw new Error('no media endpoint');
    const local = localDescription(ep.local, this.#codecs(), this.#ptime());
    const r = answerOffer(offer, local, {
      random: this.#ctx.random,
      ...(leg.session.localDescription ? { previous: leg.session.localDescription } : {}),
    });
    const stream = r.stream;
    if (stream) {
      await this.#serial(async () => {
        await this.#updateEndpoint(leg, stream);
        await this.#reconnect();
      });
    }
    return r.answer;
  }

  /** `from` put the call on hold (or took it off): tell the other party, follow its answer. */
  #holdAcross(from: Leg, to: Leg, hold: boolean): void {
    this.safeEmit(hold ? 'hold' : 'unhold', from);
    const s = to.session;
    if (this.#ending || s.state !== 'established') return;
    (hold ? s.hold() : s.unhold()).then(
      () => {
        const n = s.negotiated;
        const stream = n ? firstAudio(n) : undefined;
        if (!stream || this.#ending) return;
        void this.#serial(async () => {
          await this.#updateEndpoint(to, stream);
          await this.#reconnect();
        }).catch((err) => this.#ctx.report(err, 'following a hold answer'));
      },
      (err) => this.#ctx.log.warn({ call: this.id, leg: to.id, err: String(err) }, 'hold not passed on'),
    );
  }

  // ------------------------------------------------------------------ ending

  /**
   * Write, then acknowledge: the 200 to a peer's BYE waits until the CDR is written (also
   * when both sides hung up at once and the call was already ending).
   */
  #holdByeAnswer(info: EndedInfo): void {
    if (info.holdAnswer && this.#ending) info.holdAnswer(this.#ending);
  }

  #onCallerEnded(info: EndedInfo): void {
    if (this.#ending) return;
    switch (info.reason) {
      case 'cancelled':
        void this.#finish({
          disposition: 'cancelled',
          by: 'caller',
          status: 487,
          reason: 'Request Terminated',
        });
        return;
      case 'remote-bye':
        void this.#finish(
          this.answeredAt !== undefined
            ? { disposition: 'answered', by: 'caller', reason: 'BYE' }
            : { disposition: 'cancelled', by: 'caller', status: 487, reason: 'BYE before answer' },
        );
        return;
      default:
        void this.#finish(
          this.answeredAt !== undefined
            ? { disposition: 'answered', by: 'system', reason: info.reason }
            : {
                disposition: 'failed',
                by: 'system',
                ...(info.status === undefined ? {} : { status: info.status }),
                reason: info.reason,
              },
        );
    }
  }

  #onCalleeEnded(info: EndedInfo): void {
    if (this.#ending) return;
    if (this.answeredAt === undefined) {
      // it answered, then left before the caller could be connected to it
      const bye = info.reason === 'remote-bye';
      void this.#finish({
        disposition: 'failed',
        by: bye ? 'callee' : 'system',
        status: 480,
        reason: bye ? 'Callee Hung Up' : 'Temporarily Unavailable',
      });
      return;
    }
    void this.#finish({
      disposition: 'answered',
      by: info.reason === 'remote-bye' ? 'callee' : 'system',
      reason: info.reason === 'remote-bye' ? 'BYE' : info.reason,
    });
  }

  #timer(ms: number, fn: () => void): void {
    if (!(ms > 0) || !Number.isFinite(ms)) return;
    this.#timers.push(this.#ctx.clock.setTimeout(fn, ms));
  }

  /** Ends the call once: signalling, media, CDR, then `ended`. */
  #finish(outcome: Outcome): Promise<CallEndInfo> {
    if (this.#ending) return this.#ending;
    const answered = this.answeredAt !== undefined;
    const disposition: CallDisposition = answered
      ? 'answered'
      : outcome.disposition === 'answered'
        ? 'failed'
        : outcome.disposition;
    this.#state = 'ended';
    this.endedAt = this.#ctx.clock.wallTime();
    for (const t of this.#timers.splice(0)) t.cancel();
    let settle!: (info: CallEndInfo) => void;
    // set before anything is sent: hanging up a session re-enters through its `ended` event
    this.#ending = new Promise((resolve) => {
      settle = resolve;
    });
    void this.#wrapUp(outcome, answered, disposition).then(settle);
    return this.#ending;
  }

  async #wrapUp(outcome: Outcome, answered: boolean, disposition: CallDisposition): Promise<CallEndInfo> {
    {
      const a = this.#a.session;
      if (a.state === 'incoming' || a.state === 'early') {
        const status = outcome.status !== undefined && outcome.status >= 300 ? outcome.status : 480;
        const reason = clip(outcome.reason) ?? REASONS[status];
        try {
          a.reject(status, reason === undefined ? {} : { reason });
        } catch {
          // the transaction is gone already
        }
        this.#a.status = status;
      } else if (a.state === 'established') {
        a.bye().catch(() => undefined);
      }
      for (const leg of this.legs) {
        if (leg === this.#a) continue;
        const s = leg.session;
        if (s.state === 'calling' || s.state === 'early') s.cancel();
        else if (s.state === 'established') s.bye().catch(() => undefined);
      }
      const media = this.media;
      this.media = undefined;
      await Promise.allSettled([
        this.#mediaChain,
        media?.close(),
        ...this.legs.map((l) => l.endpoint?.close()),
      ]);
      // endpoints created by a media operation still in flight
      await Promise.allSettled(this.legs.map((l) => l.endpoint?.close()));
      if (this.#trunkHeld !== undefined) {
        this.#ctx.releaseTrunk(this.#trunkHeld);
        this.#trunkHeld = undefined;
      }
      const hangup: CdrHangup = { by: outcome.by };
      if (outcome.status !== undefined) hangup.status = outcome.status;
      const reason = clip(outcome.reason);
      if (reason !== undefined) hangup.reason = reason;
      const input: CdrInput = {
        callId: this.id,
        caller: this.caller,
        callee: this.callee,
        direction: this.direction,
        startedAt: this.startedAt,
        ...(answered ? { answeredAt: this.answeredAt } : {}),
        endedAt: Math.max(this.endedAt ?? this.startedAt, this.startedAt),
        disposition,
        hangup,
        legs: this.legs.map((l) => l.toJSON()),
        extensions: this.#extensions,
        ...(this.trunk === undefined ? {} : { trunk: this.trunk }),
      };
      let cdr: CdrRecord | undefined;
      try {
        cdr = await this.#ctx.storage.cdrs.write(input);
      } catch (err) {
        this.#ctx.report(err, `CDR of call ${this.id} not written`);
      }
      const info: CallEndInfo = { disposition, hangup, cdr };
      this.safeEmit('ended', info);
      this.#ctx.ended(this, info);
      this.safeEmit('close');
      this.#resolveEnded(info);
      return info;
    }
  }
}
