/**
 * `npm run bench` runs every benchmark in bench/ one after another, each in its
 * own process; `npm run bench -- NAME [NAME…]` runs bench/NAME.ts only. Each
 * benchmark prints its figures beside a peer measured in the same run and ends
 * with one `RESULT {...}` line; this runner collects those lines at the end.
 *
 * Each benchmark is bundled with esbuild first (as tsup bundles the package)
 * and run by plain node, so the code measured is the code as shipped, not the
 * code as rewritten by a TypeScript loader. Packages stay external: peers
 * from node_modules load as they are.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

const dir = import.meta.dirname;
const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .sort();
const chosen = names.length > 0 ? names : all;
const results: string[] = [];
let failed = 0;
for (const name of chosen) {
  const file = join(dir, `${name}.ts`);
  if (!existsSync(file)) {
    process.stderr.write(`bench: no benchmark named ${name} (have: ${all.join(', ')})\n`);
    failed++;
    continue;
  }
  process.stdout.write(`\n=== bench/${name}\n`);
  const outDir = join(dir, '..', 'node_modules', '.cache', 'strowger-bench');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `${name}.mjs`);
  buildSync({
    entryPoints: [file],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'error',
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  });
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', outfile, ...process.argv.slice(2).filter((a) => a.startsWith('-'))],
    {
      stdio: ['inherit', 'pipe', 'inherit'],
      // the bundle runs from node_modules/.cache, which may be a symlink to another checkout's
      env: { ...process.env, STROWGER_ROOT: process.env.STROWGER_ROOT ?? join(dir, '..') },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  process.stdout.write(r.stdout ?? '');
  for (const line of (r.stdout ?? '').split('\n')) if (line.startsWith('RESULT ')) results.push(line);
  if (r.status !== 0) {
    process.stderr.write(`bench/${name} exited with ${r.status}\n`);
    failed++;
  }
}
process.stdout.write(`\n=== summary\n${results.join('\n')}\n`);
process.exit(failed > 0 ? 1 : 0);
