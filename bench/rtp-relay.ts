/**
 * RTP relay throughput and added latency: the media engine (one worker per
 * core, packets relayed inside the workers with SSRC/sequence/timestamp
 * rewriting, strict source learning, RTCP per leg) against a minimal
 * single-threaded Node dgram relay (two sockets per call, each datagram sent
 * on as it is, no parsing), measured in the same run with the same load.
 *
 * Load: bench/native/rtp-load.c (built with cc), one process that sends paced
 * G.711-sized RTP streams (172-byte packets, 50 packets/s per stream, two
 * streams per call) with sendmmsg in 1 ms slots and receives the relayed
 * packets with recvmmsg on a second thread — cheap enough to leave the cores to
 * the relays; it runs at nice -5 when allowed. Without a C compiler the
 * benchmark says so and reports 0.
 *
 * For each relay the number of concurrent calls is raised step by step (a
 * fresh relay per step, STEP_MS of traffic; the calls start one after another
 * over the first second and latency is taken after that). A step passes when it loses at
 * most LOSS_LIMIT of its packets and the p99 of the time from the generator's
 * send to its receive of the relayed packet (two loopback hops plus the relay)
 * stays under P99_LIMIT_US — a relay that falls behind queues packets in its
 * socket buffers, which is lossless for a while, and only the latency tells.
 * A failing step is retried once (a neighbour can sink one). The result is the
 * largest passing step in relayed packets per second. Also measured: the
 * engine with one worker (same thread count as the plain relay: the per-packet
 * cost comparison), CPU µs per relayed packet, and the engine's own relay path
 * without the kernel (ns and bytes allocated per packet). Every loop is bounded
 * in steps and in time.
 *
 * Reference rows, same generator, ladder and pass rule: two relays in C with
 * the plain relay's topology (two sockets per call, each datagram sent on as it
 * is from the call's other socket; bench/native/relay-plain.c and
 * relay-batched.c, built with cc, skipped with a message without one). `cplain`
 * does what node:dgram does underneath — epoll, one recvfrom and one sendto per
 * packet — on one thread; `cbatched` drains each ready socket with recvmmsg and
 * sends what it got with one sendmmsg, on one thread; `cbatched2` is the same
 * on two threads (calls split between them). They answer two questions about
 * the engine's limit: how much of the CPU per relayed packet is the kernel's
 * (cplain's µs/pkt) and how much is Node's datagram layer (plain's minus
 * cplain's), and whether batched datagram I/O would help this topology (the
 * C relays print their system calls per relayed packet: recvmmsg and sendmmsg
 * batch per socket, and a call leg's socket holds one packet per 20 ms). CPU
 * of every relay run as a child (the plain Node relay and the C ones) is its
 * utime + stime from /proc over the traffic; the generator's own CPU is printed
 * beside it (on loopback the kernel's delivery of a datagram is charged to its
 * sender). The rows are compared at the largest step all of them passed.
 *
 * Knobs (environment): BENCH_STEPS=200,400; BENCH_ONLY=a comma list of rows
 * (plain, engine, engine1, cplain, cbatched, cbatched2; all when unset);
 * BENCH_WORKERS=n; BENCH_DEBUG=1 (per-worker figures).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { FakeClock, seededRandom } from '../src/core/index.js';
import {
  createMediaEngine,
  type DatagramHandler,
  ENDPOINT_DEFAULTS,
  type MediaEndpoint,
  type MediaSocketFactory,
  MediaWorkerRuntime,
} from '../src/media/worker/index.js';
import { RtpPacket } from '../src/rtp/index.js';
import { buildMediaWorker, buildReferenceRelay, buildRtpLoad, CACHE_DIR, NICE } from './lib/build.js';
import { processCpuSeconds } from './lib/proc.js';
import { median, opsPerSecond, printResult } from './lib/stats.js';

const STEP_MS = 4000;
const PPS = 50;
const LOSS_LIMIT = 1e-4;
/** A relay that falls behind queues packets in its socket buffers (lossless for a while): p99 tells. */
const P99_LIMIT_US = 20_000;
const STEPS = process.env.BENCH_STEPS
  ? process.env.BENCH_STEPS.split(',').map(Number)
  : [200, 300, 400, 500, 600, 700, 800, 900, 1000, 1200, 1400, 1600, 1800, 2000];
/** Rows to measure (BENCH_ONLY=plain,cplain; all when unset): plain engine engine1 cplain cbatched cbatched2. */
const ONLY = process.env.BENCH_ONLY
  ? new Set(process.env.BENCH_ONLY.split(',').map((x) => x.trim()))
  : undefined;
const wants = (row: string) => ONLY === undefined || ONLY.has(row);
const MAX_BENCH_MS = 20 * 60_000;
const started = Date.now();

/** The repository root: this file runs bundled from node_modules/.cache, so walk up to package.json. */

// ------------------------------------------------------------------ the load generator

interface LoadResult {
  sent: number;
  received: number;
  dup: number;
  p50: number;
  p99: number;
  max: number;
  lateSlots: number;
  /** The generator's own CPU percent of one core over the step (undefined from an older rtp-load). */
  genCpuPercent: number | undefined;
}

class Generator {
  readonly child: ChildProcess;
  readonly port: Promise<number>;
  readonly done: Promise<LoadResult>;

  constructor(exe: string, durationMs: number) {
    this.child = spawn(
      NICE ? 'nice' : exe,
      [...(NICE ? ['-n', '-5', exe] : []), String(durationMs), String(PPS)],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    let out = '';
    let resolvePort: (p: number) => void = () => {};
    this.port = new Promise((r) => {
      resolvePort = r;
    });
    this.child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /port=(\d+)/.exec(out);
      if (m) resolvePort(Number(m[1]));
    });
    this.done = new Promise((resolve, reject) => {
      this.child.on('exit', (code) => {
        const m =
          /sent=(\d+) received=(\d+) dup=(\d+) p50_us=(\d+) p99_us=(\d+) max_us=(\d+) late_slots=(\d+)/.exec(
            out,
          );
        if (code !== 0 || !m) {
          reject(new Error(`rtp-load exited with ${code}: ${out}`));
          return;
        }
        const [, sent, received, dup, p50, p99, max, late] = m.map(Number) as number[];
        const cpu = /cpu_us=(\d+)/.exec(out);
        resolve({
          sent: sent as number,
          received: received as number,
          dup: dup as number,
          p50: p50 as number,
          p99: p99 as number,
          max: max as number,
          lateSlots: late as number,
          genCpuPercent: cpu ? (Number(cpu[1]) / 1000 / (durationMs + 400)) * 100 : undefined,
        });
      });
    });
  }

  start(ports: number[]): void {
    const file = join(CACHE_DIR, `rtp-load-ports-${process.pid}.txt`);
    writeFileSync(file, `${ports.length}\n${ports.join('\n')}\n`);
    this.child.stdin?.write(`${file}\n`);
  }
}

// ------------------------------------------------------------------ the plain relay (peer)

const PLAIN_RELAY = `
import { createSocket } from 'node:dgram';
const calls = Number(process.argv[1]);
let genPort = 0;
const ports = [];
const socks = [];
let bound = 0;
for (let i = 0; i < calls; i++) {
  const a = createSocket('udp4');
  const b = createSocket('udp4');
  a.on('message', (m) => b.send(m, genPort, '127.0.0.1'));
  b.on('message', (m) => a.send(m, genPort, '127.0.0.1'));
  socks.push(a, b);
}
let k = 0;
for (const s of socks) {
  s.bind(0, '127.0.0.1', () => {
    if (++bound === socks.length) {
      process.stdout.write(JSON.stringify({ ports: socks.map((x) => x.address().port) }) + '\\n');
    }
  });
}
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  const line = d.trim();
  if (line === 'stop') {
    const u = process.cpuUsage();
    process.stdout.write(JSON.stringify({ cpuMs: (u.user + u.system) / 1000 }) + '\\n');
    for (const s of socks) s.close();
    process.exit(0);
  }
  genPort = Number(line);
});
`;

interface StepResult extends LoadResult {
  calls: number;
  loss: number;
  relayedPps: number;
  cpuPercent: number;
  /** The C relays' own counters (system calls per relayed packet), printed after the step. */
  note?: string | undefined;
}

function loss(r: LoadResult): number {
  return r.sent === 0 ? 1 : Math.max(0, r.sent - r.received) / r.sent;
}

/** Counters a C reference relay prints when it stops. */
interface RelayCounters {
  packets: number;
  recvCalls: number;
  sendCalls: number;
  waits: number;
  dropped: number;
}

/**
 * One step of a relay run as a child process (the plain Node relay or a C reference
 * relay; the same line protocol): it prints its ports, is told the generator's port,
 * relays one step of traffic and is told to stop. CPU is the child's utime + stime
 * from /proc over the traffic (from just before the first packet to the generator's
 * end), for every child relay alike.
 */
async function runChildRelay(
  exe: string,
  command: string,
  args: string[],
  calls: number,
): Promise<StepResult> {
  const relay = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((r) => relay.on('close', r)); // after its stdout is read out
  let buf = '';
  const lines: string[] = [];
  const waiters: Array<(l: string) => void> = [];
  relay.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiters.shift();
      if (w) w(l);
      else lines.push(l);
    }
  });
  const nextLine = () =>
    Promise.race([
      new Promise<string>((r) => {
        const l = lines.shift();
        if (l !== undefined) r(l);
        else waiters.push(r);
      }),
      exited.then(() => {
        throw new Error(`relay ${command} exited with ${relay.exitCode} before its answer`);
      }),
    ]);
  try {
    const { ports } = JSON.parse(await nextLine()) as { ports: number[] };
    const gen = new Generator(exe, STEP_MS);
    const genPort = await gen.port;
    relay.stdin?.write(`${genPort}\n`);
    await new Promise((r) => setTimeout(r, 50));
    const cpu0 = processCpuSeconds(relay.pid ?? 0);
    gen.start(ports);
    const result = await gen.done;
    const cpuSeconds = processCpuSeconds(relay.pid ?? 0) - cpu0;
    relay.stdin?.write('stop\n');
    const last = JSON.parse(await nextLine()) as Partial<RelayCounters>;
    await exited;
    let note: string | undefined;
    if (last.packets !== undefined) {
      const c = last as RelayCounters;
      const per = (x: number) => (c.packets > 0 ? x / c.packets : 0).toFixed(2);
      note = `calls/pkt: recv ${per(c.recvCalls)} send ${per(c.sendCalls)} epoll_wait ${per(c.waits)}, dropped ${c.dropped}`;
    }
    return {
      ...result,
      calls,
      loss: loss(result),
      relayedPps: calls * 2 * PPS * (1 - loss(result)), // steady state (streams ramp up over the first second)
      cpuPercent: (cpuSeconds / ((STEP_MS + 400) / 1000)) * 100,
      note,
    };
  } finally {
    if (relay.exitCode === null && relay.signalCode === null) relay.kill();
  }
}

function runPlain(exe: string, calls: number): Promise<StepResult> {
  return runChildRelay(
    exe,
    process.execPath,
    ['--input-type=module', '-e', PLAIN_RELAY, String(calls)],
    calls,
  );
}

/** A C reference relay (bench/native/relay-plain.c or relay-batched.c) with `threads` relaying threads. */
function runReference(exe: string, relayExe: string, calls: number, threads: number): Promise<StepResult> {
  // the relay leaves on its own a minute after a step should have ended
  const maxSeconds = String(Math.ceil(STEP_MS / 1000) + 60);
  return runChildRelay(exe, relayExe, [String(calls), String(threads), maxSeconds], calls);
}

// ------------------------------------------------------------------ the engine

const PCMU = { encodingName: 'PCMU', clockRate: 8000, payloadType: 0 };
const TE = { encodingName: 'telephone-event', clockRate: 8000, payloadType: 101 };

async function runEngine(
  exe: string,
  workerScript: string,
  calls: number,
  workers = process.env.BENCH_WORKERS ? Number(process.env.BENCH_WORKERS) : availableParallelism(),
): Promise<StepResult> {
  const engine = await createMediaEngine({
    workers,
    workerScript,
    bindAddress: '127.0.0.1',
    portRange: { min: 20000, max: 29999 },
    endpointDefaults: { statsIntervalMs: 0, rtpTimeoutMs: 0 },
  });
  const gen = new Generator(exe, STEP_MS);
  const genPort = await gen.port;
  const remote = { address: '127.0.0.1', port: genPort };
  const ports: number[] = [];
  const eps: MediaEndpoint[] = [];
  for (let i = 0; i < calls; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, calls - i) }, async () => {
        const a = await engine.createEndpoint({ codecs: [PCMU, TE], remote });
        const b = await engine.createEndpoint({ near: a, codecs: [PCMU, TE], remote });
        await engine.relay(a, b);
        return [a, b] as const;
      }),
    );
    for (const [a, b] of batch) {
      ports.push(a.local.rtpPort, b.local.rtpPort);
      eps.push(a, b);
    }
  }
  const cpu0 = process.cpuUsage();
  gen.start(ports);
  const result = await gen.done;
  const cpu = process.cpuUsage(cpu0);
  const stats = await engine.workerStats();
  await engine.close();
  const relayed = stats.reduce((s, w) => s + w.relayedPackets, 0);
  if (process.env.BENCH_DEBUG) {
    process.stdout.write(
      `  workers: ${stats.map((w) => `#${w.index} ${w.endpoints} endpoints, relayed ${w.relayedPackets}, max tick lag ${w.maxLagMs.toFixed(1)} ms, late ticks ${w.lateTicks}`).join('; ')}\n`,
    );
  }
  return {
    ...result,
    calls,
    loss: loss(result),
    relayedPps: calls * 2 * PPS * (1 - loss(result)), // steady state (streams ramp up over the first second)
    cpuPercent: ((cpu.user + cpu.system) / 1000 / (STEP_MS + 400)) * 100,
    relayedByWorkers: relayed,
  } as StepResult;
}

// ------------------------------------------------------------------ the ladder

/** CPU µs per relayed packet over the whole step (the ramp included). */
function usPerPacket(r: StepResult): number {
  return ((r.cpuPercent / 100) * 1e6 * (STEP_MS + 400)) / 1000 / Math.max(1, r.received);
}

function line(who: string, r: StepResult): void {
  process.stdout.write(
    `${who.padEnd(10)} ${String(r.calls).padStart(5)} calls  ${(r.relayedPps / 1000).toFixed(1).padStart(6)} k pkt/s relayed  loss ${(r.loss * 100).toFixed(3).padStart(7)}%  p50 ${String(r.p50).padStart(6)} µs  p99 ${String(r.p99).padStart(7)} µs  max ${String(r.max).padStart(7)} µs  cpu ${r.cpuPercent.toFixed(0).padStart(4)}% (${usPerPacket(r).toFixed(1)} µs/pkt)  gen late slots ${r.lateSlots}${r.genCpuPercent === undefined ? '' : ` cpu ${r.genCpuPercent.toFixed(0)}%`}${r.note ? `  [${r.note}]` : ''}\n`,
  );
}

async function ladder(
  who: string,
  run: (calls: number) => Promise<StepResult>,
): Promise<{ best: StepResult | undefined; all: StepResult[] }> {
  let best: StepResult | undefined;
  const all: StepResult[] = [];
  for (const calls of STEPS) {
    if (Date.now() - started > MAX_BENCH_MS) {
      process.stdout.write(`${who}: time budget spent, stopping the ladder\n`);
      break;
    }
    const passes = (x: StepResult) => x.loss <= LOSS_LIMIT && x.p99 <= P99_LIMIT_US;
    let r = await run(calls);
    line(who, r);
    if (!passes(r)) {
      // a noisy neighbour can sink one step: each relay gets one retry per step
      r = await run(calls);
      line(`${who}²`, r);
    }
    all.push(r);
    if (!passes(r)) break;
    best = r;
  }
  return { best, all };
}

// ------------------------------------------------------------------ the relay path alone

/**
 * The engine's own work per relayed packet, without the kernel: a worker
 * runtime over null sockets, packets handed straight to a leg's receive
 * handler. CPU ns per packet and bytes allocated per packet (V8's sampling
 * heap profiler, objects collected meanwhile included).
 */
async function relayPathAlone(): Promise<{ ns: number; bytes: number }> {
  const handlers = new Map<number, DatagramHandler>();
  const sockets: MediaSocketFactory = {
    async bind(_address, port, onMessage) {
      handlers.set(port, onMessage);
      return { port, send() {}, close: () => handlers.delete(port) };
    },
  };
  const runtime = new MediaWorkerRuntime({
    post() {},
    clock: new FakeClock(),
    sockets,
    random: seededRandom(1),
  });
  const config = (port: number) => ({
    ...ENDPOINT_DEFAULTS,
    codecs: [PCMU, TE],
    remote: { address: '10.0.0.9', port },
    cname: 'bench',
    statsIntervalMs: 0,
    rtpTimeoutMs: 0,
    opus: {},
    jitter: {},
  });
  await runtime.execute({
    type: 'createEndpoint',
    endpoint: 1,
    bindAddress: '10.0.0.1',
    rtpPort: 30000,
    rtcpPort: 30001,
    config: config(4000),
  });
  await runtime.execute({
    type: 'createEndpoint',
    endpoint: 2,
    bindAddress: '10.0.0.1',
    rtpPort: 30002,
    rtcpPort: 30003,
    config: config(5000),
  });
  await runtime.execute({ type: 'connect', session: 1, kind: 'relay', a: 1, b: 2 });
  const pkt = new RtpPacket({
    payloadType: 0,
    sequenceNumber: 0,
    timestamp: 0,
    ssrc: 77,
    payload: new Uint8Array(160),
  }).serialize();
  const onPacket = handlers.get(30000) as DatagramHandler;
  let seq = 0;
  const run = (n: number) => {
    for (let i = 0; i < n; i++, seq++) {
      pkt[2] = (seq >> 8) & 0xff;
      pkt[3] = seq & 0xff;
      const ts = (seq * 160) >>> 0;
      pkt[4] = ts >>> 24;
      pkt[5] = (ts >>> 16) & 0xff;
      pkt[6] = (ts >>> 8) & 0xff;
      pkt[7] = ts & 0xff;
      pkt[8] = 0; // the relay rewrote the SSRC in place: put the sender's back
      pkt[9] = 0;
      pkt[10] = 0;
      pkt[11] = 77;
      onPacket(pkt, '10.0.0.9', 4000);
    }
  };
  const rates: number[] = [];
  opsPerSecond(run, 100);
  for (let i = 0; i < 5; i++) rates.push(opsPerSecond(run, 200));
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))),
    );
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', {
    samplingInterval: 64,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  const N = 200_000;
  run(N);
  const { profile } = (await post('HeapProfiler.stopSampling')) as {
    profile: { head: { selfSize: number; children: unknown[] } };
  };
  session.disconnect();
  let total = 0;
  const walk = (n: { selfSize: number; children: unknown[] }) => {
    total += n.selfSize;
    for (const c of n.children) walk(c as typeof n);
  };
  walk(profile.head);
  runtime.close();
  return { ns: 1e9 / median(rates), bytes: total / N };
}

// the engine's own path (a few seconds of CPU): measured when an engine row is
const alone = wants('engine') || wants('engine1') ? await relayPathAlone() : undefined;
if (alone) {
  process.stdout.write(
    `relay path in the worker, no kernel: ${alone.ns.toFixed(0)} ns per packet, ${alone.bytes.toFixed(2)} bytes allocated per packet (sampled; includes the profiler's own)\n`,
  );
}

const exe = buildRtpLoad();
if (!exe) {
  process.stdout.write('no C compiler: bench/rtp-relay needs cc to build bench/native/rtp-load.c\n');
  printResult({ name: 'rtp-relay', value: 0, unit: 'pkt/s', peer: 'none', peerValue: 0, ratio: 0 });
  process.exit(0);
}
const workerScript = buildMediaWorker();
process.stdout.write(
  `cores ${availableParallelism()}, load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(
      ' ',
    )}; ${STEP_MS} ms per step, a step passes with loss ≤ ${LOSS_LIMIT * 100}% and p99 ≤ ${P99_LIMIT_US / 1000} ms\n`,
);
type Ladder = { best: StepResult | undefined; all: StepResult[] };
const none: Ladder = { best: undefined, all: [] };
const twoCores = availableParallelism() >= 2;
const plain = wants('plain') ? await ladder('plain', (c) => runPlain(exe, c)) : none;
const engine = wants('engine') ? await ladder('engine', (c) => runEngine(exe, workerScript, c)) : none;
// the engine with a single worker: same threads as the plain relay, so the per-packet cost can be compared
const single =
  wants('engine1') && twoCores ? await ladder('engine1', (c) => runEngine(exe, workerScript, c, 1)) : none;
// the C reference relays: what the same topology costs without Node, per packet and batched
const reference = async (
  row: string,
  name: 'relay-plain' | 'relay-batched',
  threads: number,
): Promise<Ladder> => {
  if (!wants(row) || (threads > 1 && !twoCores)) return none;
  const relayExe = buildReferenceRelay(name);
  if (!relayExe) {
    process.stdout.write(`${row}: skipped, bench/native/${name}.c did not build (no C compiler?)\n`);
    return none;
  }
  return ladder(row, (c) => runReference(exe, relayExe, c, threads));
};
const cPlain = await reference('cplain', 'relay-plain', 1);
const cBatched = await reference('cbatched', 'relay-batched', 1);
const cBatched2 = await reference('cbatched2', 'relay-batched', 2);

const rows: Array<[string, Ladder]> = [
  ['plain', plain],
  ['engine', engine],
  ['engine1', single],
  ['cplain', cPlain],
  ['cbatched', cBatched],
  ['cbatched2', cBatched2],
];
const top = STEPS[STEPS.length - 1] as number;
const pb = plain.best;
const eb = engine.best;
process.stdout.write('\n');
for (const [who, l] of rows) {
  if (!l.best) continue;
  line(`${who}*`, l.best);
  if (l.best.calls === top)
    process.stdout.write(`${who}: passed the ladder's top step, its limit is higher\n`);
}
const engineAtPlain = pb ? engine.all.find((r) => r.calls === pb.calls) : undefined;
if (engineAtPlain && pb) {
  process.stdout.write(
    `at ${pb.calls} calls: added latency p50/p99 plain ${pb.p50}/${pb.p99} µs, engine ${engineAtPlain.p50}/${engineAtPlain.p99} µs\n`,
  );
}
// CPU per relayed packet falls with load (more datagrams per wake-up): compare the rows at one load,
// the largest step every measured row passed
const measured = rows.filter(([, l]) => l.all.length > 0);
const common = STEPS.filter((c) => measured.every(([, l]) => l.best && l.best.calls >= c)).pop();
if (common !== undefined && measured.length > 1) {
  const at = measured.flatMap(([who, l]) => {
    const r = l.all.find((x) => x.calls === common);
    return r ? [`${who} ${usPerPacket(r).toFixed(1)}`] : [];
  });
  process.stdout.write(`at ${common} calls, CPU µs per relayed packet: ${at.join(', ')}\n`);
}
const value = eb ? Math.round(eb.relayedPps) : 0;
const peerValue = pb ? Math.round(pb.relayedPps) : 0;
process.stdout.write(
  `load average at the end ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}\n`,
);
const us = (r: StepResult | undefined) => (r ? Number(usPerPacket(r).toFixed(1)) : null);
printResult({
  name: 'rtp-relay',
  value,
  unit: 'lossless relayed pkt/s',
  peer: 'single-threaded node:dgram relay',
  peerValue,
  ratio: peerValue > 0 ? Number((value / peerValue).toFixed(2)) : 0,
  engineCalls: eb?.calls ?? 0,
  plainCalls: pb?.calls ?? 0,
  engineP50us: eb?.p50 ?? null,
  engineP99us: eb?.p99 ?? null,
  plainP50us: pb?.p50 ?? null,
  plainP99us: pb?.p99 ?? null,
  engineOneWorkerPps: single.best ? Math.round(single.best.relayedPps) : null,
  relayPathNs: alone ? Number(alone.ns.toFixed(0)) : null,
  relayPathBytesPerPacket: alone ? Number(alone.bytes.toFixed(2)) : null,
  // reference figures (each at its own largest passing step; null when not measured)
  plainUsPerPacket: us(pb),
  engineUsPerPacket: us(eb),
  cPlainCalls: cPlain.best?.calls ?? (cPlain.all.length > 0 ? 0 : null),
  cPlainP99us: cPlain.best?.p99 ?? null,
  cPlainUsPerPacket: us(cPlain.best),
  cBatchedCalls: cBatched.best?.calls ?? (cBatched.all.length > 0 ? 0 : null),
  cBatchedP99us: cBatched.best?.p99 ?? null,
  cBatchedUsPerPacket: us(cBatched.best),
  cBatched2ThreadsCalls: cBatched2.best?.calls ?? (cBatched2.all.length > 0 ? 0 : null),
  cBatched2ThreadsUsPerPacket: us(cBatched2.best),
  ladderTopCalls: top,
  commonCalls: common ?? null,
});
