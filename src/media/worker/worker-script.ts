/**
 * Finding and starting the worker script.
 *
 * - Built package (dist/): the worker is its own tsup entry,
 *   `dist/media-worker.js` (ESM) and `dist/media-worker.cjs` (CJS), next to
 *   the module that contains this code (an entry or a shared chunk, all in
 *   dist/), so it is found beside this file with this file's extension.
 * - From source (tests, `tsx` dev runs): this file is `worker-script.ts`; the
 *   worker is `worker-main.ts` beside it, and the thread first registers tsx's
 *   ESM loader (`tsx/esm/api`, a dev dependency) so that it can import
 *   TypeScript — the same way test/media/mixer/fixtures/boot.mjs does.
 * - Anything else (the library bundled into an application by esbuild or
 *   webpack): pass `workerScript` to `createMediaEngine` — the path or URL of
 *   a built `media-worker.js`.
 */
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RequestMessage, WorkerBootData, WorkerMessage } from './protocol.js';

/** What the engine needs from a worker thread (node's Worker has it; tests pass in-process fakes). */
export interface MediaWorkerHandle {
  postMessage(message: RequestMessage): void;
  on(event: 'message', listener: (message: WorkerMessage) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  terminate(): Promise<unknown>;
  readonly threadId?: number;
}

/** Starts the worker thread for slot `index`. */
export type MediaWorkerSpawner = (data: WorkerBootData) => MediaWorkerHandle;

function thisFile(): string {
  // CJS build: __filename; ESM build and source: import.meta.url
  return typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
}

/** Where the worker script is, and whether it is TypeScript (source mode). */
export function defaultWorkerScript(): { path: string; typescript: boolean } {
  const here = thisFile();
  const ext = extname(here);
  if (ext === '.ts' || ext === '.mts')
    return { path: join(dirname(here), `worker-main${ext}`), typescript: true };
  return { path: join(dirname(here), `media-worker${ext}`), typescript: false };
}

const TSX_BOOT = [
  "const { workerData } = require('node:worker_threads');",
  'import(workerData.__tsx).then(async (m) => {',
  '  (m.register ?? m.default.register)();',
  '  await import(workerData.__entry);',
  '});',
].join('\n');

/** A spawner for `script` (default: {@link defaultWorkerScript}). */
export function workerSpawner(script?: string | URL): MediaWorkerSpawner {
  if (script !== undefined) {
    const s = script instanceof URL ? script : pathToFileURL(String(script));
    const ts = /\.[mc]?ts$/.test(s.pathname);
    return ts ? tsSpawner(fileURLToPath(s)) : (data) => new Worker(s, { workerData: data });
  }
  const d = defaultWorkerScript();
  if (d.typescript) return tsSpawner(d.path);
  const url = pathToFileURL(d.path);
  return (data) => new Worker(url, { workerData: data });
}

/** The ESM build of `tsx/esm/api` (its `import` export; the `require` one cannot register ESM hooks here). */
function tsxEsmApi(): string {
  const require = createRequire(thisFile());
  const pkgPath = require.resolve('tsx/package.json');
  const pkg = require(pkgPath) as { exports?: Record<string, { import?: { default?: string } }> };
  const rel = pkg.exports?.['./esm/api']?.import?.default ?? './dist/esm/api/index.mjs';
  return join(dirname(pkgPath), rel);
}

function tsSpawner(path: string): MediaWorkerSpawner {
  const tsx = pathToFileURL(tsxEsmApi()).href;
  const entry = pathToFileURL(path).href;
  return (data) => new Worker(TSX_BOOT, { eval: true, workerData: { ...data, __tsx: tsx, __entry: entry } });
}
