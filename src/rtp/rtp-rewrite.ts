/**
 * In-place rewriting of RTP header fields for the relay path (B2BUA legs with
 * the same codec): change SSRC, sequence number, timestamp, payload type or
 * marker in the received buffer and send the same bytes on. Nothing is parsed
 * or re-serialized and nothing is allocated. Values are taken modulo their
 * field width (2^16 for sequence numbers, 2^32 for timestamps and SSRCs,
 * 2^7 for payload types), which is the arithmetic a relay wants.
 *
 * Each helper checks only that a 12-byte fixed header fits at `offset`; use
 * {@link RtpReader.wrap} first when the bytes are untrusted.
 */
import { writeU16, writeU32 } from './bytes.js';
import { RtpParseError } from './errors.js';

function checkFixedHeader(buf: Uint8Array, offset: number): void {
  if (!(offset >= 0 && offset + 12 <= buf.length)) {
    throw new RtpParseError('no room for a 12-byte RTP header', offset);
  }
}

export function setRtpSsrc(buf: Uint8Array, ssrc: number, offset = 0): void {
  checkFixedHeader(buf, offset);
  writeU32(buf, offset + 8, ssrc);
}

export function setRtpSequenceNumber(buf: Uint8Array, seq: number, offset = 0): void {
  checkFixedHeader(buf, offset);
  writeU16(buf, offset + 2, seq);
}

export function setRtpTimestamp(buf: Uint8Array, timestamp: number, offset = 0): void {
  checkFixedHeader(buf, offset);
  writeU32(buf, offset + 4, timestamp);
}

export function setRtpPayloadType(buf: Uint8Array, payloadType: number, offset = 0): void {
  checkFixedHeader(buf, offset);
  buf[offset + 1] = ((buf[offset + 1] as number) & 0x80) | (payloadType & 0x7f);
}

export function setRtpMarker(buf: Uint8Array, marker: boolean, offset = 0): void {
  checkFixedHeader(buf, offset);
  const b = buf[offset + 1] as number;
  buf[offset + 1] = marker ? b | 0x80 : b & 0x7f;
}

/** Rewrites SSRC, sequence number and timestamp in one call (the usual relay step). */
export function rewriteRtpHeader(
  buf: Uint8Array,
  ssrc: number,
  sequenceNumber: number,
  timestamp: number,
  offset = 0,
): void {
  checkFixedHeader(buf, offset);
  writeU16(buf, offset + 2, sequenceNumber);
  writeU32(buf, offset + 4, timestamp);
  writeU32(buf, offset + 8, ssrc);
}
