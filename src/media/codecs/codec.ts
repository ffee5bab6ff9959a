import { StrowgerError } from '../../core/index.js';

/**
 * One direction-pair of an audio codec. Create one instance per stream
 * direction: stateful codecs (Opus, G.722) keep encoder state from frame to
 * frame, and decoder state separately, so an instance must see one stream.
 *
 * PCM is signed 16-bit, interleaved when `channels > 1`. Every count below is
 * a count of Int16 values (for stereo, two per sampling instant).
 *
 * `encode` and `decode` write into buffers the caller owns and allocate
 * nothing: they run on the media worker's 20 ms tick for hundreds of calls.
 */
export interface AudioCodec {
  /** SDP encoding name (`a=rtpmap`), e.g. 'PCMU', 'PCMA', 'L16', 'G722', 'opus'. */
  readonly name: string;
  /** RTP timestamp clock rate: 8000 for G.711 and for G.722 (RFC 3551 §4.5.2), 48000 for Opus (RFC 7587). */
  readonly clockRate: number;
  /** PCM rate of `encode` input and `decode` output. */
  readonly sampleRate: number;
  /** PCM channels (interleaved). */
  readonly channels: number;
  /** RFC 3551 static payload type, when the codec/rate/channels combination has one. */
  readonly staticPayloadType: number | undefined;
  /** Int16 values in one 20 ms frame (`sampleRate / 50 * channels`). */
  readonly frameSamples: number;
  /** True once {@link close} ran. */
  readonly closed: boolean;
  /** Largest payload `encode` can produce for `samples` values: size `out` with it. */
  maxEncodedBytes(samples: number): number;
  /**
   * Encodes `pcm[0 .. samples)` into `out` from index 0 and returns the bytes written.
   * Throws `ERR_INVALID_ARGUMENT` when `out` is too small or `samples` is not a frame the codec takes.
   */
  encode(pcm: Int16Array, out: Uint8Array, samples?: number): number;
  /**
   * Decodes `payload[0 .. bytes)` into `out` from index 0 and returns the Int16 values written.
   * Throws `ERR_CODEC` on a malformed payload and `ERR_INVALID_ARGUMENT` when `out` is too small.
   */
  decode(payload: Uint8Array, out: Int16Array, bytes?: number): number;
  /**
   * Codec-specific packet-loss concealment: writes `samples` values that
   * continue the decoded stream as if one packet had been lost (Opus runs its
   * own PLC). Absent for codecs without one: the jitter buffer conceals those.
   */
  conceal?(out: Int16Array, samples: number): number;
  /** Releases native/WASM memory. Idempotent; later calls to encode/decode throw `ERR_CLOSED`. */
  close(): void;
}

/** Options every codec factory understands; codecs add their own (see {@link OpusOptions}). */
export interface CodecOptions {
  /** PCM rate; each codec lists what it supports. */
  sampleRate?: number;
  /** PCM channels. */
  channels?: number;
  /** Codec-specific extras (plug-in codecs read what they need). */
  [option: string]: unknown;
}

/**
 * How a {@link CodecRegistry} makes codecs of one name. `create` always works;
 * `createSync` is there only when the codec needs no asynchronous set-up
 * (G.711 and L16 do not; Opus instantiates WebAssembly, which Node only does
 * asynchronously for opus-decoder).
 */
export interface CodecFactory {
  /** SDP encoding name; the registry matches it case-insensitively (RFC 4855 §3). */
  readonly name: string;
  readonly clockRate: number;
  readonly staticPayloadType?: number;
  /** PCM rates `create` accepts. */
  readonly sampleRates: readonly number[];
  create(options?: CodecOptions): Promise<AudioCodec>;
  createSync?(options?: CodecOptions): AudioCodec;
}

/** What {@link syncCodecFactory} needs: the metadata and a synchronous constructor. */
export interface SyncCodecDefinition {
  readonly name: string;
  readonly clockRate: number;
  readonly staticPayloadType?: number;
  readonly sampleRates: readonly number[];
  create(options: CodecOptions): AudioCodec;
}

/** Turns a synchronous constructor into a {@link CodecFactory} (both `create` and `createSync`). */
export function syncCodecFactory(def: SyncCodecDefinition): CodecFactory {
  const factory: CodecFactory = {
    name: def.name,
    clockRate: def.clockRate,
    sampleRates: def.sampleRates,
    createSync: (options = {}) => def.create(options),
    create: async (options = {}) => def.create(options),
  };
  if (def.staticPayloadType !== undefined) {
    return { ...factory, staticPayloadType: def.staticPayloadType };
  }
  return factory;
}

/** The encoding half of a codec that is built as two classes (as G.722 is). */
export interface PcmEncoder {
  encode(pcm: Int16Array, out: Uint8Array, samples?: number): number;
  close?(): void;
}

/** The decoding half of a codec that is built as two classes. */
export interface PcmDecoder {
  decode(payload: Uint8Array, out: Int16Array, bytes?: number): number;
  conceal?(out: Int16Array, samples: number): number;
  close?(): void;
}

export interface ComposedCodecInfo {
  readonly name: string;
  readonly clockRate: number;
  readonly sampleRate: number;
  readonly channels?: number;
  readonly staticPayloadType?: number;
  /** Bytes per Int16 value at worst (G.722: 0.5), used for {@link AudioCodec.maxEncodedBytes}. */
  readonly maxBytesPerSample: number;
  /** Int16 values per payload byte at most (G.722: 2), used to check decode buffers (default 1 / maxBytesPerSample). */
  readonly maxSamplesPerByte?: number;
}

/**
 * Builds an {@link AudioCodec} from a separate encoder and decoder, e.g.
 * `composeCodec({ name: 'G722', clockRate: 8000, sampleRate: 16000, staticPayloadType: 9,
 * maxBytesPerSample: 0.5 }, new G722Encoder(), new G722Decoder())`. When the
 * halves ignore the optional length argument, partial buffers are passed as
 * subarrays (only then does a call allocate a view).
 */
export function composeCodec(info: ComposedCodecInfo, encoder: PcmEncoder, decoder: PcmDecoder): AudioCodec {
  return new ComposedCodec(info, encoder, decoder);
}

class ComposedCodec implements AudioCodec {
  readonly name: string;
  readonly clockRate: number;
  readonly sampleRate: number;
  readonly channels: number;
  readonly staticPayloadType: number | undefined;
  readonly frameSamples: number;
  readonly #info: ComposedCodecInfo;
  readonly #encoder: PcmEncoder;
  readonly #decoder: PcmDecoder;
  #closed = false;
  readonly conceal?: (out: Int16Array, samples: number) => number;

  constructor(info: ComposedCodecInfo, encoder: PcmEncoder, decoder: PcmDecoder) {
    this.#info = info;
    this.name = info.name;
    this.clockRate = info.clockRate;
    this.sampleRate = info.sampleRate;
    this.channels = info.channels ?? 1;
    this.staticPayloadType = info.staticPayloadType;
    this.frameSamples = (info.sampleRate / 50) * this.channels;
    this.#encoder = encoder;
    this.#decoder = decoder;
    const conceal = decoder.conceal;
    if (conceal) {
      this.conceal = (out, samples) => {
        this.#check();
        return conceal.call(decoder, out, samples);
      };
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  maxEncodedBytes(samples: number): number {
    return Math.ceil(samples * this.#info.maxBytesPerSample);
  }

  encode(pcm: Int16Array, out: Uint8Array, samples = pcm.length): number {
    this.#check();
    checkLength(samples, pcm.length, 'samples');
    checkCapacity(this.maxEncodedBytes(samples), out.length, 'output buffer');
    return this.#encoder.encode(samples === pcm.length ? pcm : pcm.subarray(0, samples), out, samples);
  }

  decode(payload: Uint8Array, out: Int16Array, bytes = payload.length): number {
    this.#check();
    checkLength(bytes, payload.length, 'bytes');
    const perByte = this.#info.maxSamplesPerByte ?? 1 / this.#info.maxBytesPerSample;
    checkCapacity(Math.ceil(bytes * perByte), out.length, 'output buffer');
    return this.#decoder.decode(bytes === payload.length ? payload : payload.subarray(0, bytes), out, bytes);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#encoder.close?.();
    this.#decoder.close?.();
  }

  #check(): void {
    if (this.#closed) throw new StrowgerError('ERR_CLOSED', `${this.name} codec is closed`);
  }
}

/** Throws `ERR_INVALID_ARGUMENT` unless `0 <= n <= max` and `n` is an integer. */
export function checkLength(n: number, max: number, what: string): void {
  if (!(Number.isInteger(n) && n >= 0 && n <= max)) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', `${what} must be an integer in [0, ${max}], got ${n}`);
  }
}

/** Throws `ERR_INVALID_ARGUMENT` when an output buffer cannot hold `needed` elements. */
export function checkCapacity(needed: number, capacity: number, what: string): void {
  if (needed > capacity) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', `${what} holds ${capacity}, needs ${needed}`);
  }
}

/**
 * RTP timestamp units covered by `samples` Int16 values of `codec`'s PCM:
 * 160 for 20 ms of PCMU, 160 for 20 ms of G.722 (16 kHz PCM, 8 kHz clock), 960 for 20 ms of Opus.
 */
export function rtpTimestampDelta(codec: AudioCodec, samples: number): number {
  return ((samples / codec.channels) * codec.clockRate) / codec.sampleRate;
}

/**
 * Codec factories by SDP encoding name. Built-ins are PCMU, PCMA, L16 and
 * opus; a plug-in (G.722, a proprietary codec) is one {@link register} call.
 */
export class CodecRegistry {
  readonly #byName = new Map<string, CodecFactory>();

  /** Adds `factory`; throws `ERR_INVALID_STATE` if its name is taken, unless `replace`. */
  register(factory: CodecFactory, options: { replace?: boolean } = {}): this {
    const key = factory.name.toLowerCase();
    if (this.#byName.has(key) && !options.replace) {
      throw new StrowgerError('ERR_INVALID_STATE', `codec ${factory.name} is already registered`);
    }
    this.#byName.set(key, factory);
    return this;
  }

  unregister(name: string): boolean {
    return this.#byName.delete(name.toLowerCase());
  }

  get(name: string): CodecFactory | undefined {
    return this.#byName.get(name.toLowerCase());
  }

  has(name: string): boolean {
    return this.#byName.has(name.toLowerCase());
  }

  /** Registered encoding names, as their factories spell them. */
  names(): string[] {
    return [...this.#byName.values()].map((f) => f.name);
  }

  /** The factory whose RFC 3551 static payload type is `pt` (0 → PCMU, 8 → PCMA, 9 → G722 once registered). */
  byPayloadType(pt: number): CodecFactory | undefined {
    for (const f of this.#byName.values()) if (f.staticPayloadType === pt) return f;
    return undefined;
  }

  /** Creates a codec; works for every codec (awaits WebAssembly where needed). */
  async create(name: string, options: CodecOptions = {}): Promise<AudioCodec> {
    return this.#factory(name).create(options);
  }

  /** Creates a codec synchronously; throws `ERR_NOT_SUPPORTED` for codecs that need async set-up (opus). */
  createSync(name: string, options: CodecOptions = {}): AudioCodec {
    const f = this.#factory(name);
    if (!f.createSync) {
      throw new StrowgerError('ERR_NOT_SUPPORTED', `codec ${f.name} needs async set-up: use create()`);
    }
    return f.createSync(options);
  }

  #factory(name: string): CodecFactory {
    const f = this.#byName.get(name.toLowerCase());
    if (!f) throw new StrowgerError('ERR_NOT_SUPPORTED', `no codec named ${JSON.stringify(name)}`);
    return f;
  }
}
