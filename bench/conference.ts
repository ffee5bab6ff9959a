/**
 * G.711 conference capacity of the media engine, end to end, beside the
 * pure mixing cost measured in the same run.
 *
 * 1. Pure mix (this thread): `Mixer.mixTick` for a 200-member conference at
 *    8 kHz with one talker (about -20 dBFS) and 199 open microphones of line
 *    noise, against the plain loop (each listener sums every other member and
 *    saturates) — interleaved rounds, medians. Figures: µs per
 *    participant-second, % of a core, members per core.
 * 2. The engine's bridge pipeline per member, in-process (a
 *    MediaWorkerRuntime over null sockets and a FakeClock): per tick each
 *    member's packet is received, jitter-buffered, decoded, mixed, encoded and
 *    packetized — CPU µs per member per tick and bytes allocated per member
 *    per tick. Its bound at 80% of the cores is the peer of the real run.
 * 3. Real run: one bridge at 8 kHz, N PCMU members spread over both workers
 *    (the home worker and a linked half: frames cross in a FrameRing), fed by
 *    bench/native/rtp-load.c in raw mode — one member sends a tone, the others
 *    send µ-law silence, 50 packets/s each; every member gets its own mix back
 *    (50 packets/s). N is raised step by step; a step passes at ≤ 80% of the
 *    machine's cores (process CPU: main thread and workers), tick-lag p99 < 20 ms,
 *    no skipped tick, ≥ 99% of the mixes delivered. The idle engine is
 *    measured first (a shared machine makes idle threads late too).
 *
 * RESULT: the largest passing N (target ≥ 300), peer: the in-process
 * pipeline bound (what the same cores would carry at 80% if sockets and
 * scheduling cost nothing), ratio = N / bound; the pure-mix figures ride along.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { FakeClock, seededRandom } from '../src/core/index.js';
import { encodeUlaw } from '../src/media/codecs/index.js';
import { Mixer, type MixerInputs } from '../src/media/mixer/index.js';
import {
  type CodecSpec,
  createMediaEngine,
  type DatagramHandler,
  ENDPOINT_DEFAULTS,
  type EndpointConfig,
  type MediaEndpoint,
  type MediaSocketFactory,
  MediaWorkerRuntime,
} from '../src/media/worker/index.js';
import { RtpPacket } from '../src/rtp/index.js';
import { buildMediaWorker, buildRtpLoad, CACHE_DIR, NICE } from './lib/build.js';
import { cpuMs, median, printResult } from './lib/stats.js';

const CORES = availableParallelism();
const CPU_LIMIT = 0.8;
const STEP_MS = 5000;
const STEPS = process.env.BENCH_STEPS
  ? process.env.BENCH_STEPS.split(',').map(Number)
  : [100, 200, 300, 400, 500, 600, 700, 800, 1000, 1200];
const MAX_BENCH_MS = 8 * 60_000;
const started = Date.now();
const PCMU: CodecSpec = { encodingName: 'PCMU', clockRate: 8000, payloadType: 0 };
const TE: CodecSpec = { encodingName: 'telephone-event', clockRate: 8000, payloadType: 101 };
const fmt = (x: number, d = 2) => x.toFixed(d);

// ------------------------------------------------------------------ 1. pure mix

const N_MIX = 200;
const L = 160;

function mixInputs(n: number): { ids: string[]; frames: Int16Array[]; map: Map<string, Int16Array> } {
  const ids = Array.from({ length: n }, (_, i) => `m${i}`);
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const frames = ids.map((_, k) => {
    const f = new Int16Array(L);
    for (let i = 0; i < L; i++) {
      f[i] =
        k === 0
          ? Math.round(3000 * Math.sin((2 * Math.PI * 400 * i) / 8000))
          : Math.round((rnd() - 0.5) * 60);
    }
    return f;
  });
  return { ids, frames, map: new Map(ids.map((id, k) => [id, frames[k] as Int16Array])) };
}

function plainLoop(frames: Int16Array[], outs: Int16Array[]): void {
  const n = frames.length;
  for (let l = 0; l < n; l++) {
    const out = outs[l] as Int16Array;
    for (let i = 0; i < L; i++) {
      let acc = 0;
      for (let s = 0; s < n; s++) if (s !== l) acc += (frames[s] as Int16Array)[i] as number;
      out[i] = acc > 32767 ? 32767 : Math.max(acc, -32768);
    }
  }
}

/** CPU µs per call of `fn(1)` over about `ms` of CPU time (the count calibrated from 1 up). */
function usPerOp(fn: (n: number) => void, ms: number): number {
  let n = 1;
  for (;;) {
    const t0 = cpuMs();
    fn(n);
    const dt = cpuMs() - t0;
    if (dt >= ms) return (dt * 1000) / n;
    n = Math.ceil(n * Math.min(10, Math.max(2, (ms * 1.2) / Math.max(dt, 0.5))));
  }
}

/** CPU µs per call of fn(1), interleaved rounds, medians. */
function interleavedUs(fns: Array<(n: number) => void>, rounds = 7, ms = 150): number[] {
  for (const fn of fns) usPerOp(fn, 50);
  const samples = fns.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, i) => {
      samples[i]?.push(usPerOp(fn, ms));
    });
  }
  return samples.map((xs) => median(xs));
}

const mix = (() => {
  const { ids, frames, map } = mixInputs(N_MIX);
  const m = new Mixer({ sampleRate: 8000, maxMembers: N_MIX });
  for (const id of ids) m.addMember(id);
  const inputs: MixerInputs = map;
  const outs = ids.map(() => new Int16Array(L));
  m.mixTick(inputs);
  const [mixerUs = 0, plainUs = 0] = interleavedUs([
    (n) => {
      for (let t = 0; t < n; t++) m.mixTick(inputs);
    },
    (n) => {
      for (let t = 0; t < n; t++) plainLoop(frames, outs);
    },
  ]);
  const pps = (tickUs: number) => (tickUs * 50) / N_MIX;
  return {
    mixerTickUs: mixerUs,
    plainTickUs: plainUs,
    mixerUsPerParticipantSecond: pps(mixerUs),
    plainUsPerParticipantSecond: pps(plainUs),
    mixerPercentOfCore: (mixerUs * 50) / 1e4,
    mixerMembersPerCore: 1e6 / pps(mixerUs),
    plainMembersPerCore: 1e6 / pps(plainUs),
  };
})();
process.stdout.write(
  `cores ${CORES}, load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(
      ' ',
    )}\n-- 1. pure mix, ${N_MIX} members, 8 kHz, 1 talker (CPU time, medians of 7 interleaved rounds)\n` +
    `mixer      ${fmt(mix.mixerTickUs, 1).padStart(8)} µs/tick  ${fmt(mix.mixerUsPerParticipantSecond, 3).padStart(9)} µs/participant-s  ${fmt(mix.mixerPercentOfCore, 3)}% of a core  ≈ ${Math.round(mix.mixerMembersPerCore)} members/core\n` +
    `plain loop ${fmt(mix.plainTickUs, 1).padStart(8)} µs/tick  ${fmt(mix.plainUsPerParticipantSecond, 3).padStart(9)} µs/participant-s  ≈ ${Math.round(mix.plainMembersPerCore)} members/core  (×${fmt(mix.plainTickUs / mix.mixerTickUs, 0)})\n`,
);

// ------------------------------------------------------------------ 2. the bridge pipeline in-process

function nullSockets(): { factory: MediaSocketFactory; handlers: Map<number, DatagramHandler> } {
  const handlers = new Map<number, DatagramHandler>();
  return {
    handlers,
    factory: {
      async bind(_address, port, onMessage) {
        handlers.set(port, onMessage);
        return { port, send() {}, close: () => handlers.delete(port) };
      },
    },
  };
}

function config(port: number): EndpointConfig {
  return {
    ...ENDPOINT_DEFAULTS,
    codecs: [PCMU, TE],
    remote: { address: '10.0.0.9', port },
    cname: 'bench',
    statsIntervalMs: 0,
    rtpTimeoutMs: 0,
    opus: {},
    jitter: {},
  };
}

const toneFrame = new Uint8Array(160);
{
  const pcm = new Int16Array(160);
  for (let i = 0; i < 160; i++) pcm[i] = Math.round(3000 * Math.sin((2 * Math.PI * 400 * i) / 8000)); // 8 whole cycles
  encodeUlaw(pcm, toneFrame, 160);
}
const silenceFrame = new Uint8Array(160).fill(0xff);

async function allocatedBytes(fn: () => void): Promise<number> {
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))),
    );
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', { samplingInterval: 64 });
  fn();
  const { profile } = (await post('HeapProfiler.stopSampling')) as {
    profile: { head: { selfSize: number; children: unknown[] } };
  };
  session.disconnect();
  let total = 0;
  const walk = (x: { selfSize: number; children: unknown[] }) => {
    total += x.selfSize;
    for (const c of x.children) walk(c as typeof x);
  };
  walk(profile.head);
  return total;
}

const MEMBERS_IN_PROCESS = 100;
const pipeline = await (async () => {
  const clock = new FakeClock();
  const { factory, handlers } = nullSockets();
  const runtime = new MediaWorkerRuntime({ post() {}, clock, sockets: factory, random: seededRandom(1) });
  await runtime.execute({ type: 'createBridge', bridge: 1, sampleRate: 8000, home: true, mixer: {} });
  const packets: Uint8Array[] = [];
  for (let m = 0; m < MEMBERS_IN_PROCESS; m++) {
    const base = 30000 + m * 2;
    await runtime.execute({
      type: 'createEndpoint',
      endpoint: m + 1,
      bindAddress: '10.0.0.1',
      rtpPort: base,
      rtcpPort: base + 1,
      config: config(4000 + m),
    });
    await runtime.execute({ type: 'bridgeAdd', bridge: 1, endpoint: m + 1, settings: {} });
    packets.push(
      new RtpPacket({
        payloadType: 0,
        sequenceNumber: 0,
        timestamp: 0,
        ssrc: 100 + m,
        payload: m === 0 ? toneFrame : silenceFrame,
      }).serialize(),
    );
  }
  let tick = 0;
  const runTicks = (n: number) => {
    for (let i = 0; i < n; i++, tick++) {
      for (let m = 0; m < MEMBERS_IN_PROCESS; m++) {
        const b = packets[m] as Uint8Array;
        b[2] = (tick >> 8) & 0xff;
        b[3] = tick & 0xff;
        const ts = (tick * 160) >>> 0;
        b[4] = ts >>> 24;
        b[5] = (ts >>> 16) & 0xff;
        b[6] = (ts >>> 8) & 0xff;
        b[7] = ts & 0xff;
        (handlers.get(30000 + m * 2) as DatagramHandler)(b, '10.0.0.9', 4000 + m);
      }
      clock.advance(20);
    }
  };
  runTicks(200);
  const r: number[] = [];
  for (let i = 0; i < 5; i++) r.push(usPerOp(runTicks, 300));
  const usPerMemberTick = median(r) / MEMBERS_IN_PROCESS;
  const alloc = (await allocatedBytes(() => runTicks(500))) / 500 / MEMBERS_IN_PROCESS;
  runtime.close();
  return { usPerMemberTick, alloc };
})();
const pipelineBound = Math.floor((CPU_LIMIT * 20_000 * CORES) / pipeline.usPerMemberTick);
process.stdout.write(
  `-- 2. bridge pipeline in-process (${MEMBERS_IN_PROCESS} PCMU members, 1 talker: receive → jitter buffer → decode → mix → encode → packetize)\n` +
    `${fmt(pipeline.usPerMemberTick)} µs CPU per member per tick (${fmt(pipeline.usPerMemberTick * 50, 1)} µs per participant-second), ` +
    `${fmt(pipeline.alloc, 1)} bytes allocated per member per tick; bound at 80% of ${CORES} cores: ${pipelineBound} members\n`,
);

// ------------------------------------------------------------------ 3. real run

interface Step {
  members: number;
  workers: number[];
  cpu: number;
  ticks: number;
  lateTicks: number;
  skippedTicks: number;
  lagP99: number;
  maxLagMs: number;
  tickLoad: number;
  delivered: number;
  expected: number;
  linkUnderruns: number;
}

function histPercentile(h: number[], p: number): number {
  const total = h.reduce((a, b) => a + b, 0);
  let acc = 0;
  for (let i = 0; i < h.length; i++) {
    acc += h[i] as number;
    if (acc >= p * total) return i + 1;
  }
  return h.length;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

async function runStep(exe: string, workerScript: string, members: number): Promise<Step> {
  const engine = await createMediaEngine({
    workerScript,
    bindAddress: '127.0.0.1',
    portRange: { min: 30000, max: 32700 },
    endpointDefaults: { statsIntervalMs: 0, rtpTimeoutMs: 0 },
  });
  let gen: ChildProcess | undefined;
  let out = '';
  let file = '';
  const eps: MediaEndpoint[] = [];
  let bridge: Awaited<ReturnType<typeof engine.createBridge>> | undefined;
  if (members > 0) {
    gen = spawn(NICE ? 'nice' : exe, [...(NICE ? ['-n', '-5', exe] : []), String(STEP_MS), '50', 'raw'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const g = gen;
    const port = await new Promise<number>((resolve) => {
      g.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /port=(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
    });
    const remote = { address: '127.0.0.1', port };
    bridge = await engine.createBridge({ worker: 0, maxMembers: Math.max(members, 2) });
    const lines: string[] = [];
    for (let m = 0; m < members; m++) {
      const ep = await engine.createEndpoint({ codecs: [PCMU, TE], remote }); // alternates between the workers
      await bridge.add(ep);
      eps.push(ep);
      lines.push(`${ep.local.rtpPort} 0 ${hex(m === 0 ? toneFrame : silenceFrame)}`);
    }
    file = join(CACHE_DIR, `conference-ports-${process.pid}.txt`);
    writeFileSync(file, `${lines.length}\n${lines.join('\n')}\n`);
  }
  await new Promise((r) => setTimeout(r, 300));
  const before = await engine.workerStats();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  if (gen) {
    const g = gen;
    g.stdin?.write(`${file}\n`);
    await new Promise<void>((resolve) => g.on('exit', () => resolve()));
  } else {
    await new Promise((r) => setTimeout(r, STEP_MS));
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const after = await engine.workerStats();
  const linkUnderruns = bridge
    ? (await bridge.getStats()).reduce((s, h) => s + h.links.reduce((a, l) => a + l.underruns, 0), 0)
    : 0;
  await engine.close();
  const m = /received=(\d+)/.exec(out);
  const hist = new Array<number>(256).fill(0);
  let ticks = 0;
  let skipped = 0;
  let tickLoad = 0;
  for (let w = 0; w < after.length; w++) {
    const a = after[w] as (typeof after)[number];
    const b = before[w] as (typeof before)[number];
    for (let i = 0; i < 256; i++)
      hist[i] = (hist[i] as number) + (a.lagHistogram[i] ?? 0) - (b.lagHistogram[i] ?? 0);
    const dt = a.ticks - b.ticks;
    ticks += dt;
    skipped += a.skippedTicks - b.skippedTicks;
    const busyUs = a.meanTickUs * a.ticks - b.meanTickUs * b.ticks;
    if (dt > 0) tickLoad = Math.max(tickLoad, busyUs / dt / 20_000);
  }
  let late = 0;
  for (let i = 20; i < 256; i++) late += hist[i] as number;
  let maxLag = 0;
  for (let i = 0; i < 256; i++) if ((hist[i] as number) > 0) maxLag = i;
  const perWorker = new Map<number, number>();
  for (const ep of eps) perWorker.set(ep.workerIndex, (perWorker.get(ep.workerIndex) ?? 0) + 1);
  return {
    members,
    workers: [...perWorker.values()],
    cpu: (cpu.user + cpu.system) / 1000 / wall / CORES,
    ticks,
    lateTicks: late,
    skippedTicks: skipped,
    lagP99: histPercentile(hist, 0.99),
    maxLagMs: maxLag,
    tickLoad,
    delivered: Number(m?.[1] ?? 0),
    // every member gets its mix every tick whether it talks or not: at least 50/s over the step
    // (the sink also counts what queued while the step was set up and drained after it)
    expected: Math.round(members * 50 * (STEP_MS / 1000)),
    linkUnderruns,
  };
}

function describeStep(s: Step, verdict: string): void {
  process.stdout.write(
    `${String(s.members).padStart(5)} members (${s.workers.join(' + ')})  cpu ${(s.cpu * 100).toFixed(0).padStart(3)}% of ${CORES} cores  ` +
      `tick load ${(s.tickLoad * 100).toFixed(0).padStart(3)}%  late ticks ${s.lateTicks}/${s.ticks}  lag p99 ${s.lagP99} ms max ${s.maxLagMs}${s.maxLagMs === 255 ? '+' : ''} ms  ` +
      `skipped ${s.skippedTicks}  link underruns ${s.linkUnderruns}  mixes delivered ${s.delivered}/${s.expected}  ${verdict}\n`,
  );
}

const exe = buildRtpLoad();
let best: Step | undefined;
let idle: Step | undefined;
if (!exe) {
  process.stdout.write('-- 3. real run skipped: no C compiler for bench/native/rtp-load.c\n');
} else {
  const workerScript = buildMediaWorker();
  process.stdout.write(
    `-- 3. real run: one 8 kHz bridge, PCMU members over ${CORES} workers (home + linked half), 1 talker, ${STEP_MS} ms per step.\n` +
      `   pass = CPU ≤ ${CPU_LIMIT * 100}% of ${CORES} cores, tick lag p99 < 20 ms, no tick skipped, ≥ 99% of the mixes delivered.\n`,
  );
  idle = await runStep(exe, workerScript, 0);
  describeStep(idle, '(idle baseline)');
  const pass = (x: Step) =>
    x.cpu <= CPU_LIMIT && x.lagP99 < 20 && x.skippedTicks === 0 && x.delivered >= 0.99 * x.expected;
  for (const members of STEPS) {
    if (Date.now() - started > MAX_BENCH_MS) {
      process.stdout.write('time budget spent, stopping\n');
      break;
    }
    let s = await runStep(exe, workerScript, members);
    describeStep(s, pass(s) ? 'pass' : 'FAIL');
    if (!pass(s)) {
      s = await runStep(exe, workerScript, members);
      describeStep(s, pass(s) ? 'pass (retry)' : 'FAIL (retry)');
    }
    if (!pass(s)) break;
    best = s;
  }
}
const value = best?.members ?? 0;
process.stdout.write(
  `largest passing conference: ${value} members (target ≥ 300); in-process pipeline bound ${pipelineBound}; ` +
    `pure mix of 200 members with 1 talker: ${fmt(mix.mixerPercentOfCore, 3)}% of a core (target < 1%)\n` +
    `load average at the end ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}\n`,
);
printResult({
  name: 'conference',
  value,
  unit: 'G.711 conference members, 1 talker, 2 workers (≤ 80% CPU, tick lag p99 < 20 ms)',
  peer: 'in-process bridge pipeline bound at 80% of the cores (no sockets), same run',
  peerValue: pipelineBound,
  ratio: pipelineBound > 0 ? Number((value / pipelineBound).toFixed(2)) : 0,
  cpuAtBest: best ? Number(best.cpu.toFixed(2)) : null,
  lateTicksAtBest: best ? `${best.lateTicks}/${best.ticks}` : null,
  lateTicksIdle: idle ? `${idle.lateTicks}/${idle.ticks}` : null,
  pipelineUsPerMemberTick: Number(pipeline.usPerMemberTick.toFixed(2)),
  pipelineAllocBytesPerMemberTick: Number(pipeline.alloc.toFixed(1)),
  mixUsPerParticipantSecond: Number(mix.mixerUsPerParticipantSecond.toFixed(3)),
  mixPercentOfCore200: Number(mix.mixerPercentOfCore.toFixed(3)),
  mixMembersPerCore: Math.round(mix.mixerMembersPerCore),
  plainLoopUsPerParticipantSecond: Number(mix.plainUsPerParticipantSecond.toFixed(1)),
  plainLoopMembersPerCore: Math.round(mix.plainMembersPerCore),
});
