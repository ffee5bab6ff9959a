/**
 * L2 media/jitter: the adaptive jitter buffer (pure, pull model, no I/O),
 * waveform-repetition packet-loss concealment for PCM codecs, and the offline
 * trace generator and evaluation harness used to tune and check the buffer.
 */
export {
  JitterBuffer,
  type JitterFrame,
  type JitterFrameKind,
  type JitterPacket,
  type JitterStats,
  type PushResult,
} from './jitter-buffer.js';
export { JITTER_DEFAULTS, type JitterBufferOptions, type JitterMode, resolveJitterOptions } from './options.js';
export { DelayEstimator, type DelayEstimatorOptions } from './delay-estimator.js';
export { PcmConcealer, type PcmConcealerOptions } from './pcm-concealer.js';
export { type DelaySpike, type Trace, type TraceOptions, generateTrace, standardTraces } from './trace.js';
export {
  type EvaluateOptions,
  type OracleResult,
  type StrategyResult,
  type TraceEvaluation,
  evaluateTrace,
  oracle,
  simulate,
} from './evaluate.js';
