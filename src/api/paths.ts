/**
 * Files that ship with the package — the demo configuration and the prompt catalogue —
 * found from this module in a checkout (src/api → ../../) or a build (dist → ../).
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findUp(...parts: string[]): string | undefined {
  let here: string;
  try {
    here = dirname(fileURLToPath(import.meta.url));
  } catch {
    return undefined; // the CommonJS build has no import.meta; the bin runs the ESM one
  }
  for (const up of ['..', '../..']) {
    const p = resolve(here, up, ...parts);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** examples/switch/demo.yaml of the package, when present. */
export function findDemoConfig(): string | undefined {
  return findUp('examples', 'switch', 'demo.yaml');
}

/** assets/prompts of the package (the catalogue's WAV files), when present. */
export function findPromptDir(): string | undefined {
  return findUp('assets', 'prompts');
}
