/**
 * The switch as a child process for bench/cps: bundles bench/lib/switch-launcher.ts (and
 * the media worker) with esbuild as the package is bundled, writes a configuration that
 * routes every call from the SIPp uac (a trunk, known by its address) to the SIPp uas (a
 * trunk), with CDRs in SQLite in a temporary directory, starts node on it and reads the
 * stats the launcher writes. Its CPU time is the /proc time of that node process (all its
 * threads: main, libuv pool, media workers).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createStorage } from '../../src/switch/index.js';
import { buildMediaWorker, bundle } from './build.js';
import { type Child, startChild } from './children.js';
import { ROOT } from './paths.js';
import { treeCpuSeconds } from './proc.js';
import type { LauncherSpec, LauncherStats } from './switch-stats.js';

export interface SwitchProcessOptions {
  /** UDP port the switch listens on. */
  port: number;
  /** The SIPp uac's SIP port (its calls are the `uac` trunk's). */
  uacPort: number;
  /** The SIPp uas's SIP port (the `uas` trunk every call goes to). */
  uasPort: number;
  signallingOnly: boolean;
  /** RTP port range when media is anchored. */
  rtpPorts?: { min: number; max: number };
  dir: string;
  maxSeconds: number;
  logLevel?: string;
}

export interface SwitchProcess {
  child: Child;
  dbFile: string;
  cpuSec(): number;
  stats(): LauncherStats | undefined;
  stop(): Promise<void>;
  /** CDRs in the database by disposition (read after stop()). */
  cdrCounts(): Promise<Record<string, number>>;
}

export async function startSwitch(o: SwitchProcessOptions): Promise<SwitchProcess> {
  const launcher = bundle(join(ROOT, 'bench', 'lib', 'switch-launcher.ts'), 'switch-launcher.mjs');
  const workerScript = o.signallingOnly ? undefined : buildMediaWorker();
  mkdirSync(o.dir, { recursive: true });
  const dataDir = join(o.dir, 'data');
  const config = {
    sip: {
      domain: '127.0.0.1',
      transports: [{ type: 'udp', address: '127.0.0.1', port: o.port }],
    },
    media: {
      address: '127.0.0.1',
      rtpPorts: o.rtpPorts ?? { min: 40000, max: 40999 },
      codecs: ['PCMU', 'PCMA'],
    },
    trunks: [
      { name: 'uac', registrar: `sip:127.0.0.1:${o.uacPort}`, register: false },
      { name: 'uas', registrar: `sip:127.0.0.1:${o.uasPort}`, register: false },
    ],
    routes: [{ name: 'everything to the uas', prefix: '5', trunk: 'uas', from: 'trunks' }],
    // BENCH_STORAGE=memory: CDRs in memory (how much the disk costs)
    storage: process.env.BENCH_STORAGE === 'memory' ? { driver: 'memory' } : { driver: 'sqlite', dataDir },
    logging: { level: o.logLevel ?? 'warn' },
  };
  const configFile = join(o.dir, 'switch.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const statsFile = join(o.dir, 'stats.json');
  const spec: LauncherSpec = {
    config: configFile,
    signallingOnly: o.signallingOnly,
    ...(workerScript ? { workerScript } : {}),
    statsFile,
    statsEveryMs: 500,
  };
  const specFile = join(o.dir, 'spec.json');
  writeFileSync(specFile, JSON.stringify(spec));
  // BENCH_PROFILE=DIR: a V8 CPU profile of the switch process is written to DIR at its end
  const profile = process.env.BENCH_PROFILE;
  // the V8 flag bin/strowger.mjs runs the switch with (its shebang)
  const nodeArgs = [
    '--max-semi-space-size=64',
    ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []),
  ];
  // BENCH_NODE_ARGS='--heap-prof --heap-prof-dir=/tmp/h': more node flags for the switch process
  if (process.env.BENCH_NODE_ARGS) nodeArgs.push(...process.env.BENCH_NODE_ARGS.split(' ').filter(Boolean));
  const child = startChild('switch', process.execPath, [...nodeArgs, launcher, specFile], {
    maxSeconds: o.maxSeconds,
    cwd: o.dir,
  });
  const end = Date.now() + 20_000;
  while (!child.output().includes('READY ') && !child.done && Date.now() < end)
    await new Promise((r) => setTimeout(r, 50));
  if (!child.output().includes('READY ')) {
    await child.stop();
    throw new Error(`the switch did not start:\n${child.output().slice(-3000)}`);
  }
  const stats = (): LauncherStats | undefined => {
    try {
      return JSON.parse(readFileSync(statsFile, 'utf8')) as LauncherStats;
    } catch {
      return undefined;
    }
  };
  const dbFile = join(dataDir, 'strowger.db');
  return {
    child,
    dbFile,
    cpuSec: () => treeCpuSeconds(child.pid),
    stats,
    stop: () => child.stop(15_000),
    async cdrCounts() {
      if (!existsSync(dbFile)) return {};
      const storage = await createStorage({ driver: 'sqlite', dataDir });
      const out: Record<string, number> = {};
      try {
        let cursor: string | undefined;
        for (let page = 0; page < 10_000; page++) {
          const r = await storage.cdrs.query({ limit: 1000, ...(cursor ? { cursor } : {}) });
          for (const c of r.items) out[c.disposition] = (out[c.disposition] ?? 0) + 1;
          if (!r.nextCursor) break;
          cursor = r.nextCursor;
        }
      } finally {
        await storage.close();
      }
      return out;
    },
  };
}
