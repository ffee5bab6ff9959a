/**
 * An RTCP packet of a type this module does not decode (RTPFB 205 and PSFB 206
 * feedback, XR 207, anything newer), kept raw so a relay can pass it through
 * and a caller can decode it later.
 *
 * https://www.rfc-editor.org/rfc/rfc4585#section-6.1 (the feedback layout)
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |V=2|P|  count  |      PT       |             length            |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                  body (kept as bytes) ...                     |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { checkUint, invalidField, RtpParseError } from './errors.js';
import { type RtcpFrame, RtcpPacketBase, readRtcpFrame } from './rtcp-header.js';

export interface RtcpRawPacketInit {
  packetType: number;
  /** The 5-bit count field (FMT for RTPFB/PSFB). */
  count?: number;
  /** Body after the 4-byte header, padding excluded; a multiple of 4 octets. */
  body?: Uint8Array;
  paddingLength?: number;
}

const EMPTY = new Uint8Array(0);

export class RtcpRawPacket extends RtcpPacketBase {
  readonly packetType: number;
  count: number;
  body: Uint8Array;

  constructor(init: RtcpRawPacketInit) {
    super();
    this.packetType = init.packetType;
    this.count = init.count ?? 0;
    this.body = init.body ?? EMPTY;
    this.paddingLength = init.paddingLength ?? 0;
  }

  /** Feedback message type (RFC 4585 FMT), the same bits as {@link count}. */
  get fmt(): number {
    return this.count;
  }

  /** Parses exactly one RTCP packet of any type, keeping the body raw. */
  static parse(bytes: Uint8Array): RtcpRawPacket {
    const f = readRtcpFrame(bytes, 0, bytes.length, 0);
    if (f.end !== bytes.length) throw new RtpParseError('bytes after the RTCP packet', f.end);
    return RtcpRawPacket.fromFrame(bytes, f);
  }

  static fromFrame(b: Uint8Array, f: RtcpFrame): RtcpRawPacket {
    return new RtcpRawPacket({
      packetType: f.packetType,
      count: f.count,
      body: b.subarray(f.bodyStart, f.bodyEnd),
      paddingLength: f.end - f.bodyEnd,
    });
  }

  protected bodySize(): number {
    return this.body.length;
  }

  protected countField(): number {
    return this.count;
  }

  protected validate(): void {
    checkUint('packetType', this.packetType, 8);
    checkUint('count', this.count, 5);
    if (this.body.length % 4 !== 0) invalidField('raw RTCP body length', 'a multiple of 4', this.body.length);
  }

  protected writeBody(b: Uint8Array, o: number): void {
    b.set(this.body, o);
  }
}
