import { StrowgerError } from '../../core/index.js';

/** How the buffer chooses its playout delay. */
export type JitterMode = 'adaptive' | 'fixed';

export interface JitterBufferOptions {
  /** RTP clock rate of the stream (Hz). Default 8000. */
  clockRate?: number;
  /** Pull granularity: the media tick (ms). Silence, buffering and inserted frames have this length. Default 20. */
  frameMs?: number;
  /** First guess of the audio carried per packet (ms) until the timestamps tell (10/20/30/40/60…). Default `frameMs`. */
  packetMs?: number;
  /** Ring slots (packets). Default 64. */
  capacity?: number;
  /** Largest payload accepted (bytes); larger ones are discarded and counted. Default 640. */
  maxPayload?: number;
  /** `adaptive` (default) follows the network; `fixed` keeps `delayMs` above the transit floor. */
  mode?: JitterMode;
  /** Fixed mode: the playout delay above the transit floor. Adaptive mode: the delay used until enough packets were seen. Default 60 (fixed) / 40 (adaptive). */
  delayMs?: number;
  /** Lowest target delay (ms). Default 0. */
  minDelayMs?: number;
  /** Highest target delay (ms); also the histogram range. Default 1000. */
  maxDelayMs?: number;
  /** Quantile of the relative-delay distribution to cover. Default 0.97. */
  quantile?: number;
  /** Per-packet forgetting factor of the delay histogram. Default 0.9993 (~28 s at 50 packets/s). */
  forgetFactor?: number;
  /** Histogram bin width (ms). Default 2. */
  histogramBinMs?: number;
  /** Window of the minimum-transit floor (ms). Default 10000. */
  floorWindowMs?: number;
  /** A packet this much later than the target is a delay spike: the target jumps to it. Default 60. */
  peakThresholdMs?: number;
  /** How long a spike's delay is held after the last spike-late packet (ms). Default 2000. */
  peakHoldMs?: number;
  /** Time constant of the spike target's decay after the hold (ms). Default 2000. */
  peakDecayMs?: number;
  /** An underrun is reported as `concealed` for this long (the PCM concealer has faded out by then), then as `silence`. Default 60. */
  concealLimitMs?: number;
  /** Least time between two mid-talk-spurt drops or inserts (ms). Default 100. */
  minAdjustIntervalMs?: number;
  /** A timestamp that disagrees with both the sequence number and the arrival time by more than this is a jump (ms). Default 1000. */
  maxTimestampJumpMs?: number;
  /** RFC 3550 A.1: larger forward sequence jumps need a second packet to confirm a restart. Default 3000. */
  maxDropout?: number;
  /** RFC 3550 A.1: larger backward sequence jumps need a second packet to confirm a restart. Default 100. */
  maxMisorder?: number;
}

export type ResolvedJitterOptions = Required<JitterBufferOptions>;

export const JITTER_DEFAULTS = Object.freeze({
  clockRate: 8000,
  frameMs: 20,
  capacity: 64,
  maxPayload: 640,
  mode: 'adaptive' as JitterMode,
  adaptiveInitialDelayMs: 40,
  fixedDelayMs: 60,
  minDelayMs: 0,
  maxDelayMs: 1000,
  quantile: 0.97,
  forgetFactor: 0.9993,
  histogramBinMs: 2,
  floorWindowMs: 10_000,
  peakThresholdMs: 60,
  peakHoldMs: 2000,
  peakDecayMs: 2000,
  concealLimitMs: 60,
  minAdjustIntervalMs: 100,
  maxTimestampJumpMs: 1000,
  maxDropout: 3000,
  maxMisorder: 100,
});

function check(ok: boolean, name: string, expected: string): void {
  if (!ok) throw new StrowgerError('ERR_INVALID_ARGUMENT', `jitter buffer: ${name} must be ${expected}`);
}

function positive(v: number): boolean {
  return typeof v === 'number' && Number.isFinite(v) && v > 0;
}

function nonNegative(v: number): boolean {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

function integerIn(v: number, lo: number, hi: number): boolean {
  return Number.isInteger(v) && v >= lo && v <= hi;
}

/** Fills defaults and checks every option; throws `ERR_INVALID_ARGUMENT` naming the bad one. */
export function resolveJitterOptions(options: JitterBufferOptions = {}): ResolvedJitterOptions {
  const d = JITTER_DEFAULTS;
  const mode = options.mode ?? d.mode;
  check(mode === 'adaptive' || mode === 'fixed', 'mode', "'adaptive' or 'fixed'");
  const frameMs = options.frameMs ?? d.frameMs;
  const o: ResolvedJitterOptions = {
    clockRate: options.clockRate ?? d.clockRate,
    frameMs,
    packetMs: options.packetMs ?? frameMs,
    capacity: options.capacity ?? d.capacity,
    maxPayload: options.maxPayload ?? d.maxPayload,
    mode,
    delayMs: options.delayMs ?? (mode === 'fixed' ? d.fixedDelayMs : d.adaptiveInitialDelayMs),
    minDelayMs: options.minDelayMs ?? d.minDelayMs,
    maxDelayMs: options.maxDelayMs ?? d.maxDelayMs,
    quantile: options.quantile ?? d.quantile,
    forgetFactor: options.forgetFactor ?? d.forgetFactor,
    histogramBinMs: options.histogramBinMs ?? d.histogramBinMs,
    floorWindowMs: options.floorWindowMs ?? d.floorWindowMs,
    peakThresholdMs: options.peakThresholdMs ?? d.peakThresholdMs,
    peakHoldMs: options.peakHoldMs ?? d.peakHoldMs,
    peakDecayMs: options.peakDecayMs ?? d.peakDecayMs,
    concealLimitMs: options.concealLimitMs ?? d.concealLimitMs,
    minAdjustIntervalMs: options.minAdjustIntervalMs ?? d.minAdjustIntervalMs,
    maxTimestampJumpMs: options.maxTimestampJumpMs ?? d.maxTimestampJumpMs,
    maxDropout: options.maxDropout ?? d.maxDropout,
    maxMisorder: options.maxMisorder ?? d.maxMisorder,
  };
  check(integerIn(o.clockRate, 1000, 192_000), 'clockRate', 'an integer in 1000..192000');
  check(positive(o.frameMs) && o.frameMs <= 200, 'frameMs', 'in (0, 200]');
  check(Number.isInteger((o.frameMs * o.clockRate) / 1000), 'frameMs', 'a whole number of clock ticks');
  check(positive(o.packetMs) && o.packetMs <= 200, 'packetMs', 'in (0, 200]');
  check(integerIn(o.capacity, 2, 4096), 'capacity', 'an integer in 2..4096');
  check(integerIn(o.maxPayload, 1, 65_536), 'maxPayload', 'an integer in 1..65536');
  check(nonNegative(o.delayMs), 'delayMs', '>= 0');
  check(nonNegative(o.minDelayMs), 'minDelayMs', '>= 0');
  check(
    positive(o.maxDelayMs) && o.maxDelayMs >= o.minDelayMs && o.maxDelayMs <= 10_000,
    'maxDelayMs',
    'in [minDelayMs, 10000]',
  );
  check(o.quantile > 0 && o.quantile < 1, 'quantile', 'in (0, 1)');
  check(o.forgetFactor > 0 && o.forgetFactor < 1, 'forgetFactor', 'in (0, 1)');
  check(
    positive(o.histogramBinMs) && o.maxDelayMs / o.histogramBinMs <= 100_000,
    'histogramBinMs',
    '> 0 and at most 100000 bins',
  );
  check(positive(o.floorWindowMs), 'floorWindowMs', '> 0');
  check(nonNegative(o.peakThresholdMs), 'peakThresholdMs', '>= 0');
  check(nonNegative(o.peakHoldMs), 'peakHoldMs', '>= 0');
  check(positive(o.peakDecayMs), 'peakDecayMs', '> 0');
  check(nonNegative(o.concealLimitMs), 'concealLimitMs', '>= 0');
  check(nonNegative(o.minAdjustIntervalMs), 'minAdjustIntervalMs', '>= 0');
  check(positive(o.maxTimestampJumpMs), 'maxTimestampJumpMs', '> 0');
  check(integerIn(o.maxDropout, 1, 32_767), 'maxDropout', 'an integer in 1..32767');
  check(integerIn(o.maxMisorder, 1, 32_767), 'maxMisorder', 'an integer in 1..32767');
  return o;
}
