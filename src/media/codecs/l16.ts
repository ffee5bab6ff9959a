/**
 * L16: uncompressed 16-bit linear PCM in network byte order (RFC 3551
 * §4.5.11), interleaved when stereo. Static payload types exist only at
 * 44100 Hz (10 stereo, 11 mono); other rates use a dynamic payload type.
 */
import { StrowgerError } from '../../core/index.js';
import { type AudioCodec, type CodecFactory, checkCapacity, checkLength, syncCodecFactory } from './codec.js';

export const L16_SAMPLE_RATES: readonly number[] = Object.freeze([8000, 16000, 32000, 44100, 48000]);

export class L16Codec implements AudioCodec {
  readonly name = 'L16';
  readonly clockRate: number;
  readonly sampleRate: number;
  readonly channels: number;
  readonly staticPayloadType: number | undefined;
  readonly frameSamples: number;
  #closed = false;

  constructor(options: { sampleRate?: number; channels?: number } = {}) {
    const rate = options.sampleRate ?? 8000;
    const channels = options.channels ?? 1;
    if (!L16_SAMPLE_RATES.includes(rate)) {
      throw new StrowgerError('ERR_NOT_SUPPORTED', `L16 at ${rate} Hz (have ${L16_SAMPLE_RATES.join(', ')})`);
    }
    if (channels !== 1 && channels !== 2)
      throw new StrowgerError('ERR_NOT_SUPPORTED', 'L16 is mono or stereo');
    this.sampleRate = rate;
    this.clockRate = rate;
    this.channels = channels;
    this.staticPayloadType = rate === 44100 ? (channels === 2 ? 10 : 11) : undefined;
    this.frameSamples = (rate / 50) * channels;
  }

  get closed(): boolean {
    return this.#closed;
  }

  maxEncodedBytes(samples: number): number {
    return samples * 2;
  }

  encode(pcm: Int16Array, out: Uint8Array, samples = pcm.length): number {
    if (this.#closed) throw new StrowgerError('ERR_CLOSED', 'L16 codec is closed');
    checkLength(samples, pcm.length, 'samples');
    checkCapacity(samples * 2, out.length, 'output buffer');
    for (let i = 0, o = 0; i < samples; i++, o += 2) {
      const v = pcm[i] as number;
      out[o] = (v >> 8) & 0xff;
      out[o + 1] = v & 0xff;
    }
    return samples * 2;
  }

  decode(payload: Uint8Array, out: Int16Array, bytes = payload.length): number {
    if (this.#closed) throw new StrowgerError('ERR_CLOSED', 'L16 codec is closed');
    checkLength(bytes, payload.length, 'bytes');
    if ((bytes & 1) !== 0 || (bytes >> 1) % this.channels !== 0) {
      throw new StrowgerError(
        'ERR_CODEC',
        `L16 payload of ${bytes} bytes is not whole ${this.channels}-channel samples`,
      );
    }
    const n = bytes >> 1;
    checkCapacity(n, out.length, 'output buffer');
    for (let i = 0, o = 0; i < n; i++, o += 2) {
      out[i] = ((payload[o] as number) << 8) | (payload[o + 1] as number); // Int16Array wraps to signed
    }
    return n;
  }

  close(): void {
    this.#closed = true;
  }
}

export const l16Factory: CodecFactory = syncCodecFactory({
  name: 'L16',
  clockRate: 8000, // varies with the rate: the codec instance's clockRate is authoritative
  sampleRates: L16_SAMPLE_RATES,
  create: (options) =>
    new L16Codec({
      sampleRate: options.sampleRate as number | undefined,
      channels: options.channels as number | undefined,
    }),
});
