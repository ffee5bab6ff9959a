/**
 * Synthetic network traces for evaluating jitter buffers offline: when each
 * packet was sent (on the receiver's clock, so sender clock drift is in it)
 * and when it arrived (NaN when the network lost it). Deterministic for a
 * given seed ({@link seededRandom}).
 */
import { type Random, StrowgerError, seededRandom } from '../../core/index.js';

export interface DelaySpike {
  /** Send time at which the extra delay starts (ms from the trace start). */
  atMs: number;
  /** Extra one-way delay during the spike (ms). */
  heightMs: number;
  /** How long the extra delay lasts before it drains (ms). */
  holdMs: number;
}

export interface TraceOptions {
  name?: string;
  seed?: number;
  durationMs?: number;
  /** Audio per packet (ms). Default 20. */
  packetMs?: number;
  clockRate?: number;
  /** Fixed part of the one-way delay (ms). Default 30 + 3σ. */
  baseDelayMs?: number;
  /** σ of the Gaussian jitter added to every packet independently (ms). Default 0. */
  jitterMs?: number;
  /** Delay spikes: a step up, held, then drained at one ms per ms (queued packets arrive in a burst). */
  spikes?: readonly DelaySpike[];
  /** Random spikes instead of listed ones: count and height/hold ranges. */
  randomSpikes?: {
    count: number;
    minHeightMs: number;
    maxHeightMs: number;
    minHoldMs: number;
    maxHoldMs: number;
  };
  /** Gilbert–Elliott bursty loss: mean loss rate and mean burst length (packets). */
  loss?: { rate: number; meanBurst: number };
  /** Reordering: this fraction of packets is held back by 1..maxPackets packet times. */
  reorder?: { probability: number; maxPackets: number };
  /** Sender clock rate error (ppm; positive = sender faster than the receiver). */
  driftPpm?: number;
  /** Talk spurts and silences (exponential durations, ms): no packets are sent during silence (DTX). */
  talkSpurts?: { meanOnMs: number; meanOffMs: number };
  /** First RTP sequence number and timestamp (default near the wrap, to exercise it). */
  firstSeq?: number;
  firstTimestamp?: number;
}

export interface Trace {
  readonly name: string;
  readonly clockRate: number;
  readonly packetMs: number;
  readonly count: number;
  readonly seq: Uint16Array;
  readonly timestamp: Float64Array;
  readonly marker: Uint8Array;
  /** Send time on the receiver's clock (ms). */
  readonly sendMs: Float64Array;
  /** Arrival time (ms), NaN when lost. */
  readonly arrivalMs: Float64Array;
}

function gaussian(r: Random): number {
  const u = Math.max(r.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.next());
}

function exponential(r: Random, mean: number): number {
  return -mean * Math.log(Math.max(r.next(), 1e-12));
}

/** Builds a trace. */
export function generateTrace(options: TraceOptions = {}): Trace {
  const seed = options.seed ?? 1;
  const rnd = seededRandom(seed);
  const durationMs = options.durationMs ?? 60_000;
  const packetMs = options.packetMs ?? 20;
  const clockRate = options.clockRate ?? 8000;
  const sigma = options.jitterMs ?? 0;
  const base = options.baseDelayMs ?? 30 + 3 * sigma;
  const drift = (options.driftPpm ?? 0) * 1e-6;
  if (!(durationMs > 0 && packetMs > 0 && sigma >= 0)) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'generateTrace: durations must be > 0 and jitter >= 0');
  }
  const ticks = Math.round((packetMs * clockRate) / 1000);
  const slots = Math.floor(durationMs / packetMs);
  const spikes: DelaySpike[] = [...(options.spikes ?? [])];
  if (options.randomSpikes) {
    const s = options.randomSpikes;
    for (let i = 0; i < s.count; i++) {
      // spread over the trace, one per equal share, away from the very start
      const share = durationMs / s.count;
      spikes.push({
        atMs: share * i + share * (0.3 + 0.4 * rnd.next()),
        heightMs: s.minHeightMs + (s.maxHeightMs - s.minHeightMs) * rnd.next(),
        holdMs: s.minHoldMs + (s.maxHoldMs - s.minHoldMs) * rnd.next(),
      });
    }
  }
  const seq = new Uint16Array(slots);
  const timestamp = new Float64Array(slots);
  const marker = new Uint8Array(slots);
  const sendMs = new Float64Array(slots);
  const arrivalMs = new Float64Array(slots);
  let n = 0;
  let talking = true;
  let switchAt = options.talkSpurts
    ? exponential(rnd, options.talkSpurts.meanOnMs)
    : Number.POSITIVE_INFINITY;
  let spurtStart = true;
  let bad = false;
  const loss = options.loss;
  const pBad = loss ? Math.min(1, loss.rate / loss.meanBurst / Math.max(1e-9, 1 - loss.rate)) : 0;
  const pGood = loss ? 1 / loss.meanBurst : 1;
  const seq0 = options.firstSeq ?? 65_000;
  const ts0 = options.firstTimestamp ?? 0xffff_ffff - 40 * ticks;
  for (let i = 0; i < slots; i++) {
    const senderMs = i * packetMs;
    if (options.talkSpurts) {
      while (senderMs >= switchAt) {
        talking = !talking;
        if (talking) spurtStart = true;
        switchAt += exponential(rnd, talking ? options.talkSpurts.meanOnMs : options.talkSpurts.meanOffMs);
      }
      if (!talking) continue;
    }
    const send = senderMs / (1 + drift);
    let delay = base + sigma * gaussian(rnd);
    for (const s of spikes) {
      const t = send - s.atMs;
      if (t >= 0 && t < s.holdMs) delay += s.heightMs;
      else if (t >= s.holdMs && t < s.holdMs + s.heightMs) delay += s.heightMs - (t - s.holdMs);
    }
    if (options.reorder && rnd.next() < options.reorder.probability) {
      delay += packetMs * (1 + rnd.int(options.reorder.maxPackets)) + packetMs * 0.5 * rnd.next();
    }
    if (delay < 1) delay = 1;
    let lost = false;
    if (loss) {
      bad = bad ? rnd.next() >= pGood : rnd.next() < pBad;
      lost = bad;
    }
    seq[n] = (seq0 + n) & 0xffff;
    timestamp[n] = (ts0 + i * ticks) % 2 ** 32;
    marker[n] = spurtStart && options.talkSpurts ? 1 : 0;
    spurtStart = false;
    sendMs[n] = send;
    arrivalMs[n] = lost ? Number.NaN : send + delay;
    n++;
  }
  return {
    name: options.name ?? `trace-${seed}`,
    clockRate,
    packetMs,
    count: n,
    seq: seq.subarray(0, n),
    timestamp: timestamp.subarray(0, n),
    marker: marker.subarray(0, n),
    sendMs: sendMs.subarray(0, n),
    arrivalMs: arrivalMs.subarray(0, n),
  };
}

/** The evaluation's trace set: each jitter/spike/loss/reorder/drift/DTX condition on its own, and a mix. */
export function standardTraces(seed = 2026): Trace[] {
  const t = (name: string, o: TraceOptions, k: number) => generateTrace({ name, seed: seed + k, ...o });
  return [
    t('gauss-5', { jitterMs: 5 }, 1),
    t('gauss-10', { jitterMs: 10 }, 2),
    t('gauss-20', { jitterMs: 20 }, 3),
    t('gauss-40', { jitterMs: 40 }, 4),
    t(
      'spikes',
      {
        jitterMs: 5,
        randomSpikes: { count: 4, minHeightMs: 200, maxHeightMs: 500, minHoldMs: 300, maxHoldMs: 1500 },
      },
      5,
    ),
    t('loss-1%', { jitterMs: 10, loss: { rate: 0.01, meanBurst: 2 } }, 6),
    t('loss-5%', { jitterMs: 10, loss: { rate: 0.05, meanBurst: 2.5 } }, 7),
    t('reorder', { jitterMs: 3, reorder: { probability: 0.05, maxPackets: 3 } }, 8),
    t('drift+100ppm', { jitterMs: 10, driftPpm: 100, durationMs: 120_000 }, 9),
    t('drift-100ppm', { jitterMs: 10, driftPpm: -100, durationMs: 120_000 }, 10),
    t('drift+500ppm', { jitterMs: 10, driftPpm: 500, durationMs: 120_000 }, 11),
    t(
      'talkspurts',
      { jitterMs: 20, talkSpurts: { meanOnMs: 1000, meanOffMs: 1350 }, durationMs: 120_000 },
      12,
    ),
    t('ptime-60', { jitterMs: 20, packetMs: 60 }, 13),
    t(
      'mixed',
      {
        jitterMs: 10,
        talkSpurts: { meanOnMs: 1500, meanOffMs: 1000 },
        loss: { rate: 0.02, meanBurst: 2 },
        reorder: { probability: 0.01, maxPackets: 2 },
        driftPpm: -100,
        randomSpikes: { count: 2, minHeightMs: 200, maxHeightMs: 400, minHoldMs: 300, maxHoldMs: 1000 },
        durationMs: 120_000,
      },
      14,
    ),
  ];
}
