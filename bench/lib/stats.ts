/** Helpers shared by the benchmarks: medians over repeated runs and the RESULT line. */

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i] as number;
}

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  peer: string;
  peerValue: number;
  ratio: number;
  [extra: string]: unknown;
}

export function printResult(r: BenchResult): void {
  process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
}

/** CPU time (user + system) of this process in milliseconds: on a shared, noisy machine it
 * counts the time we actually ran, not the time we waited for a core. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Runs `fn(n)` (which performs `n` operations) until about `ms` milliseconds of
 * CPU time have passed and returns operations per CPU-second.
 */
export function opsPerSecond(fn: (n: number) => void, ms = 300): number {
  let n = 1000;
  for (;;) {
    const t0 = cpuMs();
    fn(n);
    const dt = cpuMs() - t0;
    if (dt >= ms) return (n / dt) * 1000;
    n = Math.ceil(n * Math.min(10, Math.max(2, (ms * 1.2) / Math.max(dt, 1))));
  }
}

/**
 * Measures `a` and `b` alternately `rounds` times (interleaving cancels slow
 * drift from a noisy neighbour) and returns the median rate of each.
 */
export function compareRates(
  a: (n: number) => void,
  b: (n: number) => void,
  rounds = 7,
  ms = 250,
): { a: number; b: number; ratio: number } {
  const ra: number[] = [];
  const rb: number[] = [];
  opsPerSecond(a, 100);
  opsPerSecond(b, 100);
  for (let i = 0; i < rounds; i++) {
    ra.push(opsPerSecond(a, ms));
    rb.push(opsPerSecond(b, ms));
  }
  const ma = median(ra);
  const mb = median(rb);
  return { a: ma, b: mb, ratio: ma / mb };
}
