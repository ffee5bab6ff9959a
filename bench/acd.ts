/**
 * bench/acd — routing decisions per second and decision latency of Strowger's ACD with
 * 10,000 queued interactions, 5,000 agents, 200 queues and 20 skills, beside a naive
 * scheduler (what simple PBX queues do: scan every waiting interaction for each freed
 * agent, every idle agent for each arrival) on the same workload in the same run.
 *
 * A decision = an agent hangs up and the scheduler picks the next interaction for it
 * (including Strowger's bookkeeping and event delivery), or an interaction arrives and
 * the scheduler looks for a free agent. The backlog is kept at 10,000 by one arrival per
 * freed agent. RESULT value: Strowger's p99 decision latency in ms (lower is better).
 */
import { createAcd } from '../src/acd/index.js';
import { FakeClock, type Random, seededRandom } from '../src/core/index.js';
import { median, percentile, printResult } from './lib/stats.js';

const SKILLS = 20;
const QUEUES = 200;
const AGENTS = 5000;
const WAITING = 10_000;
const WARMUP = 2000;
const DECISIONS = Number(process.env.ACD_BENCH_DECISIONS ?? 6000);

interface Req {
  skill: number;
  min: number;
}
interface QueueSpec {
  id: string;
  priority: number;
  req: Req[];
}
interface AgentSpec {
  id: string;
  queues: number[];
  prof: number[];
}
interface IxSpec {
  queue: number;
  priority: number;
  extra: Req | null;
}

function distinct(rng: Random, n: number, max: number): number[] {
  const out = new Set<number>();
  while (out.size < n) out.add(rng.int(max));
  return [...out];
}

function buildWorkload(seed: number) {
  const rng = seededRandom(seed);
  const queues: QueueSpec[] = [];
  for (let q = 0; q < QUEUES; q++) {
    const req = distinct(rng, 1 + rng.int(2), SKILLS).map((skill) => ({ skill, min: 1 + rng.int(3) }));
    queues.push({ id: `q${q}`, priority: rng.int(10) === 0 ? 1 : 0, req });
  }
  const agents: AgentSpec[] = [];
  for (let a = 0; a < AGENTS; a++) {
    const qs = distinct(rng, 3, QUEUES);
    const prof = new Array<number>(SKILLS).fill(0);
    for (const q of qs)
      for (const r of (queues[q] as QueueSpec).req)
        prof[r.skill] = Math.max(prof[r.skill] as number, r.min + rng.int(6 - r.min));
    for (const s of distinct(rng, 2, SKILLS)) prof[s] = Math.max(prof[s] as number, 1 + rng.int(5));
    agents.push({ id: `a${a}`, queues: qs, prof });
  }
  const nextIx = (): IxSpec => ({
    queue: rng.int(QUEUES),
    priority: rng.int(3) === 0 ? 1 : 0,
    extra: rng.int(5) === 0 ? { skill: rng.int(SKILLS), min: 1 + rng.int(2) } : null,
  });
  return { queues, agents, nextIx, rng };
}

interface Result {
  decisions: number[];
  arrivals: number[];
  totalMs: number;
  idleAtEnd: number;
}

/** Strowger: the real ACD on a fake clock, with an `offer` listener like a switch would have. */
function runStrowger(seed: number): Result {
  const { queues, agents, nextIx, rng } = buildWorkload(seed);
  const clock = new FakeClock();
  const acd = createAcd({ clock, random: seededRandom(seed), tickMs: 60_000 });
  for (const [i, q] of queues.entries()) {
    acd.addQueue({
      id: q.id,
      priority: q.priority,
      strategy: i % 4 === 0 ? 'skills-based' : 'longest-idle',
      skills: q.req.map((r) => ({ skill: `s${r.skill}`, min: r.min })),
      relaxation: i % 5 === 0 ? [{ afterMs: 30_000, lowerMinBy: 1 }] : undefined,
      offerTimeoutMs: 600_000,
    });
  }
  const skillsOf = (a: AgentSpec) => {
    const out: Record<string, number> = {};
    a.prof.forEach((p, s) => {
      if (p > 0) out[`s${s}`] = p;
    });
    return out;
  };
  for (const a of agents) {
    acd.addAgent({ id: a.id, queues: a.queues.map((q) => `q${q}`), skills: skillsOf(a) });
  }
  let pending: { agentId: string; interactionId: string } | null = null;
  acd.on('offer', (o) => {
    pending = { agentId: o.agentId, interactionId: o.interactionId };
  });
  const busy: Array<{ agent: string; ix: string }> = [];
  let n = 0;
  const enqueue = () => {
    const s = nextIx();
    const q = queues[s.queue] as QueueSpec;
    const id = `i${n++}`;
    const skills = s.extra
      ? [...q.req.filter((r) => r.skill !== s.extra?.skill), s.extra].map((r) => ({
          skill: `s${r.skill}`,
          min: r.min,
        }))
      : undefined;
    pending = null;
    acd.enqueue({ id, queue: q.id, priority: s.priority, skills });
    if (pending) {
      const p = pending as { agentId: string; interactionId: string };
      acd.answer(p.agentId, p.interactionId);
      busy.push({ agent: p.agentId, ix: p.interactionId });
    }
  };
  for (const a of agents) acd.login(a.id);
  // fill every agent, then the backlog
  while (busy.length < AGENTS && n < AGENTS * 3) enqueue();
  while (n - busy.length < WAITING) enqueue();
  const waitingAtStart = countWaiting(acd);
  const decisions: number[] = [];
  const arrivals: number[] = [];
  let total = 0;
  for (let i = 0; i < WARMUP + DECISIONS; i++) {
    clock.advance(10);
    // an agent hangs up: the scheduler picks its next interaction
    const k = rng.int(busy.length);
    const slot = busy[k] as { agent: string; ix: string };
    busy[k] = busy[busy.length - 1] as { agent: string; ix: string };
    busy.pop();
    pending = null;
    const t0 = process.hrtime.bigint();
    acd.hangup(slot.ix);
    const t1 = process.hrtime.bigint();
    if (pending) {
      const p = pending as { agentId: string; interactionId: string };
      acd.answer(p.agentId, p.interactionId);
      busy.push({ agent: p.agentId, ix: p.interactionId });
    }
    // one arrival keeps the backlog steady
    const t2 = process.hrtime.bigint();
    enqueue();
    const t3 = process.hrtime.bigint();
    if (i >= WARMUP) {
      decisions.push(Number(t1 - t0) / 1e6);
      arrivals.push(Number(t3 - t2) / 1e6);
      total += Number(t1 - t0) / 1e6 + Number(t3 - t2) / 1e6;
    }
  }
  const idleAtEnd = acd.agents().filter((a) => a.state === 'available').length;
  const waitingAtEnd = countWaiting(acd);
  acd.close();
  if (waitingAtStart !== WAITING || Math.abs(waitingAtEnd - WAITING) > AGENTS) {
    throw new Error(`backlog drifted: ${waitingAtStart} → ${waitingAtEnd}`);
  }
  return { decisions, arrivals, totalMs: total, idleAtEnd };
}

function countWaiting(acd: ReturnType<typeof createAcd>): number {
  let w = 0;
  for (const q of acd.queues()) w += acd.queueStats(q).waiting;
  return w;
}

/** The naive scheduler: arrays, and a full scan per decision. */
function runNaive(seed: number): Result {
  const { queues, agents, nextIx, rng } = buildWorkload(seed);
  interface W {
    id: number;
    queue: number;
    priority: number;
    at: number;
    req: Req[];
  }
  const member = agents.map((a) => new Set(a.queues));
  const waiting: W[] = [];
  const idle = new Set<number>();
  const busy: number[] = [];
  let n = 0;
  let now = 0;
  const eligible = (a: number, w: W) => {
    if (!(member[a] as Set<number>).has(w.queue)) return false;
    const prof = (agents[a] as AgentSpec).prof;
    for (const r of w.req) if ((prof[r.skill] as number) < r.min) return false;
    return true;
  };
  const arrive = () => {
    const s = nextIx();
    const q = queues[s.queue] as QueueSpec;
    const req = s.extra ? [...q.req.filter((r) => r.skill !== s.extra?.skill), s.extra] : q.req;
    const w: W = { id: n++, queue: s.queue, priority: q.priority + s.priority, at: now, req };
    for (const a of idle) {
      if (eligible(a, w)) {
        idle.delete(a);
        busy.push(a);
        return;
      }
    }
    waiting.push(w);
  };
  const free = (a: number) => {
    let best = -1;
    for (let i = 0; i < waiting.length; i++) {
      const w = waiting[i] as W;
      if (!eligible(a, w)) continue;
      if (best < 0) best = i;
      else {
        const b = waiting[best] as W;
        if (w.priority > b.priority || (w.priority === b.priority && w.at < b.at)) best = i;
      }
    }
    if (best < 0) {
      idle.add(a);
      return;
    }
    waiting[best] = waiting[waiting.length - 1] as W;
    waiting.pop();
    busy.push(a);
  };
  for (let a = 0; a < AGENTS; a++) idle.add(a);
  while (busy.length < AGENTS && n < AGENTS * 3) arrive();
  while (waiting.length < WAITING) arrive();
  const decisions: number[] = [];
  const arrivals: number[] = [];
  let total = 0;
  for (let i = 0; i < WARMUP + DECISIONS; i++) {
    now += 10;
    const k = rng.int(busy.length);
    const a = busy[k] as number;
    busy[k] = busy[busy.length - 1] as number;
    busy.pop();
    const t0 = process.hrtime.bigint();
    free(a);
    const t1 = process.hrtime.bigint();
    arrive();
    const t2 = process.hrtime.bigint();
    if (i >= WARMUP) {
      decisions.push(Number(t1 - t0) / 1e6);
      arrivals.push(Number(t2 - t1) / 1e6);
      total += Number(t2 - t0) / 1e6;
    }
  }
  return { decisions, arrivals, totalMs: total, idleAtEnd: idle.size };
}

function summary(name: string, r: Result) {
  const all = [...r.decisions, ...r.arrivals];
  const rate = (all.length / r.totalMs) * 1000;
  const line = (label: string, xs: number[]) =>
    `${label} p50 ${(median(xs) * 1000).toFixed(1)} µs  p99 ${(percentile(xs, 99) * 1000).toFixed(1)} µs  max ${(Math.max(...xs) * 1000).toFixed(0)} µs`;
  process.stdout.write(
    `${name.padEnd(9)} ${rate.toFixed(0).padStart(8)} decisions/s | agent freed: ${line('', r.decisions)} | arrival: ${line('', r.arrivals)} | idle agents at end ${r.idleAtEnd}\n`,
  );
  return { rate, p50: median(all), p99: percentile(all, 99), p99Freed: percentile(r.decisions, 99) };
}

process.stdout.write(
  `workload: ${WAITING} queued, ${AGENTS} agents, ${QUEUES} queues, ${SKILLS} skills; ${DECISIONS} agent-freed + ${DECISIONS} arrival decisions after ${WARMUP} warm-up, 3 rounds alternating\n`,
);
const ours: Array<ReturnType<typeof summary>> = [];
const naive: Array<ReturnType<typeof summary>> = [];
for (let round = 0; round < 3; round++) {
  ours.push(summary('strowger', runStrowger(100 + round)));
  naive.push(summary('naive', runNaive(100 + round)));
}
const p99 = median(ours.map((r) => r.p99));
const peerP99 = median(naive.map((r) => r.p99));
const rate = median(ours.map((r) => r.rate));
const peerRate = median(naive.map((r) => r.rate));
process.stdout.write(
  `median of rounds: strowger ${rate.toFixed(0)} decisions/s, p50 ${(median(ours.map((r) => r.p50)) * 1000).toFixed(1)} µs, p99 ${(p99 * 1000).toFixed(1)} µs | naive ${peerRate.toFixed(0)} decisions/s, p99 ${(peerP99 * 1000).toFixed(1)} µs | throughput ×${(rate / peerRate).toFixed(1)}\n`,
);
printResult({
  name: 'acd-decision-p99',
  value: Number(p99.toFixed(4)),
  unit: 'ms (p99 decision latency, lower is better)',
  peer: 'naive scan scheduler',
  peerValue: Number(peerP99.toFixed(4)),
  ratio: Number((p99 / peerP99).toFixed(4)),
  decisionsPerSecond: Math.round(rate),
  peerDecisionsPerSecond: Math.round(peerRate),
  target: 'p99 < 1 ms',
});
