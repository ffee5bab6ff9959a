/**
 * Per-source receiver statistics exactly as RFC 3550 Appendix A computes
 * them, producing the report blocks of RR/SR packets.
 *
 * - A.1 sequence number validation: a source is valid after `minSequential`
 *   in-order packets (probation); jumps under `maxDropout` advance the
 *   highest sequence (counting 2^16 wrap cycles); a jump of more than that
 *   is believed only when the very next packet follows it (the peer
 *   restarted), otherwise dropped; anything within `maxMisorder` behind is a
 *   duplicate or reordered packet and is counted but does not move the max.
 *   https://www.rfc-editor.org/rfc/rfc3550#appendix-A.1
 * - A.3 expected, cumulative lost (clamped to signed 24 bits) and the fraction
 *   lost over each reporting interval.
 *   https://www.rfc-editor.org/rfc/rfc3550#appendix-A.3
 * - A.8 interarrival jitter in timestamp units: J += (|D| - J) / 16.
 *   https://www.rfc-editor.org/rfc/rfc3550#appendix-A.8
 * - LSR/DLSR from the last SR received from the source (§6.4.1).
 *
 * One deviation from the C code in A.1: the probation test `seq == max_seq + 1`
 * is done modulo 2^16, so a source whose first packets straddle 65535 → 0 is
 * not sent back into probation.
 *
 * Pure: time comes in as arguments (monotonic milliseconds); `receive` does
 * not allocate.
 */
import { StrowgerError } from '../core/index.js';
import { ntpMiddle32 } from './ntp.js';
import type { RtcpReportBlock } from './rtcp-report-block.js';

const RTP_SEQ_MOD = 1 << 16;

export interface RtpReceiverStatisticsOptions {
  /** SSRC of the source being received (goes into the report block). */
  ssrc: number;
  /** RTP clock rate of the stream (8000 for PCMU/PCMA, 48000 for Opus, 8000 for G.722's RTP clock). */
  clockRate: number;
  /** In-order packets needed before the source is valid (A.1 MIN_SEQUENTIAL, default 2). */
  minSequential?: number;
  /** Largest forward jump taken as packet loss rather than a restart (default 3000). */
  maxDropout?: number;
  /** Largest backward step taken as reordering rather than a restart (default 100). */
  maxMisorder?: number;
}

export const RECEIVER_STATISTICS_DEFAULTS = Object.freeze({
  minSequential: 2,
  maxDropout: 3000,
  maxMisorder: 100,
});

export class RtpReceiverStatistics {
  readonly ssrc: number;
  readonly clockRate: number;
  readonly #minSequential: number;
  readonly #maxDropout: number;
  readonly #maxMisorder: number;

  // A.1 state
  #maxSeq = 0;
  #cycles = 0;
  #baseSeq = 0;
  #badSeq = RTP_SEQ_MOD + 1;
  #probation = 0;
  #received = 0;
  #receivedPrior = 0;
  #expectedPrior = 0;
  #heard = false;
  #valid = false;

  // A.8 state
  #jitter = 0;
  #haveTransit = false;
  #lastArrival = 0;
  #lastTimestamp = 0;

  // last SR from the source
  #lastSr = 0;
  #lastSrArrival = 0;

  constructor(options: RtpReceiverStatisticsOptions) {
    const o = { ...RECEIVER_STATISTICS_DEFAULTS, ...options };
    if (!(Number.isInteger(o.minSequential) && o.minSequential >= 1)) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'minSequential must be an integer >= 1');
    }
    if (!(o.clockRate > 0)) throw new StrowgerError('ERR_INVALID_ARGUMENT', 'clockRate must be > 0');
    if (!(o.maxDropout > 0 && o.maxMisorder > 0 && o.maxDropout + o.maxMisorder < RTP_SEQ_MOD)) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'maxDropout + maxMisorder must be in 2..65535');
    }
    this.ssrc = o.ssrc >>> 0;
    this.clockRate = o.clockRate;
    this.#minSequential = o.minSequential;
    this.#maxDropout = o.maxDropout;
    this.#maxMisorder = o.maxMisorder;
  }

  #initSeq(seq: number): void {
    this.#baseSeq = seq;
    this.#maxSeq = seq;
    this.#badSeq = RTP_SEQ_MOD + 1;
    this.#cycles = 0;
    this.#received = 0;
    this.#receivedPrior = 0;
    this.#expectedPrior = 0;
  }

  /** A.1 `update_seq`: returns whether the packet counts (source valid, not a bad jump). */
  #updateSeq(seq: number): boolean {
    const udelta = (seq - this.#maxSeq) & 0xffff;
    if (this.#probation > 0) {
      if (seq === ((this.#maxSeq + 1) & 0xffff)) {
        this.#probation--;
        this.#maxSeq = seq;
        if (this.#probation === 0) {
          this.#initSeq(seq);
          this.#received++;
          this.#valid = true;
          return true;
        }
      } else {
        this.#probation = this.#minSequential - 1;
        this.#maxSeq = seq;
      }
      return false;
    }
    if (udelta < this.#maxDropout) {
      if (seq < this.#maxSeq) this.#cycles += RTP_SEQ_MOD;
      this.#maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - this.#maxMisorder) {
      if (seq === this.#badSeq) {
        this.#initSeq(seq);
      } else {
        this.#badSeq = (seq + 1) & 0xffff;
        return false;
      }
    }
    // else: duplicate or reordered packet
    this.#received++;
    return true;
  }

  /**
   * Accounts one received RTP packet of this source. `arrivalMs` is the
   * monotonic arrival time (e.g. `clock.now()`). Returns false while the
   * source is on probation and for a packet after an unconfirmed large jump.
   */
  receive(sequenceNumber: number, rtpTimestamp: number, arrivalMs: number): boolean {
    const seq = sequenceNumber & 0xffff;
    if (!this.#heard) {
      this.#heard = true;
      this.#initSeq(seq);
      this.#maxSeq = (seq - 1) & 0xffff;
      this.#probation = this.#minSequential;
    }
    if (!this.#updateSeq(seq)) return false;
    // A.8: D(i,j) = (Rj - Ri) - (Sj - Si), both in timestamp units.
    const arrival = (arrivalMs * this.clockRate) / 1000;
    const ts = rtpTimestamp >>> 0;
    if (this.#haveTransit) {
      let d = arrival - this.#lastArrival - ((ts - this.#lastTimestamp) | 0);
      if (d < 0) d = -d;
      this.#jitter += (d - this.#jitter) / 16;
    }
    this.#haveTransit = true;
    this.#lastArrival = arrival;
    this.#lastTimestamp = ts;
    return true;
  }

  /** Records an SR from this source (for LSR/DLSR in our next report block). */
  onSenderReport(ntpSeconds: number, ntpFraction: number, arrivalMs: number): void {
    this.#lastSr = ntpMiddle32(ntpSeconds, ntpFraction);
    this.#lastSrArrival = arrivalMs;
  }

  /** True once the source passed probation. */
  get valid(): boolean {
    return this.#valid;
  }
  /** Packets counted (duplicates included, as in A.1). */
  get received(): number {
    return this.#received;
  }
  /** Sequence number wrap-arounds seen, times 2^16. */
  get cycles(): number {
    return this.#cycles;
  }
  /** Extended highest sequence number received (A.3 `extended_max`). */
  get extendedHighestSequence(): number {
    return this.#valid ? this.#cycles + this.#maxSeq : 0;
  }
  /** Packets expected since the base sequence (A.3). */
  get expected(): number {
    return this.#valid ? this.#cycles + this.#maxSeq - this.#baseSeq + 1 : 0;
  }
  /** expected - received, clamped to a signed 24-bit value (A.3). */
  get cumulativeLost(): number {
    const lost = this.expected - this.#received;
    return lost > 0x7fffff ? 0x7fffff : Math.max(lost, -0x800000);
  }
  /** Interarrival jitter estimate in timestamp units (A.8, truncated as the report carries it). */
  get jitter(): number {
    return Math.floor(this.#jitter);
  }

  /**
   * The report block for this source at `nowMs`. Computes the fraction lost
   * since the previous call (A.3) and so starts a new interval.
   */
  reportBlock(nowMs: number): RtcpReportBlock {
    const expected = this.expected;
    const expectedInterval = expected - this.#expectedPrior;
    this.#expectedPrior = expected;
    const receivedInterval = this.#received - this.#receivedPrior;
    this.#receivedPrior = this.#received;
    const lostInterval = expectedInterval - receivedInterval;
    const fraction =
      expectedInterval === 0 || lostInterval <= 0
        ? 0
        : Math.min(255, Math.floor((lostInterval * 256) / expectedInterval));
    const dlsr =
      this.#lastSr === 0 ? 0 : Math.max(0, Math.floor(((nowMs - this.#lastSrArrival) * 65536) / 1000));
    return {
      ssrc: this.ssrc,
      fractionLost: fraction,
      packetsLost: this.cumulativeLost,
      highestSequence: this.extendedHighestSequence >>> 0,
      jitter: this.jitter >>> 0,
      lastSr: this.#lastSr,
      delaySinceLastSr: dlsr >>> 0,
    };
  }
}
