/**
 * What an endpoint can play on the tick: call-progress tones and in-band DTMF
 * from `media/audio`'s ToneGenerator, PCM handed over by the host, and WAV
 * files read in the worker. A player fills one frame per tick and says when
 * it is done; the endpoint encodes and sends what it produces.
 */
import { readFile } from 'node:fs/promises';
import { StrowgerError } from '../../core/index.js';
import {
  dtmfToneSpec,
  TONE_NAMES,
  TONE_REGIONS,
  ToneGenerator,
  type ToneName,
  type ToneRegion,
  type ToneSampleRate,
  toneSpec,
} from '../audio/index.js';
import { decodeWav, resampleBuffer } from '../codecs/index.js';
import type { PlaySource } from './types.js';

export interface Player {
  /** Writes the next `frame.length` samples; returns how many belong to the content (the rest is zero). */
  fill(frame: Int16Array): number;
  readonly done: boolean;
}

const TONE_RATES: readonly number[] = [8000, 16000, 48000];

class TonePlayer implements Player {
  readonly #gen: ToneGenerator;
  #left: number;

  constructor(gen: ToneGenerator, maxSamples: number) {
    this.#gen = gen;
    this.#left = maxSamples;
  }

  get done(): boolean {
    return this.#gen.done || this.#left <= 0;
  }

  fill(frame: Int16Array): number {
    if (this.done) {
      frame.fill(0);
      return 0;
    }
    let n = this.#gen.fill(frame);
    if (n > this.#left) {
      frame.fill(0, this.#left);
      n = this.#left;
    }
    this.#left -= n;
    return n;
  }
}

class PcmPlayer implements Player {
  readonly #pcm: Int16Array;
  #pos = 0;

  constructor(pcm: Int16Array) {
    this.#pcm = pcm;
  }

  get done(): boolean {
    return this.#pos >= this.#pcm.length;
  }

  fill(frame: Int16Array): number {
    const n = Math.min(frame.length, this.#pcm.length - this.#pos);
    for (let i = 0; i < n; i++) frame[i] = this.#pcm[this.#pos + i] as number;
    if (n < frame.length) frame.fill(0, Math.max(0, n));
    this.#pos += Math.max(0, n);
    return Math.max(0, n);
  }
}

function toneRate(rate: number): ToneSampleRate {
  if (!TONE_RATES.includes(rate)) {
    throw new StrowgerError('ERR_NOT_SUPPORTED', `tones are generated at 8, 16 or 48 kHz, not ${rate} Hz`);
  }
  return rate as ToneSampleRate;
}

/** Builds a player producing `sampleRate` PCM for `source`. */
export async function createPlayer(source: PlaySource, sampleRate: number): Promise<Player> {
  if (source === null || typeof source !== 'object') {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'play source must be an object');
  }
  if ('tone' in source) {
    const region = (source.region ?? 'us') as ToneRegion;
    if (!(TONE_REGIONS as readonly string[]).includes(region)) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', `unknown tone region ${String(source.region)}`);
    }
    if (!(TONE_NAMES as readonly string[]).includes(source.tone)) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', `unknown tone ${String(source.tone)}`);
    }
    const gen = new ToneGenerator(toneSpec(region, source.tone as ToneName), {
      sampleRate: toneRate(sampleRate),
    });
    const d = source.durationMs;
    if (d !== undefined && !(d > 0))
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'durationMs must be > 0');
    return new TonePlayer(
      gen,
      d === undefined ? Number.POSITIVE_INFINITY : Math.round((d * sampleRate) / 1000),
    );
  }
  if ('dtmfTones' in source) {
    const spec = dtmfToneSpec(source.dtmfTones, {
      ...(source.toneMs === undefined ? {} : { toneMs: source.toneMs }),
      ...(source.gapMs === undefined ? {} : { gapMs: source.gapMs }),
    });
    return new TonePlayer(
      new ToneGenerator(spec, { sampleRate: toneRate(sampleRate) }),
      Number.POSITIVE_INFINITY,
    );
  }
  if ('pcm' in source) {
    if (
      !(source.pcm instanceof Int16Array) ||
      !(Number.isInteger(source.sampleRate) && source.sampleRate > 0)
    ) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'pcm must be an Int16Array with an integer sampleRate');
    }
    const pcm =
      source.sampleRate === sampleRate
        ? source.pcm
        : resampleBuffer(source.pcm, source.sampleRate, sampleRate, 1);
    return new PcmPlayer(pcm);
  }
  if ('file' in source) {
    if (typeof source.file !== 'string')
      throw new StrowgerError('ERR_INVALID_ARGUMENT', 'file must be a path');
    let bytes: Uint8Array;
    try {
      bytes = await readFile(source.file);
    } catch (err) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', `cannot read ${source.file}`, { cause: err });
    }
    return new PcmPlayer(decodeWav(bytes, { sampleRate, channels: 1 }).samples);
  }
  throw new StrowgerError('ERR_INVALID_ARGUMENT', 'play source needs tone, dtmfTones, pcm or file');
}
