/**
 * Sender-side counters for the sender info of an SR (RFC 3550 §6.4.1):
 * packet count, payload octet count (header and padding excluded), and the
 * RTP timestamp that corresponds to the SR's NTP time, extrapolated from the
 * last packet sent at the stream's clock rate.
 *
 * https://www.rfc-editor.org/rfc/rfc3550#section-6.4.1
 */
import { StrowgerError } from '../core/index.js';
import { ntpFromUnixMs } from './ntp.js';
import type { RtcpReportBlock } from './rtcp-report-block.js';
import { RtcpSenderReport } from './rtcp-sender-report.js';

export interface RtpSenderStatisticsOptions {
  ssrc: number;
  clockRate: number;
}

export interface SenderReportTimes {
  /** Wall-clock Unix milliseconds for the NTP timestamp (e.g. `clock.wallTime()`). */
  wallTimeMs: number;
  /** Monotonic milliseconds on the same clock as `onPacketSent` (e.g. `clock.now()`). */
  nowMs: number;
}

export class RtpSenderStatistics {
  readonly ssrc: number;
  readonly clockRate: number;
  #packets = 0;
  #octets = 0;
  #lastTimestamp = 0;
  #lastSentAt = 0;
  #sent = false;

  constructor(options: RtpSenderStatisticsOptions) {
    if (!(options.clockRate > 0)) throw new StrowgerError('ERR_INVALID_ARGUMENT', 'clockRate must be > 0');
    this.ssrc = options.ssrc >>> 0;
    this.clockRate = options.clockRate;
  }

  /** Accounts one sent RTP packet: its payload length and RTP timestamp. Allocation-free. */
  onPacketSent(payloadLength: number, rtpTimestamp: number, nowMs: number): void {
    this.#packets = (this.#packets + 1) >>> 0;
    this.#octets = (this.#octets + payloadLength) >>> 0;
    this.#lastTimestamp = rtpTimestamp >>> 0;
    this.#lastSentAt = nowMs;
    this.#sent = true;
  }

  /** Packets sent, modulo 2^32. */
  get packetCount(): number {
    return this.#packets;
  }
  /** Payload octets sent, modulo 2^32. */
  get octetCount(): number {
    return this.#octets;
  }
  /** True once a packet was sent (an SR is only due then; otherwise send an RR). */
  get hasSent(): boolean {
    return this.#sent;
  }

  /** RTP timestamp matching `nowMs` (the last sent timestamp moved on at the clock rate). */
  rtpTimestampAt(nowMs: number): number {
    return (this.#lastTimestamp + Math.round(((nowMs - this.#lastSentAt) * this.clockRate) / 1000)) >>> 0;
  }

  /** Builds an SR carrying our sender info and the given report blocks. */
  senderReport(times: SenderReportTimes, reports: RtcpReportBlock[] = []): RtcpSenderReport {
    const ntp = ntpFromUnixMs(times.wallTimeMs);
    return new RtcpSenderReport({
      ssrc: this.ssrc,
      ntpSeconds: ntp.seconds,
      ntpFraction: ntp.fraction,
      rtpTimestamp: this.rtpTimestampAt(times.nowMs),
      packetCount: this.#packets,
      octetCount: this.#octets,
      reports,
    });
  }
}
