import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/index.js';
import { expectCode, harness } from './helpers.js';

function setup(queue = {}, clock?: FakeClock) {
  const h = harness({ tickMs: 1000 }, clock);
  h.acd.addQueue({ id: 'q', callback: { maxAttempts: 2, retryDelayMs: 60_000 }, ...queue });
  h.acd.addAgent({ id: 'a', queues: ['q'] });
  return h;
}

describe('callbacks', () => {
  it('a caller who asks for a callback keeps their place and is offered agent-first when their turn comes', () => {
    const h = setup();
    h.acd.enqueue({ id: 'c1', queue: 'q', callerId: '+15550001' });
    h.clock.advance(1000);
    h.acd.enqueue({ id: 'c2', queue: 'q' });
    h.acd.requestCallback('c1');
    expect(h.acd.interaction('c1')).toMatchObject({ kind: 'callback', state: 'waiting' });
    expect(h.acd.position('c1')).toBe(1);
    expect(h.acd.position('c2')).toBe(2);
    h.acd.login('a');
    expect(h.of('offer')[0]).toMatchObject({
      interactionId: 'c1',
      kind: 'callback',
      callbackNumber: '+15550001',
    });
    h.acd.answer('a', 'c1');
    h.acd.callbackResult('c1', 'connected');
    h.acd.hangup('c1');
    expect(h.of('ended')[0]).toMatchObject({
      id: 'c1',
      kind: 'callback',
      outcome: 'completed',
      callbackAttempts: 1,
    });
    // callbacks are counted apart from the live calls' service level
    expect(h.acd.queueStats('q')).toMatchObject({ answered: 0, callbacksAnswered: 1, abandoned: 0 });
  });

  it('a failed callback frees the agent, waits the retry delay and comes back at its original place', () => {
    const h = setup();
    h.acd.login('a');
    h.acd.enqueue({ id: 'cb', queue: 'q', callback: { number: '+15550002' } });
    h.acd.answer('a', 'cb');
    h.acd.enqueue({ id: 'live1', queue: 'q' });
    h.acd.callbackResult('cb', 'no-answer');
    expect(h.acd.interaction('cb').state).toBe('parked');
    expect(h.offers()).toEqual(['cb@a', 'live1@a']);
    h.acd.answer('a', 'live1');
    h.acd.enqueue({ id: 'live2', queue: 'q' });
    h.clock.advance(60_000);
    expect(h.of('callbackDue')).toEqual([expect.objectContaining({ interactionId: 'cb', attempt: 2 })]);
    expect(h.acd.position('cb')).toBe(1); // ahead of live2, who came later
    h.acd.hangup('live1');
    expect(h.offers()).toEqual(['cb@a', 'live1@a', 'cb@a']);
    h.acd.answer('a', 'cb');
    h.acd.callbackResult('cb', 'busy');
    expect(h.of('callbackFailed')).toEqual([
      expect.objectContaining({ interactionId: 'cb', reason: 'attempts-exhausted', attempts: 2 }),
    ]);
    expect(h.of('ended').find((r) => r.id === 'cb')).toMatchObject({ outcome: 'callback-failed' });
    expect(h.offers().at(-1)).toBe('live2@a');
  });

  it('a callback is not offered before its window opens and is given up when the window closes', () => {
    const wall = Date.UTC(2026, 0, 6, 9, 0);
    const h = setup({}, new FakeClock({ wallStart: wall }));
    h.acd.login('a');
    h.acd.enqueue({ id: 'later', queue: 'q', callback: { number: '1', notBefore: wall + 3_600_000 } });
    h.acd.enqueue({
      id: 'missed',
      queue: 'q',
      callback: { number: '2', notBefore: wall + 60_000, notAfter: wall + 120_000 },
    });
    expect(h.offers()).toEqual([]);
    h.acd.pause('a');
    h.clock.advance(125_000);
    expect(h.of('callbackFailed')).toEqual([
      expect.objectContaining({ interactionId: 'missed', reason: 'window-expired' }),
    ]);
    h.acd.unpause('a');
    expect(h.offers()).toEqual([]);
    h.clock.advance(3_600_000 - 125_000);
    expect(h.offers()).toEqual(['later@a']);
  });

  it('callbacks wait for opening hours', () => {
    const wall = Date.UTC(2026, 0, 6, 17, 59); // Tuesday 17:59 UTC
    const h = setup(
      { hours: { weekly: [{ days: [1, 2, 3, 4, 5], open: '08:00', close: '18:00' }] } },
      new FakeClock({ wallStart: wall }),
    );
    h.acd.enqueue({ id: 'cb', queue: 'q', callback: { number: '1' } });
    h.clock.advance(61_000);
    expect(h.of('queueClosed')).toHaveLength(1);
    expect(h.acd.interaction('cb').state).toBe('parked');
    h.acd.login('a');
    expect(h.offers()).toEqual([]);
    h.clock.advance(14 * 3_600_000);
    expect(h.of('queueOpened')).toHaveLength(1);
    expect(h.offers()).toEqual(['cb@a']);
  });

  it('refuses callbacks for interactions that are not waiting calls', () => {
    const h = setup();
    h.acd.login('a');
    h.acd.enqueue({ id: 'c1', queue: 'q' });
    h.acd.answer('a', 'c1');
    expectCode(() => h.acd.requestCallback('c1'), 'ERR_INVALID_STATE');
    expectCode(
      () => h.acd.callbackResult('c1', 'connected'),
      'ERR_INVALID_STATE',
      /not a connected callback/,
    );
    h.acd.enqueue({ id: 'c2', queue: 'q' });
    expectCode(() => h.acd.requestCallback('c2'), 'ERR_INVALID_ARGUMENT', /callback.number/);
    expectCode(() => h.acd.requestCallback('c2', { number: '1', maxAttempts: 0 }), 'ERR_INVALID_ARGUMENT');
    h.acd.requestCallback('c2', { number: '1' });
    expectCode(() => h.acd.abandon('c2'), 'ERR_INVALID_STATE');
    h.acd.remove('c2', 'customer-cancelled');
    expect(h.of('ended').at(-1)).toMatchObject({
      id: 'c2',
      outcome: 'removed',
      reason: 'customer-cancelled',
    });
  });
});
