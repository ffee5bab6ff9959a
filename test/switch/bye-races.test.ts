/**
 * Races around the end of B2BUA calls (race-harness.ts): callers on a trunk call through
 * the switch to a callee on another trunk, as bench/cps runs SIPp, on a network that
 * drops, delays, reorders and duplicates datagrams. Whatever the order — the caller's BYE
 * before the ACK, a 2xx retransmitted after the BYE, a BYE retransmission, a CANCEL or an
 * early-dialog BYE crossing the 200, the callee hanging up while the switch connects the
 * media, both hanging up at once — once every timer has run out the switch holds no call,
 * no session and no dialog, every call has one CDR, each INVITE made one call, the callee
 * was hung up or cancelled, and a peer whose BYE was answered had the CDR on disk by then.
 *
 * RACE_RUNS (default 100) sets the number of random scenarios, RACE_SEED replays a seed,
 * RACE_DEBUG=1 prints the wire of a failing one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QUIET, runScenario, type Scenario, scenarios } from './race-harness.js';

const RUNS = Number(process.env.RACE_RUNS ?? 100);
const SEED = process.env.RACE_SEED === undefined ? {} : { seed: Number(process.env.RACE_SEED) };

describe('switch: races at the end of a call', () => {
  it('a call without faults: answered, the caller hangs up, the callee gets the BYE, one CDR', async () => {
    const r = await runScenario({
      ...QUIET,
      calls: [{ at: 0, caller: { holdMs: 100 }, callee: { trying: false, answerAfterMs: 0 } }],
    });
    expect(r.callers[0]?.byeStatus).toBe(200);
    expect(r.callee.calls.map((c) => [c.final, c.acked, c.gotBye])).toEqual([[200, true, true]]);
    expect(r.ended.map((e) => [e.info.disposition, e.info.hangup.by])).toEqual([['answered', 'caller']]);
  });

  it('the callee hangs up while the media of its answer is being connected: the call fails (480), its BYE waits for the CDR', async () => {
    // regression: the switch listened for the callee's end only once the caller was
    // connected, so a BYE during the media worker round trips went unnoticed (answered at
    // once, before any CDR), the caller was then answered anyway and the call stayed up
    const r = await runScenario({
      ...QUIET,
      media: true,
      workerLatencyMs: 20,
      calls: [
        {
          at: 0,
          caller: { holdMs: 600_000 }, // never hangs up by itself within the run
          callee: { trying: false, answerAfterMs: 0, byeAfterMs: 0 },
        },
      ],
    });
    expect(r.callee.calls[0]).toMatchObject({ final: 200, acked: true, byeSent: true, byeStatus: 200 });
    expect(r.callers[0]?.inviteStatus).toBe(480);
    expect(r.ended.map((e) => [e.info.disposition, e.info.hangup])).toEqual([
      ['failed', { by: 'callee', status: 480, reason: 'Callee Hung Up' }],
    ]);
  });

  for (const media of [false, true])
    it(`random drop/delay/duplicate plans: the switch always finishes its calls (${media ? 'media anchored' : 'signalling only'})`, async () => {
      await fc.assert(
        fc.asyncProperty(scenarios(media), async (s) => {
          await runScenario(s);
        }),
        { numRuns: media ? Math.ceil(RUNS / 3) : RUNS, ...SEED },
      );
    });

  if (process.env.RACE_SCENARIO)
    it('replays RACE_SCENARIO (a counterexample as JSON)', async () => {
      await runScenario(JSON.parse(process.env.RACE_SCENARIO as string) as Scenario);
    });
});
