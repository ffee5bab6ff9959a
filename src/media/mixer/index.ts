/**
 * L2 media/mixer: the N-party conference bridge with a per-listener mix matrix
 * (listen / whisper / barge), talk detection, and the SharedArrayBuffer frame
 * ring that carries frames between media workers. Pure: PCM Int16Array
 * frames in, frames out; no I/O, no timers, no threads.
 */

export {
  createFrameRing,
  type FrameRingOptions,
  FrameRingReader,
  type FrameRingStats,
  FrameRingWriter,
  frameRingByteLength,
  frameRingStats,
} from './frame-ring.js';
export {
  dbfsToMeanSquare,
  dbToGain,
  FULL_SCALE_MEAN_SQUARE,
  frameLevelDbfs,
  gainToDb,
  meanSquareToDbfs,
} from './levels.js';
export {
  type LimiterKind,
  MAX_GAIN,
  type MemberMode,
  type MemberOptions,
  MIXER_DEFAULTS,
  Mixer,
  type MixerEvents,
  type MixerInputs,
  type MixerMember,
  type MixerOptions,
  type MixerSampleRate,
  type MixerStats,
} from './mixer.js';
export {
  TALK_DETECTION_DEFAULTS,
  TALK_NONE,
  TALK_STARTED,
  TALK_STOPPED,
  type TalkDetectionOptions,
  TalkDetector,
  type TalkTransition,
} from './talk-detector.js';
