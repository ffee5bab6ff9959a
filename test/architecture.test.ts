/**
 * Enforces the layer table of ARCHITECTURE.md: a module may import from its own
 * unit, or from the public `index.ts` of a unit on a strictly lower layer.
 * Imports that go upward or sideways, and deep imports into another unit's
 * files, fail this test. Entry points (the package's public barrels) may
 * re-export any unit they publish.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '..', 'src');

/** unit path (relative to src) → layer number, as in ARCHITECTURE.md. */
const LAYERS: Record<string, number> = {
  core: 0,
  'sip/message': 1,
  sdp: 1,
  rtp: 1,
  'sip/parser': 2,
  'media/codecs': 2,
  'media/jitter': 2,
  'media/mixer': 2,
  'media/audio': 2,
  acd: 2,
  'sip/transport': 3,
  'media/worker': 3,
  'sip/transaction': 4,
  'sip/dialog': 5,
  'sip/ua': 6,
  switch: 7,
  api: 8,
};

/** Public barrels: file → the units (prefixes) it may re-export. */
const ENTRY_POINTS: Record<string, string[]> = {
  'index.ts': [...Object.keys(LAYERS)],
  'sip/index.ts': ['core', 'sip/'],
  'media/index.ts': ['core', 'media/'],
  'testing/index.ts': Object.keys(LAYERS),
};

/** Node built-ins that only some units may touch (the I/O edges). */
const RESTRICTED_BUILTINS: Record<string, string[]> = {
  'node:dgram': ['sip/transport', 'media/worker', 'testing'],
  'node:net': ['sip/transport', 'media/worker', 'api', 'testing'],
  'node:tls': ['sip/transport', 'api', 'testing'],
  // media workers, the SQLite storage's CDR writer thread and the UDP transport's I/O
  // thread (docs/architecture.md, Threads)
  'node:worker_threads': ['media/worker', 'switch/storage', 'sip/transport', 'testing'],
};

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (/\.(ts|mts|cts)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function unitOf(relPath: string): string | undefined {
  let best: string | undefined;
  for (const u of Object.keys(LAYERS)) {
    if (relPath === u || relPath.startsWith(`${u}/`)) {
      if (!best || u.length > best.length) best = u;
    }
  }
  return best;
}

const IMPORT_RE =
  /(?:import|export)\s+(?:type\s+)?(?:[^'"`;]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(source: string): string[] {
  const stripped = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  for (const m of stripped.matchAll(IMPORT_RE)) out.push((m[1] ?? m[2]) as string);
  return out;
}

/** Returns the violations of one file's imports. Exported for the self-test below. */
function checkFile(rel: string, specifiers: string[]): string[] {
  const problems: string[] = [];
  const entry = ENTRY_POINTS[rel];
  const unit = unitOf(rel);
  if (!entry && !unit) problems.push(`${rel}: file is in no unit of the layer table`);
  for (const spec of specifiers) {
    if (spec.startsWith('node:') || !spec.startsWith('.')) {
      const allowed = RESTRICTED_BUILTINS[spec];
      if (allowed && !allowed.some((u) => rel.startsWith(`${u}/`) || unit === u)) {
        problems.push(`${rel}: imports ${spec}, reserved for ${allowed.join(', ')}`);
      }
      continue;
    }
    const target = relative(SRC, resolve(SRC, dirname(rel), spec)).replace(/\.(js|ts)$/, '');
    if (target.startsWith('..')) {
      problems.push(`${rel}: imports ${spec} from outside src`);
      continue;
    }
    if (entry) {
      if (!entry.some((p) => target === p || target.startsWith(p.endsWith('/') ? p : `${p}/`))) {
        problems.push(`${rel}: entry point may not re-export ${target}`);
      }
      continue;
    }
    const tUnit = unitOf(target);
    if (!tUnit) {
      problems.push(`${rel}: imports ${target}, which is in no unit (barrels are for users, not for src)`);
      continue;
    }
    if (tUnit === unit) continue;
    const from = LAYERS[unit as string] as number;
    const to = LAYERS[tUnit] as number;
    if (to >= from) {
      problems.push(
        `${rel}: ${unit} (L${from}) imports ${tUnit} (L${to}) — ${to === from ? 'sideways' : 'upward'}`,
      );
    } else if (target !== `${tUnit}/index`) {
      problems.push(`${rel}: deep import ${target}; import ${tUnit}/index.js instead`);
    }
  }
  return problems;
}

describe('architecture', () => {
  it('every import in src follows the layer table of ARCHITECTURE.md', () => {
    const problems: string[] = [];
    for (const file of walk(SRC)) {
      const rel = relative(SRC, file).split('\\').join('/');
      problems.push(...checkFile(rel, importsOf(readFileSync(file, 'utf8'))));
    }
    expect(problems).toEqual([]);
  });

  it('catches upward, sideways and deep imports (the checker can fail)', () => {
    expect(checkFile('core/clock.ts', ['../sip/message/index.js'])).toHaveLength(1);
    expect(checkFile('sdp/parse.ts', ['../sip/message/index.js'])[0]).toMatch(/sideways/);
    expect(checkFile('sip/parser/parse.ts', ['../message/uri.js'])[0]).toMatch(/deep import/);
    expect(checkFile('sip/parser/parse.ts', ['../message/index.js', '../../core/index.js'])).toEqual([]);
    expect(checkFile('sip/message/x.ts', ['node:dgram'])[0]).toMatch(/reserved/);
    expect(checkFile('acd/x.ts', ['../index.js'])[0]).toMatch(/no unit/);
  });

  it('finds imports, re-exports and dynamic imports', () => {
    const src = [
      "import { a } from './a.js';",
      "import type { B } from '../b/index.js';",
      "export { c } from './c.js';",
      "export * from './d.js';",
      "const e = await import('./e.js');",
      "// import { x } from './commented.js';",
    ].join('\n');
    expect(importsOf(src)).toEqual(['./a.js', '../b/index.js', './c.js', './d.js', './e.js']);
  });
});
