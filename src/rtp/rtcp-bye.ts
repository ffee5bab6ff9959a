/**
 * RTCP goodbye (BYE, PT=203), with the optional reason for leaving.
 *
 * https://www.rfc-editor.org/rfc/rfc3550#section-6.6
 *
 *        0                   1                   2                   3
 *        0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *       |V=2|P|    SC   |   PT=BYE=203  |             length            |
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *       |                           SSRC/CSRC                           |
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *       :                              ...                              :
 *       +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * (opt) |     length    |               reason for leaving            ...
 *       +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The reason is padded with null octets to the next 32-bit boundary.
 */
import { utf8Decode, utf8Encode, utf8Length } from '../core/index.js';
import { readU32, writeU32 } from './bytes.js';
import { checkUint, invalidField, RtpParseError } from './errors.js';
import { RTCP_BYE, type RtcpFrame, RtcpPacketBase, readSingleRtcpFrame } from './rtcp-header.js';

export interface RtcpByeInit {
  ssrcs?: number[];
  /** Reason for leaving (UTF-8, at most 255 octets). */
  reason?: string;
  paddingLength?: number;
}

export class RtcpBye extends RtcpPacketBase {
  readonly packetType = RTCP_BYE;
  ssrcs: number[];
  reason: string | undefined;

  constructor(init: RtcpByeInit = {}) {
    super();
    this.ssrcs = init.ssrcs ?? [];
    this.reason = init.reason;
    this.paddingLength = init.paddingLength ?? 0;
  }

  static parse(bytes: Uint8Array): RtcpBye {
    return RtcpBye.fromFrame(bytes, readSingleRtcpFrame(bytes, RTCP_BYE), 0);
  }

  static fromFrame(b: Uint8Array, f: RtcpFrame, base: number): RtcpBye {
    let o = f.bodyStart;
    if (o + f.count * 4 > f.bodyEnd) {
      throw new RtpParseError(`BYE with ${f.count} sources needs ${f.count * 4} body bytes`, f.start - base);
    }
    const ssrcs: number[] = [];
    for (let i = 0; i < f.count; i++, o += 4) ssrcs.push(readU32(b, o));
    let reason: string | undefined;
    if (o < f.bodyEnd) {
      const len = b[o] as number;
      if (o + 1 + len > f.bodyEnd)
        throw new RtpParseError(`BYE reason of ${len} octets runs past the packet`, o - base);
      reason = utf8Decode(b, o + 1, o + 1 + len);
    }
    return new RtcpBye({ ssrcs, reason, paddingLength: f.end - f.bodyEnd });
  }

  protected bodySize(): number {
    const r = this.reason === undefined ? 0 : (1 + utf8Length(this.reason) + 3) & ~3;
    return this.ssrcs.length * 4 + r;
  }

  protected countField(): number {
    return this.ssrcs.length;
  }

  protected validate(): void {
    for (const s of this.ssrcs) checkUint('BYE ssrc', s, 32);
    if (this.reason !== undefined && utf8Length(this.reason) > 255) {
      invalidField('BYE reason', 'at most 255 octets', utf8Length(this.reason));
    }
  }

  protected writeBody(b: Uint8Array, o: number): void {
    const end = o + this.bodySize();
    for (const s of this.ssrcs) {
      writeU32(b, o, s);
      o += 4;
    }
    if (this.reason !== undefined) {
      const text = utf8Encode(this.reason);
      b[o] = text.length;
      b.set(text, o + 1);
      b.fill(0, o + 1 + text.length, end);
    }
  }
}
