/**
 * RTCP application-defined packet (APP, PT=204).
 *
 * https://www.rfc-editor.org/rfc/rfc3550#section-6.7
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |V=2|P| subtype |   PT=APP=204  |             length            |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                           SSRC/CSRC                           |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                          name (ASCII)                         |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |                   application-dependent data                ...
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { readU32, writeU32 } from './bytes.js';
import { checkUint, invalidField, RtpParseError } from './errors.js';
import { RTCP_APP, type RtcpFrame, RtcpPacketBase, readSingleRtcpFrame } from './rtcp-header.js';

const EMPTY = new Uint8Array(0);

export interface RtcpAppInit {
  subtype?: number;
  ssrc: number;
  /** Four characters (one octet each). */
  name: string;
  /** Application data, a multiple of 4 octets. */
  data?: Uint8Array;
  paddingLength?: number;
}

export class RtcpApp extends RtcpPacketBase {
  readonly packetType = RTCP_APP;
  subtype: number;
  ssrc: number;
  name: string;
  data: Uint8Array;

  constructor(init: RtcpAppInit) {
    super();
    this.subtype = init.subtype ?? 0;
    this.ssrc = init.ssrc;
    this.name = init.name;
    this.data = init.data ?? EMPTY;
    this.paddingLength = init.paddingLength ?? 0;
  }

  static parse(bytes: Uint8Array): RtcpApp {
    return RtcpApp.fromFrame(bytes, readSingleRtcpFrame(bytes, RTCP_APP), 0);
  }

  static fromFrame(b: Uint8Array, f: RtcpFrame, base: number): RtcpApp {
    const o = f.bodyStart;
    if (o + 8 > f.bodyEnd) throw new RtpParseError('APP packet shorter than SSRC + name', f.start - base);
    return new RtcpApp({
      subtype: f.count,
      ssrc: readU32(b, o),
      name: String.fromCharCode(
        b[o + 4] as number,
        b[o + 5] as number,
        b[o + 6] as number,
        b[o + 7] as number,
      ),
      data: b.subarray(o + 8, f.bodyEnd),
      paddingLength: f.end - f.bodyEnd,
    });
  }

  protected bodySize(): number {
    return 8 + this.data.length;
  }

  protected countField(): number {
    return this.subtype;
  }

  protected validate(): void {
    checkUint('APP subtype', this.subtype, 5);
    checkUint('ssrc', this.ssrc, 32);
    if (this.name.length !== 4 || !/^[\x00-\xff]{4}$/.test(this.name)) {
      invalidField('APP name', 'four one-octet characters', JSON.stringify(this.name));
    }
    if (this.data.length % 4 !== 0) invalidField('APP data length', 'a multiple of 4', this.data.length);
  }

  protected writeBody(b: Uint8Array, o: number): void {
    writeU32(b, o, this.ssrc);
    for (let i = 0; i < 4; i++) b[o + 4 + i] = this.name.charCodeAt(i);
    b.set(this.data, o + 8);
  }
}
