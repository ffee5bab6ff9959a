/**
 * Transcoding between two endpoints of one worker, on the tick: for each
 * direction, one 20 ms PCM frame is pulled from the source leg's jitter
 * buffer and decoder (concealed on loss), resampled when the two legs run at
 * different PCM rates, and written to the other leg's encoder — unless a
 * player owns that leg's output for the moment.
 */
import { Resampler } from '../codecs/index.js';
import type { WorkerEndpoint } from './worker-endpoint.js';

class Direction {
  readonly #from: WorkerEndpoint;
  readonly #to: WorkerEndpoint;
  #pcm = new Int16Array(0);
  #resampled = new Int16Array(0);
  #resampler: Resampler | undefined;
  #fromRate = 0;
  #toRate = 0;

  constructor(from: WorkerEndpoint, to: WorkerEndpoint) {
    this.#from = from;
    this.#to = to;
  }

  tick(now: number): void {
    const rx = this.#from.rxPipe;
    const to = this.#to;
    if (!rx) return;
    const fromRate = this.#from.transcodeRate;
    const toRate = to.transcodeRate;
    if (fromRate !== this.#fromRate || toRate !== this.#toRate || this.#pcm.length !== rx.frameSamples) {
      this.#setup(fromRate, toRate, rx.frameSamples);
    }
    rx.pull(now, this.#pcm);
    const tx = to.txPipe;
    if (!tx || to.generating) return;
    if (this.#resampler) {
      const n = this.#resampler.process(this.#pcm, this.#resampled, this.#pcm.length);
      tx.write(this.#resampled, n);
    } else {
      tx.write(this.#pcm, this.#pcm.length);
    }
  }

  #setup(fromRate: number, toRate: number, frame: number): void {
    this.#fromRate = fromRate;
    this.#toRate = toRate;
    this.#pcm = new Int16Array(frame);
    this.#resampler =
      fromRate === toRate ? undefined : new Resampler({ inputRate: fromRate, outputRate: toRate });
    this.#resampled = new Int16Array(this.#resampler ? this.#resampler.outputCapacity(frame) : 0);
  }
}

export class TranscodeSession {
  readonly id: number;
  readonly a: WorkerEndpoint;
  readonly b: WorkerEndpoint;
  readonly #ab: Direction;
  readonly #ba: Direction;

  constructor(id: number, a: WorkerEndpoint, b: WorkerEndpoint) {
    this.id = id;
    this.a = a;
    this.b = b;
    this.#ab = new Direction(a, b);
    this.#ba = new Direction(b, a);
  }

  tick(now: number): void {
    this.#ab.tick(now);
    this.#ba.tick(now);
  }
}
