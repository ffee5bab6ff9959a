/**
 * L2 media/codecs: audio codecs (PCMU, PCMA, L16, G.722, Opus), a polyphase
 * resampler, in-band DTMF detection and generation, and WAV files — pure, no
 * I/O, allocation-free on the per-frame paths. See docs/codecs.md.
 */
import {
  type AudioCodec,
  type CodecOptions,
  CodecRegistry,
  composeCodec,
  syncCodecFactory,
} from './codec.js';
import { pcmaFactory, pcmuFactory } from './g711.js';
import { G722_SAMPLE_RATE, G722Decoder, G722Encoder } from './g722.js';
import { l16Factory } from './l16.js';
import { opusFactory } from './opus.js';

export {
  type AudioCodec,
  type CodecFactory,
  type CodecOptions,
  CodecRegistry,
  type ComposedCodecInfo,
  composeCodec,
  type PcmDecoder,
  type PcmEncoder,
  rtpTimestampDelta,
  type SyncCodecDefinition,
  syncCodecFactory,
} from './codec.js';
export {
  ALAW_DECODE_TABLE,
  alawToLinear,
  decodeAlaw,
  decodeUlaw,
  encodeAlaw,
  encodeUlaw,
  G711Codec,
  linearToAlaw,
  linearToUlaw,
  pcmaFactory,
  pcmuFactory,
  ULAW_DECODE_TABLE,
  ulawToLinear,
} from './g711.js';
export { L16_SAMPLE_RATES, L16Codec, l16Factory } from './l16.js';
export {
  createOpusCodec,
  loadOpus,
  OPUS_DEFAULTS,
  OPUS_SAMPLE_RATES,
  OpusCodec,
  type OpusOptions,
  type OpusSettings,
  opusFactory,
  opusPacketDuration,
  plcToc,
} from './opus.js';
export {
  designResampler,
  type FilterDesign,
  RESAMPLER_DEFAULTS,
  Resampler,
  type ResamplerOptions,
  resampleBuffer,
} from './resampler.js';

/**
 * G.722 (ITU-T G.722, 64 kbit/s): 16 kHz audio on an 8000 Hz RTP clock (RFC 3551 §4.5.2),
 * static payload type 9, 2 samples per byte.
 */
export const g722Factory = syncCodecFactory({
  name: 'G722',
  clockRate: 8000,
  staticPayloadType: 9,
  sampleRates: [G722_SAMPLE_RATE],
  create: () =>
    composeCodec(
      {
        name: 'G722',
        clockRate: 8000,
        sampleRate: G722_SAMPLE_RATE,
        staticPayloadType: 9,
        maxBytesPerSample: 0.5,
      },
      new G722Encoder(),
      new G722Decoder(),
    ),
});

/** A new registry holding the built-in codecs (PCMU, PCMA, L16, G722, opus), ready for plug-ins. */
export function createCodecRegistry(): CodecRegistry {
  return new CodecRegistry()
    .register(pcmuFactory)
    .register(pcmaFactory)
    .register(l16Factory)
    .register(g722Factory)
    .register(opusFactory);
}

/** The process-wide (per-thread) registry that {@link createCodec} uses. Register plug-ins here. */
export const codecs: CodecRegistry = createCodecRegistry();

/** Creates a codec by SDP encoding name from {@link codecs}; works for every codec, including opus. */
export function createCodec(name: string, options?: CodecOptions): Promise<AudioCodec> {
  return codecs.create(name, options);
}

/** Synchronous {@link createCodec}; throws `ERR_NOT_SUPPORTED` for opus (its decoder instantiates WASM asynchronously). */
export function createCodecSync(name: string, options?: CodecOptions): AudioCodec {
  return codecs.createSync(name, options);
}
export {
  DBM0_PEAK,
  DTMF_COL_HZ,
  DTMF_DETECTOR_DEFAULTS,
  DTMF_KEYPAD,
  DTMF_ROW_HZ,
  DtmfDetector,
  type DtmfDetectorEvents,
  type DtmfDetectorOptions,
  type DtmfDigitEvent,
  DtmfGenerator,
  type DtmfGeneratorOptions,
  dbm0ToPower,
  dtmfTone,
  powerToDbm0,
} from './dtmf.js';
export {
  G722_DEFAULTS,
  G722_SAMPLE_RATE,
  type G722Bitrate,
  G722Decoder,
  G722Encoder,
  type G722Options,
} from './g722.js';
export {
  decodeWav,
  encodeWav,
  parseWavHeader,
  patchWavHeader,
  WAV_HEADER_BYTES,
  type WavAudio,
  type WavEncoding,
  type WavInfo,
  WavParseError,
  type WavReadOptions,
  WavWriter,
  writeWavHeader,
} from './wav.js';
