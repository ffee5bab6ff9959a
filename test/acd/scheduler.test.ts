import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/index.js';
import { expectCode, harness } from './helpers.js';

describe('global scheduler', () => {
  it('an agent in several queues takes the caller who has waited longest', () => {
    const h = harness();
    for (const id of ['billing', 'sales', 'support']) h.acd.addQueue({ id });
    h.acd.addAgent({ id: 'a', queues: ['billing', 'sales', 'support'] });
    h.acd.enqueue({ id: 's1', queue: 'sales' });
    h.clock.advance(1000);
    h.acd.enqueue({ id: 'b1', queue: 'billing' });
    h.clock.advance(1000);
    h.acd.enqueue({ id: 't1', queue: 'support' });
    h.acd.enqueue({ id: 's2', queue: 'sales' });
    h.acd.login('a');
    expect(h.offers()).toEqual(['s1@a']);
    h.acd.answer('a', 's1');
    h.acd.hangup('s1');
    expect(h.offers()).toEqual(['s1@a', 'b1@a']);
  });

  it('priority comes before wait, across queues (queue priority plus the interaction’s own)', () => {
    const h = harness();
    h.acd.addQueue({ id: 'std' });
    h.acd.addQueue({ id: 'vip', priority: 5 });
    h.acd.addAgent({ id: 'a', queues: ['std', 'vip'] });
    h.acd.enqueue({ id: 'old', queue: 'std' });
    h.clock.advance(60_000);
    h.acd.enqueue({ id: 'vip1', queue: 'vip' });
    h.acd.enqueue({ id: 'urgent', queue: 'std', priority: 9 });
    h.acd.login('a');
    expect(h.offers()).toEqual(['urgent@a']);
    h.acd.reject('a', 'urgent');
    h.clock.advance(10_000);
    expect(h.offers()).toEqual(['urgent@a', 'urgent@a']);
  });

  it('waitOffsetMs counts extra wait for a queue when callers are compared', () => {
    const h = harness();
    h.acd.addQueue({ id: 'std' });
    h.acd.addQueue({ id: 'gold', waitOffsetMs: 30_000 });
    h.acd.addAgent({ id: 'a', queues: ['std', 'gold'] });
    h.acd.enqueue({ id: 'std1', queue: 'std' });
    h.clock.advance(20_000);
    h.acd.enqueue({ id: 'gold1', queue: 'gold' });
    h.acd.login('a');
    expect(h.offers()).toEqual(['gold1@a']);
  });

  it('skills: only agents with the required proficiency are offered the call', () => {
    const h = harness();
    h.acd.addQueue({ id: 'q', skills: [{ skill: 'spanish', min: 3 }] });
    h.acd.addAgent({ id: 'weak', queues: ['q'], skills: { spanish: 2 } });
    h.acd.addAgent({ id: 'none', queues: ['q'] });
    h.acd.addAgent({ id: 'good', queues: ['q'], skills: { spanish: 4 } });
    h.acd.login('weak');
    h.acd.login('none');
    h.acd.enqueue({ id: 'c1', queue: 'q' });
    expect(h.offers()).toEqual([]);
    h.acd.login('good');
    expect(h.offers()).toEqual(['c1@good']);
    // an interaction may name its own skills
    h.acd.enqueue({ id: 'c2', queue: 'q', skills: [] });
    expect(h.offers()).toEqual(['c1@good', 'c2@none']); // longest idle, ties by id
  });

  it('bullseye relaxation lowers the minimum and then drops a skill as the caller waits', () => {
    const h = harness({ rejectDelayMs: 60_000 });
    h.acd.addQueue({
      id: 'q',
      skills: [
        { skill: 'billing', min: 4 },
        { skill: 'french', min: 3 },
      ],
      relaxation: [
        { afterMs: 10_000, lowerMinBy: 1 },
        { afterMs: 30_000, drop: ['french'] },
      ],
    });
    h.acd.addAgent({ id: 'b3', queues: ['q'], skills: { billing: 3 } });
    h.acd.addAgent({ id: 'b3f3', queues: ['q'], skills: { billing: 3, french: 2 } });
    h.acd.login('b3');
    h.acd.login('b3f3');
    h.acd.enqueue({ id: 'c1', queue: 'q' });
    h.clock.advance(9_999);
    expect(h.offers()).toEqual([]);
    h.clock.advance(1); // billing ≥ 3, french ≥ 2
    expect(h.offers()).toEqual(['c1@b3f3']);
    h.acd.reject('b3f3', 'c1');
    h.clock.advance(19_999);
    expect(h.offers()).toEqual(['c1@b3f3']);
    h.clock.advance(1); // french dropped: billing ≥ 3 only
    expect(h.offers()).toEqual(['c1@b3f3', 'c1@b3']);
  });

  it('an agent freed later takes the caller it can serve that waited longest, skipping those it cannot', () => {
    const h = harness();
    h.acd.addQueue({ id: 'q' });
    h.acd.addAgent({ id: 'a', queues: ['q'], skills: { en: 3 } });
    h.acd.enqueue({ id: 'fr', queue: 'q', skills: [{ skill: 'fr' }] });
    h.clock.advance(1);
    h.acd.enqueue({ id: 'en', queue: 'q', skills: [{ skill: 'en', min: 2 }] });
    h.acd.login('a');
    expect(h.offers()).toEqual(['en@a']);
  });

  it('positions count the callers ahead and never go up when announced', () => {
    const h = harness({ tickMs: 1000 });
    h.acd.addQueue({ id: 'q' });
    h.acd.addAgent({ id: 'a', queues: ['q'] });
    for (let i = 0; i < 5; i++) {
      expect(h.acd.enqueue({ id: `c${i}`, queue: 'q' })).toMatchObject({ accepted: true, position: i + 1 });
      h.clock.advance(10);
    }
    h.acd.enqueue({ id: 'p', queue: 'q', priority: 1 });
    expect(h.acd.position('p')).toBe(1);
    expect(h.acd.position('c4')).toBe(6); // the priority caller went ahead …
    h.clock.advance(1000);
    expect(h.of('position').filter((e) => e.interactionId === 'c4')).toEqual([]); // … but 5 is never re-announced as 6
    h.acd.abandon('c0');
    h.acd.abandon('c1');
    h.clock.advance(1000);
    expect(h.of('position').find((e) => e.interactionId === 'c4')).toMatchObject({ position: 4 });
    expect(h.acd.waiting('q').map((w) => w.interactionId)).toEqual(['p', 'c2', 'c3', 'c4']);
  });

  it('an agent-first property: each freed agent gets the best caller it is eligible for (random setups)', () => {
    const skills = ['a', 'b', 'c'];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            queue: fc.integer({ min: 0, max: 3 }),
            priority: fc.integer({ min: 0, max: 2 }),
            skill: fc.option(fc.constantFrom(...skills), { nil: undefined }),
            min: fc.integer({ min: 1, max: 5 }),
            gap: fc.integer({ min: 0, max: 3 }),
          }),
          { minLength: 1, maxLength: 30, size: 'max' },
        ),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }),
        fc.dictionary(fc.constantFrom(...skills), fc.integer({ min: 1, max: 5 })),
        (arrivals, agentQueues, agentSkills) => {
          const h = harness();
          for (let q = 0; q < 4; q++) h.acd.addQueue({ id: `q${q}`, priority: q === 3 ? 1 : 0 });
          const queues = [...new Set(agentQueues)].map((q) => `q${q}`);
          h.acd.addAgent({ id: 'x', queues, skills: agentSkills });
          const meta = new Map<string, { prio: number; at: number; ok: boolean; seq: number }>();
          arrivals.forEach((a, i) => {
            h.clock.advance(a.gap);
            const id = `i${i}`;
            h.acd.enqueue({
              id,
              queue: `q${a.queue}`,
              priority: a.priority,
              skills: a.skill ? [{ skill: a.skill, min: a.min }] : [],
            });
            const ok = queues.includes(`q${a.queue}`) && (!a.skill || (agentSkills[a.skill] ?? 0) >= a.min);
            meta.set(id, { prio: a.priority + (a.queue === 3 ? 1 : 0), at: h.clock.now(), ok, seq: i });
          });
          h.acd.login('x');
          const offered = h.offers()[0]?.split('@')[0];
          const eligible = [...meta].filter(([, m]) => m.ok);
          if (eligible.length === 0) {
            expect(offered).toBeUndefined();
            return;
          }
          eligible.sort(([, p], [, q]) => q.prio - p.prio || p.at - q.at || p.seq - q.seq);
          expect(offered).toBe(eligible[0]?.[0]);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('queue rules', () => {
  it('overflow after a wait: the caller also waits in another queue and keeps its enqueue time', () => {
    const h = harness();
    h.acd.addQueue({
      id: 'q1',
      overflow: [{ when: { waitMs: 30_000 }, action: { type: 'queue', queue: 'q2' } }],
    });
    h.acd.addQueue({ id: 'q2' });
    h.acd.addAgent({ id: 'b', queues: ['q2'] });
    h.acd.login('b');
    h.acd.enqueue({ id: 'c1', queue: 'q1' });
    h.clock.advance(29_999);
    expect(h.offers()).toEqual([]);
    h.clock.advance(1);
    expect(h.of('overflowed')).toEqual([
      expect.objectContaining({ interactionId: 'c1', from: 'q1', to: 'q2' }),
    ]);
    expect(h.offers()).toEqual(['c1@b']);
    h.acd.answer('b', 'c1');
    h.acd.hangup('c1');
    expect(h.of('ended')[0]).toMatchObject({ queueId: 'q1', servedBy: 'q2', waitMs: 30_000 });
  });

  it('max wait sends the caller out with reason timeout; an exit rule with its own reason', () => {
    const h = harness();
    h.acd.addQueue({
      id: 'q',
      maxWaitMs: 60_000,
      overflow: [{ when: { waitMs: 20_000 }, action: { type: 'callback' } }],
    });
    h.acd.addQueue({
      id: 'r',
      overflow: [{ when: { waitMs: 5_000 }, action: { type: 'exit', reason: 'voicemail' } }],
    });
    h.acd.enqueue({ id: 'c1', queue: 'q' });
    h.acd.enqueue({ id: 'c2', queue: 'r' });
    h.clock.advance(20_000);
    expect(h.of('callbackOffer')).toEqual([expect.objectContaining({ interactionId: 'c1', position: 1 })]);
    h.clock.advance(40_000);
    expect(h.of('exited').map((e) => [e.interactionId, e.reason])).toEqual([
      ['c2', 'voicemail'],
      ['c1', 'timeout'],
    ]);
    expect(h.acd.interactions()).toEqual([]);
  });

  it('max length rejects with reason full, or overflows to another queue', () => {
    const h = harness();
    h.acd.addQueue({ id: 'small', maxLength: 1 });
    h.acd.addQueue({
      id: 'spill',
      maxLength: 1,
      overflow: [{ when: 'full', action: { type: 'queue', queue: 'small' } }],
    });
    expect(h.acd.enqueue({ id: 'c1', queue: 'small' }).accepted).toBe(true);
    expect(h.acd.enqueue({ id: 'c2', queue: 'small' })).toEqual({
      accepted: false,
      queueId: 'small',
      reason: 'full',
    });
    expect(h.acd.enqueue({ id: 'c3', queue: 'spill' }).accepted).toBe(true);
    expect(h.acd.enqueue({ id: 'c4', queue: 'spill' })).toEqual({
      accepted: false,
      queueId: 'small',
      reason: 'full',
    });
    expect(h.acd.has('c2')).toBe(false);
    expect(h.of('rejected').map((e) => e.interactionId)).toEqual(['c2', 'c4']);
  });

  it('join and leave when empty', () => {
    const h = harness();
    h.acd.addQueue({ id: 'q', joinWhenEmpty: false, leaveWhenEmpty: true });
    h.acd.addAgent({ id: 'a', queues: ['q'] });
    expect(h.acd.enqueue({ id: 'c1', queue: 'q' })).toMatchObject({ accepted: false, reason: 'empty' });
    h.acd.login('a');
    h.acd.pause('a', 'meeting');
    expect(h.acd.enqueue({ id: 'c2', queue: 'q' })).toMatchObject({ accepted: false, reason: 'empty' });
    h.acd.unpause('a');
    h.acd.enqueue({ id: 'c3', queue: 'q' });
    h.acd.enqueue({ id: 'c4', queue: 'q' });
    h.acd.answer('a', 'c3');
    h.acd.pause('a', 'meeting'); // busy agent pausing: the queue is now empty
    expect(h.of('exited').map((e) => [e.interactionId, e.reason])).toEqual([['c4', 'empty']]);
    expect(h.acd.interaction('c3').state).toBe('connected');
  });

  it('an automatic no-answer rest does not make the queue empty', () => {
    const h = harness();
    h.acd.addQueue({ id: 'q', leaveWhenEmpty: true });
    h.acd.addAgent({ id: 'a', queues: ['q'] });
    h.acd.login('a');
    h.acd.enqueue({ id: 'c1', queue: 'q' });
    h.acd.reject('a', 'c1');
    expect(h.acd.interaction('c1').state).toBe('waiting');
    expect(h.acd.queueStats('q')).toMatchObject({ staffed: 1, loggedIn: 1, available: 0 });
  });

  it('business hours: closed queues reject callers', () => {
    const clockStart = Date.UTC(2026, 0, 5, 7, 59); // Monday 07:59 UTC
    const h2 = harness({ tickMs: 1000 }, new FakeClock({ wallStart: clockStart }));
    h2.acd.addQueue({
      id: 'q',
      hours: { weekly: [{ days: [1, 2, 3, 4, 5], open: '08:00', close: '18:00' }] },
    });
    expect(h2.acd.enqueue({ id: 'c1', queue: 'q' })).toMatchObject({ accepted: false, reason: 'closed' });
    h2.clock.advance(60_000);
    expect(h2.of('queueOpened')).toHaveLength(1);
    expect(h2.acd.enqueue({ id: 'c2', queue: 'q' }).accepted).toBe(true);
    h2.clock.advance(10 * 3_600_000);
    expect(h2.of('queueClosed')).toHaveLength(1);
    expect(h2.acd.enqueue({ id: 'c3', queue: 'q' })).toMatchObject({ accepted: false, reason: 'closed' });
    expect(h2.acd.interaction('c2').state).toBe('waiting'); // callers already waiting stay
  });

  it('bad queue configuration and calls throw typed errors naming the field', () => {
    const h = harness();
    expectCode(() => h.acd.addQueue({ id: '' }), 'ERR_INVALID_ARGUMENT', /queue.id/);
    expectCode(
      () => h.acd.addQueue({ id: 'q', strategy: 'psychic' }),
      'ERR_INVALID_ARGUMENT',
      /psychic.*not registered/,
    );
    expectCode(
      () => h.acd.addQueue({ id: 'q', serviceLevel: { target: 2 } }),
      'ERR_INVALID_ARGUMENT',
      /serviceLevel.target/,
    );
    expectCode(
      () =>
        h.acd.addQueue({
          id: 'q',
          overflow: [{ when: { waitMs: 5 }, action: { type: 'add-agents', skill: 'x' } }],
        }),
      'ERR_INVALID_ARGUMENT',
      /sla-at-risk/,
    );
    expectCode(
      () => h.acd.addQueue({ id: 'q', relaxation: [{ afterMs: -1 }] }),
      'ERR_INVALID_ARGUMENT',
      /afterMs/,
    );
    expectCode(
      () => h.acd.addQueue({ id: 'q', hours: { timeZone: 'Mars/Olympus', weekly: [] } }),
      'ERR_INVALID_ARGUMENT',
      /time zone/,
    );
    h.acd.addQueue({ id: 'q' });
    expectCode(() => h.acd.addQueue({ id: 'q' }), 'ERR_INVALID_STATE', /already exists/);
    expectCode(() => h.acd.enqueue({ id: 'c', queue: 'nope' }), 'ERR_ACD', /no queue/);
    expectCode(
      () => h.acd.enqueue({ id: 'c', queue: 'q', skills: [{ skill: 's', min: 0 }] }),
      'ERR_INVALID_ARGUMENT',
    );
    h.acd.enqueue({ id: 'c', queue: 'q' });
    expectCode(() => h.acd.enqueue({ id: 'c', queue: 'q' }), 'ERR_INVALID_STATE', /already in the ACD/);
    expectCode(() => h.acd.hangup('c'), 'ERR_INVALID_STATE', /not connected/);
    expectCode(() => h.acd.removeQueue('q'), 'ERR_INVALID_STATE', /still has/);
    h.acd.close();
    expectCode(() => h.acd.enqueue({ id: 'd', queue: 'q' }), 'ERR_CLOSED');
  });
});
