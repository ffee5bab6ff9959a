/**
 * Runs SIPp against something on loopback, bounded in calls and time, and
 * reads its final statistics. Scenarios are SIPp's built-in ones (`-sn uac`,
 * `-sn uas` …) or XML given inline.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTool } from './tools.js';

export interface SippRun {
  /** Built-in scenario name (`uac`, `uas`, `regexp` …) or inline XML. */
  scenario: string | { xml: string };
  /** Target host:port (omit for a pure server such as `uas`). */
  remote?: string;
  transport?: 'u1' | 'un' | 't1' | 'tn' | 'l1';
  localPort?: number;
  /** Total calls (-m). */
  calls: number;
  /** Calls per second (-r). */
  rate?: number;
  /** Concurrent call limit (-l). */
  limit?: number;
  /** Hard stop in seconds (-timeout, with -timeout_error). */
  timeoutSec: number;
  extraArgs?: string[];
}

export interface SippResult {
  code: number | null;
  successful: number;
  failed: number;
  retransmissions: number;
  stdout: string;
  stderr: string;
  /** All columns of the last statistics line. */
  stats: Record<string, string>;
}

/** Starts SIPp; resolves when it exits (or is killed at timeoutSec + 10 s). */
export function runSipp(run: SippRun): Promise<SippResult> {
  const sipp = ensureTool('sipp', 'sip-tester');
  const dir = mkdtempSync(join(tmpdir(), 'strowger-sipp-'));
  const statFile = join(dir, 'stats.csv');
  const args = [
    '-nostdin',
    '-m',
    String(run.calls),
    '-timeout',
    `${run.timeoutSec}s`,
    '-timeout_error',
    '-trace_stat',
    '-stf',
    statFile,
    '-fd',
    '1',
  ];
  if (typeof run.scenario === 'string') args.push('-sn', run.scenario);
  else {
    const file = join(dir, 'scenario.xml');
    writeFileSync(file, run.scenario.xml);
    args.push('-sf', file);
  }
  args.push('-i', '127.0.0.1');
  if (run.transport) args.push('-t', run.transport);
  if (run.localPort !== undefined) args.push('-p', String(run.localPort));
  if (run.rate !== undefined) args.push('-r', String(run.rate));
  if (run.limit !== undefined) args.push('-l', String(run.limit));
  if (run.extraArgs) args.push(...run.extraArgs);
  if (run.remote) args.push(run.remote);
  return new Promise((resolve, reject) => {
    const child = spawn(sipp, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), (run.timeoutSec + 10) * 1000);
    child.on('error', (err) => {
      clearTimeout(killer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(killer);
      const stats = lastStats(statFile);
      rmSync(dir, { recursive: true, force: true });
      resolve({
        code,
        successful: Number(stats['SuccessfulCall(C)'] ?? 0),
        failed: Number(stats['FailedCall(C)'] ?? 0),
        retransmissions: Number(stats['Retransmissions(C)'] ?? 0),
        stdout,
        stderr,
        stats,
      });
    });
  });
}

function lastStats(file: string): Record<string, string> {
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
  const out: Record<string, string> = {};
  head.forEach((h, i) => {
    if (h) out[h] = last[i] ?? '';
  });
  return out;
}
