/**
 * Built-in routing strategies. Each is a plain function (interaction, candidates,
 * context) → ranking, best first. The ACD has already filtered the candidates: every one
 * is logged in, unpaused, free, a member of the queue (or added by an overflow rule) and
 * has the skills the interaction needs at its current relaxation ring.
 */
import type { AgentCandidate, Strategy, StrategyContext, StrategyDefinition } from './types.js';

const byIdle = (a: AgentCandidate, b: AgentCandidate) => a.idleSince - b.idleSince || cmpId(a, b);

function cmpId(a: AgentCandidate, b: AgentCandidate): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Every free agent rings at once (ordered longest-idle first); the first to answer wins. */
export const ringAll: Strategy = (_ix, candidates) => candidates.sort(byIdle);

/** The agent free the longest (since their last interaction ended, login or unpause). */
export const longestIdle: Strategy = (_ix, candidates) => candidates.sort(byIdle);

/**
 * Round-robin with memory: the next agent in queue order after the one offered last
 * in this queue, wrapping around; remembers its place across decisions.
 */
export const roundRobin: Strategy = (_ix, candidates, ctx) => {
  const last = typeof ctx.memory.last === 'number' ? ctx.memory.last : Number.NEGATIVE_INFINITY;
  const key = (a: AgentCandidate) => {
    const o = ctx.order(a);
    return o > last ? o : o + 1e12; // those after `last` first, then wrap around
  };
  candidates.sort((a, b) => key(a) - key(b) || cmpId(a, b));
  const first = candidates[0];
  if (first) ctx.memory.last = ctx.order(first);
  return candidates;
};

/** The agent who answered the fewest interactions since login (ties: longest idle). */
export const fewestCalls: Strategy = (_ix, candidates) =>
  candidates.sort((a, b) => a.handled - b.handled || byIdle(a, b));

/** The agent with the least talk time since login (ties: longest idle). */
export const leastTalkTime: Strategy = (_ix, candidates) =>
  candidates.sort((a, b) => a.talkTimeMs - b.talkTimeMs || byIdle(a, b));

/** Linear / top-down hunting: always the first free agent in queue order. */
export const linear: Strategy = (_ix, candidates, ctx) =>
  candidates.sort((a, b) => ctx.order(a) - ctx.order(b) || cmpId(a, b));

/** A uniformly random order (Fisher–Yates with the ACD's injected Random). */
export const random: Strategy = (_ix, candidates, ctx) => {
  for (let i = candidates.length - 1; i > 0; i--) {
    const j = ctx.random.int(i + 1);
    const t = candidates[i] as AgentCandidate;
    candidates[i] = candidates[j] as AgentCandidate;
    candidates[j] = t;
  }
  return candidates;
};

/**
 * Weighted random order: agent i comes first with probability w_i / Σw (weighted sampling
 * without replacement by Efraimidis–Spirakis keys u^(1/w)). Weight 0 ranks last.
 */
export const weightedRandom: Strategy = (_ix, candidates, ctx) => {
  const keys = new Map<AgentCandidate, number>();
  for (const a of candidates) {
    const w = ctx.weight(a);
    keys.set(a, w > 0 ? ctx.random.next() ** (1 / w) : -1);
  }
  return candidates.sort((a, b) => (keys.get(b) as number) - (keys.get(a) as number));
};

/** Sum of the agent's proficiency over the skills the interaction needs now. */
export function skillScore(agent: AgentCandidate, ctx: StrategyContext): number {
  let s = 0;
  for (const r of ctx.requirement) s += agent.proficiency(r.skill);
  return s;
}

/**
 * Skills-based: the best-matching agent first — highest total proficiency over the
 * required skills, ties to the longest idle. Pair it with `relaxation` rings on the
 * queue (bullseye routing) to widen the pool as the caller waits.
 */
export const skillsBased: Strategy = (_ix, candidates, ctx) =>
  candidates.sort((a, b) => skillScore(b, ctx) - skillScore(a, ctx) || byIdle(a, b));

export type BuiltInStrategyName =
  | 'ring-all'
  | 'longest-idle'
  | 'round-robin'
  | 'fewest-calls'
  | 'least-talk-time'
  | 'linear'
  | 'random'
  | 'weighted-random'
  | 'skills-based';

/** The built-in strategies by name. */
export const BUILT_IN_STRATEGIES: Readonly<Record<BuiltInStrategyName, StrategyDefinition>> = Object.freeze({
  'ring-all': { rank: ringAll, offerAll: true },
  'longest-idle': { rank: longestIdle },
  'round-robin': { rank: roundRobin },
  'fewest-calls': { rank: fewestCalls },
  'least-talk-time': { rank: leastTalkTime },
  linear: { rank: linear },
  random: { rank: random },
  'weighted-random': { rank: weightedRandom },
  'skills-based': { rank: skillsBased },
});
