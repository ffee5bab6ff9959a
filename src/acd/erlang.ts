/**
 * Queueing formulas for staffing and wait estimates.
 *
 * Erlang C models M/M/N: Poisson arrivals, exponential handle times, N agents, callers who
 * never hang up. Erlang A (Palm's M/M/N+M) adds exponentially distributed patience, so
 * callers abandon. Time units are whatever the caller uses consistently (seconds or ms):
 * `aht`, `threshold`, `patience` and the returned waits share one unit. `traffic` is the
 * offered load in erlangs (arrival rate × mean handle time).
 *
 * Golden values (48 erlangs, AHT 240 s): 50 agents → P(wait) 0.694, ASA 83.3 s,
 * SL(15 s) 38.7 %; 55 agents → 0.239, 8.2 s, 84.6 %.
 */
import { AcdError } from './errors.js';

function checkLoad(agents: number, traffic: number): void {
  if (!(Number.isInteger(agents) && agents >= 0)) {
    throw new AcdError('ERR_INVALID_ARGUMENT', `agents must be an integer >= 0 (got ${agents})`);
  }
  if (!(Number.isFinite(traffic) && traffic >= 0)) {
    throw new AcdError(
      'ERR_INVALID_ARGUMENT',
      `traffic must be a finite number of erlangs >= 0 (got ${traffic})`,
    );
  }
}

function checkPositive(x: number, name: string): void {
  if (!(Number.isFinite(x) && x > 0))
    throw new AcdError('ERR_INVALID_ARGUMENT', `${name} must be > 0 (got ${x})`);
}

/** Erlang B: probability that an arrival finds all `agents` busy in a loss system (M/M/N/N). */
export function erlangB(agents: number, traffic: number): number {
  checkLoad(agents, traffic);
  // B(0) = 1; B(n) = A·B(n−1) / (n + A·B(n−1)) — stable for any size
  let b = 1;
  for (let n = 1; n <= agents; n++) b = (traffic * b) / (n + traffic * b);
  return b;
}

/** Erlang C: probability that an arrival has to wait (M/M/N). 1 when `agents <= traffic` (unstable). */
export function erlangC(agents: number, traffic: number): number {
  checkLoad(agents, traffic);
  if (agents <= traffic) return 1;
  if (traffic === 0) return 0;
  const b = erlangB(agents, traffic);
  return (agents * b) / (agents - traffic * (1 - b));
}

/** Average speed of answer (mean wait over all arrivals) for M/M/N; Infinity when unstable. */
export function erlangCAsa(agents: number, traffic: number, aht: number): number {
  checkPositive(aht, 'aht');
  if (agents <= traffic) return Number.POSITIVE_INFINITY;
  return (erlangC(agents, traffic) * aht) / (agents - traffic);
}

/** Service level: probability that an arrival waits at most `threshold` (M/M/N). */
export function erlangCServiceLevel(agents: number, traffic: number, aht: number, threshold: number): number {
  checkPositive(aht, 'aht');
  if (!(Number.isFinite(threshold) && threshold >= 0)) {
    throw new AcdError('ERR_INVALID_ARGUMENT', `threshold must be >= 0 (got ${threshold})`);
  }
  if (agents <= traffic) return 0;
  return 1 - erlangC(agents, traffic) * Math.exp((-(agents - traffic) * threshold) / aht);
}

export interface AgentsNeededOptions {
  /** Offered load in erlangs. */
  traffic: number;
  /** Mean handle time. */
  aht: number;
  /** Service-level threshold (same unit as aht), e.g. 20 s. */
  threshold: number;
  /** Service-level target in (0, 1), e.g. 0.8. */
  target: number;
  /** Optional ceiling on occupancy (traffic / agents), e.g. 0.85. */
  maxOccupancy?: number;
  /** Optional ceiling on ASA (same unit as aht). */
  maxAsa?: number;
}

/** Smallest number of agents meeting the service-level target (and the optional ceilings). */
export function erlangCAgentsNeeded(options: AgentsNeededOptions): number {
  const { traffic, aht, threshold, target } = options;
  checkLoad(0, traffic);
  checkPositive(aht, 'aht');
  if (!(target > 0 && target < 1))
    throw new AcdError('ERR_INVALID_ARGUMENT', `target must be in (0, 1) (got ${target})`);
  const maxOcc = options.maxOccupancy ?? 1;
  if (!(maxOcc > 0 && maxOcc <= 1))
    throw new AcdError('ERR_INVALID_ARGUMENT', 'maxOccupancy must be in (0, 1]');
  let n = Math.max(1, Math.floor(traffic) + 1);
  for (; ; n++) {
    if (traffic / n > maxOcc) continue;
    if (erlangCServiceLevel(n, traffic, aht, threshold) < target) continue;
    if (options.maxAsa !== undefined && erlangCAsa(n, traffic, aht) > options.maxAsa) continue;
    return n;
  }
}

export interface ErlangAResult {
  /** Probability that an arrival has to wait. */
  pWait: number;
  /** Probability that an arrival abandons. */
  pAbandon: number;
  /** Mean number of callers waiting. */
  meanQueueLength: number;
  /** Mean wait over all arrivals (served and abandoned), by Little's law. */
  meanWait: number;
  /** Probability that an arrival is answered within `threshold` (when one was given). */
  serviceLevel: number | undefined;
}

/**
 * Erlang A (M/M/N+M): `patience` is the mean time a caller is willing to wait. Computed
 * from the birth–death chain's stationary distribution (truncated where the tail is below
 * 1e-14); the service level by uniformization of the chain a waiting caller sees.
 */
export function erlangA(
  agents: number,
  traffic: number,
  aht: number,
  patience: number,
  threshold?: number,
): ErlangAResult {
  checkLoad(agents, traffic);
  checkPositive(aht, 'aht');
  checkPositive(patience, 'patience');
  const mu = 1 / aht;
  const theta = 1 / patience;
  const lambda = traffic * mu;
  // log-weights of states 0..N (Poisson-like) then the queue tail
  const logw: number[] = [0];
  for (let n = 1; n <= agents; n++) logw.push((logw[n - 1] as number) + Math.log(traffic / n));
  let maxLog = Math.max(...logw);
  for (let j = 1; ; j++) {
    const prev = logw[agents + j - 1] as number;
    const next = prev + Math.log(lambda / (agents * mu + j * theta));
    logw.push(next);
    if (next > maxLog) maxLog = next;
    if (next < maxLog - 33 && j > 10) break; // e^-33 ≈ 5e-15
    if (j > 1_000_000) break;
  }
  let z = 0;
  const p = logw.map((l) => {
    const v = Math.exp(l - maxLog);
    z += v;
    return v;
  });
  for (let i = 0; i < p.length; i++) p[i] = (p[i] as number) / z;
  let pWait = 0;
  let lq = 0;
  for (let n = agents; n < p.length; n++) {
    pWait += p[n] as number;
    lq += (n - agents) * (p[n] as number);
  }
  if (agents === 0) pWait = 1;
  const pAbandon = lambda > 0 ? (theta * lq) / lambda : 0;
  const meanWait = lambda > 0 ? lq / lambda : 0;
  let serviceLevel: number | undefined;
  if (threshold !== undefined) {
    if (!(threshold >= 0)) throw new AcdError('ERR_INVALID_ARGUMENT', 'threshold must be >= 0');
    serviceLevel = erlangAServiceLevel(agents, mu, theta, threshold, p);
  }
  return { pWait, pAbandon, meanQueueLength: lq, meanWait, serviceLevel };
}

/**
 * P(answered within t) for an arrival that sees state n (PASTA): with k = n − N callers ahead
 * the caller moves through stages k, k−1, …, 0 at rates Nμ + iθ and is answered on leaving
 * stage 0, unless their own patience (rate θ) runs out first.
 */
function erlangAServiceLevel(agents: number, mu: number, theta: number, t: number, p: number[]): number {
  if (agents === 0) return 0;
  let sl = 0;
  for (let n = 0; n < agents && n < p.length; n++) sl += p[n] as number;
  const maxK = p.length - agents;
  if (maxK <= 0) return sl;
  // uniformization over stages 0..maxK-1 plus absorbing "answered" and "abandoned"
  const rate = (i: number) => agents * mu + i * theta;
  const uni = rate(maxK - 1) + theta;
  const lt = uni * t;
  // probability mass per stage, one vector per start is too much: run the chain backwards —
  // h_m[i] = P(answered within m uniformized jumps | stage i)
  let h = new Float64Array(maxK);
  let hNext = new Float64Array(maxK);
  // Poisson weights of the number of jumps by time t
  let pois = Math.exp(-lt);
  let cumPois = pois;
  // answered within t = Σ_m Pois(m; lt) · h_m  (h_0 = 0)
  const acc = new Float64Array(maxK);
  const mMax = Math.ceil(lt + 10 * Math.sqrt(lt + 1) + 20);
  for (let m = 1; m <= mMax; m++) {
    pois *= lt / m;
    cumPois += pois;
    for (let i = 0; i < maxK; i++) {
      const down = rate(i) / uni;
      const stay = 1 - down - theta / uni;
      const onDown = i === 0 ? 1 : (h[i - 1] as number);
      hNext[i] = down * onDown + stay * (h[i] as number);
    }
    const swap = h;
    h = hNext;
    hNext = swap;
    for (let i = 0; i < maxK; i++) acc[i] = (acc[i] as number) + pois * (h[i] as number);
    if (1 - cumPois < 1e-13) break;
  }
  // acc[i] sums Pois(m)·h_m where h_m is P(absorbed within m jumps): that is P(absorbed by t)
  for (let k = 0; k < maxK; k++) sl += (p[agents + k] as number) * (acc[k] as number);
  return sl;
}

/**
 * Expected time until a caller at `position` (1 = next) is answered when every one of
 * `agents` agents is busy: the caller waits for `position` departures, each stage running
 * at rate N/aht plus the abandon rate of the callers still ahead (Erlang A's conditional
 * wait). With `patience` = Infinity it is `position · aht / N` (Erlang C's).
 */
export function conditionalWait(
  position: number,
  agents: number,
  aht: number,
  patience = Number.POSITIVE_INFINITY,
): number {
  if (!(agents > 0)) return Number.POSITIVE_INFINITY;
  const base = agents / aht;
  const theta = patience === Number.POSITIVE_INFINITY ? 0 : 1 / patience;
  if (theta === 0) return position / base;
  if (position <= 32) {
    let w = 0;
    for (let i = 0; i < position; i++) w += 1 / (base + i * theta);
    return w;
  }
  // Σ_{i<k} 1/(b + iθ) = (ψ(b/θ + k) − ψ(b/θ)) / θ
  const a = base / theta;
  return (digamma(a + position) - digamma(a)) / theta;
}

/** The digamma function ψ(x) for x > 0 (recurrence up to 8, then the asymptotic series). */
export function digamma(x: number): number {
  let r = 0;
  while (x < 8) {
    r -= 1 / x;
    x += 1;
  }
  const f = 1 / (x * x);
  return (
    r + Math.log(x) - 0.5 / x - f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f * (1 / 132)))))
  );
}
