import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { drive, type Sent } from './drive.js';

/** A random arrival schedule: jitter, bursts of delay, loss, duplicates, wraps, DTX gaps, odd packet sizes. */
const schedule = fc
  .record({
    n: fc.integer({ min: 1, max: 160 }),
    seq0: fc.integer({ min: 0, max: 0xffff }),
    ts0: fc.integer({ min: 0, max: 0xffff_ffff }),
    packetMs: fc.constantFrom(10, 20, 20, 30, 60),
    seed: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 160, maxLength: 160 }),
    jitterMs: fc.integer({ min: 0, max: 120 }),
    lossPct: fc.integer({ min: 0, max: 20 }),
    dupPct: fc.integer({ min: 0, max: 10 }),
    gapEvery: fc.integer({ min: 0, max: 40 }),
  })
  .map((c) => {
    const ticks = c.packetMs * 8;
    const out: Sent[] = [];
    let send = 0;
    let ts = c.ts0;
    let id = 0;
    for (let i = 0; i < c.n; i++) {
      const r = c.seed[i]!;
      let marker = false;
      if (c.gapEvery > 0 && i > 0 && i % c.gapEvery === 0) {
        // DTX: a silence of a few hundred ms, next packet marked
        const gap = 100 + (r % 7) * 100;
        send += gap;
        ts = (ts + gap * 8) % 2 ** 32;
        marker = true;
      }
      const lost = r % 100 < c.lossPct;
      if (!lost) {
        const arrivalMs = send + 20 + ((r * 7919) % (c.jitterMs + 1));
        out.push({ seq: (c.seq0 + i) & 0xffff, timestamp: ts, arrivalMs, marker, id: id++ });
        if ((r * 31) % 100 < c.dupPct) {
          out.push({
            seq: (c.seq0 + i) & 0xffff,
            timestamp: ts,
            arrivalMs: arrivalMs + (r % 90),
            marker,
            id: id++,
          });
        }
      }
      send += c.packetMs;
      ts = (ts + ticks) % 2 ** 32;
    }
    return { packets: out, packetMs: c.packetMs };
  });

const options = fc.record({
  mode: fc.constantFrom('adaptive' as const, 'fixed' as const),
  capacity: fc.integer({ min: 4, max: 64 }),
  delayMs: fc.integer({ min: 0, max: 120 }),
  quantile: fc.constantFrom(0.9, 0.97, 0.99),
});

describe('jitter buffer invariants (random arrival schedules)', () => {
  it('never plays a packet twice, never goes back in time, stays within capacity, and accounts for every packet', () => {
    fc.assert(
      fc.property(schedule, options, ({ packets, packetMs }, o) => {
        const d = drive(packets, { ...o, packetMs });
        const normal = d.frames.filter((f) => f.kind === 'normal');
        // played at most once, and only packets the buffer accepted
        const seen = new Set<number>();
        for (const f of normal) {
          expect(seen.has(f.id)).toBe(false);
          seen.add(f.id);
          expect(d.results.get(f.id)).toBe('buffered');
        }
        // timestamps move forward only (on the extended timeline and modulo 2^32)
        for (let i = 1; i < normal.length; i++) {
          expect(normal[i]!.position).toBeGreaterThan(normal[i - 1]!.position);
          const step = (normal[i]!.timestamp - normal[i - 1]!.timestamp + 2 ** 32) % 2 ** 32;
          expect(step).toBeGreaterThan(0);
          expect(step).toBeLessThan(2 ** 31);
        }
        // bounded memory
        expect(d.maxSize).toBeLessThanOrEqual(o.capacity);
        // every pushed packet is played, or counted late, duplicate or discarded
        const s = d.jb.stats();
        expect(s.received).toBe(packets.length);
        expect(s.played + s.late + s.duplicates + s.discarded + s.buffered).toBe(s.received);
        expect(s.played).toBe(normal.length);
        let lateOrDup = 0;
        for (const r of d.results.values()) if (r === 'late' || r === 'duplicate') lateOrDup++;
        expect(s.late + s.duplicates).toBeGreaterThanOrEqual(lateOrDup);
      }),
      { numRuns: 150 },
    );
  });

  it('plays every packet of a clean in-order stream exactly once, whatever the delay', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.integer({ min: 1, max: 300 }),
        (n, seq0, ts0, delay) => {
          const packets: Sent[] = [];
          for (let i = 0; i < n; i++) {
            packets.push({
              seq: (seq0 + i) & 0xffff,
              timestamp: (ts0 + i * 160) % 2 ** 32,
              arrivalMs: i * 20 + delay,
              id: i,
            });
          }
          const d = drive(packets, { delayMs: 0 });
          const ids = d.frames.filter((f) => f.kind === 'normal').map((f) => f.id);
          expect(ids).toEqual(packets.map((p) => p.id));
        },
      ),
      { numRuns: 100 },
    );
  });
});
