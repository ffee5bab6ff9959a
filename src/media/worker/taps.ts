/**
 * Leg and call recording. A `PacketTap` hears one direction of one endpoint
 * — what its peer sends (`in`) or what the engine sends it (`out`, relayed or
 * generated alike: the packets as they leave) — through its own jitter
 * buffer and decoder, whatever the endpoint is doing meanwhile (idle,
 * relayed, transcoded, in a bridge). A `TapRecording` pulls its taps on the
 * tick, converts them to the file's rate, sums the taps of each channel and
 * hands the frames to its {@link Recorder}.
 */
import type { RtpReader } from '../../rtp/index.js';
import { type AudioCodec, createCodec } from '../codecs/index.js';
import { pcmRateFor } from './media-format.js';
import { ReceivePipeline } from './pipelines.js';
import { RateAdapter } from './rate-adapter.js';
import type { Recorder } from './recorder.js';
import type { CodecSpec, EndpointJitterOptions } from './types.js';

export type TapDirection = 'in' | 'out';

export class PacketTap {
  readonly direction: TapDirection;
  /** PCM rate of the decoded audio. */
  readonly rate: number;
  readonly frame: Int16Array;
  readonly #codec: AudioCodec;
  readonly #pipe: ReceivePipeline;

  private constructor(
    direction: TapDirection,
    codec: AudioCodec,
    tickMs: number,
    jitter: EndpointJitterOptions,
  ) {
    this.direction = direction;
    this.#codec = codec;
    this.rate = codec.sampleRate;
    this.#pipe = new ReceivePipeline({ codec, tickMs, jitter });
    this.frame = new Int16Array(this.#pipe.frameSamples);
  }

  static async create(
    direction: TapDirection,
    audio: CodecSpec,
    tickMs: number,
    jitter: EndpointJitterOptions,
  ): Promise<PacketTap> {
    const codec = await createCodec(audio.encodingName, { sampleRate: pcmRateFor(audio), channels: 1 });
    return new PacketTap(direction, codec, tickMs, jitter);
  }

  /** Queues the audio packet `reader` points at. */
  push(reader: RtpReader, now: number): void {
    this.#pipe.push(reader, now);
  }

  /** This tick's decoded frame (concealed or silent when nothing came). */
  pull(now: number): Int16Array {
    this.#pipe.pull(now, this.frame);
    return this.frame;
  }

  close(): void {
    this.#codec.close();
  }
}

/** A recording fed by packet taps: channel c is the sum of `channels[c]`. */
export class TapRecording {
  readonly recorder: Recorder;
  readonly taps: readonly PacketTap[];
  readonly #channels: Array<Array<{ tap: PacketTap; adapter: RateAdapter | undefined }>>;
  readonly #sum: Int32Array;
  readonly #frames: Int16Array[];

  constructor(recorder: Recorder, channels: readonly (readonly PacketTap[])[], tickMs: number) {
    this.recorder = recorder;
    const L = recorder.frameSamples;
    this.taps = channels.flat();
    this.#channels = channels.map((list) =>
      list.map((tap) => ({
        tap,
        adapter:
          tap.rate === recorder.sampleRate
            ? undefined
            : new RateAdapter(tap.rate, recorder.sampleRate, (tap.rate * tickMs) / 1000, L),
      })),
    );
    this.#sum = new Int32Array(L);
    this.#frames = channels.map(() => new Int16Array(L));
  }

  tick(now: number): void {
    const L = this.recorder.frameSamples;
    for (let c = 0; c < this.#channels.length; c++) {
      const list = this.#channels[c] as Array<{ tap: PacketTap; adapter: RateAdapter | undefined }>;
      const out = this.#frames[c] as Int16Array;
      if (list.length === 1) {
        const { tap, adapter } = list[0] as { tap: PacketTap; adapter: RateAdapter | undefined };
        const f = tap.pull(now);
        out.set(adapter ? adapter.process(f) : f);
        continue;
      }
      const sum = this.#sum;
      sum.fill(0);
      for (const { tap, adapter } of list) {
        const raw = tap.pull(now);
        const f = adapter ? adapter.process(raw) : raw;
        for (let i = 0; i < L; i++) sum[i] = (sum[i] as number) + (f[i] as number);
      }
      for (let i = 0; i < L; i++) {
        const v = sum[i] as number;
        out[i] = v > 32767 ? 32767 : Math.max(v, -32768);
      }
    }
    this.recorder.write(
      this.#frames[0] as Int16Array,
      this.#frames.length > 1 ? (this.#frames[1] as Int16Array) : null,
    );
  }
}
