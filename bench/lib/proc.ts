/**
 * CPU time of a process tree from /proc (Linux): utime + stime of every live process
 * under a root pid, plus cutime + cstime (children already reaped by them). Used by the
 * benchmarks that measure servers run as child processes (Kamailio forks its workers; a
 * switch launched with node has its worker threads inside one process).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticks: number | undefined;

/** Clock ticks per second of /proc's times (CLK_TCK, nearly always 100). */
export function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime, in ticks. */
  ticks: number;
}

/** Fields of /proc/PID/stat after the command name, which may itself hold spaces and parentheses. */
function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone
  }
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // after ") ": state(3) ppid(4) … utime(14) stime(15) cutime(16) cstime(17)
  const f = text.slice(close + 2).split(' ');
  const n = (i: number) => Number(f[i - 3] ?? 0);
  return { pid, ppid: n(4), ticks: n(14) + n(15) + n(16) + n(17) };
}

function allStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const s = readStat(pid);
    if (s) out.push(s);
  }
  return out;
}

/** CPU seconds (user + system, every thread, reaped children included) used so far by one process; 0 once it is gone. */
export function processCpuSeconds(pid: number): number {
  return (readStat(pid)?.ticks ?? 0) / clockTicks();
}

/** The pids of `root` and all its live descendants. */
export function processTree(root: number): number[] {
  const stats = allStats();
  const kids = new Map<number, number[]>();
  for (const s of stats) {
    const list = kids.get(s.ppid);
    if (list) list.push(s.pid);
    else kids.set(s.ppid, [s.pid]);
  }
  if (!stats.some((s) => s.pid === root)) return [];
  const out: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const p = todo.pop() as number;
    out.push(p);
    for (const k of kids.get(p) ?? []) todo.push(k);
  }
  return out;
}

/** CPU seconds (user + system) used so far by `root` and its descendants. */
export function treeCpuSeconds(root: number): number {
  const stats = allStats();
  const byPid = new Map(stats.map((s) => [s.pid, s]));
  const kids = new Map<number, number[]>();
  for (const s of stats) {
    const list = kids.get(s.ppid);
    if (list) list.push(s.pid);
    else kids.set(s.ppid, [s.pid]);
  }
  let t = 0;
  const todo = byPid.has(root) ? [root] : [];
  while (todo.length > 0) {
    const p = todo.pop() as number;
    t += byPid.get(p)?.ticks ?? 0;
    for (const k of kids.get(p) ?? []) todo.push(k);
  }
  return t / clockTicks();
}
