/**
 * Servers that a benchmark runs as child processes, and their certain end. Each is started
 * under coreutils `timeout` (so it dies by itself after `maxSeconds` even if this process is
 * killed with SIGKILL) in a process group of its own; `stop()` sends SIGTERM to the group,
 * then SIGKILL; and every child still running is killed when this process exits, throws or
 * gets SIGINT/SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  /** The pid of the `timeout` wrapper: the root of the server's process tree. */
  readonly pid: number;
  /** Everything it wrote to stderr and stdout (the last 64 KiB). */
  output(): string;
  readonly exited: Promise<number | null>;
  /** True once the process has exited. */
  readonly done: boolean;
  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves on exit. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<Child>();
let hooked = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const c of live) killGroup(c.pid, 'SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const c of live) killGroup(c.pid, 'SIGKILL');
      process.exit(130);
    });
  }
}

export interface StartOptions {
  /** Hard limit: the process is sent SIGTERM after this many seconds, SIGKILL 5 s later. */
  maxSeconds: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Raise (negative) or lower the priority with nice(1). */
  nice?: number;
}

/** Starts `cmd args` under `timeout` in its own process group. */
export function startChild(name: string, cmd: string, args: readonly string[], opts: StartOptions): Child {
  hook();
  const pre = opts.nice !== undefined && opts.nice !== 0 ? ['nice', '-n', String(opts.nice)] : [];
  const argv = [...pre, cmd, ...args];
  const proc = spawn('timeout', ['-k', '5', String(Math.ceil(opts.maxSeconds)), ...argv], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (proc.pid === undefined) throw new Error(`cannot start ${cmd}`);
  let out = '';
  const take = (d: Buffer) => {
    out += d.toString('utf8');
    if (out.length > 65536) out = out.slice(-65536);
  };
  proc.stdout?.on('data', take);
  proc.stderr?.on('data', take);
  let done = false;
  const exited = new Promise<number | null>((resolve) => {
    proc.on('close', (code) => {
      done = true;
      live.delete(child);
      resolve(code);
    });
    proc.on('error', (err) => {
      out += `\n${String(err)}`;
      done = true;
      live.delete(child);
      resolve(null);
    });
  });
  const pid = proc.pid;
  const child: Child = {
    name,
    proc,
    pid,
    output: () => out,
    exited,
    get done() {
      return done;
    },
    async stop(graceMs = 3000) {
      if (done) return;
      killGroup(pid, 'SIGTERM');
      const t = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
      killGroup(pid, 'SIGKILL'); // anything of the group left behind
    },
  };
  live.add(child);
  return child;
}

/** Stops every child still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop()));
}
