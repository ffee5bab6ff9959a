/**
 * L2 media/mixer: the N-party conference bridge with a per-listener mix matrix
 * (listen / whisper / barge), talk detection, and the SharedArrayBuffer frame
 * ring that carries frames between media workers. Pure: PCM Int16Array
 * frames in, frames out; no I/O, no timers, no threads.
 */
export {
  Mixer,
  type MixerOptions,
  type MixerSampleRate,
  type MixerMember,
  type MixerEvents,
  type MixerInputs,
  type MixerStats,
  type MemberOptions,
  type MemberMode,
  type LimiterKind,
  MIXER_DEFAULTS,
  MAX_GAIN,
} from './mixer.js';
export {
  TalkDetector,
  type TalkDetectionOptions,
  type TalkTransition,
  TALK_DETECTION_DEFAULTS,
  TALK_NONE,
  TALK_STARTED,
  TALK_STOPPED,
} from './talk-detector.js';
export {
  createFrameRing,
  frameRingByteLength,
  frameRingStats,
  FrameRingWriter,
  FrameRingReader,
  type FrameRingOptions,
  type FrameRingStats,
} from './frame-ring.js';
export {
  FULL_SCALE_MEAN_SQUARE,
  dbfsToMeanSquare,
  meanSquareToDbfs,
  dbToGain,
  gainToDb,
  frameLevelDbfs,
} from './levels.js';
