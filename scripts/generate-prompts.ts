/**
 * Renders every prompt of the English catalogue (src/media/audio/prompts.ts)
 * to assets/prompts/en/<name>.wav: 8 kHz, 16-bit, mono PCM WAV, leading and
 * trailing silence trimmed, 5 ms fades, level set to about -16 dBFS RMS
 * (AES17, full-scale sine = 0 dBFS) with a limiter keeping peaks below
 * -1 dBFS. Also writes assets/prompts/en/manifest.json (text, duration and
 * level of each prompt, and the tool versions used).
 *
 * Regenerate (needs espeak-ng and sox; on Debian/Ubuntu as root:
 * `apt-get update && apt-get install -y espeak-ng sox`):
 *
 *   npx tsx scripts/generate-prompts.ts              # every prompt
 *   npx tsx scripts/generate-prompts.ts --missing    # only prompts without a file
 *   npx tsx scripts/generate-prompts.ts please-hold goodbye   # just these
 *
 * Options: --voice en-us+f3 (espeak-ng voice), --speed 165 (words/min),
 * --level -16 (target dBFS RMS), --out assets/prompts/en.
 *
 * Output is deterministic for a given espeak-ng/sox version (no dither), so
 * regenerating without catalogue changes leaves git clean. Files are written
 * to a temporary name and renamed when complete. Names no longer in the
 * catalogue are reported, never deleted.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PROMPT_CATALOGUE } from '../src/media/audio/index.js';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
function option(name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = args[i + 1];
  args.splice(i, 2);
  if (v === undefined) throw new Error(`--${name} needs a value`);
  return v;
}
const voice = option('voice', 'en-us+f3');
const speed = option('speed', '165');
const levelDbfs = Number(option('level', '-16'));
const outDir = resolve(root, option('out', 'assets/prompts/en'));
const missingOnly = args.includes('--missing');
const only = args.filter((a) => !a.startsWith('--'));

function tool(cmd: string, versionArgs: string[]): string {
  try {
    return execFileSync(cmd, versionArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      .split('\n')[0]
      ?.trim() as string;
  } catch {
    process.stderr.write(
      `generate-prompts: ${cmd} not found. Install it: apt-get update && apt-get install -y espeak-ng sox\n`,
    );
    process.exit(2);
  }
}

const espeakVersion = tool('espeak-ng', ['--version']).replace(/\s+Data at:.*$/, '');
const soxVersion = tool('sox', ['--version']);

const unknown = only.filter((n) => !PROMPT_CATALOGUE.some((p) => p.name === n));
if (unknown.length > 0) {
  process.stderr.write(`generate-prompts: not in the catalogue: ${unknown.join(', ')}\n`);
  process.exit(2);
}

mkdirSync(outDir, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'strowger-prompts-'));

/** `sox FILE -n stat` figures we use (sox prints them on stderr). */
function soxStat(file: string): { seconds: number; rms: number; peak: number } {
  const r = spawnSync('sox', [file, '-n', 'stat'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sox stat failed for ${file}: ${r.stderr}`);
  const pick = (label: string) => {
    const m = new RegExp(`${label}:\\s+(-?[0-9.]+)`).exec(r.stderr);
    if (!m) throw new Error(`sox stat: no ${label} for ${file}`);
    return Number(m[1]);
  };
  return {
    seconds: pick('Length \\(seconds\\)'),
    rms: pick('RMS\\s+amplitude'),
    peak: pick('Maximum amplitude'),
  };
}

interface ManifestEntry {
  text: string;
  category: string;
  durationMs: number;
  rmsDbfs: number;
  peakDbfs: number;
}

const manifest: Record<string, ManifestEntry> = {};
let made = 0;
try {
  for (const p of PROMPT_CATALOGUE) {
    const target = join(outDir, `${p.name}.wav`);
    const wanted = only.length > 0 ? only.includes(p.name) : !missingOnly || !existsSync(target);
    if (wanted) {
      const raw = join(work, `${p.name}.raw.wav`);
      const trimmed = join(work, `${p.name}.trim.wav`);
      const faded = join(work, `${p.name}.fade.wav`);
      execFileSync('espeak-ng', ['-v', voice, '-s', speed, '-w', raw, p.text]);
      // to 8 kHz 16-bit mono, no dither; trim silence at both ends
      execFileSync('sox', [
        '-D',
        raw,
        '-r',
        '8000',
        '-c',
        '1',
        '-b',
        '16',
        trimmed,
        'silence',
        '1',
        '0.01',
        '0.5%',
        'reverse',
        'silence',
        '1',
        '0.01',
        '0.5%',
        'reverse',
      ]);
      execFileSync('sox', ['-D', trimmed, faded, 'fade', '0.005', '-0', '0.005']);
      // level: RMS to the target (AES17: a full-scale sine reads 0 dBFS, i.e. RMS 0.7071)
      const before = soxStat(faded);
      const rmsDbfs = 20 * Math.log10(before.rms) + 3.01;
      const gain = levelDbfs - rmsDbfs;
      const tmp = `${target}.tmp.wav`;
      execFileSync('sox', ['-D', faded, '-t', 'wav', tmp, 'gain', '-l', gain.toFixed(2)]);
      renameSync(tmp, target);
      made++;
    }
    if (existsSync(target)) {
      const s = soxStat(target);
      manifest[p.name] = {
        text: p.text,
        category: p.category,
        durationMs: Math.round(s.seconds * 1000),
        rmsDbfs: Math.round((20 * Math.log10(s.rms) + 3.01) * 10) / 10,
        peakDbfs: Math.round(20 * Math.log10(s.peak) * 10) / 10,
      };
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const orphans = readdirSync(outDir)
  .filter((f) => f.endsWith('.wav'))
  .map((f) => f.slice(0, -4))
  .filter((n) => !PROMPT_CATALOGUE.some((p) => p.name === n));
const manifestFile = join(outDir, 'manifest.json');
writeFileSync(
  `${manifestFile}.tmp`,
  `${JSON.stringify(
    {
      format: 'WAV PCM 16-bit mono 8000 Hz',
      generator: 'scripts/generate-prompts.ts',
      espeak: espeakVersion,
      sox: soxVersion,
      voice,
      speedWpm: Number(speed),
      targetRmsDbfs: levelDbfs,
      prompts: manifest,
    },
    null,
    2,
  )}\n`,
);
renameSync(`${manifestFile}.tmp`, manifestFile);
process.stdout.write(
  `generate-prompts: rendered ${made} of ${PROMPT_CATALOGUE.length} prompts into ${outDir}` +
    (orphans.length > 0 ? `; not in the catalogue (left alone): ${orphans.join(', ')}` : '') +
    '\n',
);
