import { StrowgerError } from '../../core/index.js';

/**
 * A single-producer/single-consumer ring of fixed-size PCM frames in a
 * SharedArrayBuffer, for frames that must cross between worker threads (a
 * conference whose members live in two workers). Pure code over shared
 * memory: the buffer is created on one side and handed to the other once
 * (via `postMessage`/`workerData`); after that no message is sent per frame.
 *
 * Indices are free-running 32-bit counters published with `Atomics.store` and
 * read with `Atomics.load` (release/acquire), so a frame's samples are visible
 * before its index. The producer publishes its write index once per batch
 * (`batchFrames` writes, or {@link FrameRingWriter.flush}), so the consumer
 * sees — and is woken for — whole batches; the consumer publishes its read
 * index after every read (one plain atomic store), so freed room is visible
 * to the producer at once; `readBatch` takes a whole batch in one handoff.
 *
 * A full ring drops the newest frame and counts an overrun; reading an empty
 * ring counts an underrun (the caller plays silence or conceals). Both
 * counters live in the shared header, visible to both sides.
 *
 * Layout (little-endian, as the platform):
 * ```
 *  0   Int32 × 64 header: magic, version, frameSamples, capacity, batchFrames,
 *      … [16] write index, [32] read index, [48] overruns, [49] underruns
 *      (indices on their own 64-byte lines)
 *  256 Int32 × capacity   one tag per slot (e.g. tick number or stream id)
 *  …   Int16 × capacity × frameSamples   the frames
 * ```
 */

const MAGIC = 0x53524e47; // 'SRNG'
const VERSION = 1;
const H_MAGIC = 0;
const H_VERSION = 1;
const H_FRAME = 2;
const H_CAPACITY = 3;
const H_BATCH = 4;
const H_WRITE = 16;
const H_READ = 32;
const H_OVERRUNS = 48;
const H_UNDERRUNS = 49;
const HEADER_INTS = 64;
const HEADER_BYTES = HEADER_INTS * 4;

export interface FrameRingOptions {
  /** Samples per frame (e.g. 160 for 20 ms at 8 kHz). */
  frameSamples: number;
  /** Slots in the ring; a power of two from 2 to 65536. */
  capacityFrames: number;
  /** Frames written before the write index is published (default 1); at most capacity/2. */
  batchFrames?: number;
}

export interface FrameRingStats {
  frameSamples: number;
  capacity: number;
  batchFrames: number;
  /** Frames published by the producer since creation. */
  written: number;
  /** Frames consumed (and published) by the consumer since creation. */
  read: number;
  /** Frames published and not yet consumed. */
  buffered: number;
  overruns: number;
  underruns: number;
}

/** Bytes of SharedArrayBuffer a ring of these dimensions needs. */
export function frameRingByteLength(frameSamples: number, capacityFrames: number): number {
  return HEADER_BYTES + capacityFrames * 4 + capacityFrames * frameSamples * 2;
}

/** Creates and initialises the shared buffer of a ring. */
export function createFrameRing(options: FrameRingOptions): SharedArrayBuffer {
  const { frameSamples, capacityFrames } = options;
  const batch = options.batchFrames ?? 1;
  if (!Number.isInteger(frameSamples) || frameSamples < 1 || frameSamples > 65536) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'frameSamples must be an integer from 1 to 65536');
  }
  if (
    !Number.isInteger(capacityFrames) ||
    capacityFrames < 2 ||
    capacityFrames > 65536 ||
    (capacityFrames & (capacityFrames - 1)) !== 0
  ) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'capacityFrames must be a power of two from 2 to 65536');
  }
  if (!Number.isInteger(batch) || batch < 1 || batch > capacityFrames / 2) {
    throw new StrowgerError(
      'ERR_INVALID_ARGUMENT',
      'batchFrames must be an integer from 1 to capacityFrames/2',
    );
  }
  const sab = new SharedArrayBuffer(frameRingByteLength(frameSamples, capacityFrames));
  const h = new Int32Array(sab, 0, HEADER_INTS);
  h[H_VERSION] = VERSION;
  h[H_FRAME] = frameSamples;
  h[H_CAPACITY] = capacityFrames;
  h[H_BATCH] = batch;
  Atomics.store(h, H_MAGIC, MAGIC);
  return sab;
}

interface Views {
  header: Int32Array;
  tags: Int32Array;
  slots: Int16Array[];
  frameSamples: number;
  capacity: number;
  mask: number;
  batch: number;
}

function attach(buffer: SharedArrayBuffer): Views {
  if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < HEADER_BYTES) {
    throw new StrowgerError(
      'ERR_INVALID_ARGUMENT',
      'frame ring buffer must be a SharedArrayBuffer from createFrameRing',
    );
  }
  const header = new Int32Array(buffer, 0, HEADER_INTS);
  const frameSamples = header[H_FRAME] as number;
  const capacity = header[H_CAPACITY] as number;
  const batch = header[H_BATCH] as number;
  if (
    Atomics.load(header, H_MAGIC) !== MAGIC ||
    header[H_VERSION] !== VERSION ||
    !(frameSamples >= 1) ||
    !(capacity >= 2) ||
    (capacity & (capacity - 1)) !== 0 ||
    !(batch >= 1) ||
    buffer.byteLength !== frameRingByteLength(frameSamples, capacity)
  ) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'buffer does not hold a frame ring (bad header)');
  }
  const tags = new Int32Array(buffer, HEADER_BYTES, capacity);
  const dataOffset = HEADER_BYTES + capacity * 4;
  const slots: Int16Array[] = [];
  for (let i = 0; i < capacity; i++)
    slots.push(new Int16Array(buffer, dataOffset + i * frameSamples * 2, frameSamples));
  return { header, tags, slots, frameSamples, capacity, mask: capacity - 1, batch };
}

/** Reads a ring's counters (either side, any thread). */
export function frameRingStats(buffer: SharedArrayBuffer): FrameRingStats {
  const v = attach(buffer);
  const w = Atomics.load(v.header, H_WRITE);
  const r = Atomics.load(v.header, H_READ);
  return {
    frameSamples: v.frameSamples,
    capacity: v.capacity,
    batchFrames: v.batch,
    written: w >>> 0,
    read: r >>> 0,
    buffered: (w - r) | 0,
    overruns: Atomics.load(v.header, H_OVERRUNS),
    underruns: Atomics.load(v.header, H_UNDERRUNS),
  };
}

function checkFrame(frame: Int16Array, n: number, what: string): void {
  if (!(frame instanceof Int16Array) || frame.length !== n) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', `${what} must be an Int16Array of ${n} samples`);
  }
}

/** The producer side. Exactly one writer per ring. */
export class FrameRingWriter {
  readonly frameSamples: number;
  readonly capacity: number;
  readonly batchFrames: number;
  readonly #v: Views;
  /** Next index to write (published up to #published). */
  #w: number;
  #published: number;
  #cachedRead: number;

  constructor(buffer: SharedArrayBuffer) {
    this.#v = attach(buffer);
    this.frameSamples = this.#v.frameSamples;
    this.capacity = this.#v.capacity;
    this.batchFrames = this.#v.batch;
    this.#w = Atomics.load(this.#v.header, H_WRITE);
    this.#published = this.#w;
    this.#cachedRead = Atomics.load(this.#v.header, H_READ);
  }

  /** Frames written but not yet published. */
  get pending(): number {
    return (this.#w - this.#published) | 0;
  }

  /** Slots free for writing, as far as the writer knows now. */
  get free(): number {
    this.#cachedRead = Atomics.load(this.#v.header, H_READ);
    return this.capacity - ((this.#w - this.#cachedRead) | 0);
  }

  /**
   * Copies one frame into the ring with an optional 32-bit tag. Returns false
   * (and counts an overrun) when the ring is full; the frame is dropped.
   * Publishes automatically once `batchFrames` frames are pending.
   */
  write(frame: Int16Array, tag = 0): boolean {
    const v = this.#v;
    checkFrame(frame, v.frameSamples, 'frame');
    if (((this.#w - this.#cachedRead) | 0) >= v.capacity) {
      this.#cachedRead = Atomics.load(v.header, H_READ);
      if (((this.#w - this.#cachedRead) | 0) >= v.capacity) {
        Atomics.add(v.header, H_OVERRUNS, 1);
        return false;
      }
    }
    const slot = this.#w & v.mask;
    (v.slots[slot] as Int16Array).set(frame);
    v.tags[slot] = tag | 0;
    this.#w = (this.#w + 1) | 0;
    if (((this.#w - this.#published) | 0) >= v.batch) this.flush();
    return true;
  }

  /**
   * Writes `count` consecutive frames from `samples` (count × frameSamples
   * samples) with tags `firstTag`, `firstTag + 1`, … and publishes them in one
   * handoff. Returns how many fit; the rest count as overruns.
   */
  writeBatch(samples: Int16Array, count: number, firstTag = 0): number {
    const v = this.#v;
    const n = v.frameSamples;
    if (
      !(samples instanceof Int16Array) ||
      !Number.isInteger(count) ||
      count < 0 ||
      samples.length < count * n
    ) {
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        'writeBatch needs an Int16Array of count × frameSamples',
      );
    }
    this.#cachedRead = Atomics.load(v.header, H_READ);
    const room = v.capacity - ((this.#w - this.#cachedRead) | 0);
    const k = Math.min(room, count);
    for (let f = 0; f < k; f++) {
      const slot = this.#w & v.mask;
      const dst = v.slots[slot] as Int16Array;
      const off = f * n;
      for (let i = 0; i < n; i++) dst[i] = samples[off + i] as number;
      v.tags[slot] = (firstTag + f) | 0;
      this.#w = (this.#w + 1) | 0;
    }
    if (k < count) Atomics.add(v.header, H_OVERRUNS, count - k);
    this.flush();
    return k;
  }

  /** Publishes every pending frame and wakes a consumer blocked in `waitForFrames`. */
  flush(): void {
    if (this.#w === this.#published) return;
    this.#published = this.#w;
    Atomics.store(this.#v.header, H_WRITE, this.#w);
    Atomics.notify(this.#v.header, H_WRITE);
  }
}

/** The consumer side. Exactly one reader per ring. */
export class FrameRingReader {
  readonly frameSamples: number;
  readonly capacity: number;
  readonly batchFrames: number;
  readonly #v: Views;
  #r: number;
  #publishedRead: number;
  #cachedWrite: number;
  #lastTag = 0;

  constructor(buffer: SharedArrayBuffer) {
    this.#v = attach(buffer);
    this.frameSamples = this.#v.frameSamples;
    this.capacity = this.#v.capacity;
    this.batchFrames = this.#v.batch;
    this.#r = Atomics.load(this.#v.header, H_READ);
    this.#publishedRead = this.#r;
    this.#cachedWrite = Atomics.load(this.#v.header, H_WRITE);
  }

  /** Tag of the frame returned by the last successful {@link read}. */
  get lastTag(): number {
    return this.#lastTag;
  }

  /** Frames published by the producer and not yet read. */
  get available(): number {
    this.#cachedWrite = Atomics.load(this.#v.header, H_WRITE);
    return (this.#cachedWrite - this.#r) | 0;
  }

  /**
   * Copies the oldest frame into `into` and returns true; returns false (and
   * counts an underrun) when none is published. `into` is left untouched then.
   */
  read(into: Int16Array): boolean {
    const v = this.#v;
    checkFrame(into, v.frameSamples, 'into');
    if (this.#r === this.#cachedWrite) {
      this.#cachedWrite = Atomics.load(v.header, H_WRITE);
      if (this.#r === this.#cachedWrite) {
        this.#publishRead();
        Atomics.add(v.header, H_UNDERRUNS, 1);
        return false;
      }
    }
    const slot = this.#r & v.mask;
    into.set(v.slots[slot] as Int16Array);
    this.#lastTag = v.tags[slot] as number;
    this.#r = (this.#r + 1) | 0;
    // the freed slot is published at once, so the writer never sees a full ring that is not
    this.#publishRead();
    return true;
  }

  /**
   * Reads up to `maxFrames` frames into `into` (maxFrames × frameSamples) in
   * one handoff, writing their tags to `tags` if given. Returns the count
   * read; no underrun is counted (a batch read is a poll).
   */
  readBatch(into: Int16Array, maxFrames: number, tags?: Int32Array): number {
    const v = this.#v;
    const n = v.frameSamples;
    if (
      !(into instanceof Int16Array) ||
      !Number.isInteger(maxFrames) ||
      maxFrames < 0 ||
      into.length < maxFrames * n
    ) {
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        'readBatch needs an Int16Array of maxFrames × frameSamples',
      );
    }
    this.#cachedWrite = Atomics.load(v.header, H_WRITE);
    const k = Math.min(maxFrames, (this.#cachedWrite - this.#r) | 0);
    for (let f = 0; f < k; f++) {
      const slot = this.#r & v.mask;
      into.set(v.slots[slot] as Int16Array, f * n);
      const tag = v.tags[slot] as number;
      if (tags && f < tags.length) tags[f] = tag;
      this.#lastTag = tag;
      this.#r = (this.#r + 1) | 0;
    }
    this.#publishRead();
    return k;
  }

  /**
   * Blocks the calling thread until at least `count` frames are published or
   * `timeoutMs` passes; returns whether they are there. For worker threads
   * that pace themselves on a peer (tests, lock-step links); a tick loop
   * should poll {@link read} instead.
   */
  waitForFrames(count: number, timeoutMs: number): boolean {
    const h = this.#v.header;
    const deadline = timeoutMs;
    let waited = 0;
    for (;;) {
      const w = Atomics.load(h, H_WRITE);
      if (((w - this.#r) | 0) >= count) {
        this.#cachedWrite = w;
        return true;
      }
      if (waited >= deadline) return false;
      const slice = Math.min(50, deadline - waited);
      // only time spent asleep counts; a wake-up re-checks the count
      if (Atomics.wait(h, H_WRITE, w, slice) === 'timed-out') waited += slice;
    }
  }

  #publishRead(): void {
    if (this.#r === this.#publishedRead) return;
    this.#publishedRead = this.#r;
    Atomics.store(this.#v.header, H_READ, this.#r);
  }
}
