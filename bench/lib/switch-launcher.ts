/**
 * Runs the switch in a process of its own for bench/cps, so that its CPU time can be read
 * from /proc like Kamailio's. bench/cps bundles this file with esbuild (as the package is
 * bundled) and starts it with node:
 *
 *   node switch-launcher.mjs SPEC.json
 *
 * SPEC ({@link LauncherSpec}): the switch's configuration file (YAML or JSON), whether it
 * runs signalling-only, the bundled media worker script, where to write stats and how often. It prints `READY {"port":N}` once SIP listens,
 * writes `statsFile` (JSON, replaced atomically) every `statsEveryMs`: calls in progress,
 * calls ended, answered, CDRs written, errors, and the media engine's worker figures; on
 * SIGTERM it closes the switch (every call ended, storage closed), writes the stats a last
 * time and exits 0.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createSwitch } from '../../src/api/index.js';
import type { LauncherSpec, LauncherStats } from './switch-stats.js';

const spec = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as LauncherSpec;
const sw = await createSwitch(spec.config, {
  signallingOnly: spec.signallingOnly,
  ...(spec.workerScript ? { engine: { workerScript: spec.workerScript } } : {}),
});
const stats: LauncherStats = {
  at: 0,
  active: 0,
  ended: 0,
  answered: 0,
  cdrs: 0,
  errors: 0,
  lastError: null,
  engine: null,
  rssMb: 0,
};
sw.on('ended', (_call, info) => {
  stats.ended++;
  if (info.disposition === 'answered') stats.answered++;
  if (info.cdr) stats.cdrs++;
});
sw.on('error', (err) => {
  stats.errors++;
  stats.lastError = String(err.message ?? err);
});

// garbage-collection pauses of this thread (the SIP thread): the longest and the count over 50 ms
const { PerformanceObserver } = await import('node:perf_hooks');
let gcMaxMs = 0;
let gcLong = 0;
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMs += e.duration;
    if (e.duration > gcMaxMs) gcMaxMs = e.duration;
    if (e.duration > 50) gcLong++;
  }
}).observe({ entryTypes: ['gc'] });

async function dump(): Promise<void> {
  stats.gc = { maxPauseMs: Math.round(gcMaxMs), over50ms: gcLong, totalMs: Math.round(gcMs) };
  gcMaxMs = 0;
  snapshotIfDue();
  stats.at = Date.now();
  stats.active = sw.calls.size;
  const mem = process.memoryUsage();
  stats.rssMb = Math.round(mem.rss / 1048576);
  stats.heapUsedMb = Math.round(mem.heapUsed / 1048576);
  stats.heapPeakMb = Math.max(stats.heapPeakMb ?? 0, stats.heapUsedMb);
  stats.activeStarts = [];
  for (const c of sw.calls) {
    if (stats.activeStarts.length >= 5000) break;
    stats.activeStarts.push(c.startedAt);
  }
  // calls up for more than 30 s (the benchmark's calls last 100 ms, or a minute with media)
  const now = Date.now();
  stats.oldCalls = [...sw.calls]
    .filter((c) => now - c.startedAt > (spec.oldCallMs ?? 30_000))
    .slice(0, 20)
    .map((c) => ({
      id: c.id,
      state: c.state,
      ageMs: now - c.startedAt,
      legs: c.legs.map((l) => `${l.role}:${l.state}${l.closed ? ' (closed)' : ''}`),
      callIds: c.legs.map((l) => l.session.request.callId),
    }));
  if (sw.engine) {
    const ws = await sw.engine.workerStats().catch(() => []);
    stats.engine = {
      workers: ws.length,
      endpoints: ws.reduce((a, w) => a + w.endpoints, 0),
      sessions: ws.reduce((a, w) => a + w.sessions, 0),
      relayedPackets: ws.reduce((a, w) => a + w.relayedPackets, 0),
      lateTicks: ws.reduce((a, w) => a + w.lateTicks, 0),
      maxLagMs: ws.reduce((a, w) => Math.max(a, w.maxLagMs), 0),
    };
  }
  const tmp = `${spec.statsFile}.tmp`;
  writeFileSync(tmp, JSON.stringify(stats));
  renameSync(tmp, spec.statsFile);
}

let busy = false;
const timer = setInterval(() => {
  if (busy) return;
  busy = true;
  void dump().finally(() => {
    busy = false;
  });
}, spec.statsEveryMs);

// BENCH_ALLOC_PROF=FILE: a sampling allocation profile (garbage included) of the whole run;
// with BENCH_ALLOC_LIVE=1, only what is still alive at the end (what holds memory)
const allocProfile = process.env.BENCH_ALLOC_PROF;
const withGarbage = process.env.BENCH_ALLOC_LIVE !== '1';
let inspector: import('node:inspector').Session | undefined;
if (allocProfile) {
  const { Session } = await import('node:inspector');
  inspector = new Session();
  inspector.connect();
  inspector.post('HeapProfiler.startSampling', {
    samplingInterval: 16_384,
    includeObjectsCollectedByMajorGC: withGarbage,
    includeObjectsCollectedByMinorGC: withGarbage,
  });
}
const stopAllocProfile = () =>
  new Promise<void>((resolve) => {
    if (!inspector || !allocProfile) return resolve();
    inspector.post('HeapProfiler.stopSampling', (err, res) => {
      if (!err) writeFileSync(allocProfile, JSON.stringify(res.profile));
      resolve();
    });
  });

// BENCH_SNAPSHOT=FILE@N: a heap snapshot once N calls have ended and at most 2 are up (what
// retains memory after the calls, and through what)
const { writeHeapSnapshot } = await import('node:v8');
let snapshotTaken = false;
const snapshotIfDue = () => {
  const [file, n] = (process.env.BENCH_SNAPSHOT ?? '').split('@');
  if (!file || snapshotTaken || stats.ended < Number(n) || sw.calls.size > 2) return;
  snapshotTaken = true;
  writeHeapSnapshot(file);
};

let closing = false;
process.on('SIGTERM', () => {
  if (closing) return;
  closing = true;
  clearInterval(timer);
  void stopAllocProfile()
    .then(() => sw.close())
    .then(async () => {
      stats.active = 0;
      stats.engine = null;
      const tmp = `${spec.statsFile}.tmp`;
      writeFileSync(tmp, JSON.stringify({ ...stats, at: Date.now(), closed: true }));
      renameSync(tmp, spec.statsFile);
      process.exit(0);
    })
    .catch((err: unknown) => {
      process.stderr.write(`switch close failed: ${String(err)}\n`);
      process.exit(1);
    });
});

await dump();
const udp = sw.addresses.find((a) => a.protocol === 'UDP');
process.stdout.write(`READY ${JSON.stringify({ port: udp?.port ?? 0 })}\n`);
