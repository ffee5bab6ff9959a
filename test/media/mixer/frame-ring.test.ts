import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStrowgerError } from '../../../src/core/index.js';
import {
  createFrameRing,
  FrameRingReader,
  FrameRingWriter,
  frameRingStats,
} from '../../../src/media/mixer/index.js';
import { goertzelAmplitude } from '../helpers/signal.js';
import { patternFrame } from './fixtures/pattern.js';

const BOOT = new URL('./fixtures/boot.mjs', import.meta.url);

function startWorker(entry: string, data: Record<string, unknown>): Worker {
  return new Worker(BOOT, { workerData: { entry: new URL(entry, import.meta.url).href, ...data } });
}

function result<T>(w: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    w.once('message', (m) => {
      resolve(m as T);
      void w.terminate();
    });
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0) reject(new Error(`worker exited with ${code}`));
    });
  });
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return isStrowgerError(err) ? err.code : 'untyped';
  }
  return 'no error';
}

describe('frame ring (one thread)', () => {
  it('hands frames over in order with their tags, across many wrap-arounds', () => {
    const ring = createFrameRing({ frameSamples: 160, capacityFrames: 8 });
    const w = new FrameRingWriter(ring);
    const r = new FrameRingReader(ring);
    const frame = new Int16Array(160);
    const got = new Int16Array(160);
    const want = new Int16Array(160);
    for (let k = 0; k < 1000; k++) {
      patternFrame(frame, k);
      expect(w.write(frame, k)).toBe(true);
      if (k % 3 === 2) {
        for (let j = k - 2; j <= k; j++) {
          expect(r.read(got)).toBe(true);
          expect(r.lastTag).toBe(j);
          patternFrame(want, j);
          expect(got).toEqual(want);
        }
      }
    }
    const s = frameRingStats(ring);
    expect([s.overruns, s.underruns, s.written]).toEqual([0, 0, 1000]);
  });

  it('publishes only whole batches: the reader sees nothing until batchFrames are written or flush()', () => {
    const ring = createFrameRing({ frameSamples: 4, capacityFrames: 16, batchFrames: 4 });
    const w = new FrameRingWriter(ring);
    const r = new FrameRingReader(ring);
    const f = new Int16Array(4);
    w.write(f, 1);
    w.write(f, 2);
    w.write(f, 3);
    expect(r.available).toBe(0);
    expect(w.pending).toBe(3);
    w.write(f, 4);
    expect(r.available).toBe(4);
    w.write(f, 5);
    expect(r.available).toBe(4);
    w.flush();
    expect(r.available).toBe(5);
  });

  it('counts an overrun and drops the newest frame when the ring is full', () => {
    const ring = createFrameRing({ frameSamples: 2, capacityFrames: 4 });
    const w = new FrameRingWriter(ring);
    const r = new FrameRingReader(ring);
    const results = [0, 1, 2, 3, 4, 5].map((k) => w.write(Int16Array.of(k, k), k));
    expect(results).toEqual([true, true, true, true, false, false]);
    expect(frameRingStats(ring).overruns).toBe(2);
    const got = new Int16Array(2);
    const tags: number[] = [];
    while (r.read(got)) tags.push(r.lastTag);
    expect(tags).toEqual([0, 1, 2, 3]);
    // room again once read
    expect(w.write(Int16Array.of(9, 9), 9)).toBe(true);
  });

  it('counts an underrun when the reader finds nothing and leaves its frame untouched', () => {
    const ring = createFrameRing({ frameSamples: 2, capacityFrames: 4 });
    const r = new FrameRingReader(ring);
    const into = Int16Array.of(7, 7);
    expect(r.read(into)).toBe(false);
    expect(r.read(into)).toBe(false);
    expect(Array.from(into)).toEqual([7, 7]);
    expect(frameRingStats(ring).underruns).toBe(2);
  });

  it('moves several frames per handoff with writeBatch/readBatch', () => {
    const ring = createFrameRing({ frameSamples: 3, capacityFrames: 8 });
    const w = new FrameRingWriter(ring);
    const r = new FrameRingReader(ring);
    const block = Int16Array.from({ length: 30 }, (_, i) => i);
    expect(w.writeBatch(block, 10, 100)).toBe(8); // 2 did not fit
    expect(frameRingStats(ring).overruns).toBe(2);
    const into = new Int16Array(15);
    const tags = new Int32Array(5);
    expect(r.readBatch(into, 5, tags)).toBe(5);
    expect(Array.from(into)).toEqual(Array.from(block.subarray(0, 15)));
    expect(Array.from(tags)).toEqual([100, 101, 102, 103, 104]);
    expect(r.readBatch(into, 5)).toBe(3);
    expect(r.readBatch(into, 5)).toBe(0);
  });

  it('waitForFrames returns at once when frames are there and times out when none come', () => {
    const ring = createFrameRing({ frameSamples: 2, capacityFrames: 4 });
    const w = new FrameRingWriter(ring);
    const r = new FrameRingReader(ring);
    expect(r.waitForFrames(1, 1)).toBe(false);
    w.write(new Int16Array(2));
    expect(r.waitForFrames(1, 1000)).toBe(true);
  });

  it('rejects bad dimensions, foreign buffers and wrong frame sizes with typed errors', () => {
    expect(code(() => createFrameRing({ frameSamples: 160, capacityFrames: 6 }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect(code(() => createFrameRing({ frameSamples: 0, capacityFrames: 8 }))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => createFrameRing({ frameSamples: 8, capacityFrames: 8, batchFrames: 5 }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect(code(() => new FrameRingReader(new SharedArrayBuffer(1024)))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => new FrameRingWriter(new ArrayBuffer(1024) as unknown as SharedArrayBuffer))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    const ring = createFrameRing({ frameSamples: 4, capacityFrames: 4 });
    expect(code(() => new FrameRingWriter(ring).write(new Int16Array(3)))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => new FrameRingReader(ring).read(new Int16Array(5)))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('behaves like a bounded FIFO queue for any sequence of writes and reads (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(2, 4, 8),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.oneof(fc.constant('w' as const), fc.constant('r' as const), fc.constant('f' as const)), {
          maxLength: 200,
        }),
        (capacity, batchWanted, ops) => {
          const batch = Math.min(batchWanted, capacity / 2);
          const ring = createFrameRing({ frameSamples: 2, capacityFrames: capacity, batchFrames: batch });
          const w = new FrameRingWriter(ring);
          const r = new FrameRingReader(ring);
          const queue: number[] = []; // accepted frames, in order
          let published = 0; // how many of queue the reader may see
          let next = 0;
          let overruns = 0;
          let underruns = 0;
          const into = new Int16Array(2);
          for (const op of ops) {
            if (op === 'w') {
              const ok = w.write(Int16Array.of(next, -next), next);
              if (queue.length >= capacity) {
                expect(ok).toBe(false);
                overruns++;
              } else {
                expect(ok).toBe(true);
                queue.push(next);
                if (queue.length - published >= batch) published = queue.length;
              }
              next++;
            } else if (op === 'f') {
              w.flush();
              published = queue.length;
            } else {
              const ok = r.read(into);
              if (published === 0) {
                expect(ok).toBe(false);
                underruns++;
              } else {
                expect(ok).toBe(true);
                const k = queue.shift() as number;
                published--;
                expect([r.lastTag, into[0], into[1]]).toEqual([k, k, -k | 0]);
              }
            }
          }
          const s = frameRingStats(ring);
          expect([s.overruns, s.underruns]).toEqual([overruns, underruns]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('frame ring across two worker threads', () => {
  it('carries 4000 frames in batches from one worker to another, lossless, in order, intact', async () => {
    const ring = createFrameRing({ frameSamples: 160, capacityFrames: 64, batchFrames: 8 });
    const done = new SharedArrayBuffer(4);
    const consumer = startWorker('./fixtures/ring-consumer.ts', { ring, done, readEvery: 0 });
    const producer = startWorker('./fixtures/ring-producer.ts', { ring, frames: 4000, flowControl: true });
    const p = await result<{ accepted: number; refused: number }>(producer);
    Atomics.store(new Int32Array(done), 0, 1);
    const c = await result<{ received: number; corrupt: number; outOfOrder: number; lastTag: number }>(
      consumer,
    );
    expect(p).toEqual({ accepted: 4000, refused: 0 });
    expect(c).toMatchObject({ received: 4000, corrupt: 0, outOfOrder: 0, lastTag: 3999 });
    const s = frameRingStats(ring);
    expect([s.written, s.read, s.overruns]).toEqual([4000, 4000, 0]);
  }, 30_000);

  it('accounts for every frame when a slow consumer makes the ring overrun', async () => {
    const ring = createFrameRing({ frameSamples: 160, capacityFrames: 16, batchFrames: 4 });
    const done = new SharedArrayBuffer(4);
    const consumer = startWorker('./fixtures/ring-consumer.ts', { ring, done, readEvery: 8 });
    const producer = startWorker('./fixtures/ring-producer.ts', { ring, frames: 3000, flowControl: false });
    const p = await result<{ accepted: number; refused: number }>(producer);
    Atomics.store(new Int32Array(done), 0, 1);
    const c = await result<{ received: number; corrupt: number; outOfOrder: number }>(consumer);
    const s = frameRingStats(ring);
    // whatever the scheduling: nothing lost silently, nothing corrupted or reordered
    expect(p.accepted + p.refused).toBe(3000);
    expect(s.overruns).toBe(p.refused);
    expect(c.received).toBe(p.accepted);
    expect(c).toMatchObject({ corrupt: 0, outOfOrder: 0 });
  }, 30_000);

  it('joins two halves of one conference in two workers: everyone hears everyone else, never itself', async () => {
    const aToB = createFrameRing({ frameSamples: 160, capacityFrames: 8 });
    const bToA = createFrameRing({ frameSamples: 160, capacityFrames: 8 });
    const ticks = 30;
    const recordFrom = 10;
    const half = (
      ringIn: SharedArrayBuffer,
      ringOut: SharedArrayBuffer,
      members: Array<{ id: string; freq: number }>,
    ) => startWorker('./fixtures/conference-half.ts', { ringIn, ringOut, members, ticks, recordFrom });
    const a = half(bToA, aToB, [
      { id: 'a1', freq: 500 },
      { id: 'a2', freq: 900 },
    ]);
    const b = half(aToB, bToA, [{ id: 'b1', freq: 1300 }]);
    type Out = { recorded: Record<string, Int16Array>; lateFrames: number };
    const [ra, rb] = await Promise.all([result<Out>(a), result<Out>(b)]);
    expect([ra.lateFrames, rb.lateFrames]).toEqual([0, 0]);
    const freqs: Record<string, number> = { a1: 500, a2: 900, b1: 1300 };
    const hears = (out: Int16Array) =>
      Object.keys(freqs)
        .filter((id) => goertzelAmplitude(out, freqs[id] as number, 8000) > 3000)
        .sort();
    expect({
      a1: hears(ra.recorded.a1 as Int16Array),
      a2: hears(ra.recorded.a2 as Int16Array),
      b1: hears(rb.recorded.b1 as Int16Array),
    }).toEqual({ a1: ['a2', 'b1'], a2: ['a1', 'b1'], b1: ['a1', 'a2'] });
    // and the self-echo through the other worker is absent, not merely small
    expect(goertzelAmplitude(ra.recorded.a1 as Int16Array, 500, 8000)).toBeLessThan(2);
    expect(goertzelAmplitude(rb.recorded.b1 as Int16Array, 1300, 8000)).toBeLessThan(2);
    // frames crossed as batches through shared memory: one per tick each way (plus the primer)
    expect([frameRingStats(aToB).written, frameRingStats(bToA).written]).toEqual([ticks + 1, ticks + 1]);
  }, 30_000);
});
