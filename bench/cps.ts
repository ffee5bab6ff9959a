/**
 * Calls per second through a SIP server on loopback, and anchored media at scale (issue 7,
 * "The switch"). Two parts:
 *
 * 1. Signalling-only rate ramp. SIPp's uac → server → SIPp's uas, Kamailio (Debian's 5.6, a
 *    stateful tm proxy: bench/peers/kamailio-proxy.cfg) beside the switch (createSwitch in a
 *    process of its own, bench/lib/switch-launcher.ts: a signalling-only B2BUA route from the
 *    uac trunk to the uas trunk, both dialogs, every transaction, a CDR per call in SQLite),
 *    in the same run with the same SIPp harness; their steps alternate (Kamailio's, then the
 *    switch's), so drift from neighbours falls on both.
 *
 *    A step offers `rate` calls/s for STEP_SEC seconds (SIPp -r, -m = rate × STEP_SEC, -l,
 *    -d CALL_MS, -timeout). It passes when every call succeeded at both SIPp ends, SIPp's
 *    retransmissions (uac + uas) are under 0.1% of the messages SIPp sent, the achieved rate
 *    is at least 95% of the offered one (SIPp throttles at -l when the server falls behind),
 *    and — for the switch — one CDR was written per call and none of the step's calls is
 *    still up 40 s later. A failing step is run again once (the machine is shared). The
 *    ladder doubles (50, 100, 200 … cps) up to the first failing step, then bisects between
 *    the last passing and the first failing rate (SEARCH_STEPS times, to within 10%). The
 *    clean rate is the highest passing rate.
 *
 *    CPU: each server runs as a child process tree; /proc utime + stime of the whole tree
 *    (Kamailio's main and workers; the switch's node process with all its threads) is read
 *    before and after every step: CPU-seconds per 1,000 calls. SIPp's own CPU is measured
 *    too (uac: bash `times`; uas: /proc): a SIPp process near 100% of a core at the first
 *    failing step means the generator, not the server, was the limit, and the report says so.
 *
 * 2. Media anchored in the workers: MEDIA_CALLS calls at 10 new calls/s, each held
 *    MEDIA_HOLD_MS, SIPp's uac streaming G.711 µ-law (rtp_stream, 20 ms) and the uas echoing
 *    it (-rtp_echo), through the switch with its media engine (one worker per core):
 *    calls up at once, failed calls, packets relayed per second against 2 × 50 per call,
 *    the workers' late ticks and worst lag, CPU of the switch and of both SIPp processes.
 *
 * The RESULT line: value = the switch's clean rate, peer = Kamailio's, ratio, CPU-seconds per
 * 1,000 calls of both at their clean rates and at the common rate, and the media figures.
 *
 * Flags: --peer-only (Kamailio only), --switch-only (the switch's ramp only, for profiles
 * and before/after comparisons), --no-media, --media-only. Environment: BENCH_STEP_SEC (5),
 * BENCH_CALL_MS (100), BENCH_MAX_RATE (6400), BENCH_SEARCH_STEPS (3), BENCH_RATES=100,200 (a
 * fixed list instead of the ladder), BENCH_MEDIA_CALLS (500), BENCH_MEDIA_HOLD_MS (60000),
 * BENCH_PROFILE=DIR (a V8 CPU profile of the switch process), BENCH_NODE_ARGS='…' (more node
 * flags for the switch process, e.g. --heap-prof), BENCH_TRACE=1 (SIPp message
 * logs), BENCH_DEBUG=1 (keeps the work directory, prints failures).
 */

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { linearToUlaw } from '../src/media/codecs/index.js';
import { ensureTool } from '../test/helpers/tools.js';
import { stopAll } from './lib/children.js';
import { startKamailio } from './lib/kamailio.js';
import { freeUdpBlock } from './lib/ports.js';
import { treeCpuSeconds } from './lib/proc.js';
import {
  durationSec,
  epoch,
  num,
  readSippStats,
  runUacStep,
  startUac,
  startUas,
  type UacResult,
  type Uas,
} from './lib/sipp-load.js';
import { SENT_PER_CALL, uacScenario, uasScenario } from './lib/sipp-scenarios.js';
import { median, printResult } from './lib/stats.js';
import { type SwitchProcess, startSwitch } from './lib/switch-process.js';

const PEER_ONLY = process.argv.includes('--peer-only');
const NO_MEDIA = process.argv.includes('--no-media');
const MEDIA_ONLY = process.argv.includes('--media-only');
/** Profiling and before/after comparisons of the switch: no Kamailio. */
const SWITCH_ONLY = process.argv.includes('--switch-only');
const DEBUG = process.env.BENCH_DEBUG === '1';
const STEP_SEC = Number(process.env.BENCH_STEP_SEC ?? 5);
const CALL_MS = Number(process.env.BENCH_CALL_MS ?? 100);
const MAX_RATE = Number(process.env.BENCH_MAX_RATE ?? 6400);
const SEARCH_STEPS = Number(process.env.BENCH_SEARCH_STEPS ?? 3);
const FIXED_RATES = process.env.BENCH_RATES?.split(',').map(Number);
const LADDER = FIXED_RATES ?? [50, 100, 200, 400, 800, 1600, 3200, 6400, 12800].filter((r) => r <= MAX_RATE);
/** Retransmissions allowed, as a share of the messages SIPp sent. */
const RETRANS_LIMIT = 0.001;
/** The achieved call rate must reach this share of the offered one. */
const RATE_FLOOR = 0.95;
/** The whole benchmark stops ramping after this long (every child dies at MAX_BENCH_SEC + 60 s). */
const MAX_BENCH_SEC = 15 * 60;
/** A SIPp process at this share of one core is taken as the limit. */
const SATURATED = 0.9;

const started = Date.now();
const elapsedSec = () => (Date.now() - started) / 1000;

/** nice -5 for SIPp when the system allows it: the generator should not be what falls behind. */
const NICE = (() => {
  try {
    execFileSync('nice', ['-n', '-5', 'true'], { stdio: 'ignore' });
    return -5;
  } catch {
    return undefined;
  }
})();

/** SIPp tuning for high rates: more messages and calls per event-loop pass, bigger socket buffers. */
const SIPP_TUNING = [
  '-max_recv_loops',
  '5000',
  '-max_sched_loops',
  '5000',
  '-buff_size',
  String(4 << 20),
  // BENCH_TRACE=1: SIPp's message logs in the work directory (kept with BENCH_DEBUG=1)
  ...(process.env.BENCH_TRACE === '1' ? ['-trace_msg'] : []),
];

// ---- one server under test ---------------------------------------------------------------

interface Server {
  /** Shown in the tables and the RESULT line. */
  name: string;
  /** host:port the uac calls. */
  target: string;
  uas: Uas;
  /** The SIPp uac's SIP port for this server (the switch knows it as a trunk). */
  uacPort: number;
  /** CPU seconds of the server's process tree so far. */
  cpuSec(): number;
  /**
   * CDRs written so far, once no call started since `since` (wall ms) is in progress
   * (waits up to 40 s); `active`: those still up then; `stuck`: calls up > 30 s by state.
   * Absent for a proxy.
   */
  cdrs?(since: number): Promise<{ cdrs: number; active: number; stuck: string }>;
  /** Calls up > 30 s (debugging). */
  stuckCalls?(): unknown;
  /** Memory of the server process, for BENCH_DEBUG. */
  memory?(): string;
  alive(): boolean;
  /** Its output, for a failure report. */
  output(): string;
  stop(): Promise<void>;
}

interface Step {
  rate: number;
  calls: number;
  ok: number;
  failed: number;
  retrans: number;
  retransShare: number;
  achieved: number;
  serverCpu: number;
  wall: number;
  uacCpu: number;
  uasCpu: number;
  /** CDRs written during the step (the switch), or undefined. */
  cdrs: number | undefined;
  pass: boolean;
  why: string;
  attempt: number;
}

/** The ladder, then bisection between the last passing and the first failing rate. */
class Ramp {
  lastPass = 0;
  firstFail = Number.POSITIVE_INFINITY;
  readonly steps: Step[] = [];
  done = false;
  private rung = 0;
  private searchLeft = SEARCH_STEPS;
  private phase: 'ladder' | 'search' | 'fixed' = FIXED_RATES ? 'fixed' : 'ladder';

  next(): number | undefined {
    if (this.done) return undefined;
    if (this.phase !== 'search') return LADDER[this.rung];
    if (this.lastPass === 0 || this.searchLeft <= 0) return undefined;
    const lo = this.lastPass;
    const hi = this.firstFail;
    if (hi - lo <= Math.max(10, lo * 0.1)) return undefined;
    const mid = (lo + hi) / 2;
    const unit = mid >= 1000 ? 50 : 10;
    return Math.round(mid / unit) * unit;
  }

  record(rate: number, pass: boolean): void {
    if (pass) this.lastPass = Math.max(this.lastPass, rate);
    else this.firstFail = Math.min(this.firstFail, rate);
    if (this.phase === 'fixed') this.rung++;
    else if (this.phase === 'ladder') {
      if (pass) this.rung++;
      else this.phase = 'search';
    } else this.searchLeft--;
  }
}

/**
 * Waits (up to 30 s) until the uas holds no call and the server's CPU use is under 10% of
 * a core: a failed step leaves transactions and retransmissions behind that would
 * otherwise fall on the next step.
 */
async function settle(server: Server): Promise<void> {
  const end = Date.now() + 30_000;
  let lastCalls = -1;
  while (Date.now() < end && server.alive()) {
    const c0 = server.cpuSec();
    await new Promise((r) => setTimeout(r, 500));
    const busy = (server.cpuSec() - c0) / 0.5;
    const calls = num(await server.uas.statsAfter(0), 'CurrentCall');
    // calls the uas still holds for good (a dialog the server lost) must not hold us up
    if (busy < 0.1 && (calls === 0 || calls === lastCalls)) return;
    lastCalls = calls;
  }
}

async function runStep(server: Server, dir: string, rate: number, attempt: number) {
  const port = server.uacPort;
  const calls = Math.max(200, Math.round(rate * STEP_SEC));
  const limit = Math.max(200, rate * 2);
  const timeoutSec = Math.ceil(calls / rate) + 20;
  const cpu0 = server.cpuSec();
  const uas0 = await server.uas.statsAfter(0);
  const uasCpu0 = server.uas.cpuSec();
  const cdr0 = await server.cdrs?.(Date.now());
  const stepStart = Date.now();
  const r = await runUacStep({
    sipp: SIPP,
    dir,
    port,
    mediaPort: port + 2,
    controlPort: port + 6,
    scenario: { name: 'uac', xml: uacScenario() },
    extraArgs: ['-d', String(CALL_MS), '-s', '5550100', ...SIPP_TUNING],
    remote: server.target,
    rate,
    calls,
    limit,
    timeoutSec,
    tag: `${rate}-${attempt}`,
    ...(NICE !== undefined ? { nice: NICE } : {}),
  });
  const cpu1 = server.cpuSec();
  const uasCpu1 = server.uas.cpuSec();
  const endEpoch = epoch(r.stats, 'CurrentTime');
  const uas1 = await server.uas.statsAfter(Number.isFinite(endEpoch) ? endEpoch : Date.now() / 1000);
  const d = (key: string) => num(uas1, key) - num(uas0, key);
  const cdr1 = await server.cdrs?.(stepStart);
  const cdrs = cdr0 !== undefined && cdr1 !== undefined ? cdr1.cdrs - cdr0.cdrs : undefined;
  const ok = num(r.stats, 'SuccessfulCall(C)');
  const failed = num(r.stats, 'FailedCall(C)') + d('FailedCall(C)');
  const created = num(r.stats, 'OutgoingCall(C)');
  const retrans = num(r.stats, 'Retransmissions(C)') + d('Retransmissions(C)');
  const retransShare = retrans / Math.max(1, SENT_PER_CALL * created);
  const span = epoch(r.stats, 'CurrentTime') - epoch(r.stats, 'StartTime');
  const creating = span - durationSec(r.stats, 'CallLength(C)');
  const achieved = creating > 0 ? created / Math.max(creating, (created - 1) / rate) : 0;
  const reasons: string[] = [];
  if (!server.alive()) reasons.push('server died');
  if (ok < calls) reasons.push(`${calls - ok} calls not completed`);
  if (failed > 0) reasons.push(`${failed} failed`);
  if (retransShare >= RETRANS_LIMIT) reasons.push(`retransmissions ${(retransShare * 100).toFixed(2)}%`);
  if (achieved < rate * RATE_FLOOR) reasons.push(`achieved ${achieved.toFixed(0)} cps`);
  if (cdrs !== undefined && cdrs !== created) reasons.push(`${cdrs} CDRs for ${created} calls`);
  if (cdr1 && cdr1.active > 0)
    reasons.push(
      `${cdr1.active} of its calls still up in the switch 40 s after${cdr1.stuck ? ` (up > 30 s: ${cdr1.stuck})` : ''}`,
    );
  if (r.code !== 0 && reasons.length === 0) reasons.push(`sipp exit ${r.code}`);
  const step: Step = {
    rate,
    calls,
    ok,
    failed,
    retrans,
    retransShare,
    achieved,
    serverCpu: cpu1 - cpu0,
    wall: r.wallSec,
    uacCpu: r.cpuSec,
    uasCpu: uasCpu1 - uasCpu0,
    cdrs,
    pass: reasons.length === 0,
    why: reasons.join('; '),
    attempt,
  };
  if (DEBUG && !step.pass) process.stderr.write(`[${server.name} ${rate}] ${r.errors.slice(0, 2000)}\n`);
  if (DEBUG && server.memory) process.stderr.write(`[${server.name} ${rate}] ${server.memory()}\n`);
  if (DEBUG && cdr1?.active)
    process.stderr.write(`[${server.name} ${rate}] stuck: ${JSON.stringify(server.stuckCalls?.())}\n`);
  return step;
}

// ---- the servers -------------------------------------------------------------------------

const SIPP = ensureTool('sipp', 'sip-tester');
const work = mkdtempSync(join(tmpdir(), 'strowger-cps-'));

async function kamailioServer(): Promise<Server> {
  const base = await freeUdpBlock(20);
  const uas = await startUas({
    sipp: SIPP,
    dir: join(work, 'kamailio'),
    port: base,
    mediaPort: base + 2,
    controlPort: base + 6,
    scenario: { name: 'uas', xml: uasScenario() },
    extraArgs: SIPP_TUNING,
    maxSeconds: MAX_BENCH_SEC + 60,
    ...(NICE !== undefined ? { nice: NICE } : {}),
  });
  const k = await startKamailio({
    port: base + 8,
    uasUri: `sip:127.0.0.1:${base}`,
    dir: join(work, 'kamailio', 'run'),
    maxSeconds: MAX_BENCH_SEC + 60,
  });
  return {
    name: `kamailio ${k.version} tm`,
    target: `127.0.0.1:${base + 8}`,
    uas,
    uacPort: base + 10,
    cpuSec: () => k.cpuSec(),
    alive: () => !k.child.done,
    output: () => k.child.output(),
    stop: async () => {
      await k.stop();
      await uas.child.stop();
    },
  };
}

/** The switch: a signalling-only B2BUA route from the uac trunk to the uas trunk, a CDR per call. */
async function switchServer(): Promise<Server & { proc: SwitchProcess }> {
  const base = await freeUdpBlock(20);
  const uas = await startUas({
    sipp: SIPP,
    dir: join(work, 'switch'),
    port: base,
    mediaPort: base + 2,
    controlPort: base + 6,
    scenario: { name: 'uas', xml: uasScenario() },
    extraArgs: SIPP_TUNING,
    maxSeconds: MAX_BENCH_SEC + 60,
    ...(NICE !== undefined ? { nice: NICE } : {}),
  });
  const proc = await startSwitch({
    port: base + 8,
    uacPort: base + 10,
    uasPort: base,
    signallingOnly: true,
    dir: join(work, 'switch', 'run'),
    maxSeconds: MAX_BENCH_SEC + 60,
  });
  return {
    name: 'strowger b2bua',
    target: `127.0.0.1:${base + 8}`,
    uas,
    uacPort: base + 10,
    proc,
    cpuSec: () => proc.cpuSec(),
    async cdrs(since) {
      // a call whose last transaction is still open (a lost ACK, Timer H: 32 s) ends late
      const end = Date.now() + 40_000;
      for (;;) {
        const st = proc.stats();
        // stats are written every 500 ms: take one written after the calls were over
        const fresh = st !== undefined && st.at > Date.now() - 400;
        const recent = (st?.activeStarts ?? []).filter((t) => t >= since).length;
        if ((fresh && recent === 0) || Date.now() > end) {
          const kinds = new Map<string, number>();
          for (const c of st?.oldCalls ?? []) {
            const k = `${c.state} [${c.legs.join(', ')}]`;
            kinds.set(k, (kinds.get(k) ?? 0) + 1);
          }
          const stuck = [...kinds].map(([k, n]) => `${n}× ${k}`).join('; ');
          return { cdrs: st?.cdrs ?? 0, active: recent, stuck };
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stuckCalls: () => proc.stats()?.oldCalls,
    memory: () => {
      const st = proc.stats();
      return st
        ? `heap ${st.heapUsedMb} MB (peak ${st.heapPeakMb} MB), rss ${st.rssMb} MB, gc ${JSON.stringify(st.gc)}`
        : '';
    },
    alive: () => !proc.child.done,
    output: () => proc.child.output(),
    stop: async () => {
      await proc.stop();
      await uas.child.stop();
    },
  };
}

// ---- media anchored: 500 concurrent G.711 calls --------------------------------------------

const MEDIA_CALLS = Number(process.env.BENCH_MEDIA_CALLS ?? 500);
const MEDIA_CPS = 10;
const MEDIA_HOLD_MS = Number(process.env.BENCH_MEDIA_HOLD_MS ?? 60_000);
/** RTP packets per second per direction of a 20 ms G.711 stream. */
const PPS = 50;

interface MediaResult {
  calls: number;
  ok: number;
  failed: number;
  /** Most calls up at once at the uac. */
  maxConcurrent: number;
  /** Seconds with MEDIA_CALLS (at least 99% of them) up: the plateau. */
  plateauSec: number;
  /** Media endpoints in the engine on the plateau (median; 2 per call). */
  endpoints: number;
  /** Packets relayed per second on the plateau, and what 2 × 50 per call would be. */
  relayedPps: number;
  expectedPps: number;
  /** CPU (cores) of the switch, SIPp uac (signalling + RTP), SIPp uas (signalling + echo) on the plateau. */
  switchCores: number;
  uacCores: number;
  uasCores: number;
  lateTicks: number;
  maxLagMs: number;
  cdrs: Record<string, number>;
  pass: boolean;
  why: string;
}

/** A G.711 µ-law WAV (1 s of a 440 Hz tone) for SIPp's rtp_stream. */
function toneWav(file: string): void {
  const n = 8000;
  const data = Buffer.alloc(n);
  for (let i = 0; i < n; i++)
    data[i] = linearToUlaw(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + n, 4);
  h.write('WAVE', 8);
  h.write('fmt ', 12);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(7, 20); // WAVE_FORMAT_MULAW
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(8000, 28);
  h.writeUInt16LE(1, 32);
  h.writeUInt16LE(8, 34);
  h.write('data', 36);
  h.writeUInt32LE(n, 40);
  writeFileSync(file, Buffer.concat([h, data]));
}

/**
 * MEDIA_CALLS calls at MEDIA_CPS new calls a second, each held MEDIA_HOLD_MS, through the
 * switch with media anchored in its workers: the uac streams G.711 (SIPp rtp_stream, 20 ms
 * packets) and the uas echoes it (-rtp_echo), so every call carries 50 packets/s each way
 * through the engine. Sampled every second: calls up at the uac, the engine's endpoints
 * and relayed packets, CPU of the switch and of both SIPp processes.
 */
async function mediaRun(): Promise<MediaResult> {
  const dir = join(work, 'media');
  mkdirSync(dir, { recursive: true });
  const wav = join(dir, 'tone.wav');
  toneWav(wav);
  const base = await freeUdpBlock(20);
  const rtpBase = await freeUdpBlock(8, 30_000, 50_000);
  const uas = await startUas({
    sipp: SIPP,
    dir,
    port: base,
    mediaPort: base + 2,
    controlPort: base + 6,
    scenario: { name: 'uas-media', xml: uasScenario() },
    extraArgs: [...SIPP_TUNING, '-rtp_echo'],
    maxSeconds: MAX_BENCH_SEC + 60,
    ...(NICE !== undefined ? { nice: NICE } : {}),
  });
  const sw = await startSwitch({
    port: base + 8,
    uacPort: base + 10,
    uasPort: base,
    signallingOnly: false,
    rtpPorts: { min: rtpBase, max: rtpBase + MEDIA_CALLS * 8 + 99 },
    dir: join(dir, 'switch'),
    maxSeconds: MAX_BENCH_SEC + 60,
  });
  // MEDIA_CALLS up after MEDIA_CALLS / 10 s; 15 s more of new calls keep them up while the
  // first ones end (SIPp's -l holds the count at MEDIA_CALLS)
  const total = MEDIA_CALLS + 15 * MEDIA_CPS;
  const runSec = Math.ceil(MEDIA_HOLD_MS / 1000 + total / MEDIA_CPS) + 30;
  const uac = startUac({
    sipp: SIPP,
    dir,
    port: base + 10,
    mediaPort: base + 12,
    controlPort: base + 16,
    scenario: { name: 'uac-media', xml: uacScenario({ rtpFile: wav }) },
    extraArgs: ['-d', String(MEDIA_HOLD_MS), '-s', '5550100', '-rtp_threadtasks', '100', ...SIPP_TUNING],
    remote: `127.0.0.1:${base + 8}`,
    rate: MEDIA_CPS,
    calls: total,
    limit: MEDIA_CALLS,
    timeoutSec: runSec,
    tag: 'media',
    ...(NICE !== undefined ? { nice: NICE } : {}),
  });
  interface Sample {
    t: number;
    /** When the switch wrote the engine figures of this sample (s). */
    statAt: number;
    up: number;
    endpoints: number;
    relayed: number;
    lateTicks: number;
    maxLagMs: number;
    sw: number;
    uac: number;
    uas: number;
  }
  const samples: Sample[] = [];
  let finished = false;
  const done = uac.done.then((r: UacResult) => {
    finished = true;
    return r;
  });
  while (!finished) {
    await new Promise((r) => setTimeout(r, 1000));
    const st = sw.stats();
    samples.push({
      t: performance.now() / 1000,
      statAt: (st?.at ?? 0) / 1000,
      up: num(readSippStats(uac.statFile), 'CurrentCall'),
      endpoints: st?.engine?.endpoints ?? 0,
      relayed: st?.engine?.relayedPackets ?? 0,
      lateTicks: st?.engine?.lateTicks ?? 0,
      maxLagMs: st?.engine?.maxLagMs ?? 0,
      sw: sw.cpuSec(),
      uac: treeCpuSeconds(uac.child.pid),
      uas: uas.cpuSec(),
    });
  }
  const r = await done;
  await sw.stop();
  await uas.child.stop();
  const cdrs = await sw.cdrCounts();
  // the plateau: from the first to the last sample with (nearly) every call up — a sample
  // can fall between one call's end and the next one's start
  const full = samples.filter((x) => x.up >= MEDIA_CALLS * 0.99);
  const first = full[0];
  const last = full[full.length - 1];
  const span = first && last ? last.t - first.t : 0;
  const per = (f: (x: Sample) => number) => (first && last && span > 0 ? (f(last) - f(first)) / span : 0);
  const ok = num(r.stats, 'SuccessfulCall(C)');
  const failed = num(r.stats, 'FailedCall(C)');
  const created = num(r.stats, 'OutgoingCall(C)');
  const maxConcurrent = Math.max(0, ...samples.map((x) => x.up));
  const expectedPps = MEDIA_CALLS * 2 * PPS;
  // the engine's counters over the time between the switch's own writes of them
  const statSpan = first && last ? last.statAt - first.statAt : 0;
  const relayedPps = first && last && statSpan > 0 ? (last.relayed - first.relayed) / statSpan : 0;
  // a sample can fall between a call's end at the uac and the release of its endpoints, or
  // between a new call's INVITE and its B leg: the median of the plateau
  const endpoints = full.length ? median(full.map((x) => x.endpoints)) : 0;
  const reasons: string[] = [];
  if (ok < total) reasons.push(`${total - ok} of ${total} calls not completed`);
  if (failed > 0) reasons.push(`${failed} failed`);
  if (maxConcurrent < MEDIA_CALLS) reasons.push(`only ${maxConcurrent} calls up at once`);
  if (span < 5) reasons.push(`${MEDIA_CALLS} up for ${span.toFixed(0)} s only`);
  if (endpoints < MEDIA_CALLS * 2 * 0.98)
    reasons.push(`${endpoints} media endpoints for ${MEDIA_CALLS} calls`);
  if (relayedPps < expectedPps * 0.95)
    reasons.push(`relayed ${relayedPps.toFixed(0)} packets/s of ${expectedPps} expected`);
  const cdrTotal = Object.values(cdrs).reduce((a: number, b: number) => a + b, 0);
  if (cdrTotal !== created) reasons.push(`${cdrTotal} CDRs for ${created} calls`);
  if (DEBUG && reasons.length) process.stderr.write(`[media] ${r.errors.slice(0, 2000)}\n`);
  return {
    calls: total,
    ok,
    failed,
    maxConcurrent,
    plateauSec: span,
    endpoints,
    relayedPps,
    expectedPps,
    switchCores: per((x) => x.sw),
    uacCores: per((x) => x.uac),
    uasCores: per((x) => x.uas),
    lateTicks: last && first ? last.lateTicks - first.lateTicks : 0,
    maxLagMs: last?.maxLagMs ?? 0,
    cdrs,
    pass: reasons.length === 0,
    why: reasons.join('; '),
  };
}

// ---- report ------------------------------------------------------------------------------

/** Seconds of offered load in a step: CPU shares are taken over these (a failed step's tail of timeouts would dilute them). */
const offered = (s: Step) => s.calls / s.rate;

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

function table(name: string, steps: readonly Step[]): string {
  const head = [
    'rate',
    'calls',
    'ok',
    'failed',
    'retrans',
    'achieved',
    'server CPU s',
    'CPU s/1k',
    'server %',
    'uac %',
    'uas %',
    'result',
  ];
  const rows = steps.map((s) => [
    String(s.rate),
    String(s.calls),
    String(s.ok),
    String(s.failed),
    `${s.retrans} (${(s.retransShare * 100).toFixed(3)}%)`,
    s.achieved.toFixed(0),
    s.serverCpu.toFixed(2),
    ((s.serverCpu / Math.max(1, s.ok)) * 1000).toFixed(3),
    pct(s.serverCpu / offered(s)),
    pct(s.uacCpu / offered(s)),
    pct(s.uasCpu / offered(s)),
    s.pass ? 'pass' : `FAIL${s.attempt > 1 ? ' (again)' : ''}: ${s.why}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (r: string[]) => r.map((c, i) => c.padStart(widths[i] as number)).join('  ');
  return [`${name}`, line(head), ...rows.map(line)].join('\n');
}

interface Summary {
  clean: number;
  /** CPU-seconds per 1,000 calls at the clean rate's step. */
  cpuPer1k: number;
  /** What limited the ramp, in words. */
  limit: string;
}

function summarize(steps: readonly Step[]): Summary {
  const passing = steps.filter((s) => s.pass);
  const clean = passing.reduce((m, s) => Math.max(m, s.rate), 0);
  const at = passing.filter((s) => s.rate === clean).pop();
  const cpuPer1k = at ? (at.serverCpu / at.ok) * 1000 : Number.NaN;
  const failRate = Math.min(...steps.filter((s) => !s.pass && s.rate > clean).map((s) => s.rate));
  const attempts = steps.filter((s) => s.rate === failRate);
  let limit = 'no failing step (the ladder ended)';
  if (attempts.length > 0) {
    // the busiest attempt tells who ran out: a collapsed one spends its time waiting
    const share = (f: (s: Step) => number) => Math.max(...attempts.map((s) => f(s) / offered(s)));
    const uac = share((s) => s.uacCpu);
    const uas = share((s) => s.uasCpu);
    const srv = share((s) => s.serverCpu);
    const why = (attempts[attempts.length - 1] as Step).why;
    if (uac >= SATURATED || uas >= SATURATED)
      limit = `SIPp saturated first at ${failRate} cps (uac ${pct(uac)}, uas ${pct(uas)} of a core; server ${pct(srv)}): the clean rate is a lower bound`;
    else
      limit = `first failing rate ${failRate} cps (CPU per offered second: server ${pct(srv)}, uac ${pct(uac)}, uas ${pct(uas)}): ${why}`;
  }
  return { clean, cpuPer1k, limit };
}

/** CPU s/1k calls at `rate` (the median over that rate's passing steps). */
function cpuAt(steps: readonly Step[], rate: number): number {
  const xs = steps.filter((s) => s.pass && s.rate === rate).map((s) => (s.serverCpu / s.ok) * 1000);
  return xs.length ? (xs.sort((a, b) => a - b)[xs.length >> 1] as number) : Number.NaN;
}

// ---- main --------------------------------------------------------------------------------

function mediaReport(m: MediaResult): string {
  const cdrs = Object.entries(m.cdrs)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  return [
    `media anchored (${MEDIA_CALLS} calls at ${MEDIA_CPS}/s, held ${MEDIA_HOLD_MS / 1000} s, G.711 20 ms both ways):`,
    `  calls ${m.calls}: ${m.ok} ok, ${m.failed} failed; most up at once ${m.maxConcurrent}; ${MEDIA_CALLS} (≥ 99%) up for ${m.plateauSec.toFixed(0)} s`,
    `  on the plateau: ${m.endpoints} media endpoints, relayed ${m.relayedPps.toFixed(0)} packets/s (${m.expectedPps} expected), late ticks ${m.lateTicks}, worst tick lag ${m.maxLagMs.toFixed(1)} ms`,
    `  CPU on the plateau (cores): switch ${m.switchCores.toFixed(2)}, SIPp uac ${m.uacCores.toFixed(2)}, SIPp uas ${m.uasCores.toFixed(2)}`,
    `  CDRs: ${cdrs || 'none'}`,
    `  ${m.pass ? 'pass' : `FAIL: ${m.why}`}`,
  ].join('\n');
}

async function ramp(servers: readonly { server: Server; ramp: Ramp }[]): Promise<boolean> {
  let truncated = false;
  for (;;) {
    let any = false;
    for (const s of servers) {
      const rate = s.ramp.next();
      if (rate === undefined) continue;
      if (elapsedSec() > MAX_BENCH_SEC) {
        truncated = true;
        break;
      }
      any = true;
      let step = await runStep(s.server, join(work, 'steps'), rate, 1);
      if (DEBUG) process.stderr.write(`${s.server.name} ${rate}: ${step.pass ? 'pass' : step.why}\n`);
      if (!step.pass && s.server.alive()) {
        s.ramp.steps.push(step);
        await settle(s.server);
        step = await runStep(s.server, join(work, 'steps'), rate, 2);
        if (DEBUG) process.stderr.write(`${s.server.name} ${rate} again: ${step.pass ? 'pass' : step.why}\n`);
      }
      s.ramp.steps.push(step);
      s.ramp.record(rate, step.pass);
      if (!s.server.alive()) {
        s.ramp.done = true;
        process.stderr.write(`${s.server.name} died:\n${s.server.output().slice(-3000)}\n`);
      }
      await settle(s.server);
    }
    if (!any || truncated) return truncated;
  }
}

async function main(): Promise<void> {
  const cores = availableParallelism();
  process.stdout.write(
    `cps: ${cores} cores, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(
        ' ',
      )}; steps of ${STEP_SEC} s, calls of ${CALL_MS} ms, SIPp ${NICE !== undefined ? 'at nice -5' : 'at normal priority'}\n`,
  );
  const servers: { server: Server; ramp: Ramp }[] = [];
  let truncated = false;
  if (!MEDIA_ONLY) {
    if (!SWITCH_ONLY) servers.push({ server: await kamailioServer(), ramp: new Ramp() });
    if (!PEER_ONLY) servers.push({ server: await switchServer(), ramp: new Ramp() });
    try {
      truncated = await ramp(servers);
    } finally {
      for (const s of servers) await s.server.stop();
    }
    for (const s of servers) process.stdout.write(`\n${table(s.server.name, s.ramp.steps)}\n`);
  }
  const sums = servers.map((s) => ({ name: s.server.name, steps: s.ramp.steps, ...summarize(s.ramp.steps) }));
  process.stdout.write('\n');
  for (const s of sums)
    process.stdout.write(
      `${s.name}: clean rate ${s.clean} cps, ${s.cpuPer1k.toFixed(3)} CPU-s per 1,000 calls there; ${s.limit}\n`,
    );
  if (truncated) process.stdout.write(`(stopped after ${MAX_BENCH_SEC} s: the ramp is incomplete)\n`);

  let media: MediaResult | undefined;
  if (!PEER_ONLY && !NO_MEDIA) {
    media = await mediaRun();
    process.stdout.write(`\n${mediaReport(media)}\n`);
  }
  const mediaFields = media
    ? {
        mediaConcurrent: media.maxConcurrent,
        mediaCalls: media.calls,
        mediaFailed: media.failed,
        mediaNotCompleted: media.calls - media.ok,
        mediaPlateauSec: round(media.plateauSec),
        mediaRelayedPps: Math.round(media.relayedPps),
        mediaExpectedPps: media.expectedPps,
        mediaLateTicks: media.lateTicks,
        mediaMaxLagMs: round(media.maxLagMs),
        mediaSwitchCores: round(media.switchCores),
        mediaPass: media.pass,
      }
    : {};

  const peer = SWITCH_ONLY ? undefined : sums[0];
  const ours = SWITCH_ONLY ? sums[0] : sums[1];
  if (SWITCH_ONLY && ours) {
    printResult({
      name: 'cps-switch-only',
      value: ours.clean,
      unit: 'calls/s',
      peer: 'none (--switch-only)',
      peerValue: 0,
      ratio: 0,
      cpuSecPer1000: round(ours.cpuPer1k),
      ...mediaFields,
    });
    return;
  }
  if (!peer) {
    // --media-only
    printResult({
      name: 'cps-media',
      value: media?.maxConcurrent ?? 0,
      unit: 'concurrent calls',
      peer: 'none (media-only run)',
      peerValue: 0,
      ratio: 0,
      ...mediaFields,
    });
    return;
  }
  if (!ours) {
    printResult({
      name: 'cps-peer-only',
      value: peer.clean,
      unit: 'calls/s',
      peer: 'kamailio 5.6 tm',
      peerValue: peer.clean,
      ratio: 1,
      peerCpuSecPer1000: round(peer.cpuPer1k),
      note: 'peer only: the switch was not measured',
    });
    return;
  }
  // the highest rate both passed (the ladder's rates are common to both)
  const passed = (steps: readonly Step[]) => new Set(steps.filter((x) => x.pass).map((x) => x.rate));
  const peerPassed = passed(peer.steps);
  const common = Math.max(0, ...[...passed(ours.steps)].filter((r) => peerPassed.has(r)));
  printResult({
    name: 'cps',
    value: ours.clean,
    unit: 'calls/s',
    peer: 'kamailio 5.6 tm',
    peerValue: peer.clean,
    ratio: round(ours.clean / Math.max(1, peer.clean)),
    cpuSecPer1000: round(ours.cpuPer1k),
    peerCpuSecPer1000: round(peer.cpuPer1k),
    commonRate: common,
    cpuSecPer1000AtCommon: round(cpuAt(ours.steps, common)),
    peerCpuSecPer1000AtCommon: round(cpuAt(peer.steps, common)),
    ...(truncated ? { truncated: true } : {}),
    ...mediaFields,
  });
}

const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x);

try {
  await main();
} finally {
  await stopAll();
  if (!DEBUG) rmSync(work, { recursive: true, force: true });
}
