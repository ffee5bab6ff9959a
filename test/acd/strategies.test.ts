import { describe, expect, it } from 'vitest';
import { BUILT_IN_STRATEGIES, type Strategy } from '../../src/acd/index.js';
import { expectCode, harness } from './helpers.js';

/** Three agents: order c, a, b in the queue; logged in a, b, c (so a has been idle longest). */
function setup(strategy: string, extra: { weights?: Record<string, number> } = {}) {
  const h = harness();
  h.acd.addQueue({ id: 'q', strategy, skills: [{ skill: 'en', min: 1 }] });
  const order: Record<string, number> = { c: 0, a: 1, b: 2 };
  const prof: Record<string, number> = { a: 2, b: 5, c: 3 };
  for (const id of ['a', 'b', 'c']) {
    h.acd.addAgent({
      id,
      queues: [{ queue: 'q', order: order[id], weight: extra.weights?.[id] }],
      skills: { en: prof[id] as number },
    });
  }
  h.acd.addAgent({ id: 'x', queues: ['q'] }); // no skill: never eligible
  for (const id of ['a', 'b', 'c', 'x']) {
    h.acd.login(id);
    h.clock.advance(10);
  }
  let n = 0;
  /** One call answered and hung up at once by whoever was offered it; returns that agent. */
  const call = (talkMs = 0): string => {
    const id = `c${n++}`;
    h.acd.enqueue({ id, queue: 'q' });
    const offer = h.of('offer').at(-1);
    if (!offer || offer.interactionId !== id) return '-';
    h.acd.answer(offer.agentId, id);
    h.clock.advance(talkMs);
    h.acd.hangup(id);
    h.clock.advance(10);
    return offer.agentId;
  };
  return { h, call };
}

describe('strategy contract (every built-in)', () => {
  for (const name of Object.keys(BUILT_IN_STRATEGIES)) {
    it(`${name}: offers only free, eligible agents, never twice at once, and every call is answered`, () => {
      const { h, call } = setup(name);
      const picked = new Set<string>();
      for (let i = 0; i < 12; i++) picked.add(call(i * 100));
      expect([...picked].every((a) => ['a', 'b', 'c'].includes(a))).toBe(true);
      h.acd.pause('b');
      h.acd.pause('c');
      expect(call()).toBe('a');
      h.acd.pause('a');
      h.acd.enqueue({ id: 'late', queue: 'q' });
      expect(h.of('offer').at(-1)?.interactionId).not.toBe('late');
      expect(h.of('ended').every((r) => r.outcome === 'completed')).toBe(true);
    });
  }
});

describe('built-in strategies', () => {
  it('ring-all rings every free agent; the first to answer wins and the others are withdrawn without a miss', () => {
    const { h } = setup('ring-all');
    h.acd.enqueue({ id: 'c1', queue: 'q' });
    expect(h.offers().sort()).toEqual(['c1@a', 'c1@b', 'c1@c']);
    expect(h.of('offer').every((o) => o.offerAll)).toBe(true);
    h.acd.answer('b', 'c1');
    expect(
      h
        .of('offerWithdrawn')
        .map((w) => [w.agentId, w.reason])
        .sort(),
    ).toEqual([
      ['a', 'answered-elsewhere'],
      ['c', 'answered-elsewhere'],
    ]);
    expect(h.acd.agent('a')).toMatchObject({ state: 'available', missed: 0 });
    expect(h.acd.interaction('c1')).toMatchObject({ state: 'connected', agentId: 'b' });
  });

  it('longest-idle picks the agent free the longest', () => {
    const { call } = setup('longest-idle');
    expect([call(), call(), call(), call()]).toEqual(['a', 'b', 'c', 'a']);
  });

  it('round-robin follows queue order with memory, not idle time', () => {
    const { h, call } = setup('round-robin');
    expect([call(), call(), call(), call()]).toEqual(['c', 'a', 'b', 'c']);
    h.acd.pause('a');
    expect([call(), call()]).toEqual(['b', 'c']); // skips the paused agent, keeps its place
  });

  it('linear always hunts from the top of the queue order', () => {
    const { h, call } = setup('linear');
    expect([call(), call(), call()]).toEqual(['c', 'c', 'c']);
    h.acd.enqueue({ id: 'held', queue: 'q' });
    expect(h.of('offer').at(-1)?.agentId).toBe('c');
    expect(call()).toBe('a');
  });

  it('fewest-calls prefers the agent who answered fewest since login', () => {
    const { h, call } = setup('fewest-calls');
    h.acd.pause('b');
    h.acd.pause('c');
    call();
    call();
    h.acd.unpause('c');
    expect(call()).toBe('c');
    h.acd.unpause('b');
    expect([call(), call()]).toEqual(['b', 'c']); // b catches up with c; the tie goes to the longer idle
  });

  it('least-talk-time prefers the agent with the least talk time since login', () => {
    const { h, call } = setup('least-talk-time');
    h.acd.pause('b');
    h.acd.pause('c');
    expect(call(60_000)).toBe('a');
    h.acd.unpause('c');
    expect(call(10_000)).toBe('c');
    h.acd.unpause('b');
    expect([call(5_000), call(6_000), call()]).toEqual(['b', 'b', 'c']); // b: 0 → 5 → 11 s, past c's 10 s
  });

  it('skills-based prefers the most proficient agent', () => {
    const { call } = setup('skills-based');
    expect([call(), call(), call()]).toEqual(['b', 'b', 'b']);
  });

  it('random spreads calls over the free agents (seeded)', () => {
    const { call } = setup('random');
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 300; i++) {
      const who = call();
      counts[who] = (counts[who] ?? 0) + 1;
    }
    for (const k of ['a', 'b', 'c']) expect(counts[k]).toBeGreaterThan(60);
  });

  it('weighted random follows the weights (seeded)', () => {
    const { call } = setup('weighted-random', { weights: { a: 1, b: 3, c: 0 } });
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 400; i++) {
      const who = call();
      counts[who] = (counts[who] ?? 0) + 1;
    }
    expect(counts.c).toBe(0);
    expect((counts.b as number) / 400).toBeGreaterThan(0.65);
    expect((counts.b as number) / 400).toBeLessThan(0.85);
  });
});

describe('custom strategies', () => {
  it('a registered function ranks agents; an agent it leaves out is never offered', () => {
    const h = harness();
    const seniorsForVip: Strategy = (ix, candidates, ctx) =>
      candidates
        .filter((a) => !ix.attributes.vip || a.proficiency('senior') > 0)
        .sort((a, b) => ctx.order(a) - ctx.order(b));
    h.acd.registerStrategy('vip', seniorsForVip);
    expect(h.acd.strategies()).toContain('vip');
    h.acd.addQueue({ id: 'q', strategy: 'vip' });
    h.acd.addAgent({ id: 'junior', queues: ['q'] });
    h.acd.addAgent({ id: 'senior', queues: ['q'], skills: { senior: 1 } });
    h.acd.login('junior');
    h.acd.enqueue({ id: 'v', queue: 'q', attributes: { vip: true } });
    expect(h.offers()).toEqual([]);
    h.acd.enqueue({ id: 'n', queue: 'q' });
    expect(h.offers()).toEqual(['n@junior']);
    h.acd.answer('junior', 'n');
    h.acd.hangup('n');
    expect(h.offers()).toEqual(['n@junior']); // freed junior is still refused the VIP
    h.acd.login('senior');
    expect(h.offers()).toEqual(['n@junior', 'v@senior']);
  });

  it('a queue may take a strategy function directly, and strategies may be passed at creation', () => {
    const h = harness({ strategies: { last: (_ix, c) => [...c].reverse() } });
    h.acd.addQueue({ id: 'q1', strategy: 'last' });
    h.acd.addQueue({ id: 'q2', strategy: (_ix, c) => c.filter((a) => a.id === 'b') });
    h.acd.addAgent({ id: 'a', queues: ['q1', 'q2'] });
    h.acd.addAgent({ id: 'b', queues: ['q1', 'q2'] });
    h.acd.login('a');
    h.acd.login('b');
    h.acd.enqueue({ id: 'c1', queue: 'q2' });
    h.acd.enqueue({ id: 'c2', queue: 'q1' });
    expect(h.offers()).toEqual(['c1@b', 'c2@a']);
    expectCode(() => h.acd.registerStrategy('', (_i, c) => c), 'ERR_INVALID_ARGUMENT');
    expectCode(() => h.acd.registerStrategy('x', 42 as never), 'ERR_INVALID_ARGUMENT');
  });
});
