/**
 * SIPp 3.6 as bench/cps runs it, for race tests: a scenario interpreter with SIPp's own
 * rules (learnt from its src/call.cpp, scenario.cpp, socket.cpp and deadcall.cpp, written
 * here from that reading; the rule that matters most is checked on the real SIPp by
 * sipp-model.e2e.test.ts) and the two scenarios of bench/lib/sipp-scenarios.ts. What makes
 * SIPp unlike an RFC 3261 peer, and what this model keeps:
 *
 * - Matching. A received message is looked for from the current step on, across optional
 *   recvs up to the first mandatory step. A response matches a `<recv response="N">` by its
 *   status code alone, when its CSeq method is one of the request methods the scenario sent
 *   before that recv (one list per recv, every method concatenated: the uac's last recv has
 *   "INVITEACKBYE", so a 2xx to the INVITE satisfies the recv waiting for the BYE's 200) —
 *   unless the recv names a transaction (response_txn): then only a response with the Via
 *   branch of that transaction's request matches.
 *   Failing that, the steps before the current one are searched backwards: a match in the
 *   contiguous block of optional recvs right behind it is taken (out of order provisionals);
 *   a match further back is only used to re-send the ACK of a 2xx to INVITE (or, for a
 *   transaction, to ignore a late provisional or a repeated final response); else the
 *   message is unexpected.
 * - Retransmissions. Only the LAST received message is remembered (its text): the same text
 *   again is absorbed. When SIPp sends right after a receive, that receive's text is kept
 *   as the one to answer: the same text again re-sends that send, re-rendered from the
 *   templates with whatever was received last ([last_*] headers). The text is forgotten at
 *   the next send: after the uac's BYE nothing is recognised as a retransmission any more.
 * - `<send retrans="500">` is sent again at 500, 1000, 2000 … ms (capped at T2 = 4 s unless
 *   it is an INVITE) until a matching recv further on; after 5 (INVITE) or 9 resends the
 *   call is aborted. A matched request, final response, or provisional to INVITE stops it.
 * - Unexpected messages. A BYE or CANCEL is answered 200 and the call is deleted (failed);
 *   anything else aborts the call (failed): the uac then sends BYE built from the last
 *   message received (ACK + BYE, CANCEL, or ACK of an error before the ACK was sent), the
 *   uas sends nothing. An aborted or finished call becomes a dead call for 33 s that
 *   absorbs everything silently. An ACK whose CSeq differs from the INVITE's is dropped
 *   with the call (failed).
 * - Calls. The uac only knows the calls it made (other messages are discarded); the uas
 *   makes a new call of any message with an unknown Call-ID, whatever it is.
 */
import type { ClockTimer, FakeClock } from '../../src/core/index.js';
import type { Endpoint, LoopTransport } from '../../src/sip/index.js';

const T2 = 4000;
/** SIPp's -deadcall_wait default. */
export const DEADCALL_WAIT_MS = 33_000;
const MAX_INVITE_RETRANS = 5;
const MAX_NON_INVITE_RETRANS = 9;

// ---- raw message text, as SIPp reads it ----------------------------------------------------

const COMPACT: Record<string, string> = {
  via: 'v',
  from: 'f',
  to: 't',
  'call-id': 'i',
  contact: 'm',
  'content-length': 'l',
  'content-type': 'c',
};

/** The header lines named `name` (full or compact form), as received. */
export function headerLines(msg: string, name: string): string[] {
  const end = msg.indexOf('\r\n\r\n');
  const head = (end < 0 ? msg : msg.slice(0, end)).split('\r\n').slice(1);
  const full = name.toLowerCase();
  const short = COMPACT[full];
  return head.filter((line) => {
    const colon = line.indexOf(':');
    if (colon < 0) return false;
    const n = line.slice(0, colon).trim().toLowerCase();
    return n === full || n === short;
  });
}

/** The value of the first header `name`. */
export function headerValue(msg: string, name: string): string | undefined {
  const line = headerLines(msg, name)[0];
  return line === undefined ? undefined : line.slice(line.indexOf(':') + 1).trim();
}

/** All header lines `name` as one line `Name: v1, v2` (SIPp's get_header); '' when absent. */
function lastHeader(msg: string | undefined, name: string): string {
  if (msg === undefined) return '';
  const lines = headerLines(msg, name);
  if (lines.length === 0) return '';
  const values = lines.map((l) => l.slice(l.indexOf(':') + 1).trim());
  const first = lines[0] as string;
  return `${first.slice(0, first.indexOf(':')).trim()}: ${values.join(', ')}`;
}

function tagOf(headerValueText: string | undefined): string | undefined {
  if (headerValueText === undefined) return undefined;
  const m = /;\s*tag=([^;>\s,]+)/i.exec(headerValueText);
  return m?.[1];
}

export function statusOf(msg: string): number {
  if (!msg.startsWith('SIP/2.0 ')) return 0;
  return Number(msg.slice(8, 11)) || 0;
}

export function methodOf(msg: string): string {
  return msg.startsWith('SIP/2.0') ? '' : msg.slice(0, msg.indexOf(' '));
}

/** The branch of the top Via. */
function branchOf(msg: string): string {
  const via = headerValue(msg, 'Via') ?? '';
  return /;\s*branch=([^;,\s]+)/i.exec(via)?.[1] ?? '';
}

function cseqOf(msg: string): { seq: number; method: string } {
  const v = headerValue(msg, 'CSeq') ?? '';
  const [seq, method] = v.split(/\s+/);
  return { seq: Number(seq) || 0, method: method ?? '' };
}

/** `sip:x@y` from the `<…>` of a header value ([last_Request_URI] reads the To header). */
function uriIn(value: string | undefined): string {
  if (value === undefined) return '';
  const a = value.indexOf('<');
  const b = value.indexOf('>');
  return a >= 0 && b > a ? value.slice(a + 1, b) : '';
}

/** Joins template lines with CRLF, dropping the empty lines keywords left (SIPp does). */
function lines(...ls: Array<string | undefined>): string {
  const head: string[] = [];
  let body: string | undefined;
  for (const l of ls) {
    if (l === undefined || l === '') continue;
    head.push(l);
  }
  const i = head.indexOf('\u0000BODY');
  if (i >= 0) {
    body = head.slice(i + 1).join('\r\n');
    head.length = i;
  }
  if (body === undefined) return `${head.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`;
  const bodyText = `${body}\r\n`;
  return `${head.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(bodyText)}\r\n\r\n${bodyText}`;
}

const BODY = '\u0000BODY';

function sdp(ip: string, port: number): string[] {
  return [
    BODY,
    'v=0',
    `o=- 53655765 2353687637 IN IP4 ${ip}`,
    's=-',
    `c=IN IP4 ${ip}`,
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    'a=rtpmap:0 PCMU/8000',
    'a=ptime:20',
  ];
}

// ---- scenarios ---------------------------------------------------------------------------------

export type SippStep =
  | {
      type: 'send';
      render: (c: SippCall, index: number) => string;
      retrans?: number;
      /** `start_txn`: the request starts this transaction (its Via branch is kept). */
      startTxn?: string;
      /** `ack_txn`: the ACK of this INVITE transaction (sent again for its 2xx). */
      ackTxn?: string;
    }
  | {
      type: 'recv';
      response?: number;
      request?: string;
      optional?: boolean;
      rrs?: boolean;
      /** `response_txn`: only a response with the Via branch of this transaction matches. */
      responseTxn?: string;
    }
  | { type: 'pause'; ms: number; timewait?: boolean };

interface CompiledStep {
  step: SippStep;
  optional: boolean;
  /** Sends: the request method ('' for a response). */
  sendMethod: string;
  /** Response recvs: every request method sent before this step, concatenated (SIPp's list). */
  methods: string | undefined;
}

function compile(steps: readonly SippStep[], sample: (render: SippStep & { type: 'send' }) => string) {
  let list: string | undefined;
  return steps.map((step): CompiledStep => {
    if (step.type === 'send') {
      const method = methodOf(sample(step));
      if (method !== '' && step.startTxn === undefined && step.ackTxn === undefined)
        list = (list ?? '') + method;
      return { step, optional: false, sendMethod: method, methods: undefined };
    }
    if (step.type === 'recv')
      return {
        step,
        optional: step.optional === true,
        sendMethod: '',
        methods: step.response === undefined ? undefined : list,
      };
    return { step, optional: false, sendMethod: '', methods: undefined };
  });
}

/**
 * bench/lib/sipp-scenarios.ts uacScenario() (no RTP), with the pause of `-d holdMs`: its
 * INVITE and BYE start transactions and each recv takes only the responses of its own
 * (start_txn, response_txn, ack_txn). `transactions: false` is the scenario as it was
 * before, SIPp's stock matching by status code (what left calls up in bench/cps).
 */
export function uacSteps(holdMs: number, options: { transactions?: boolean } = {}): SippStep[] {
  const txn = options.transactions !== false;
  const invite = txn ? { responseTxn: 'invite' } : {};
  const ack = (c: SippCall, i: number) =>
    lines(
      `ACK ${c.nextUrl} SIP/2.0`,
      `Via: SIP/2.0/UDP ${c.local}:5060;branch=${c.branch(i)}`,
      `From: sipp <sip:sipp@${c.local}:5060>;tag=${c.fromTag}`,
      `To: <sip:${c.service}@${c.remote}>${c.peerTagParam}`,
      c.routes,
      `Call-ID: ${c.id}`,
      'CSeq: 1 ACK',
      `Contact: <sip:sipp@${c.local}:5060>`,
      'Max-Forwards: 70',
    );
  return [
    {
      type: 'send',
      retrans: 500,
      ...(txn ? { startTxn: 'invite' } : {}),
      render: (c, i) =>
        lines(
          `INVITE sip:${c.service}@${c.remote} SIP/2.0`,
          `Via: SIP/2.0/UDP ${c.local}:5060;branch=${c.branch(i)}`,
          `From: sipp <sip:sipp@${c.local}:5060>;tag=${c.fromTag}`,
          `To: <sip:${c.service}@${c.remote}>`,
          `Call-ID: ${c.id}`,
          'CSeq: 1 INVITE',
          `Contact: <sip:sipp@${c.local}:5060>`,
          'Max-Forwards: 70',
          'Content-Type: application/sdp',
          ...sdp(c.local, 6000),
        ),
    },
    { type: 'recv', response: 100, optional: true, ...invite },
    { type: 'recv', response: 180, optional: true, ...invite },
    { type: 'recv', response: 183, optional: true, ...invite },
    { type: 'recv', response: 200, rrs: true, ...invite },
    { type: 'send', render: ack, ...(txn ? { ackTxn: 'invite' } : {}) },
    { type: 'pause', ms: holdMs },
    {
      type: 'send',
      retrans: 500,
      ...(txn ? { startTxn: 'bye' } : {}),
      render: (c, i) =>
        lines(
          `BYE ${c.nextUrl} SIP/2.0`,
          `Via: SIP/2.0/UDP ${c.local}:5060;branch=${c.branch(i)}`,
          `From: sipp <sip:sipp@${c.local}:5060>;tag=${c.fromTag}`,
          `To: <sip:${c.service}@${c.remote}>${c.peerTagParam}`,
          c.routes,
          `Call-ID: ${c.id}`,
          'CSeq: 2 BYE',
          `Contact: <sip:sipp@${c.local}:5060>`,
          'Max-Forwards: 70',
        ),
    },
    { type: 'recv', response: 200, ...(txn ? { responseTxn: 'bye' } : {}) },
  ];
}

/** bench/lib/sipp-scenarios.ts uasScenario(). */
export function uasSteps(): SippStep[] {
  return [
    { type: 'recv', request: 'INVITE' },
    {
      type: 'send',
      retrans: 500,
      render: (c) =>
        lines(
          'SIP/2.0 200 OK',
          c.last('Via'),
          c.last('Record-Route'),
          c.last('From'),
          `${c.last('To')};tag=${c.toTag}`,
          c.last('Call-ID'),
          c.last('CSeq'),
          `Contact: <sip:${c.local}:5060;transport=UDP>`,
          'Content-Type: application/sdp',
          ...sdp(c.local, 6002),
        ),
    },
    { type: 'recv', request: 'ACK', optional: true },
    { type: 'recv', request: 'BYE' },
    {
      type: 'send',
      render: (c) =>
        lines(
          'SIP/2.0 200 OK',
          c.last('Via'),
          c.last('From'),
          c.last('To'),
          c.last('Call-ID'),
          c.last('CSeq'),
          `Contact: <sip:${c.local}:5060;transport=UDP>`,
        ),
    },
    { type: 'pause', ms: 4000, timewait: true },
  ];
}

// ---- one SIPp call -----------------------------------------------------------------------------

export type SippOutcome = 'success' | 'failed';

/** One SIPp call (SIPp's `call`): the scenario's state machine and what it did. */
export class SippCall {
  readonly id: string;
  readonly number: number;
  readonly agent: SippAgent;
  /** Where everything is sent (SIPp's call_peer). */
  readonly peer: Endpoint;
  readonly fromTag: string;
  readonly toTag: string;
  readonly events: string[] = [];
  outcome: SippOutcome | undefined;
  /** Why it failed. */
  failure: string | undefined;
  /** The message its last matched recv took (`200 BYE`; `200 INVITE` when a 2xx to the INVITE ended it). */
  lastMatched: string | undefined;
  /** Requests received by method (first copies and retransmissions alike). */
  readonly received = new Map<string, number>();
  /** Requests and responses sent, by start line (`BYE`, `200 INVITE` …). */
  readonly sent = new Map<string, number>();
  #msgIndex = 0;
  #lastSendIndex = 0;
  #lastSendMsg: string | undefined;
  #lastRecvIndex = -1;
  #lastRecvHash: string | undefined;
  #lastRecvMsg: string | undefined;
  #recvRetransHash: string | undefined;
  #recvRetransRecvIndex = -1;
  #recvRetransSendIndex = -1;
  #lastRecvInviteCseq = 0;
  #peerTag: string | undefined;
  #routeSet: string | undefined;
  #nextUrl: string | undefined;
  #nextRetrans = 0;
  #nbRetrans = 0;
  #nbLastDelay = 0;
  #pausedUntil = 0;
  #timewait = false;
  #callEstablished = false;
  #ackIsPending = false;
  #wake: ClockTimer | undefined;
  #gone = false;
  /** Scenario transactions: the request's branch, the ACK step, the final response's text. */
  readonly #txns = new Map<string, { branch?: string; ackIndex?: number; finalText?: string }>();

  readonly #steps: readonly CompiledStep[];

  constructor(agent: SippAgent, id: string, number: number, peer: Endpoint, steps = agent.steps) {
    this.agent = agent;
    this.#steps = steps;
    this.id = id;
    this.number = number;
    this.peer = peer;
    this.fromTag = `${agent.pid}SIPpTag00${number}`;
    this.toTag = `${agent.pid}SIPpTag01${number}`;
  }

  // template keywords
  get local(): string {
    return this.agent.local.address;
  }
  get remote(): string {
    return `${this.peer.address}:${this.peer.port}`;
  }
  get service(): string {
    return this.agent.service;
  }
  get peerTagParam(): string {
    return this.#peerTag === undefined ? '' : `;tag=${this.#peerTag}`;
  }
  get routes(): string {
    return this.#routeSet === undefined ? '' : `Route: ${this.#routeSet}`;
  }
  get nextUrl(): string {
    return this.#nextUrl ?? '';
  }
  branch(index: number): string {
    return `z9hG4bK-${this.agent.pid}-${this.number}-${index - 1}`;
  }
  /** [last_Name:] — the header lines of the last message received. */
  last(name: string): string {
    return lastHeader(this.#lastRecvMsg, name);
  }

  get done(): boolean {
    return this.#gone;
  }

  #now(): number {
    return this.agent.clock.now();
  }

  #note(what: string): void {
    this.events.push(`t=${this.#now()} ${what}`);
  }

  #count(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }

  #sendRaw(text: string, why = ''): void {
    const line = statusOf(text) ? `${statusOf(text)} ${cseqOf(text).method}` : methodOf(text);
    this.#count(this.sent, line);
    this.#note(`send ${line}${why}`);
    this.agent.transport.send(Buffer.from(text), this.peer).catch(() => undefined);
  }

  /** SIPp's send_scene: renders step `index` from the templates and sends it. */
  #sendScene(index: number, why = ''): string {
    const step = this.#steps[index]?.step as SippStep & { type: 'send' };
    const text = step.render(this, index);
    if (methodOf(text) === 'ACK') {
      this.#callEstablished = true;
      this.#ackIsPending = false;
    }
    this.#sendRaw(text, why);
    return text;
  }

  /** Starts a uac call (its first step is a send). */
  start(): void {
    this.#run();
  }

  /** SIPp's next(): the next step, or the end of the scenario (a successful call). */
  #next(): boolean {
    this.#msgIndex++;
    if (this.#msgIndex >= this.#steps.length) {
      this.#terminate();
      return false;
    }
    return true;
  }

  #terminate(): void {
    this.#finish('success');
    this.agent._dead(this);
  }

  #finish(outcome: SippOutcome, failure?: string): void {
    if (this.#gone) return;
    this.#gone = true;
    this.outcome = outcome;
    if (failure !== undefined) this.failure = failure;
    this.#wake?.cancel();
    this.#wake = undefined;
    this.#note(outcome === 'success' ? 'call ends: success' : `call fails: ${failure}`);
  }

  #schedule(): void {
    this.#wake?.cancel();
    this.#wake = undefined;
    if (this.#gone) return;
    let at = 0;
    if (this.#pausedUntil) at = this.#pausedUntil;
    if (this.#nextRetrans && (!at || this.#nextRetrans < at)) at = this.#nextRetrans;
    if (!at) return;
    this.#wake = this.agent.clock.setTimeout(
      () => {
        this.#wake = undefined;
        this.#run();
      },
      Math.max(0, at - this.#now()),
    );
  }

  /** SIPp's run(): retransmission, pause, then the steps until one waits. */
  #run(): void {
    if (this.#gone) return;
    const now = this.#now();
    if (this.#nextRetrans && this.#nextRetrans <= now) {
      this.#nbRetrans++;
      const last = this.#lastSendMsg ?? '';
      const invite = last.startsWith('INVITE');
      if (this.#nbRetrans > (invite ? MAX_INVITE_RETRANS : MAX_NON_INVITE_RETRANS)) {
        this.#abortCall('max UDP retransmissions');
        return;
      }
      this.#nbLastDelay *= 2;
      if (!invite) this.#nbLastDelay = Math.min(this.#nbLastDelay, T2);
      this.#sendRaw(last, ' (retransmission)');
      this.#nextRetrans = now + this.#nbLastDelay;
    }
    if (this.#pausedUntil) {
      if (this.#pausedUntil > now) {
        this.#schedule();
        return;
      }
      this.#pausedUntil = 0;
      if (!this.#next()) return;
    }
    for (;;) {
      const c = this.#steps[this.#msgIndex] as CompiledStep;
      const step = c.step;
      if (step.type === 'pause') {
        this.#pausedUntil = now + step.ms;
        this.#timewait = step.timewait === true;
        if (step.ms <= 0) {
          this.#pausedUntil = 0;
          if (!this.#next()) return;
          continue;
        }
        this.#schedule();
        return;
      }
      if (step.type === 'recv') {
        this.#schedule();
        return;
      }
      // a send waits until the previous one with retransmissions is answered
      if (this.#nextRetrans) {
        this.#schedule();
        return;
      }
      const text = this.#sendScene(this.#msgIndex);
      this.#lastSendIndex = this.#msgIndex;
      this.#lastSendMsg = text;
      if (step.startTxn !== undefined) this.#txn(step.startTxn).branch = branchOf(text);
      if (step.ackTxn !== undefined) this.#txn(step.ackTxn).ackIndex = this.#msgIndex;
      if (this.#lastRecvIndex >= 0) {
        this.#recvRetransHash = this.#lastRecvHash;
        this.#recvRetransRecvIndex = this.#lastRecvIndex;
        this.#recvRetransSendIndex = this.#msgIndex;
        this.#lastRecvHash = undefined;
      }
      if (step.retrans) {
        this.#nextRetrans = now + step.retrans;
        this.#nbRetrans = 0;
        this.#nbLastDelay = step.retrans;
      } else this.#nextRetrans = 0;
      if (!this.#next()) return;
    }
  }

  #txn(name: string): { branch?: string; ackIndex?: number; finalText?: string } {
    let t = this.#txns.get(name);
    if (!t) {
      t = {};
      this.#txns.set(name, t);
    }
    return t;
  }

  #matches(index: number, reply: number, request: string, cseqMethod: string, branch: string): boolean {
    const c = this.#steps[index] as CompiledStep;
    const step = c.step;
    if (step.type !== 'recv') return false;
    if (step.request !== undefined) return step.request === request;
    if (step.response !== undefined && step.response === reply) {
      if (step.responseTxn !== undefined) {
        const id = this.#txns.get(step.responseTxn)?.branch;
        return id !== undefined && id === branch;
      }
      if (index === 0) return true;
      return c.methods?.includes(cseqMethod) === true;
    }
    return false;
  }

  /** SIPp's process_incoming. */
  _incoming(text: string): void {
    if (this.#gone) return;
    const reply = statusOf(text);
    const request = methodOf(text);
    const cseq = cseqOf(text);
    this.#note(`got ${reply ? `${reply} ${cseq.method}` : request}`);
    if (!reply) this.#count(this.received, request);
    if (request === 'ACK' && cseq.seq !== this.#lastRecvInviteCseq) {
      // -default_behaviors badcseq: the call is deleted (no dead call)
      this.#finish('failed', 'ACK CSeq does not match the INVITE');
      this.agent._forget(this);
      return;
    }
    const cookie = text;
    if (this.#recvRetransRecvIndex >= 0 && this.#recvRetransHash === cookie) {
      this.#sendScene(this.#recvRetransSendIndex, ' (answering a retransmission)');
      return;
    }
    if (this.#lastRecvIndex >= 0 && this.#lastRecvHash === cookie) {
      this.#note('absorbed (same as the last message received)');
      return;
    }
    if (reply) {
      const tag = tagOf(headerValue(text, 'To'));
      if (tag !== undefined) this.#peerTag = tag;
    } else {
      if (request === 'ACK') this.#callEstablished = true;
      if (request === 'INVITE') this.#lastRecvInviteCseq = cseq.seq;
    }
    const cseqMethod = reply ? cseq.method : '';
    const branch = reply ? branchOf(text) : '';
    const steps = this.#steps;
    let found = -1;
    for (let i = this.#msgIndex; i < steps.length; i++) {
      if (this.#matches(i, reply, request, cseqMethod, branch)) {
        found = i;
        break;
      }
      if (!(steps[i] as CompiledStep).optional) break;
    }
    if (found < 0) {
      let contig = true;
      for (let i = this.#msgIndex - 1; i >= 0; i--) {
        if (!(steps[i] as CompiledStep).optional) contig = false;
        if (!this.#matches(i, reply, request, cseqMethod, branch)) continue;
        if (contig) {
          found = i;
          break;
        }
        const old = steps[i] as CompiledStep;
        const txnName = old.step.type === 'recv' ? old.step.responseTxn : undefined;
        if (txnName !== undefined) {
          // a response of a transaction answered already: a provisional is ignored, a 2xx
          // to INVITE gets the transaction's ACK again, a final response seen already is ignored
          const t = this.#txn(txnName);
          if (reply >= 100 && reply <= 199) {
            this.#note('ignored (a provisional of an old transaction)');
            return;
          }
          if (t.ackIndex !== undefined) {
            const ack = steps[t.ackIndex]?.step as SippStep & { type: 'send' };
            this.#sendRaw(ack.render(this, t.ackIndex), ' (again)');
            return;
          }
          if (t.finalText === text) {
            this.#note('ignored (the final response of an old transaction)');
            return;
          }
          continue;
        }
        // a message of an old step: a 2xx to INVITE is ACKed again, if an ACK follows it
        const following = steps[i + 1];
        if (reply && 'INVITE'.startsWith(cseqMethod) && following?.sendMethod === 'ACK') {
          this.#sendRaw((following.step as SippStep & { type: 'send' }).render(this, i + 1), ' (again)');
          return;
        }
      }
    }
    if (found < 0) {
      this.#unexpected(text, request);
      return;
    }
    const c = steps[found] as CompiledStep;
    if (c.step.type === 'recv' && c.step.responseTxn !== undefined)
      this.#txn(c.step.responseTxn).finalText = text;
    const isReq = ['ACK', 'CANCEL', 'BYE', 'PRACK'].includes(request);
    if ((reply || isReq) && found > this.#lastSendIndex) {
      if (!reply || reply >= 200 || 'INVITE'.startsWith(cseqMethod)) this.#nextRetrans = 0;
      else {
        this.#nextRetrans = this.#now() + T2;
        this.#nbLastDelay = T2;
      }
    }
    if (reply === 200) this.#ackIsPending = true;
    if (c.step.type === 'recv' && c.step.rrs && this.#routeSet === undefined) {
      const rr = headerLines(text, 'Record-Route').map((l) => l.slice(l.indexOf(':') + 1).trim());
      const contact = uriIn(headerValue(text, 'Contact'));
      if (rr.length > 0) this.#routeSet = rr.reverse().join(', ');
      this.#nextUrl = contact;
    }
    this.#lastRecvIndex = found;
    this.#lastRecvHash = cookie;
    this.#lastRecvMsg = text;
    this.lastMatched = reply ? `${reply} ${cseq.method}` : request;
    if (!c.optional) {
      this.#pausedUntil = 0;
      this.#msgIndex = found;
      if (this.#next()) this.#run();
    } else this.#schedule();
  }

  #unexpected(text: string, request: string): void {
    this.#lastRecvMsg = text;
    if (request === 'BYE' || request === 'CANCEL') {
      // automatic answer, and the call is deleted (no dead call: a new message is a new call)
      this.#sendRaw(this.#defaultOk(), ` (unexpected ${request})`);
      this.#finish('failed', `unexpected ${request}`);
      this.agent._forget(this);
      return;
    }
    this.#abortCall(`unexpected ${statusOf(text) ? `${statusOf(text)} ${cseqOf(text).method}` : request}`);
  }

  /** SIPp's abortCall: the uac hangs up with messages built from the last one received. */
  #abortCall(why: string): void {
    const lastSend = this.#lastSendMsg;
    const isInvite = lastSend?.startsWith('INVITE') === true;
    const last = this.#lastRecvMsg;
    if (this.agent.mode === 'client' && this.#msgIndex > 0) {
      if (!this.#callEstablished && isInvite) {
        if (last !== undefined && statusOf(last) >= 400) this.#sendRaw(this.#defaultAck(false), ' (abort)');
        else if (last !== undefined) {
          if (this.#ackIsPending) {
            this.#ackIsPending = false;
            this.#sendRaw(this.#defaultAck(true), ' (abort)');
            this.#sendRaw(this.#defaultBye(), ' (abort)');
          } else this.#sendRaw(this.#defaultCancel(), ' (abort)');
        }
      } else if (last !== undefined) this.#sendRaw(this.#defaultBye(), ' (abort)');
    }
    this.#finish('failed', why);
    this.agent._dead(this);
  }

  // SIPp's default messages (call.cpp default_message_strings), from the last message received
  #lastCseqNumber(): number {
    return this.#lastRecvMsg === undefined ? 0 : cseqOf(this.#lastRecvMsg).seq;
  }

  #defaultAck(ownVia: boolean): string {
    return lines(
      `ACK ${uriIn(headerValue(this.#lastRecvMsg ?? '', 'To'))} SIP/2.0`,
      ownVia ? `Via: SIP/2.0/UDP ${this.local}:5060;branch=${this.branch(-1)}` : this.last('Via'),
      this.last('From'),
      this.last('To'),
      `Call-ID: ${this.id}`,
      `CSeq: ${this.#lastCseqNumber()} ACK`,
      `Contact: <sip:sipp@${this.local}:5060;transport=UDP>`,
      'Max-Forwards: 70',
    );
  }

  #defaultBye(): string {
    return lines(
      `BYE ${uriIn(headerValue(this.#lastRecvMsg ?? '', 'To'))} SIP/2.0`,
      `Via: SIP/2.0/UDP ${this.local}:5060;branch=${this.branch(-2)}`,
      this.last('From'),
      this.last('To'),
      `Call-ID: ${this.id}`,
      `CSeq: ${this.#lastCseqNumber() + 1} BYE`,
      'Max-Forwards: 70',
      `Contact: <sip:sipp@${this.local}:5060;transport=UDP>`,
    );
  }

  #defaultCancel(): string {
    return lines(
      `CANCEL ${uriIn(headerValue(this.#lastRecvMsg ?? '', 'To'))} SIP/2.0`,
      this.last('Via'),
      this.last('From'),
      this.last('To'),
      `Call-ID: ${this.id}`,
      `CSeq: ${this.#lastCseqNumber()} CANCEL`,
      'Max-Forwards: 70',
      `Contact: <sip:sipp@${this.local}:5060;transport=UDP>`,
    );
  }

  #defaultOk(): string {
    return lines(
      'SIP/2.0 200 OK',
      this.last('Via'),
      this.last('From'),
      this.last('To'),
      this.last('Call-ID'),
      this.last('CSeq'),
      `Contact: <sip:${this.local}:5060;transport=UDP>`,
    );
  }
}

// ---- one SIPp process ---------------------------------------------------------------------------

/**
 * One SIPp process on one UDP socket: `client` (the uac: its own calls only) or `server`
 * (the uas: a new call for any message of an unknown Call-ID). Finished and aborted calls
 * linger as dead calls that swallow everything for {@link DEADCALL_WAIT_MS}.
 */
export class SippAgent {
  readonly mode: 'client' | 'server';
  readonly clock: FakeClock;
  readonly transport: LoopTransport;
  readonly steps: readonly CompiledStep[];
  readonly service: string;
  readonly pid: number;
  /** Every call, in order of creation. */
  readonly calls: SippCall[] = [];
  /** Messages swallowed by dead calls, and discarded ones (no call). */
  readonly absorbed: string[] = [];
  readonly #live = new Map<string, SippCall>();
  readonly #dead = new Map<string, number>();
  #numbers = 0;

  constructor(options: {
    mode: 'client' | 'server';
    clock: FakeClock;
    transport: LoopTransport;
    steps: readonly SippStep[];
    service?: string;
    pid?: number;
  }) {
    this.mode = options.mode;
    this.clock = options.clock;
    this.transport = options.transport;
    this.service = options.service ?? '5550100';
    this.pid = options.pid ?? (options.mode === 'client' ? 1111 : 2222);
    this.steps = this.compile(options.steps);
    this.transport.on('message', (data, remote) =>
      this.#onMessage(Buffer.from(data).toString('utf8'), remote),
    );
  }

  get local(): Endpoint {
    return this.transport.local;
  }

  /** A scenario for {@link call} (another `-d`, say). */
  compile(steps: readonly SippStep[]): readonly CompiledStep[] {
    const probe = new SippCall(this, 'probe', 0, { address: '0.0.0.0', port: 5060 }, []);
    return compile(steps, (s) => s.render(probe, 0));
  }

  /** A new uac call to `remote` (this agent's scenario, or `steps`). */
  call(remote: Endpoint, steps = this.steps): SippCall {
    const number = ++this.#numbers;
    const c = new SippCall(this, `${number}-${this.pid}@${this.local.address}`, number, remote, steps);
    this.calls.push(c);
    this.#live.set(c.id, c);
    c.start();
    return c;
  }

  #onMessage(text: string, remote: Endpoint): void {
    const id = headerValue(text, 'Call-ID');
    if (id === undefined) return;
    const live = this.#live.get(id);
    if (live) {
      live._incoming(text);
      return;
    }
    const dead = this.#dead.get(id);
    if (dead !== undefined && dead >= this.clock.now()) {
      this.#dead.set(id, this.clock.now() + DEADCALL_WAIT_MS);
      this.absorbed.push(
        `t=${this.clock.now()} dead call ${id} swallowed ${text.slice(0, text.indexOf('\r\n'))}`,
      );
      return;
    }
    if (this.mode === 'client') {
      this.absorbed.push(`t=${this.clock.now()} discarded (no call) ${text.slice(0, text.indexOf('\r\n'))}`);
      return;
    }
    const c = new SippCall(this, id, ++this.#numbers, remote);
    this.calls.push(c);
    this.#live.set(id, c);
    c._incoming(text);
  }

  /** @internal The call ended or was aborted: a dead call for 33 s. */
  _dead(c: SippCall): void {
    if (this.#live.get(c.id) === c) this.#live.delete(c.id);
    this.#dead.set(c.id, this.clock.now() + DEADCALL_WAIT_MS);
  }

  /** @internal The call was deleted without a dead call. */
  _forget(c: SippCall): void {
    if (this.#live.get(c.id) === c) this.#live.delete(c.id);
    this.#dead.delete(c.id);
  }

  /** Calls still running. */
  get live(): SippCall[] {
    return [...this.#live.values()];
  }
}
