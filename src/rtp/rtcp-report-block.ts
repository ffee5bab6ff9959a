/**
 * The report block carried by SR and RR packets.
 *
 * https://www.rfc-editor.org/rfc/rfc3550#section-6.4.1
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |                 SSRC_n (SSRC of the reported source)          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | fraction lost |       cumulative number of packets lost       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           extended highest sequence number received           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      interarrival jitter                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         last SR (LSR)                         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   delay since last SR (DLSR)                  |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 */
import { readU24, readU32, writeU24, writeU32 } from './bytes.js';
import { checkUint, invalidField } from './errors.js';

export const REPORT_BLOCK_SIZE = 24;

export interface RtcpReportBlock {
  /** SSRC of the source this block reports on. */
  ssrc: number;
  /** Fraction of packets lost since the previous report, in 1/256 units (0..255). */
  fractionLost: number;
  /** Cumulative number of packets lost: a signed 24-bit value (duplicates can make it negative). */
  packetsLost: number;
  /** Extended highest sequence number received (cycles << 16 | highest). */
  highestSequence: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received from the source (0 = none). */
  lastSr: number;
  /** Delay since that SR was received, in 1/65536 s (0 = none). */
  delaySinceLastSr: number;
}

/** Reads a report block at `o` (the caller checked 24 bytes are there). */
export function readReportBlock(b: Uint8Array, o: number): RtcpReportBlock {
  const lost = readU24(b, o + 5);
  return {
    ssrc: readU32(b, o),
    fractionLost: b[o + 4] as number,
    packetsLost: lost & 0x800000 ? lost - 0x1000000 : lost,
    highestSequence: readU32(b, o + 8),
    jitter: readU32(b, o + 12),
    lastSr: readU32(b, o + 16),
    delaySinceLastSr: readU32(b, o + 20),
  };
}

export function checkReportBlock(r: RtcpReportBlock): void {
  checkUint('report ssrc', r.ssrc, 32);
  checkUint('fractionLost', r.fractionLost, 8);
  if (!Number.isInteger(r.packetsLost) || r.packetsLost < -0x800000 || r.packetsLost > 0x7fffff) {
    invalidField('packetsLost', 'a signed 24-bit integer', r.packetsLost);
  }
  checkUint('highestSequence', r.highestSequence, 32);
  checkUint('jitter', r.jitter, 32);
  checkUint('lastSr', r.lastSr, 32);
  checkUint('delaySinceLastSr', r.delaySinceLastSr, 32);
}

export function writeReportBlock(b: Uint8Array, o: number, r: RtcpReportBlock): void {
  writeU32(b, o, r.ssrc);
  b[o + 4] = r.fractionLost;
  writeU24(b, o + 5, r.packetsLost & 0xffffff);
  writeU32(b, o + 8, r.highestSequence);
  writeU32(b, o + 12, r.jitter);
  writeU32(b, o + 16, r.lastSr);
  writeU32(b, o + 20, r.delaySinceLastSr);
}
