/**
 * Races around the end of a B2BUA call: callers on one trunk call through the switch to a
 * callee on another, as bench/cps runs SIPp's uac and uas, on a network that drops,
 * delays, reorders and duplicates datagrams under a random bounded plan, signalling only
 * or with media anchored. Whatever the order — the caller's BYE before the ACK, a 2xx
 * retransmitted after the BYE, a BYE retransmission, a CANCEL crossing the 200, the
 * callee hanging up before its 200 was ACKed or while the switch connects the media, both
 * hanging up at once — once every timer has run out the switch holds no call, no session
 * and no dialog, every call has exactly one CDR, each INVITE made one call, the callee was
 * hung up (BYE) or cancelled, and a peer whose BYE was answered had the call's CDR on disk
 * by then (write, then acknowledge).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock, seededRandom } from '../../src/core/index.js';
import {
  createMediaEngine,
  inProcessWorkers,
  type MediaWorkerHandle,
  type MediaWorkerSpawner,
  MemoryNetwork,
} from '../../src/media/worker/index.js';
import {
  type Call,
  type CallEndInfo,
  createMemoryStorage,
  createSwitchCore,
  type Switch,
  type SwitchSettings,
} from '../../src/switch/index.js';
import { type DatagramFault, FaultyNetwork } from './faulty-network.js';
import { settings } from './helpers.js';
import { type CalleePlan, type CallerPlan, ScriptedCallee, ScriptedCaller } from './scripted-peers.js';

const SWITCH = { address: '10.0.0.1', port: 5060 };
const CALLER_IP = '10.0.0.10';
const CALLEE_IP = '10.0.0.20';

/** The bench/cps set-up: every call from the `uac` trunk goes out through the `uas` trunk. */
function trunkToTrunk(): SwitchSettings {
  const trunk = (name: string, ip: string) => ({
    name,
    registrar: `sip:${ip}:5060`,
    transport: 'udp' as const,
    register: false,
    expires: 600,
    dids: [],
    enabled: true,
  });
  return {
    ...settings(),
    trunks: [trunk('uac', CALLER_IP), trunk('uas', CALLEE_IP)],
    routes: [
      {
        name: 'everything to the uas',
        match: { kind: 'prefix', value: '5' },
        target: { kind: 'trunk', trunk: 'uas' },
        from: 'trunks',
      },
    ],
  };
}

export interface RaceCall {
  /** When the caller sends its INVITE, ms after the start. */
  at: number;
  caller: CallerPlan;
  callee: CalleePlan;
}

export interface Scenario {
  /** The fate of the first datagrams on the wire, in the order they are sent. */
  plan: readonly DatagramFault[];
  calls: readonly RaceCall[];
  tryingDelay: number;
  /** Media anchored in an (in-process) media engine, else signalling only. */
  media: boolean;
  /** How long a command takes to reach the media worker (a worker thread is not instant). */
  workerLatencyMs: number;
}

/** Workers whose commands arrive `latencyMs` after they were posted (in order). */
function slowWorkers(inner: MediaWorkerSpawner, clock: FakeClock, latencyMs: number): MediaWorkerSpawner {
  if (latencyMs <= 0) return inner;
  return (data) => {
    const w = inner(data);
    const handle: MediaWorkerHandle = {
      ...(w.threadId === undefined ? {} : { threadId: w.threadId }),
      postMessage: (m) => {
        clock.setTimeout(() => w.postMessage(m), latencyMs);
      },
      on: (event: 'message' | 'error' | 'exit', listener: (arg: never) => void) =>
        w.on(event as 'message', listener as () => void),
      terminate: () => w.terminate(),
    };
    return handle;
  };
}

interface Run {
  clock: FakeClock;
  net: FaultyNetwork;
  sw: Switch;
  callers: ScriptedCaller[];
  callee: ScriptedCallee;
  calls: Call[];
  ended: Array<{ call: Call; info: CallEndInfo }>;
  /** Calls the switch declared answered while their callee leg was not up. */
  answeredWithoutCallee: string[];
  /** For each SIP Call-ID whose BYE a peer got answered: was its call ended (CDR written) then? */
  byeAnswered: Map<string, { status: number; cdrWritten: boolean }>;
  /** Runs the clock `ms` on, timer by timer, letting promises settle in between. */
  run(ms: number): Promise<void>;
  report(): string;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
}

/** The call whose legs include the SIP dialog `callId`. */
function callOf(calls: readonly Call[], callId: string): Call | undefined {
  return calls.find((c) => c.legs.some((l) => l.session.callId === callId));
}

async function start(s: Scenario): Promise<Run> {
  const clock = new FakeClock({ start: 1000 });
  const net = new FaultyNetwork({ clock, plan: s.plan });
  const engine = s.media
    ? await createMediaEngine({
        workers: 1,
        spawn: slowWorkers(
          inProcessWorkers({ clock, sockets: new MemoryNetwork({ clock }) }),
          clock,
          s.workerLatencyMs,
        ),
        bindAddress: SWITCH.address,
        portRange: { min: 20000, max: 20999 },
        endpointDefaults: { statsIntervalMs: 0 },
      })
    : undefined;
  const sw = await createSwitchCore({
    settings: trunkToTrunk(),
    transports: [net.transport(SWITCH.address, SWITCH.port)],
    ...(engine ? { engine } : {}),
    storage: await createMemoryStorage(),
    clock,
    random: seededRandom(42),
    secret: 'a test secret of at least 16 bytes',
    tryingDelay: s.tryingDelay,
  });
  const callee = new ScriptedCallee({
    clock,
    transport: net.transport(CALLEE_IP),
    plans: s.calls.map((c) => c.callee),
  });
  const callerTransport = net.transport(CALLER_IP);
  const callers = s.calls.map(
    (c, id) =>
      new ScriptedCaller({
        clock,
        transport: callerTransport,
        switchAt: SWITCH,
        number: '5551000',
        plan: c.caller,
        id,
      }),
  );
  const calls: Call[] = [];
  const ended: Run['ended'] = [];
  sw.on('call', (c) => calls.push(c));
  sw.on('ended', (call, info) => ended.push({ call, info }));
  const answeredWithoutCallee: string[] = [];
  sw.on('answered', (call) => {
    const state = call.calleeLeg?.session.state;
    if (state !== 'established') answeredWithoutCallee.push(`${call.id}: callee leg ${state}`);
  });
  const byeAnswered: Run['byeAnswered'] = new Map();
  const onBye = (callId: string, status: number) => {
    const call = callOf(calls, callId);
    byeAnswered.set(callId, { status, cdrWritten: ended.some((e) => e.call === call) });
  };
  for (const c of callers) c.onByeAnswered = (status) => onBye(c.callId, status);
  callee.onByeAnswered = (c, status) => onBye(c.callId, status);
  s.calls.forEach((c, i) => {
    clock.setTimeout(() => callers[i]?.start(), c.at);
  });
  return {
    clock,
    net,
    sw,
    callers,
    callee,
    calls,
    ended,
    answeredWithoutCallee,
    byeAnswered,
    async run(ms) {
      const end = clock.now() + ms;
      await settle();
      for (;;) {
        const next = clock.nextTimerAt();
        if (next === undefined || next > end) break;
        await clock.advanceAsync(Math.max(0, next - clock.now()));
        await settle();
      }
      await clock.advanceAsync(end - clock.now());
      await settle();
    },
    report() {
      return [
        'wire:',
        net.trace(),
        ...callers.flatMap((c) => [`caller ${c.callId}:`, ...c.events]),
        'callee:',
        ...callee.events,
        ...calls.map(
          (c) => `call ${c.id} ${c.state}: ${c.legs.map((l) => `${l.role}:${l.state}`).join(', ')}`,
        ),
      ].join('\n');
    },
  };
}

/** Everything the switch must have done once all timers ran out. */
async function expectCleanEnd(r: Run): Promise<void> {
  const { sw, callers, callee, calls } = r;
  const stuck = calls
    .filter((c) => c.state !== 'ended' || sw.calls.has(c))
    .map((c) => `${c.state} [${c.legs.map((l) => `${l.role}:${l.state}`).join(', ')}]`);
  expect(stuck, 'calls the switch still holds').toEqual([]);
  expect(r.answeredWithoutCallee, 'the caller was connected to a callee that had left').toEqual([]);
  expect(sw.calls.size).toBe(0);
  for (const c of calls)
    for (const leg of c.legs) expect(leg.session.state, `${leg.role} leg of ${c.id}`).toBe('terminated');
  expect(sw.ua.sessions.size, 'invite sessions left in the UA').toBe(0);
  expect(sw.ua.dialogCount, 'dialogs left in the UA').toBe(0);
  // one call per INVITE, exactly one CDR per call
  const callerIds = calls.map((c) => c.callerLeg.session.callId);
  expect(new Set(callerIds).size, 'an INVITE made two calls').toBe(calls.length);
  const cdrs = (await sw.storage.cdrs.query({ limit: 100 })).items;
  expect(cdrs.map((c) => c.callId).sort()).toEqual(calls.map((c) => c.id).sort());
  expect(r.ended).toHaveLength(calls.length);
  // the callee was hung up or cancelled
  for (const c of callee.calls) {
    const where = `callee dialog ${c.callId}`;
    if (c.final !== 200) {
      expect(c.cancelled, `${where} neither answered nor cancelled`).toBe(true);
      continue;
    }
    if (c.byeSent) {
      // a 481 only when the switch's BYE crossed ours
      expect(c.byeStatus === 200 || (c.byeStatus === 481 && c.gotBye), `${where}: BYE ${c.byeStatus}`).toBe(
        true,
      );
    } else expect(c.gotBye, `${where} answered and got no BYE`).toBe(true);
  }
  // an answered caller was hung up, or its BYE was answered (481 only when the BYEs crossed)
  for (const c of callers) {
    if (c.toTag === undefined) continue;
    const where = `caller ${c.callId}`;
    if (c.byeSent && !c.gotBye) expect(c.byeStatus, `${where}: BYE`).toBe(200);
    else if (!c.byeSent) expect(c.gotBye, `${where} answered, never hung up`).toBe(true);
  }
  // write, then acknowledge
  for (const [callId, b] of r.byeAnswered)
    if (b.status === 200) expect(b.cdrWritten, `${callId}: 200 to BYE before the CDR`).toBe(true);
}

/** Runs a scenario to its end (every RFC timer and the BYE hold cap run out) and checks it. */
async function runScenario(s: Scenario): Promise<Run> {
  const r = await start(s);
  await r.run(120_000);
  try {
    await expectCleanEnd(r);
  } catch (err) {
    if (process.env.RACE_DEBUG) console.log(r.report());
    throw err;
  } finally {
    const closing = r.sw.close();
    await r.run(5_000);
    await closing;
  }
  return r;
}

const delay = fc.constantFrom(0, 0, 1, 2, 5, 50, 100, 250, 499, 500, 501, 1000, 2100, 4500);
const fault: fc.Arbitrary<DatagramFault> = fc.record(
  {
    drop: fc.constantFrom(false, false, false, false, true),
    delayMs: delay,
    duplicateMs: fc.option(delay, { nil: undefined, freq: 3 }),
  },
  { requiredKeys: ['delayMs'] },
);
const raceCall: fc.Arbitrary<RaceCall> = fc.record({
  at: fc.constantFrom(0, 0, 1, 50, 300),
  caller: fc.record(
    {
      holdMs: fc.constantFrom(0, 1, 5, 100, 499, 500, 1000, 60_000),
      hangupAfterMs: fc.option(fc.constantFrom(0, 1, 10, 100, 300, 600, 1200), { nil: undefined, freq: 3 }),
    },
    { requiredKeys: ['holdMs'] },
  ),
  callee: fc.record(
    {
      trying: fc.boolean(),
      ringAfterMs: fc.option(fc.constantFrom(0, 1, 50), { nil: undefined }),
      answerAfterMs: fc.constantFrom(0, 1, 10, 100, 500, 1500),
      byeAfterMs: fc.option(fc.constantFrom(0, 1, 5, 100, 499, 501, 1000), { nil: undefined, freq: 2 }),
    },
    { requiredKeys: ['trying', 'answerAfterMs'] },
  ),
});
const scenario = (media: boolean): fc.Arbitrary<Scenario> =>
  fc.record({
    plan: fc.array(fault, { maxLength: 16 }),
    calls: fc.array(raceCall, { minLength: 1, maxLength: 3 }),
    tryingDelay: fc.constantFrom(0, 200),
    media: fc.constant(media),
    workerLatencyMs: media ? fc.constantFrom(0, 1, 3, 20) : fc.constant(0),
  });

const RUNS = Number(process.env.RACE_RUNS ?? 100);

describe('switch: races at the end of a call', () => {
  it('a clean call (no faults) ends with a CDR, the callee hung up', async () => {
    const r = await runScenario({
      plan: [],
      calls: [{ at: 0, caller: { holdMs: 100 }, callee: { trying: false, answerAfterMs: 0 } }],
      tryingDelay: 200,
      media: false,
      workerLatencyMs: 0,
    });
    expect(r.callers[0]?.byeStatus).toBe(200);
    expect(r.callee.calls.map((c) => [c.final, c.acked, c.gotBye])).toEqual([[200, true, true]]);
    expect(r.ended.map((e) => [e.info.disposition, e.info.hangup.by])).toEqual([['answered', 'caller']]);
  });

  for (const media of [false, true])
    it(`over random drop/delay/duplicate schedules the switch always finishes its calls (${media ? 'media anchored' : 'signalling only'})`, async () => {
      await fc.assert(
        fc.asyncProperty(scenario(media), async (s) => {
          await runScenario(s);
        }),
        { numRuns: media ? Math.ceil(RUNS / 3) : RUNS },
      );
    });
});

if (process.env.RACE_SCENARIO)
  it('replays RACE_SCENARIO', async () => {
    await runScenario(JSON.parse(process.env.RACE_SCENARIO as string) as Scenario);
  });
