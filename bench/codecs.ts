/**
 * Codec costs in µs per 20 ms frame, each beside a peer measured in the same run:
 * - G.711 (table-driven) against a naive per-sample segment-search implementation
 *   (the textbook formulation, no tables), and the 14/13-bit encode table against a
 *   full 64 K-entry table;
 * - Opus (WASM libopus via opusscript/opus-decoder) against native libopus: the C
 *   program bench/native/opus-bench.c, built with `cc … -lopus` (Debian libopus-dev)
 *   when a compiler and the headers are there, encodes/decodes the same PCM with the
 *   same settings and times opus_encode/opus_decode in-process. Without it, Debian's
 *   opus-tools (`opusenc`/`opusdec`) serve, timed as (60 s file − 0.2 s file) / frames
 *   (they also do file I/O, Ogg framing and opusdec's dithering, so that figure flatters
 *   WASM); without either, the WASM figures stand alone;
 * - the resampler (8 → 48 kHz) against zero-stuffing + the full FIR (what polyphase saves);
 * - L16, the other resampler pairs and the DTMF detector alone (their own figures).
 * Ends with one RESULT line: Opus 48 kHz encode µs/frame vs native libopus.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  alawToLinear,
  createCodec,
  createCodecSync,
  DtmfDetector,
  encodeWav,
  linearToAlaw,
  linearToUlaw,
  Resampler,
  ulawToLinear,
} from '../src/media/codecs/index.js';
import { speechLike } from '../test/media/codecs/signals.js';
import { BENCH_DIR } from './lib/paths.js';
import { compareRates, median, opsPerSecond, printResult } from './lib/stats.js';

const ROUNDS = 5;
const MS = 150;
const us = (opsPerSec: number) => 1e6 / opsPerSec;
const fmt = (x: number) => (x < 10 ? x.toFixed(3) : x < 100 ? x.toFixed(2) : x.toFixed(1));

function alone(fn: (n: number) => void): number {
  opsPerSecond(fn, 100);
  const r: number[] = [];
  for (let i = 0; i < ROUNDS; i++) r.push(opsPerSecond(fn, MS));
  return median(r);
}

function line(label: string, value: number, peerLabel?: string, peer?: number): void {
  const p =
    peer === undefined
      ? ''
      : `   ${peerLabel}: ${fmt(peer)} µs   (ours at ${(peer / value).toFixed(2)}× its speed)`;
  process.stdout.write(`${label.padEnd(38)} ${fmt(value).padStart(8)} µs/frame${p}\n`);
}

// ---------- G.711 naive peer: per-sample segment search, no tables ----------
const SEG_END_U = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
function naiveUlaw(x: number): number {
  let mag = x < 0 ? ~x >> 2 : x >> 2;
  mag += 33;
  if (mag > 0x1fff) mag = 0x1fff;
  let seg = 0;
  while (seg < 8 && mag > (SEG_END_U[seg] as number)) seg++;
  const code = ((7 - (seg < 8 ? seg : 7)) << 4) | (0xf - ((mag >> (seg + 1)) & 0xf));
  return x >= 0 ? code | 0x80 : code;
}
function naiveUlawDecode(c: number): number {
  const u = ~c & 0xff;
  const e = (u >> 4) & 7;
  const m = ((((u & 0xf) << 3) + 0x84) << e) - 0x84;
  return c & 0x80 ? m : -m;
}
const SEG_END_A = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];
function naiveAlaw(x: number): number {
  const mag = x < 0 ? ~x >> 3 : x >> 3;
  let seg = 0;
  while (seg < 8 && mag > (SEG_END_A[seg] as number)) seg++;
  let code: number;
  if (seg >= 8) code = 0x7f;
  else code = (seg << 4) | ((seg < 2 ? mag >> 1 : mag >> seg) & 0xf);
  return (x >= 0 ? code | 0x80 : code) ^ 0x55;
}
function naiveAlawDecode(c: number): number {
  const a = c ^ 0x55;
  const e = (a >> 4) & 7;
  let m = (a & 0xf) << 4;
  m = e === 0 ? m + 8 : (m + 0x108) << (e - 1);
  return a & 0x80 ? m : -m;
}

const speech8 = speechLike({ seconds: 2, sampleRate: 8000, seed: 1 });
const frame8 = speech8.subarray(8000, 8160);

// sanity: the peers are real G.711 (same output as the tables for every input)
for (let x = -32768; x < 32768; x++) {
  if (naiveUlaw(x) !== linearToUlaw(x) || naiveAlaw(x) !== linearToAlaw(x))
    throw new Error(`naive encode differs at ${x}`);
}
for (let c = 0; c < 256; c++) {
  if (naiveUlawDecode(c) !== ulawToLinear(c) || naiveAlawDecode(c) !== alawToLinear(c)) {
    throw new Error(`naive decode differs at ${c}`);
  }
}

process.stdout.write(`\n-- G.711 (160 samples per frame), peer = naive per-sample segment search\n`);
let sink = 0;
const g711: Record<string, number> = {};
for (const law of ['PCMU', 'PCMA'] as const) {
  const codec = createCodecSync(law);
  const bytes = new Uint8Array(160);
  const out = new Int16Array(160);
  codec.encode(frame8, bytes);
  const naiveEnc = law === 'PCMU' ? naiveUlaw : naiveAlaw;
  const naiveDec = law === 'PCMU' ? naiveUlawDecode : naiveAlawDecode;
  const enc = compareRates(
    (n) => {
      for (let k = 0; k < n; k++) codec.encode(frame8, bytes);
    },
    (n) => {
      for (let k = 0; k < n; k++) for (let i = 0; i < 160; i++) bytes[i] = naiveEnc(frame8[i] as number);
    },
    ROUNDS,
    MS,
  );
  line(`${law} encode (table)`, us(enc.a), 'naive', us(enc.b));
  const dec = compareRates(
    (n) => {
      for (let k = 0; k < n; k++) codec.decode(bytes, out);
    },
    (n) => {
      for (let k = 0; k < n; k++) for (let i = 0; i < 160; i++) out[i] = naiveDec(bytes[i] as number);
    },
    ROUNDS,
    MS,
  );
  line(`${law} decode (table)`, us(dec.a), 'naive', us(dec.b));
  g711[`${law}enc`] = us(enc.a);
  g711[`${law}encNaive`] = us(enc.b);
  sink += out[5] as number;
}
{
  // the encode table choice: 16 K entries over the 14-bit range vs 64 K entries over all of int16
  const t14 = new Uint8Array(1 << 14);
  for (let i = 0; i < 1 << 14; i++) t14[i] = linearToUlaw((i - 8192) << 2);
  const t16 = new Uint8Array(1 << 16);
  for (let i = 0; i < 1 << 16; i++) t16[i] = linearToUlaw((i << 16) >> 16);
  const bytes = new Uint8Array(160);
  const r = compareRates(
    (n) => {
      for (let k = 0; k < n; k++)
        for (let i = 0; i < 160; i++) bytes[i] = t14[((frame8[i] as number) >> 2) + 8192] as number;
    },
    (n) => {
      for (let k = 0; k < n; k++)
        for (let i = 0; i < 160; i++) bytes[i] = t16[(frame8[i] as number) & 0xffff] as number;
    },
    ROUNDS,
    MS,
  );
  line('µ-law encode, 16 KiB table (used)', us(r.a), '64 KiB table', us(r.b));
}

process.stdout.write(`\n-- L16 (network byte order), alone\n`);
for (const rate of [8000, 48000]) {
  const c = createCodecSync('L16', { sampleRate: rate });
  const x = speechLike({ seconds: 0.1, sampleRate: rate, seed: 2 }).subarray(0, c.frameSamples);
  const bytes = new Uint8Array(c.maxEncodedBytes(x.length));
  const out = new Int16Array(x.length);
  line(
    `L16/${rate} encode`,
    us(
      alone((n) => {
        for (let k = 0; k < n; k++) c.encode(x, bytes);
      }),
    ),
  );
  line(
    `L16/${rate} decode`,
    us(
      alone((n) => {
        for (let k = 0; k < n; k++) c.decode(bytes, out);
      }),
    ),
  );
}

process.stdout.write(`\n-- Opus (WASM libopus 1.4 via opusscript + opus-decoder), complexity 5, voip\n`);

/** The native peer: bench/native/opus-bench.c built against the system libopus, timed in-process. */
function buildNative(dir: string): string | undefined {
  const exe = join(dir, 'opus-bench');
  try {
    execFileSync('cc', ['-O2', '-o', exe, join(BENCH_DIR, 'native', 'opus-bench.c'), '-lopus'], {
      stdio: 'ignore',
    });
    return exe;
  } catch {
    return undefined;
  }
}
const dir = mkdtempSync(join(tmpdir(), 'strowger-bench-'));
const nativeExe = buildNative(dir);
process.stdout.write(
  nativeExe
    ? '   native peer: bench/native/opus-bench.c, system libopus, same PCM and settings, in-process timing\n'
    : '   native peer: cc or libopus-dev missing — trying opus-tools\n',
);

const opus: Record<string, number> = {};
const native: Record<string, number> = {};
let nativeVersion = '';
for (const rate of [8000, 16000, 48000]) {
  const c = await createCodec('opus', { sampleRate: rate });
  const bitrate = (c as unknown as { options: { bitrate: number } }).options.bitrate;
  const x = speechLike({ seconds: 3, sampleRate: rate, seed: 3 });
  const n = c.frameSamples;
  const frames: Int16Array[] = [];
  for (let i = 0; i + n <= x.length; i += n) frames.push(x.subarray(i, i + n));
  const bytes = new Uint8Array(c.maxEncodedBytes(n));
  const packets = frames.map((f) => bytes.slice(0, c.encode(f, bytes)));
  const out = new Int16Array(n);
  let fi = 0;
  const enc = alone((m) => {
    for (let k = 0; k < m; k++) c.encode(frames[fi++ % frames.length] as Int16Array, bytes);
  });
  let pi = 0;
  const dec = alone((m) => {
    for (let k = 0; k < m; k++) c.decode(packets[pi++ % packets.length] as Uint8Array, out);
  });
  const plc = alone((m) => {
    for (let k = 0; k < m; k++) {
      if (k % 4 === 0) c.decode(packets[pi++ % packets.length] as Uint8Array, out);
      else c.conceal?.(out, n);
    }
  });
  opus[`enc${rate}`] = us(enc);
  opus[`dec${rate}`] = us(dec);
  const avgBytes = packets.reduce((s, p) => s + p.length, 0) / packets.length;
  let ne: number | undefined;
  let nd: number | undefined;
  if (nativeExe) {
    const raw = join(dir, `pcm-${rate}.raw`);
    writeFileSync(raw, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
    const r = execFileSync(nativeExe, [String(rate), String(bitrate), '5', raw], { encoding: 'utf8' });
    const m = /encode_us=([\d.]+) decode_us=([\d.]+) bytes=([\d.]+).*version=(.*)/.exec(r);
    if (m) {
      ne = Number(m[1]);
      nd = Number(m[2]);
      native[`enc${rate}`] = ne;
      native[`dec${rate}`] = nd;
      nativeVersion = (m[4] as string).trim();
      process.stdout.write(
        `   ${rate} Hz: ${avgBytes.toFixed(1)} B/packet WASM, ${Number(m[3]).toFixed(1)} B/packet native\n`,
      );
    }
  }
  line(`opus/${rate} encode`, us(enc), 'native', ne);
  line(`opus/${rate} decode`, us(dec), 'native', nd);
  line(`opus/${rate} 1 decode + 3 conceal (per call)`, us(plc));
  c.close();
}

// fallback peer: Debian opus-tools (process timing, start-up cancelled by a short file)
const has = (cmd: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
if (!nativeExe && has('opusenc') && has('opusdec')) {
  const long = speechLike({ seconds: 60, sampleRate: 48000, seed: 4 });
  writeFileSync(join(dir, 'long.wav'), encodeWav(long, { sampleRate: 48000 }));
  writeFileSync(join(dir, 'short.wav'), encodeWav(long.subarray(0, 9600), { sampleRate: 48000 }));
  const encArgs = ['--quiet', '--bitrate', '32', '--framesize', '20', '--comp', '5', '--speech'];
  const time = (args: string[]) => {
    const t0 = process.hrtime.bigint();
    execFileSync(args[0] as string, args.slice(1), { stdio: 'ignore' });
    return Number(process.hrtime.bigint() - t0) / 1e3;
  };
  const encL: number[] = [];
  const decL: number[] = [];
  for (let i = 0; i < 3; i++) {
    const tl = time(['opusenc', ...encArgs, join(dir, 'long.wav'), join(dir, 'long.opus')]);
    const ts = time(['opusenc', ...encArgs, join(dir, 'short.wav'), join(dir, 'short.opus')]);
    encL.push((tl - ts) / (3000 - 10));
    const dl = time(['opusdec', '--quiet', '--rate', '48000', join(dir, 'long.opus'), join(dir, 'l.wav')]);
    const ds = time(['opusdec', '--quiet', '--rate', '48000', join(dir, 'short.opus'), join(dir, 's.wav')]);
    decL.push((dl - ds) / (3000 - 10));
  }
  native.enc48000 = median(encL);
  native.dec48000 = median(decL);
  nativeVersion = execFileSync('opusenc', ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? 'opus-tools';
  line('opus/48000 encode, WASM', opus.enc48000 as number, 'opusenc', native.enc48000);
  line('opus/48000 decode, WASM', opus.dec48000 as number, 'opusdec', native.dec48000);
} else if (!nativeExe) {
  process.stdout.write('   no native libopus available: the WASM Opus figures stand alone\n');
}
rmSync(dir, { recursive: true, force: true });

process.stdout.write(`\n-- resampler (polyphase, 60 dB), per 20 ms input frame\n`);
for (const [fin, fout] of [
  [8000, 16000],
  [16000, 8000],
  [8000, 48000],
  [48000, 8000],
  [16000, 48000],
  [48000, 16000],
] as const) {
  const r = new Resampler({ inputRate: fin, outputRate: fout });
  const x = speechLike({ seconds: 0.1, sampleRate: fin, seed: 5 }).subarray(0, fin / 50);
  const out = new Int16Array(r.outputCapacity(x.length));
  line(
    `${fin} → ${fout} (K=${r.taps} taps/phase)`,
    us(
      alone((n) => {
        for (let k = 0; k < n; k++) r.process(x, out);
      }),
    ),
  );
}

{
  // peer for the polyphase structure: zero-stuff to 48 kHz, then the full prototype FIR per output
  const r = new Resampler({ inputRate: 8000, outputRate: 48000 });
  const d = r.design;
  const N = d.taps * d.up;
  const h = new Float64Array(N);
  for (let p = 0; p < d.up; p++)
    for (let j = 0; j < d.taps; j++) h[p + j * d.up] = d.coefficients[p * d.taps + j] as number;
  const x = speechLike({ seconds: 0.1, sampleRate: 8000, seed: 5 }).subarray(0, 160);
  const hist = new Float64Array(N + 960);
  const out = new Int16Array(r.outputCapacity(160));
  const cmp = compareRates(
    (n) => {
      for (let k = 0; k < n; k++) r.process(x, out);
    },
    (n) => {
      for (let k = 0; k < n; k++) {
        hist.copyWithin(0, 960);
        hist.fill(0, N);
        for (let i = 0; i < 160; i++) hist[N + i * 6] = x[i] as number;
        for (let o = 0; o < 960; o++) {
          let acc = 0;
          for (let j = 0; j < N; j++) acc += (h[j] as number) * (hist[N + o - j] as number);
          out[o] = Math.round(acc);
        }
      }
    },
    3,
    MS,
  );
  line('8000 → 48000 polyphase', us(cmp.a), 'zero-stuff + full FIR', us(cmp.b));
}

process.stdout.write(`\n-- DTMF detector, per 20 ms frame of speech, alone\n`);
{
  const d = new DtmfDetector();
  let i = 0;
  line(
    'DtmfDetector.process',
    us(
      alone((n) => {
        for (let k = 0; k < n; k++) {
          d.process(speech8.subarray(i, i + 160));
          i = (i + 160) % (speech8.length - 160);
        }
      }),
    ),
  );
}

if (sink === Number.MIN_VALUE) process.stdout.write('');
const value = opus.enc48000 as number;
const nativeEnc = native.enc48000;
printResult({
  name: 'opus-encode-48k',
  value: Number(value.toFixed(2)),
  unit: 'us/frame',
  peer: nativeEnc === undefined ? 'none (no native libopus here)' : `native ${nativeVersion}`,
  peerValue: nativeEnc === undefined ? 0 : Number(nativeEnc.toFixed(2)),
  ratio: nativeEnc === undefined ? 0 : Number((value / nativeEnc).toFixed(2)),
  opusDecode48kUs: Number((opus.dec48000 as number).toFixed(2)),
  nativeDecode48kUs: native.dec48000 === undefined ? null : Number(native.dec48000.toFixed(2)),
  pcmuEncodeUs: Number((g711.PCMUenc as number).toFixed(3)),
  pcmuEncodeNaiveUs: Number((g711.PCMUencNaive as number).toFixed(3)),
});
