/**
 * Writes a 16-bit PCM WAV file from the media tick without blocking it.
 *
 * The tick hands over samples (`append`), which are encoded into the current
 * chunk of a small pool of preallocated buffers (WavWriter.encodeInto). A
 * full chunk — half a second of audio — goes to a queue that one chain of
 * asynchronous writes empties in order; after each chunk the header at the
 * start of the file is rewritten with the sizes written so far. So at every
 * moment the file on disk is a valid WAV file holding every completed chunk:
 * a crash leaves a readable file, missing at most the last half second.
 *
 * The file is `<path>.part` while it is written and is renamed to `<path>`
 * by `close()`, after the last chunk and the final header: a file without
 * `.part` is complete, one with it is obviously not.
 *
 * When the disk falls so far behind that every chunk of the pool is queued
 * (8 s of audio), new samples are dropped and counted rather than buffered
 * without bound.
 */
import { type FileHandle, open, rename } from 'node:fs/promises';
import { StrowgerError } from '../../core/index.js';
import { WAV_HEADER_BYTES, WavWriter, writeWavHeader } from '../codecs/index.js';

/** Audio per chunk (ms): how often the file grows and its header is patched. */
export const WAV_CHUNK_MS = 500;
/** Chunks in the pool: the backlog a slow disk may build before samples are dropped. */
const POOL_CHUNKS = 16;

export class WavFileWriter {
  readonly path: string;
  readonly partPath: string;
  readonly sampleRate: number;
  readonly channels: number;
  readonly #fh: FileHandle;
  readonly #wav: WavWriter;
  readonly #free: Uint8Array[] = [];
  readonly #header = new Uint8Array(WAV_HEADER_BYTES);
  #chunk: Uint8Array | undefined;
  #chunkLen = 0;
  /** Bytes of samples handed to the queue (file offset of the next chunk − 44). */
  #queuedBytes = 0;
  /** Bytes of samples on disk. */
  #writtenBytes = 0;
  #io: Promise<void> = Promise.resolve();
  #closing: Promise<number> | undefined;
  /** The first write error; nothing more is written after one. */
  error: Error | undefined;
  /** Samples dropped because every chunk was queued. */
  droppedSamples = 0;

  private constructor(path: string, fh: FileHandle, sampleRate: number, channels: number) {
    this.path = path;
    this.partPath = `${path}.part`;
    this.#fh = fh;
    this.sampleRate = sampleRate;
    this.channels = channels;
    this.#wav = new WavWriter({ sampleRate, channels });
    const chunkBytes = Math.ceil((sampleRate * WAV_CHUNK_MS) / 1000) * channels * 2;
    for (let i = 0; i < POOL_CHUNKS; i++) this.#free.push(new Uint8Array(chunkBytes));
  }

  /** Creates `<path>.part` (replacing one left by an earlier crash) and writes its header. */
  static async open(path: string, sampleRate: number, channels: number): Promise<WavFileWriter> {
    if (typeof path !== 'string' || path.length === 0) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'recording path must be a non-empty string');
    }
    let fh: FileHandle;
    try {
      fh = await open(`${path}.part`, 'w');
    } catch (err) {
      throw new StrowgerError('ERR_STORAGE', `cannot create ${path}.part`, { cause: err });
    }
    const w = new WavFileWriter(path, fh, sampleRate, channels);
    try {
      // an empty but valid file from the start (sizes 0, patched as chunks land)
      writeWavHeader(w.#header, sampleRate, channels, 0);
      await fh.write(w.#header, 0, WAV_HEADER_BYTES, 0);
    } catch (err) {
      await fh.close().catch(() => {});
      throw new StrowgerError('ERR_STORAGE', `cannot write ${path}.part`, { cause: err });
    }
    return w;
  }

  /** Bytes of samples accepted so far (written or queued). */
  get dataBytes(): number {
    return this.#wav.dataBytes;
  }

  /** Bytes of samples on disk (covered by the header there). */
  get writtenBytes(): number {
    return this.#writtenBytes;
  }

  /**
   * Encodes `samples` interleaved values of `pcm` (whole sample frames).
   * Never waits; returns false when they had to be dropped.
   */
  append(pcm: Int16Array, samples: number): boolean {
    if (this.error || this.#closing) return false;
    let done = 0;
    while (done < samples) {
      if (!this.#chunk) {
        const c = this.#free.pop();
        if (!c) {
          this.droppedSamples += samples - done;
          return false;
        }
        this.#chunk = c;
        this.#chunkLen = 0;
      }
      const chunk = this.#chunk;
      const room = (chunk.length - this.#chunkLen) >> 1;
      const take = Math.min(room, samples - done);
      this.#encode(pcm, done, take, chunk);
      done += take;
      if (this.#chunkLen === chunk.length) this.#submit();
    }
    return true;
  }

  /** `pcm[from .. from+n)` into the chunk (WavWriter encodes from index 0: copy via the tail when offset). */
  #encode(pcm: Int16Array, from: number, n: number, chunk: Uint8Array): void {
    if (from === 0) {
      this.#chunkLen += this.#wav.encodeInto(pcm, chunk, n, this.#chunkLen);
      return;
    }
    // rare (a frame split across two chunks): a view for the rest
    this.#chunkLen += this.#wav.encodeInto(pcm.subarray(from, from + n), chunk, n, this.#chunkLen);
  }

  /** Queues the current chunk (if it holds anything) for writing, followed by a header patch. */
  #submit(): void {
    const chunk = this.#chunk;
    const len = this.#chunkLen;
    this.#chunk = undefined;
    this.#chunkLen = 0;
    if (!chunk) return;
    if (len === 0) {
      this.#free.push(chunk);
      return;
    }
    const position = WAV_HEADER_BYTES + this.#queuedBytes;
    this.#queuedBytes += len;
    this.#io = this.#io.then(async () => {
      if (this.error) return;
      try {
        let off = 0;
        while (off < len) {
          const { bytesWritten } = await this.#fh.write(chunk, off, len - off, position + off);
          if (bytesWritten <= 0) throw new Error('short write');
          off += bytesWritten;
        }
        this.#writtenBytes += len;
        writeWavHeader(this.#header, this.sampleRate, this.channels, this.#writtenBytes);
        await this.#fh.write(this.#header, 0, WAV_HEADER_BYTES, 0);
      } catch (err) {
        this.error = err instanceof Error ? err : new Error(String(err));
      } finally {
        this.#free.push(chunk);
      }
    });
  }

  /** Writes what is buffered now (the header follows) without closing. */
  flush(): void {
    if (!this.error && !this.#closing) this.#submit();
  }

  /** Resolves when everything queued so far is on disk. */
  drained(): Promise<void> {
    return this.#io;
  }

  /**
   * Writes the rest and the final header, closes the file and renames it to
   * `path` (unless a write failed: then `<path>.part` stays). Resolves with
   * the bytes of samples in the file. Idempotent.
   */
  close(): Promise<number> {
    if (!this.#closing) {
      this.#submit();
      this.#closing = (async () => {
        await this.#io;
        try {
          await this.#fh.sync().catch(() => {});
        } finally {
          await this.#fh.close().catch(() => {});
        }
        if (this.error) return this.#writtenBytes;
        try {
          await rename(this.partPath, this.path);
        } catch (err) {
          this.error = err instanceof Error ? err : new Error(String(err));
        }
        return this.#writtenBytes;
      })();
    }
    return this.#closing;
  }

  /** Stops writing and closes the file, leaving `<path>.part` as it is (a crash, seen from outside). */
  async abandon(): Promise<void> {
    if (this.#closing) {
      await this.#closing;
      return;
    }
    this.#closing = (async () => {
      await this.#io;
      await this.#fh.close().catch(() => {});
      return this.#writtenBytes;
    })();
    await this.#closing;
  }
}
