/**
 * Opus (RFC 6716) as an {@link AudioCodec}, RTP payload per RFC 7587: the RTP
 * clock is always 48000 whatever the PCM rate; SDP says `opus/48000/2` even
 * for mono streams.
 *
 * Two WebAssembly builds of libopus do the work:
 * - encode: `opusscript` (libopus 1.4). Its JS wrapper keeps typed-array views
 *   of the WASM heap that go stale (detached) as soon as another instance grows
 *   the heap, and returns a fresh Buffer per frame; so this module drives the
 *   package's Emscripten module directly: one module per thread, shared by
 *   every encoder in it, the heap view re-read on every call, PCM written and
 *   packets read in place — nothing is allocated per frame. The module
 *   instantiates synchronously in Node.
 * - decode: `opus-decoder`. Its `decodeFrame()` allocates a result object and
 *   Float32Arrays per frame, so the codec calls the same WASM entry point it
 *   uses (`opus_frame_decode_float_deinterleaved`) on the instance's own
 *   input/output buffers. Each decoder is its own WASM instance, and
 *   `WebAssembly.instantiate` is asynchronous: **creating an Opus codec is
 *   async** (`await createCodec('opus')`), while encode/decode/conceal are
 *   synchronous and allocation-free afterwards.
 *
 * Concealment: libopus conceals a lost packet when given a zero-length
 * frame, for as long as the packet's TOC byte says (RFC 6716 §3.2.1: a
 * TOC-only packet carries one zero-length frame). opus-decoder always asks for
 * 120 ms on an empty input, which would advance the decoder state by six
 * frames; `conceal()` instead feeds a TOC-only packet with the last packet's
 * mode and bandwidth and a 20 ms (or 10 ms) duration, so libopus' own PLC runs
 * for exactly the lost time.
 */
import { StrowgerError } from '../../core/index.js';
import {
  type AudioCodec,
  type CodecFactory,
  type CodecOptions,
  checkCapacity,
  checkLength,
} from './codec.js';

type NativeModule = import('opusscript/build/opusscript_native_wasm.js').OpusScriptNative;
type NativeHandler = import('opusscript/build/opusscript_native_wasm.js').OpusScriptHandler;

export const OPUS_SAMPLE_RATES: readonly number[] = Object.freeze([8000, 12000, 16000, 24000, 48000]);

export interface OpusOptions extends CodecOptions {
  /** PCM rate of encode input / decode output (default 48000); libopus resamples internally. */
  sampleRate?: number;
  /** PCM channels, 1 or 2 (default 1). */
  channels?: number;
  /** Target bitrate, bit/s (default: 16000 at 8 kHz, 24000 at 12/16 kHz, 32000 above). */
  bitrate?: number;
  /** Encoder complexity 0–10 (default 5: the hot path runs hundreds of encoders). */
  complexity?: number;
  /** In-band FEC (RFC 7587 `useinbandfec`), default false. */
  fec?: boolean;
  /** Expected packet loss in percent, tunes FEC (default 0). */
  packetLossPercent?: number;
  /** Discontinuous transmission (RFC 7587 `usedtx`), default false. */
  dtx?: boolean;
  /** libopus application (default 'voip'). */
  application?: 'voip' | 'audio' | 'lowdelay';
}

/** The settings an {@link OpusCodec} runs with, defaults filled in. */
export interface OpusSettings {
  sampleRate: number;
  channels: number;
  bitrate: number;
  complexity: number;
  fec: boolean;
  packetLossPercent: number;
  dtx: boolean;
  application: 'voip' | 'audio' | 'lowdelay';
}

export const OPUS_DEFAULTS: Readonly<Omit<OpusSettings, 'bitrate'>> = Object.freeze({
  sampleRate: 48000,
  channels: 1,
  complexity: 5,
  fec: false,
  packetLossPercent: 0,
  dtx: false,
  application: 'voip',
});

const APPLICATIONS = { voip: 2048, audio: 2049, lowdelay: 2051 } as const;
const CTL = {
  setBitrate: 4002,
  setComplexity: 4010,
  setInbandFec: 4012,
  setPacketLossPerc: 4014,
  setDtx: 4016,
  setSignal: 4024,
} as const;
const SIGNAL_VOICE = 3001;
/** libopus' largest packet for one frame is 1275 bytes; opusscript's output buffer is 3 × 1276. */
const MAX_PACKET = 1276 * 3;
const OPUS_ERRORS: Record<number, string> = {
  [-1]: 'bad argument',
  [-2]: 'buffer too small',
  [-3]: 'internal error',
  [-4]: 'invalid packet',
  [-5]: 'unimplemented',
  [-6]: 'invalid state',
  [-7]: 'allocation failure',
};

interface OpusDecoderInternals {
  ready: Promise<void>;
  free(): void;
  _decoder: number;
  _common: {
    wasm: {
      opus_frame_decode_float_deinterleaved(dec: number, inPtr: number, len: number, outPtr: number): number;
    };
  };
  _input: { ptr: number; len: number; buf: Uint8Array };
  _output: { ptr: number; len: number; buf: Float32Array };
}
type OpusDecoderClass = new (options: { sampleRate: number; channels: number }) => OpusDecoderInternals;

interface OpusRuntime {
  native: NativeModule;
  Decoder: OpusDecoderClass;
}

let runtime: Promise<OpusRuntime> | undefined;

/**
 * Loads both WebAssembly modules (once per thread; later calls return the
 * same promise). `createCodec('opus')` calls it; call it early to take the
 * load off the first call's set-up.
 */
export function loadOpus(): Promise<OpusRuntime> {
  runtime ??= (async () => {
    try {
      const [nativeMod, decoderMod] = await Promise.all([
        import('opusscript/build/opusscript_native_wasm.js'),
        import('opus-decoder'),
      ]);
      const factory = (nativeMod.default ?? nativeMod) as unknown as () => NativeModule;
      const native = factory();
      await native.ready;
      return { native, Decoder: decoderMod.OpusDecoder as unknown as OpusDecoderClass };
    } catch (err) {
      runtime = undefined;
      throw new StrowgerError('ERR_CODEC', 'cannot load the Opus WebAssembly modules', { cause: err });
    }
  })();
  return runtime;
}

function opusError(what: string, code: number): StrowgerError {
  return new StrowgerError('ERR_CODEC', `Opus ${what}: ${OPUS_ERRORS[code] ?? `error ${code}`}`);
}

/** Frame durations (in 1/10 ms) that libopus encodes. */
const FRAME_TENTHS_MS = [25, 50, 100, 200, 400, 600];

export class OpusCodec implements AudioCodec {
  readonly name = 'opus';
  readonly clockRate = 48000;
  readonly sampleRate: number;
  readonly channels: number;
  readonly staticPayloadType = undefined;
  readonly frameSamples: number;
  /** Effective settings. */
  readonly options: Readonly<OpusSettings>;
  readonly #native: NativeModule;
  #encoder: NativeHandler | undefined;
  readonly #inPtr: number;
  readonly #outPtr: number;
  readonly #maxFrame: number;
  #decoder: OpusDecoderInternals | undefined;
  readonly #decode: OpusDecoderInternals['_common']['wasm']['opus_frame_decode_float_deinterleaved'];
  /** TOC byte of the last packet decoded, -1 until one was. */
  #lastToc = -1;
  #closed = false;

  /** Use {@link createOpusCodec}: the decoder half must be awaited. */
  constructor(rt: OpusRuntime, decoder: OpusDecoderInternals, options: OpusOptions) {
    const o: Omit<OpusSettings, 'bitrate'> & { bitrate?: number } = {
      ...OPUS_DEFAULTS,
      ...stripUndefined(options),
    };
    this.sampleRate = o.sampleRate;
    this.channels = o.channels;
    const bitrate = o.bitrate ?? (o.sampleRate <= 8000 ? 16000 : o.sampleRate <= 16000 ? 24000 : 32000);
    this.options = {
      sampleRate: o.sampleRate,
      channels: o.channels,
      bitrate,
      complexity: o.complexity,
      fec: o.fec,
      packetLossPercent: o.packetLossPercent,
      dtx: o.dtx,
      application: o.application,
    };
    this.frameSamples = (o.sampleRate / 50) * o.channels;
    this.#native = rt.native;
    this.#maxFrame = (o.sampleRate * 60) / 1000; // per channel
    const enc = new rt.native.OpusScriptHandler(o.sampleRate, o.channels, APPLICATIONS[o.application]);
    this.#encoder = enc;
    // opusscript's _encode reads one byte per uint16 slot, then packs them in place
    this.#inPtr = rt.native._malloc(this.#maxFrame * o.channels * 4);
    this.#outPtr = rt.native._malloc(MAX_PACKET);
    for (const [ctl, arg] of [
      [CTL.setBitrate, bitrate],
      [CTL.setComplexity, o.complexity],
      [CTL.setInbandFec, o.fec ? 1 : 0],
      [CTL.setPacketLossPerc, o.packetLossPercent],
      [CTL.setDtx, o.dtx ? 1 : 0],
      [CTL.setSignal, SIGNAL_VOICE],
    ] as const) {
      const r = enc._encoder_ctl(ctl, arg);
      if (r < 0) {
        this.close();
        throw opusError(`encoder setting ${ctl}=${arg}`, r);
      }
    }
    this.#decoder = decoder;
    this.#decode = decoder._common.wasm.opus_frame_decode_float_deinterleaved;
  }

  get closed(): boolean {
    return this.#closed;
  }

  maxEncodedBytes(_samples: number): number {
    return MAX_PACKET;
  }

  encode(pcm: Int16Array, out: Uint8Array, samples = pcm.length): number {
    const enc = this.#encoder;
    if (this.#closed || !enc) throw new StrowgerError('ERR_CLOSED', 'opus codec is closed');
    checkLength(samples, pcm.length, 'samples');
    const perChannel = samples / this.channels;
    const tenths = (perChannel * 10000) / this.sampleRate;
    if (!Number.isInteger(perChannel) || FRAME_TENTHS_MS.indexOf(tenths) < 0) {
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        `Opus encodes 2.5, 5, 10, 20, 40 or 60 ms frames; got ${samples} samples at ${this.sampleRate} Hz`,
      );
    }
    const heap16 = this.#native.HEAPU16; // re-read: the heap may have grown since the last call
    let h = this.#inPtr >> 1;
    for (let i = 0; i < samples; i++, h += 2) {
      const v = pcm[i] as number;
      heap16[h] = v & 0xff;
      heap16[h + 1] = (v >> 8) & 0xff;
    }
    const len = enc._encode(this.#inPtr, samples, this.#outPtr, perChannel);
    if (len < 0) throw opusError('encode', len);
    checkCapacity(len, out.length, 'output buffer');
    const heap8 = this.#native.HEAPU8;
    const p = this.#outPtr;
    for (let i = 0; i < len; i++) out[i] = heap8[p + i] as number;
    return len;
  }

  decode(payload: Uint8Array, out: Int16Array, bytes = payload.length): number {
    const dec = this.#decoder;
    if (this.#closed || !dec) throw new StrowgerError('ERR_CLOSED', 'opus codec is closed');
    checkLength(bytes, payload.length, 'bytes');
    if (bytes === 0) throw new StrowgerError('ERR_CODEC', 'empty Opus payload');
    const input = dec._input;
    if (bytes > input.len)
      throw new StrowgerError('ERR_CODEC', `Opus payload of ${bytes} bytes is too large`);
    // check the output room before decoding, so a too-small buffer does not cost a frame of decoder state
    const duration = opusPacketDuration(payload, bytes);
    if (duration < 0 || duration > 5760) throw new StrowgerError('ERR_CODEC', 'invalid Opus packet');
    checkCapacity(((duration * this.sampleRate) / 48000) * this.channels, out.length, 'output buffer');
    const inBuf = input.buf;
    for (let i = 0; i < bytes; i++) inBuf[i] = payload[i] as number;
    const n = this.#decode(dec._decoder, input.ptr, bytes, dec._output.ptr);
    if (n < 0) throw opusError('decode', n);
    this.#lastToc = payload[0] as number;
    return this.#copyOut(dec, n, out);
  }

  /**
   * Runs libopus' packet-loss concealment for `samples` values (a multiple of
   * 10 ms) and writes them to `out`. Before any packet was decoded it yields silence.
   */
  conceal(out: Int16Array, samples: number): number {
    const dec = this.#decoder;
    if (this.#closed || !dec) throw new StrowgerError('ERR_CLOSED', 'opus codec is closed');
    const tenMs = (this.sampleRate / 100) * this.channels;
    if (!Number.isInteger(samples) || samples <= 0 || samples % tenMs !== 0) {
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        `conceal() takes a multiple of 10 ms (${tenMs} samples)`,
      );
    }
    checkCapacity(samples, out.length, 'output buffer');
    if (this.#lastToc < 0) {
      out.fill(0, 0, samples);
      return samples;
    }
    let done = 0;
    while (done < samples) {
      const twenty = samples - done >= 2 * tenMs;
      dec._input.buf[0] = plcToc(this.#lastToc, twenty);
      const n = this.#decode(dec._decoder, dec._input.ptr, 1, dec._output.ptr);
      if (n < 0) throw opusError('concealment', n);
      done += this.#copyOutAt(dec, n, out, done);
    }
    return done;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#encoder) {
      this.#encoder.delete();
      this.#native._free(this.#inPtr);
      this.#native._free(this.#outPtr);
      this.#encoder = undefined;
    }
    if (this.#decoder) {
      this.#decoder.free();
      this.#decoder = undefined;
    }
  }

  #copyOut(dec: OpusDecoderInternals, n: number, out: Int16Array): number {
    checkCapacity(n * this.channels, out.length, 'output buffer');
    return this.#copyOutAt(dec, n, out, 0);
  }

  /** Interleaves and converts `n` decoded frames (planar float) to Int16 at `out[at]`. */
  #copyOutAt(dec: OpusDecoderInternals, n: number, out: Int16Array, at: number): number {
    const ch = this.channels;
    if (at + n * ch > out.length) throw new StrowgerError('ERR_INVALID_ARGUMENT', 'output buffer too small');
    const f = dec._output.buf;
    for (let c = 0; c < ch; c++) {
      const base = c * n;
      for (let i = 0, o = at + c; i < n; i++, o += ch) {
        const v = Math.round((f[base + i] as number) * 32768);
        out[o] = v > 32767 ? 32767 : Math.max(v, -32768);
      }
    }
    return n * ch;
  }
}

/** Frame duration in 48 kHz samples for each TOC config (RFC 6716 §3.1, Table 2). */
const CONFIG_FRAME_48K = [
  480,
  960,
  1920,
  2880,
  480,
  960,
  1920,
  2880,
  480,
  960,
  1920,
  2880, // SILK NB, MB, WB: 10/20/40/60 ms
  480,
  960,
  480,
  960, // Hybrid SWB, FB: 10/20 ms
  120,
  240,
  480,
  960,
  120,
  240,
  480,
  960,
  120,
  240,
  480,
  960,
  120,
  240,
  480,
  960, // CELT: 2.5/5/10/20 ms
];

/**
 * Duration of an Opus packet in 48 kHz samples per channel, from its TOC byte
 * and frame count (RFC 6716 §3.1–3.2), or −1 when the packet is too short to
 * say or its frame count is 0. Multiply by `rate / 48000` for another PCM rate.
 */
export function opusPacketDuration(payload: Uint8Array, bytes = payload.length): number {
  if (bytes < 1) return -1;
  const toc = payload[0] as number;
  const perFrame = CONFIG_FRAME_48K[toc >> 3] as number;
  const code = toc & 3;
  let frames: number;
  if (code === 0) frames = 1;
  else if (code !== 3) frames = 2;
  else {
    if (bytes < 2) return -1;
    frames = (payload[1] as number) & 0x3f;
    if (frames === 0) return -1;
  }
  return frames * perFrame;
}

/**
 * TOC byte (RFC 6716 §3.1) of a code-0 packet with the mode and bandwidth of
 * `toc` and a 20 ms (or 10 ms) frame: fed alone, it makes libopus conceal
 * exactly that long.
 */
export function plcToc(toc: number, twentyMs: boolean): number {
  const config = toc >> 3;
  const stereo = toc & 0x4;
  let c: number;
  if (config < 12)
    c = (config & ~3) | (twentyMs ? 1 : 0); // SILK: 10, 20, 40, 60 ms
  else if (config < 16)
    c = (config & ~1) | (twentyMs ? 1 : 0); // Hybrid: 10, 20 ms
  else c = (config & ~3) | (twentyMs ? 3 : 2); // CELT: 2.5, 5, 10, 20 ms
  return (c << 3) | stereo;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const r: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (r as Record<string, unknown>)[k] = v;
  return r;
}

function validate(options: OpusOptions): void {
  const rate = options.sampleRate ?? OPUS_DEFAULTS.sampleRate;
  const ch = options.channels ?? OPUS_DEFAULTS.channels;
  if (!OPUS_SAMPLE_RATES.includes(rate)) {
    throw new StrowgerError('ERR_NOT_SUPPORTED', `Opus at ${rate} Hz (have ${OPUS_SAMPLE_RATES.join(', ')})`);
  }
  if (ch !== 1 && ch !== 2) throw new StrowgerError('ERR_NOT_SUPPORTED', 'Opus codec is mono or stereo');
  const { bitrate, complexity, packetLossPercent, application } = options;
  if (bitrate !== undefined && !(Number.isInteger(bitrate) && bitrate >= 6000 && bitrate <= 510000)) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'bitrate must be an integer in [6000, 510000]');
  }
  if (complexity !== undefined && !(Number.isInteger(complexity) && complexity >= 0 && complexity <= 10)) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'complexity must be an integer in [0, 10]');
  }
  if (
    packetLossPercent !== undefined &&
    !(Number.isInteger(packetLossPercent) && packetLossPercent >= 0 && packetLossPercent <= 100)
  ) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'packetLossPercent must be an integer in [0, 100]');
  }
  if (application !== undefined && !(application in APPLICATIONS)) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', "application must be 'voip', 'audio' or 'lowdelay'");
  }
}

/** Creates an Opus codec (loads the WebAssembly modules on first use). */
export async function createOpusCodec(options: OpusOptions = {}): Promise<OpusCodec> {
  validate(options);
  const rt = await loadOpus();
  const decoder = new rt.Decoder({
    sampleRate: options.sampleRate ?? OPUS_DEFAULTS.sampleRate,
    channels: options.channels ?? OPUS_DEFAULTS.channels,
  });
  await decoder.ready;
  if (
    typeof decoder._common?.wasm?.opus_frame_decode_float_deinterleaved !== 'function' ||
    !(decoder._input?.buf instanceof Uint8Array) ||
    !(decoder._output?.buf instanceof Float32Array)
  ) {
    decoder.free?.();
    throw new StrowgerError(
      'ERR_NOT_SUPPORTED',
      'this opus-decoder version does not expose the frame decoder it wraps',
    );
  }
  return new OpusCodec(rt, decoder, options);
}

export const opusFactory: CodecFactory = {
  name: 'opus',
  clockRate: 48000,
  sampleRates: OPUS_SAMPLE_RATES,
  create: (options = {}) => createOpusCodec(options as OpusOptions),
};
