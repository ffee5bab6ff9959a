/**
 * Two scripted SIP peers for race tests, in the manner of SIPp's uac and uas: they build
 * every message by hand, keep no transaction layer of their own, retransmit over UDP the
 * way RFC 3261 asks (INVITE until a response, the 2xx until the ACK, BYE and CANCEL until
 * their final response; T1 doubling, capped at T2 where the RFC caps it), re-ACK a 2xx
 * that comes again, and re-send their last response when a request is retransmitted. What
 * they saw and when is recorded for the checks.
 */
import type { ClockTimer, FakeClock } from '../../src/core/index.js';
import {
  createRequest,
  createResponse,
  type Endpoint,
  type LoopTransport,
  parseMessage,
  type SipMessage,
  SipRequest,
  type SipResponse,
  SipUri,
  serializeMessage,
} from '../../src/sip/index.js';

const T1 = 500;
const T2 = 4000;

function sdp(address: string, port: number): string {
  return [
    'v=0',
    `o=- 1 1 IN IP4 ${address}`,
    's=-',
    `c=IN IP4 ${address}`,
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    'a=rtpmap:0 PCMU/8000',
    '',
  ].join('\r\n');
}

/** Retransmits `send` at T1, 2·T1 … (capped at `cap`) until stopped or 64·T1 have passed. */
class Retransmitter {
  #timer: ClockTimer | undefined;
  #elapsed = 0;
  #interval = T1;

  constructor(
    private readonly clock: FakeClock,
    private readonly send: () => void,
    private readonly cap = Number.POSITIVE_INFINITY,
    private readonly onGiveUp: () => void = () => undefined,
  ) {
    this.#timer = clock.setTimeout(this.#tick, this.#interval);
  }

  readonly #tick = (): void => {
    this.#elapsed += this.#interval;
    if (this.#elapsed >= 64 * T1) {
      this.#timer = undefined;
      this.onGiveUp();
      return;
    }
    this.send();
    this.#interval = Math.min(2 * this.#interval, this.cap);
    this.#timer = this.clock.setTimeout(this.#tick, this.#interval);
  };

  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }
}

abstract class Peer {
  readonly transport: LoopTransport;
  readonly clock: FakeClock;
  /** What happened, in order: `t=1234 got 200 INVITE` … */
  readonly events: string[] = [];
  readonly address: string;

  constructor(clock: FakeClock, transport: LoopTransport) {
    this.clock = clock;
    this.transport = transport;
    this.address = transport.local.address;
    transport.on('message', (data, remote) => {
      let m: SipMessage;
      try {
        m = parseMessage(data);
      } catch {
        this.note('unparsable datagram');
        return;
      }
      if (!this.accepts(m)) return;
      if (m instanceof SipRequest) this.onRequest(m, remote);
      else this.onResponse(m as SipResponse);
    });
  }

  /** Whether this peer handles `m` (several callers may share one transport). */
  protected accepts(_m: SipMessage): boolean {
    return true;
  }

  protected note(what: string): void {
    this.events.push(`t=${this.clock.now()} ${what}`);
  }

  protected sendTo(m: SipMessage | Uint8Array, to: Endpoint): void {
    const bytes = m instanceof Uint8Array ? m : serializeMessage(m);
    this.transport.send(bytes, to).catch(() => undefined);
  }

  /** Answers a request where its top Via says (rport is not used on the loop network). */
  protected reply(req: SipRequest, res: SipResponse | Uint8Array): void {
    const via = req.via[0];
    if (!via) return;
    this.sendTo(res, { address: via.host, port: via.port ?? 5060 });
  }

  protected abstract onRequest(req: SipRequest, remote: Endpoint): void;
  protected abstract onResponse(res: SipResponse): void;
}

export interface CallerPlan {
  /** The BYE goes this long after the first 2xx (and its ACK). */
  holdMs: number;
  /**
   * Hang up this long after the INVITE whatever the state: CANCEL before the answer (once
   * a provisional came), BYE after. Undefined: only `holdMs`.
   */
  hangupAfterMs?: number;
  /** Hang up an early dialog (a provisional with a To tag came) with BYE instead of CANCEL (§15). */
  earlyBye?: boolean;
}

/** The calling side (SIPp's uac): INVITE, ACK, BYE after `holdMs`, or CANCEL. */
export class ScriptedCaller extends Peer {
  readonly callId: string;
  readonly fromTag: string;
  readonly #id: number;
  /** The first 2xx's To tag (the dialog). */
  toTag: string | undefined;
  /** The final status of the INVITE (the first one seen). */
  inviteStatus: number | undefined;
  /** 2xx to the INVITE seen, retransmissions included. */
  okCount = 0;
  /** Final status of our BYE, and when it came. */
  byeStatus: number | undefined;
  byeAnsweredAt: number | undefined;
  byeSent = false;
  cancelSent = false;
  cancelStatus: number | undefined;
  /** The switch hung up on us. */
  gotBye = false;
  readonly #switch: Endpoint;
  readonly #plan: CallerPlan;
  readonly #invite: SipRequest;
  #inviteRetrans: Retransmitter | undefined;
  #ack: Uint8Array | undefined;
  #bye: Uint8Array | undefined;
  #byeRetrans: Retransmitter | undefined;
  #cancelRetrans: Retransmitter | undefined;
  #provisional = false;
  /** The To tag of a provisional (an early dialog). */
  #earlyTag: string | undefined;
  #hangupWanted = false;
  #byeTimer: ClockTimer | undefined;
  #remoteTarget: string | undefined;
  /** Called when our BYE is answered (the test reads the CDRs at that instant). */
  onByeAnswered: (status: number) => void = () => undefined;

  constructor(options: {
    clock: FakeClock;
    transport: LoopTransport;
    switchAt: Endpoint;
    number: string;
    plan: CallerPlan;
    /** Distinguishes the callers sharing a transport (Call-ID, tags, branches). */
    id?: number;
  }) {
    super(options.clock, options.transport);
    this.#switch = options.switchAt;
    this.#plan = options.plan;
    const id = options.id ?? 0;
    this.#id = id;
    this.fromTag = `caller-tag-${id}`;
    this.callId = `race-call-${id}@${this.address}`;
    const sw = `${options.switchAt.address}:${options.switchAt.port}`;
    this.#invite = createRequest({
      method: 'INVITE',
      uri: `sip:${options.number}@${sw}`,
      from: `<sip:caller@${this.address}:5060>;tag=${this.fromTag}`,
      to: `<sip:${options.number}@${sw}>`,
      callId: this.callId,
      cseq: 1,
      via: [`SIP/2.0/UDP ${this.address}:5060;branch=z9hG4bK-caller${id}-invite`],
      contact: `<sip:caller@${this.address}:5060>`,
      body: sdp(this.address, 6000),
      contentType: 'application/sdp',
    });
  }

  protected override accepts(m: SipMessage): boolean {
    return m.callId === this.callId;
  }

  /** Sends the INVITE (and arms the hang-up of the plan). */
  start(): void {
    const bytes = serializeMessage(this.#invite);
    this.note('send INVITE');
    this.sendTo(bytes, this.#switch);
    this.#inviteRetrans = new Retransmitter(this.clock, () => {
      this.note('retransmit INVITE');
      this.sendTo(bytes, this.#switch);
    });
    const at = this.#plan.hangupAfterMs;
    if (at !== undefined) this.clock.setTimeout(() => this.hangUp(), at);
  }

  /** CANCEL while unanswered (once a provisional came), BYE once answered; once. */
  hangUp(): void {
    if (this.#hangupWanted) return;
    this.#hangupWanted = true;
    if (this.gotBye) return;
    if (this.toTag !== undefined) this.#sendBye();
    else if (this.inviteStatus === undefined && this.#plan.earlyBye && this.#earlyTag !== undefined)
      this.#sendBye();
    else if (this.inviteStatus === undefined && this.#provisional) this.#sendCancel();
    // else: CANCEL once a provisional arrives, BYE once a 2xx arrives, nothing after a failure
  }

  #sendCancel(): void {
    if (this.cancelSent) return;
    this.cancelSent = true;
    const cancel = createRequest({
      method: 'CANCEL',
      uri: this.#invite.uri,
      from: this.#invite.from,
      to: this.#invite.to,
      callId: this.callId,
      cseq: 1,
      via: [this.#invite.via[0]!.toString()],
    });
    const bytes = serializeMessage(cancel);
    this.note('send CANCEL');
    this.sendTo(bytes, this.#switch);
    this.#cancelRetrans = new Retransmitter(
      this.clock,
      () => {
        this.note('retransmit CANCEL');
        this.sendTo(bytes, this.#switch);
      },
      T2,
    );
  }

  #inDialog(method: string, cseq: number, branch: string): SipRequest {
    return createRequest({
      method,
      uri: this.#remoteTarget ?? this.#invite.uri,
      from: this.#invite.from,
      to: `${this.#invite.to.toString()};tag=${this.toTag ?? this.#earlyTag}`,
      callId: this.callId,
      cseq,
      via: [`SIP/2.0/UDP ${this.address}:5060;branch=z9hG4bK-caller${this.#id}-${branch}`],
      ...(method === 'ACK' ? {} : { contact: `<sip:caller@${this.address}:5060>` }),
    });
  }

  #sendBye(): void {
    if (this.byeSent || this.gotBye) return;
    this.byeSent = true;
    this.#byeTimer?.cancel();
    const bytes = serializeMessage(this.#inDialog('BYE', 2, 'bye'));
    this.#bye = bytes;
    this.note('send BYE');
    this.sendTo(bytes, this.#switch);
    this.#byeRetrans = new Retransmitter(
      this.clock,
      () => {
        this.note('retransmit BYE');
        this.sendTo(bytes, this.#switch);
      },
      T2,
      () => this.note('BYE timed out'),
    );
  }

  protected onResponse(res: SipResponse): void {
    const method = res.cseq.method;
    const status = res.status;
    this.note(`got ${status} ${method}`);
    if (method === 'INVITE') {
      this.#inviteRetrans?.stop();
      if (status < 200) {
        this.#provisional = true;
        const tag = res.to.tag;
        if (tag !== undefined && this.#earlyTag === undefined) {
          this.#earlyTag = tag;
          this.#remoteTarget = res.contacts[0]?.uri.toString() ?? this.#remoteTarget;
        }
        if (this.#hangupWanted && this.toTag === undefined && this.inviteStatus === undefined) {
          if (this.#plan.earlyBye && this.#earlyTag !== undefined) this.#sendBye();
          else this.#sendCancel();
        }
        return;
      }
      if (status < 300) {
        this.okCount++;
        const tag = res.to.tag;
        if (this.toTag === undefined) {
          this.inviteStatus ??= status;
          this.toTag = tag;
          this.#remoteTarget = res.contacts[0]?.uri.toString() ?? this.#remoteTarget;
          this.#ack = serializeMessage(this.#inDialog('ACK', 1, 'ack'));
          this.note('send ACK');
          this.sendTo(this.#ack, this.#switch);
          if (this.#hangupWanted) this.#sendBye();
          else this.#byeTimer = this.clock.setTimeout(() => this.#sendBye(), this.#plan.holdMs);
        } else if (tag === this.toTag && this.#ack) {
          this.note('re-send ACK');
          this.sendTo(this.#ack, this.#switch);
        } else {
          this.note(`a 2xx from another dialog (${tag})`);
        }
        return;
      }
      this.inviteStatus ??= status;
      const ack = createRequest({
        method: 'ACK',
        uri: this.#invite.uri,
        from: this.#invite.from,
        to: res.to,
        callId: this.callId,
        cseq: 1,
        via: [this.#invite.via[0]!.toString()],
      });
      this.sendTo(ack, this.#switch);
      return;
    }
    if (method === 'BYE' && status >= 200) {
      this.#byeRetrans?.stop();
      if (this.byeStatus === undefined) {
        this.byeStatus = status;
        this.byeAnsweredAt = this.clock.now();
        this.onByeAnswered(status);
      }
      return;
    }
    if (method === 'CANCEL' && status >= 200) {
      this.#cancelRetrans?.stop();
      this.cancelStatus ??= status;
    }
  }

  protected onRequest(req: SipRequest): void {
    this.note(`got ${req.method}`);
    if (req.method === 'ACK') return;
    if (req.method === 'BYE') {
      this.gotBye = true;
      this.#byeTimer?.cancel();
      this.reply(req, createResponse(req, 200));
      return;
    }
    this.reply(req, createResponse(req, req.method === 'INVITE' ? 488 : 200));
  }

  /** The bytes of the last ACK and BYE sent (regression tests replay them). */
  get sent(): { ack: Uint8Array | undefined; bye: Uint8Array | undefined } {
    return { ack: this.#ack, bye: this.#bye };
  }
}

export interface CalleePlan {
  /** 100 Trying at once. */
  trying: boolean;
  /** 180 Ringing (with our tag) this long after the INVITE; undefined: none. */
  ringAfterMs?: number;
  /** The final response this long after the INVITE. */
  answerAfterMs: number;
  /** Reject with this status instead of answering 200. */
  rejectWith?: number;
  /**
   * Hang up (BYE) this long after our 200 — not before its ACK (RFC 3261 §15: a UAS waits
   * for the ACK, or for the 2xx retransmissions to time out); undefined: never.
   */
  byeAfterMs?: number;
}

/** One INVITE the callee got. */
export interface CalleeCall {
  callId: string;
  toTag: string;
  invite: SipRequest;
  /** The status of our final response, once sent. */
  final: number | undefined;
  acked: boolean;
  cancelled: boolean;
  /** A BYE came for this dialog (answered 200, or 481 once our own BYE had ended it). */
  gotBye: boolean;
  /** 2xx retransmissions that went unacknowledged for 64·T1. */
  ackTimedOut: boolean;
  /** We want to hang up (sent once the 200 is ACKed). */
  byeWanted: boolean;
  byeSent: boolean;
  /** Final status of our own BYE. */
  byeStatus: number | undefined;
}

/**
 * The called side (SIPp's uas): 100, maybe 180, then 200 until the ACK; 200 to BYE and
 * CANCEL; maybe its own BYE. The n-th INVITE follows `plans[n % plans.length]`.
 */
export class ScriptedCallee extends Peer {
  readonly calls: CalleeCall[] = [];
  readonly #plans: readonly CalleePlan[];
  readonly #byBranch = new Map<string, { call: CalleeCall; last: Uint8Array | undefined }>();
  readonly #retrans = new Map<CalleeCall, Retransmitter>();
  readonly #byeRetrans = new Map<CalleeCall, Retransmitter>();
  #tags = 0;
  /** Called when one of our BYEs is answered (the test reads the CDRs at that instant). */
  onByeAnswered: (call: CalleeCall, status: number) => void = () => undefined;

  constructor(options: { clock: FakeClock; transport: LoopTransport; plans: readonly CalleePlan[] }) {
    super(options.clock, options.transport);
    this.#plans = options.plans;
  }

  #find(m: SipMessage, tag: string | undefined): CalleeCall | undefined {
    return this.calls.find((c) => c.callId === m.callId && (tag === undefined || c.toTag === tag));
  }

  #respond(entry: { call: CalleeCall; last: Uint8Array | undefined }, status: number): Uint8Array {
    const { call } = entry;
    const res = createResponse(call.invite, status, {
      toTag: call.toTag,
      ...(status >= 200 && status < 300
        ? {
            headers: [['Contact', `<sip:callee@${this.address}:5060>`]],
            body: sdp(this.address, 7000),
            contentType: 'application/sdp',
          }
        : status === 100
          ? {}
          : { headers: [['Contact', `<sip:callee@${this.address}:5060>`]] }),
    });
    const bytes = serializeMessage(res);
    entry.last = bytes;
    this.note(`send ${status} INVITE`);
    this.reply(call.invite, bytes);
    return bytes;
  }

  #sendBye(call: CalleeCall): void {
    call.byeWanted = true;
    if (!call.acked && !call.ackTimedOut) return; // once the ACK came
    if (call.byeSent || call.gotBye) return;
    call.byeSent = true;
    this.#retrans.get(call)?.stop();
    const inv = call.invite;
    const to = inv.contacts[0]?.uri;
    if (!(to instanceof SipUri)) return;
    const bye = createRequest({
      method: 'BYE',
      uri: to,
      from: `${inv.to.toString()};tag=${call.toTag}`,
      to: inv.from,
      callId: call.callId,
      cseq: 1,
      via: [`SIP/2.0/UDP ${this.address}:5060;branch=z9hG4bK-callee-bye-${call.toTag}`],
      contact: `<sip:callee@${this.address}:5060>`,
    });
    const bytes = serializeMessage(bye);
    const target = { address: to.host, port: to.port ?? 5060 };
    this.note('send BYE');
    this.sendTo(bytes, target);
    this.#byeRetrans.set(
      call,
      new Retransmitter(
        this.clock,
        () => {
          this.note('retransmit BYE');
          this.sendTo(bytes, target);
        },
        T2,
        () => this.note('BYE timed out'),
      ),
    );
  }

  protected onRequest(req: SipRequest): void {
    const method = req.method;
    this.note(`got ${method}`);
    if (method === 'INVITE') {
      const branch = req.via[0]?.branch ?? '';
      const known = this.#byBranch.get(branch);
      if (known) {
        if (known.last) this.reply(req, known.last);
        return;
      }
      if (req.to.tag !== undefined) {
        this.reply(req, createResponse(req, 488)); // no re-INVITEs in this script
        return;
      }
      const plan = this.#plans[this.calls.length % this.#plans.length] as CalleePlan;
      const call: CalleeCall = {
        callId: req.callId,
        toTag: `callee-tag-${++this.#tags}`,
        invite: req,
        final: undefined,
        acked: false,
        cancelled: false,
        gotBye: false,
        ackTimedOut: false,
        byeWanted: false,
        byeSent: false,
        byeStatus: undefined,
      };
      this.calls.push(call);
      const entry = { call, last: undefined as Uint8Array | undefined };
      this.#byBranch.set(branch, entry);
      if (plan.trying) this.#respond(entry, 100);
      const ring = plan.ringAfterMs;
      if (ring !== undefined && ring < plan.answerAfterMs)
        this.clock.setTimeout(() => {
          if (call.final === undefined) this.#respond(entry, 180);
        }, ring);
      this.clock.setTimeout(() => {
        if (call.final !== undefined || call.gotBye) return;
        const reject = plan.rejectWith;
        if (reject !== undefined) {
          call.final = reject;
          const bytes = this.#respond(entry, reject);
          this.#retrans.set(call, new Retransmitter(this.clock, () => this.reply(call.invite, bytes), T2));
          return;
        }
        call.final = 200;
        const bytes = this.#respond(entry, 200);
        this.#retrans.set(
          call,
          new Retransmitter(
            this.clock,
            () => {
              this.note('retransmit 200 INVITE');
              this.reply(call.invite, bytes);
            },
            T2,
            () => {
              call.ackTimedOut = true;
              this.note('no ACK for the 200');
              this.#sendBye(call); // RFC 3261 §13.3.1.4
            },
          ),
        );
        const bye = plan.byeAfterMs;
        if (bye !== undefined) this.clock.setTimeout(() => this.#sendBye(call), bye);
      }, plan.answerAfterMs);
      return;
    }
    if (method === 'ACK') {
      const call = this.#find(req, req.to.tag);
      if (call && req.cseq.seq === call.invite.cseq.seq && !call.acked) {
        call.acked = true;
        this.#retrans.get(call)?.stop();
        if (call.byeWanted && call.final === 200) this.#sendBye(call);
      }
      return;
    }
    if (method === 'CANCEL') {
      const entry = this.#byBranch.get(req.via[0]?.branch ?? '');
      if (!entry) {
        this.reply(req, createResponse(req, 481, { toTag: 'none' }));
        return;
      }
      this.reply(req, createResponse(req, 200, { toTag: entry.call.toTag }));
      if (entry.call.final === undefined) {
        entry.call.cancelled = true;
        entry.call.final = 487;
        const bytes = this.#respond(entry, 487);
        this.#retrans.set(
          entry.call,
          new Retransmitter(this.clock, () => this.reply(entry.call.invite, bytes), T2),
        );
      }
      return;
    }
    if (method === 'BYE') {
      const call = req.to.tag === undefined ? undefined : this.#find(req, req.to.tag);
      if (call) call.gotBye = true;
      if (!call || (call.byeSent && call.byeStatus !== undefined)) {
        this.reply(req, createResponse(req, 481)); // our own BYE ended the dialog first
        return;
      }
      this.#retrans.get(call)?.stop();
      this.reply(req, createResponse(req, 200));
      return;
    }
    this.reply(req, createResponse(req, 200));
  }

  protected onResponse(res: SipResponse): void {
    this.note(`got ${res.status} ${res.cseq.method}`);
    if (res.cseq.method !== 'BYE' || res.status < 200) return;
    const call = this.#find(res, res.from.tag);
    if (!call) return;
    this.#byeRetrans.get(call)?.stop();
    if (call.byeStatus === undefined) {
      call.byeStatus = res.status;
      this.onByeAnswered(call, res.status);
    }
  }
}
