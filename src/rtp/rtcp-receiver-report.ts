/**
 * RTCP receiver report (RR, PT=201).
 *
 * https://www.rfc-editor.org/rfc/rfc3550#section-6.4.2
 *
 *         0                   1                   2                   3
 *         0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * header |V=2|P|    RC   |   PT=RR=201   |             length            |
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |                     SSRC of packet sender                     |
 *        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * report |                 report blocks (24 bytes each) ...             |
 * blocks +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *        |                  profile-specific extensions                  |
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { readU32, writeU32 } from './bytes.js';
import { checkUint, invalidField, RtpParseError } from './errors.js';
import { RTCP_RR, type RtcpFrame, RtcpPacketBase, readSingleRtcpFrame } from './rtcp-header.js';
import {
  checkReportBlock,
  REPORT_BLOCK_SIZE,
  type RtcpReportBlock,
  readReportBlock,
  writeReportBlock,
} from './rtcp-report-block.js';

const EMPTY = new Uint8Array(0);

export interface RtcpReceiverReportInit {
  ssrc: number;
  reports?: RtcpReportBlock[];
  profileExtension?: Uint8Array;
  paddingLength?: number;
}

export class RtcpReceiverReport extends RtcpPacketBase {
  readonly packetType = RTCP_RR;
  ssrc: number;
  reports: RtcpReportBlock[];
  profileExtension: Uint8Array;

  constructor(init: RtcpReceiverReportInit) {
    super();
    this.ssrc = init.ssrc;
    this.reports = init.reports ?? [];
    this.profileExtension = init.profileExtension ?? EMPTY;
    this.paddingLength = init.paddingLength ?? 0;
  }

  static parse(bytes: Uint8Array): RtcpReceiverReport {
    return RtcpReceiverReport.fromFrame(bytes, readSingleRtcpFrame(bytes, RTCP_RR), 0);
  }

  static fromFrame(b: Uint8Array, f: RtcpFrame, base: number): RtcpReceiverReport {
    const o = f.bodyStart;
    const need = 4 + f.count * REPORT_BLOCK_SIZE;
    if (o + need > f.bodyEnd) {
      throw new RtpParseError(`RR with ${f.count} report blocks needs ${need} body bytes`, f.start - base);
    }
    const reports: RtcpReportBlock[] = [];
    for (let i = 0; i < f.count; i++) reports.push(readReportBlock(b, o + 4 + i * REPORT_BLOCK_SIZE));
    return new RtcpReceiverReport({
      ssrc: readU32(b, o),
      reports,
      profileExtension: b.subarray(o + need, f.bodyEnd),
      paddingLength: f.end - f.bodyEnd,
    });
  }

  protected bodySize(): number {
    return 4 + this.reports.length * REPORT_BLOCK_SIZE + this.profileExtension.length;
  }

  protected countField(): number {
    return this.reports.length;
  }

  protected validate(): void {
    checkUint('ssrc', this.ssrc, 32);
    for (const r of this.reports) checkReportBlock(r);
    if (this.profileExtension.length % 4 !== 0) {
      invalidField('profileExtension length', 'a multiple of 4', this.profileExtension.length);
    }
  }

  protected writeBody(b: Uint8Array, o: number): void {
    writeU32(b, o, this.ssrc);
    let p = o + 4;
    for (const r of this.reports) {
      writeReportBlock(b, p, r);
      p += REPORT_BLOCK_SIZE;
    }
    b.set(this.profileExtension, p);
  }
}
