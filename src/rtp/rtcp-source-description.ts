/**
 * RTCP source description (SDES, PT=202): CNAME, NAME, EMAIL, PHONE, LOC,
 * TOOL, NOTE and PRIV items for each source.
 *
 * https://www.rfc-editor.org/rfc/rfc3550#section-6.5
 *
 *         0                   1                   2                   3
 *         0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * header |V=2|P|    SC   |  PT=SDES=202  |             length            |
 *        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * chunk  |                          SSRC/CSRC_1                          |
 *   1    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |                           SDES items                          |
 *        |                              ...                              |
 *        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * chunk  |                          SSRC/CSRC_2                          |
 *   2    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |                           SDES items                          |
 *        |                              ...                              |
 *        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *
 * Item (§6.5.1): |  type (1..8)  |    length     | text (length octets, UTF-8) ...
 * PRIV (§6.5.8): |   PRIV=8      |    length     | prefix length | prefix | value
 *
 * Each chunk's item list ends with one or more null octets (an item type of 0)
 * that pad it to the next 32-bit boundary.
 */
import { utf8Decode, utf8Encode, utf8Length } from '../core/index.js';
import { readU32, writeU32 } from './bytes.js';
import { checkUint, invalidField, RtpParseError } from './errors.js';
import { RTCP_SDES, type RtcpFrame, RtcpPacketBase, readSingleRtcpFrame } from './rtcp-header.js';

/** SDES item types (RFC 3550 §6.5). */
export const SdesItemType = Object.freeze({
  END: 0,
  CNAME: 1,
  NAME: 2,
  EMAIL: 3,
  PHONE: 4,
  LOC: 5,
  TOOL: 6,
  NOTE: 7,
  PRIV: 8,
} as const);

export interface SdesItem {
  /** 1..255 (8 = PRIV). */
  type: number;
  value: string;
  /** PRIV items only: the prefix string. */
  prefix?: string;
}

export interface SdesChunk {
  /** SSRC or CSRC the items describe. */
  ssrc: number;
  items: SdesItem[];
}

export interface RtcpSourceDescriptionInit {
  chunks?: SdesChunk[];
  paddingLength?: number;
}

function itemSize(it: SdesItem): number {
  if (it.type === SdesItemType.PRIV) return 3 + utf8Length(it.prefix ?? '') + utf8Length(it.value);
  return 2 + utf8Length(it.value);
}

function chunkSize(c: SdesChunk): number {
  let n = 4;
  for (const it of c.items) n += itemSize(it);
  return (n + 1 + 3) & ~3; // at least one null octet, then pad to 32 bits
}

export class RtcpSourceDescription extends RtcpPacketBase {
  readonly packetType = RTCP_SDES;
  chunks: SdesChunk[];

  constructor(init: RtcpSourceDescriptionInit = {}) {
    super();
    this.chunks = init.chunks ?? [];
    this.paddingLength = init.paddingLength ?? 0;
  }

  /** The CNAME of `ssrc`, if this packet carries one. */
  cname(ssrc: number): string | undefined {
    for (const c of this.chunks) {
      if (c.ssrc !== ssrc) continue;
      for (const it of c.items) if (it.type === SdesItemType.CNAME) return it.value;
    }
    return undefined;
  }

  static parse(bytes: Uint8Array): RtcpSourceDescription {
    return RtcpSourceDescription.fromFrame(bytes, readSingleRtcpFrame(bytes, RTCP_SDES), 0);
  }

  static fromFrame(b: Uint8Array, f: RtcpFrame, base: number): RtcpSourceDescription {
    const chunks: SdesChunk[] = [];
    const end = f.bodyEnd;
    let o = f.bodyStart;
    for (let c = 0; c < f.count; c++) {
      if (o + 4 > end) throw new RtpParseError(`SDES chunk ${c + 1} of ${f.count} truncated`, o - base);
      const ssrc = readU32(b, o);
      o += 4;
      const items: SdesItem[] = [];
      for (;;) {
        if (o >= end) {
          // The terminating null octet is missing. Accepted for the last chunk
          // only (some stacks omit it when the items end on a word boundary).
          if (c === f.count - 1) break;
          throw new RtpParseError('SDES chunk has no terminating null octet', o - base);
        }
        const type = b[o] as number;
        if (type === 0) {
          o = Math.min(f.start + ((o + 1 - f.start + 3) & ~3), end);
          break;
        }
        if (o + 2 > end) throw new RtpParseError('SDES item header truncated', o - base);
        const len = b[o + 1] as number;
        if (o + 2 + len > end)
          throw new RtpParseError(`SDES item of ${len} octets runs past the packet`, o - base);
        if (type === SdesItemType.PRIV) {
          const plen = len > 0 ? (b[o + 2] as number) : -1;
          if (plen < 0 || 1 + plen > len)
            throw new RtpParseError('SDES PRIV prefix does not fit the item', o - base);
          items.push({
            type,
            prefix: utf8Decode(b, o + 3, o + 3 + plen),
            value: utf8Decode(b, o + 3 + plen, o + 2 + len),
          });
        } else {
          items.push({ type, value: utf8Decode(b, o + 2, o + 2 + len) });
        }
        o += 2 + len;
      }
      chunks.push({ ssrc, items });
    }
    if (o < end) throw new RtpParseError(`bytes after the ${f.count} SDES chunks announced`, o - base);
    return new RtcpSourceDescription({ chunks, paddingLength: f.end - f.bodyEnd });
  }

  protected bodySize(): number {
    let n = 0;
    for (const c of this.chunks) n += chunkSize(c);
    return n;
  }

  protected countField(): number {
    return this.chunks.length;
  }

  protected validate(): void {
    for (const c of this.chunks) {
      checkUint('SDES chunk ssrc', c.ssrc, 32);
      for (const it of c.items) {
        if (!Number.isInteger(it.type) || it.type < 1 || it.type > 255)
          invalidField('SDES item type', '1..255', it.type);
        const size = itemSize(it) - 2;
        if (size > 255) invalidField('SDES item length', 'at most 255 octets', size);
      }
    }
  }

  protected writeBody(b: Uint8Array, o: number): void {
    for (const c of this.chunks) {
      const start = o;
      writeU32(b, o, c.ssrc);
      o += 4;
      for (const it of c.items) {
        b[o] = it.type;
        if (it.type === SdesItemType.PRIV) {
          const prefix = utf8Encode(it.prefix ?? '');
          const value = utf8Encode(it.value);
          b[o + 1] = 1 + prefix.length + value.length;
          b[o + 2] = prefix.length;
          b.set(prefix, o + 3);
          b.set(value, o + 3 + prefix.length);
          o += 3 + prefix.length + value.length;
        } else {
          const value = utf8Encode(it.value);
          b[o + 1] = value.length;
          b.set(value, o + 2);
          o += 2 + value.length;
        }
      }
      const end = start + chunkSize(c);
      b.fill(0, o, end);
      o = end;
    }
  }
}
