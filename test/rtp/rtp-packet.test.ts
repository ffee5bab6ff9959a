import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStrowgerError } from '../../src/core/index.js';
import {
  headerExtensionSize,
  makeHeaderExtension,
  RtpPacket,
  RtpParseError,
  RtpReader,
  rewriteRtpHeader,
  setRtpMarker,
  setRtpPayloadType,
  setRtpSequenceNumber,
  setRtpSsrc,
  setRtpTimestamp,
} from '../../src/rtp/index.js';
import { hex, plain, rtpPacket } from './arbitraries.js';

// A PCMU packet with two CSRCs, a one-byte extension block (RFC 8285 §4.2 layout),
// 3 payload bytes and 4 bytes of padding.
const FULL = hex([
  'b2', //         V=2 P=1 X=1 CC=2
  '80', //         M=1 PT=0 (PCMU)
  '1234', //       sequence number 0x1234
  'deadbeef', //   timestamp
  'cafebabe', //   SSRC
  '00000001', //   CSRC 1
  '00000002', //   CSRC 2
  'bede 0003', //  one-byte profile, 3 words follow
  '10 aa', //      ID=1 L=0: 1 byte 0xaa
  '21 bbbb', //    ID=2 L=1: 2 bytes
  '00', //         a padding byte between elements
  '33 cccccccc', // ID=3 L=3: 4 bytes
  '00', //         padding to the word boundary
  '010203', //     payload
  '000000 04', //  RTP padding: 4 bytes, the last is the count
]);

describe('RtpReader', () => {
  it('reads every header field, the CSRC list, the payload view and the padding length', () => {
    const r = new RtpReader().wrap(FULL);
    expect(r.version).toBe(2);
    expect(r.padding).toBe(true);
    expect(r.hasExtension).toBe(true);
    expect(r.csrcCount).toBe(2);
    expect(r.marker).toBe(true);
    expect(r.payloadType).toBe(0);
    expect(r.sequenceNumber).toBe(0x1234);
    expect(r.timestamp).toBe(0xdeadbeef);
    expect(r.ssrc).toBe(0xcafebabe);
    expect([r.csrc(0), r.csrc(1)]).toEqual([1, 2]);
    expect(r.headerLength).toBe(12 + 8 + 4 + 12);
    expect(Array.from(r.payload)).toEqual([1, 2, 3]);
    expect(r.payloadLength).toBe(3);
    expect(r.paddingLength).toBe(4);
    expect(r.extensionProfile).toBe(0xbede);
    expect(r.extensionLength).toBe(12);
  });

  it('payload is a view into the packet, not a copy', () => {
    const bytes = FULL.slice();
    const r = new RtpReader().wrap(bytes);
    r.payload[0] = 99;
    expect(bytes[r.payloadOffset]).toBe(99);
    expect(r.payload.buffer).toBe(bytes.buffer);
  });

  it('finds RFC 8285 elements by id, skipping padding bytes', () => {
    const r = new RtpReader().wrap(FULL);
    expect(Array.from(r.getExtension(1) ?? [])).toEqual([0xaa]);
    expect(Array.from(r.getExtension(2) ?? [])).toEqual([0xbb, 0xbb]);
    expect(Array.from(r.getExtension(3) ?? [])).toEqual([0xcc, 0xcc, 0xcc, 0xcc]);
    expect(r.getExtension(4)).toBeUndefined();
    expect(r.extensionElementOffset(3)).toBe(31);
    expect(r.extensionElementLength(3)).toBe(4);
    expect(r.extension()).toEqual({
      kind: 'one-byte',
      elements: [
        { id: 1, data: new Uint8Array([0xaa]) },
        { id: 2, data: new Uint8Array([0xbb, 0xbb]) },
        { id: 3, data: new Uint8Array([0xcc, 0xcc, 0xcc, 0xcc]) },
      ],
    });
  });

  it('stops reading one-byte elements at ID 15 (RFC 8285 §4.2)', () => {
    const p = hex(['9000 0001 00000000 00000001', 'bede 0001', '10 aa f0 11']);
    const r = new RtpReader().wrap(p);
    expect(r.extension()).toEqual({ kind: 'one-byte', elements: [{ id: 1, data: new Uint8Array([0xaa]) }] });
    expect(r.getExtension(1)?.length).toBe(1);
  });

  it('reads two-byte elements, including zero-length ones (RFC 8285 §4.3)', () => {
    const p = hex([
      '9000 0001 00000000 00000001',
      '1005 0002', //  two-byte profile, appbits 5, 2 words
      '01 00', //      ID=1 length 0
      '02 01 ee', //   ID=2 length 1
      '00', //         padding
      '00 00', //      padding
    ]);
    const r = new RtpReader().wrap(p);
    expect(r.extension()).toEqual({
      kind: 'two-byte',
      appBits: 5,
      elements: [
        { id: 1, data: new Uint8Array([]) },
        { id: 2, data: new Uint8Array([0xee]) },
      ],
    });
    expect(r.payloadLength).toBe(0);
  });

  it('keeps a non-RFC 8285 extension block opaque', () => {
    const p = hex(['9000 0001 00000000 00000001', 'abcd 0001', '01020304', 'ff']);
    const r = new RtpReader().wrap(p);
    expect(r.extension()).toEqual({ kind: 'raw', profile: 0xabcd, data: new Uint8Array([1, 2, 3, 4]) });
    expect(r.getExtension(1)).toBeUndefined();
    expect(Array.from(r.payload)).toEqual([0xff]);
  });

  it('reads a packet in the middle of a larger buffer', () => {
    const big = new Uint8Array(FULL.length + 20);
    big.set(FULL, 7);
    const r = new RtpReader().wrap(big, 7, FULL.length);
    expect(r.ssrc).toBe(0xcafebabe);
    expect(Array.from(r.payload)).toEqual([1, 2, 3]);
    expect(r.byteOffset).toBe(7);
  });

  const bad: Array<[string, Uint8Array, number, RegExp]> = [
    ['shorter than 12 bytes', hex(['8000 0001 00000000 000000']), 0, /shorter than 12/],
    ['version 1', hex(['4000 0001 00000000 00000001']), 0, /version 1/],
    ['CSRC list past the end', hex(['8300 0001 00000000 00000001 00000001']), 12, /CSRC/],
    ['extension header truncated', hex(['9000 0001 00000000 00000001 bede']), 12, /extension header/],
    [
      'extension length past the end',
      hex(['9000 0001 00000000 00000001 bede 0002 00000000']),
      14,
      /extension runs past/,
    ],
    [
      'one-byte element past the block',
      hex(['9000 0001 00000000 00000001 bede 0001 10 aa 23 bb']),
      18,
      /element 2/,
    ],
    [
      'two-byte element past the block',
      hex(['9000 0001 00000000 00000001 1000 0001 01 05 aa bb']),
      16,
      /element 1/,
    ],
    ['padding count 0', hex(['a000 0001 00000000 00000001 0000']), 13, /padding count is 0/],
    ['padding longer than the payload', hex(['a000 0001 00000000 00000001 0003']), 13, /padding count 3/],
  ];
  for (const [name, bytes, offset, msg] of bad) {
    it(`rejects ${name} with RtpParseError at byte ${offset}`, () => {
      let err: unknown;
      try {
        new RtpReader().wrap(bytes);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RtpParseError);
      expect(isStrowgerError(err, 'ERR_RTP_PARSE')).toBe(true);
      expect((err as RtpParseError).offset).toBe(offset);
      expect((err as Error).message).toMatch(msg);
    });
  }

  it('reports error offsets relative to the wrapped packet, not the buffer', () => {
    const big = new Uint8Array(40);
    big.set(hex(['9000 0001 00000000 00000001 bede 0001 10 aa 23 bb']), 10);
    try {
      new RtpReader().wrap(big, 10, 22);
      expect.unreachable();
    } catch (e) {
      expect((e as RtpParseError).offset).toBe(18);
    }
  });

  it('rejects a CSRC index out of range with ERR_INVALID_ARGUMENT', () => {
    const r = new RtpReader().wrap(FULL);
    expect(() => r.csrc(2)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });
});

describe('in-place rewriting', () => {
  it('rewrites SSRC, sequence number, timestamp, PT and marker without touching anything else', () => {
    const bytes = FULL.slice();
    const before = RtpPacket.parse(FULL.slice());
    const r = new RtpReader().wrap(bytes);
    r.setSsrc(0x11223344).setSequenceNumber(0xffff).setTimestamp(7).setPayloadType(8).setMarker(false);
    const after = RtpPacket.parse(bytes);
    expect(after.ssrc).toBe(0x11223344);
    expect(after.sequenceNumber).toBe(0xffff);
    expect(after.timestamp).toBe(7);
    expect(after.payloadType).toBe(8);
    expect(after.marker).toBe(false);
    expect(
      plain({ ...after, ssrc: 0, sequenceNumber: 0, timestamp: 0, payloadType: 0, marker: false }),
    ).toEqual(plain({ ...before, ssrc: 0, sequenceNumber: 0, timestamp: 0, payloadType: 0, marker: false }));
  });

  it('free functions wrap values modulo the field width, as a relay computes them', () => {
    const b = FULL.slice();
    rewriteRtpHeader(b, 2 ** 32 + 5, 0x10000 + 3, 2 ** 32 + 9);
    const r = new RtpReader().wrap(b);
    expect([r.ssrc, r.sequenceNumber, r.timestamp]).toEqual([5, 3, 9]);
    setRtpSsrc(b, 1);
    setRtpSequenceNumber(b, 2);
    setRtpTimestamp(b, 3);
    setRtpPayloadType(b, 0xff);
    setRtpMarker(b, false);
    r.wrap(b);
    expect([r.ssrc, r.sequenceNumber, r.timestamp, r.payloadType, r.marker, r.csrcCount]).toEqual([
      1,
      2,
      3,
      127,
      false,
      2,
    ]);
    setRtpMarker(b, true);
    expect(r.marker).toBe(true);
    expect(r.payloadType).toBe(127);
  });

  it('refuses a buffer too short for a header with RtpParseError, not a silent no-op', () => {
    expect(() => setRtpSsrc(new Uint8Array(11), 1)).toThrow(RtpParseError);
    expect(() => rewriteRtpHeader(new Uint8Array(20), 1, 1, 1, 9)).toThrow(RtpParseError);
  });
});

describe('RtpPacket', () => {
  it('serializes the fixture back to the same bytes', () => {
    const p = RtpPacket.parse(FULL);
    expect(p.serializedSize()).toBe(FULL.length);
    // the fixture has padding bytes between elements that a writer does not emit, so compare fields
    const again = RtpPacket.parse(p.serialize());
    expect(plain(again)).toEqual(plain(p));
  });

  it('builds a plain PCMU packet byte for byte', () => {
    const p = new RtpPacket({
      payloadType: 0,
      sequenceNumber: 1,
      timestamp: 160,
      ssrc: 0x01020304,
      marker: true,
      payload: new Uint8Array([0xff, 0x7f]),
    });
    expect(Buffer.from(p.serialize()).toString('hex')).toBe('80800001000000a001020304ff7f');
  });

  it('picks the one-byte form when elements fit it and the two-byte form otherwise', () => {
    expect(makeHeaderExtension([{ id: 3, data: new Uint8Array(16) }]).kind).toBe('one-byte');
    expect(makeHeaderExtension([{ id: 15, data: new Uint8Array(1) }]).kind).toBe('two-byte');
    expect(makeHeaderExtension([{ id: 1, data: new Uint8Array(17) }]).kind).toBe('two-byte');
    expect(makeHeaderExtension([{ id: 1, data: new Uint8Array(0) }]).kind).toBe('two-byte');
    expect(headerExtensionSize({ kind: 'one-byte', elements: [{ id: 1, data: new Uint8Array(3) }] })).toBe(8);
  });

  it('serializeInto writes at an offset and reports the size', () => {
    const p = new RtpPacket({
      payloadType: 8,
      sequenceNumber: 9,
      timestamp: 10,
      ssrc: 11,
      payload: new Uint8Array(5),
    });
    const buf = new Uint8Array(100);
    expect(p.serializeInto(buf, 30)).toBe(17);
    expect(new RtpReader().wrap(buf, 30, 17).payloadType).toBe(8);
  });

  it('rejects out-of-range fields and small buffers with ERR_INVALID_ARGUMENT, never a RangeError', () => {
    const base = { payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0 };
    const bad = [
      { ...base, payloadType: 128 },
      { ...base, sequenceNumber: 65536 },
      { ...base, timestamp: -1 },
      { ...base, ssrc: 1.5 },
      { ...base, csrcs: new Array(16).fill(0) },
      { ...base, paddingLength: 256 },
      { ...base, extension: { kind: 'one-byte' as const, elements: [{ id: 15, data: new Uint8Array(1) }] } },
      {
        ...base,
        extension: {
          kind: 'two-byte' as const,
          appBits: 0,
          elements: [{ id: 1, data: new Uint8Array(256) }],
        },
      },
      { ...base, extension: { kind: 'raw' as const, profile: 1, data: new Uint8Array(3) } },
    ];
    for (const init of bad) {
      expect(() => new RtpPacket(init).serialize()).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    }
    expect(() => new RtpPacket(base).serializeInto(new Uint8Array(11))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });

  it('parse ∘ serialize is the identity for every packet (CSRCs, extensions, padding)', () => {
    fc.assert(
      fc.property(rtpPacket, (p) => {
        const bytes = p.serialize();
        expect(bytes.length).toBe(p.serializedSize());
        const back = RtpPacket.parse(bytes);
        expect(plain(back)).toEqual(plain(p));
        expect(Array.from(back.serialize())).toEqual(Array.from(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary bytes either parse or throw RtpParseError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.boolean(), (b, forceV2) => {
        if (forceV2 && b.length > 0) b[0] = ((b[0] as number) & 0x3f) | 0x80;
        try {
          const p = RtpPacket.parse(b);
          expect(p.serializedSize()).toBeLessThanOrEqual(b.length + 3);
        } catch (e) {
          expect(e).toBeInstanceOf(RtpParseError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('truncated and bit-flipped valid packets either parse or throw RtpParseError', () => {
    fc.assert(
      fc.property(rtpPacket, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 7 }), (p, cut, at, bit) => {
        const b = p.serialize();
        const flipped = b.slice();
        if (flipped.length > 0) {
          const i = at % flipped.length;
          flipped[i] = (flipped[i] as number) ^ (1 << bit);
        }
        for (const candidate of [b.subarray(0, cut % (b.length + 1)), flipped]) {
          try {
            const r = new RtpReader().wrap(candidate);
            // every accessor must stay in bounds after a successful wrap
            void [r.ssrc, r.payload.length, r.extension(), r.getExtension(1)];
            expect(r.payloadOffset + r.payloadLength + r.paddingLength).toBe(candidate.length);
          } catch (e) {
            expect(e).toBeInstanceOf(RtpParseError);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
