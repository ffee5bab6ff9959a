/**
 * Terminated media for one endpoint: what it receives goes through the jitter
 * buffer and the decoder to PCM on the tick (with packet-loss concealment),
 * PCM it sends is encoded and packetized, and in-band DTMF is listened for on
 * the decoded audio. The relay path uses none of this.
 *
 * Allocation: everything is sized at construction; the per-tick paths reuse
 * their buffers (views of partial frames are cached per length).
 */
import { StrowgerError } from '../../core/index.js';
import type { RtpReader } from '../../rtp/index.js';
import { type AudioCodec, DtmfDetector, Resampler } from '../codecs/index.js';
import { JitterBuffer, type JitterBufferOptions, type JitterPacket, PcmConcealer } from '../jitter/index.js';

/** Largest payload the pipelines take (bytes). */
export const MAX_PAYLOAD = 1500;

/** A cache of `array.subarray(0, n)` views (one per length ever asked for). */
class Views {
  readonly #array: Int16Array;
  readonly #views = new Map<number, Int16Array>();
  constructor(array: Int16Array) {
    this.#array = array;
  }
  get(n: number): Int16Array {
    if (n === this.#array.length) return this.#array;
    let v = this.#views.get(n);
    if (!v) {
      v = this.#array.subarray(0, n);
      this.#views.set(n, v);
    }
    return v;
  }
}

/** Listens for DTMF in PCM of any rate (resampled to the detector's 8 kHz). */
export class InbandDtmf {
  readonly #detector = new DtmfDetector();
  readonly #resampler: Resampler | undefined;
  readonly #buf: Int16Array;

  constructor(
    pcmRate: number,
    maxSamples: number,
    onDigit: (digit: string, durationMs: number) => void,
    onBegin?: (digit: string) => void,
  ) {
    if (pcmRate !== 8000) this.#resampler = new Resampler({ inputRate: pcmRate, outputRate: 8000 });
    this.#buf = new Int16Array(this.#resampler ? this.#resampler.outputCapacity(maxSamples) : 0);
    this.#detector.on('digit', (e) => onDigit(e.digit, e.duration));
    if (onBegin) this.#detector.on('tonestart', (digit) => onBegin(digit));
  }

  process(pcm: Int16Array, n: number): void {
    if (this.#resampler) {
      const m = this.#resampler.process(pcm, this.#buf, n);
      this.#detector.process(this.#buf, m);
    } else {
      this.#detector.process(pcm, n);
    }
  }
}

/** Copies `length` bytes from `src[offset..]` to the start of `dst` without making a view. */
function copyBytes(src: Uint8Array, offset: number, length: number, dst: Uint8Array): void {
  for (let i = 0; i < length; i++) dst[i] = src[offset + i] as number;
}

/**
 * Decodes single packets as they arrive (no jitter buffer) for in-band DTMF
 * detection on relayed and idle legs without telephone-event.
 */
export class PacketDecoder {
  readonly #codec: AudioCodec;
  readonly #payload = new Uint8Array(MAX_PAYLOAD);
  readonly #pcm: Int16Array;
  readonly #inband: InbandDtmf;

  constructor(
    codec: AudioCodec,
    onDigit: (digit: string, durationMs: number) => void,
    onBegin?: (digit: string) => void,
  ) {
    this.#codec = codec;
    this.#pcm = new Int16Array(codec.sampleRate * 0.12 * codec.channels);
    this.#inband = new InbandDtmf(codec.sampleRate, this.#pcm.length, onDigit, onBegin);
  }

  onPacket(data: Uint8Array, offset: number, length: number): void {
    if (length > MAX_PAYLOAD || length === 0) return;
    copyBytes(data, offset, length, this.#payload);
    let n: number;
    try {
      n = this.#codec.decode(this.#payload, this.#pcm, length);
    } catch {
      return; // a malformed payload is not our problem on the relay path
    }
    this.#inband.process(this.#pcm, n);
  }
}

export interface ReceivePipelineOptions {
  codec: AudioCodec;
  /** Media tick, ms (the frame length pulled). */
  tickMs: number;
  jitter: JitterBufferOptions;
  /** In-band DTMF digits heard in the decoded audio (omit to not listen). */
  onInbandDigit?: (digit: string, durationMs: number) => void;
  /** An in-band digit began (about 40 ms in): for barge-in. */
  onInbandDigitBegin?: (digit: string) => void;
}

/** Jitter buffer → decoder (+ PLC) → one PCM frame per tick at the codec's rate. */
export class ReceivePipeline {
  readonly jitter: JitterBuffer;
  /** PCM values per tick. */
  readonly frameSamples: number;
  readonly #codec: AudioCodec;
  readonly #concealer: PcmConcealer | undefined;
  readonly #pcmPerTick: number;
  readonly #payload = new Uint8Array(MAX_PAYLOAD);
  readonly #dec: Int16Array;
  readonly #decViews: Views;
  readonly #fifo: Int16Array;
  #fifoLen = 0;
  readonly #inband: InbandDtmf | undefined;
  readonly #packet: JitterPacket = {
    seq: 0,
    timestamp: 0,
    marker: false,
    payload: new Uint8Array(0),
    payloadOffset: 0,
    payloadLength: 0,
    arrivalMs: 0,
    ssrc: 0,
  };
  /** Frames that carried decoded audio / concealment / silence. */
  normalFrames = 0;
  concealedFrames = 0;
  /** Payloads the decoder refused (played as loss). */
  decodeErrors = 0;

  constructor(options: ReceivePipelineOptions) {
    const codec = options.codec;
    if (codec.channels !== 1) throw new StrowgerError('ERR_NOT_SUPPORTED', 'terminated media is mono');
    this.#codec = codec;
    this.frameSamples = (codec.sampleRate * options.tickMs) / 1000;
    this.#pcmPerTick = codec.sampleRate / codec.clockRate;
    this.jitter = new JitterBuffer({
      ...options.jitter,
      clockRate: codec.clockRate,
      frameMs: options.tickMs,
      maxPayload: MAX_PAYLOAD,
    });
    // decoded units up to 120 ms (the longest Opus packet)
    this.#dec = new Int16Array(Math.ceil(codec.sampleRate * 0.12));
    this.#decViews = new Views(this.#dec);
    this.#fifo = new Int16Array(this.#dec.length + this.frameSamples);
    if (!codec.conceal) this.#concealer = new PcmConcealer({ sampleRate: codec.sampleRate });
    if (options.onInbandDigit) {
      this.#inband = new InbandDtmf(
        codec.sampleRate,
        this.frameSamples,
        options.onInbandDigit,
        options.onInbandDigitBegin,
      );
    }
  }

  /** Queues the audio packet `reader` points at (received at `nowMs`). */
  push(reader: RtpReader, nowMs: number): void {
    const p = this.#packet;
    p.seq = reader.sequenceNumber;
    p.timestamp = reader.timestamp;
    p.marker = reader.marker;
    p.payload = reader.bytes;
    p.payloadOffset = reader.payloadOffset;
    p.payloadLength = reader.payloadLength;
    p.arrivalMs = nowMs;
    p.ssrc = reader.ssrc;
    this.jitter.push(p);
  }

  /** Writes the next `frameSamples` PCM values into `out`. */
  pull(nowMs: number, out: Int16Array): void {
    const need = this.frameSamples;
    // bounded: each unit adds at least one sample or the loop stops
    for (let guard = 0; this.#fifoLen < need && guard < 16; guard++) {
      const f = this.jitter.pull(nowMs);
      let n = Math.round(f.samples * this.#pcmPerTick);
      if (n <= 0) n = need;
      if (n > this.#dec.length) n = this.#dec.length;
      if (f.kind === 'normal') {
        let got = -1;
        if (f.length > 0 && f.length <= MAX_PAYLOAD) {
          copyBytes(f.data, f.offset, f.length, this.#payload);
          try {
            got = this.#codec.decode(this.#payload, this.#dec, f.length);
          } catch {
            this.decodeErrors++;
          }
        }
        if (got > 0) {
          n = got;
          this.#concealer?.receive(this.#decViews.get(n));
          this.normalFrames++;
        } else {
          this.#conceal(n);
        }
      } else if (f.kind === 'concealed') {
        this.#conceal(n);
      } else {
        this.#dec.fill(0, 0, n);
        this.#concealer?.receive(this.#decViews.get(n));
      }
      this.#append(n);
    }
    if (this.#fifoLen < need) {
      this.#fifo.fill(0, this.#fifoLen, need);
      this.#fifoLen = need;
    }
    for (let i = 0; i < need; i++) out[i] = this.#fifo[i] as number;
    this.#fifo.copyWithin(0, need, this.#fifoLen);
    this.#fifoLen -= need;
    this.#inband?.process(out, need);
  }

  #conceal(n: number): void {
    this.concealedFrames++;
    if (this.#codec.conceal) {
      try {
        this.#codec.conceal(this.#dec, n);
        return;
      } catch {
        this.#dec.fill(0, 0, n);
        return;
      }
    }
    (this.#concealer as PcmConcealer).conceal(this.#decViews.get(n));
  }

  #append(n: number): void {
    const room = this.#fifo.length - this.#fifoLen;
    const m = Math.min(n, room);
    for (let i = 0; i < m; i++) this.#fifo[this.#fifoLen + i] = this.#dec[i] as number;
    this.#fifoLen += m;
  }
}

/** What a {@link SendPipeline} hands its packets to. */
export type PacketSink = (payloadType: number, payload: Uint8Array, bytes: number, ticks: number) => void;

/** PCM frames → encoder → one payload per `ptime`. */
export class SendPipeline {
  readonly #codec: AudioCodec;
  readonly #acc: Int16Array;
  #accLen = 0;
  readonly #enc: Uint8Array;
  readonly #ticksPerPacket: number;
  readonly #payloadType: number;
  readonly #sink: PacketSink;
  encodeErrors = 0;

  constructor(codec: AudioCodec, payloadType: number, ptimeMs: number, sink: PacketSink) {
    if (codec.channels !== 1) throw new StrowgerError('ERR_NOT_SUPPORTED', 'terminated media is mono');
    this.#codec = codec;
    this.#acc = new Int16Array((codec.sampleRate * ptimeMs) / 1000);
    this.#enc = new Uint8Array(codec.maxEncodedBytes(this.#acc.length));
    this.#ticksPerPacket = (codec.clockRate * ptimeMs) / 1000;
    this.#payloadType = payloadType;
    this.#sink = sink;
  }

  /** PCM values per packet. */
  get packetSamples(): number {
    return this.#acc.length;
  }

  /** Forgets a partly filled packet (the output changed hands). */
  reset(): void {
    this.#accLen = 0;
  }

  /** Takes `n` PCM values; sends a packet whenever `ptime` worth has gathered. */
  write(pcm: Int16Array, n: number): void {
    let i = 0;
    while (i < n) {
      const take = Math.min(n - i, this.#acc.length - this.#accLen);
      for (let k = 0; k < take; k++) this.#acc[this.#accLen + k] = pcm[i + k] as number;
      this.#accLen += take;
      i += take;
      if (this.#accLen === this.#acc.length) {
        this.#accLen = 0;
        let bytes: number;
        try {
          bytes = this.#codec.encode(this.#acc, this.#enc, this.#acc.length);
        } catch {
          this.encodeErrors++;
          continue;
        }
        this.#sink(this.#payloadType, this.#enc, bytes, this.#ticksPerPacket);
      }
    }
  }
}
