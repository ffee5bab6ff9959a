/**
 * What an endpoint or a bridge plays on the tick: call-progress tones and
 * in-band DTMF from `media/audio`'s ToneGenerator, PCM handed over by the
 * host, prompts of the catalogue (WAV files decoded once per worker and rate,
 * then cached), WAV files streamed from disk, pauses — one source or a
 * playlist of them, played back to back without gaps, optionally looped.
 *
 * The tick calls `fill(frame)` once per frame; it never waits. Everything
 * that needs the disk happens ahead of time: the first item is ready before
 * the play starts, the next one is prepared while the current one plays, and
 * a streamed file is read in blocks about a second ahead of playback. If the
 * disk falls behind anyway the frame is padded with silence (counted as an
 * underrun) and playback continues where it was.
 */
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StrowgerError } from '../../core/index.js';
import {
  dtmfToneSpec,
  isPromptName,
  promptFile,
  TONE_NAMES,
  TONE_REGIONS,
  ToneGenerator,
  type ToneName,
  type ToneRegion,
  type ToneSampleRate,
  toneSpec,
} from '../audio/index.js';
import {
  ALAW_DECODE_TABLE,
  decodeWav,
  parseWavHeader,
  Resampler,
  resampleBuffer,
  ULAW_DECODE_TABLE,
  type WavInfo,
} from '../codecs/index.js';
import type { PlayInput, PlayItem, PlaySource } from './types.js';

/** A player as the endpoint and the bridge drive it. */
export interface Player {
  /** Writes the next `frame.length` samples; returns how many belong to the content (the rest is zero). */
  fill(frame: Int16Array): number;
  readonly done: boolean;
  /** Releases files; idempotent. */
  close(): void;
}

/** Where prompts come from, and the per-worker cache of decoded prompts. */
export class PromptLibrary {
  readonly directory: string | undefined;
  readonly #cache = new Map<string, Promise<Int16Array>>();
  readonly #ready = new Map<string, Int16Array>();
  #samples = 0;
  /** Decoded samples kept at most (beyond it the cache starts over): 32 M samples, 64 MB. */
  static readonly MAX_SAMPLES = 32 * 1024 * 1024;

  constructor(directory: string | undefined) {
    this.directory = directory;
  }

  /** The PCM of prompt `name` at `rate` if it is decoded already (no I/O). */
  cached(name: string, lang: string, rate: number): Int16Array | undefined {
    return this.#ready.get(`${lang}/${name}@${rate}`);
  }

  /** The PCM of prompt `name` at `rate` (decoded once, then shared). */
  load(name: string, lang: string, rate: number): Promise<Int16Array> {
    if (!isPromptName(name)) {
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        `no prompt named ${JSON.stringify(name)} in the catalogue`,
      );
    }
    if (!/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/.test(lang)) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', `bad prompt language ${JSON.stringify(lang)}`);
    }
    const dir = this.directory;
    if (dir === undefined) {
      throw new StrowgerError(
        'ERR_INVALID_STATE',
        'no prompt directory: pass promptDirectory to createMediaEngine (assets/prompts of the package)',
      );
    }
    const key = `${lang}/${name}@${rate}`;
    let p = this.#cache.get(key);
    if (!p) {
      const path = join(dir, promptFile(name, lang));
      p = readFile(path).then(
        (bytes) => {
          const pcm = decodeWav(bytes, { sampleRate: rate, channels: 1 }).samples;
          this.#samples += pcm.length;
          if (this.#cache.has(key)) this.#ready.set(key, pcm);
          return pcm;
        },
        (err: unknown) => {
          this.#cache.delete(key);
          throw new StrowgerError('ERR_INVALID_ARGUMENT', `cannot read prompt ${path}`, { cause: err });
        },
      );
      if (this.#samples > PromptLibrary.MAX_SAMPLES) {
        this.#cache.clear();
        this.#ready.clear();
        this.#samples = 0;
      }
      this.#cache.set(key, p);
    }
    return p;
  }
}

/** A source of samples inside a playlist: writes up to `count` samples at `out[offset]`. */
interface Source {
  read(out: Int16Array, offset: number, count: number): number;
  /** No more samples will come. */
  readonly done: boolean;
  /** Samples that should be there but are not (a streamed file behind the tick). */
  readonly starved: boolean;
  close(): void;
}

class ToneSource implements Source {
  readonly #gen: ToneGenerator;
  readonly #frame: Int16Array;
  #have = 0;
  #pos = 0;
  #left: number;

  constructor(gen: ToneGenerator, maxSamples: number, frameSamples: number) {
    this.#gen = gen;
    this.#left = maxSamples;
    this.#frame = new Int16Array(frameSamples);
  }

  get done(): boolean {
    return this.#pos >= this.#have && (this.#gen.done || this.#left <= 0);
  }

  get starved(): boolean {
    return false;
  }

  read(out: Int16Array, offset: number, count: number): number {
    let w = 0;
    while (w < count) {
      if (this.#pos >= this.#have) {
        if (this.#gen.done || this.#left <= 0) break;
        const n = Math.min(this.#gen.fill(this.#frame), this.#left);
        this.#left -= n;
        this.#have = n;
        this.#pos = 0;
        if (n === 0) break;
      }
      const k = Math.min(count - w, this.#have - this.#pos);
      for (let i = 0; i < k; i++) out[offset + w + i] = this.#frame[this.#pos + i] as number;
      this.#pos += k;
      w += k;
    }
    return w;
  }

  close(): void {}
}

class PcmSource implements Source {
  readonly #pcm: Int16Array;
  #pos = 0;

  constructor(pcm: Int16Array) {
    this.#pcm = pcm;
  }

  get done(): boolean {
    return this.#pos >= this.#pcm.length;
  }

  get starved(): boolean {
    return false;
  }

  read(out: Int16Array, offset: number, count: number): number {
    const k = Math.min(count, this.#pcm.length - this.#pos);
    const pcm = this.#pcm;
    const p = this.#pos;
    for (let i = 0; i < k; i++) out[offset + i] = pcm[p + i] as number;
    this.#pos += k;
    return k;
  }

  close(): void {}
}

class SilenceSource implements Source {
  #left: number;
  constructor(samples: number) {
    this.#left = samples;
  }
  get done(): boolean {
    return this.#left <= 0;
  }
  get starved(): boolean {
    return false;
  }
  read(out: Int16Array, offset: number, count: number): number {
    const k = Math.min(count, this.#left);
    out.fill(0, offset, offset + k);
    this.#left -= k;
    return k;
  }
  close(): void {}
}

/** Bytes read from a streamed file per disk read (whole sample frames are kept). */
const STREAM_BLOCK_BYTES = 32 * 1024;
/** A streamed file is read ahead while less than this much audio is decoded, ms. */
const STREAM_AHEAD_MS = 1000;
/** Header bytes read to find the data chunk. */
const STREAM_HEAD_BYTES = 64 * 1024;

/**
 * A WAV file read from disk in blocks about a second ahead of playback,
 * decoded and converted to mono at the player's rate as it goes.
 */
class WavStreamSource implements Source {
  readonly #fh: FileHandle;
  readonly #info: WavInfo;
  readonly #end: number;
  #next: number;
  readonly #resampler: Resampler | undefined;
  readonly #block: Uint8Array;
  readonly #mono: Int16Array;
  readonly #converted: Int16Array;
  /** Decoded samples ready to play: a FIFO compacted on refill. */
  #fifo: Int16Array;
  #head = 0;
  #tail = 0;
  readonly #ahead: number;
  #reading = false;
  #eof = false;
  #closed = false;
  #starved = false;
  error: unknown;

  private constructor(fh: FileHandle, info: WavInfo, dataEnd: number, rate: number) {
    this.#fh = fh;
    this.#info = info;
    this.#next = info.dataOffset;
    this.#end = dataEnd;
    const blockFrames = Math.max(1, Math.floor(STREAM_BLOCK_BYTES / info.blockAlign));
    this.#block = new Uint8Array(blockFrames * info.blockAlign);
    this.#mono = new Int16Array(blockFrames);
    if (info.sampleRate !== rate) {
      this.#resampler = new Resampler({
        inputRate: info.sampleRate,
        outputRate: rate,
        maxInputSamples: blockFrames,
      });
    }
    this.#converted = new Int16Array(this.#resampler ? this.#resampler.outputCapacity(blockFrames) : 0);
    this.#ahead = Math.ceil((rate * STREAM_AHEAD_MS) / 1000);
    this.#fifo = new Int16Array(this.#ahead + (this.#resampler ? this.#converted.length : blockFrames) + 16);
  }

  static async open(path: string, rate: number): Promise<WavStreamSource> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', `cannot read ${path}`, { cause: err });
    }
    try {
      const size = (await fh.stat()).size;
      const head = new Uint8Array(Math.min(size, STREAM_HEAD_BYTES));
      await fh.read(head, 0, head.length, 0);
      const info = parseWavHeader(head, { allowTruncated: true });
      const claimed =
        info.dataOffset >= 4
          ? ((head[info.dataOffset - 4] as number) |
              ((head[info.dataOffset - 3] as number) << 8) |
              ((head[info.dataOffset - 2] as number) << 16) |
              ((head[info.dataOffset - 1] as number) << 24)) >>>
            0
          : 0xffffffff;
      const avail = size - info.dataOffset;
      const bytes = claimed === 0xffffffff || claimed > avail ? avail : claimed;
      const end = info.dataOffset + bytes - (bytes % info.blockAlign);
      const s = new WavStreamSource(fh, info, end, rate);
      await s.#refill();
      if (s.error) throw s.error;
      return s;
    } catch (err) {
      await fh.close().catch(() => {});
      throw err;
    }
  }

  get done(): boolean {
    return this.#eof && this.#head >= this.#tail;
  }

  get starved(): boolean {
    return this.#starved;
  }

  read(out: Int16Array, offset: number, count: number): number {
    const k = Math.min(count, this.#tail - this.#head);
    const f = this.#fifo;
    const h = this.#head;
    for (let i = 0; i < k; i++) out[offset + i] = f[h + i] as number;
    this.#head += k;
    this.#starved = k < count && !this.#eof;
    if (!this.#reading && !this.#eof && this.#tail - this.#head < this.#ahead) void this.#refill();
    return k;
  }

  /** Reads and decodes blocks until a second is buffered or the file ends. */
  async #refill(): Promise<void> {
    this.#reading = true;
    try {
      while (!this.#closed && !this.#eof && this.#tail - this.#head < this.#ahead) {
        const want = Math.min(this.#block.length, this.#end - this.#next);
        if (want <= 0) {
          this.#flushResampler();
          this.#eof = true;
          break;
        }
        const { bytesRead } = await this.#fh.read(this.#block, 0, want, this.#next);
        if (this.#closed) return;
        const whole = bytesRead - (bytesRead % this.#info.blockAlign);
        if (whole <= 0) {
          this.#flushResampler();
          this.#eof = true;
          break;
        }
        this.#next += whole;
        const frames = decodeBlockMono(this.#block, whole, this.#info, this.#mono);
        this.#append(frames);
      }
    } catch (err) {
      this.error = err;
      this.#eof = true;
    } finally {
      this.#reading = false;
    }
  }

  #flushResampler(): void {
    // the filter's tail: push its delay worth of zeros through
    const r = this.#resampler;
    if (!r) return;
    const zeros = Math.min(
      this.#mono.length,
      Math.ceil(r.delay * (this.#info.sampleRate / r.outputRate)) + 1,
    );
    this.#mono.fill(0, 0, zeros);
    this.#append(zeros);
  }

  #append(frames: number): void {
    let src = this.#mono;
    let n = frames;
    if (this.#resampler) {
      n = this.#resampler.process(this.#mono, this.#converted, frames);
      src = this.#converted;
    }
    // compact, grow if a large block needs it (rare: only when the read-ahead is raised)
    if (this.#head > 0) {
      this.#fifo.copyWithin(0, this.#head, this.#tail);
      this.#tail -= this.#head;
      this.#head = 0;
    }
    if (this.#tail + n > this.#fifo.length) {
      const bigger = new Int16Array((this.#tail + n) * 2);
      bigger.set(this.#fifo.subarray(0, this.#tail));
      this.#fifo = bigger;
    }
    for (let i = 0; i < n; i++) this.#fifo[this.#tail + i] = src[i] as number;
    this.#tail += n;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#fh.close().catch(() => {});
  }
}

/** Decodes `bytes` whole sample frames of `info`'s format into mono 16-bit (channels averaged). */
function decodeBlockMono(b: Uint8Array, bytes: number, info: WavInfo, out: Int16Array): number {
  const ch = info.channels;
  const frames = bytes / info.blockAlign;
  const width = info.bitsPerSample / 8;
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < ch; c++) {
      const p = f * info.blockAlign + c * width;
      let v: number;
      switch (info.encoding) {
        case 'pcm8':
          v = ((b[p] as number) - 128) << 8;
          break;
        case 'pcm16':
          v = (((b[p] as number) | ((b[p + 1] as number) << 8)) << 16) >> 16;
          break;
        case 'pcm24':
          v = (((b[p + 1] as number) | ((b[p + 2] as number) << 8)) << 16) >> 16;
          break;
        case 'pcm32':
          v = (((b[p + 2] as number) | ((b[p + 3] as number) << 8)) << 16) >> 16;
          break;
        case 'float32': {
          const x = new DataView(b.buffer, b.byteOffset + p, 4).getFloat32(0, true);
          v = Number.isNaN(x) ? 0 : Math.max(-32768, Math.min(32767, Math.round(x * 32768)));
          break;
        }
        case 'alaw':
          v = ALAW_DECODE_TABLE[b[p] as number] as number;
          break;
        default:
          v = ULAW_DECODE_TABLE[b[p] as number] as number;
      }
      sum += v;
    }
    out[f] = ch === 1 ? sum : Math.round(sum / ch);
  }
  return frames;
}

const TONE_RATES: readonly number[] = [8000, 16000, 48000];

function toneRate(rate: number): ToneSampleRate {
  if (!TONE_RATES.includes(rate)) {
    throw new StrowgerError('ERR_NOT_SUPPORTED', `tones are generated at 8, 16 or 48 kHz, not ${rate} Hz`);
  }
  return rate as ToneSampleRate;
}

function bad(message: string): StrowgerError {
  return new StrowgerError('ERR_INVALID_ARGUMENT', message);
}

/** Checks one playlist entry (synchronously, before anything plays). */
function checkItem(item: PlayItem): void {
  if (typeof item === 'string') {
    if (!isPromptName(item)) throw bad(`no prompt named ${JSON.stringify(item)} in the catalogue`);
    return;
  }
  if (item === null || typeof item !== 'object') throw bad('a play item must be a prompt name or an object');
  if ('prompt' in item) {
    if (!isPromptName(item.prompt))
      throw bad(`no prompt named ${JSON.stringify(item.prompt)} in the catalogue`);
    return;
  }
  if ('silenceMs' in item) {
    if (!(Number.isFinite(item.silenceMs) && item.silenceMs >= 0 && item.silenceMs <= 3_600_000)) {
      throw bad('silenceMs must be 0 … 3600000');
    }
    return;
  }
  if ('tone' in item) {
    const region = item.region ?? 'us';
    if (!(TONE_REGIONS as readonly string[]).includes(region))
      throw bad(`unknown tone region ${String(region)}`);
    if (!(TONE_NAMES as readonly string[]).includes(item.tone))
      throw bad(`unknown tone ${String(item.tone)}`);
    if (item.durationMs !== undefined && !(item.durationMs > 0)) throw bad('durationMs must be > 0');
    return;
  }
  if ('dtmfTones' in item) {
    if (typeof item.dtmfTones !== 'string') throw bad('dtmfTones must be a string of digits');
    return;
  }
  if ('pcm' in item) {
    if (!(item.pcm instanceof Int16Array) || !(Number.isInteger(item.sampleRate) && item.sampleRate > 0)) {
      throw bad('pcm must be an Int16Array with an integer sampleRate');
    }
    return;
  }
  if ('file' in item) {
    if (typeof item.file !== 'string' || item.file.length === 0) throw bad('file must be a path');
    return;
  }
  throw bad('play item needs tone, dtmfTones, pcm, file, prompt or silenceMs');
}

/** The entries of a play input, checked. */
export function playItems(input: PlayInput): readonly PlayItem[] {
  const items: readonly PlayItem[] = Array.isArray(input) ? input : [input as PlaySource];
  if (items.length === 0) throw bad('a playlist needs at least one item');
  if (items.length > 10_000) throw bad('a playlist has at most 10000 items');
  for (const item of items) checkItem(item);
  return items;
}

/** What players need from their worker. */
export interface PlayContext {
  prompts: PromptLibrary;
}

/**
 * Builds the source of one entry at `rate`: at once when no I/O is needed
 * (tones, PCM, pauses, prompts decoded before), else once the file is open
 * or the prompt decoded.
 */
function prepare(
  item: PlayItem,
  rate: number,
  frameSamples: number,
  ctx: PlayContext,
): Source | Promise<Source> {
  if (typeof item === 'string' || 'prompt' in item) {
    const name = typeof item === 'string' ? item : item.prompt;
    const lang = typeof item === 'string' ? 'en' : (item.lang ?? 'en');
    const pcm = ctx.prompts.cached(name, lang, rate);
    if (pcm) return new PcmSource(pcm);
    return ctx.prompts.load(name, lang, rate).then((x) => new PcmSource(x));
  }
  if ('file' in item) return WavStreamSource.open(item.file, rate);
  if ('silenceMs' in item) return new SilenceSource(Math.round((item.silenceMs * rate) / 1000));
  if ('tone' in item) {
    const gen = new ToneGenerator(toneSpec((item.region ?? 'us') as ToneRegion, item.tone as ToneName), {
      sampleRate: toneRate(rate),
    });
    const d = item.durationMs;
    return new ToneSource(
      gen,
      d === undefined ? Number.POSITIVE_INFINITY : Math.round((d * rate) / 1000),
      frameSamples,
    );
  }
  if ('dtmfTones' in item) {
    const spec = dtmfToneSpec(item.dtmfTones, {
      ...(item.toneMs === undefined ? {} : { toneMs: item.toneMs }),
      ...(item.gapMs === undefined ? {} : { gapMs: item.gapMs }),
    });
    return new ToneSource(
      new ToneGenerator(spec, { sampleRate: toneRate(rate) }),
      Number.POSITIVE_INFINITY,
      frameSamples,
    );
  }
  return new PcmSource(
    item.sampleRate === rate ? item.pcm : resampleBuffer(item.pcm, item.sampleRate, rate, 1),
  );
}

/**
 * Plays a list of sources back to back at one PCM rate: the next entry is
 * prepared while the current one plays, so entries follow each other without
 * a gap. `pause()` holds the position and plays silence meanwhile.
 */
export class PlaylistPlayer implements Player {
  readonly rate: number;
  readonly #items: readonly PlayItem[];
  readonly #loop: boolean;
  readonly #frameSamples: number;
  readonly #ctx: PlayContext;
  #index = 0;
  #current: Source | undefined;
  /** The next entry: pending, ready, or failed. */
  #next: { source?: Source; error?: unknown; index: number } | undefined;
  #done = false;
  #closed = false;
  #failedInARow = 0;
  paused = false;
  /** Samples of content played. */
  played = 0;
  /** Frames (partly) padded because a streamed source was behind. */
  underruns = 0;
  /** A source that could not be prepared mid-playlist (it is skipped). */
  lastError: unknown;

  private constructor(
    items: readonly PlayItem[],
    rate: number,
    frameSamples: number,
    ctx: PlayContext,
    loop: boolean,
  ) {
    this.#items = items;
    this.rate = rate;
    this.#frameSamples = frameSamples;
    this.#ctx = ctx;
    this.#loop = loop;
  }

  /** Checks the input, prepares the first entry and starts preparing the second. */
  static async create(
    input: PlayInput,
    rate: number,
    frameSamples: number,
    ctx: PlayContext,
    loop = false,
  ): Promise<PlaylistPlayer> {
    const items = playItems(input);
    const p = new PlaylistPlayer(items, rate, frameSamples, ctx, loop);
    p.#current = await prepare(items[0] as PlayItem, rate, frameSamples, ctx);
    p.#index = 0;
    p.#prepareNext();
    return p;
  }

  get done(): boolean {
    return this.#done;
  }

  /** Milliseconds of content played. */
  get playedMs(): number {
    return (this.played * 1000) / this.rate;
  }

  #nextIndex(): number {
    const i = this.#index + 1;
    if (i < this.#items.length) return i;
    return this.#loop ? 0 : -1;
  }

  #prepareNext(): void {
    const i = this.#nextIndex();
    if (i < 0) {
      this.#next = undefined;
      return;
    }
    const slot: { source?: Source; error?: unknown; index: number } = { index: i };
    this.#next = slot;
    let made: Source | Promise<Source>;
    try {
      made = prepare(this.#items[i] as PlayItem, this.rate, this.#frameSamples, this.#ctx);
    } catch (err) {
      slot.error = err;
      return;
    }
    if (!(made instanceof Promise)) {
      slot.source = made;
      return;
    }
    made.then(
      (source) => {
        if (this.#closed || this.#next !== slot) source.close();
        else slot.source = source;
      },
      (err: unknown) => {
        slot.error = err;
      },
    );
  }

  fill(frame: Int16Array): number {
    const L = frame.length;
    if (this.#done || this.paused) {
      frame.fill(0);
      return 0;
    }
    let w = 0;
    let guard = 0;
    while (w < L && guard++ < 64) {
      const cur = this.#current;
      if (cur) {
        w += cur.read(frame, w, L - w);
        if (w >= L) break;
        if (!cur.done) {
          // a streamed file behind the tick: pad, keep the position
          this.underruns++;
          break;
        }
        cur.close();
        this.#current = undefined;
      }
      const next = this.#next;
      if (next === undefined) {
        this.#done = true;
        break;
      }
      if (next.error !== undefined) {
        // an entry that cannot be played is skipped; a loop of nothing but those ends
        this.lastError = next.error;
        this.#index = next.index;
        if (++this.#failedInARow >= this.#items.length) {
          this.#done = true;
          break;
        }
        this.#prepareNext();
        continue;
      }
      if (!next.source) {
        this.underruns++;
        break; // still loading: pad this frame
      }
      this.#current = next.source;
      this.#index = next.index;
      this.#failedInARow = 0;
      this.#prepareNext();
    }
    this.played += w;
    if (w < L) frame.fill(0, w);
    // ended exactly on the frame's end: say so now, not one (silent) frame later — also when
    // only empty entries (a 0 ms pause, an empty clip) remain
    for (let skipped = 0; !this.#done && this.#current?.done && skipped <= this.#items.length; skipped++) {
      const next = this.#next;
      if (next === undefined) {
        this.#current.close();
        this.#current = undefined;
        this.#done = true;
        break;
      }
      if (next.error !== undefined || !next.source?.done) break;
      this.#current.close();
      this.#current = next.source;
      this.#index = next.index;
      this.#prepareNext();
    }
    return w;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#done = true;
    this.#current?.close();
    this.#current = undefined;
    this.#next?.source?.close();
    this.#next = undefined;
  }
}

/** Builds a player producing `sampleRate` PCM for `input` (20 ms frames by default). */
export function createPlayer(
  input: PlayInput,
  sampleRate: number,
  ctx: PlayContext,
  options: { loop?: boolean; frameSamples?: number } = {},
): Promise<PlaylistPlayer> {
  if (input === null || typeof input !== 'object') {
    return Promise.reject(bad('play source must be an object or a playlist'));
  }
  return PlaylistPlayer.create(
    input,
    sampleRate,
    options.frameSamples ?? Math.round(sampleRate / 50),
    ctx,
    options.loop ?? false,
  );
}
