import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseRtcp,
  RtcpApp,
  RtcpBye,
  RtcpCompound,
  RtcpRawPacket,
  RtcpReceiverReport,
  RtcpSenderReport,
  RtcpSourceDescription,
  RtpParseError,
  SdesItemType,
} from '../../src/rtp/index.js';
import {
  app,
  bye,
  hex,
  plain,
  rawRtcp,
  receiverReport,
  rtcpPacket,
  senderReport,
  sourceDescription,
} from './arbitraries.js';

// SR + SDES + BYE, the usual compound of a sender leaving.
const COMPOUND = hex([
  // --- SR
  '81 c8 000c', //   V=2 P=0 RC=1, PT=200, length 12 (13 words)
  '11111111', //     SSRC of sender
  'e8e1d2c3', //     NTP seconds
  '80000000', //     NTP fraction (0.5 s)
  '00001f40', //     RTP timestamp 8000
  '00000064', //     packet count 100
  '00003e80', //     octet count 16000
  '22222222', //     report block: SSRC
  '19 fffffe', //    fraction lost 25/256, cumulative lost -2 (duplicates)
  '0001000a', //     extended highest sequence: 1 cycle, seq 10
  '00000020', //     jitter 32
  'd2c38000', //     LSR
  '00018000', //     DLSR 1.5 s
  // --- SDES
  '81 ca 0003', //   V=2 SC=1, PT=202, length 3
  '11111111', //     chunk SSRC
  '01 05 616c696365', // CNAME "alice"
  '00', //           end of items
  // --- BYE
  '81 cb 0003', //   V=2 SC=1, PT=203, length 3
  '11111111', //     SSRC
  '06 68616e677570', // reason: 6 octets, "hangup"
  '00', //           null octet to the word boundary
]);

describe('RTCP packets', () => {
  it('parses a compound SR + SDES + BYE field by field', () => {
    const [sr, sdes, b] = parseRtcp(COMPOUND);
    expect(sr).toBeInstanceOf(RtcpSenderReport);
    expect(plain(sr)).toEqual({
      packetType: 200,
      paddingLength: 0,
      ssrc: 0x11111111,
      ntpSeconds: 0xe8e1d2c3,
      ntpFraction: 0x80000000,
      rtpTimestamp: 8000,
      packetCount: 100,
      octetCount: 16000,
      reports: [
        {
          ssrc: 0x22222222,
          fractionLost: 25,
          packetsLost: -2,
          highestSequence: 0x1000a,
          jitter: 32,
          lastSr: 0xd2c38000,
          delaySinceLastSr: 0x18000,
        },
      ],
      profileExtension: [],
    });
    expect(sdes).toBeInstanceOf(RtcpSourceDescription);
    expect((sdes as RtcpSourceDescription).cname(0x11111111)).toBe('alice');
    expect(b).toBeInstanceOf(RtcpBye);
    expect((b as RtcpBye).ssrcs).toEqual([0x11111111]);
    expect((b as RtcpBye).reason).toBe('hangup');
  });

  it('builds the same compound bytes', () => {
    const compound = RtcpCompound.parse(COMPOUND);
    expect(Buffer.from(compound.serialize()).toString('hex')).toBe(Buffer.from(COMPOUND).toString('hex'));
    expect(compound.serializedSize()).toBe(COMPOUND.length);
  });

  it('builds an RR with no report blocks as 8 bytes', () => {
    expect(Buffer.from(new RtcpReceiverReport({ ssrc: 5 }).serialize()).toString('hex')).toBe(
      '80c9000100000005',
    );
  });

  it('reads SDES PRIV items and several chunks', () => {
    const sdes = new RtcpSourceDescription({
      chunks: [
        {
          ssrc: 1,
          items: [
            { type: SdesItemType.CNAME, value: 'a@b' },
            { type: SdesItemType.TOOL, value: 'strowger' },
          ],
        },
        { ssrc: 2, items: [{ type: SdesItemType.PRIV, prefix: 'x-y', value: 'zz' }] },
        { ssrc: 3, items: [] },
      ],
    });
    const bytes = sdes.serialize();
    expect(bytes.length % 4).toBe(0);
    const back = RtcpSourceDescription.parse(bytes);
    expect(back.chunks).toEqual(sdes.chunks);
    // an empty chunk is the SSRC plus four null octets (RFC 3550 §6.5)
    expect(Array.from(bytes.subarray(bytes.length - 8))).toEqual([0, 0, 0, 3, 0, 0, 0, 0]);
  });

  it('accepts a last SDES chunk whose terminating null octet is missing', () => {
    // CNAME of 2 octets fills the word: some stacks then omit the terminator
    const b = hex(['81ca 0002', '00000001', '01 02 6869']);
    expect(RtcpSourceDescription.parse(b).cname(1)).toBe('hi');
  });

  it('keeps RTPFB/PSFB feedback raw so a relay can pass it through unchanged', () => {
    const pli = hex(['81 ce 0002', '00000001', '00000002']); // PSFB FMT=1 (PLI)
    const nack = hex(['81 cd 0003', '00000001', '00000002', '0064 0003']); // RTPFB FMT=1 (NACK)
    const rr = new RtcpReceiverReport({ ssrc: 1 }).serialize();
    const bytes = new Uint8Array([...rr, ...pli, ...nack]);
    const packets = parseRtcp(bytes);
    expect(packets.map((p) => p.packetType)).toEqual([201, 206, 205]);
    const raw = packets[1] as RtcpRawPacket;
    expect(raw).toBeInstanceOf(RtcpRawPacket);
    expect(raw.fmt).toBe(1);
    expect(Array.from(new RtcpCompound(packets).serialize())).toEqual(Array.from(bytes));
  });

  it('reads APP packets with subtype, name and data', () => {
    const b = hex(['85 cc 0003', '00000009', '51534e54', 'cafebabe']); // subtype 5, name "QSNT"
    const a = RtcpApp.parse(b);
    expect([a.subtype, a.ssrc, a.name, Array.from(a.data)]).toEqual([5, 9, 'QSNT', [0xca, 0xfe, 0xba, 0xbe]]);
    expect(Array.from(a.serialize())).toEqual(Array.from(b));
  });

  it('strips RTCP padding and keeps its length', () => {
    const b = hex(['a0 c9 0002', '00000007', '00000004']); // RR, P=1, 4 padding octets
    const rr = RtcpReceiverReport.parse(b);
    expect(rr.ssrc).toBe(7);
    expect(rr.paddingLength).toBe(4);
    expect(rr.profileExtension.length).toBe(0);
    expect(Array.from(rr.serialize())).toEqual(Array.from(b));
  });

  it('strict mode applies the RFC 3550 A.2 compound checks', () => {
    const sdesFirst = new RtcpCompound([
      new RtcpSourceDescription({ chunks: [] }),
      new RtcpReceiverReport({ ssrc: 1 }),
    ]).serialize();
    expect(parseRtcp(sdesFirst)).toHaveLength(2);
    expect(() => parseRtcp(sdesFirst, { strict: true })).toThrow(RtpParseError);
    const paddedFirst = new RtcpCompound([
      new RtcpReceiverReport({ ssrc: 1, paddingLength: 4 }),
      new RtcpBye({ ssrcs: [1] }),
    ]).serialize();
    expect(() => parseRtcp(paddedFirst, { strict: true })).toThrow(/padding/);
  });

  const bad: Array<[string, Uint8Array, number]> = [
    ['an empty datagram', new Uint8Array(0), 0],
    ['a truncated header', hex(['80c9 00']), 0],
    ['version 3', hex(['c0c9 0001 00000001']), 0],
    ['a length past the data', hex(['80c9 0002 00000001']), 2],
    ['padding that is not a multiple of 4', hex(['a0c9 0001 00000003']), 7],
    ['padding of 0', hex(['a0c9 0001 00000000']), 7],
    [
      'an SR too short for its report count',
      hex(['81c8 0006 00000001 00000000 00000000 00000000 00000000 00000000']),
      0,
    ],
    ['an RR too short for its report count', hex(['81c9 0001 00000001']), 0],
    ['an SDES item past the packet', hex(['81ca 0002 00000001 0109 6869']), 8],
    ['an SDES with fewer chunks than announced', hex(['82ca 0002 00000001 00000000']), 12],
    ['an SDES with bytes after the chunks', hex(['81ca 0003 00000001 00000000 00000002']), 12],
    ['a BYE too short for its count', hex(['82cb 0001 00000001']), 0],
    ['a BYE reason past the packet', hex(['81cb 0002 00000001 09616263']), 8],
    ['an APP without a name', hex(['80cc 0001 00000001']), 0],
  ];
  for (const [name, bytes, offset] of bad) {
    it(`rejects ${name} with RtpParseError at byte ${offset}`, () => {
      try {
        parseRtcp(bytes);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(RtpParseError);
        expect((e as RtpParseError).code).toBe('ERR_RTP_PARSE');
        expect((e as RtpParseError).offset).toBe(offset);
      }
    });
  }

  it('single-packet parse refuses the wrong type and trailing bytes', () => {
    const rr = new RtcpReceiverReport({ ssrc: 1 }).serialize();
    expect(() => RtcpSenderReport.parse(rr)).toThrow(/expected 200/);
    expect(() => RtcpReceiverReport.parse(new Uint8Array([...rr, 0, 0, 0, 0]))).toThrow(
      /after the RTCP packet/,
    );
  });

  it('refuses unwritable fields with ERR_INVALID_ARGUMENT', () => {
    const tooMany = new Array(32).fill({
      ssrc: 0,
      fractionLost: 0,
      packetsLost: 0,
      highestSequence: 0,
      jitter: 0,
      lastSr: 0,
      delaySinceLastSr: 0,
    });
    const bad = [
      new RtcpReceiverReport({ ssrc: 1, reports: tooMany }),
      new RtcpReceiverReport({ ssrc: 1, paddingLength: 3 }),
      new RtcpReceiverReport({ ssrc: 1, profileExtension: new Uint8Array(2) }),
      new RtcpBye({ reason: 'x'.repeat(256) }),
      new RtcpApp({ ssrc: 1, name: 'TOOLONG' }),
      new RtcpApp({ ssrc: 1, name: 'ABCD', data: new Uint8Array(3) }),
      new RtcpSourceDescription({ chunks: [{ ssrc: 1, items: [{ type: 1, value: 'é'.repeat(128) }] }] }),
      new RtcpRawPacket({ packetType: 206, body: new Uint8Array(5) }),
    ];
    for (const p of bad)
      expect(() => p.serialize()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => new RtcpCompound([]).serialize()).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});

describe('RTCP properties', () => {
  const roundTrip = <T extends { serialize(): Uint8Array }>(
    arb: fc.Arbitrary<T>,
    parse: (b: Uint8Array) => unknown,
    runs = 200,
  ) =>
    fc.assert(
      fc.property(arb, (p) => {
        const bytes = p.serialize();
        const back = parse(bytes) as T;
        expect(plain(back)).toEqual(plain(p));
        expect(Array.from(back.serialize())).toEqual(Array.from(bytes));
      }),
      { numRuns: runs },
    );

  it('SR round-trips', () => roundTrip(senderReport, RtcpSenderReport.parse));
  it('RR round-trips', () => roundTrip(receiverReport, RtcpReceiverReport.parse));
  it('SDES round-trips', () => roundTrip(sourceDescription, RtcpSourceDescription.parse));
  it('BYE round-trips', () => roundTrip(bye, RtcpBye.parse));
  it('APP round-trips', () => roundTrip(app, RtcpApp.parse));
  it('raw packets round-trip', () => roundTrip(rawRtcp, RtcpRawPacket.parse));
  it('compound packets round-trip', () =>
    roundTrip(
      fc.array(rtcpPacket, { minLength: 1, maxLength: 5 }).map((ps) => new RtcpCompound(ps)),
      (b) => RtcpCompound.parse(b),
      150,
    ));

  it('arbitrary bytes either parse or throw RtpParseError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.boolean(), (b, forceV2) => {
        if (forceV2 && b.length > 0) b[0] = ((b[0] as number) & 0x3f) | 0x80;
        try {
          parseRtcp(b);
        } catch (e) {
          expect(e).toBeInstanceOf(RtpParseError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('truncated and bit-flipped valid compounds either parse or throw RtpParseError', () => {
    fc.assert(
      fc.property(
        fc.array(rtcpPacket, { minLength: 1, maxLength: 4 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (ps, cut, at, bit) => {
          const b = new RtcpCompound(ps).serialize();
          const flipped = b.slice();
          const i = at % flipped.length;
          flipped[i] = (flipped[i] as number) ^ (1 << bit);
          for (const candidate of [b.subarray(0, cut % (b.length + 1)), flipped]) {
            try {
              parseRtcp(candidate);
            } catch (e) {
              expect(e).toBeInstanceOf(RtpParseError);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
