/**
 * Reliable provisional responses (RFC 3262) — the sequence bookkeeping of both
 * sides, pure: the UAS numbers its reliable provisionals (RSeq, starting at a
 * random value below 2^31 and counting up by one) and matches a PRACK's RAck;
 * the UAC accepts each RSeq once and in order, and builds the RAck.
 */
import type { Random } from '../../core/index.js';
import type { RAck, SipResponse } from '../message/index.js';

/** UAS side: RSeq numbering and PRACK matching for one INVITE. */
export class RSeqCounter {
  #next: number;
  #unacked: { rseq: number; cseq: number; method: string } | undefined;

  constructor(random: Random) {
    // RFC 3262 §3: between 1 and 2^31 - 1; start low enough never to wrap
    this.#next = 1 + random.int(2 ** 30);
  }

  /** True while a reliable provisional awaits its PRACK (§3: one at a time with an offer; we keep one at a time). */
  get pending(): boolean {
    return this.#unacked !== undefined;
  }

  /** The RSeq for the next reliable provisional to the INVITE with `cseq`. */
  allocate(cseq: number, method = 'INVITE'): number {
    const rseq = this.#next++;
    this.#unacked = { rseq, cseq, method };
    return rseq;
  }

  /** True when `rack` acknowledges the outstanding provisional (then it is no longer outstanding). */
  acknowledge(rack: RAck): boolean {
    const u = this.#unacked;
    if (u === undefined) return false;
    if (rack.rseq !== u.rseq || rack.cseq !== u.cseq || rack.method.toUpperCase() !== u.method) return false;
    this.#unacked = undefined;
    return true;
  }

  /** Forgets the outstanding provisional (it timed out or a final response went out). */
  clear(): void {
    this.#unacked = undefined;
  }
}

/** UAC side: which reliable provisionals of one early dialog were already seen. */
export class RSeqTracker {
  #last: number | undefined;

  /**
   * Classifies a reliable provisional: `new` (PRACK it and process it),
   * `retransmission` (already PRACKed: PRACK again, do not process) or
   * `out-of-order` (a gap: drop it, §4).
   */
  receive(rseq: number): 'new' | 'retransmission' | 'out-of-order' {
    if (this.#last === undefined || rseq === this.#last + 1) {
      this.#last = rseq;
      return 'new';
    }
    if (rseq <= this.#last) return 'retransmission';
    return 'out-of-order';
  }
}

/** True when a provisional response is sent reliably (Require: 100rel with an RSeq, RFC 3262 §4). */
export function isReliableProvisional(response: SipResponse): boolean {
  if (response.status <= 100 || response.status >= 200) return false;
  try {
    return response.require.includes('100rel') && response.rseq !== undefined;
  } catch {
    return false;
  }
}

/** The RAck value acknowledging `response` (RFC 3262 §7.2). */
export function rackFor(response: SipResponse): string {
  const cseq = response.cseq;
  return `${response.rseq} ${cseq.seq} ${cseq.method}`;
}
