import { describe, expect, it } from 'vitest';
import { AGENT_TRANSITIONS, PAUSE_NO_ANSWER, PAUSE_REJECT_DELAY } from '../../src/acd/index.js';
import { expectCode, harness } from './helpers.js';

function basic(options = {}, queue = {}) {
  const h = harness(options);
  h.acd.addQueue({ id: 'q', ...queue });
  h.acd.addAgent({ id: 'a', queues: ['q'] });
  return h;
}

describe('agent state machine', () => {
  it('walks the chart: logged out → available → reserved → ringing → busy → wrap-up → available', () => {
    const h = basic({}, { wrapUpMs: 30_000 });
    h.acd.login('a');
    h.acd.enqueue({ id: 'c1', queue: 'q' });
    h.acd.ringing('a', 'c1');
    h.acd.answer('a', 'c1');
    h.clock.advance(60_000);
    h.acd.hangup('c1');
    expect(h.acd.agent('a').state).toBe('wrap-up');
    h.clock.advance(30_000);
    expect(h.states('a')).toEqual([
      'logged-out>available',
      'available>reserved',
      'reserved>ringing',
      'ringing>busy',
      'busy>wrap-up',
      'wrap-up>available',
    ]);
    const rec = h.of('ended')[0];
    expect(rec).toMatchObject({
      id: 'c1',
      outcome: 'completed',
      agentId: 'a',
      talkMs: 60_000,
      wrapUpMs: 30_000,
    });
  });

  it('every transition it emits is an edge of the documented chart, and each starts where the last ended', () => {
    const h = basic({ rejectDelayMs: 1000, maxMissedOffers: 2 }, { wrapUpMs: 500 });
    h.acd.login('a');
    h.acd.enqueue({ id: 'c1', queue: 'q' });
    h.acd.reject('a', 'c1');
    h.clock.advance(1000);
    h.acd.reject('a', 'c1');
    h.acd.unpause('a');
    h.acd.answer('a', 'c1');
    h.acd.pause('a', 'lunch');
    h.acd.hangup('c1');
    h.clock.advance(500);
    h.acd.unpause('a');
    h.acd.logout('a');
    let prev = 'logged-out';
    for (const e of h.of('agentState')) {
      expect(e.from).toBe(prev);
      expect(AGENT_TRANSITIONS[e.from]).toContain(e.to);
      prev = e.to;
    }
    expect(prev).toBe('logged-out');
  });

  it('a missed offer rests the agent for the reject delay; the caller keeps its place and goes to the next agent', () => {
    const h = basic({ rejectDelayMs: 5000 });
    h.acd.addAgent({ id: 'b', queues: ['q'] });
    h.acd.login('a');
    h.clock.advance(10);
    h.acd.login('b');
    h.acd.enqueue({ id: 'c1', queue: 'q' });
    expect(h.offers()).toEqual(['c1@a']); // longest idle
    h.acd.reject('a', 'c1');
    expect(h.offers()).toEqual(['c1@a', 'c1@b']);
    expect(h.acd.agent('a')).toMatchObject({ state: 'paused', pauseReason: PAUSE_REJECT_DELAY, missed: 1 });
    h.clock.advance(4999);
    expect(h.acd.agent('a').state).toBe('paused');
    h.clock.advance(1);
    expect(h.acd.agent('a').state).toBe('available');
  });

  it('after N consecutive misses the agent stays paused (no-answer) until unpaused', () => {
    const h = basic({ rejectDelayMs: 1000, maxMissedOffers: 3 }, { offerTimeoutMs: 2000 });
    h.acd.login('a');
    h.acd.enqueue({ id: 'c1', queue: 'q' });
    h.acd.reject('a', 'c1');
    h.clock.advance(1000);
    h.acd.reject('a', 'c1');
    h.clock.advance(1000);
    // third offer: ring timeout
    h.clock.advance(2000);
    expect(h.of('offerWithdrawn')).toEqual([
      expect.objectContaining({ interactionId: 'c1', agentId: 'a', reason: 'timeout' }),
    ]);
    expect(h.acd.agent('a')).toMatchObject({
      state: 'paused',
      pauseReason: PAUSE_NO_ANSWER,
      consecutiveMisses: 3,
    });
    h.clock.advance(3_600_000);
    expect(h.acd.agent('a').state).toBe('paused');
    expect(h.acd.interaction('c1').state).toBe('waiting');
    h.acd.unpause('a');
    expect(h.acd.agent('a')).toMatchObject({ state: 'reserved', consecutiveMisses: 0 });
  });

  it('answering resets the consecutive misses', () => {
    const h = basic({ rejectDelayMs: 10, maxMissedOffers: 2 });
    h.acd.login('a');
    h.acd.enqueue({ id: 'c1', queue: 'q' });
    h.acd.reject('a', 'c1');
    h.clock.advance(10);
    h.acd.answer('a', 'c1');
    expect(h.acd.agent('a')).toMatchObject({ consecutiveMisses: 0, missed: 1, handled: 1 });
  });

  it('a pause asked for while busy waits for the end of wrap-up, and no offer arrives meanwhile', () => {
    const h = basic({}, { wrapUpMs: 1000 });
    h.acd.login('a');
    h.acd.enqueue({ id: 'c1', queue: 'q' });
    h.acd.answer('a', 'c1');
    h.acd.pause('a', 'coaching');
    expect(h.acd.agent('a')).toMatchObject({ state: 'busy', pauseReason: 'coaching' });
    h.acd.enqueue({ id: 'c2', queue: 'q' });
    h.acd.hangup('c1');
    h.clock.advance(1000);
    expect(h.acd.agent('a')).toMatchObject({ state: 'paused', pauseReason: 'coaching' });
    expect(h.offers()).toEqual(['c1@a']);
    h.acd.unpause('a');
    expect(h.offers()).toEqual(['c1@a', 'c2@a']);
    expect(h.states('a')).toContain('busy>busy(coaching)');
  });

  it('logout while busy waits for the call and wrap-up; a forced logout ends them at once', () => {
    const h = basic({}, { wrapUpMs: 1000 });
    h.acd.addAgent({ id: 'b', queues: ['q'] });
    h.acd.login('a');
    h.acd.login('b');
    h.acd.enqueue({ id: 'c1', queue: 'q' });
    h.acd.enqueue({ id: 'c2', queue: 'q' });
    h.acd.answer('a', 'c1');
    h.acd.answer('b', 'c2');
    h.acd.logout('a');
    expect(h.acd.agent('a')).toMatchObject({ state: 'busy', logoutPending: true });
    h.acd.hangup('c1');
    expect(h.acd.agent('a').state).toBe('wrap-up');
    h.clock.advance(1000);
    expect(h.acd.agent('a').state).toBe('logged-out');
    h.acd.logout('b', { force: true });
    expect(h.acd.agent('b').state).toBe('logged-out');
    expect(h.of('ended').map((r) => [r.id, r.outcome, r.reason])).toEqual([
      ['c1', 'completed', undefined],
      ['c2', 'completed', 'agent-logout'],
    ]);
  });

  it('logging out with a pending offer withdraws it and the caller keeps its place', () => {
    const h = basic();
    h.acd.addAgent({ id: 'b', queues: ['q'] });
    h.acd.login('a');
    h.acd.enqueue({ id: 'c1', queue: 'q' });
    h.clock.advance(100);
    h.acd.enqueue({ id: 'c2', queue: 'q' });
    h.acd.logout('a');
    expect(h.of('offerWithdrawn')).toEqual([
      expect.objectContaining({ interactionId: 'c1', reason: 'logout' }),
    ]);
    expect(h.acd.position('c1')).toBe(1);
    expect(h.acd.position('c2')).toBe(2);
    h.acd.login('b');
    expect(h.offers()).toEqual(['c1@a', 'c1@b']);
    expect(h.states('a')).toEqual(['logged-out>available', 'available>reserved', 'reserved>logged-out']);
  });

  it('an agent with maxConcurrent 2 takes a second interaction while busy but never a third', () => {
    const h = harness();
    h.acd.addQueue({ id: 'chat' });
    h.acd.addAgent({ id: 'a', queues: ['chat'], maxConcurrent: 2 });
    h.acd.login('a');
    for (const id of ['c1', 'c2', 'c3']) h.acd.enqueue({ id, queue: 'chat' });
    expect(h.offers()).toEqual(['c1@a']); // one offer at a time
    h.acd.answer('a', 'c1');
    expect(h.offers()).toEqual(['c1@a', 'c2@a']);
    h.acd.answer('a', 'c2');
    expect(h.acd.agent('a')).toMatchObject({ state: 'busy', load: 2 });
    expect(h.offers()).toHaveLength(2);
    h.acd.hangup('c1');
    expect(h.offers()).toEqual(['c1@a', 'c2@a', 'c3@a']);
  });

  it('required dispositions: wrap-up cannot be finished without one; the timer still ends it and flags it', () => {
    const h = basic(
      { maxWrapUpMs: 60_000 },
      { dispositions: { codes: ['sale', 'no-sale'], required: true } },
    );
    h.acd.login('a');
    h.acd.enqueue({ id: 'c1', queue: 'q' });
    h.acd.answer('a', 'c1');
    h.acd.hangup('c1');
    expect(h.acd.agent('a').state).toBe('wrap-up');
    expectCode(() => h.acd.completeWrapUp('a'), 'ERR_INVALID_ARGUMENT', /requires a disposition/);
    expectCode(
      () => h.acd.completeWrapUp('a', { disposition: 'maybe' }),
      'ERR_INVALID_ARGUMENT',
      /not one of/,
    );
    h.acd.completeWrapUp('a', { disposition: 'sale' });
    expect(h.of('ended')[0]).toMatchObject({ disposition: 'sale', dispositionMissing: false });
    h.acd.enqueue({ id: 'c2', queue: 'q' });
    h.acd.answer('a', 'c2');
    h.acd.hangup('c2');
    h.clock.advance(60_000);
    expect(h.acd.agent('a').state).toBe('available');
    expect(h.of('ended')[1]).toMatchObject({ id: 'c2', disposition: undefined, dispositionMissing: true });
  });

  it('optional dispositions can be set during the call and are recorded with the interaction', () => {
    const h = basic({}, { wrapUpMs: 10_000, dispositions: { codes: ['sale', 'no-sale'] } });
    h.acd.login('a');
    h.acd.enqueue({ id: 'c1', queue: 'q' });
    expectCode(() => h.acd.setDisposition('c1', 'sale'), 'ERR_INVALID_STATE');
    h.acd.answer('a', 'c1');
    h.acd.setDisposition('c1', 'no-sale');
    h.acd.hangup('c1');
    h.acd.completeWrapUp('a');
    expect(h.of('ended')[0]).toMatchObject({ disposition: 'no-sale', wrapUpMs: 0 });
  });

  it('bad agent calls throw typed errors naming the problem', () => {
    const h = basic();
    expectCode(() => h.acd.login('nobody'), 'ERR_ACD', /no agent "nobody"/);
    expectCode(() => h.acd.pause('a'), 'ERR_INVALID_STATE', /not logged in/);
    h.acd.login('a');
    expectCode(() => h.acd.login('a'), 'ERR_INVALID_STATE', /already logged in/);
    expectCode(() => h.acd.answer('a', 'c9'), 'ERR_INVALID_STATE', /no pending offer/);
    expectCode(() => h.acd.unpause('a'), 'ERR_INVALID_STATE', /not paused/);
    expectCode(() => h.acd.pause('a', ''), 'ERR_INVALID_ARGUMENT', /reason/);
    expectCode(() => h.acd.completeWrapUp('a'), 'ERR_INVALID_STATE', /no wrap-up/);
    expectCode(() => h.acd.removeAgent('a'), 'ERR_INVALID_STATE', /logged in/);
    expectCode(() => h.acd.addAgent({ id: 'x', skills: { sales: 7 } }), 'ERR_INVALID_ARGUMENT', /1–5/);
    expectCode(() => h.acd.addAgent({ id: 'x', queues: ['nope'] }), 'ERR_ACD', /no queue/);
    expectCode(() => h.acd.addAgent({ id: 'a' }), 'ERR_INVALID_STATE', /already exists/);
  });
});
