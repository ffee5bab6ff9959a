/**
 * SIPp as a load generator for the benchmarks: a uac run (one bounded step: -r, -m, -l,
 * -timeout) whose own CPU time is measured (bash's `times` after SIPp exits), and a
 * long-running uas whose cumulative statistics are read between steps. Both write SIPp's
 * statistics file once a second; these helpers read its last row.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Child, startChild } from './children.js';
import { treeCpuSeconds } from './proc.js';

/** The last row of a SIPp statistics file, column name → value. */
export type SippStats = Record<string, string>;

export function readSippStats(file: string): SippStats {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  const rows = text.trim().split('\n');
  if (rows.length < 2) return {};
  const head = (rows[0] as string).split(';');
  const last = (rows[rows.length - 1] as string).split(';');
  const out: SippStats = {};
  head.forEach((h, i) => {
    if (h) out[h] = last[i] ?? '';
  });
  return out;
}

/** A counter column as a number (0 when missing). */
export function num(s: SippStats, key: string): number {
  const v = Number(s[key]);
  return Number.isFinite(v) ? v : 0;
}

/** A time column (`date\ttime\tepoch`) as epoch seconds. */
export function epoch(s: SippStats, key: string): number {
  const v = s[key];
  if (!v) return Number.NaN;
  return Number(v.split('\t').pop());
}

/** A duration column (`HH:MM:SS:uuuuuu`) in seconds. */
export function durationSec(s: SippStats, key: string): number {
  const v = s[key];
  if (!v) return Number.NaN;
  const p = v.split(':').map(Number);
  if (p.length !== 4) return Number.NaN;
  return (p[0] as number) * 3600 + (p[1] as number) * 60 + (p[2] as number) + (p[3] as number) / 1e6;
}

/** Options every SIPp process of a benchmark gets. */
export interface SippCommon {
  sipp: string;
  /** Working directory (scenario files, statistics). */
  dir: string;
  /** Local SIP port (-p). */
  port: number;
  /** Local media port (-mp): SIPp binds it and the one two above. */
  mediaPort: number;
  /** Control port (-cp), so that parallel SIPp instances do not race for 8888. */
  controlPort: number;
  /** A built-in scenario name, or an XML scenario written to `dir`. */
  scenario: string | { name: string; xml: string };
  /** Extra arguments (tuning). */
  extraArgs?: readonly string[];
  /** nice(1) value for the SIPp process (negative: higher priority; needs root). */
  nice?: number;
}

function baseArgs(o: SippCommon, statFile: string): string[] {
  const args = ['-nostdin', '-trace_stat', '-stf', statFile, '-fd', '1', '-i', '127.0.0.1'];
  args.push('-p', String(o.port), '-mp', String(o.mediaPort), '-cp', String(o.controlPort));
  if (typeof o.scenario === 'string') args.push('-sn', o.scenario);
  else {
    const file = join(o.dir, `${o.scenario.name}.xml`);
    writeFileSync(file, o.scenario.xml);
    args.push('-sf', file);
  }
  if (o.extraArgs) args.push(...o.extraArgs);
  return args;
}

export interface UacStep extends SippCommon {
  /** host:port to call. */
  remote: string;
  /** Calls per second (-r). */
  rate: number;
  /** Total calls (-m). */
  calls: number;
  /** Concurrent calls at most (-l). */
  limit: number;
  /** Hard stop in seconds (-timeout, counted as an error). */
  timeoutSec: number;
  /** A name for this step's files. */
  tag: string;
}

export interface UacResult {
  code: number | null;
  stats: SippStats;
  /** SIPp's own CPU seconds (user + system). */
  cpuSec: number;
  /** Wall-clock seconds of the SIPp process. */
  wallSec: number;
  /** stderr (SIPp's errors), trimmed. */
  errors: string;
}

/** Parses bash's `times` (two lines: the shell's, then its children's user/system times). */
function parseTimes(text: string): number {
  const lines = text
    .trim()
    .split('\n')
    .filter((l) => /\d+m[\d.]+s\s+\d+m[\d.]+s/.test(l));
  const last = lines[lines.length - 1];
  if (!last) return Number.NaN;
  let t = 0;
  for (const m of last.matchAll(/(\d+)m([\d.]+)s/g)) t += Number(m[1]) * 60 + Number(m[2]);
  return t;
}

export interface RunningUac {
  child: Child;
  /** SIPp's statistics file (a row a second). */
  statFile: string;
  /** Resolves when SIPp has exited. */
  done: Promise<UacResult>;
}

/** Runs one uac step to its end and returns SIPp's final statistics and CPU time. */
export function runUacStep(o: UacStep): Promise<UacResult> {
  return startUac(o).done;
}

/** Starts a uac run; `done` resolves with SIPp's final statistics and CPU time. */
export function startUac(o: UacStep): RunningUac {
  mkdirSync(o.dir, { recursive: true });
  const statFile = join(o.dir, `uac-${o.tag}.csv`);
  const errFile = join(o.dir, `uac-${o.tag}.err`);
  const args = [
    ...baseArgs(o, statFile),
    '-r',
    String(o.rate),
    '-rp',
    '1000',
    '-m',
    String(o.calls),
    '-l',
    String(o.limit),
    '-timeout',
    `${o.timeoutSec}s`,
    '-timeout_error',
    o.remote,
  ];
  const script = `"$0" "$@" >/dev/null 2>"${errFile}"; rc=$?; times; exit $rc`;
  const t0 = performance.now();
  const child = startChild('sipp-uac', 'bash', ['-c', script, o.sipp, ...args], {
    maxSeconds: o.timeoutSec + 15,
    cwd: o.dir,
    ...(o.nice !== undefined ? { nice: o.nice } : {}),
  });
  const done = child.exited.then((code) => {
    const wallSec = (performance.now() - t0) / 1000;
    let errors = '';
    try {
      errors = readFileSync(errFile, 'utf8').trim();
    } catch {
      // none
    }
    return { code, stats: readSippStats(statFile), cpuSec: parseTimes(child.output()), wallSec, errors };
  });
  return { child, statFile, done };
}

export interface Uas {
  child: Child;
  statFile: string;
  /** Cumulative statistics written at or after `sinceEpochSec` (waits up to 3 s for the row). */
  statsAfter(sinceEpochSec: number): Promise<SippStats>;
  /** CPU seconds used so far. */
  cpuSec(): number;
}

/** Starts a uas that answers until stopped (bounded by `maxSeconds`); resolves once it listens. */
export async function startUas(o: SippCommon & { maxSeconds: number }): Promise<Uas> {
  mkdirSync(o.dir, { recursive: true });
  const statFile = join(o.dir, `uas-${o.port}.csv`);
  const args = baseArgs(o, statFile);
  const child = startChild('sipp-uas', o.sipp, args, {
    maxSeconds: o.maxSeconds,
    cwd: o.dir,
    ...(o.nice !== undefined ? { nice: o.nice } : {}),
  });
  const end = Date.now() + 5000;
  while (!existsSync(statFile) && Date.now() < end && !child.done)
    await new Promise((r) => setTimeout(r, 50));
  if (child.done || !existsSync(statFile))
    throw new Error(`SIPp uas on port ${o.port} did not start:\n${child.output().slice(-2000)}`);
  return {
    child,
    statFile,
    async statsAfter(since) {
      const stop = Date.now() + 3000;
      for (;;) {
        const s = readSippStats(statFile);
        if (epoch(s, 'CurrentTime') >= since || Date.now() > stop) return s;
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    cpuSec: () => treeCpuSeconds(child.pid),
  };
}
