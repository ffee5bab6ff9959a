import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ntpFromUnixMs,
  ntpMiddle32,
  ntpMiddle32FromUnixMs,
  ntpShortFromSeconds,
  RtcpSenderReport,
  RtpReceiverStatistics,
  RtpSenderStatistics,
  roundTripTime,
  secondsFromNtpShort,
  unixMsFromNtp,
} from '../../src/rtp/index.js';

const stats = (opts: Partial<ConstructorParameters<typeof RtpReceiverStatistics>[0]> = {}) =>
  new RtpReceiverStatistics({ ssrc: 0xabc, clockRate: 8000, ...opts });

/** Feeds seq numbers as 20 ms PCMU packets arriving on time. */
function feedSeqs(s: RtpReceiverStatistics, seqs: number[], firstSeq = seqs[0] ?? 0): boolean[] {
  return seqs.map((q) => {
    const idx = (q - firstSeq) & 0xffff;
    return s.receive(q & 0xffff, idx * 160, idx * 20);
  });
}

describe('RFC 3550 A.1 sequence validation', () => {
  it('keeps a new source on probation until MIN_SEQUENTIAL packets arrive in order', () => {
    const s = stats();
    expect(s.receive(100, 0, 0)).toBe(false);
    expect(s.valid).toBe(false);
    expect(s.expected).toBe(0);
    expect(s.receive(101, 160, 20)).toBe(true);
    expect(s.valid).toBe(true);
    expect([s.received, s.expected, s.extendedHighestSequence]).toEqual([1, 1, 101]);
  });

  it('restarts probation when the first packets are not sequential', () => {
    const s = stats({ minSequential: 3 });
    expect(feedSeqs(s, [10, 12, 13, 14, 15])).toEqual([false, false, false, true, true]);
    expect([s.received, s.extendedHighestSequence]).toEqual([2, 15]);
  });

  it('counts 2^16 cycles when the sequence number wraps', () => {
    const s = stats();
    const seqs = Array.from({ length: 20 }, (_, i) => (65530 + i) & 0xffff);
    feedSeqs(s, seqs);
    expect(s.cycles).toBe(65536);
    expect(s.extendedHighestSequence).toBe(65536 + 13);
    expect(s.cumulativeLost).toBe(0);
    expect(s.expected).toBe(19);
  });

  it('also validates a source whose first two packets straddle the wrap', () => {
    const s = stats();
    expect(feedSeqs(s, [65535, 0, 1])).toEqual([false, true, true]);
    // the base is the packet that ended probation (seq 0), so no cycle is counted yet
    expect([s.extendedHighestSequence, s.expected, s.cumulativeLost]).toEqual([1, 2, 0]);
  });

  it('counts a duplicate, which can make the loss negative (A.3)', () => {
    const s = stats();
    feedSeqs(s, [1, 2, 3, 3, 4]);
    expect(s.received).toBe(4);
    expect(s.expected).toBe(3);
    expect(s.cumulativeLost).toBe(-1);
  });

  it('counts a reordered packet without moving the highest sequence', () => {
    const s = stats();
    feedSeqs(s, [1, 2, 4, 5, 3]);
    expect([s.extendedHighestSequence, s.cumulativeLost]).toEqual([5, 0]);
  });

  it('ignores one packet after a jump beyond MAX_DROPOUT, and re-syncs when the next follows it', () => {
    const s = stats();
    feedSeqs(s, [1, 2, 3]);
    expect(s.receive(20_000, 0, 100)).toBe(false);
    expect(s.received).toBe(2);
    expect(s.receive(4, 480, 120)).toBe(true); // the old stream goes on
    expect(s.receive(30_000, 0, 140)).toBe(false);
    expect(s.receive(30_001, 160, 160)).toBe(true); // two in a row: the peer restarted
    expect([s.received, s.expected, s.extendedHighestSequence, s.cycles]).toEqual([1, 1, 30_001, 0]);
  });
});

describe('RFC 3550 A.3 loss and A.8 jitter, as report blocks', () => {
  it('reports cumulative loss and the fraction lost per interval', () => {
    const s = stats();
    const all = Array.from({ length: 101 }, (_, i) => 1000 + i);
    feedSeqs(
      s,
      all.filter((q) => q % 10 !== 5),
      1000,
    ); // 10 lost of 100 expected
    const first = s.reportBlock(3000);
    expect(first.packetsLost).toBe(10);
    expect(first.highestSequence).toBe(1100);
    expect(first.fractionLost).toBe(Math.floor((10 * 256) / 100)); // 25
    const next = Array.from({ length: 50 }, (_, i) => 1101 + i);
    feedSeqs(s, next, 1000);
    const second = s.reportBlock(4000);
    expect(second.fractionLost).toBe(0);
    expect(second.packetsLost).toBe(10);
    expect(s.reportBlock(5000).fractionLost).toBe(0); // nothing expected in an empty interval
  });

  it('clamps cumulative loss to 24 bits', () => {
    const s = stats({ maxDropout: 60_000, maxMisorder: 100 });
    s.receive(0, 0, 0);
    s.receive(1, 160, 20);
    for (let i = 1; i <= 200; i++) s.receive((i * 50_000 + 1) & 0xffff, 0, 20 + i);
    expect(s.expected - s.received).toBeGreaterThan(0x7fffff);
    expect(s.cumulativeLost).toBe(0x7fffff);
    expect(s.reportBlock(0).packetsLost).toBe(0x7fffff);
  });

  it('measures zero jitter when every packet arrives on its timestamp', () => {
    const s = stats();
    for (let i = 0; i < 50; i++) s.receive(i, 5000 + i * 160, 1234 + i * 20);
    expect(s.jitter).toBe(0);
  });

  it('converges on J = 80 timestamp units when transit alternates by 10 ms (J_n = 80(1 - (15/16)^n))', () => {
    const s = stats();
    const n = 60;
    for (let i = 0; i <= n + 1; i++) s.receive(i, i * 160, i * 20 + (i % 2 ? 10 : 0));
    // packet 0 is on probation, packet 1 starts the transit, packets 2.. each give |D| = 80
    expect(s.jitter).toBe(Math.floor(80 * (1 - (15 / 16) ** n)));
  });

  it('is immune to the RTP timestamp wrapping', () => {
    const s = stats();
    for (let i = 0; i < 40; i++) s.receive(i, (0xffffff00 + i * 160) >>> 0, i * 20 + (i === 20 ? 5 : 0));
    expect(s.jitter).toBeLessThan(40);
    expect(s.jitter).toBeGreaterThan(0);
  });

  it('fills LSR and DLSR from the last SR of the source', () => {
    const s = stats();
    feedSeqs(s, [1, 2]);
    expect(s.reportBlock(0).lastSr).toBe(0);
    expect(s.reportBlock(0).delaySinceLastSr).toBe(0);
    s.onSenderReport(0xb44db705, 0x20000000, 1000);
    const b = s.reportBlock(6250);
    expect(b.lastSr).toBe(0xb7052000);
    expect(b.delaySinceLastSr).toBe(0x00054000); // 5.25 s in 1/65536 s
    expect(b.ssrc).toBe(0xabc);
  });

  it('rejects impossible options', () => {
    for (const o of [{ minSequential: 0 }, { clockRate: 0 }, { maxDropout: 65_500, maxMisorder: 100 }]) {
      expect(() => stats(o)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    }
  });
});

describe('NTP and round-trip time (RFC 3550 §4, §6.4.1)', () => {
  it('converts the RFC 3550 Figure 2 example time to NTP', () => {
    // [10 Nov 1995 11:33:25.125 UTC] ntp_sec = 0xb44db705, ntp_frac = 0x20000000
    const t = ntpFromUnixMs(Date.UTC(1995, 10, 10, 11, 33, 25, 125));
    expect(t).toEqual({ seconds: 0xb44db705, fraction: 0x20000000 });
    expect(ntpMiddle32(t.seconds, t.fraction)).toBe(0xb7052000);
    expect(unixMsFromNtp(t.seconds, t.fraction)).toBe(Date.UTC(1995, 10, 10, 11, 33, 25, 125));
  });

  it('computes the RFC 3550 Figure 2 round-trip time: A - LSR - DLSR = 6.125 s', () => {
    expect(roundTripTime(0xb7108000, 0xb7052000, 0x00054000)).toBe(6.125);
    expect(roundTripTime(0xb7108000, 0, 0)).toBeUndefined();
    expect(roundTripTime(0xb7052000, 0xb7052000, 0x00054000)).toBe(0); // skewed clocks never give a negative RTT
  });

  it('handles the 2036 NTP era rollover and 16.16 conversions', () => {
    const after = Date.UTC(2040, 0, 1);
    const t = ntpFromUnixMs(after);
    expect(t.seconds).toBeLessThan(0x80000000);
    expect(unixMsFromNtp(t.seconds, t.fraction)).toBe(after);
    expect(ntpShortFromSeconds(1.5)).toBe(0x18000);
    expect(secondsFromNtpShort(0x18000)).toBe(1.5);
    expect(ntpMiddle32FromUnixMs(Date.UTC(1995, 10, 10, 11, 33, 25, 125))).toBe(0xb7052000);
  });

  it('measures RTT end to end: our SR, their RR block, our arrival time', () => {
    const send = new RtpSenderStatistics({ ssrc: 1, clockRate: 8000 });
    send.onPacketSent(160, 0, 0);
    const wall0 = Date.UTC(2026, 0, 1);
    const sr = RtcpSenderReport.parse(send.senderReport({ wallTimeMs: wall0, nowMs: 0 }).serialize());
    const peer = stats({ ssrc: 1 });
    feedSeqs(peer, [1, 2]);
    peer.onSenderReport(sr.ntpSeconds, sr.ntpFraction, 40); // SR took 40 ms to reach the peer
    const block = peer.reportBlock(40 + 250); // peer held it 250 ms
    const rtt = roundTripTime(
      ntpMiddle32FromUnixMs(wall0 + 40 + 250 + 40),
      block.lastSr,
      block.delaySinceLastSr,
    );
    expect(rtt).toBeCloseTo(0.08, 3);
  });
});

describe('RtpSenderStatistics', () => {
  it('counts packets and payload octets and extrapolates the SR RTP timestamp', () => {
    const s = new RtpSenderStatistics({ ssrc: 7, clockRate: 8000 });
    expect(s.hasSent).toBe(false);
    for (let i = 0; i < 50; i++) s.onPacketSent(160, 1000 + i * 160, i * 20);
    expect([s.packetCount, s.octetCount]).toEqual([50, 8000]);
    const sr = s.senderReport({ wallTimeMs: Date.UTC(1995, 10, 10, 11, 33, 25, 125), nowMs: 49 * 20 + 5 });
    expect(sr.rtpTimestamp).toBe(1000 + 49 * 160 + 40);
    expect([sr.ntpSeconds, sr.ntpFraction, sr.packetCount, sr.octetCount, sr.ssrc]).toEqual([
      0xb44db705, 0x20000000, 50, 8000, 7,
    ]);
  });
});

describe('receiver statistics invariants', () => {
  /** A stream from `base`: packets 0 and 1 and the last one always arrive in order; others may be lost or displaced. */
  const stream = fc
    .record({
      // half the streams start close enough to 65535 to wrap
      base: fc.oneof(fc.integer({ min: 65_200, max: 0xffff }), fc.integer({ min: 0, max: 0xffff })),
      length: fc.integer({ min: 3, max: 400 }),
      seed: fc.integer(),
      lossRate: fc.double({ min: 0, max: 0.5, noNaN: true }),
      window: fc.integer({ min: 1, max: 20 }),
    })
    .map(({ base, length, seed, lossRate, window }) => {
      let rnd = seed >>> 0;
      const next = () => {
        rnd = (Math.imul(rnd, 1664525) + 1013904223) >>> 0;
        return rnd / 2 ** 32;
      };
      const middle: number[] = [];
      let dropped = 0;
      for (let i = 2; i < length - 1; i++) {
        if (next() < lossRate) dropped++;
        else middle.push(i);
      }
      // bounded reordering: sort by index + a random delay of up to `window` packets
      const keyed = middle.map((i) => [i + next() * window, i] as const).sort((a, b) => a[0] - b[0]);
      const order = [0, 1, ...keyed.map(([, i]) => i), length - 1];
      return { base, length, order, dropped };
    });

  it('loss is never negative with reordering and no duplicates, and settles at the number dropped', () => {
    fc.assert(
      fc.property(stream, ({ base, order, dropped }) => {
        const s = stats();
        let minLost = 0;
        for (const i of order) {
          s.receive((base + i) & 0xffff, (i * 160) >>> 0, i * 20);
          minLost = Math.min(minLost, s.cumulativeLost);
        }
        expect(minLost).toBe(0);
        expect(s.cumulativeLost).toBe(dropped);
      }),
      { numRuns: 300 },
    );
  });

  it('the extended highest sequence never decreases and ends at the true extended index, wraps included', () => {
    fc.assert(
      fc.property(stream, ({ base, length, order }) => {
        const s = stats();
        let last = -1;
        let decreased = false;
        for (const i of order) {
          s.receive((base + i) & 0xffff, (i * 160) >>> 0, i * 20);
          if (s.extendedHighestSequence < last) decreased = true;
          last = s.extendedHighestSequence;
        }
        expect(decreased).toBe(false);
        // probation ends on packet 1: the cycle count starts from its sequence number
        const extended = ((base + 1) & 0xffff) + length - 2;
        expect(s.extendedHighestSequence).toBe(extended);
        expect(s.reportBlock(0).highestSequence).toBe(extended);
      }),
      { numRuns: 300 },
    );
  });

  it('fraction lost stays in 0..255 and jitter is never negative whatever arrives', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.nat(1e6)),
          {
            maxLength: 100,
          },
        ),
        (pkts) => {
          const s = stats();
          pkts.sort((a, b) => a[2] - b[2]);
          for (const [q, ts, at] of pkts) s.receive(q, ts, at);
          const b = s.reportBlock(1e6);
          expect(b.fractionLost).toBeGreaterThanOrEqual(0);
          expect(b.fractionLost).toBeLessThanOrEqual(255);
          expect(b.jitter).toBeGreaterThanOrEqual(0);
          expect(b.packetsLost).toBeGreaterThanOrEqual(-0x800000);
          expect(b.packetsLost).toBeLessThanOrEqual(0x7fffff);
        },
      ),
    );
  });
});
