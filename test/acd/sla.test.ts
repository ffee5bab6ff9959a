import { describe, expect, it } from 'vitest';
import { harness } from './helpers.js';

function answerNow(h: ReturnType<typeof harness>, id: string, talkMs: number) {
  const offer = h.of('offer').find((o) => o.interactionId === id);
  if (!offer) throw new Error(`${id} was not offered`);
  h.acd.answer(offer.agentId, id);
  h.clock.setTimeout(() => h.acd.hangup(id), talkMs);
}

/** `n` callers answered at once and talking `talkMs`, one a minute. */
function history(h: ReturnType<typeof harness>, n: number, talkMs = 30_000) {
  for (let i = 0; i < n; i++) {
    h.acd.enqueue({ id: `ok${i}`, queue: 'q' });
    answerNow(h, `ok${i}`, talkMs);
    h.clock.advance(60_000);
  }
}

describe('SLA tracking', () => {
  it('reports live service level, ASA, abandon rate and longest wait over the window', () => {
    const h = harness();
    h.acd.addQueue({ id: 'q', serviceLevel: { thresholdMs: 20_000, target: 0.8 } });
    h.acd.addAgent({ id: 'a', queues: ['q'] });
    h.acd.login('a');
    h.acd.enqueue({ id: 'c1', queue: 'q' }); // answered at once
    answerNow(h, 'c1', 30_000);
    h.acd.enqueue({ id: 'c2', queue: 'q' }); // waits 30 s → late
    h.acd.enqueue({ id: 'c3', queue: 'q' }); // abandons at 10 s → not counted against SL
    h.acd.enqueue({ id: 'c4', queue: 'q' }); // abandons at 25 s → a miss
    h.clock.advance(10_000);
    h.acd.abandon('c3');
    h.clock.advance(15_000);
    h.acd.abandon('c4');
    h.clock.advance(5_000);
    answerNow(h, 'c2', 1000);
    const s = h.acd.queueStats('q');
    expect(s).toMatchObject({ offered: 4, answered: 2, abandoned: 2, waiting: 0, longestWaitMs: 0 });
    expect(s.serviceLevel).toBeCloseTo(1 / 3, 9); // 1 met of (2 answered + 1 late abandon)
    expect(s.asaMs).toBe(15_000);
    expect(s.abandonRate).toBe(0.5);
    h.acd.enqueue({ id: 'c5', queue: 'q' });
    h.clock.advance(7_000);
    expect(h.acd.queueStats('q').longestWaitMs).toBe(7_000);
    // the window slides: after 30 min the old calls are gone
    h.clock.advance(1_900_000);
    expect(h.acd.queueStats('q')).toMatchObject({ answered: 0, abandoned: 0, serviceLevel: undefined });
  });

  it('slaAtRisk fires before the service level is breached, with a lead time', () => {
    const h = harness({ tickMs: 1000 });
    h.acd.addQueue({ id: 'q', serviceLevel: { thresholdMs: 20_000, target: 0.8, leadMs: 60_000 } });
    for (const id of ['a', 'b']) {
      h.acd.addAgent({ id, queues: ['q'] });
      h.acd.login(id);
    }
    // a good first twenty minutes: every caller answered at once
    history(h, 20, 50_000);
    expect(h.acd.queueStats('q').serviceLevel).toBe(1);
    expect(h.of('slaAtRisk')).toEqual([]);
    // both agents take long calls, then a burst of callers who give up after 40 s
    h.clock.advance(60_000);
    for (const id of ['long1', 'long2']) {
      h.acd.enqueue({ id, queue: 'q' });
      answerNow(h, id, 900_000);
    }
    for (let i = 0; i < 10; i++) {
      const id = `burst${i}`;
      h.acd.enqueue({ id, queue: 'q' });
      h.clock.setTimeout(() => h.acd.abandon(id), 40_000);
      h.clock.advance(1000);
    }
    let breachAt: number | undefined;
    for (let t = 0; t < 120 && breachAt === undefined; t++) {
      h.clock.advance(1000);
      const sl = h.acd.queueStats('q').serviceLevel as number;
      if (sl < 0.8) breachAt = h.clock.now();
    }
    const risk = h.of('slaAtRisk')[0];
    expect(risk).toBeDefined();
    expect(breachAt).toBeDefined();
    expect(risk?.serviceLevel).toBe(1);
    expect(risk?.projectedServiceLevel).toBeLessThan(0.8);
    expect(risk?.breachInMs).toBeDefined();
    expect((breachAt as number) - (risk?.at as number)).toBeGreaterThanOrEqual(20_000);
    expect(h.acd.queueStats('q').atRisk).toBe(true);
  });

  it('attached overflow actions: add agents with a skill while at risk, offer callbacks, open another queue', () => {
    const h = harness({ tickMs: 1000 });
    h.acd.addQueue({
      id: 'q',
      serviceLevel: { thresholdMs: 10_000, target: 0.9, leadMs: 30_000 },
      overflow: [
        { when: 'sla-at-risk', action: { type: 'add-agents', skill: 'sales', minProficiency: 3 } },
        { when: 'sla-at-risk', action: { type: 'callback' } },
        { when: 'sla-at-risk', action: { type: 'queue', queue: 'backup' } },
      ],
    });
    h.acd.addQueue({ id: 'backup' });
    h.acd.addQueue({ id: 'other' });
    h.acd.addAgent({ id: 'member', queues: ['q'] });
    h.acd.addAgent({ id: 'helper', queues: ['other'], skills: { sales: 4 } });
    h.acd.addAgent({ id: 'novice', queues: ['other'], skills: { sales: 1 } });
    h.acd.addAgent({ id: 'backer', queues: ['backup'] });
    for (const id of ['member', 'helper', 'novice']) h.acd.login(id);
    h.acd.pause('helper', 'busy-elsewhere');
    h.acd.pause('novice', 'busy-elsewhere');
    history(h, 10);
    h.acd.unpause('novice');
    const before = h.offers().length;
    h.acd.enqueue({ id: 'c0', queue: 'q' });
    answerNow(h, 'c0', 3_600_000);
    h.acd.enqueue({ id: 'c1', queue: 'q' });
    h.acd.enqueue({ id: 'c2', queue: 'q' });
    expect(h.offers().slice(before)).toEqual(['c0@member']);
    h.clock.advance(1000);
    expect(h.of('slaAtRisk')).toHaveLength(1);
    expect(h.of('slaAtRisk')[0]?.actions.map((a) => a.type)).toEqual(['add-agents', 'callback', 'queue']);
    expect(h.of('callbackOffer').map((e) => e.interactionId)).toEqual(['c1', 'c2']);
    expect(h.of('overflowed').map((e) => e.interactionId)).toEqual(['c1', 'c2']);
    h.acd.unpause('helper');
    expect(h.offers().slice(before)).toEqual(['c0@member', 'c1@helper']); // the novice (sales 1) is not added
    h.acd.login('backer');
    expect(h.offers().slice(before)).toEqual(['c0@member', 'c1@helper', 'c2@backer']);
  });

  it('slaRecovered fires when the projection is back above target, and the added agents stop serving', () => {
    const h = harness({ tickMs: 1000 });
    h.acd.addQueue({
      id: 'q',
      serviceLevel: { thresholdMs: 10_000, target: 0.9, leadMs: 30_000 },
      overflow: [{ when: 'sla-at-risk', action: { type: 'add-agents', skill: 'x' } }],
    });
    h.acd.addQueue({ id: 'other' });
    h.acd.addAgent({ id: 'm', queues: ['q'] });
    h.acd.addAgent({ id: 'helper', queues: ['other'], skills: { x: 1 } });
    h.acd.login('m');
    history(h, 10);
    const before = h.offers().length;
    h.acd.enqueue({ id: 'c0', queue: 'q' });
    answerNow(h, 'c0', 120_000);
    h.acd.enqueue({ id: 'c1', queue: 'q' });
    h.acd.enqueue({ id: 'c2', queue: 'q' });
    h.clock.advance(1000);
    expect(h.of('slaAtRisk')).toHaveLength(1);
    h.acd.login('helper');
    answerNow(h, 'c1', 1000);
    h.clock.advance(1000);
    answerNow(h, 'c2', 1000);
    h.clock.advance(2000);
    expect(h.of('slaRecovered')).toHaveLength(1);
    expect(h.acd.queueStats('q').atRisk).toBe(false);
    h.acd.enqueue({ id: 'c3', queue: 'q' });
    expect(h.offers().slice(before)).toEqual(['c0@m', 'c1@helper', 'c2@helper']);
  });
});
