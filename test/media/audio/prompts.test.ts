import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPromptName, PROMPT_CATALOGUE, PROMPT_NAMES, promptFile } from '../../../src/media/audio/index.js';

const PROMPT_ROOT = resolve(__dirname, '..', '..', '..', 'assets', 'prompts');

interface WavInfo {
  format: number;
  channels: number;
  sampleRate: number;
  byteRate: number;
  blockAlign: number;
  bitsPerSample: number;
  samples: Int16Array;
}

/**
 * A minimal RIFF/WAVE reader for this test (the project's WAV reader lives
 * elsewhere): walks the chunks, checks every size against the file, returns
 * the `fmt ` fields and the `data` samples.
 */
function readWav(bytes: Buffer, name: string): WavInfo {
  const fail = (why: string): never => {
    throw new Error(`${name}: ${why}`);
  };
  if (bytes.length < 12) fail('shorter than a RIFF header');
  if (bytes.toString('latin1', 0, 4) !== 'RIFF') fail('no RIFF tag');
  if (bytes.readUInt32LE(4) !== bytes.length - 8) fail(`RIFF size ${bytes.readUInt32LE(4)} ≠ file size − 8`);
  if (bytes.toString('latin1', 8, 12) !== 'WAVE') fail('not WAVE');
  let fmt: Omit<WavInfo, 'samples'> | undefined;
  let samples: Int16Array | undefined;
  let off = 12;
  while (off < bytes.length) {
    if (off + 8 > bytes.length) fail(`truncated chunk header at ${off}`);
    const id = bytes.toString('latin1', off, off + 4);
    const size = bytes.readUInt32LE(off + 4);
    const body = off + 8;
    if (body + size > bytes.length) fail(`chunk ${id} overruns the file`);
    if (id === 'fmt ') {
      if (size < 16) fail('fmt chunk too short');
      fmt = {
        format: bytes.readUInt16LE(body),
        channels: bytes.readUInt16LE(body + 2),
        sampleRate: bytes.readUInt32LE(body + 4),
        byteRate: bytes.readUInt32LE(body + 8),
        blockAlign: bytes.readUInt16LE(body + 12),
        bitsPerSample: bytes.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!fmt) fail('data before fmt');
      if (size % 2 !== 0) fail('odd data size for 16-bit samples');
      samples = new Int16Array(size / 2);
      for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(body + 2 * i);
    }
    off = body + size + (size & 1); // chunks are padded to even sizes
  }
  if (!fmt) fail('no fmt chunk');
  if (!samples) fail('no data chunk');
  return { ...(fmt as Omit<WavInfo, 'samples'>), samples: samples as Int16Array };
}

describe('prompt catalogue', () => {
  it('has unique kebab-case names, each with text to speak', () => {
    const names = PROMPT_CATALOGUE.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(PROMPT_NAMES.size).toBe(names.length);
    for (const p of PROMPT_CATALOGUE) {
      expect(p.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(p.text.trim().length).toBeGreaterThan(0);
    }
  });

  it('lists the prompts the say helpers and the call-center features need', () => {
    const needed = [
      ...['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'],
      ...['eleven', 'twelve', 'thirteen', 'nineteen', 'twenty', 'fifty', 'ninety'],
      ...['hundred', 'thousand', 'million', 'first', 'second', 'third', 'twentieth', 'hundredth'],
      ...['minute', 'minutes', 'second', 'seconds', 'hour', 'hours', 'and', 'oh', 'o-clock', 'a-m', 'p-m'],
      ...['you-are-caller-number', 'your-estimated-wait-time-is', 'please-hold', 'thank-you-for-calling'],
      ...[
        'press',
        'for',
        'to-leave-a-callback',
        'voicemail',
        'record-after-tone',
        'goodbye',
        'invalid-option',
      ],
      ...['all-agents-busy', 'star', 'pound', 'call-may-be-recorded', 'you-are-muted', 'agent-logged-in'],
      ...['please-enter-callback-number', 'on-a-scale-of-one-to-five', 'transferring-your-call', 'you-have'],
    ];
    for (const n of needed) expect(isPromptName(n), n).toBe(true);
    expect(PROMPT_CATALOGUE.length).toBeGreaterThan(250);
    expect(isPromptName('not-a-prompt')).toBe(false);
    expect(promptFile('goodbye')).toBe('en/goodbye.wav');
  });
});

describe('rendered prompt files (assets/prompts/en)', () => {
  it('every catalogue prompt has an 8 kHz 16-bit mono PCM WAV with a valid header and sane level', () => {
    for (const p of PROMPT_CATALOGUE) {
      const wav = readWav(readFileSync(join(PROMPT_ROOT, promptFile(p.name))), p.name);
      expect(
        [wav.format, wav.channels, wav.sampleRate, wav.byteRate, wav.blockAlign, wav.bitsPerSample],
        p.name,
      ).toEqual([1, 1, 8000, 16000, 2, 16]);
      const seconds = wav.samples.length / 8000;
      expect(seconds, `${p.name} duration`).toBeGreaterThan(0.1);
      expect(seconds, `${p.name} duration`).toBeLessThan(8);
      // level: about -16 dBFS RMS (AES17), peaks below full scale
      let sum = 0;
      let peak = 0;
      for (const v of wav.samples) {
        sum += v * v;
        peak = Math.max(peak, Math.abs(v));
      }
      const rmsDbfs = 10 * Math.log10(sum / wav.samples.length / ((32767 * 32767) / 2));
      expect(Math.abs(rmsDbfs + 16), `${p.name} at ${rmsDbfs.toFixed(1)} dBFS`).toBeLessThan(2.5);
      expect(peak, p.name).toBeLessThan(32767);
      // trimmed: no long stretch of silence at either end
      const firstLoud = wav.samples.findIndex((v) => Math.abs(v) > 300);
      expect(firstLoud / 8000, `${p.name} leading silence`).toBeLessThan(0.1);
    }
  });

  it('holds no file that the catalogue does not name', () => {
    const files = readdirSync(join(PROMPT_ROOT, 'en')).filter((f) => f.endsWith('.wav'));
    const orphans = files.map((f) => f.slice(0, -4)).filter((n) => !isPromptName(n));
    expect(orphans).toEqual([]);
    expect(files).toHaveLength(PROMPT_CATALOGUE.length);
  });

  it('the reader in this test rejects broken headers (it can fail)', () => {
    const good = readFileSync(join(PROMPT_ROOT, 'en', 'goodbye.wav'));
    const truncated = good.subarray(0, good.length - 10);
    expect(() => readWav(truncated, 'truncated')).toThrow(/RIFF size/);
    const notWave = Buffer.from(good);
    notWave.write('WAVX', 8, 'latin1');
    expect(() => readWav(notWave, 'x')).toThrow(/not WAVE/);
    const overrun = Buffer.from(good);
    overrun.writeUInt32LE(good.length, 40); // the data chunk claims more bytes than exist
    expect(() => readWav(overrun, 'x')).toThrow(/overruns/);
  });
});
