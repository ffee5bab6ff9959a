/**
 * An RTP packet you own and can build (RFC 3550 §5.1), in the one shape every
 * Strowger wire format has: `RtpPacket.parse(bytes)`, `serializedSize()`,
 * `serializeInto(buf, offset)`, `serialize()`.
 *
 * https://www.rfc-editor.org/rfc/rfc3550#section-5.1
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           synchronization source (SSRC) identifier            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |            contributing source (CSRC) identifiers             |
 * |                             ....                              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Parsing goes through {@link RtpReader} (all bounds checked there); the
 * payload and extension data of a parsed packet are views into the input,
 * not copies. For the per-packet receive path use {@link RtpReader} itself,
 * which allocates nothing.
 */
import { writeU16, writeU32 } from './bytes.js';
import { checkRoom, checkUint, invalidField } from './errors.js';
import { headerExtensionSize, type RtpHeaderExtension, writeHeaderExtension } from './header-extension.js';
import { RTP_HEADER_SIZE, RtpReader } from './rtp-reader.js';

export interface RtpPacketInit {
  marker?: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  /** Up to 15 contributing sources. */
  csrcs?: number[];
  /** Header extension block; the X bit is set when present. */
  extension?: RtpHeaderExtension;
  payload?: Uint8Array;
  /** Padding bytes to append, count octet included (0 = no padding, else 1..255). */
  paddingLength?: number;
}

const EMPTY = new Uint8Array(0);

export class RtpPacket {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs: number[];
  extension: RtpHeaderExtension | undefined;
  payload: Uint8Array;
  paddingLength: number;

  constructor(init: RtpPacketInit) {
    this.marker = init.marker ?? false;
    this.payloadType = init.payloadType;
    this.sequenceNumber = init.sequenceNumber;
    this.timestamp = init.timestamp;
    this.ssrc = init.ssrc;
    this.csrcs = init.csrcs ?? [];
    this.extension = init.extension;
    this.payload = init.payload ?? EMPTY;
    this.paddingLength = init.paddingLength ?? 0;
  }

  /** Parses one RTP packet; throws {@link RtpParseError} on bad input. */
  static parse(bytes: Uint8Array): RtpPacket {
    return RtpPacket.fromReader(new RtpReader().wrap(bytes));
  }

  /** Copies the header fields out of a wrapped reader (payload and extension data stay views). */
  static fromReader(r: RtpReader): RtpPacket {
    const csrcs: number[] = [];
    for (let i = 0; i < r.csrcCount; i++) csrcs.push(r.csrc(i));
    return new RtpPacket({
      marker: r.marker,
      payloadType: r.payloadType,
      sequenceNumber: r.sequenceNumber,
      timestamp: r.timestamp,
      ssrc: r.ssrc,
      csrcs,
      extension: r.extension(),
      payload: r.payload,
      paddingLength: r.paddingLength,
    });
  }

  serializedSize(): number {
    return (
      RTP_HEADER_SIZE +
      this.csrcs.length * 4 +
      (this.extension ? headerExtensionSize(this.extension) : 0) +
      this.payload.length +
      this.paddingLength
    );
  }

  /**
   * Writes the packet at `offset`; returns the bytes written. Throws
   * `ERR_INVALID_ARGUMENT` for out-of-range fields or too small a buffer.
   */
  serializeInto(buf: Uint8Array, offset = 0): number {
    checkUint('payloadType', this.payloadType, 7);
    checkUint('sequenceNumber', this.sequenceNumber, 16);
    checkUint('timestamp', this.timestamp, 32);
    checkUint('ssrc', this.ssrc, 32);
    checkUint('paddingLength', this.paddingLength, 8);
    if (this.csrcs.length > 15) invalidField('csrcs.length', 'at most 15', this.csrcs.length);
    for (const c of this.csrcs) checkUint('csrc', c, 32);
    const size = this.serializedSize();
    checkRoom(buf, offset, size);
    buf[offset] =
      0x80 | (this.paddingLength > 0 ? 0x20 : 0) | (this.extension ? 0x10 : 0) | this.csrcs.length;
    buf[offset + 1] = (this.marker ? 0x80 : 0) | this.payloadType;
    writeU16(buf, offset + 2, this.sequenceNumber);
    writeU32(buf, offset + 4, this.timestamp);
    writeU32(buf, offset + 8, this.ssrc);
    let o = offset + RTP_HEADER_SIZE;
    for (const c of this.csrcs) {
      writeU32(buf, o, c);
      o += 4;
    }
    if (this.extension) o += writeHeaderExtension(this.extension, buf, o);
    buf.set(this.payload, o);
    o += this.payload.length;
    if (this.paddingLength > 0) {
      buf.fill(0, o, o + this.paddingLength - 1);
      o += this.paddingLength;
      buf[o - 1] = this.paddingLength;
    }
    return o - offset;
  }

  serialize(): Uint8Array {
    const out = new Uint8Array(this.serializedSize());
    this.serializeInto(out, 0);
    return out;
  }
}
