import { describe, expect, it } from 'vitest';
import { createAcd } from '../../src/acd/index.js';
import { FakeClock } from '../../src/core/index.js';

describe('docs/acd.md quick start', () => {
  it('runs as written (on a fake clock) and leaves a complete record', () => {
    const clock = new FakeClock();
    const acd = createAcd({ clock });
    acd.addQueue({
      id: 'support',
      strategy: 'skills-based',
      skills: [{ skill: 'billing', min: 3 }],
      relaxation: [
        { afterMs: 30_000, lowerMinBy: 1 },
        { afterMs: 90_000, drop: '*' },
      ],
      serviceLevel: { thresholdMs: 20_000, target: 0.8, leadMs: 60_000 },
      wrapUpMs: 15_000,
      dispositions: { codes: ['solved', 'escalated'], required: true },
    });
    acd.addAgent({ id: 'alice', queues: ['support'], skills: { billing: 4, french: 5 } });
    acd.login('alice');
    const rang: string[] = [];
    const records: unknown[] = [];
    acd.on('offer', (o) => rang.push(`${o.agentId}:${o.interactionId}`));
    acd.on('ended', (r) => records.push(r));

    const r = acd.enqueue({ id: 'call-1', queue: 'support', callerId: '+15551234' });
    expect(r).toEqual({ accepted: true, queueId: 'support', position: 1, ewtMs: 0 });
    expect(rang).toEqual(['alice:call-1']);
    acd.ringing('alice', 'call-1');
    acd.answer('alice', 'call-1');
    clock.advance(90_000);
    acd.hangup('call-1');
    expect(acd.agent('alice').state).toBe('wrap-up');
    acd.completeWrapUp('alice', { disposition: 'solved' });
    expect(acd.agent('alice').state).toBe('available');
    expect(records).toEqual([
      expect.objectContaining({
        id: 'call-1',
        outcome: 'completed',
        agentId: 'alice',
        talkMs: 90_000,
        disposition: 'solved',
      }),
    ]);
    acd.close();
  });
});
