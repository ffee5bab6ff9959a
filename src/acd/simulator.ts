/**
 * A discrete-event simulation of a contact center that drives the real ACD on a
 * FakeClock: Poisson arrivals, lognormal (or exponential) handle times, callers who
 * abandon when their (exponential) patience runs out, agents who answer every offer
 * after a ring delay. It reports service level, ASA, abandon rate and occupancy beside
 * Erlang C's prediction, and how well the ACD's wait estimate (EWT) announced at arrival
 * matched the wait each answered caller then had — beside the estimate Asterisk's
 * app_queue announces (an exponential average of past hold times, (3·old + new)/4),
 * computed in the same run.
 */
import { FakeClock, isStrowgerError, type Random, seededRandom } from '../core/index.js';
import { createAcd } from './acd.js';
import { erlangA, erlangC, erlangCAsa, erlangCServiceLevel } from './erlang.js';
import { AcdError, check, isNonNegativeFinite, isPositiveFinite } from './errors.js';
import type { AcdOptions, AgentState, QueueConfig, SkillRequirement } from './types.js';

export interface SimQueue {
  id: string;
  /** Poisson arrival rate. */
  arrivalsPerHour: number;
  /** Mean talk time, ms. */
  handleMeanMs: number;
  /** 'lognormal' (default) or 'exponential' (Erlang C's assumption). */
  handleDistribution?: 'lognormal' | 'exponential';
  /** Coefficient of variation of the lognormal handle time (default 1). */
  handleCv?: number;
  /** Mean of the callers' exponential patience, ms; omit for callers who never hang up. */
  patienceMeanMs?: number;
  /** Skills each arrival needs (default: the queue's). */
  skills?: readonly SkillRequirement[];
  /** The rest of the queue's configuration (service level, wrap-up, strategy…). */
  config?: Omit<QueueConfig, 'id'>;
}

export interface SimAgentGroup {
  count: number;
  queues: readonly string[];
  skills?: Readonly<Record<string, number>>;
  /** Ids are `${prefix}${n}` (default 'agent-'). */
  prefix?: string;
}

export interface SimulationOptions {
  seed?: number;
  /** Simulated time, ms. */
  durationMs: number;
  /** Results before this time are not counted (default 10 % of the duration). */
  warmupMs?: number;
  queues: readonly SimQueue[];
  agents: readonly SimAgentGroup[];
  /** Time from offer to answer, ms (default 0). */
  answerDelayMs?: number;
  /** Options passed to createAcd (the clock and randomness are the simulation's). */
  acd?: Omit<AcdOptions, 'clock' | 'random'>;
}

/**
 * How close wait estimates announced at arrival came to the waits answered callers then
 * had, over the callers who queued (waited at least 1 s) after warm-up.
 */
export interface EwtAccuracy {
  samples: number;
  /** Median over callers of |estimate − wait| / wait: the headline figure. */
  medianRelativeError: number;
  /** Median of |estimate − wait|, ms. */
  medianAbsErrorMs: number;
  /** Mean realised wait of the same callers, ms. */
  meanRealisedWaitMs: number;
  /** medianAbsErrorMs / meanRealisedWaitMs. */
  relativeMedianAbsError: number;
  /** Mean of estimate − wait (positive: the estimate runs high), ms. */
  biasMs: number;
}

export interface SimQueueReport {
  id: string;
  arrivals: number;
  answered: number;
  abandoned: number;
  /** Answered within the threshold / (answered + abandoned after it). */
  serviceLevel: number;
  thresholdMs: number;
  asaMs: number;
  abandonRate: number;
  meanHandleMs: number;
  /** Mean wait over answered and abandoned callers, ms (Erlang A's mean wait). */
  meanWaitAllMs: number;
  /** Erlang C for the offered load and the queue's staffed agents (exact only for a single-queue setup). */
  erlangC: { traffic: number; agents: number; pWait: number; serviceLevel: number; asaMs: number };
  /** Erlang A for the same, when callers have a patience. */
  erlangA: { pAbandon: number; meanWaitMs: number; serviceLevel: number | undefined } | undefined;
  ewt: { strowger: EwtAccuracy; asteriskStyle: EwtAccuracy };
}

export interface SimulationReport {
  seed: number;
  durationMs: number;
  warmupMs: number;
  queues: SimQueueReport[];
  /** Busy (offered, talking or wrapping up) time / logged-in time over all agents after warm-up. */
  occupancy: number;
  ewt: { strowger: EwtAccuracy; asteriskStyle: EwtAccuracy };
  /** ACD events seen (a measure of the work simulated). */
  events: number;
}

interface CallRecord {
  queue: string;
  arrivedAt: number;
  ewt: number;
  asterisk: number;
  answeredAt: number | undefined;
  abandonedAt: number | undefined;
}

/** Runs a simulation to completion (synchronously) and reports. */
export function simulate(options: SimulationOptions): SimulationReport {
  check(typeof options === 'object' && options !== null, 'simulation options', 'an object');
  check(isPositiveFinite(options.durationMs), 'durationMs', 'a finite number > 0');
  const seed = options.seed ?? 1;
  const warmupMs = options.warmupMs ?? options.durationMs / 10;
  check(
    isNonNegativeFinite(warmupMs) && warmupMs < options.durationMs,
    'warmupMs',
    '>= 0 and below durationMs',
  );
  const answerDelayMs = options.answerDelayMs ?? 0;
  check(isNonNegativeFinite(answerDelayMs), 'answerDelayMs', 'a finite number >= 0');
  check(Array.isArray(options.queues) && options.queues.length > 0, 'queues', 'a non-empty array');
  check(Array.isArray(options.agents), 'agents', 'an array');

  const clock = new FakeClock();
  const rnd = seededRandom(seed);
  const acd = createAcd({ ...options.acd, clock, random: seededRandom(seed ^ 0x5eed) });
  const end = options.durationMs;
  const calls = new Map<string, CallRecord>();
  const asteriskHold = new Map<string, number>();
  const handleTimes = new Map<string, number[]>();
  let events = 0;
  let nextId = 0;

  for (const q of options.queues) {
    check(isPositiveFinite(q.arrivalsPerHour), `queues[${q.id}].arrivalsPerHour`, 'a finite number > 0');
    check(isPositiveFinite(q.handleMeanMs), `queues[${q.id}].handleMeanMs`, 'a finite number > 0');
    if (q.patienceMeanMs !== undefined)
      check(isPositiveFinite(q.patienceMeanMs), `queues[${q.id}].patienceMeanMs`, '> 0');
    acd.addQueue({ ...q.config, id: q.id });
    asteriskHold.set(q.id, 0);
    handleTimes.set(q.id, []);
  }
  let agentCount = 0;
  for (const g of options.agents) {
    check(Number.isInteger(g.count) && g.count >= 0, 'agents[].count', 'an integer >= 0');
    for (let i = 0; i < g.count; i++) {
      const id = `${g.prefix ?? 'agent-'}${agentCount++}`;
      acd.addAgent({ id, queues: g.queues, skills: g.skills });
      acd.login(id);
    }
  }

  // occupancy: time in busy states vs logged in, after warm-up
  const stateOf = new Map<string, { state: AgentState; since: number }>();
  let busyMs = 0;
  let loggedMs = 0;
  const account = (state: AgentState, from: number, to: number) => {
    const a = Math.max(from, warmupMs);
    const b = Math.min(to, end);
    if (b <= a) return;
    if (state !== 'logged-out') loggedMs += b - a;
    if (state === 'reserved' || state === 'ringing' || state === 'busy' || state === 'wrap-up')
      busyMs += b - a;
  };
  acd.on('agentState', (e) => {
    events++;
    const prev = stateOf.get(e.agentId);
    if (prev) account(prev.state, prev.since, e.at);
    stateOf.set(e.agentId, { state: e.to, since: e.at });
  });
  for (const a of acd.agents()) stateOf.set(a.id, { state: a.state, since: 0 });

  const simQueue = new Map(options.queues.map((q) => [q.id, q]));
  acd.on('offer', (e) => {
    events++;
    clock.setTimeout(() => {
      try {
        acd.answer(e.agentId, e.interactionId);
      } catch (err) {
        if (!isStrowgerError(err, 'ERR_INVALID_STATE') && !isStrowgerError(err, 'ERR_ACD')) throw err;
      }
    }, answerDelayMs);
  });
  acd.on('connected', (e) => {
    events++;
    const c = calls.get(e.interactionId);
    if (!c) return;
    c.answeredAt = e.at;
    const hold = asteriskHold.get(c.queue) as number;
    // app_queue: holdtime = ((holdtime << 2) - holdtime + newholdtime) >> 2
    asteriskHold.set(c.queue, (3 * hold + e.waitMs) / 4);
    const sq = simQueue.get(c.queue) as SimQueue;
    const talk = sampleHandle(rnd, sq);
    if (e.at >= warmupMs) (handleTimes.get(c.queue) as number[]).push(talk);
    clock.setTimeout(() => acd.hangup(e.interactionId), talk);
  });
  acd.on('ended', () => {
    events++;
  });

  for (const q of options.queues) {
    const meanGap = 3_600_000 / q.arrivalsPerHour;
    const arrive = () => {
      const id = `c${nextId++}`;
      const now = clock.now();
      const r = acd.enqueue({ id, queue: q.id, skills: q.skills });
      if (r.accepted) {
        const c: CallRecord = {
          queue: q.id,
          arrivedAt: now,
          ewt: r.ewtMs,
          asterisk: asteriskHold.get(q.id) as number,
          answeredAt: undefined,
          abandonedAt: undefined,
        };
        calls.set(id, c);
        if (q.patienceMeanMs !== undefined) {
          clock.setTimeout(
            () => {
              if (c.answeredAt !== undefined || !acd.has(id)) return;
              acd.abandon(id);
              c.abandonedAt = clock.now();
            },
            exponential(rnd, q.patienceMeanMs),
          );
        }
      }
      const gap = exponential(rnd, meanGap);
      if (now + gap < end) clock.setTimeout(arrive, gap);
    };
    clock.setTimeout(arrive, exponential(rnd, meanGap));
  }

  clock.advance(end);
  for (const [id, s] of stateOf) {
    account(s.state, s.since, end);
    stateOf.delete(id);
  }
  acd.close();

  const reports: SimQueueReport[] = [];
  const allOurs: Array<[number, number]> = [];
  const allAst: Array<[number, number]> = [];
  for (const q of options.queues) {
    const cfg = acd.queueConfig(q.id);
    const T = cfg.serviceLevel?.thresholdMs ?? 20_000;
    let arrivals = 0;
    let answered = 0;
    let abandoned = 0;
    let met = 0;
    let lateAbandon = 0;
    let waitSum = 0;
    let waitAllSum = 0;
    const ours: Array<[number, number]> = [];
    const ast: Array<[number, number]> = [];
    for (const c of calls.values()) {
      if (c.queue !== q.id || c.arrivedAt < warmupMs) continue;
      arrivals++;
      if (c.answeredAt !== undefined) {
        const w = c.answeredAt - c.arrivedAt;
        answered++;
        waitSum += w;
        waitAllSum += w;
        if (w <= T) met++;
        ours.push([c.ewt, w]);
        ast.push([c.asterisk, w]);
      } else if (c.abandonedAt !== undefined) {
        abandoned++;
        waitAllSum += c.abandonedAt - c.arrivedAt;
        if (c.abandonedAt - c.arrivedAt > T) lateAbandon++;
      }
    }
    const hts = handleTimes.get(q.id) as number[];
    const meanHandle = hts.length > 0 ? hts.reduce((s, x) => s + x, 0) / hts.length : q.handleMeanMs;
    const wrap = cfg.wrapUpMs ?? 0;
    const aht = q.handleMeanMs + wrap + answerDelayMs;
    const traffic = (q.arrivalsPerHour / 3_600_000) * aht;
    let staffed = 0;
    for (const g of options.agents) if (g.queues.includes(q.id)) staffed += g.count / g.queues.length;
    const n = Math.floor(staffed + 1e-9);
    reports.push({
      id: q.id,
      arrivals,
      answered,
      abandoned,
      serviceLevel: answered + lateAbandon > 0 ? met / (answered + lateAbandon) : 1,
      thresholdMs: T,
      asaMs: answered > 0 ? waitSum / answered : 0,
      abandonRate: answered + abandoned > 0 ? abandoned / (answered + abandoned) : 0,
      meanHandleMs: meanHandle,
      meanWaitAllMs: answered + abandoned > 0 ? waitAllSum / (answered + abandoned) : 0,
      erlangA:
        q.patienceMeanMs === undefined
          ? undefined
          : (() => {
              const r = erlangA(n, traffic, aht, q.patienceMeanMs, T);
              return { pAbandon: r.pAbandon, meanWaitMs: r.meanWait, serviceLevel: r.serviceLevel };
            })(),
      erlangC: {
        traffic,
        agents: n,
        pWait: erlangC(n, traffic),
        serviceLevel: erlangCServiceLevel(n, traffic, aht, T),
        asaMs: erlangCAsa(n, traffic, aht),
      },
      ewt: { strowger: accuracy(ours), asteriskStyle: accuracy(ast) },
    });
    allOurs.push(...ours);
    allAst.push(...ast);
  }
  return {
    seed,
    durationMs: end,
    warmupMs,
    queues: reports,
    occupancy: loggedMs > 0 ? busyMs / loggedMs : 0,
    ewt: { strowger: accuracy(allOurs), asteriskStyle: accuracy(allAst) },
    events,
  };
}

function exponential(rnd: Random, mean: number): number {
  return -mean * Math.log(1 - rnd.next());
}

function standardNormal(rnd: Random): number {
  // Box–Muller; 1 - u keeps the log finite
  const u = 1 - rnd.next();
  const v = rnd.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A lognormal sample with the given mean and coefficient of variation. */
export function lognormal(rnd: Random, mean: number, cv: number): number {
  const s2 = Math.log(1 + cv * cv);
  const mu = Math.log(mean) - s2 / 2;
  return Math.exp(mu + Math.sqrt(s2) * standardNormal(rnd));
}

function sampleHandle(rnd: Random, q: SimQueue): number {
  if (q.handleDistribution === 'exponential') return exponential(rnd, q.handleMeanMs);
  if (q.handleDistribution !== undefined && q.handleDistribution !== 'lognormal') {
    throw new AcdError(
      'ERR_INVALID_ARGUMENT',
      `queues[${q.id}].handleDistribution must be 'lognormal' or 'exponential'`,
    );
  }
  return lognormal(rnd, q.handleMeanMs, q.handleCv ?? 1);
}

function medianOf(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Accuracy of (estimate, realised wait) pairs over those who waited >= 1 s; an infinite estimate is an unbounded error. */
export function accuracy(pairs: ReadonlyArray<readonly [number, number]>): EwtAccuracy {
  const abs: number[] = [];
  const rel: number[] = [];
  let waitSum = 0;
  let bias = 0;
  for (const [est, w] of pairs) {
    if (w < 1000) continue;
    const e = Number.isFinite(est) ? est : Number.MAX_VALUE;
    abs.push(Math.abs(e - w));
    rel.push(Math.abs(e - w) / w);
    waitSum += w;
    bias += e === Number.MAX_VALUE ? 0 : e - w;
  }
  const n = abs.length;
  const meanWait = n > 0 ? waitSum / n : 0;
  const mdae = medianOf(abs);
  return {
    samples: n,
    medianRelativeError: medianOf(rel),
    medianAbsErrorMs: mdae,
    meanRealisedWaitMs: meanWait,
    relativeMedianAbsError: meanWait > 0 ? mdae / meanWait : 0,
    biasMs: n > 0 ? bias / n : 0,
  };
}
