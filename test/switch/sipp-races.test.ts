/**
 * The switch against SIPp as it is (sipp-peers.ts: SIPp 3.6's matching, retransmission and
 * abort rules with bench/cps's uac and uas scenarios) in signalling-only mode, under the
 * storms of a call-rate step the switch falls behind in: datagrams dropped, delayed by up
 * to seconds, duplicated, in order per path (loopback UDP) or reordered.
 *
 * What left calls up in bench/cps (`answered`, both legs `established`, no CDR; SIPp's uac
 * counting every call a success, its uas never getting a BYE) is SIPp's matching of
 * `<recv response="200">` by status code: the switch retransmits its 200 to the INVITE
 * (the ACK is late), the copy reaches the uac after its BYE, the uac takes it for the
 * BYE's answer and stops retransmitting the BYE — and when that BYE was lost the switch is
 * never told the call ended. The bench's uac now matches responses by transaction; with it
 * the switch finishes every call under every storm: no call, session or dialog left, one
 * CDR per call, the uas hung up on every call it answered.
 *
 * RACE_RUNS (default 100) sets the number of random storms per property, RACE_SEED replays
 * a seed, RACE_DEBUG=1 prints the wire of a failing run, RACE_SCENARIO='{…}' replays a
 * counterexample.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FaultRule } from './faulty-network.js';
import { CALLEE_IP, CALLER_IP, SWITCH } from './race-harness.js';
import {
  CALM,
  runSippScenario,
  type SippRun,
  type SippScenario,
  sippScenarios,
  startSippScenario,
  stuckCalls,
} from './sipp-harness.js';

const RUNS = Number(process.env.RACE_RUNS ?? 100);
const SEED = process.env.RACE_SEED === undefined ? {} : { seed: Number(process.env.RACE_SEED) };
const SW = `${SWITCH.address}:${SWITCH.port}`;
const UAC = `${CALLER_IP}:5060`;

/**
 * The order bench/cps ran into: the uac's ACK reaches the switch late (700 ms, after the
 * switch's T1), so the switch sends its 200 to the INVITE again; the uac's BYE (100 ms
 * into the call) is lost.
 */
const lateAckLostBye: FaultRule = (d) => {
  if (d.from === UAC && d.to === SW && d.line === 'ACK 1' && d.nth === 0) return { delayMs: 700 };
  if (d.from === UAC && d.to === SW && d.line === 'BYE 2' && d.nth === 0) return { delayMs: 1, drop: true };
  return undefined;
};

const ORDER: SippScenario = {
  calls: [{ at: 0, holdMs: 100 }],
  storm: CALM,
  tryingDelay: 0,
  cdrWriteMs: 0,
  rule: lateAckLostBye,
};

/** When the switch's `nth` 200 to the INVITE reached the uac, and when the uac's first BYE left. */
function okAfterBye(r: SippRun): { ok2: number; bye: number } {
  const oks = r.net.wire.filter((w) => w.from === SW && w.to === UAC && w.line === '200 INVITE 1');
  const bye = r.net.wire.find((w) => w.from === UAC && w.line === 'BYE 2');
  const ok2 = oks[1];
  const delay = ok2 ? Number(/^\+(\d+)ms/.exec(ok2.fate)?.[1]) : Number.NaN;
  return { ok2: (ok2?.at ?? Number.NaN) + delay, bye: bye?.at ?? Number.NaN };
}

/** The stuck calls of a run with SIPp's stock uac that its matching explains (and what else). */
function explainStuck(r: SippRun): { explained: number; other: string[] } {
  let explained = 0;
  const other: string[] = [];
  for (const c of r.calls) {
    if (c.state === 'ended' && !r.sw.calls.has(c)) continue;
    const uac = r.uacCalls.find((u) => u.id === c.callerLeg.session.callId);
    const legs = c.legs.map((l) => `${l.role}:${l.state}`).join(', ');
    // the uac ended its call on a 200 to the INVITE, and the switch never got its BYE
    if (
      uac?.outcome === 'success' &&
      uac.lastMatched === '200 INVITE' &&
      c.state === 'answered' &&
      legs === 'caller:established, callee:established'
    )
      explained++;
    else other.push(`${c.state} [${legs}] uac ${uac?.outcome} ${uac?.lastMatched}`);
  }
  return { explained, other };
}

describe('switch: SIPp through the switch under a retransmission storm (signalling only)', () => {
  it('a call without faults: both SIPp ends count it successful, one CDR', async () => {
    const r = await runSippScenario({
      calls: [{ at: 0, holdMs: 100 }],
      storm: CALM,
      tryingDelay: 200,
      cdrWriteMs: 0,
    });
    expect(r.uacCalls.map((c) => [c.outcome, c.lastMatched])).toEqual([['success', '200 BYE']]);
    expect(r.uas.calls.map((c) => c.outcome)).toEqual(['success']);
    expect(r.ended).toHaveLength(1);
  });

  it("SIPp's stock matching: a retransmitted 200 to the INVITE answers the uac's BYE; with that BYE lost the call stays up (what bench/cps saw)", async () => {
    const r = await startSippScenario({ ...ORDER, uac: 'stock' });
    await r.run(200_000);
    try {
      const { ok2, bye } = okAfterBye(r);
      expect(ok2).toBeGreaterThan(bye); // the second 200 to the INVITE came after the BYE left
      const [uac] = r.uacCalls;
      expect(uac).toMatchObject({ outcome: 'success', lastMatched: '200 INVITE' });
      expect(uac?.sent.get('BYE')).toBe(1); // never retransmitted
      expect(r.uas.calls[0]?.received.get('BYE')).toBeUndefined();
      // SIPp is done with the call, the switch was never told: up for good, no CDR
      expect(stuckCalls(r)).toEqual(['answered [caller:established, callee:established]']);
      expect(await r.sw.storage.cdrs.query({ limit: 10 })).toMatchObject({ items: [] });
    } finally {
      await r.close();
    }
  });

  it("the bench's uac (responses matched by transaction) in the same order: ACKs the 200 again, its BYE is retransmitted and ends the call", async () => {
    const r = await runSippScenario({ ...ORDER, uac: 'bench' });
    const { ok2, bye } = okAfterBye(r);
    expect(ok2).toBeGreaterThan(bye);
    const [uac] = r.uacCalls;
    expect(uac).toMatchObject({ outcome: 'success', lastMatched: '200 BYE' });
    expect(uac?.sent.get('ACK')).toBe(2);
    expect(uac?.sent.get('BYE')).toBe(2);
    expect(r.uas.calls[0]?.received.get('BYE')).toBe(1);
    expect(r.ended.map((c) => c.state)).toEqual(['ended']);
  });

  it("the uas answers the switch's last INVITE retransmission after Timer B: the late 200 is ACKed and BYEd", async () => {
    // regression: the 200 found no transaction and no session and was dropped; the uas
    // retransmitted it for 31.5 s and gave up on the call (failed), never hung up
    const UAS = `${CALLEE_IP}:5060`;
    const r = await runSippScenario({
      calls: [{ at: 0, holdMs: 100 }],
      storm: CALM,
      tryingDelay: 0,
      cdrWriteMs: 0,
      // every INVITE to the uas is lost but the last (31.5 s), which arrives after Timer B (32 s)
      rule: (d) =>
        d.from === SW && d.to === UAS && d.line === 'INVITE 1'
          ? d.nth < 6
            ? { delayMs: 1, drop: true }
            : { delayMs: 1000 }
          : undefined,
    });
    // the caller was told at Timer B (SIPp's uac has no recv for a 480: a failed call)
    expect(r.uacCalls[0]?.failure).toBe('unexpected 480 INVITE');
    const [uas] = r.uas.calls;
    expect([uas?.outcome, uas?.received.get('ACK'), uas?.received.get('BYE')]).toEqual(['success', 1, 1]);
    expect(r.ended.map((c) => c.state)).toEqual(['ended']);
  });

  for (const fifo of [true, false])
    it(`random storms (${fifo ? 'in order per path, as loopback UDP' : 'reordered'}): the switch finishes every call`, async () => {
      await fc.assert(
        fc.asyncProperty(sippScenarios({ fifo }), async (s) => {
          await runSippScenario(s);
        }),
        { numRuns: RUNS, ...SEED },
      );
    });

  it("random storms with SIPp's stock uac: the only calls left up are those its matching ended on a 200 to the INVITE", async () => {
    await fc.assert(
      fc.asyncProperty(sippScenarios({ fifo: true, uac: 'stock' }), async (s) => {
        const r = await startSippScenario(s);
        await r.run(200_000);
        try {
          const { explained, other } = explainStuck(r);
          expect(other, 'calls left up for another reason').toEqual([]);
          // everything else is finished: a CDR per other call, no session or dialog but theirs
          const cdrs = (await r.sw.storage.cdrs.query({ limit: 100 })).items;
          expect(cdrs).toHaveLength(r.calls.length - explained);
          expect(r.sw.ua.sessions.size).toBe(2 * explained);
          expect(r.sw.ua.dialogCount).toBe(2 * explained);
        } catch (err) {
          if (process.env.RACE_DEBUG) console.log(r.report());
          throw err;
        } finally {
          await r.close();
        }
      }),
      { numRuns: RUNS, ...SEED },
    );
  });

  if (process.env.RACE_SCENARIO)
    it('replays RACE_SCENARIO (a counterexample as JSON)', async () => {
      await runSippScenario(JSON.parse(process.env.RACE_SCENARIO as string) as SippScenario);
    });
});
