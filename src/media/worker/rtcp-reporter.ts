/**
 * RTCP for one leg (RFC 3550 §6): each endpoint is an RTP end system of its
 * own, also on the relay path — it reports what it received on this leg and
 * what it sent on this leg, rather than forwarding the peer's RTCP, whose
 * SSRCs, counts and timing would not match the rewritten stream.
 *
 * - Interval (§6.3, A.7 for two participants): Tmin = 5 s, the first report
 *   after Tmin / 2, each interval randomised to [0.5, 1.5] × T and divided by
 *   e − 3/2 to compensate for the timer reconsideration bias.
 * - An SR when we sent RTP since the last report, otherwise an RR; one report
 *   block for the peer's source once it is valid; SDES CNAME; BYE on close.
 * - From the peer's SR/RR: LSR/DLSR for our next block, the round-trip time
 *   (§6.4.1) and what the peer says about our stream (loss, jitter).
 *
 * Reports are built a few times per call-minute, so they may allocate.
 */
import type { Random } from '../../core/index.js';
import {
  ntpMiddle32FromUnixMs,
  parseRtcp,
  RtcpBye,
  RtcpCompound,
  type RtcpPacket,
  RtcpReceiverReport,
  type RtcpReportBlock,
  RtcpSenderReport,
  RtcpSourceDescription,
  type RtpReceiverStatistics,
  type RtpSenderStatistics,
  roundTripTime,
  SdesItemType,
} from '../../rtp/index.js';

const T_MIN_MS = 5000;
const COMPENSATION = Math.E - 1.5;

export class RtcpReporter {
  readonly #random: Random;
  #nextAt = -1;
  #sentAtLastReport = 0;
  /** Round-trip time from the last report block about us that allowed it, ms. */
  rttMs: number | null = null;
  /** The peer's last report block about our stream. */
  remoteBlock: RtcpReportBlock | null = null;
  /** RTCP packets received and accepted. */
  received = 0;
  /** The peer said BYE. */
  byeReceived = false;

  constructor(random: Random) {
    this.#random = random;
  }

  /** Starts the schedule (first report after about Tmin / 2). */
  start(nowMs: number): void {
    if (this.#nextAt < 0) this.#nextAt = nowMs + this.#interval(T_MIN_MS / 2);
  }

  isDue(nowMs: number): boolean {
    return this.#nextAt >= 0 && nowMs >= this.#nextAt;
  }

  #interval(t: number): number {
    return (t * (0.5 + this.#random.next())) / COMPENSATION;
  }

  /** Builds the compound report due now (and schedules the next one). */
  build(
    nowMs: number,
    wallMs: number,
    tx: RtpSenderStatistics,
    rx: RtpReceiverStatistics | undefined,
    cname: string,
    bye: boolean,
  ): Uint8Array {
    this.#nextAt = nowMs + this.#interval(T_MIN_MS);
    const reports: RtcpReportBlock[] = rx?.valid ? [rx.reportBlock(nowMs)] : [];
    const sentSince = tx.packetCount !== this.#sentAtLastReport;
    this.#sentAtLastReport = tx.packetCount;
    const packets: RtcpPacket[] = [
      sentSince
        ? tx.senderReport({ wallTimeMs: wallMs, nowMs }, reports)
        : new RtcpReceiverReport({ ssrc: tx.ssrc, reports }),
      new RtcpSourceDescription({
        chunks: [{ ssrc: tx.ssrc, items: [{ type: SdesItemType.CNAME, value: cname }] }],
      }),
    ];
    if (bye) packets.push(new RtcpBye({ ssrcs: [tx.ssrc] }));
    return new RtcpCompound(packets).serialize();
  }

  /** Takes in one RTCP datagram from the peer. Returns false when it is not valid RTCP. */
  onPacket(
    bytes: Uint8Array,
    nowMs: number,
    wallMs: number,
    ourSsrc: number,
    rx: RtpReceiverStatistics | undefined,
  ): boolean {
    let packets: RtcpPacket[];
    try {
      packets = parseRtcp(bytes);
    } catch {
      return false;
    }
    this.received++;
    for (const p of packets) {
      if (p instanceof RtcpSenderReport || p instanceof RtcpReceiverReport) {
        if (p instanceof RtcpSenderReport && rx && p.ssrc === rx.ssrc) {
          rx.onSenderReport(p.ntpSeconds, p.ntpFraction, nowMs);
        }
        for (const b of p.reports) {
          if (b.ssrc !== ourSsrc) continue;
          this.remoteBlock = b;
          if (b.lastSr !== 0) {
            const rtt = roundTripTime(ntpMiddle32FromUnixMs(wallMs), b.lastSr, b.delaySinceLastSr);
            if (rtt !== undefined && rtt >= 0 && rtt < 60) this.rttMs = rtt * 1000;
          }
        }
      } else if (p.packetType === 203) {
        this.byeReceived = true;
      }
    }
    return true;
  }
}
