/**
 * fast-check over random call scenarios on the loop network (UDP or TCP,
 * latency, loss; callee rings/answers/rejects/never answers; caller cancels
 * or not; either side hangs up, maybe after a re-INVITE): every outcome
 * settles exactly once, both sides agree on established calls when nothing
 * was lost, and after close() no timer, transaction, dialog or session is
 * left.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeNet } from './ua-helpers.js';

const callArb = fc.record({
  callee: fc.constantFrom('answer', 'ring-answer', 'reject', 'silent', 'progress-answer'),
  answerAfter: fc.integer({ min: 0, max: 3000 }),
  cancelAfter: fc.option(fc.integer({ min: 0, max: 4000 })),
  hangup: fc.constantFrom('caller', 'callee', 'nobody'),
  reinvite: fc.boolean(),
});

describe('random call scenarios', () => {
  it('settle, agree and leave nothing behind', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          protocol: fc.constantFrom('UDP' as const, 'TCP' as const),
          latencyMs: fc.integer({ min: 0, max: 150 }),
          loss: fc.constantFrom(0, 0, 0.1, 0.3),
          calls: fc.array(callArb, { minLength: 1, maxLength: 4 }),
        }),
        async (s) => {
          const t0 = performance.now();
          if (process.env.DEBUG_PROP) console.log(JSON.stringify(s));
          const n = makeNet({ latencyMs: s.latencyMs, loss: s.loss });
          const alice = n.ua('10.0.0.1', { protocol: s.protocol });
          const bob = n.ua('10.0.0.2', { protocol: s.protocol });
          const errors: Error[] = [];
          bob.on('INVITE', (inc) => {
            const c = s.calls[Number(inc.request.getHeader('X-Case'))] as (typeof s.calls)[number];
            const act = () => {
              if (inc.state !== 'incoming' && inc.state !== 'early') return;
              if (c.callee === 'reject') inc.reject(486);
              else if (c.callee !== 'silent') inc.answer();
            };
            if (c.callee === 'ring-answer') inc.ring();
            if (c.callee === 'progress-answer') inc.progress(undefined);
            n.clock.setTimeout(act, c.answerAfter);
          });
          const started = s.calls.map((c, k) => {
            const ac = new AbortController();
            if (c.cancelAfter !== null) n.clock.setTimeout(() => ac.abort(), c.cancelAfter);
            const call = alice.call(`sip:bob@10.0.0.2${s.protocol === 'TCP' ? ';transport=tcp' : ''}`, {
              signal: ac.signal,
              headers: [['X-Case', String(k)]],
              timeoutMs: 35_000,
            });
            let ended = 0;
            call.on('ended', () => ended++);
            const outcome = call.established.then(
              () => 'ok',
              (e: { code: string }) => e.code,
            );
            return { c, call, outcome, ended: () => ended };
          });
          await n.run(80_000); // Timer B, or our INVITE timeout + CANCEL, bounds every INVITE
          const outcomes = await Promise.all(started.map((x) => x.outcome));
          if (process.env.DEBUG_PROP) console.log('outcomes', outcomes.join(','), n.net.log.length);
          expect(
            outcomes.every((o) =>
              ['ok', 'ERR_SIP_RESPONSE', 'ERR_ABORTED', 'ERR_TX_TIMEOUT', 'ERR_TIMEOUT'].includes(o),
            ),
          ).toBe(true);
          for (const [k, x] of started.entries()) {
            const session = x.call;
            if (outcomes[k] !== 'ok' || session.state !== 'established') continue;
            if (s.loss === 0)
              expect([...bob.sessions].find((b) => b.callId === session.callId)?.state).toBe('established');
            if (x.c.reinvite) {
              const p = session.reinvite().catch(() => undefined);
              await n.run(40_000);
              await p;
            }
            if (x.c.hangup === 'caller') {
              const p = session.bye();
              await n.run(40_000);
              await p;
            }
          }
          for (const x of started) {
            if (x.c.hangup !== 'callee') continue;
            const peer = [...bob.sessions].find((b) => b.callId === x.call.callId);
            if (!peer) continue;
            const p = peer.bye();
            await n.run(40_000);
            await p;
          }
          alice.on('error', (e) => errors.push(e));
          await n.closeAll();
          if (process.env.DEBUG_PROP) console.log('took', performance.now() - t0);
          expect(n.clock.pendingTimers).toBe(0);
          for (const ua of [alice, bob]) {
            expect(ua.transactions.clientCount + ua.transactions.serverCount).toBe(0);
            expect(ua.dialogCount).toBe(0);
            expect(ua.sessions.size).toBe(0);
          }
          for (const x of started) {
            expect(x.call.state).toBe('terminated');
            expect(x.ended()).toBe(1);
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 60_000);
});
