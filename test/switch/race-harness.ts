/**
 * A harness for races at the end of B2BUA calls: callers on one trunk call through the
 * switch to a callee on another, as bench/cps runs SIPp's uac and uas, every datagram on a
 * {@link FaultyNetwork} (dropped, delayed, reordered, duplicated by a plan), one fake clock
 * driving the network, the peers' retransmissions, the switch's RFC timers, an optional
 * media engine (in-process workers, optionally slow to answer: a real worker thread is a
 * round trip away) and an optional slow CDR store. `runScenario` runs until every timer
 * has run out and checks what the switch must have done by then ({@link expectCleanEnd}).
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { FakeClock, seededRandom } from '../../src/core/index.js';
import {
  createMediaEngine,
  inProcessWorkers,
  type MediaWorkerHandle,
  type MediaWorkerSpawner,
  MemoryNetwork,
} from '../../src/media/worker/index.js';
import { BYE_ANSWER_HOLD_MAX_MS } from '../../src/sip/index.js';
import {
  type Call,
  type CallEndInfo,
  createMemoryStorage,
  createSwitchCore,
  type Switch,
  type SwitchSettings,
} from '../../src/switch/index.js';
import { type DatagramFault, type FaultRule, FaultyNetwork } from './faulty-network.js';
import { settings } from './helpers.js';
import { type CalleePlan, type CallerPlan, ScriptedCallee, ScriptedCaller } from './scripted-peers.js';

export const SWITCH = { address: '10.0.0.1', port: 5060 };
export const CALLER_IP = '10.0.0.10';
export const CALLEE_IP = '10.0.0.20';

/** The bench/cps set-up: every call from the `uac` trunk goes out through the `uas` trunk. */
export function trunkToTrunk(): SwitchSettings {
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
  /** The switch's automatic 100 Trying after this long (0: at once). */
  tryingDelay: number;
  /** Media anchored in an (in-process) media engine, else signalling only. */
  media: boolean;
  /** How long a command takes to reach the media worker. */
  workerLatencyMs: number;
  /** How long a CDR takes to be written. */
  cdrWriteMs: number;
  /** Faults by what the datagram is, before the plan (fixed orders in regression tests). */
  rule?: FaultRule;
}

export const QUIET: Omit<Scenario, 'calls'> = {
  plan: [],
  tryingDelay: 200,
  media: false,
  workerLatencyMs: 0,
  cdrWriteMs: 0,
};

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

export interface Run {
  scenario: Scenario;
  clock: FakeClock;
  net: FaultyNetwork;
  sw: Switch;
  callers: ScriptedCaller[];
  callee: ScriptedCallee;
  /** Every call the switch made, in order. */
  calls: Call[];
  ended: Array<{ call: Call; info: CallEndInfo }>;
  /** Calls the switch declared answered while their callee leg was not up. */
  answeredWithoutCallee: string[];
  /** For each SIP Call-ID whose BYE a peer got answered: was its call ended (CDR written) then? */
  byeAnswered: Map<string, { status: number; cdrWritten: boolean }>;
  /** Runs the clock `ms` on, one timer at a time, every promise settled in between. */
  run(ms: number): Promise<void>;
  /** The wire, what each peer saw, the calls' states. */
  report(): string;
  close(): Promise<void>;
}

/** Lets every pending promise reaction (and setImmediate) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
}

/**
 * Runs `clock` for `ms`, one timer a turn (a datagram per turn, as UDP reads are), letting
 * the promise reactions each timer starts settle before the next.
 */
export async function runOneTimerATurn(clock: FakeClock, ms: number): Promise<void> {
  const end = clock.now() + ms;
  await settle();
  for (;;) {
    const next = clock.nextTimerAt();
    if (next === undefined || next > end) break;
    clock.runNext();
    await settle();
  }
  await clock.advanceAsync(end - clock.now());
  await settle();
}

/** The call whose legs include the SIP dialog `callId`. */
function callOf(calls: readonly Call[], callId: string): Call | undefined {
  return calls.find((c) => c.legs.some((l) => l.session.callId === callId));
}

/** Sets up the switch and the peers; the callers start at their `at` once the clock runs. */
export async function startScenario(s: Scenario): Promise<Run> {
  const clock = new FakeClock({ start: 1000 });
  const net = new FaultyNetwork({ clock, plan: s.plan, ...(s.rule ? { rule: s.rule } : {}) });
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
  const storage = await createMemoryStorage();
  if (s.cdrWriteMs > 0) {
    const write = storage.cdrs.write.bind(storage.cdrs);
    storage.cdrs.write = (input) =>
      new Promise<void>((resolve) => clock.setTimeout(resolve, s.cdrWriteMs)).then(() => write(input));
  }
  const sw = await createSwitchCore({
    settings: trunkToTrunk(),
    transports: [net.transport(SWITCH.address, SWITCH.port)],
    ...(engine ? { engine } : {}),
    storage,
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
  const run = (ms: number) => runOneTimerATurn(clock, ms);
  return {
    scenario: s,
    clock,
    net,
    sw,
    callers,
    callee,
    calls,
    ended,
    answeredWithoutCallee,
    byeAnswered,
    run,
    report() {
      return [
        `scenario: ${JSON.stringify(s)}`,
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
    async close() {
      const closing = sw.close();
      await run(5_000);
      await closing;
    },
  };
}

/** What the switch must have done once every timer ran out. */
export async function expectCleanEnd(r: Run): Promise<void> {
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
  // the callee was hung up, or cancelled, unless it refused the call
  for (const c of callee.calls) {
    const where = `callee dialog ${c.callId}`;
    if (c.final === 487) expect(c.cancelled, where).toBe(true);
    if (c.final !== 200) continue;
    if (c.byeSent) {
      // a 481 only when the switch's BYE crossed ours
      const ok = c.byeStatus === 200 || (c.byeStatus === 481 && c.gotBye);
      expect(ok, `${where}: its BYE got ${c.byeStatus}`).toBe(true);
    } else expect(c.gotBye, `${where} answered and got no BYE`).toBe(true);
  }
  // an answered caller was hung up, or its BYE was answered (a 481 only when the BYEs crossed)
  for (const c of callers) {
    if (c.toTag === undefined) continue;
    const where = `caller ${c.callId}`;
    if (c.byeSent && !c.gotBye) expect(c.byeStatus, `${where}: BYE`).toBe(200);
    else if (!c.byeSent) expect(c.gotBye, `${where} answered, never hung up`).toBe(true);
  }
  // write, then acknowledge (unless the store is slower than the hold's cap)
  if (r.scenario.cdrWriteMs < BYE_ANSWER_HOLD_MAX_MS)
    for (const [callId, b] of r.byeAnswered)
      if (b.status === 200) expect(b.cdrWritten, `${callId}: 200 to BYE before the CDR`).toBe(true);
}

/**
 * Runs a scenario until every RFC timer (64·T1 = 32 s), the BYE hold cap and the peers'
 * retransmissions have run out, checks it, and closes the switch. RACE_DEBUG=1 prints the
 * wire of a failing run, RACE_TRACE=1 of every run.
 */
export async function runScenario(s: Scenario): Promise<Run> {
  return runChecked(await startScenario(s), 120_000, expectCleanEnd);
}

/** Runs `r` for `ms`, checks it and closes it; RACE_TRACE / RACE_DEBUG print its wire. */
export async function runChecked<
  R extends { run(ms: number): Promise<void>; report(): string; close(): Promise<void> },
>(r: R, ms: number, check: (r: R) => Promise<void> | void): Promise<R> {
  await r.run(ms);
  if (process.env.RACE_TRACE) console.log(r.report());
  try {
    await check(r);
  } catch (err) {
    if (process.env.RACE_DEBUG) console.log(r.report());
    throw err;
  } finally {
    await r.close();
  }
  return r;
}

// ---- arbitraries --------------------------------------------------------------------------

/** Around T1 (500 ms) and T2 (4 s), where retransmissions cross the originals. */
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
      earlyBye: fc.boolean(),
    },
    { requiredKeys: ['holdMs'] },
  ),
  callee: fc.record(
    {
      trying: fc.boolean(),
      ringAfterMs: fc.option(fc.constantFrom(0, 1, 50), { nil: undefined }),
      answerAfterMs: fc.constantFrom(0, 1, 10, 100, 500, 1500),
      rejectWith: fc.option(fc.constantFrom(486, 503), { nil: undefined, freq: 6 }),
      byeAfterMs: fc.option(fc.constantFrom(0, 1, 5, 100, 499, 501, 1000), { nil: undefined, freq: 2 }),
    },
    { requiredKeys: ['trying', 'answerAfterMs'] },
  ),
});

/** Up to three calls under a plan for the first 16 datagrams. */
export function scenarios(media: boolean): fc.Arbitrary<Scenario> {
  return fc.record({
    plan: fc.array(fault, { maxLength: 16 }),
    calls: fc.array(raceCall, { minLength: 1, maxLength: 3 }),
    tryingDelay: fc.constantFrom(0, 200),
    media: fc.constant(media),
    workerLatencyMs: media ? fc.constantFrom(0, 1, 3, 20) : fc.constant(0),
    cdrWriteMs: fc.constantFrom(0, 0, 20, 3000, 6000),
  });
}
