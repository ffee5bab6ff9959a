/**
 * Where the repository is. Benchmarks run as esbuild bundles from
 * node_modules/.cache/strowger-bench (see bench/run.ts), so `import.meta.dirname`
 * is not bench/: the runner passes the repository root in STROWGER_ROOT, and a
 * benchmark started some other way finds it by walking up.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRoot(): string {
  const fromEnv = process.env.STROWGER_ROOT;
  if (fromEnv && existsSync(join(fromEnv, 'package.json'))) return fromEnv;
  let dir = import.meta.dirname ?? process.cwd();
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bench'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

/** The repository root. */
export const ROOT = findRoot();
/** bench/ in the repository (C sources, peer configs). */
export const BENCH_DIR = join(ROOT, 'bench');
