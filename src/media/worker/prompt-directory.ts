/**
 * Where the prompt files are: `assets/prompts` of the package, found by
 * walking up from this module (src/media/worker in the repository, dist/ in
 * the built package). An application that moved or bundled the files passes
 * `promptDirectory` to `createMediaEngine`.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function thisFile(): string {
  // CJS build: __filename; ESM build and source: import.meta.url
  return typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
}

/** `<package>/assets/prompts`, or undefined when it cannot be found. */
export function defaultPromptDirectory(): string | undefined {
  let dir = dirname(thisFile());
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'assets', 'prompts');
    if (existsSync(join(candidate, 'en'))) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}
