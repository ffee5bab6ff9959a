/**
 * bench/cps in miniature with SIPp as it is (sipp-peers.ts): SIPp's uac calls through the
 * switch (signalling only, trunk to trunk) to SIPp's uas on a {@link FaultyNetwork} under a
 * seeded "storm" — datagrams dropped (socket buffers overflowing), delayed by up to seconds
 * (queues), duplicated, and either kept in order per path (loopback UDP) or reordered. One
 * fake clock drives the network, both SIPp processes and the switch, a datagram per turn.
 * `runSippScenario` runs until every timer has run out and checks that the switch finished
 * every call whatever SIPp did ({@link expectSwitchFinished}).
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { FakeClock, type Random, seededRandom } from '../../src/core/index.js';
import { type Call, createMemoryStorage, createSwitchCore, type Switch } from '../../src/switch/index.js';
import { type DatagramFault, type FaultRule, FaultyNetwork } from './faulty-network.js';
import { CALLEE_IP, CALLER_IP, runChecked, runOneTimerATurn, SWITCH, trunkToTrunk } from './race-harness.js';
import { SippAgent, type SippCall, uacSteps, uasSteps } from './sipp-peers.js';

export interface Storm {
  seed: number;
  /** Share of datagrams dropped. */
  drop: number;
  /** Share of datagrams delayed by up to `maxDelayMs` (the others take 0–2 ms). */
  slow: number;
  maxDelayMs: number;
  /** Share of datagrams delivered twice. */
  duplicate: number;
  /** Datagrams between two hosts keep their order (loopback UDP); else they are reordered freely. */
  fifo: boolean;
}

export const CALM: Storm = { seed: 1, drop: 0, slow: 0, maxDelayMs: 0, duplicate: 0, fifo: true };

export interface SippScenario {
  /** When each uac call starts, ms after the start, and how long it holds (SIPp -d). */
  calls: ReadonlyArray<{ at: number; holdMs: number }>;
  storm: Storm;
  /** The switch's automatic 100 Trying after this long (0: at once). */
  tryingDelay: number;
  /** How long a CDR takes to be written. */
  cdrWriteMs: number;
  /**
   * 'bench': the uac of bench/lib/sipp-scenarios.ts (responses matched by transaction);
   * 'stock': that uac as it was, SIPp's matching by status code (default 'bench').
   */
  uac?: 'bench' | 'stock';
  /** Faults by what the datagram is, before the storm (fixed orders in regression tests). */
  rule?: FaultRule;
}

/** The fate of each datagram under a storm: seeded, so a failing run replays. */
export function stormRule(storm: Storm, clock: FakeClock): FaultRule {
  const rng: Random = seededRandom(storm.seed);
  const lastArrival = new Map<string, number>();
  return (d) => {
    const drop = rng.next() < storm.drop;
    const slow = rng.next() < storm.slow;
    let delayMs = slow ? Math.floor(rng.next() * storm.maxDelayMs) : rng.int(3);
    const dup = rng.next() < storm.duplicate;
    const extra = Math.floor(rng.next() * Math.max(1, storm.maxDelayMs));
    const path = `${d.from} ${d.to}`;
    const now = clock.now();
    if (storm.fifo) {
      const floor = lastArrival.get(path) ?? 0;
      delayMs = Math.max(delayMs, floor - now);
    }
    const fault: DatagramFault = { delayMs, ...(drop ? { drop: true } : {}) };
    if (dup) fault.duplicateMs = storm.fifo ? delayMs : delayMs + extra;
    if (storm.fifo && (!drop || dup)) lastArrival.set(path, now + delayMs);
    return fault;
  };
}

export interface SippRun {
  scenario: SippScenario;
  clock: FakeClock;
  net: FaultyNetwork;
  sw: Switch;
  uac: SippAgent;
  uas: SippAgent;
  /** The uac's calls, in order. */
  uacCalls: SippCall[];
  /** Every call the switch made. */
  calls: Call[];
  ended: Call[];
  run(ms: number): Promise<void>;
  report(): string;
  close(): Promise<void>;
}

export async function startSippScenario(s: SippScenario): Promise<SippRun> {
  const clock = new FakeClock({ start: 1000 });
  const storm = stormRule(s.storm, clock);
  const rule: FaultRule = s.rule ? (d) => s.rule?.(d) ?? storm(d) : storm;
  const net = new FaultyNetwork({ clock, plan: [], rule });
  const storage = await createMemoryStorage();
  if (s.cdrWriteMs > 0) {
    const write = storage.cdrs.write.bind(storage.cdrs);
    storage.cdrs.write = (input) =>
      new Promise<void>((resolve) => clock.setTimeout(resolve, s.cdrWriteMs)).then(() => write(input));
  }
  const sw = await createSwitchCore({
    settings: trunkToTrunk(),
    transports: [net.transport(SWITCH.address, SWITCH.port)],
    storage,
    clock,
    random: seededRandom(42),
    secret: 'a test secret of at least 16 bytes',
    tryingDelay: s.tryingDelay,
  });
  const uas = new SippAgent({
    mode: 'server',
    clock,
    transport: net.transport(CALLEE_IP),
    steps: uasSteps(),
  });
  const txn = { transactions: s.uac !== 'stock' };
  const uac = new SippAgent({
    mode: 'client',
    clock,
    transport: net.transport(CALLER_IP),
    steps: uacSteps(s.calls[0]?.holdMs ?? 100, txn),
  });
  // SIPp's -d is per process: calls that hold otherwise stand for other uac processes
  const scenarios = new Map<number, ReturnType<SippAgent['compile']>>();
  const stepsFor = (holdMs: number) => {
    let steps = scenarios.get(holdMs);
    if (!steps) {
      steps = uac.compile(uacSteps(holdMs, txn));
      scenarios.set(holdMs, steps);
    }
    return steps;
  };
  const uacCalls: SippCall[] = [];
  const calls: Call[] = [];
  const ended: Call[] = [];
  sw.on('call', (c) => calls.push(c));
  sw.on('ended', (c) => ended.push(c));
  for (const c of s.calls)
    clock.setTimeout(() => {
      uacCalls.push(uac.call(SWITCH, stepsFor(c.holdMs)));
    }, c.at);
  const run = (ms: number) => runOneTimerATurn(clock, ms);
  return {
    scenario: s,
    clock,
    net,
    sw,
    uac,
    uas,
    uacCalls,
    calls,
    ended,
    run,
    report() {
      const sipp = (who: string, cs: readonly SippCall[]) =>
        cs.flatMap((c) => [
          `${who} ${c.id} ${c.outcome ?? 'running'}${c.failure ? ` (${c.failure})` : ''}:`,
          ...c.events,
        ]);
      return [
        `scenario: ${JSON.stringify({ ...s, rule: s.rule ? 'fixed' : undefined })}`,
        'wire:',
        net.trace(),
        ...sipp('uac', uacCalls),
        ...sipp('uas', uas.calls),
        ...uac.absorbed.map((x) => `uac ${x}`),
        ...uas.absorbed.map((x) => `uas ${x}`),
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

/** The calls the switch still holds, as the bench reports them. */
export function stuckCalls(r: SippRun): string[] {
  return r.calls
    .filter((c) => c.state !== 'ended' || r.sw.calls.has(c))
    .map((c) => `${c.state} [${c.legs.map((l) => `${l.role}:${l.state}`).join(', ')}]`);
}

/** Whatever SIPp did, once every timer ran out the switch has finished every call. */
export async function expectSwitchFinished(r: SippRun): Promise<void> {
  const { sw, calls } = r;
  expect(stuckCalls(r), 'calls the switch still holds').toEqual([]);
  expect(sw.calls.size).toBe(0);
  for (const c of calls)
    for (const leg of c.legs) expect(leg.session.state, `${leg.role} leg of ${c.id}`).toBe('terminated');
  expect(sw.ua.sessions.size, 'invite sessions left in the UA').toBe(0);
  expect(sw.ua.dialogCount, 'dialogs left in the UA').toBe(0);
  const callerIds = calls.map((c) => c.callerLeg.session.callId);
  expect(new Set(callerIds).size, 'an INVITE made two calls').toBe(calls.length);
  const cdrs = (await sw.storage.cdrs.query({ limit: 100 })).items;
  expect(cdrs.map((c) => c.callId).sort()).toEqual(calls.map((c) => c.id).sort());
  expect(r.ended).toHaveLength(calls.length);
  // the uas was hung up on every call it answered (the BYE may find a dead call)
  for (const c of r.uas.calls) {
    if (!c.sent.has('200 INVITE')) continue;
    const byes = r.uas.calls
      .filter((x) => x.id === c.id)
      .reduce((n, x) => n + (x.received.get('BYE') ?? 0), 0);
    const swallowed = r.uas.absorbed.filter((a) => a.includes(` ${c.id} `) && a.endsWith('BYE')).length;
    expect(byes + swallowed, `uas call ${c.id} answered and got no BYE`).toBeGreaterThan(0);
  }
}

/**
 * Runs until every timer (the switch's 64·T1, SIPp's 31.5 s of retransmissions, its 33 s
 * dead calls) has run out, checks, closes. RACE_DEBUG=1 prints the wire of a failing run.
 */
export async function runSippScenario(s: SippScenario): Promise<SippRun> {
  return runChecked(await startSippScenario(s), 200_000, expectSwitchFinished);
}

// ---- arbitraries ---------------------------------------------------------------------------

/** Storms: up to 30% lost, up to 2 s late, some doubled; in order per path (loopback) or not. */
export function storms(fifo: boolean): fc.Arbitrary<Storm> {
  return fc.record({
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    drop: fc.constantFrom(0, 0.05, 0.1, 0.2, 0.3),
    slow: fc.constantFrom(0.1, 0.3, 0.6, 1),
    maxDelayMs: fc.constantFrom(200, 600, 1000, 2000),
    duplicate: fc.constantFrom(0, 0, 0.05, 0.2),
    fifo: fc.constant(fifo),
  });
}

/** One to four calls (SIPp -d from 0 to 1 s) under a storm. */
export function sippScenarios(options: {
  fifo: boolean;
  uac?: 'bench' | 'stock';
}): fc.Arbitrary<SippScenario> {
  return fc.record({
    calls: fc.array(
      fc.record({
        at: fc.constantFrom(0, 0, 1, 50, 300, 700),
        holdMs: fc.constantFrom(0, 1, 50, 100, 100, 500, 1000),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    storm: storms(options.fifo),
    tryingDelay: fc.constantFrom(0, 200),
    cdrWriteMs: fc.constantFrom(0, 0, 20, 300, 3000),
    uac: fc.constant(options.uac ?? 'bench'),
  });
}
