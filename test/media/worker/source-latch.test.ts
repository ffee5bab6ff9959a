import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LATCH_ACCEPT, LATCH_LEARNED, LATCH_REJECT, SourceLatch } from '../../../src/media/worker/index.js';

const SIGNALLED = { address: '192.168.1.10', port: 4000 };

describe('SourceLatch', () => {
  it('learns the signalled address on its first packet', () => {
    const l = new SourceLatch(SIGNALLED, 3);
    expect(l.accept('192.168.1.10', 4000, 1, 100)).toBe(LATCH_LEARNED);
    expect(l.learned).toBe(true);
    expect(l.accept('192.168.1.10', 4000, 1, 101)).toBe(LATCH_ACCEPT);
  });

  it('learns a NATed source only after learnPackets consecutive packets, dropping them until then', () => {
    const l = new SourceLatch(SIGNALLED, 3);
    expect(l.accept('203.0.113.5', 61000, 7, 10)).toBe(LATCH_REJECT);
    expect(l.accept('203.0.113.5', 61000, 7, 11)).toBe(LATCH_REJECT);
    expect(l.accept('203.0.113.5', 61000, 7, 12)).toBe(LATCH_LEARNED);
    expect(l.learnedAddress).toBe('203.0.113.5');
    expect(l.learnedPort).toBe(61000);
  });

  it('restarts the count when a sequence number is skipped or another source interleaves', () => {
    const l = new SourceLatch(null, 3);
    expect(l.accept('203.0.113.5', 61000, 7, 10)).toBe(LATCH_REJECT);
    expect(l.accept('203.0.113.5', 61000, 7, 12)).toBe(LATCH_REJECT); // gap: count 1 again
    expect(l.accept('198.51.100.9', 5000, 9, 13)).toBe(LATCH_REJECT); // other source: its count 1
    expect(l.accept('203.0.113.5', 61000, 7, 13)).toBe(LATCH_REJECT); // back: count 1
    expect(l.accept('203.0.113.5', 61000, 7, 14)).toBe(LATCH_REJECT);
    expect(l.accept('203.0.113.5', 61000, 7, 15)).toBe(LATCH_LEARNED);
  });

  it('counts across the 16-bit sequence wrap', () => {
    const l = new SourceLatch(null, 3);
    l.accept('203.0.113.5', 61000, 7, 65534);
    l.accept('203.0.113.5', 61000, 7, 65535);
    expect(l.accept('203.0.113.5', 61000, 7, 0)).toBe(LATCH_LEARNED);
  });

  it('after learning, accepts nothing else — not even the signalled address (no RTP Bleed)', () => {
    const l = new SourceLatch(SIGNALLED, 2);
    l.accept('203.0.113.5', 61000, 7, 1);
    expect(l.accept('203.0.113.5', 61000, 7, 2)).toBe(LATCH_LEARNED);
    expect(l.accept('192.168.1.10', 4000, 7, 3)).toBe(LATCH_REJECT);
    expect(l.accept('203.0.113.5', 61001, 7, 3)).toBe(LATCH_REJECT);
    expect(l.accept('203.0.113.6', 61000, 7, 3)).toBe(LATCH_REJECT);
  });

  it('reset() opens learning again with a new signalled address', () => {
    const l = new SourceLatch(SIGNALLED, 1);
    l.accept('192.168.1.10', 4000, 1, 1);
    l.reset({ address: '192.168.1.20', port: 5000 });
    expect(l.learned).toBe(false);
    expect(l.accept('192.168.1.20', 5000, 1, 2)).toBe(LATCH_LEARNED);
  });

  it('RTCP sources are accepted from the signalled address or the learned RTP address only', () => {
    const l = new SourceLatch({ address: '192.168.1.10', port: 4001 }, 1);
    expect(l.acceptFrom('203.0.113.9', 9999, '')).toBe(LATCH_REJECT);
    expect(l.acceptFrom('203.0.113.5', 61001, '203.0.113.5')).toBe(LATCH_LEARNED);
    expect(l.acceptFrom('203.0.113.5', 61002, '203.0.113.5')).toBe(LATCH_REJECT);
  });

  it('property: agrees with the rules packet by packet, and nothing but the learned source gets in afterwards', () => {
    const SOURCES = [
      { address: '192.168.1.10', port: 4000 }, // signalled
      { address: '203.0.113.5', port: 61000 }, // the peer behind NAT
      { address: '203.0.113.66', port: 6666 }, // an attacker
    ] as const;
    const packet = fc.record({
      src: fc.integer({ min: 0, max: 2 }),
      ssrc: fc.constantFrom(1, 2),
      step: fc.constantFrom(1, 1, 1, 2, 0, -1),
    });
    fc.assert(
      fc.property(
        fc.array(packet, { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 5 }),
        (packets, n) => {
          const l = new SourceLatch(SOURCES[0], n);
          const seqs = [100, 5000, 60000];
          let learned = -1;
          let cand = -1;
          let candSsrc = 0;
          let candSeq = 0;
          let run = 0;
          for (const p of packets) {
            seqs[p.src] = ((seqs[p.src] as number) + p.step + 65536) & 0xffff;
            const seq = seqs[p.src] as number;
            const s = SOURCES[p.src as 0 | 1 | 2];
            const got = l.accept(s.address, s.port, p.ssrc, seq);
            let want: number;
            if (learned >= 0) want = p.src === learned ? LATCH_ACCEPT : LATCH_REJECT;
            else if (p.src === 0) {
              learned = 0;
              want = LATCH_LEARNED;
            } else {
              if (p.src === cand && p.ssrc === candSsrc) run = seq === ((candSeq + 1) & 0xffff) ? run + 1 : 1;
              else {
                cand = p.src;
                candSsrc = p.ssrc;
                run = 1;
              }
              candSeq = seq;
              if (run >= n) {
                learned = p.src;
                want = LATCH_LEARNED;
              } else want = LATCH_REJECT;
            }
            if (got !== want) return false;
          }
          return true;
        },
      ),
    );
  });
});
