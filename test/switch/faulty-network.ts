/**
 * A fault-injecting SIP network for race tests: a LoopNetwork whose every UDP datagram is
 * taken over by a hook and delivered by this object instead, as a per-datagram plan says —
 * dropped, delayed (which reorders it against the others), or delivered twice. Datagrams
 * past the end of the plan are delivered after `baseDelayMs`, so a bounded plan always
 * lets the SIP retransmissions finish the job. Each delivery is a timer of the fake clock,
 * so (run one timer at a time, promises settled in between, as `race-harness.ts` does)
 * every datagram is handled in a turn of its own, like a UDP read in Node; delay 0 is the
 * next turn, before any later timer.
 */
import type { FakeClock } from '../../src/core/index.js';
import {
  type Endpoint,
  LoopNetwork,
  type LoopTransport,
  parseMessage,
  type SipRequest,
  type SipResponse,
} from '../../src/sip/index.js';

export interface DatagramFault {
  /** Not delivered at all (the duplicate, when there is one, still is). */
  drop?: boolean;
  /** One-way delay of the datagram, ms. */
  delayMs: number;
  /** A second copy, delivered after this many ms. */
  duplicateMs?: number;
}

/** A datagram as a rule sees it: who sent it to whom, its start line, and how many alike came before. */
export interface DatagramInfo {
  index: number;
  from: string;
  to: string;
  /** `INVITE 1`, `200 INVITE 1`, `ACK 1` … (start line and CSeq). */
  line: string;
  /** 0 for the first datagram with this `from`, `to` and `line`, 1 for the next … */
  nth: number;
}

/** The fate of a datagram by what it is (regression tests); undefined: the plan decides. */
export type FaultRule = (d: DatagramInfo) => DatagramFault | undefined;

/** What happened to one datagram (for the failure report). */
export interface WireEntry {
  index: number;
  at: number;
  from: string;
  to: string;
  line: string;
  fate: string;
}

const key = (e: Endpoint) => `${e.address}:${e.port}`;

/** `INVITE 1`, `200 INVITE 1`, `ACK 1` … — the start line and CSeq of a datagram. */
export function startLine(data: Uint8Array): string {
  try {
    const m = parseMessage(data) as SipRequest | SipResponse;
    const cseq = m.cseq;
    return 'status' in m ? `${m.status} ${cseq.method} ${cseq.seq}` : `${m.method} ${cseq.seq}`;
  } catch {
    return '(unparsable)';
  }
}

export class FaultyNetwork {
  readonly clock: FakeClock;
  readonly net: LoopNetwork;
  readonly wire: WireEntry[] = [];
  readonly #plan: readonly DatagramFault[];
  readonly #rule: FaultRule | undefined;
  readonly #baseDelayMs: number;
  readonly #transports = new Map<string, LoopTransport>();
  readonly #seen = new Map<string, number>();

  constructor(options: {
    clock: FakeClock;
    plan: readonly DatagramFault[];
    rule?: FaultRule;
    baseDelayMs?: number;
  }) {
    this.clock = options.clock;
    this.#plan = options.plan;
    this.#rule = options.rule;
    this.#baseDelayMs = options.baseDelayMs ?? 1;
    this.net = new LoopNetwork({ clock: options.clock });
    this.net.onPacket((p) => {
      this.#route(p.from, p.to, p.data);
      return false; // delivered by #route
    });
  }

  /** A UDP transport on the network. */
  transport(address: string, port = 5060): LoopTransport {
    const t = this.net.createTransport({ address, port, protocol: 'UDP' });
    this.#transports.set(key(t.local), t);
    return t;
  }

  /** The wire as text, one datagram a line (what a failing property prints). */
  trace(): string {
    return this.wire
      .map((w) => `#${w.index} t=${w.at} ${w.from} -> ${w.to} ${w.line} [${w.fate}]`)
      .join('\n');
  }

  #route(from: Endpoint, to: Endpoint, data: Uint8Array): void {
    const index = this.wire.length;
    const line = startLine(data);
    const kind = `${key(from)} ${key(to)} ${line}`;
    const nth = this.#seen.get(kind) ?? 0;
    this.#seen.set(kind, nth + 1);
    const fault = this.#rule?.({ index, from: key(from), to: key(to), line, nth }) ??
      this.#plan[index] ?? { delayMs: this.#baseDelayMs };
    const fate: string[] = [];
    if (fault.drop) fate.push('dropped');
    else {
      fate.push(`+${fault.delayMs}ms`);
      this.#deliverLater(from, to, data, fault.delayMs);
    }
    if (fault.duplicateMs !== undefined) {
      fate.push(`copy +${fault.duplicateMs}ms`);
      this.#deliverLater(from, to, data, fault.duplicateMs);
    }
    this.wire.push({
      index,
      at: this.clock.now(),
      from: key(from),
      to: key(to),
      line,
      fate: fate.join(', '),
    });
  }

  #deliverLater(from: Endpoint, to: Endpoint, data: Uint8Array, delayMs: number): void {
    const deliver = () => {
      const target = this.#transports.get(key(to));
      if (target && !target.closed) target._receive(data, from, undefined);
    };
    this.clock.setTimeout(deliver, Math.max(0, delayMs));
  }
}
