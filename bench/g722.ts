/**
 * G.722 encode and decode cost per 20 ms frame (320 samples ↔ 160 octets).
 *
 * Peer: FFmpeg's G.722 encoder and decoder, timed as whole-file transcodes of
 * the same audio (raw s16le ↔ raw g722) with FFmpeg's fixed cost (process
 * start, probing, file I/O set-up) taken out by subtracting the time of the
 * same command on a one-frame file. When `ffmpeg` is not on PATH the peer is
 * a PCMU-style table-driven loop (the cheapest codec the project has), run
 * in this process on the same frames.
 *
 * Reports medians over interleaved rounds (ours: median of three passes per
 * round); ratio = peer time / our time (so
 * above 1 means faster than the peer). Also checks that our codec allocates
 * nothing per frame (heap delta over many frames after a forced GC).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { G722Decoder, G722Encoder } from '../src/media/codecs/index.js';
import { vowelSignal } from '../test/media/codecs/g722-signals.js';
import { median, printResult } from './lib/stats.js';

const FRAME = 320;
const SECONDS = 60;
const FRAMES = (SECONDS * 16000) / FRAME;
const ROUNDS = 7;

// 60 s of audio: espeak-ng speech and a synthetic vowel, alternating.
const speechBytes = new Uint8Array(
  readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'g722', 'speech.pcm')),
);
const speech = new Int16Array(speechBytes.buffer, speechBytes.byteOffset, speechBytes.byteLength >> 1);
const vowel = vowelSignal(32000);
const pcm = new Int16Array(FRAMES * FRAME);
for (let at = 0, turn = 0; at < pcm.length; turn++) {
  const src = turn % 2 === 0 ? speech : vowel;
  const n = Math.min(src.length, pcm.length - at);
  pcm.set(src.subarray(0, n), at);
  at += n;
}

const pcmFrames = Array.from({ length: FRAMES }, (_, i) => pcm.subarray(i * FRAME, (i + 1) * FRAME));
const encoded = new Uint8Array(FRAMES * (FRAME / 2));
const encodedFrames = Array.from({ length: FRAMES }, (_, i) => encoded.subarray(i * 160, (i + 1) * 160));
const decoded = new Int16Array(FRAMES * FRAME);
const decodedFrames = Array.from({ length: FRAMES }, (_, i) => decoded.subarray(i * FRAME, (i + 1) * FRAME));

const encoder = new G722Encoder();
const decoder = new G722Decoder();

/** µs per frame to encode all frames once. */
function oursEncode(): number {
  encoder.reset();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < FRAMES; i++) encoder.encode(pcmFrames[i]!, encodedFrames[i]!);
  return Number(process.hrtime.bigint() - t0) / 1e3 / FRAMES;
}

/** µs per frame to decode all frames once. */
function oursDecode(): number {
  decoder.reset();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < FRAMES; i++) decoder.decode(encodedFrames[i]!, decodedFrames[i]!);
  return Number(process.hrtime.bigint() - t0) / 1e3 / FRAMES;
}

// --- peer -------------------------------------------------------------------

const hasFfmpeg = spawnSync('ffmpeg', ['-version'], { encoding: 'utf8' }).status === 0;
const tmp = mkdtempSync(join(tmpdir(), 'bench-g722-'));
const files = {
  longPcm: join(tmp, 'long.pcm'),
  shortPcm: join(tmp, 'short.pcm'),
  longG722: join(tmp, 'long.g722'),
  shortG722: join(tmp, 'short.g722'),
  out: join(tmp, 'out'),
};

function runMs(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args]);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr?.toString()}`);
  return ms;
}

const encArgs = (input: string) => [
  '-f',
  's16le',
  '-ar',
  '16000',
  '-ac',
  '1',
  '-i',
  input,
  '-c:a',
  'g722',
  '-f',
  'g722',
  files.out,
];
const decArgs = (input: string) => ['-f', 'g722', '-i', input, '-f', 's16le', files.out];

/** µs per frame of FFmpeg encoding: (long - one frame) / (frames - 1). */
function peerEncode(): number {
  const long = runMs(encArgs(files.longPcm));
  const short = runMs(encArgs(files.shortPcm));
  return ((long - short) * 1e3) / (FRAMES - 1);
}

function peerDecode(): number {
  const long = runMs(decArgs(files.longG722));
  const short = runMs(decArgs(files.shortG722));
  return ((long - short) * 1e3) / (FRAMES - 1);
}

// PCMU fallback peer: G.711 μ-law by a 16K-entry table, the project's naive baseline.
const ulawTable = new Uint8Array(16384);
for (let i = 0; i < 16384; i++) {
  const x = (i - 8192) << 2;
  const sign = x < 0 ? 0x80 : 0;
  let mag = Math.min(32635, Math.abs(x)) + 132;
  let exp = 7;
  for (let m = 0x4000; (mag & m) === 0 && exp > 0; m >>= 1) exp--;
  mag = (mag >> (exp + 3)) & 0x0f;
  ulawTable[i] = ~(sign | (exp << 4) | mag) & 0xff;
}
const ulawOut = new Uint8Array(FRAME);
function pcmuEncode(): number {
  const t0 = process.hrtime.bigint();
  for (let f = 0; f < FRAMES; f++) {
    const frame = pcmFrames[f]!;
    for (let i = 0; i < FRAME; i++) ulawOut[i] = ulawTable[((frame[i] as number) >> 2) + 8192] as number;
  }
  return Number(process.hrtime.bigint() - t0) / 1e3 / FRAMES;
}

// --- run --------------------------------------------------------------------

// Warm up ours (JIT) and check the codec against the peer on this audio.
oursEncode();
oursDecode();
if (hasFfmpeg) {
  writeFileSync(files.longPcm, new Uint8Array(pcm.buffer));
  writeFileSync(files.shortPcm, new Uint8Array(pcm.buffer, 0, FRAME * 2));
  writeFileSync(files.longG722, encoded);
  writeFileSync(files.shortG722, encoded.subarray(0, 160));
  runMs(encArgs(files.longPcm));
  const same = Buffer.from(readFileSync(files.out)).equals(Buffer.from(encoded));
  process.stdout.write(
    `ffmpeg's encoding of the bench audio is ${same ? 'identical to' : 'DIFFERENT from'} ours\n`,
  );
}

// Allocation check: heap growth over 20 untimed passes (60 000 frames each way) after a GC.
// Any object allocated per frame would show up as at least ~16 bytes per frame.
const gc = (globalThis as { gc?: () => void }).gc;
let heapBytesPerFrame = Number.NaN;
if (gc) {
  const pass = () => {
    encoder.reset();
    decoder.reset();
    for (let i = 0; i < FRAMES; i++) encoder.encode(pcmFrames[i]!, encodedFrames[i]!);
    for (let i = 0; i < FRAMES; i++) decoder.decode(encodedFrames[i]!, decodedFrames[i]!);
  };
  pass();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 20; i++) pass();
  heapBytesPerFrame = (process.memoryUsage().heapUsed - before) / (20 * FRAMES * 2);
}

const enc: number[] = [];
const dec: number[] = [];
const peerEnc: number[] = [];
const peerDec: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  // Three passes per round (after a peer process has run, the first is often slow); keep their median.
  enc.push(median([oursEncode(), oursEncode(), oursEncode()]));
  dec.push(median([oursDecode(), oursDecode(), oursDecode()]));
  if (hasFfmpeg) {
    peerEnc.push(peerEncode());
    peerDec.push(peerDecode());
  } else {
    peerEnc.push(pcmuEncode());
  }
}
rmSync(tmp, { recursive: true, force: true });

const us = (x: number) => `${x.toFixed(2)} µs`;
const encUs = median(enc);
const decUs = median(dec);
const peerName = hasFfmpeg
  ? 'ffmpeg g722 (whole-file transcode minus startup)'
  : 'PCMU table loop (in-process)';
const peerEncUs = median(peerEnc);
const peerDecUs = hasFfmpeg ? median(peerDec) : Number.NaN;
process.stdout.write(`audio: ${SECONDS} s, ${FRAMES} frames of 20 ms; ${ROUNDS} rounds, medians\n`);
process.stdout.write(
  `encode  ours ${us(encUs)}/frame   ${peerName} ${us(peerEncUs)}/frame   ratio ${(peerEncUs / encUs).toFixed(2)}\n`,
);
if (hasFfmpeg) {
  process.stdout.write(
    `decode  ours ${us(decUs)}/frame   ${peerName} ${us(peerDecUs)}/frame   ratio ${(peerDecUs / decUs).toFixed(2)}\n`,
  );
} else {
  process.stdout.write(`decode  ours ${us(decUs)}/frame\n`);
}
process.stdout.write(
  `realtime factor: encode ${(20000 / encUs).toFixed(0)}x, decode ${(20000 / decUs).toFixed(0)}x one core; heap growth ${heapBytesPerFrame.toFixed(3)} bytes/frame\n`,
);
printResult({
  name: 'g722-encode-20ms-frame',
  value: Number(encUs.toFixed(3)),
  unit: 'us/frame',
  peer: hasFfmpeg ? 'ffmpeg-g722' : 'pcmu-table-loop',
  peerValue: Number(peerEncUs.toFixed(3)),
  ratio: Number((peerEncUs / encUs).toFixed(3)),
  ratioMeaning: 'peer time / our time (>1 = faster than peer)',
  decodeUs: Number(decUs.toFixed(3)),
  peerDecodeUs: Number.isNaN(peerDecUs) ? null : Number(peerDecUs.toFixed(3)),
  decodeRatio: Number.isNaN(peerDecUs) ? null : Number((peerDecUs / decUs).toFixed(3)),
  heapBytesPerFrame: Number(heapBytesPerFrame.toFixed(3)),
});
