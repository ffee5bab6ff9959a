import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtpOutput } from '../../../src/media/worker/index.js';
import { read, rtp } from './helpers.js';

function forward(out: RtpOutput, ssrc: number, seq: number, ts: number, now: number) {
  const buf = rtp(0, seq, ts, ssrc, new Uint8Array(160));
  out.forward(buf, ssrc, seq, ts, now);
  return read(buf);
}

describe('RtpOutput', () => {
  it('rewrites SSRC and maps sequence numbers and timestamps by a constant offset', () => {
    const out = new RtpOutput({ ssrc: 0xcafe, initialSeq: 500, initialTs: 90_000, clockRate: 8000 });
    const a = forward(out, 1, 10, 1000, 0);
    const b = forward(out, 1, 11, 1160, 20);
    const c = forward(out, 1, 13, 1480, 60); // 12 lost on the way in
    const d = forward(out, 1, 12, 1320, 61); // 12 arrives late: keeps its place
    expect([a.ssrc, b.ssrc, c.ssrc, d.ssrc]).toEqual([0xcafe, 0xcafe, 0xcafe, 0xcafe]);
    expect([a.seq, b.seq, c.seq, d.seq]).toEqual([500, 501, 503, 502]);
    expect([a.ts, b.ts, c.ts, d.ts]).toEqual([90_000, 90_160, 90_480, 90_320]);
    expect(a.marker).toBe(true);
    expect(b.marker).toBe(false);
  });

  it('keeps the stream continuous when the source changes SSRC and jumps in sequence and timestamp', () => {
    const out = new RtpOutput({ ssrc: 7, initialSeq: 65534, initialTs: 0xffffff00, clockRate: 8000 });
    forward(out, 1, 100, 5000, 0);
    const b = forward(out, 1, 101, 5160, 20);
    const c = forward(out, 2, 40_000, 123_456, 40);
    const d = forward(out, 2, 40_001, 123_616, 60);
    expect(b.seq).toBe(65535);
    expect(c.seq).toBe(0); // wraps
    expect(d.seq).toBe(1);
    expect((c.ts - b.ts) >>> 0).toBe(160); // 20 ms later at 8 kHz
    expect((d.ts - c.ts) >>> 0).toBe(160);
    expect(c.marker).toBe(true);
  });

  it('generated packets take the next sequence numbers and the relay follows on after them', () => {
    const out = new RtpOutput({ ssrc: 7, initialSeq: 1000, initialTs: 0, clockRate: 8000 });
    forward(out, 1, 1, 160, 0);
    const s1 = out.nextSeq();
    const s2 = out.nextSeq();
    const r = forward(out, 1, 2, 320, 20);
    expect([s1, s2, r.seq]).toEqual([1001, 1002, 1003]);
    expect(r.ts).toBe(160); // timestamps still on the relay's mapping
  });

  it('generated audio continues its own timestamps and marks the start of each run', () => {
    const out = new RtpOutput({ ssrc: 7, initialSeq: 0, initialTs: 8000, clockRate: 8000 });
    const t1 = out.nextAudioTs(0, 160);
    expect(out.lastMarker).toBe(true);
    const t2 = out.nextAudioTs(20, 160);
    expect(out.lastMarker).toBe(false);
    const t3 = out.nextAudioTs(1000, 160); // a pause: restarts from the elapsed time
    expect(out.lastMarker).toBe(true);
    expect([t1, t2, t3]).toEqual([8000, 8160, 8160 + 980 * 8]);
  });

  it('property: whatever feeds it, in-order input gives consecutive sequence numbers and timestamps that never go back', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('relay' as const), src: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ kind: fc.constant('audio' as const) }),
      fc.record({ kind: fc.constant('event' as const) }),
    );
    fc.assert(
      fc.property(
        fc.array(op, { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (ops, seq0, ts0) => {
          const out = new RtpOutput({ ssrc: 9, initialSeq: seq0, initialTs: ts0, clockRate: 8000 });
          // each sender's RTP clock runs with real time; its sequence numbers advance per packet sent
          const src = [
            { seq: 65000, ts0: 0xfffff000 },
            { seq: 10, ts0: 77 },
            { seq: 30_000, ts0: 2 ** 31 },
          ];
          let now = 0;
          let lastSeq = -1;
          let lastTs = -1;
          for (const o of ops) {
            now += 20;
            let seq: number;
            let ts: number;
            if (o.kind === 'relay') {
              const s = src[o.src] as { seq: number; ts0: number };
              const p = forward(out, 100 + o.src, s.seq, (s.ts0 + now * 8) >>> 0, now);
              s.seq = (s.seq + 1) & 0xffff;
              seq = p.seq;
              ts = p.ts;
            } else if (o.kind === 'audio') {
              ts = out.nextAudioTs(now, 160);
              seq = out.nextSeq();
            } else {
              ts = out.timestampAt(now);
              seq = out.nextSeq();
            }
            if (lastSeq >= 0 && seq !== ((lastSeq + 1) & 0xffff)) return false;
            if (lastTs >= 0 && ((ts - lastTs) | 0) < 0) return false;
            lastSeq = seq;
            lastTs = ts;
          }
          return true;
        },
      ),
    );
  });
});
