import { describe, expect, it } from 'vitest';
import { isStrowgerError } from '../../../src/core/index.js';
import { JitterBuffer } from '../../../src/media/jitter/index.js';
import { drive, normals, type Sent, stream } from './drive.js';

const ids = (d: ReturnType<typeof drive>) => normals(d).map((f) => f.id);
const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
/** The played ids go strictly up, and every id not played is counted as dropped or late. */
function expectInOrder(d: ReturnType<typeof drive>, n: number): void {
  const played = ids(d);
  for (let i = 1; i < played.length; i++) expect(played[i]).toBeGreaterThan(played[i - 1]!);
  const s = d.jb.stats();
  expect(played.length + s.dropped + s.late).toBe(n);
}
/** Starting without an initial delay: exact playout checks are not disturbed by the start-up adaptation. */
const noInitial = { delayMs: 0 };

describe('jitter buffer', () => {
  it('buffers until the initial delay, then plays every packet once, in order, with its timestamp', () => {
    const d = drive(
      stream(50, () => 30),
      noInitial,
    );
    expect(d.frames[0]?.kind).toBe('buffering');
    expect(ids(d)).toEqual(range(50));
    const n = normals(d);
    for (let i = 0; i < n.length; i++) {
      expect(n[i]?.timestamp).toBe(50_000 + i * 160);
      expect(n[i]?.seq).toBe(1000 + i);
      expect(n[i]?.samples).toBe(160);
    }
    const s = d.jb.stats();
    expect(s).toMatchObject({ received: 50, played: 50, lost: 0, late: 0, duplicates: 0, discarded: 0 });
  });

  it('puts reordered packets back in sequence', () => {
    const pkts = stream(60, () => 30);
    // every 5th packet overtakes its predecessor by 15 ms
    for (let i = 5; i < 60; i += 5) pkts[i - 1]!.arrivalMs += 25;
    const d = drive(pkts);
    expectInOrder(d, 60);
    expect(d.jb.stats().late).toBe(0);
    expect(d.jb.stats().dropped).toBeLessThanOrEqual(1);
  });

  it('reports a duplicate and never plays it twice', () => {
    const pkts = stream(30, () => 30);
    pkts.push({ ...pkts[10]!, arrivalMs: pkts[10]!.arrivalMs + 5, id: 999 });
    pkts.push({ ...pkts[3]!, arrivalMs: pkts[3]!.arrivalMs + 400, id: 998 }); // long after it was played
    const d = drive(pkts, noInitial);
    expect(d.results.get(999)).toBe('duplicate');
    expect(d.results.get(998)).toBe('duplicate');
    expect(ids(d)).toEqual(range(30));
    expect(d.jb.stats().duplicates).toBe(2);
  });

  it('conceals a lost packet in its place and offers the next packet for FEC', () => {
    const pkts = stream(40, () => 30).filter((p) => p.id !== 20);
    const jb = new JitterBuffer({ mode: 'fixed', delayMs: 40 });
    const payload = new Uint8Array([1, 2, 3]);
    let fecSeen = false;
    let concealedSeq = -1;
    let concealedTs = -1;
    for (let tick = 0, k = 0; tick < 1200; tick += 20) {
      while (k < pkts.length && pkts[k]!.arrivalMs <= tick) {
        const p = pkts[k++]!;
        payload[0] = p.id;
        jb.push({ seq: p.seq, timestamp: p.timestamp, payload, arrivalMs: p.arrivalMs });
      }
      const f = jb.pull(tick);
      if (f.kind === 'concealed' && f.seq >= 0) {
        concealedSeq = f.seq;
        concealedTs = f.timestamp;
        if (f.nextOffset >= 0) fecSeen = f.data[f.nextOffset] === 21;
      }
    }
    expect(concealedSeq).toBe(1020);
    expect(concealedTs).toBe(50_000 + 20 * 160);
    expect(fecSeen).toBe(true);
    expect(jb.stats()).toMatchObject({ lost: 1, played: 39, late: 0 });
  });

  it('counts a packet that arrives after its turn as late and does not play it', () => {
    const pkts = stream(40, (i) => (i === 15 ? 300 : 30));
    const d = drive(pkts, { mode: 'fixed', delayMs: 40 });
    expect(d.results.get(15)).toBe('late');
    expect(ids(d)).toEqual(range(40).filter((i) => i !== 15));
    expect(d.jb.stats()).toMatchObject({ late: 1, lost: 1 });
  });

  it('plays straight through a 16-bit sequence wrap and a 32-bit timestamp wrap', () => {
    const pkts = stream(100, (i) => 30 + ((i * 7) % 11), { seq0: 65_500, ts0: 2 ** 32 - 160 * 50 });
    const d = drive(pkts, { delayMs: 20 });
    expectInOrder(d, 100);
    const n = normals(d);
    for (let i = 1; i < n.length; i++) expect((n[i]!.position - n[i - 1]!.position) % 160).toBe(0);
    expect(n.length).toBeGreaterThan(95);
    expect(n.map((f) => f.seq)).toContain(0);
    expect(n.map((f) => f.timestamp)).toContain(0);
    expect(d.jb.stats().restarts).toBe(0);
  });

  it('follows a delay spike up at once without losing packets, then comes back down slowly', () => {
    // 5 s steady, then the network delay steps up by 300 ms for 2 s, then drains
    const delay = (i: number) => {
      const t = i * 20;
      let x = 40 + ((i * 13) % 7);
      if (t >= 5000 && t < 7000) x += 300;
      else if (t >= 7000 && t < 7300) x += 300 - (t - 7000);
      return x;
    };
    const d = drive(stream(1000, delay));
    const s = d.jb.stats();
    expect(s.late).toBeLessThanOrEqual(1);
    const during = normals(d).filter((f) => f.tick > 6000 && f.tick < 7000);
    expect(during.length).toBeGreaterThan(40);
    for (const f of during) expect(f.tick - (f.id * 20 + delay(f.id))).toBeLessThan(60); // spike packets are played soon after arrival
    // well after the spike, the buffer delay is back near the jitter's size
    const after = normals(d).filter((f) => f.tick > 17_000);
    const mean = after.reduce((a, f) => a + f.delayMs, 0) / after.length;
    expect(mean).toBeLessThan(40);
    // and it did not drop straight back: right after the drain the extra delay is still held
    const justAfter = normals(d).filter((f) => f.tick > 7400 && f.tick < 8400);
    expect(Math.max(...justAfter.map((f) => f.delayMs))).toBeGreaterThan(150);
  });

  it('compensates a sender clock that runs fast by dropping a few frames', () => {
    // +1000 ppm: the sender makes 20 ms of audio every 19.98 ms
    const n = 3000;
    const d = drive(stream(n, (i) => 40 + ((i * 7) % 5), { sendMs: (i) => (i * 20) / 1.001 }));
    const s = d.jb.stats();
    expect(s.dropped).toBeGreaterThanOrEqual(1);
    expect(s.dropped).toBeLessThanOrEqual(6); // 60 ms of drift over the minute: about three frames
    const last = normals(d).slice(-100);
    const mean = last.reduce((a, f) => a + f.delayMs, 0) / last.length;
    expect(mean).toBeLessThan(40);
    expect(s.late).toBeLessThanOrEqual(n * 0.01);
  });

  it('compensates a sender clock that runs slow by inserting a few frames', () => {
    const n = 3000;
    const d = drive(stream(n, (i) => 40 + ((i * 7) % 5), { sendMs: (i) => (i * 20) / 0.999 }));
    const s = d.jb.stats();
    expect(s.played).toBeGreaterThanOrEqual(n - 3);
    expect(s.inserted).toBeGreaterThanOrEqual(1); // 60 ms of drift over the minute
    expect(s.inserted).toBeLessThanOrEqual(6);
    expect(s.late).toBeLessThanOrEqual(n * 0.01);
  });

  it('plays silence in DTX gaps and re-anchors the delay at the next talk spurt', () => {
    // two spurts; the first with 80 ms extra delay on its packets, the second without
    const first = stream(50, (i) => 30 + (i % 2) * 80);
    const second = stream(50, () => 30, {
      seq0: 1050,
      ts0: 50_000 + 160 * 150,
      firstId: 50,
      sendMs: (i) => 3000 + i * 20,
    });
    second[0]!.marker = true;
    const d = drive([...first, ...second], noInitial);
    expectInOrder(d, 100);
    const gap = d.frames.filter((f) => f.tick > 1400 && f.tick < 2900);
    expect(gap.every((f) => f.kind === 'silence' || f.kind === 'concealed')).toBe(true);
    expect(gap.filter((f) => f.kind === 'silence').length).toBeGreaterThan(50);
    const s = d.jb.stats();
    expect(s.dropped).toBe(0);
    // the second spurt starts with the delay the (now larger) target asks for, without mid-spurt drops
    const secondDelays = normals(d)
      .filter((f) => f.id >= 50)
      .map((f) => f.delayMs);
    const spread = Math.max(...secondDelays) - Math.min(...secondDelays);
    expect(spread).toBeLessThan(21);
  });

  it('accepts a packet reordered across a DTX gap (it is not a timestamp jump)', () => {
    const a = stream(10, (i) => (i === 9 ? 5100 : 30)); // the last packet of the first spurt comes after the next spurt starts
    const b = stream(10, () => 30, {
      seq0: 1010,
      ts0: 50_000 + 160 * 260,
      firstId: 10,
      sendMs: (i) => 5200 + i * 20,
    });
    b[0]!.marker = true;
    const d = drive([...a, ...b], noInitial);
    expect(d.results.get(9)).not.toBe('discarded');
    expect(d.jb.stats().discarded).toBe(0);
    expect(d.jb.stats().restarts).toBe(0);
    expect(ids(d).filter((i) => i >= 10)).toEqual(range(10, 10));
  });

  it.each([10, 30, 40, 60])('handles %i ms packets on a 20 ms tick', (packetMs) => {
    const n = Math.round(3000 / packetMs);
    const pkts = stream(n, (i) => 30 + ((i * 5) % 9), { packetMs });
    const d = drive(pkts, { packetMs, delayMs: 20 });
    expectInOrder(d, n);
    expect(d.jb.stats().late).toBe(0);
    const n1 = normals(d);
    expect(n1.slice(1).every((f) => f.samples === packetMs * 8)).toBe(true);
    // the caller's loop pulls about one unit per packet: no padding between packets mid-stream
    const firstTick = n1[0]!.tick;
    const lastTick = n1.at(-1)!.tick;
    const between = d.frames.filter((f) => f.tick > firstTick && f.tick < lastTick && f.kind !== 'normal');
    expect(between.length).toBeLessThanOrEqual(2);
  });

  it('carries on through a timestamp jump without waiting for the jumped time', () => {
    const a = stream(30, () => 30);
    const b = stream(30, () => 30, { seq0: 1030, ts0: 9_000_000, firstId: 30, sendMs: (i) => 600 + i * 20 });
    const d = drive([...a, ...b], noInitial);
    expect(ids(d)).toEqual(range(60));
    const n = normals(d);
    expect(n[30]!.tick - n[29]!.tick).toBeLessThanOrEqual(60);
    expect(d.jb.stats().restarts).toBe(1);
  });

  it('restarts on a big sequence jump once a second packet confirms it (RFC 3550 A.1)', () => {
    const a = stream(30, () => 30);
    const b = stream(30, () => 30, { seq0: 40_000, ts0: 777, firstId: 30, sendMs: (i) => 600 + i * 20 });
    const d = drive([...a, ...b], noInitial);
    expect(d.results.get(30)).toBe('discarded');
    expect(ids(d)).toEqual([...range(30), ...range(29, 31)]);
    expect(d.jb.stats().restarts).toBe(1);
  });

  it('restarts at once when the SSRC changes', () => {
    const a = stream(30, () => 30).map((p) => ({ ...p, ssrc: 1 }));
    const b = stream(30, () => 30, { seq0: 40_000, ts0: 777, firstId: 30, sendMs: (i) => 600 + i * 20 }).map(
      (p) => ({
        ...p,
        ssrc: 2,
      }),
    );
    const d = drive([...a, ...b], noInitial);
    expect(ids(d)).toEqual(range(60));
  });

  it('never holds more than its capacity and counts what it had to throw away', () => {
    const jb = new JitterBuffer({ capacity: 8 });
    const payload = new Uint8Array(10);
    for (let i = 0; i < 20; i++) {
      jb.push({ seq: i, timestamp: i * 160, payload, arrivalMs: i });
      expect(jb.size).toBeLessThanOrEqual(8);
    }
    expect(jb.stats()).toMatchObject({ received: 20, buffered: 8, discarded: 12 });
  });

  it('starts playing after an overflow before playout even when the oldest left is missing', () => {
    const jb = new JitterBuffer({ capacity: 4, delayMs: 0 });
    const payload = new Uint8Array(4);
    for (const i of [0, 1, 2, 3, 5, 6, 7]) jb.push({ seq: i, timestamp: i * 160, payload, arrivalMs: 0 });
    // 0..3 were pushed out by 5..7 only as far as needed; the oldest slot left (4) never came
    const f = jb.pull(100);
    expect(f.kind).toBe('normal');
    expect(f.seq).toBe(5);
  });

  it('discards a payload larger than maxPayload', () => {
    const jb = new JitterBuffer({ maxPayload: 16 });
    expect(jb.push({ seq: 1, timestamp: 0, payload: new Uint8Array(17), arrivalMs: 0 })).toBe('discarded');
    expect(jb.push({ seq: 2, timestamp: 160, payload: new Uint8Array(16), arrivalMs: 0 })).toBe('buffered');
  });

  it('copies the payload: later changes to the caller buffer do not leak in', () => {
    const jb = new JitterBuffer({ delayMs: 0 });
    const payload = new Uint8Array([5, 6, 7, 8]);
    jb.push({ seq: 1, timestamp: 0, payload, arrivalMs: 0, payloadOffset: 1, payloadLength: 2 });
    payload.fill(0);
    const f = jb.pull(0);
    expect(f.kind).toBe('normal');
    expect([...f.payload]).toEqual([6, 7]);
  });

  it('starts at the initial delay and comes down to the network jitter by dropping a few frames', () => {
    const d = drive(
      stream(200, () => 30),
      { delayMs: 80 },
    );
    const n = normals(d);
    expect(n[0]!.delayMs).toBeGreaterThanOrEqual(80 - 20);
    expect(n.at(-1)!.delayMs).toBeLessThan(20);
    expectInOrder(d, 200);
    expect(d.jb.stats().dropped).toBeLessThanOrEqual(4);
  });

  it('keeps a fixed delay in fixed mode', () => {
    const d = drive(
      stream(200, (i) => 30 + ((i * 7) % 13)),
      { mode: 'fixed', delayMs: 60 },
    );
    const n = normals(d);
    expect(n.length).toBe(200);
    for (const f of n.slice(20)) {
      const sent = f.id * 20;
      expect(f.tick - sent - 30).toBeGreaterThanOrEqual(60 - 1e-9);
      expect(f.tick - sent - 30).toBeLessThan(60 + 20);
    }
  });

  it('rejects malformed calls and options with ERR_INVALID_ARGUMENT', () => {
    const jb = new JitterBuffer();
    const bad = [
      () => jb.push({ seq: 70_000, timestamp: 0, payload: new Uint8Array(1), arrivalMs: 0 }),
      () => jb.push({ seq: 1, timestamp: -1, payload: new Uint8Array(1), arrivalMs: 0 }),
      () => jb.push({ seq: 1, timestamp: 0, payload: new Uint8Array(1), arrivalMs: Number.NaN }),
      () => jb.push({ seq: 1, timestamp: 0, payload: [1] as unknown as Uint8Array, arrivalMs: 0 }),
      () => jb.push({ seq: 1, timestamp: 0, payload: new Uint8Array(1), arrivalMs: 0, payloadOffset: 2 }),
      () => jb.pull(Number.POSITIVE_INFINITY),
      () => new JitterBuffer({ capacity: 1 }),
      () => new JitterBuffer({ quantile: 1 }),
      () => new JitterBuffer({ frameMs: 0.01 }),
      () => new JitterBuffer({ mode: 'magic' as 'fixed' }),
    ];
    for (const f of bad) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(isStrowgerError(err, 'ERR_INVALID_ARGUMENT')).toBe(true);
    }
  });

  it('reset forgets the stream but keeps the counters', () => {
    const pkts: Sent[] = stream(10, () => 30);
    const d = drive(pkts, noInitial);
    d.jb.push({ seq: 5, timestamp: 1, payload: new Uint8Array(1), arrivalMs: 10_000 });
    d.jb.reset();
    expect(d.jb.size).toBe(0);
    expect(d.jb.push({ seq: 5, timestamp: 1, payload: new Uint8Array(1), arrivalMs: 10_010 })).toBe(
      'buffered',
    );
    expect(d.jb.stats().played).toBe(10);
  });
});
