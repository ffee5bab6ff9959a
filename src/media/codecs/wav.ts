/**
 * WAV files (RIFF/WAVE), pure: bytes in, samples out, and back.
 *
 * ```
 * offset  size  field
 *  0      4     "RIFF"
 *  4      4     RIFF size (file size − 8; often wrong, ignored)
 *  8      4     "WAVE"
 * 12      …     chunks: id (4) · size (4, LE) · body · pad byte when size is odd
 *               "fmt " : format tag (2) · channels (2) · sample rate (4) · byte rate (4)
 *                        · block align (2) · bits per sample (2) [· cbSize (2) · extension]
 *               "data" : the samples, interleaved
 *               others ("LIST", "fact", "cue ", …) are skipped
 * ```
 * Format tags read: 1 PCM (8-bit unsigned, 16/24/32-bit signed), 3 IEEE float
 * (32-bit), 6 A-law, 7 µ-law, and 0xFFFE WAVE_FORMAT_EXTENSIBLE carrying one
 * of those. Written: 16-bit PCM. A data size of 0xFFFFFFFF (a stream whose
 * header was never patched) means "to the end of the file".
 */
import { StrowgerError } from '../../core/index.js';
import { ALAW_DECODE_TABLE, ULAW_DECODE_TABLE } from './g711.js';
import { resampleBuffer } from './resampler.js';

/** A malformed or unsupported WAV file; `offset` is where reading failed. */
export class WavParseError extends StrowgerError {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super('ERR_WAV_PARSE', `${message} (at byte ${offset})`);
    this.offset = offset;
  }
}

export type WavEncoding = 'pcm8' | 'pcm16' | 'pcm24' | 'pcm32' | 'float32' | 'alaw' | 'mulaw';

export interface WavInfo {
  encoding: WavEncoding;
  /** The format tag, resolved through WAVE_FORMAT_EXTENSIBLE. */
  formatTag: number;
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  blockAlign: number;
  /** Byte offset of the first sample. */
  dataOffset: number;
  /** Bytes of whole frames in the data chunk (after any truncation allowance). */
  dataBytes: number;
  /** Sampling instants (frames). */
  frames: number;
  /** True when the data chunk claimed more bytes than the file holds (only with `allowTruncated`). */
  truncated: boolean;
}

export interface WavAudio {
  sampleRate: number;
  channels: number;
  /** Interleaved 16-bit samples. */
  samples: Int16Array;
  /** The file as it was (before any conversion). */
  info: WavInfo;
}

export interface WavReadOptions {
  /** Convert to this rate (any rate; 8000/16000/48000 in the media engine). */
  sampleRate?: number;
  /** Convert to mono (mean of the channels) or stereo (mono duplicated). */
  channels?: 1 | 2;
  /** Accept a data chunk that claims more bytes than the file has (a recording cut short). */
  allowTruncated?: boolean;
}

const TAG_PCM = 1;
const TAG_FLOAT = 3;
const TAG_ALAW = 6;
const TAG_MULAW = 7;
const TAG_EXTENSIBLE = 0xfffe;

function fourcc(b: Uint8Array, o: number): string {
  return String.fromCharCode(b[o] as number, b[o + 1] as number, b[o + 2] as number, b[o + 3] as number);
}

function u16(b: Uint8Array, o: number): number {
  return (b[o] as number) | ((b[o + 1] as number) << 8);
}

function u32(b: Uint8Array, o: number): number {
  return (
    ((b[o] as number) |
      ((b[o + 1] as number) << 8) |
      ((b[o + 2] as number) << 16) |
      ((b[o + 3] as number) << 24)) >>>
    0
  );
}

/** Reads the header and chunk list; does not touch the samples. */
export function parseWavHeader(
  bytes: Uint8Array,
  options: Pick<WavReadOptions, 'allowTruncated'> = {},
): WavInfo {
  if (bytes.length < 12) throw new WavParseError('file shorter than a RIFF header', 0);
  const riff = fourcc(bytes, 0);
  if (riff !== 'RIFF') {
    throw new WavParseError(riff === 'RF64' ? 'RF64 files are not supported' : 'not a RIFF file', 0);
  }
  if (fourcc(bytes, 8) !== 'WAVE') throw new WavParseError('RIFF file is not WAVE', 8);
  let fmt: Omit<WavInfo, 'dataOffset' | 'dataBytes' | 'frames' | 'truncated'> | undefined;
  let dataOffset = -1;
  let dataSize = 0;
  let truncated = false;
  let off = 12;
  while (off + 8 <= bytes.length) {
    const id = fourcc(bytes, off);
    const size = u32(bytes, off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      if (size < 16) throw new WavParseError(`fmt chunk of ${size} bytes`, off + 4);
      if (body + size > bytes.length)
        throw new WavParseError('fmt chunk runs past the end of the file', off + 4);
      fmt = parseFmt(bytes, body, size);
    } else if (id === 'data') {
      if (dataOffset >= 0) throw new WavParseError('second data chunk', off);
      dataOffset = body;
      const avail = bytes.length - body;
      if (size === 0xffffffff) {
        dataSize = avail;
      } else if (size > avail) {
        if (!options.allowTruncated) {
          throw new WavParseError(`data chunk claims ${size} bytes, file has ${avail}`, off + 4);
        }
        dataSize = avail;
        truncated = true;
      } else dataSize = size;
      if (dataSize === avail) break;
    }
    off = body + size + (size & 1);
  }
  if (!fmt) throw new WavParseError('no fmt chunk', Math.min(off, bytes.length));
  if (dataOffset < 0) throw new WavParseError('no data chunk', Math.min(off, bytes.length));
  const frames = Math.floor(dataSize / fmt.blockAlign);
  return { ...fmt, dataOffset, dataBytes: frames * fmt.blockAlign, frames, truncated };
}

function parseFmt(
  b: Uint8Array,
  o: number,
  size: number,
): Omit<WavInfo, 'dataOffset' | 'dataBytes' | 'frames' | 'truncated'> {
  let tag = u16(b, o);
  const channels = u16(b, o + 2);
  const sampleRate = u32(b, o + 4);
  const blockAlign = u16(b, o + 12);
  const bits = u16(b, o + 14);
  if (tag === TAG_EXTENSIBLE) {
    if (size < 40) throw new WavParseError('WAVE_FORMAT_EXTENSIBLE fmt chunk shorter than 40 bytes', o);
    tag = u16(b, o + 24); // first two bytes of the SubFormat GUID
  }
  let encoding: WavEncoding;
  if (tag === TAG_PCM && bits === 8) encoding = 'pcm8';
  else if (tag === TAG_PCM && bits === 16) encoding = 'pcm16';
  else if (tag === TAG_PCM && bits === 24) encoding = 'pcm24';
  else if (tag === TAG_PCM && bits === 32) encoding = 'pcm32';
  else if (tag === TAG_FLOAT && bits === 32) encoding = 'float32';
  else if (tag === TAG_ALAW && bits === 8) encoding = 'alaw';
  else if (tag === TAG_MULAW && bits === 8) encoding = 'mulaw';
  else throw new WavParseError(`unsupported format tag ${tag} with ${bits} bits per sample`, o);
  if (channels < 1 || channels > 8) throw new WavParseError(`${channels} channels`, o + 2);
  if (sampleRate < 1000 || sampleRate > 384000) throw new WavParseError(`sample rate ${sampleRate}`, o + 4);
  if (blockAlign !== channels * (bits / 8)) {
    throw new WavParseError(`block align ${blockAlign} for ${channels} × ${bits}-bit samples`, o + 12);
  }
  return { encoding, formatTag: tag, sampleRate, channels, bitsPerSample: bits, blockAlign };
}

/** Decodes the data chunk to interleaved Int16 (no rate/channel conversion). */
function decodeSamples(b: Uint8Array, info: WavInfo): Int16Array {
  const n = info.frames * info.channels;
  const out = new Int16Array(n);
  let p = info.dataOffset;
  switch (info.encoding) {
    case 'pcm8':
      for (let i = 0; i < n; i++) out[i] = ((b[p++] as number) - 128) << 8;
      break;
    case 'pcm16':
      for (let i = 0; i < n; i++, p += 2) out[i] = (b[p] as number) | ((b[p + 1] as number) << 8);
      break;
    case 'pcm24':
      for (let i = 0; i < n; i++, p += 3) out[i] = (b[p + 1] as number) | ((b[p + 2] as number) << 8);
      break;
    case 'pcm32':
      for (let i = 0; i < n; i++, p += 4) out[i] = (b[p + 2] as number) | ((b[p + 3] as number) << 8);
      break;
    case 'float32': {
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let i = 0; i < n; i++, p += 4) {
        const f = dv.getFloat32(p, true);
        const v = Number.isNaN(f) ? 0 : Math.round(f * 32768);
        out[i] = v > 32767 ? 32767 : Math.max(v, -32768);
      }
      break;
    }
    case 'alaw':
      for (let i = 0; i < n; i++) out[i] = ALAW_DECODE_TABLE[b[p++] as number] as number;
      break;
    case 'mulaw':
      for (let i = 0; i < n; i++) out[i] = ULAW_DECODE_TABLE[b[p++] as number] as number;
      break;
  }
  return out;
}

/**
 * Reads a WAV file into 16-bit PCM, optionally converted to another channel
 * count and rate. Rate conversion uses {@link resampleBuffer}: the rational
 * polyphase resampler, which also covers "odd" ratios such as 44100 → 8000
 * (L/M = 80/441) and 11025 → 16000 (640/441) — see docs/codecs.md.
 * Throws {@link WavParseError} (`ERR_WAV_PARSE`) on a malformed or unsupported file.
 */
export function decodeWav(bytes: Uint8Array, options: WavReadOptions = {}): WavAudio {
  const info = parseWavHeader(bytes, options);
  let samples = decodeSamples(bytes, info);
  let channels = info.channels;
  const want = options.channels;
  if (want !== undefined && want !== channels) {
    if (want !== 1 && want !== 2) throw new StrowgerError('ERR_INVALID_ARGUMENT', 'channels must be 1 or 2');
    samples = remix(samples, channels, want);
    channels = want;
  }
  let sampleRate = info.sampleRate;
  if (options.sampleRate !== undefined && options.sampleRate !== sampleRate) {
    samples = resampleBuffer(samples, sampleRate, options.sampleRate, channels);
    sampleRate = options.sampleRate;
  }
  return { sampleRate, channels, samples, info };
}

function remix(x: Int16Array, from: number, to: 1 | 2): Int16Array {
  const frames = x.length / from;
  const out = new Int16Array(frames * to);
  for (let f = 0; f < frames; f++) {
    let v: number;
    if (to === 1 || from !== 1) {
      let s = 0;
      for (let c = 0; c < from; c++) s += x[f * from + c] as number;
      v = Math.round(s / from);
    } else v = x[f] as number;
    if (to === 1) out[f] = v;
    else if (from === 1) {
      out[2 * f] = v;
      out[2 * f + 1] = v;
    } else {
      // more than two channels down to stereo: first two channels
      out[2 * f] = x[f * from] as number;
      out[2 * f + 1] = x[f * from + 1] as number;
    }
  }
  return out;
}

/** Size of the header {@link WavWriter} and {@link encodeWav} write. */
export const WAV_HEADER_BYTES = 44;
const MAX_DATA_BYTES = 0xffffffff - 36;

/** Writes a 44-byte 16-bit PCM header for `dataBytes` bytes of samples into `out` at `offset`. */
export function writeWavHeader(
  out: Uint8Array,
  sampleRate: number,
  channels: number,
  dataBytes: number,
  offset = 0,
): void {
  if (out.length < offset + WAV_HEADER_BYTES)
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'header buffer too small');
  const dv = new DataView(out.buffer, out.byteOffset + offset, WAV_HEADER_BYTES);
  const put = (o: number, s: string) => {
    for (let i = 0; i < 4; i++) dv.setUint8(o + i, s.charCodeAt(i));
  };
  put(0, 'RIFF');
  dv.setUint32(4, dataBytes === 0xffffffff ? 0xffffffff : 36 + dataBytes + (dataBytes & 1), true);
  put(8, 'WAVE');
  put(12, 'fmt ');
  dv.setUint32(16, 16, true);
  dv.setUint16(20, TAG_PCM, true);
  dv.setUint16(22, channels, true);
  dv.setUint32(24, sampleRate, true);
  dv.setUint32(28, sampleRate * channels * 2, true);
  dv.setUint16(32, channels * 2, true);
  dv.setUint16(34, 16, true);
  put(36, 'data');
  dv.setUint32(40, dataBytes, true);
}

/** Fixes the RIFF and data sizes of a header written by {@link WavWriter} once the data length is known. */
export function patchWavHeader(header: Uint8Array, dataBytes: number): void {
  if (header.length < WAV_HEADER_BYTES)
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'header buffer too small');
  if (!(Number.isInteger(dataBytes) && dataBytes >= 0 && dataBytes <= MAX_DATA_BYTES)) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', `data size ${dataBytes} does not fit a WAV file`);
  }
  const dv = new DataView(header.buffer, header.byteOffset, WAV_HEADER_BYTES);
  dv.setUint32(4, 36 + dataBytes + (dataBytes & 1), true);
  dv.setUint32(40, dataBytes, true);
}

function checkFormat(sampleRate: number, channels: number): void {
  if (!Number.isInteger(sampleRate) || sampleRate < 1000 || sampleRate > 384000) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', `sample rate ${sampleRate}`);
  }
  if (!Number.isInteger(channels) || channels < 1 || channels > 8) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', `${channels} channels`);
  }
}

/** A whole 16-bit PCM WAV file. */
export function encodeWav(
  samples: Int16Array,
  options: { sampleRate: number; channels?: number },
): Uint8Array {
  const channels = options.channels ?? 1;
  checkFormat(options.sampleRate, channels);
  if (samples.length % channels !== 0)
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'samples are not whole frames');
  const dataBytes = samples.length * 2;
  if (dataBytes > MAX_DATA_BYTES)
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'too many samples for a WAV file');
  const out = new Uint8Array(WAV_HEADER_BYTES + dataBytes);
  writeWavHeader(out, options.sampleRate, channels, dataBytes);
  pcm16le(samples, samples.length, out, WAV_HEADER_BYTES);
  return out;
}

function pcm16le(pcm: Int16Array, n: number, out: Uint8Array, at: number): void {
  for (let i = 0, o = at; i < n; i++, o += 2) {
    const v = pcm[i] as number;
    out[o] = v & 0xff;
    out[o + 1] = (v >> 8) & 0xff;
  }
}

/**
 * Streaming 16-bit PCM WAV writer for recordings. Pure: it hands out bytes,
 * the caller writes them.
 * ```ts
 * const w = new WavWriter({ sampleRate: 8000 });
 * await file.write(w.header());                     // sizes say "unknown" (0xFFFFFFFF)
 * const n = w.encodeInto(frame, buf);               // per frame, into a preallocated buffer
 * await file.write(buf.subarray(0, n));
 * await file.write(w.finalHeader(), 0, 44, 0);      // patch the sizes at offset 0
 * ```
 */
export class WavWriter {
  readonly sampleRate: number;
  readonly channels: number;
  #dataBytes = 0;
  readonly #header = new Uint8Array(WAV_HEADER_BYTES);

  constructor(options: { sampleRate: number; channels?: number }) {
    this.sampleRate = options.sampleRate;
    this.channels = options.channels ?? 1;
    checkFormat(this.sampleRate, this.channels);
  }

  /** Bytes of sample data encoded so far. */
  get dataBytes(): number {
    return this.#dataBytes;
  }

  /** The header to write first; its sizes are 0xFFFFFFFF ("to end of file") until patched. */
  header(): Uint8Array {
    writeWavHeader(this.#header, this.sampleRate, this.channels, 0xffffffff);
    return this.#header.slice();
  }

  /** Little-endian bytes of `pcm[0 .. samples)` into `out` at `offset`; returns bytes written. Allocates nothing. */
  encodeInto(pcm: Int16Array, out: Uint8Array, samples = pcm.length, offset = 0): number {
    if (!Number.isInteger(samples) || samples < 0 || samples > pcm.length || samples % this.channels !== 0) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'samples must be whole frames within pcm');
    }
    const bytes = samples * 2;
    if (offset < 0 || offset + bytes > out.length)
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'output buffer too small');
    if (this.#dataBytes + bytes > MAX_DATA_BYTES) {
      throw new StrowgerError('ERR_INVALID_STATE', 'WAV file would exceed 4 GiB');
    }
    pcm16le(pcm, samples, out, offset);
    this.#dataBytes += bytes;
    return bytes;
  }

  /** The header with the final sizes, to write over the first 44 bytes. */
  finalHeader(): Uint8Array {
    writeWavHeader(this.#header, this.sampleRate, this.channels, this.#dataBytes);
    return this.#header.slice();
  }
}
