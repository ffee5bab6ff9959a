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
import type { FaultRule } from './faulty-network.js';
import {
  CALLEE_IP,
  CALLER_IP,
  QUIET,
  type RaceCall,
  type Run,
  runScenario,
  type Scenario,
  SWITCH,
  scenarios,
} from './race-harness.js';

const SW = `${SWITCH.address}:${SWITCH.port}`;
const CALLER = `${CALLER_IP}:5060`;
const CALLEE = `${CALLEE_IP}:5060`;

/** Delays (or drops, or doubles) the `nth` datagram `line` from `from` to `to`. */
function only(
  from: string,
  to: string,
  line: string,
  fault: { drop?: boolean; delayMs?: number; duplicateMs?: number },
  nth = 0,
): FaultRule {
  return (d) =>
    d.from === from && d.to === to && d.line === line && d.nth === nth ? { delayMs: 1, ...fault } : undefined;
}

/** When the `nth` datagram `line` from `from` to `to` reached `to` (undefined: dropped or never sent). */
function arrival(r: Run, from: string, to: string, line: string, nth = 0): number | undefined {
  const w = r.net.wire.filter((x) => x.from === from && x.to === to && x.line === line)[nth];
  const m = w && /^\+(\d+)ms/.exec(w.fate);
  return w && m ? w.at + Number(m[1]) : undefined;
}

function count(r: Run, from: string, to: string, line: string): number {
  return r.net.wire.filter((x) => x.from === from && x.to === to && x.line === line).length;
}

const call = (caller: RaceCall['caller'], callee: RaceCall['callee']): RaceCall[] => [
  { at: 0, caller, callee },
];

/**
 * Orders around the caller's BYE picked by hand (timings with 1 ms per hop: the INVITE
 * reaches the callee at +2 ms, its 200 reaches the switch at +3 ms + answerAfterMs; the
 * in-process media worker answers in the same instant).
 */
const ORDERS: Array<{
  name: string;
  scenario: Partial<Scenario> & Pick<Scenario, 'calls'>;
  check?: (r: Run) => void;
}> = [
  {
    name: "the caller's BYE arrives before its ACK",
    scenario: {
      calls: call({ holdMs: 0 }, { trying: false, answerAfterMs: 0 }),
      rule: only(CALLER, SW, 'ACK 1', { delayMs: 300 }),
    },
    check: (r) => {
      expect(arrival(r, CALLER, SW, 'BYE 2')).toBeLessThan(arrival(r, CALLER, SW, 'ACK 1') as number);
      expect(r.callee.calls[0]).toMatchObject({ final: 200, acked: true, gotBye: true });
    },
  },
  {
    name: "the caller's ACK is lost: its 200 is retransmitted after the BYE, and ACKed again",
    scenario: {
      calls: call({ holdMs: 0 }, { trying: false, answerAfterMs: 0 }),
      rule: only(CALLER, SW, 'ACK 1', { drop: true }),
    },
    check: (r) => {
      expect(count(r, SW, CALLER, '200 INVITE 1')).toBeGreaterThan(1);
      expect(count(r, CALLER, SW, 'ACK 1')).toBeGreaterThan(1);
      expect(r.callers[0]?.byeStatus).toBe(200);
    },
  },
  {
    name: "the switch's ACK to the callee is lost: the callee's 200 comes again while the switch's BYE is on its way",
    scenario: {
      calls: call({ holdMs: 0 }, { trying: false, answerAfterMs: 0 }),
      rule: (d) =>
        only(SW, CALLEE, 'ACK 1', { drop: true })(d) ?? only(SW, CALLEE, 'BYE 2', { delayMs: 1000 })(d),
    },
    check: (r) => {
      expect(count(r, CALLEE, SW, '200 INVITE 1')).toBeGreaterThan(1);
      expect(count(r, SW, CALLEE, 'ACK 1')).toBeGreaterThan(1); // re-ACKed after the BYE went
      expect(r.callee.calls[0]).toMatchObject({ acked: true, gotBye: true });
    },
  },
  {
    name: "the caller's BYE is retransmitted while the CDR is written: one CDR, one 200 once it is on disk",
    scenario: { calls: call({ holdMs: 0 }, { trying: false, answerAfterMs: 0 }), cdrWriteMs: 3000 },
    check: (r) => {
      expect(count(r, CALLER, SW, 'BYE 2')).toBeGreaterThan(2);
      expect(count(r, SW, CALLER, '200 BYE 2')).toBe(1);
      expect(r.callee.calls[0]?.gotBye).toBe(true);
    },
  },
  {
    name: "the caller's BYE arrives twice at once",
    scenario: {
      calls: call({ holdMs: 0 }, { trying: false, answerAfterMs: 0 }),
      rule: only(CALLER, SW, 'BYE 2', { duplicateMs: 1 }),
    },
  },
  {
    name: "the callee's 200 arrives twice at once",
    scenario: {
      calls: call({ holdMs: 0 }, { trying: false, answerAfterMs: 0 }),
      rule: only(CALLEE, SW, '200 INVITE 1', { duplicateMs: 1 }),
    },
    check: (r) => expect(r.calls).toHaveLength(1),
  },
  ...[1, 2, 3].map((d) => ({
    name: `an early-dialog BYE from the caller reaches the switch ${['just before', 'in the same instant as', 'just after'][d - 1]} the callee's 200`,
    scenario: {
      calls: call(
        { holdMs: 0, hangupAfterMs: 100 + d, earlyBye: true },
        { trying: false, ringAfterMs: 0, answerAfterMs: 100 },
      ),
    },
    check: (r: Run) => {
      const bye = arrival(r, CALLER, SW, 'BYE 2') as number;
      expect(bye - (arrival(r, CALLEE, SW, '200 INVITE 1') as number)).toBe(d - 2);
      expect(r.callee.calls[0]?.gotBye).toBe(true);
    },
  })),
  ...[1, 2, 3].map((d) => ({
    name: `the caller's CANCEL reaches the switch ${['just before', 'in the same instant as', 'just after'][d - 1]} the callee's 200`,
    scenario: {
      calls: call(
        { holdMs: 0, hangupAfterMs: 100 + d },
        { trying: false, ringAfterMs: 0, answerAfterMs: 100 },
      ),
    },
    check: (r: Run) => {
      const cancel = arrival(r, CALLER, SW, 'CANCEL 1') as number;
      expect(cancel - (arrival(r, CALLEE, SW, '200 INVITE 1') as number)).toBe(d - 2);
      expect(r.callee.calls[0]?.gotBye).toBe(true); // ACK + BYE to the 200 that crossed
    },
  })),
  {
    name: 'both parties hang up at once (the BYEs cross)',
    scenario: { calls: call({ holdMs: 0 }, { trying: false, answerAfterMs: 0, byeAfterMs: 0 }) },
    check: (r) => {
      expect(arrival(r, CALLER, SW, 'BYE 2')).toBe(arrival(r, CALLEE, SW, 'BYE 1'));
      expect(r.ended).toHaveLength(1);
    },
  },
];

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
    describe(`fixed orders (${media ? 'media anchored' : 'signalling only'})`, () => {
      for (const o of ORDERS)
        it(o.name, async () => {
          const r = await runScenario({ ...QUIET, media, ...o.scenario });
          o.check?.(r);
        });
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
