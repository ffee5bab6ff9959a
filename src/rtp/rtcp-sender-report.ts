/**
 * RTCP sender report (SR, PT=200).
 *
 * https://www.rfc-editor.org/rfc/rfc3550#section-6.4.1
 *
 *         0                   1                   2                   3
 *         0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * header |V=2|P|    RC   |   PT=SR=200   |             length            |
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |                         SSRC of sender                        |
 *        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * sender |              NTP timestamp, most significant word             |
 * info   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |             NTP timestamp, least significant word             |
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |                         RTP timestamp                         |
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |                     sender's packet count                     |
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |                      sender's octet count                     |
 *        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * report |                 report blocks (24 bytes each) ...             |
 * blocks +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *        |                  profile-specific extensions                  |
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { readU32, writeU32 } from './bytes.js';
import { checkUint, invalidField, RtpParseError } from './errors.js';
import { RTCP_SR, type RtcpFrame, RtcpPacketBase, readSingleRtcpFrame } from './rtcp-header.js';
import {
  checkReportBlock,
  REPORT_BLOCK_SIZE,
  type RtcpReportBlock,
  readReportBlock,
  writeReportBlock,
} from './rtcp-report-block.js';

const EMPTY = new Uint8Array(0);

export interface RtcpSenderReportInit {
  ssrc: number;
  /** NTP timestamp, seconds since 1900 (most significant word). */
  ntpSeconds: number;
  /** NTP timestamp, fraction of a second in 1/2^32 units (least significant word). */
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports?: RtcpReportBlock[];
  /** Profile-specific extension bytes (a multiple of 4). */
  profileExtension?: Uint8Array;
  paddingLength?: number;
}

export class RtcpSenderReport extends RtcpPacketBase {
  readonly packetType = RTCP_SR;
  ssrc: number;
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports: RtcpReportBlock[];
  profileExtension: Uint8Array;

  constructor(init: RtcpSenderReportInit) {
    super();
    this.ssrc = init.ssrc;
    this.ntpSeconds = init.ntpSeconds;
    this.ntpFraction = init.ntpFraction;
    this.rtpTimestamp = init.rtpTimestamp;
    this.packetCount = init.packetCount;
    this.octetCount = init.octetCount;
    this.reports = init.reports ?? [];
    this.profileExtension = init.profileExtension ?? EMPTY;
    this.paddingLength = init.paddingLength ?? 0;
  }

  /** Parses exactly one SR packet. */
  static parse(bytes: Uint8Array): RtcpSenderReport {
    return RtcpSenderReport.fromFrame(bytes, readSingleRtcpFrame(bytes, RTCP_SR), 0);
  }

  /** Decodes the SR located by `f` (error offsets relative to `base`). */
  static fromFrame(b: Uint8Array, f: RtcpFrame, base: number): RtcpSenderReport {
    const o = f.bodyStart;
    const need = 24 + f.count * REPORT_BLOCK_SIZE;
    if (o + need > f.bodyEnd) {
      throw new RtpParseError(`SR with ${f.count} report blocks needs ${need} body bytes`, f.start - base);
    }
    const reports: RtcpReportBlock[] = [];
    for (let i = 0; i < f.count; i++) reports.push(readReportBlock(b, o + 24 + i * REPORT_BLOCK_SIZE));
    return new RtcpSenderReport({
      ssrc: readU32(b, o),
      ntpSeconds: readU32(b, o + 4),
      ntpFraction: readU32(b, o + 8),
      rtpTimestamp: readU32(b, o + 12),
      packetCount: readU32(b, o + 16),
      octetCount: readU32(b, o + 20),
      reports,
      profileExtension: b.subarray(o + need, f.bodyEnd),
      paddingLength: f.end - f.bodyEnd,
    });
  }

  protected bodySize(): number {
    return 24 + this.reports.length * REPORT_BLOCK_SIZE + this.profileExtension.length;
  }

  protected countField(): number {
    return this.reports.length;
  }

  protected validate(): void {
    checkUint('ssrc', this.ssrc, 32);
    checkUint('ntpSeconds', this.ntpSeconds, 32);
    checkUint('ntpFraction', this.ntpFraction, 32);
    checkUint('rtpTimestamp', this.rtpTimestamp, 32);
    checkUint('packetCount', this.packetCount, 32);
    checkUint('octetCount', this.octetCount, 32);
    for (const r of this.reports) checkReportBlock(r);
    if (this.profileExtension.length % 4 !== 0) {
      invalidField('profileExtension length', 'a multiple of 4', this.profileExtension.length);
    }
  }

  protected writeBody(b: Uint8Array, o: number): void {
    writeU32(b, o, this.ssrc);
    writeU32(b, o + 4, this.ntpSeconds);
    writeU32(b, o + 8, this.ntpFraction);
    writeU32(b, o + 12, this.rtpTimestamp);
    writeU32(b, o + 16, this.packetCount);
    writeU32(b, o + 20, this.octetCount);
    let p = o + 24;
    for (const r of this.reports) {
      writeReportBlock(b, p, r);
      p += REPORT_BLOCK_SIZE;
    }
    b.set(this.profileExtension, p);
  }
}
