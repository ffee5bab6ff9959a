/**
 * The header every RTCP packet starts with, and the base class that gives each
 * RTCP packet type the same shape: `serializedSize()`, `serializeInto(buf,
 * offset)`, `serialize()` (parsing is a static `parse(bytes)` on each class).
 *
 * https://www.rfc-editor.org/rfc/rfc3550#section-6.4.1
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|  count  |      PT       |             length            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * `length` is the packet's size in 32-bit words minus one, header and padding
 * included. With P set, the last octet of the packet counts the padding octets
 * (itself included); RFC 3550 §6.4.1 says that count is a multiple of four.
 */
import { writeU16 } from './bytes.js';
import { checkRoom, invalidField, RtpParseError } from './errors.js';

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
export const RTCP_APP = 204;
/** Transport-layer feedback (RFC 4585); kept raw. */
export const RTCP_RTPFB = 205;
/** Payload-specific feedback (RFC 4585); kept raw. */
export const RTCP_PSFB = 206;
/** Extended reports (RFC 3611); kept raw. */
export const RTCP_XR = 207;

/** Where one RTCP packet sits in a buffer (absolute offsets). */
export interface RtcpFrame {
  packetType: number;
  /** The 5-bit count field (RC, SC, subtype or FMT depending on the type). */
  count: number;
  padding: boolean;
  start: number;
  bodyStart: number;
  /** End of the body: padding excluded. */
  bodyEnd: number;
  /** End of the packet: padding included. */
  end: number;
}

/**
 * Reads the header of the RTCP packet at `offset` and checks that the packet
 * and its padding fit before `limit`. Error offsets are relative to `base`.
 */
export function readRtcpFrame(bytes: Uint8Array, offset: number, limit: number, base: number): RtcpFrame {
  if (offset + 4 > limit) throw new RtpParseError('RTCP header truncated', offset - base);
  const b0 = bytes[offset] as number;
  if (b0 >> 6 !== 2) throw new RtpParseError(`RTCP version ${b0 >> 6}, expected 2`, offset - base);
  const end = offset + 4 + (((bytes[offset + 2] as number) << 8) | (bytes[offset + 3] as number)) * 4;
  if (end > limit) throw new RtpParseError('RTCP packet length runs past the data', offset + 2 - base);
  const padding = (b0 & 0x20) !== 0;
  let bodyEnd = end;
  if (padding) {
    const pad = end > offset + 4 ? (bytes[end - 1] as number) : 0;
    if (pad === 0 || pad % 4 !== 0 || pad > end - offset - 4) {
      throw new RtpParseError(
        `RTCP padding count ${pad} is not a multiple of 4 inside the packet`,
        end - 1 - base,
      );
    }
    bodyEnd = end - pad;
  }
  return {
    packetType: bytes[offset + 1] as number,
    count: b0 & 0x1f,
    padding,
    start: offset,
    bodyStart: offset + 4,
    bodyEnd,
    end,
  };
}

/** Reads exactly one RTCP packet of the expected type spanning all of `bytes`. */
export function readSingleRtcpFrame(bytes: Uint8Array, expectedType: number): RtcpFrame {
  const f = readRtcpFrame(bytes, 0, bytes.length, 0);
  if (f.packetType !== expectedType) {
    throw new RtpParseError(`RTCP packet type ${f.packetType}, expected ${expectedType}`, 1);
  }
  if (f.end !== bytes.length) throw new RtpParseError('bytes after the RTCP packet', f.end);
  return f;
}

/** Shared serialization of every RTCP packet type. */
export abstract class RtcpPacketBase {
  abstract readonly packetType: number;
  /**
   * Padding octets to append, count octet included: 0, or a multiple of 4 up
   * to 252 (RTCP packets stay 32-bit aligned). Set by the parser from the P bit.
   */
  paddingLength = 0;

  /** Size of the body after the 4-byte header, a multiple of 4, padding excluded. */
  protected abstract bodySize(): number;
  /** Value of the 5-bit count field. */
  protected abstract countField(): number;
  /** Throws `ERR_INVALID_ARGUMENT` when a field cannot be written. */
  protected abstract validate(): void;
  /** Writes the body at `offset` (bodySize() bytes). */
  protected abstract writeBody(buf: Uint8Array, offset: number): void;

  serializedSize(): number {
    return 4 + this.bodySize() + this.paddingLength;
  }

  /** Writes the packet at `offset`; returns the bytes written. */
  serializeInto(buf: Uint8Array, offset = 0): number {
    this.validate();
    const p = this.paddingLength;
    if (!(Number.isInteger(p) && p >= 0 && p <= 252 && p % 4 === 0)) {
      invalidField('paddingLength', 'a multiple of 4 in 0..252', p);
    }
    const count = this.countField();
    if (count > 31) invalidField(`count of RTCP packet type ${this.packetType}`, 'at most 31', count);
    const size = this.serializedSize();
    if (size / 4 - 1 > 0xffff) invalidField('RTCP packet size', 'at most 65536 words', size / 4);
    checkRoom(buf, offset, size);
    buf[offset] = 0x80 | (p > 0 ? 0x20 : 0) | count;
    buf[offset + 1] = this.packetType;
    writeU16(buf, offset + 2, size / 4 - 1);
    this.writeBody(buf, offset + 4);
    if (p > 0) {
      const end = offset + size;
      buf.fill(0, end - p, end - 1);
      buf[end - 1] = p;
    }
    return size;
  }

  serialize(): Uint8Array {
    const out = new Uint8Array(this.serializedSize());
    this.serializeInto(out, 0);
    return out;
  }
}
