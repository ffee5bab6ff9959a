/**
 * Offline evaluation of playout strategies on a {@link Trace}.
 *
 * The simulated receiver ticks every `frameMs` (at a fixed phase against the
 * sender), pushes each packet at its arrival time and, on each tick, pulls
 * until the tick's audio is covered (units longer than a tick leave audio for
 * the next ticks). Measures, per strategy:
 *
 * - **added delay** of each played packet: the tick it was played at minus
 *   its arrival (the buffer's delay, not the network's); mean and p95;
 * - **late**: packets that arrived too late to be played, as a share of
 *   the packets that arrived;
 * - **unplayed**: packets that arrived but were not played (late, or dropped
 *   to shorten the delay);
 * - **concealed ratio**: concealed audio over played plus concealed audio.
 *
 * The **oracle** knows the whole trace: it plays every packet at the first
 * tick at or after `send + D` for one fixed `D`, choosing the smallest `D`
 * whose late count does not exceed the adaptive buffer's unplayed count. It
 * follows the sender's clock exactly, so drift costs it nothing (and it may
 * play two packets in one tick, which a real receiver cannot).
 */
import { JitterBuffer } from './jitter-buffer.js';
import type { JitterBufferOptions } from './options.js';
import type { Trace } from './trace.js';

export interface StrategyResult {
  name: string;
  arrived: number;
  played: number;
  late: number;
  /** Arrived but not played (late + dropped + other discards). */
  unplayed: number;
  dropped: number;
  meanDelayMs: number;
  p95DelayMs: number;
  lateRate: number;
  unplayedRate: number;
  concealedRatio: number;
  /** Normal frames returned twice or with a timestamp that went backwards (must be 0). */
  orderErrors: number;
}

export interface OracleResult extends StrategyResult {
  /** The fixed delay after the send time that the oracle chose (ms). */
  delayMs: number;
  /**
   * Mean added delay of the best mix of this fixed delay and the one a frame
   * lower that spends the loss budget exactly (on a tick grid a fixed delay
   * moves in frame steps, so the plain oracle may lose far fewer packets
   * than allowed): a stricter bar.
   */
  interpolatedMeanDelayMs: number;
}

export interface TraceEvaluation {
  trace: string;
  networkLossRate: number;
  adaptive: StrategyResult;
  fixed: StrategyResult;
  oracle: OracleResult;
  /** adaptive.meanDelayMs / oracle.meanDelayMs */
  ratio: number;
  /** adaptive.meanDelayMs / oracle.interpolatedMeanDelayMs */
  interpolatedRatio: number;
}

export interface EvaluateOptions {
  frameMs?: number;
  /** Tick phase against the trace's time origin (ms). Default 7.3. */
  tickPhaseMs?: number;
  adaptive?: JitterBufferOptions;
  /** Delay of the fixed buffer (ms). Default 60. */
  fixedDelayMs?: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i] as number;
}

function summarize(
  name: string,
  arrived: number,
  delays: Float64Array,
  played: number,
  late: number,
  dropped: number,
  concealedRatio: number,
  orderErrors: number,
): StrategyResult {
  const d = delays.subarray(0, played).slice().sort();
  let sum = 0;
  for (let i = 0; i < d.length; i++) sum += d[i] as number;
  const unplayed = arrived - played;
  return {
    name,
    arrived,
    played,
    late,
    unplayed,
    dropped,
    meanDelayMs: d.length > 0 ? sum / d.length : 0,
    p95DelayMs: percentile(d, 0.95),
    lateRate: arrived > 0 ? late / arrived : 0,
    unplayedRate: arrived > 0 ? unplayed / arrived : 0,
    concealedRatio,
    orderErrors,
  };
}

/** Replays `trace` through a jitter buffer built with `options`. */
export function simulate(
  trace: Trace,
  options: JitterBufferOptions,
  name: string,
  eo: EvaluateOptions = {},
): StrategyResult {
  const frameMs = eo.frameMs ?? options.frameMs ?? 20;
  const phase = eo.tickPhaseMs ?? 7.3;
  const jb = new JitterBuffer({
    clockRate: trace.clockRate,
    packetMs: trace.packetMs,
    ...options,
    frameMs,
  });
  const order: number[] = [];
  for (let i = 0; i < trace.count; i++) if (!Number.isNaN(trace.arrivalMs[i])) order.push(i);
  order.sort((a, b) => (trace.arrivalMs[a] as number) - (trace.arrivalMs[b] as number) || a - b);
  const arrived = order.length;
  const delays = new Float64Array(arrived);
  const playedFlag = new Uint8Array(trace.count);
  const payload = new Uint8Array(4);
  const view = new DataView(payload.buffer);
  const packet = { seq: 0, timestamp: 0, marker: false, payload, arrivalMs: 0 };
  const frameSamples = jb.frameSamples;
  let played = 0;
  let orderErrors = 0;
  let lastPos = Number.NEGATIVE_INFINITY;
  let normalSamples = 0;
  let concealedSamples = 0;
  let fifo = 0;
  if (arrived === 0) return summarize(name, 0, delays, 0, 0, 0, 0, 0);
  const first = Math.min(trace.sendMs[0] as number, trace.arrivalMs[order[0] as number] as number);
  const end = (trace.arrivalMs[order[arrived - 1] as number] as number) + 3000;
  let k = 0;
  for (let tick = Math.floor((first - phase) / frameMs) * frameMs + phase; tick <= end; tick += frameMs) {
    while (k < arrived && (trace.arrivalMs[order[k] as number] as number) <= tick) {
      const i = order[k++] as number;
      view.setUint32(0, i);
      packet.seq = trace.seq[i] as number;
      packet.timestamp = trace.timestamp[i] as number;
      packet.marker = trace.marker[i] === 1;
      packet.arrivalMs = trace.arrivalMs[i] as number;
      jb.push(packet);
    }
    while (fifo < frameSamples) {
      const f = jb.pull(tick);
      fifo += f.samples;
      if (f.kind === 'normal') {
        const b = f.data;
        const o = f.offset;
        const i = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
        if (playedFlag[i] === 1 || f.position <= lastPos) orderErrors++;
        lastPos = f.position;
        playedFlag[i] = 1;
        delays[played++] = tick - (trace.arrivalMs[i] as number);
        normalSamples += f.samples;
      } else if (f.kind === 'concealed') {
        concealedSamples += f.samples;
      }
    }
    fifo -= frameSamples;
  }
  const s = jb.stats();
  const total = normalSamples + concealedSamples;
  return summarize(
    name,
    arrived,
    delays,
    played,
    s.late,
    s.dropped,
    total > 0 ? concealedSamples / total : 0,
    orderErrors,
  );
}

/** The best fixed delay with at most `maxLate` late packets (see the module comment). */
export function oracle(trace: Trace, maxLate: number, eo: EvaluateOptions = {}): OracleResult {
  const frameMs = eo.frameMs ?? 20;
  const phase = eo.tickPhaseMs ?? 7.3;
  const playAt = (send: number, d: number) =>
    Math.ceil((send + d - phase) / frameMs - 1e-9) * frameMs + phase;
  const lateAt = (d: number) => {
    let late = 0;
    for (let i = 0; i < trace.count; i++) {
      const a = trace.arrivalMs[i] as number;
      if (!Number.isNaN(a) && a > playAt(trace.sendMs[i] as number, d)) late++;
    }
    return late;
  };
  const at = (d: number) => {
    let arrived = 0;
    let played = 0;
    let lost = 0;
    const delays = new Float64Array(trace.count);
    for (let i = 0; i < trace.count; i++) {
      const a = trace.arrivalMs[i] as number;
      if (Number.isNaN(a)) {
        lost++;
        continue;
      }
      arrived++;
      const t = playAt(trace.sendMs[i] as number, d);
      if (a <= t) delays[played++] = t - a;
    }
    const late = arrived - played;
    const concealed = trace.count > 0 ? (late + lost) / trace.count : 0;
    return summarize('oracle', arrived, delays, played, late, 0, concealed, 0);
  };
  let lo = 0;
  let hi = 10;
  while (lateAt(hi) > maxLate) hi *= 2;
  for (let it = 0; it < 40 && hi - lo > 0.01; it++) {
    const mid = (lo + hi) / 2;
    if (lateAt(mid) <= maxLate) hi = mid;
    else lo = mid;
  }
  const best = at(hi);
  // time-sharing with the fixed delay one frame lower, to meet the loss budget exactly
  let interpolated = best.meanDelayMs;
  if (hi > frameMs) {
    const lower = at(hi - frameMs);
    if (lower.late > best.late && maxLate > best.late) {
      const a = Math.min(1, (maxLate - best.late) / (lower.late - best.late));
      interpolated = (1 - a) * best.meanDelayMs + a * lower.meanDelayMs;
    }
  }
  return { ...best, delayMs: hi, interpolatedMeanDelayMs: interpolated };
}

/** Adaptive buffer, fixed buffer and oracle on one trace. */
export function evaluateTrace(trace: Trace, eo: EvaluateOptions = {}): TraceEvaluation {
  const adaptive = simulate(trace, { mode: 'adaptive', ...eo.adaptive }, 'adaptive', eo);
  const fixed = simulate(
    trace,
    { mode: 'fixed', delayMs: eo.fixedDelayMs ?? 60 },
    `fixed-${eo.fixedDelayMs ?? 60}`,
    eo,
  );
  const o = oracle(trace, adaptive.unplayed, eo);
  let lost = 0;
  for (let i = 0; i < trace.count; i++) if (Number.isNaN(trace.arrivalMs[i])) lost++;
  return {
    trace: trace.name,
    networkLossRate: trace.count > 0 ? lost / trace.count : 0,
    adaptive,
    fixed,
    oracle: o,
    ratio: o.meanDelayMs > 0 ? adaptive.meanDelayMs / o.meanDelayMs : Number.POSITIVE_INFINITY,
    interpolatedRatio:
      o.interpolatedMeanDelayMs > 0
        ? adaptive.meanDelayMs / o.interpolatedMeanDelayMs
        : Number.POSITIVE_INFINITY,
  };
}
