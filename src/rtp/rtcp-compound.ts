/**
 * Compound RTCP packets (RFC 3550 §6.1): several RTCP packets stacked in one
 * datagram, each with its own header and length.
 *
 * https://www.rfc-editor.org/rfc/rfc3550#section-6.1
 *
 *  if encrypted: random 32-bit integer
 *  |
 *  |[--------- packet --------][---------- packet ----------][-packet-]
 *  |
 *  |                receiver            chunk        chunk
 *  V                reports           item  item   item  item
 * --------------------------------------------------------------------
 * R[SR #sendinfo #site1#site2][SDES #CNAME PHONE #CNAME LOC][BYE##why]
 * --------------------------------------------------------------------
 * |                                                                  |
 * |<-----------------------  compound packet ----------------------->|
 *
 * SR, RR, SDES, BYE and APP are decoded; every other type (RTPFB 205,
 * PSFB 206, XR 207, …) is kept as an {@link RtcpRawPacket}.
 */
import { StrowgerError } from '../core/index.js';
import { RtpParseError } from './errors.js';
import { RtcpApp } from './rtcp-app.js';
import { RtcpBye } from './rtcp-bye.js';
import { RTCP_APP, RTCP_BYE, RTCP_RR, RTCP_SDES, RTCP_SR, readRtcpFrame } from './rtcp-header.js';
import { RtcpRawPacket } from './rtcp-raw.js';
import { RtcpReceiverReport } from './rtcp-receiver-report.js';
import { RtcpSenderReport } from './rtcp-sender-report.js';
import { RtcpSourceDescription } from './rtcp-source-description.js';

/** Any RTCP packet this module yields. */
export type RtcpPacket =
  | RtcpSenderReport
  | RtcpReceiverReport
  | RtcpSourceDescription
  | RtcpBye
  | RtcpApp
  | RtcpRawPacket;

export interface RtcpParseOptions {
  /**
   * Apply the RFC 3550 Appendix A.2 header validity checks for compound
   * packets: the first packet is an SR or RR, and only the last packet may be
   * padded. Off by default, because RFC 5506 reduced-size RTCP (a lone
   * feedback packet) is legitimate.
   */
  strict?: boolean;
}

/**
 * Parses every packet of a (compound) RTCP datagram. Throws
 * {@link RtpParseError} when a header is truncated, a length runs past the
 * data, or a decoded packet is inconsistent.
 */
export function parseRtcp(bytes: Uint8Array, options: RtcpParseOptions = {}): RtcpPacket[] {
  const packets: RtcpPacket[] = [];
  if (bytes.length === 0) throw new RtpParseError('empty RTCP datagram', 0);
  let o = 0;
  while (o < bytes.length) {
    const f = readRtcpFrame(bytes, o, bytes.length, 0);
    if (options.strict) {
      if (o === 0 && f.packetType !== RTCP_SR && f.packetType !== RTCP_RR) {
        throw new RtpParseError(`compound RTCP starts with packet type ${f.packetType}, not SR or RR`, 1);
      }
      if (f.padding && f.end !== bytes.length)
        throw new RtpParseError('padding on a packet that is not the last', o);
    }
    switch (f.packetType) {
      case RTCP_SR:
        packets.push(RtcpSenderReport.fromFrame(bytes, f, 0));
        break;
      case RTCP_RR:
        packets.push(RtcpReceiverReport.fromFrame(bytes, f, 0));
        break;
      case RTCP_SDES:
        packets.push(RtcpSourceDescription.fromFrame(bytes, f, 0));
        break;
      case RTCP_BYE:
        packets.push(RtcpBye.fromFrame(bytes, f, 0));
        break;
      case RTCP_APP:
        packets.push(RtcpApp.fromFrame(bytes, f, 0));
        break;
      default:
        packets.push(RtcpRawPacket.fromFrame(bytes, f));
    }
    o = f.end;
  }
  return packets;
}

/** A compound RTCP packet in the one shape: parse, serializedSize, serializeInto, serialize. */
export class RtcpCompound {
  packets: RtcpPacket[];

  constructor(packets: RtcpPacket[] = []) {
    this.packets = packets;
  }

  static parse(bytes: Uint8Array, options?: RtcpParseOptions): RtcpCompound {
    return new RtcpCompound(parseRtcp(bytes, options));
  }

  serializedSize(): number {
    let n = 0;
    for (const p of this.packets) n += p.serializedSize();
    return n;
  }

  serializeInto(buf: Uint8Array, offset = 0): number {
    if (this.packets.length === 0)
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'an RTCP compound needs a packet');
    let o = offset;
    for (const p of this.packets) o += p.serializeInto(buf, o);
    return o - offset;
  }

  serialize(): Uint8Array {
    const out = new Uint8Array(this.serializedSize());
    this.serializeInto(out, 0);
    return out;
  }
}
