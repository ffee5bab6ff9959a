/**
 * L2 media/codecs: audio codecs (PCMU, PCMA, L16, Opus), a polyphase
 * resampler, in-band DTMF detection and generation, and WAV files — pure, no
 * I/O, allocation-free on the per-frame paths. See docs/codecs.md.
 */
import { CodecRegistry } from './codec.js';
import { pcmaFactory, pcmuFactory } from './g711.js';
import { l16Factory } from './l16.js';
import { opusFactory } from './opus.js';

export {
  type AudioCodec,
  type CodecOptions,
  type CodecFactory,
  type SyncCodecDefinition,
  type PcmEncoder,
  type PcmDecoder,
  type ComposedCodecInfo,
  CodecRegistry,
  syncCodecFactory,
  composeCodec,
  rtpTimestampDelta,
} from './codec.js';
export {
  G711Codec,
  linearToUlaw,
  ulawToLinear,
  linearToAlaw,
  alawToLinear,
  encodeUlaw,
  decodeUlaw,
  encodeAlaw,
  decodeAlaw,
  ULAW_DECODE_TABLE,
  ALAW_DECODE_TABLE,
  pcmuFactory,
  pcmaFactory,
} from './g711.js';
export { L16Codec, L16_SAMPLE_RATES, l16Factory } from './l16.js';
export {
  OpusCodec,
  type OpusOptions,
  type OpusSettings,
  OPUS_DEFAULTS,
  OPUS_SAMPLE_RATES,
  createOpusCodec,
  loadOpus,
  opusFactory,
  plcToc,
} from './opus.js';
export {
  Resampler,
  type ResamplerOptions,
  type FilterDesign,
  RESAMPLER_DEFAULTS,
  designResampler,
  resampleBuffer,
} from './resampler.js';

/** A new registry holding the built-in codecs (PCMU, PCMA, L16, opus), ready for plug-ins. */
export function createCodecRegistry(): CodecRegistry {
  return new CodecRegistry().register(pcmuFactory).register(pcmaFactory).register(l16Factory).register(opusFactory);
}

/** The process-wide (per-thread) registry that {@link createCodec} uses. Register plug-ins here. */
export const codecs: CodecRegistry = createCodecRegistry();

/** Creates a codec by SDP encoding name from {@link codecs}; works for every codec, including opus. */
export function createCodec(name: string, options?: import('./codec.js').CodecOptions): Promise<import('./codec.js').AudioCodec> {
  return codecs.create(name, options);
}

/** Synchronous {@link createCodec}; throws `ERR_NOT_SUPPORTED` for opus (its decoder instantiates WASM asynchronously). */
export function createCodecSync(name: string, options?: import('./codec.js').CodecOptions): import('./codec.js').AudioCodec {
  return codecs.createSync(name, options);
}
