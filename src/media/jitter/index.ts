/**
 * L2 media/jitter: the adaptive jitter buffer (pure, pull model, no I/O),
 * waveform-repetition packet-loss concealment for PCM codecs, and the offline
 * trace generator and evaluation harness used to tune and check the buffer.
 */

export { DelayEstimator, type DelayEstimatorOptions } from './delay-estimator.js';
export {
  type EvaluateOptions,
  evaluateTrace,
  type OracleResult,
  oracle,
  type StrategyResult,
  simulate,
  type TraceEvaluation,
} from './evaluate.js';
export {
  JitterBuffer,
  type JitterFrame,
  type JitterFrameKind,
  type JitterPacket,
  type JitterStats,
  type PushResult,
} from './jitter-buffer.js';
export {
  JITTER_DEFAULTS,
  type JitterBufferOptions,
  type JitterMode,
  resolveJitterOptions,
} from './options.js';
export { PcmConcealer, type PcmConcealerOptions } from './pcm-concealer.js';
export { type DelaySpike, generateTrace, standardTraces, type Trace, type TraceOptions } from './trace.js';
