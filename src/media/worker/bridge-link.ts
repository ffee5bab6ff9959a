/**
 * The link between two halves of one conference bridge in two media
 * workers: a pair of FrameRings (SharedArrayBuffer, one per direction) made
 * by the host and handed to both workers once. Each tick a half writes its
 * link member's output (everything its members say, minus what came from
 * the other half) and reads the other half's.
 *
 * The two workers tick on the same clock but not in step, so the reader
 * keeps a small margin: it starts once `prefillFrames` frames are published
 * and then takes one per tick. An empty ring plays silence (an underrun,
 * counted in the ring); when more than `prefillFrames + 2` frames wait (the
 * other worker ran late ticks back to back), the surplus is dropped so the
 * delay does not grow. The writer publishes every `batchFrames` frames.
 * Added delay per crossing: the batch (batchFrames − 1 ticks) plus the
 * margin (prefillFrames ticks) plus up to one tick of phase between the two
 * workers — 40–60 ms one way with the defaults (1 and 2).
 */
import { FrameRingReader, FrameRingWriter } from '../mixer/index.js';

export class BridgeLink {
  readonly id: number;
  /** The mixer member that stands for the other half. */
  readonly memberId: string;
  readonly frame: Int16Array;
  readonly #reader: FrameRingReader;
  readonly #writer: FrameRingWriter;
  readonly #prefill: number;
  readonly #discard: Int16Array;
  #primed = false;
  #tick = 0;
  /** Frames dropped to keep the delay from growing. */
  dropped = 0;
  /** Ticks that found the ring empty after it was primed. */
  underruns = 0;

  constructor(id: number, ringIn: SharedArrayBuffer, ringOut: SharedArrayBuffer, prefillFrames: number) {
    this.id = id;
    this.memberId = `#link:${id}`;
    this.#reader = new FrameRingReader(ringIn);
    this.#writer = new FrameRingWriter(ringOut);
    this.#prefill = Math.max(1, prefillFrames);
    this.frame = new Int16Array(this.#reader.frameSamples);
    this.#discard = new Int16Array(this.#reader.frameSamples);
  }

  /** Frames waiting in the incoming ring. */
  get buffered(): number {
    return this.#reader.available;
  }

  /** The other half's frame for this tick (silence until primed or on underrun). */
  pull(): Int16Array {
    const r = this.#reader;
    const avail = r.available;
    if (!this.#primed) {
      if (avail < this.#prefill) {
        this.frame.fill(0);
        return this.frame;
      }
      this.#primed = true;
    }
    for (let extra = avail - this.#prefill - 2; extra > 0; extra--) {
      r.read(this.#discard);
      this.dropped++;
    }
    if (avail === 0) {
      this.underruns++;
      this.frame.fill(0);
      r.read(this.frame); // counts the underrun in the shared header; leaves the frame as it is
      return this.frame;
    }
    r.read(this.frame);
    return this.frame;
  }

  /** Sends this half's mix (minus the other half's) across. */
  push(out: Int16Array): void {
    this.#writer.write(out, this.#tick++);
  }
}
