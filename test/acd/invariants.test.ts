/**
 * State-machine fuzzing: random sequences of arrivals, abandons, callbacks, agent
 * login/logout/pause/answer/no-answer/hangup/wrap-up and time, checked after every step
 * against invariants computed from the events and read models — not from the ACD's
 * internals.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AGENT_TRANSITIONS,
  type AgentView,
  type InteractionView,
  type QueueConfig,
  type SkillRequirement,
} from '../../src/acd/index.js';
import { isStrowgerError } from '../../src/core/index.js';
import { harness } from './helpers.js';

const QUEUES: QueueConfig[] = [
  {
    id: 'q0',
    strategy: 'longest-idle',
    overflow: [{ when: { waitMs: 30_000 }, action: { type: 'queue', queue: 'q1' } }],
  },
  {
    id: 'q1',
    strategy: 'skills-based',
    skills: [{ skill: 'x', min: 3 }],
    relaxation: [
      { afterMs: 10_000, lowerMinBy: 1 },
      { afterMs: 40_000, drop: '*' },
    ],
  },
  {
    id: 'q2',
    strategy: 'ring-all',
    wrapUpMs: 3000,
    maxWaitMs: 90_000,
    offerTimeoutMs: 5000,
    dispositions: { codes: ['ok'] },
  },
  { id: 'q3', strategy: 'round-robin', priority: 1, callback: { maxAttempts: 2, retryDelayMs: 4000 } },
];
const AGENTS = [
  { id: 'A0', queues: ['q0', 'q1', 'q3'], skills: { x: 3 } },
  { id: 'A1', queues: ['q1'], skills: { x: 2 } },
  { id: 'A2', queues: ['q0', 'q2'] },
  { id: 'A3', queues: ['q2', 'q3'], maxConcurrent: 2 },
  { id: 'A4', queues: ['q0', 'q1', 'q2'], skills: { x: 1 } },
];
const CAPACITY = new Map(AGENTS.map((a) => [a.id, a.maxConcurrent ?? 1]));

type Cmd =
  | { t: 'arrive'; q: number; prio: number; skill: number | null }
  | { t: 'abandon' | 'callback' | 'remove' | 'cbResult'; pick: number; ok?: boolean }
  | {
      t: 'login' | 'logout' | 'pause' | 'unpause' | 'ring' | 'answer' | 'reject' | 'hangup' | 'wrap';
      a: number;
      force?: boolean;
    }
  | { t: 'advance'; ms: number };

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('arrive' as const),
      q: fc.nat(3),
      prio: fc.nat(2),
      skill: fc.option(fc.integer({ min: 1, max: 5 }), { nil: null }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constantFrom('abandon' as const, 'callback' as const, 'remove' as const, 'cbResult' as const),
      pick: fc.nat(20),
      ok: fc.boolean(),
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      t: fc.constantFrom(
        'login' as const,
        'logout' as const,
        'pause' as const,
        'unpause' as const,
        'ring' as const,
        'answer' as const,
        'answer' as const,
        'reject' as const,
        'hangup' as const,
        'wrap' as const,
      ),
      a: fc.nat(9),
      force: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('advance' as const),
      ms: fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 3000, max: 45_000 })),
    }),
  },
);

/** The requirement after the queue's relaxation rings, computed here from the config. */
function relaxed(q: QueueConfig, skills: SkillRequirement[], waitMs: number): SkillRequirement[] {
  let lower = 0;
  let dropAll = false;
  for (const r of [...(q.relaxation ?? [])].sort((a, b) => a.afterMs - b.afterMs)) {
    if (r.afterMs > waitMs) break;
    lower += r.lowerMinBy ?? 0;
    if (r.drop === '*') dropAll = true;
  }
  if (dropAll) return [];
  return skills.map((s) => ({ skill: s.skill, min: Math.max(1, (s.min ?? 1) - lower) }));
}

function canTakeNow(a: AgentView): boolean {
  return (
    a.state !== 'logged-out' &&
    !a.logoutPending &&
    a.pauseReason === undefined &&
    a.offer === undefined &&
    a.wrapUps.length === 0 &&
    a.load < a.capacity
  );
}

/** What the random sequences exercised, summed over all runs (so the fuzzing is known not to be vacuous). */
const coverage = {
  connected: 0,
  withdrawn: 0,
  abandoned: 0,
  callbacksDue: 0,
  overflowed: 0,
  exited: 0,
  paused: 0,
  wrapUps: 0,
};

function run(cmds: Cmd[]): void {
  const h = harness({ rejectDelayMs: 2000, maxMissedOffers: 2, tickMs: 1000 });
  for (const q of QUEUES) h.acd.addQueue(q);
  for (const a of AGENTS) h.acd.addAgent(a);
  const accepted = new Set<string>();
  const ended = new Map<string, number>();
  const lastState = new Map<string, string>(AGENTS.map((a) => [a.id, 'logged-out']));
  const announced = new Map<string, number>();
  const lastReason = new Map<string, string | undefined>();
  const outstanding = new Map<string, Map<string, { at: number; all: boolean }>>();
  const connectedTo = new Map<string, string>();
  const problems: string[] = [];
  const note = (p: string) => {
    if (problems.length < 5) problems.push(`t=${h.clock.now()}: ${p}`);
  };

  h.acd.on('agentState', (e) => {
    if (lastState.get(e.agentId) !== e.from)
      note(`${e.agentId}: transition from ${e.from}, last seen ${lastState.get(e.agentId)}`);
    if (!AGENT_TRANSITIONS[e.from].includes(e.to))
      note(`${e.agentId}: ${e.from} → ${e.to} is not in the chart`);
    if (e.to === 'reserved' && e.from !== 'reserved' && e.from !== 'available' && e.from !== 'busy') {
      note(`${e.agentId} offered while ${e.from}`);
    }
    if (e.from === e.to && lastReason.get(e.agentId) === e.pauseReason)
      note(`${e.agentId}: ${e.from} → ${e.to} with no change`);
    lastReason.set(e.agentId, e.pauseReason);
    if (e.load > (CAPACITY.get(e.agentId) as number)) note(`${e.agentId} load ${e.load} beyond capacity`);
    lastState.set(e.agentId, e.to);
  });
  h.acd.on('offer', (e) => {
    let m = outstanding.get(e.interactionId);
    if (!m) {
      m = new Map();
      outstanding.set(e.interactionId, m);
    }
    for (const o of m.values()) {
      if (!(o.all && e.offerAll && o.at === e.at))
        note(`${e.interactionId} offered to ${e.agentId} while already offered`);
    }
    if (connectedTo.has(e.interactionId)) note(`${e.interactionId} offered while connected`);
    m.set(e.agentId, { at: e.at, all: e.offerAll });
  });
  const clearOffer = (ix: string, agent: string) => outstanding.get(ix)?.delete(agent);
  h.acd.on('offerWithdrawn', (e) => clearOffer(e.interactionId, e.agentId));
  h.acd.on('connected', (e) => {
    if (connectedTo.has(e.interactionId)) note(`${e.interactionId} connected twice`);
    if (!outstanding.get(e.interactionId)?.has(e.agentId))
      note(`${e.interactionId} connected to ${e.agentId} without an offer`);
    outstanding.delete(e.interactionId);
    connectedTo.set(e.interactionId, e.agentId);
    coverage.connected++;
  });
  h.acd.on('queued', (e) => announced.set(e.interactionId, e.position));
  h.acd.on('offerWithdrawn', () => coverage.withdrawn++);
  h.acd.on('abandoned', () => coverage.abandoned++);
  h.acd.on('callbackDue', () => coverage.callbacksDue++);
  h.acd.on('overflowed', () => coverage.overflowed++);
  h.acd.on('exited', () => coverage.exited++);
  h.acd.on('agentState', (e) => {
    if (e.to === 'paused' && e.pauseReason === 'no-answer') coverage.paused++;
    if (e.to === 'wrap-up') coverage.wrapUps++;
  });
  h.acd.on('position', (e) => {
    const prev = announced.get(e.interactionId) ?? Number.POSITIVE_INFINITY;
    if (e.position >= prev) note(`${e.interactionId} position announced ${prev} then ${e.position}`);
    announced.set(e.interactionId, e.position);
  });
  h.acd.on('ended', (r) => {
    ended.set(r.id, (ended.get(r.id) ?? 0) + 1);
    if (!accepted.has(r.id)) note(`${r.id} ended but was never accepted`);
    outstanding.delete(r.id);
    connectedTo.delete(r.id);
  });

  let seq = 0;
  const agentId = (i: number) => (AGENTS[i % AGENTS.length] as { id: string }).id;
  const pickIx = (pick: number, f: (v: InteractionView) => boolean) => {
    const list = h.acd.interactions().filter(f);
    return list.length > 0 ? list[pick % list.length] : undefined;
  };
  /** Mostly an agent for which the action makes sense (so sequences make progress), sometimes any. */
  const pickAgent = (i: number, useful: (a: AgentView) => boolean) => {
    const all = h.acd.agents();
    const fit = all.filter(useful);
    return i % 5 !== 4 && fit.length > 0
      ? (fit[i % fit.length] as AgentView)
      : (all[i % all.length] as AgentView);
  };
  const tolerate = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      if (!isStrowgerError(err, 'ERR_INVALID_STATE') && !isStrowgerError(err, 'ERR_ACD')) throw err;
    }
  };

  const step = (c: Cmd) => {
    switch (c.t) {
      case 'arrive': {
        const id = `i${seq++}`;
        const r = h.acd.enqueue({
          id,
          queue: `q${c.q}`,
          priority: c.prio,
          callerId: `+1${seq}`,
          skills: c.skill ? [{ skill: 'x', min: c.skill }] : undefined,
        });
        if (r.accepted) accepted.add(id);
        return;
      }
      case 'abandon': {
        const v = pickIx(
          c.pick,
          (x) => x.kind === 'call' && (x.state === 'waiting' || x.state === 'offered'),
        );
        if (v) h.acd.abandon(v.id);
        return;
      }
      case 'remove': {
        const v = pickIx(c.pick, (x) => x.state === 'waiting' || x.state === 'parked');
        if (v) h.acd.remove(v.id);
        return;
      }
      case 'callback': {
        const v = pickIx(
          c.pick,
          (x) => x.kind === 'call' && (x.state === 'waiting' || x.state === 'offered'),
        );
        if (v) h.acd.requestCallback(v.id);
        return;
      }
      case 'cbResult': {
        const v = pickIx(c.pick, (x) => x.kind === 'callback' && x.state === 'connected');
        if (!v) return;
        const agent = v.agentId as string;
        h.acd.callbackResult(v.id, c.ok ? 'connected' : 'no-answer');
        if (!c.ok) connectedTo.delete(v.id);
        if (!c.ok && h.acd.agent(agent).interactions.includes(v.id))
          note(`${v.id} still on ${agent} after a failed callback`);
        return;
      }
      case 'login': {
        const a = h.acd.agent(agentId(c.a));
        if (a.state === 'logged-out' || a.logoutPending) h.acd.login(a.id);
        else tolerate(() => h.acd.login(a.id));
        return;
      }
      case 'logout':
        tolerate(() => h.acd.logout(agentId(c.a), { force: c.force }));
        return;
      case 'pause':
        tolerate(() => h.acd.pause(agentId(c.a), 'break'));
        return;
      case 'unpause':
        tolerate(() => h.acd.unpause(agentId(c.a)));
        return;
      case 'ring':
      case 'answer':
      case 'reject': {
        const a = pickAgent(c.a, (x) => x.offer !== undefined);
        if (!a.offer) {
          tolerate(() => h.acd.answer(a.id, 'nothing'));
          return;
        }
        const ix = a.offer.interactionId;
        if (c.t === 'ring') h.acd.ringing(a.id, ix);
        else if (c.t === 'answer') h.acd.answer(a.id, ix);
        else {
          clearOffer(ix, a.id);
          h.acd.reject(a.id, ix);
        }
        return;
      }
      case 'hangup': {
        const a = pickAgent(c.a, (x) => x.interactions.length > 0);
        const ix = a.interactions[0];
        if (ix) h.acd.hangup(ix);
        else tolerate(() => h.acd.hangup('nothing-connected'));
        return;
      }
      case 'wrap': {
        const a = pickAgent(c.a, (x) => x.wrapUps.length > 0);
        if (a.wrapUps.length > 0) h.acd.completeWrapUp(a.id, { disposition: c.force ? 'ok' : undefined });
        else tolerate(() => h.acd.completeWrapUp(a.id));
        return;
      }
      case 'advance':
        h.clock.advance(c.ms);
        return;
    }
  };

  const check = () => {
    const now = h.clock.now();
    const agents = h.acd.agents();
    const ixs = h.acd.interactions();
    const byAgent = new Map(agents.map((a) => [a.id, a]));
    for (const a of agents) {
      if (a.load > a.capacity) note(`${a.id} load ${a.load} > ${a.capacity}`);
      if (a.offer && a.state !== 'reserved' && a.state !== 'ringing')
        note(`${a.id} has an offer in state ${a.state}`);
      if (a.state !== lastState.get(a.id))
        note(`${a.id} is ${a.state} but the last event said ${lastState.get(a.id)}`);
    }
    // no interaction lost: everything accepted is either held or ended exactly once
    const held = new Set(ixs.map((v) => v.id));
    for (const id of accepted) {
      const n = ended.get(id) ?? 0;
      if (n > 1) note(`${id} ended ${n} times`);
      if (held.has(id) === (n === 1)) note(`${id} held=${held.has(id)} ended=${n}`);
    }
    for (const v of ixs) {
      if ((v.state === 'offered') !== v.offeredTo.length > 0)
        note(`${v.id} state ${v.state} with offers ${v.offeredTo}`);
      if (v.state === 'connected' && !byAgent.get(v.agentId as string)?.interactions.includes(v.id))
        note(`${v.id} connected to nobody`);
      if (v.state !== 'waiting') continue;
      // work conservation: no free agent could take a waiting interaction
      for (const qid of v.waitingIn) {
        const q = QUEUES.find((x) => x.id === qid) as QueueConfig;
        const need = relaxed(q, v.skills, now - v.enqueuedAt);
        for (const a of agents) {
          if (!canTakeNow(a) || !a.queues.includes(qid)) continue;
          if (need.every((s) => (a.skills[s.skill] ?? 0) >= (s.min ?? 1)))
            note(`${v.id} waits in ${qid} while ${a.id} is free for it`);
        }
      }
    }
  };

  for (const c of cmds) {
    step(c);
    check();
    if (problems.length > 0) break;
  }
  // drain: every agent learns every skill and joins every queue (updateAgent), then works until nothing is left
  if (problems.length === 0) {
    for (const a of AGENTS) h.acd.updateAgent(a.id, { skills: { x: 5 }, queues: QUEUES.map((q) => q.id) });
    check();
  }
  for (let round = 0; round < 400 && problems.length === 0 && h.acd.interactions().length > 0; round++) {
    for (const a of h.acd.agents()) {
      if (a.state === 'logged-out' || a.logoutPending) h.acd.login(a.id);
      const v = h.acd.agent(a.id);
      if (v.pauseReason !== undefined) h.acd.unpause(a.id);
      const w = h.acd.agent(a.id);
      if (w.offer) h.acd.answer(a.id, w.offer.interactionId);
      for (const ix of h.acd.agent(a.id).interactions) {
        if (h.acd.interaction(ix).kind === 'callback') h.acd.callbackResult(ix, 'connected');
        h.acd.hangup(ix);
      }
      for (const _ of h.acd.agent(a.id).wrapUps) h.acd.completeWrapUp(a.id, { disposition: 'ok' });
    }
    h.clock.advance(5000);
    check();
  }
  if (problems.length === 0 && h.acd.interactions().length > 0)
    note(`not drained: ${h.acd.interactions().map((v) => `${v.id}:${v.state}`)}`);
  for (const id of accepted) if (ended.get(id) !== 1) note(`${id} never ended`);
  h.acd.close();
  expect(problems).toEqual([]);
}

describe('ACD invariants under random operation sequences', () => {
  it('no invariant breaks, nothing is lost or offered twice, positions never go up', () => {
    fc.assert(
      fc.property(
        fc.array(cmdArb, { minLength: 1, maxLength: Number(process.env.ACD_FUZZ_LEN ?? 80), size: 'max' }),
        (cmds) => run(cmds),
      ),
      { numRuns: Number(process.env.ACD_FUZZ_RUNS ?? 150) },
    );
    // a failed callback coming back (callbacksDue) is too rare a chain to demand in 150 runs; callbacks.test.ts covers it
    for (const [what, n] of Object.entries(coverage))
      if (what !== 'callbacksDue') expect(n, `${what} never happened`).toBeGreaterThan(0);
  });

  it('in a FIFO setup (one priority, no overflow) the true position never rises either', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.constant('arrive'), fc.constant('abandon'), fc.constant('serve'), fc.constant('tick')),
          { maxLength: 60, size: 'max' },
        ),
        fc.nat(1000),
        (ops, salt) => {
          const h = harness({ tickMs: 1000 });
          h.acd.addQueue({ id: 'q' });
          h.acd.addAgent({ id: 'a', queues: ['q'] });
          let n = 0;
          const last = new Map<string, number>();
          ops.forEach((op, i) => {
            if (op === 'arrive') h.acd.enqueue({ id: `c${n++}`, queue: 'q' });
            else if (op === 'tick') h.clock.advance(500 + ((salt * (i + 1)) % 2000));
            else {
              const waiting = h.acd.waiting('q');
              const pick = waiting[(salt + i) % Math.max(1, waiting.length)];
              if (!pick) return;
              if (op === 'abandon') h.acd.abandon(pick.interactionId);
              else {
                h.acd.login('a');
                const offer = h.acd.agent('a').offer;
                if (offer) {
                  h.acd.answer('a', offer.interactionId);
                  h.acd.hangup(offer.interactionId);
                }
                h.acd.logout('a');
              }
            }
            for (const w of h.acd.waiting('q')) {
              expect(h.acd.position(w.interactionId)).toBe(w.position);
              expect(w.position).toBeLessThanOrEqual(last.get(w.interactionId) ?? Number.POSITIVE_INFINITY);
              last.set(w.interactionId, w.position);
            }
          });
        },
      ),
      { numRuns: 100 },
    );
  });
});
