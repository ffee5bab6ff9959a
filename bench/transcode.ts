/**
 * PCMU ↔ Opus transcoding capacity of the media engine.
 *
 * 1. Codec cost per 20 ms frame in this thread: G.711 µ-law, and Opus at the
 *    8 kHz PCM rate the engine runs it at for a PCMU peer (WASM libopus, 16
 *    kbit/s, complexity 5), beside native libopus with the same settings
 *    (bench/native/opus-bench.c built with cc -lopus, timed in-process) when a
 *    compiler and libopus-dev are there.
 * 2. The engine's per-call cost of one tick, in-process (a MediaWorkerRuntime
 *    over null sockets and a FakeClock): both directions' jitter buffer,
 *    decode, concealment, encode and packetization — CPU µs per call per tick,
 *    and bytes allocated per call per tick (V8's sampling heap profiler).
 * 3. Real run: the engine with one worker per core, N calls each with a PCMU leg
 *    and an Opus leg, fed by bench/native/rtp-load.c (raw mode: a µ-law frame to
 *    every PCMU leg and an Opus packet to every Opus leg, 50 packets/s each).
 *    N is raised step by step; a step passes when no worker tick ran late
 *    (more than one period behind) or was skipped, the process used at most
 *    80% of the machine's cores, and both directions delivered their packets.
 *
 * RESULT: the largest passing N, beside the calls the same two cores would carry
 * at 80% if Opus ran at native libopus speed (the per-call tick cost of step 2
 * with the WASM Opus share replaced by the native figures of step 1).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { buildSync } from 'esbuild';
import { FakeClock, seededRandom } from '../src/core/index.js';
import { createCodec, createCodecSync } from '../src/media/codecs/index.js';
import {
  type CodecSpec,
  createMediaEngine,
  type DatagramHandler,
  ENDPOINT_DEFAULTS,
  type EndpointConfig,
  type MediaSocketFactory,
  MediaWorkerRuntime,
} from '../src/media/worker/index.js';
import { RtpPacket } from '../src/rtp/index.js';
import { speechLike } from '../test/media/codecs/signals.js';
import { median, opsPerSecond, printResult } from './lib/stats.js';

const STEP_MS = 5000;
const STEPS = [50, 100, 150, 200, 250, 300, 350, 400, 500];
const CPU_LIMIT = 0.8;
const MAX_BENCH_MS = 8 * 60_000;
const started = Date.now();
const CORES = availableParallelism();

function repoRoot(): string {
  let dir = import.meta.dirname ?? process.cwd();
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bench'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}
const ROOT = repoRoot();
const cacheDir = join(ROOT, 'node_modules', '.cache', 'strowger-bench');
/**
 * The load generator runs at a raised priority when the system allows it
 * (nice -5): on a shared machine it must not be the part that falls behind.
 * The relays under test keep the default priority.
 */
const NICE = (() => {
  try {
    execFileSync('nice', ['-n', '-5', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
mkdirSync(cacheDir, { recursive: true });

// telephone-event on both legs, as phones negotiate it: in-band DTMF detection (≈ 20 µs per leg and
// tick on this machine) only runs on legs without it
const PCMU: CodecSpec = { encodingName: 'PCMU', clockRate: 8000, payloadType: 0 };
const OPUS: CodecSpec = { encodingName: 'opus', clockRate: 48000, channels: 2, payloadType: 111 };
const TE8: CodecSpec = { encodingName: 'telephone-event', clockRate: 8000, payloadType: 101 };
const TE48: CodecSpec = { encodingName: 'telephone-event', clockRate: 48000, payloadType: 101 };
const fmt = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));

// ------------------------------------------------------------------ 1. codec costs

const speech = speechLike({ seconds: 3, sampleRate: 8000, seed: 7 });
const frames: Int16Array[] = [];
for (let i = 0; i + 160 <= speech.length; i += 160) frames.push(speech.subarray(i, i + 160));
const pcmu = createCodecSync('PCMU');
const opus = await createCodec('opus', { sampleRate: 8000, channels: 1 });
const bytes = new Uint8Array(1500);
const pcm = new Int16Array(960);
const ulawPackets = frames.map((f) => bytes.slice(0, pcmu.encode(f, bytes)));
const opusPackets = frames.map((f) => bytes.slice(0, opus.encode(f, bytes)));
const rate = (fn: (n: number) => void) => {
  opsPerSecond(fn, 100);
  const r: number[] = [];
  for (let i = 0; i < 5; i++) r.push(opsPerSecond(fn, 150));
  return 1e6 / median(r);
};
let k = 0;
const cost = {
  ulawEnc: rate((n) => {
    for (let i = 0; i < n; i++) pcmu.encode(frames[k++ % frames.length] as Int16Array, bytes);
  }),
  ulawDec: rate((n) => {
    for (let i = 0; i < n; i++) pcmu.decode(ulawPackets[k++ % frames.length] as Uint8Array, pcm);
  }),
  opusEnc: rate((n) => {
    for (let i = 0; i < n; i++) opus.encode(frames[k++ % frames.length] as Int16Array, bytes);
  }),
  opusDec: rate((n) => {
    for (let i = 0; i < n; i++) opus.decode(opusPackets[k++ % frames.length] as Uint8Array, pcm);
  }),
};
const bitrate = (opus as unknown as { options: { bitrate: number } }).options.bitrate;
let native: { enc: number; dec: number; version: string } | undefined;
try {
  const exe = join(cacheDir, 'opus-bench');
  execFileSync('cc', ['-O2', '-o', exe, join(ROOT, 'bench', 'native', 'opus-bench.c'), '-lopus'], {
    stdio: 'ignore',
  });
  const raw = join(cacheDir, 'transcode-pcm-8000.raw');
  writeFileSync(raw, new Uint8Array(speech.buffer, speech.byteOffset, speech.byteLength));
  const out = execFileSync(exe, ['8000', String(bitrate), '5', raw], { encoding: 'utf8' });
  const m = /encode_us=([\d.]+) decode_us=([\d.]+).*version=(.*)/.exec(out);
  if (m) native = { enc: Number(m[1]), dec: Number(m[2]), version: (m[3] as string).trim() };
} catch {
  native = undefined;
}
process.stdout.write(
  `cores ${CORES}, load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}\n`,
);
process.stdout.write('-- codec cost per 20 ms frame (this thread)\n');
process.stdout.write(`G.711 µ-law encode ${fmt(cost.ulawEnc)} µs, decode ${fmt(cost.ulawDec)} µs\n`);
process.stdout.write(
  `Opus 8 kHz ${bitrate / 1000} kbit/s c5, WASM: encode ${fmt(cost.opusEnc)} µs, decode ${fmt(cost.opusDec)} µs` +
    (native
      ? `;  native ${native.version}: encode ${fmt(native.enc)} µs, decode ${fmt(native.dec)} µs (WASM at ${(native.enc / cost.opusEnc).toFixed(2)}× / ${(native.dec / cost.opusDec).toFixed(2)}× native speed)\n`
      : ';  native libopus: not available (no cc or libopus-dev)\n'),
);

// ------------------------------------------------------------------ 2. per-call tick cost in-process

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

function config(codecs: CodecSpec[], port: number): EndpointConfig {
  return {
    ...ENDPOINT_DEFAULTS,
    codecs,
    remote: { address: '10.0.0.9', port },
    cname: 'bench',
    statsIntervalMs: 0,
    rtpTimeoutMs: 0,
    opus: {},
    jitter: {},
  };
}

const CALLS_IN_PROCESS = 20;
const clock = new FakeClock();
const { factory, handlers } = nullSockets();
const runtime = new MediaWorkerRuntime({ post() {}, clock, sockets: factory, random: seededRandom(1) });
for (let c = 0; c < CALLS_IN_PROCESS; c++) {
  const base = 30000 + c * 4;
  await runtime.execute({
    type: 'createEndpoint',
    endpoint: 2 * c + 1,
    bindAddress: '10.0.0.1',
    rtpPort: base,
    rtcpPort: base + 1,
    config: config([PCMU, TE8], 4000 + c),
  });
  await runtime.execute({
    type: 'createEndpoint',
    endpoint: 2 * c + 2,
    bindAddress: '10.0.0.1',
    rtpPort: base + 2,
    rtcpPort: base + 3,
    config: config([OPUS, TE48], 5000 + c),
  });
  await runtime.execute({ type: 'connect', session: c + 1, kind: 'transcode', a: 2 * c + 1, b: 2 * c + 2 });
}
const ulawRtp = ulawPackets.map((p, i) =>
  new RtpPacket({ payloadType: 0, sequenceNumber: i, timestamp: i * 160, ssrc: 1, payload: p }).serialize(),
);
const opusRtp = opusPackets.map((p, i) =>
  new RtpPacket({ payloadType: 111, sequenceNumber: i, timestamp: i * 960, ssrc: 2, payload: p }).serialize(),
);
let tick = 0;
/** One 20 ms tick for every call: a packet into each leg, then the tick. */
function runTicks(n: number): void {
  for (let i = 0; i < n; i++, tick++) {
    const fi = tick % ulawRtp.length;
    // sequence numbers and timestamps must keep moving: rewrite the stored packets in place
    const u = ulawRtp[fi] as Uint8Array;
    const o = opusRtp[fi] as Uint8Array;
    u[2] = (tick >> 8) & 0xff;
    u[3] = tick & 0xff;
    o[2] = (tick >> 8) & 0xff;
    o[3] = tick & 0xff;
    const ts = tick * 160;
    u[4] = ts >>> 24;
    u[5] = (ts >>> 16) & 0xff;
    u[6] = (ts >>> 8) & 0xff;
    u[7] = ts & 0xff;
    const ots = tick * 960;
    o[4] = ots >>> 24;
    o[5] = (ots >>> 16) & 0xff;
    o[6] = (ots >>> 8) & 0xff;
    o[7] = ots & 0xff;
    for (let c = 0; c < CALLS_IN_PROCESS; c++) {
      const base = 30000 + c * 4;
      (handlers.get(base) as DatagramHandler)(u, '10.0.0.9', 4000 + c);
      (handlers.get(base + 2) as DatagramHandler)(o, '10.0.0.9', 5000 + c);
    }
    clock.advance(20);
  }
}
runTicks(200); // warm up, let the jitter buffers settle
const tickRate = (() => {
  const r: number[] = [];
  for (let i = 0; i < 5; i++) r.push(opsPerSecond(runTicks, 300));
  return median(r);
})();
const callTickUs = 1e6 / tickRate / CALLS_IN_PROCESS;

async function allocatedBytes(fn: () => void): Promise<number> {
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
  fn();
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
  return total;
}
const ALLOC_TICKS = 500;
const allocPerCallTick = (await allocatedBytes(() => runTicks(ALLOC_TICKS))) / ALLOC_TICKS / CALLS_IN_PROCESS;
runtime.close();
const perCoreCalls = (0.8 * 20_000) / callTickUs;
const nativeCallTickUs = native
  ? callTickUs - (cost.opusEnc + cost.opusDec) + (native.enc + native.dec)
  : undefined;
process.stdout.write('-- one tick of one PCMU ↔ Opus call, in-process (both directions)\n');
process.stdout.write(
  `${fmt(callTickUs)} µs CPU per call per tick (of which Opus encode + decode ≈ ${fmt(cost.opusEnc + cost.opusDec)} µs), ` +
    `${allocPerCallTick.toFixed(1)} bytes allocated per call per tick (sampled); ` +
    `≈ ${Math.floor(perCoreCalls)} calls per core at 80%` +
    (nativeCallTickUs ? `, ≈ ${Math.floor((0.8 * 20_000) / nativeCallTickUs)} with native Opus\n` : '\n'),
);

// ------------------------------------------------------------------ 3. real run

function buildWorker(): string {
  const outfile = join(cacheDir, 'media-worker.mjs');
  buildSync({
    entryPoints: [join(ROOT, 'src', 'media', 'worker', 'worker-main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  });
  return outfile;
}

function buildGenerator(): string | undefined {
  const exe = join(cacheDir, 'rtp-load');
  try {
    execFileSync('cc', ['-O2', '-o', exe, join(ROOT, 'bench', 'native', 'rtp-load.c'), '-lpthread'], {
      stdio: 'ignore',
    });
    return exe;
  } catch {
    return undefined;
  }
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

interface Step {
  calls: number;
  cpu: number;
  lateTicks: number;
  skippedTicks: number;
  delivered: number;
  expected: number;
  meanTickUs: number;
  maxLagMs: number;
}

async function runStep(exe: string, workerScript: string, calls: number): Promise<Step> {
  const engine = await createMediaEngine({
    workerScript,
    bindAddress: '127.0.0.1',
    portRange: { min: 30000, max: 32700 },
    endpointDefaults: { statsIntervalMs: 0, rtpTimeoutMs: 0 },
  });
  const gen: ChildProcess = spawn(
    NICE ? 'nice' : exe,
    [...(NICE ? ['-n', '-5', exe] : []), String(STEP_MS), '50', 'raw'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let out = '';
  const port = await new Promise<number>((resolve) => {
    gen.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /port=(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
  });
  const remote = { address: '127.0.0.1', port };
  const lines: string[] = [];
  for (let c = 0; c < calls; c++) {
    const a = await engine.createEndpoint({ codecs: [PCMU, TE8], remote });
    const b = await engine.createEndpoint({ near: a, codecs: [OPUS, TE48], remote });
    await engine.transcode(a, b);
    lines.push(`${a.local.rtpPort} 0 ${hex(ulawPackets[c % ulawPackets.length] as Uint8Array)}`);
    lines.push(`${b.local.rtpPort} 111 ${hex(opusPackets[c % opusPackets.length] as Uint8Array)}`);
  }
  const file = join(cacheDir, `transcode-ports-${process.pid}.txt`);
  writeFileSync(file, `${lines.length}\n${lines.join('\n')}\n`);
  await new Promise((r) => setTimeout(r, 300));
  const before = await engine.workerStats();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  gen.stdin?.write(`${file}\n`);
  await new Promise<void>((resolve) => gen.on('exit', () => resolve()));
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const after = await engine.workerStats();
  await engine.close();
  const m = /received=(\d+)/.exec(out);
  const delta = (f: 'lateTicks' | 'skippedTicks') =>
    after.reduce((s, w, i) => s + w[f] - ((before[i] as (typeof before)[number])[f] ?? 0), 0);
  return {
    calls,
    cpu: (cpu.user + cpu.system) / 1000 / wall / CORES,
    lateTicks: delta('lateTicks'),
    skippedTicks: delta('skippedTicks'),
    delivered: Number(m?.[1] ?? 0),
    expected: calls * 2 * 50 * (STEP_MS / 1000),
    meanTickUs: Math.max(...after.map((w) => w.meanTickUs)),
    maxLagMs: Math.max(...after.map((w) => w.maxLagMs)),
  };
}

const exe = buildGenerator();
let best: Step | undefined;
if (!exe) {
  process.stdout.write('-- real run skipped: no C compiler for bench/native/rtp-load.c\n');
} else {
  const workerScript = buildWorker();
  process.stdout.write(
    `-- real run: ${CORES} workers, ${STEP_MS} ms per step; pass = no late or skipped tick, CPU ≤ ${CPU_LIMIT * 100}% of ${CORES} cores, ≥ 99% of packets delivered\n`,
  );
  for (const calls of STEPS) {
    if (Date.now() - started > MAX_BENCH_MS) {
      process.stdout.write('time budget spent, stopping\n');
      break;
    }
    const s = await runStep(exe, workerScript, calls);
    const pass =
      s.lateTicks === 0 && s.skippedTicks === 0 && s.cpu <= CPU_LIMIT && s.delivered >= 0.99 * s.expected;
    process.stdout.write(
      `${String(calls).padStart(4)} calls  cpu ${(s.cpu * 100).toFixed(0).padStart(3)}% of ${CORES} cores  late ticks ${s.lateTicks}  skipped ${s.skippedTicks}  max lag ${s.maxLagMs.toFixed(1)} ms  mean tick ${fmt(s.meanTickUs)} µs  delivered ${s.delivered}/${s.expected}  ${pass ? 'pass' : 'FAIL'}\n`,
    );
    if (!pass) break;
    best = s;
  }
}
const estimateNative = nativeCallTickUs ? Math.floor((CPU_LIMIT * 20_000 * CORES) / nativeCallTickUs) : 0;
process.stdout.write(
  `load average at the end ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}\n`,
);
printResult({
  name: 'transcode',
  value: best?.calls ?? 0,
  unit: 'concurrent PCMU↔Opus calls (no late tick, ≤ 80% CPU)',
  peer: native ? `estimate with native ${native.version}` : 'none (no native libopus)',
  peerValue: estimateNative,
  ratio: estimateNative > 0 ? Number(((best?.calls ?? 0) / estimateNative).toFixed(2)) : 0,
  callTickUs: Number(callTickUs.toFixed(2)),
  allocBytesPerCallTick: Number(allocPerCallTick.toFixed(1)),
  opusEncodeUs: Number(cost.opusEnc.toFixed(2)),
  opusDecodeUs: Number(cost.opusDec.toFixed(2)),
  nativeOpusEncodeUs: native ? native.enc : null,
  nativeOpusDecodeUs: native ? native.dec : null,
  ulawEncodeUs: Number(cost.ulawEnc.toFixed(3)),
  ulawDecodeUs: Number(cost.ulawDec.toFixed(3)),
});
