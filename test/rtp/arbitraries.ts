/** fast-check arbitraries for RTP/RTCP packets, shared by the rtp tests. */
import fc from 'fast-check';
import {
  RtcpApp,
  RtcpBye,
  type RtcpPacket,
  RtcpRawPacket,
  RtcpReceiverReport,
  type RtcpReportBlock,
  RtcpSenderReport,
  RtcpSourceDescription,
  type RtpHeaderExtension,
  RtpPacket,
  type SdesItem,
} from '../../src/rtp/index.js';

export const u8 = fc.integer({ min: 0, max: 0xff });
export const u16 = fc.integer({ min: 0, max: 0xffff });
export const u32 = fc.integer({ min: 0, max: 0xffffffff });
export const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
export const words = (maxWords: number) =>
  fc.integer({ min: 0, max: maxWords }).chain((n) => fc.uint8Array({ minLength: n * 4, maxLength: n * 4 }));

export const oneByteExtension: fc.Arbitrary<RtpHeaderExtension> = fc
  .array(fc.record({ id: fc.integer({ min: 1, max: 14 }), data: bytes(1, 16) }), { maxLength: 6 })
  .map((elements) => ({ kind: 'one-byte' as const, elements }));

export const twoByteExtension: fc.Arbitrary<RtpHeaderExtension> = fc
  .record({
    appBits: fc.integer({ min: 0, max: 15 }),
    elements: fc.array(fc.record({ id: fc.integer({ min: 1, max: 255 }), data: bytes(0, 40) }), {
      maxLength: 5,
    }),
  })
  .map((r) => ({ kind: 'two-byte' as const, ...r }));

export const rawExtension: fc.Arbitrary<RtpHeaderExtension> = fc
  .record({
    // any profile that is neither 0xBEDE nor 0x100X
    profile: u16.filter((p) => p !== 0xbede && (p & 0xfff0) !== 0x1000),
    data: words(6),
  })
  .map((r) => ({ kind: 'raw' as const, ...r }));

export const rtpPacket: fc.Arbitrary<RtpPacket> = fc
  .record({
    marker: fc.boolean(),
    payloadType: fc.integer({ min: 0, max: 127 }),
    sequenceNumber: u16,
    timestamp: u32,
    ssrc: u32,
    csrcs: fc.array(u32, { maxLength: 15 }),
    extension: fc.option(fc.oneof(oneByteExtension, twoByteExtension, rawExtension), { nil: undefined }),
    payload: bytes(0, 200),
    paddingLength: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 255 })),
  })
  .map((r) => new RtpPacket(r));

export const reportBlock: fc.Arbitrary<RtcpReportBlock> = fc.record({
  ssrc: u32,
  fractionLost: u8,
  packetsLost: fc.integer({ min: -0x800000, max: 0x7fffff }),
  highestSequence: u32,
  jitter: u32,
  lastSr: u32,
  delaySinceLastSr: u32,
});

const padding = fc.constantFrom(0, 4, 8, 252);

export const senderReport = fc
  .record({
    ssrc: u32,
    ntpSeconds: u32,
    ntpFraction: u32,
    rtpTimestamp: u32,
    packetCount: u32,
    octetCount: u32,
    reports: fc.array(reportBlock, { maxLength: 31 }),
    profileExtension: words(4),
    paddingLength: padding,
  })
  .map((r) => new RtcpSenderReport(r));

export const receiverReport = fc
  .record({
    ssrc: u32,
    reports: fc.array(reportBlock, { maxLength: 31 }),
    profileExtension: words(4),
    paddingLength: padding,
  })
  .map((r) => new RtcpReceiverReport(r));

/** Text whose UTF-8 form is at most `max` octets. */
export const text = (max: number) =>
  fc.string({ unit: 'grapheme', maxLength: max }).filter((s) => Buffer.byteLength(s) <= max);

export const sdesItem: fc.Arbitrary<SdesItem> = fc.oneof(
  fc.record({ type: fc.integer({ min: 1, max: 7 }), value: text(60) }),
  fc.record({ type: fc.constant(8), prefix: text(20), value: text(40) }),
);

export const sourceDescription = fc
  .record({
    chunks: fc.array(fc.record({ ssrc: u32, items: fc.array(sdesItem, { maxLength: 5 }) }), { maxLength: 6 }),
    paddingLength: padding,
  })
  .map((r) => new RtcpSourceDescription(r));

export const bye = fc
  .record({
    ssrcs: fc.array(u32, { maxLength: 31 }),
    reason: fc.option(text(100), { nil: undefined }),
    paddingLength: padding,
  })
  .map((r) => new RtcpBye(r));

export const app = fc
  .record({
    subtype: fc.integer({ min: 0, max: 31 }),
    ssrc: u32,
    name: fc.string({
      unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
      minLength: 4,
      maxLength: 4,
    }),
    data: words(8),
    paddingLength: padding,
  })
  .map((r) => new RtcpApp(r));

export const rawRtcp = fc
  .record({
    packetType: fc.constantFrom(205, 206, 207, 195),
    count: fc.integer({ min: 0, max: 31 }),
    body: words(8),
    paddingLength: padding,
  })
  .map((r) => new RtcpRawPacket(r));

export const rtcpPacket: fc.Arbitrary<RtcpPacket> = fc.oneof(
  senderReport,
  receiverReport,
  sourceDescription,
  bye,
  app,
  rawRtcp,
);

/** Plain-data view of a packet for deep equality (drops prototypes, keeps bytes as arrays). */
export function plain(x: unknown): unknown {
  if (x instanceof Uint8Array) return Array.from(x);
  if (Array.isArray(x)) return x.map(plain);
  if (x && typeof x === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) if (v !== undefined) out[k] = plain(v);
    return out;
  }
  return x;
}

/** Hex string (spaces and comments allowed) → bytes, for fixtures with a comment per field. */
export function hex(lines: string[]): Uint8Array {
  const s = lines
    .map((l) => l.replace(/#.*$/, ''))
    .join('')
    .replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(s, 'hex'));
}
