/**
 * What the benchmarks build before they run: esbuild bundles (the media worker script,
 * launchers) and the native load generator, all in one cache directory under
 * node_modules; and whether the load generator may run at a raised priority.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { ROOT } from './paths.js';

/** Where bundles, binaries and scratch files of the benchmarks go. */
export const CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'strowger-bench');
mkdirSync(CACHE_DIR, { recursive: true });

/** Bundles `entry` (dependencies external, as the package is bundled) to CACHE_DIR/`name`. */
export function bundle(entry: string, name: string): string {
  const outfile = join(CACHE_DIR, name);
  buildSync({
    entryPoints: [entry],
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

/** The media worker thread's script, bundled. */
export function buildMediaWorker(): string {
  return bundle(join(ROOT, 'src', 'media', 'worker', 'worker-main.ts'), 'media-worker.mjs');
}

/** bench/native/rtp-load.c built with cc, or undefined without a C compiler. */
export function buildRtpLoad(): string | undefined {
  const exe = join(CACHE_DIR, 'rtp-load');
  try {
    execFileSync('cc', ['-O2', '-o', exe, join(ROOT, 'bench', 'native', 'rtp-load.c'), '-lpthread'], {
      stdio: 'ignore',
    });
    return exe;
  } catch {
    return undefined;
  }
}

/**
 * A C reference relay of bench/rtp-relay (bench/native/relay-plain.c or relay-batched.c,
 * both including relay-common.h beside them) built with cc, or undefined without a C
 * compiler. Compiled on every call (no cache), so an edit of the header is always picked up.
 */
export function buildReferenceRelay(name: 'relay-plain' | 'relay-batched'): string | undefined {
  const exe = join(CACHE_DIR, name);
  try {
    execFileSync('cc', ['-O2', '-o', exe, join(ROOT, 'bench', 'native', `${name}.c`), '-lpthread'], {
      stdio: 'ignore',
    });
    return exe;
  } catch {
    return undefined;
  }
}

/**
 * Whether the load generator may run at a raised priority (nice -5): on a shared machine
 * it must not be the part that falls behind. The servers under test keep the default.
 */
export const NICE = (() => {
  try {
    execFileSync('nice', ['-n', '-5', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
