import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { isStrowgerError } from '../../../src/core/index.js';
import {
  alawToLinear,
  decodeWav,
  encodeWav,
  linearToAlaw,
  linearToUlaw,
  parseWavHeader,
  ulawToLinear,
  WAV_HEADER_BYTES,
  WavParseError,
  WavWriter,
} from '../../../src/media/codecs/index.js';
import { amplitudeAt, sine } from './signals.js';

/** Little-endian field builders for hand-made fixtures. */
const le16 = (v: number) => [v & 0xff, (v >> 8) & 0xff];
const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
function chunk(id: string, body: number[], declared = body.length): number[] {
  return [...ascii(id), ...le32(declared), ...body, ...(body.length & 1 ? [0] : [])];
}
function fmtBody(tag: number, channels: number, rate: number, bits: number): number[] {
  const align = (channels * bits) / 8;
  return [
    ...le16(tag),
    ...le16(channels),
    ...le32(rate),
    ...le32(rate * align),
    ...le16(align),
    ...le16(bits),
  ];
}
function riff(chunks: number[][]): Uint8Array {
  const body = chunks.flat();
  return Uint8Array.from([...ascii('RIFF'), ...le32(4 + body.length), ...ascii('WAVE'), ...body]);
}

function expectParseError(bytes: Uint8Array, offset?: number): void {
  try {
    decodeWav(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(WavParseError);
    expect((err as WavParseError).code).toBe('ERR_WAV_PARSE');
    if (offset !== undefined) expect((err as WavParseError).offset).toBe(offset);
    return;
  }
  throw new Error('expected ERR_WAV_PARSE');
}

describe('WAV reader', () => {
  it('reads 8-bit unsigned PCM', () => {
    const f = riff([chunk('fmt ', fmtBody(1, 1, 8000, 8)), chunk('data', [0x80, 0xff, 0x00, 0x81])]);
    const w = decodeWav(f);
    expect(w.info.encoding).toBe('pcm8');
    expect(Array.from(w.samples)).toEqual([0, 127 << 8, -128 << 8, 1 << 8]);
  });

  it('reads µ-law (format 7) with a fact chunk, and A-law (format 6)', () => {
    const codes = [0xff, 0x80, 0x00, 0xef];
    const mu = decodeWav(
      riff([
        chunk('fmt ', [...fmtBody(7, 1, 8000, 8), ...le16(0)]),
        chunk('fact', le32(4)),
        chunk('data', codes),
      ]),
    );
    expect(mu.info.encoding).toBe('mulaw');
    expect(Array.from(mu.samples)).toEqual([0, 32124, -32124, 132]);
    const a = decodeWav(riff([chunk('fmt ', fmtBody(6, 1, 8000, 8)), chunk('data', [0xd5, 0xaa])]));
    expect(a.info.encoding).toBe('alaw');
    expect(Array.from(a.samples)).toEqual([8, 32256]);
  });

  it('reads stereo 16-bit around a LIST chunk of odd size (padding byte) and an unknown chunk', () => {
    const f = riff([
      chunk('LIST', [...ascii('INFO'), 1]), // 5 bytes + pad
      chunk('fmt ', fmtBody(1, 2, 44100, 16)),
      chunk('junk', [1, 2, 3]),
      chunk('data', [...le16(1000), ...le16(-1000 & 0xffff), ...le16(-32768 & 0xffff), ...le16(32767)]),
    ]);
    const w = decodeWav(f);
    expect(w).toMatchObject({ sampleRate: 44100, channels: 2 });
    expect(Array.from(w.samples)).toEqual([1000, -1000, -32768, 32767]);
    expect(w.info.frames).toBe(2);
  });

  it('reads WAVE_FORMAT_EXTENSIBLE, 24-bit and float files', () => {
    const ext = [
      ...fmtBody(0xfffe, 1, 16000, 16),
      ...le16(22),
      ...le16(16),
      ...le32(4),
      ...le16(1),
      ...new Array(14).fill(0),
    ];
    expect(Array.from(decodeWav(riff([chunk('fmt ', ext), chunk('data', le16(300))])).samples)).toEqual([
      300,
    ]);
    const s24 = decodeWav(riff([chunk('fmt ', fmtBody(1, 1, 48000, 24)), chunk('data', [0xff, 0x34, 0x12])]));
    expect(Array.from(s24.samples)).toEqual([0x1234]);
    const fl = new Uint8Array(new Float32Array([0.5, -1, 2]).buffer);
    const f32 = decodeWav(riff([chunk('fmt ', fmtBody(3, 1, 8000, 32)), chunk('data', Array.from(fl))]));
    expect(Array.from(f32.samples)).toEqual([16384, -32768, 32767]);
  });

  it('throws ERR_WAV_PARSE with the offset on bad files', () => {
    expectParseError(new Uint8Array(5), 0);
    expectParseError(Uint8Array.from([...ascii('RIFX'), 0, 0, 0, 0, ...ascii('WAVE')]), 0);
    expectParseError(Uint8Array.from([...ascii('RIFF'), 0, 0, 0, 0, ...ascii('AVI ')]), 8);
    expectParseError(riff([chunk('data', [1, 2])]));
    expectParseError(riff([chunk('fmt ', fmtBody(1, 1, 8000, 16))]));
    expectParseError(riff([chunk('fmt ', fmtBody(1, 1, 8000, 16).slice(0, 14)), chunk('data', [])]), 16);
    expectParseError(riff([chunk('fmt ', fmtBody(85, 1, 8000, 16)), chunk('data', [])]), 20); // MP3
    expectParseError(riff([chunk('fmt ', fmtBody(2, 1, 8000, 4)), chunk('data', [])]), 20); // MS ADPCM
    const badAlign = fmtBody(1, 2, 8000, 16);
    badAlign[12] = 3;
    expectParseError(riff([chunk('fmt ', badAlign), chunk('data', [])]), 32);
    expectParseError(riff([chunk('fmt ', fmtBody(1, 0, 8000, 16)), chunk('data', [])]), 22);
    expectParseError(riff([chunk('fmt ', fmtBody(1, 1, 0, 16)), chunk('data', [])]), 24);
  });

  it('rejects a data chunk that claims more than the file holds, unless allowTruncated', () => {
    const f = riff([chunk('fmt ', fmtBody(1, 1, 8000, 16)), chunk('data', [1, 0, 2, 0, 3], 1000)]);
    expectParseError(f, 40);
    const w = decodeWav(f, { allowTruncated: true });
    expect(w.info.truncated).toBe(true);
    expect(Array.from(w.samples)).toEqual([1, 2, 3]); // what is there: 5 bytes + the pad byte
  });

  it('never throws anything but ERR_WAV_PARSE on damaged files (fuzz)', () => {
    const good = encodeWav(sine(440, 8000, 200, 9000), { sampleRate: 8000 });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: good.length }),
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.nat(255)), { maxLength: 8 }),
        (cut, edits) => {
          const b = good.slice(0, cut);
          for (const [at, v] of edits) if (at < b.length) b[at] = v;
          try {
            decodeWav(b, { allowTruncated: cut % 2 === 0 });
            return true;
          } catch (err) {
            return isStrowgerError(err, 'ERR_WAV_PARSE');
          }
        },
      ),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (junk) => {
        try {
          decodeWav(junk);
          return true;
        } catch (err) {
          return isStrowgerError(err, 'ERR_WAV_PARSE');
        }
      }),
    );
  });

  it('converts 44.1 kHz stereo to 8 kHz mono (general-ratio path) keeping the tone level and duration', () => {
    const n = 44100;
    const st = new Int16Array(n * 2);
    const t = sine(1000, 44100, n, 10000);
    for (let i = 0; i < n; i++) {
      st[2 * i] = t[i] as number;
      st[2 * i + 1] = t[i] as number;
    }
    const w = decodeWav(encodeWav(st, { sampleRate: 44100, channels: 2 }), { sampleRate: 8000, channels: 1 });
    expect(w).toMatchObject({ sampleRate: 8000, channels: 1 });
    expect(w.samples.length).toBe(8000);
    expect(amplitudeAt(w.samples, 1000, 8000, 2000, 4000)).toBeCloseTo(10000, -1);
  });

  it.each([11025, 22050, 16000, 48000])('converts %i Hz mono to 16 kHz', (rate) => {
    const w = decodeWav(encodeWav(sine(700, rate, rate, 8000), { sampleRate: rate }), { sampleRate: 16000 });
    expect(w.samples.length).toBe(16000);
    expect(amplitudeAt(w.samples, 700, 16000, 4000, 8000)).toBeCloseTo(8000, -1);
  });
});

describe('WAV writer', () => {
  it('encodeWav ∘ decodeWav is the identity for 16-bit mono and stereo (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2),
        fc.constantFrom(8000, 16000, 44100, 48000),
        fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 300 }),
        (channels, sampleRate, xs) => {
          const samples = Int16Array.from(xs.slice(0, xs.length - (xs.length % channels)));
          const w = decodeWav(encodeWav(samples, { sampleRate, channels }));
          return (
            w.sampleRate === sampleRate &&
            w.channels === channels &&
            w.samples.length === samples.length &&
            w.samples.every((v, i) => v === samples[i])
          );
        },
      ),
    );
  });

  it('streams: header with unknown size, data in preallocated frames, then the patched header', () => {
    const w = new WavWriter({ sampleRate: 8000 });
    const head = w.header();
    expect(head.length).toBe(WAV_HEADER_BYTES);
    const frames = [sine(300, 8000, 160, 5000), sine(600, 8000, 160, 5000), sine(900, 8000, 160, 5000)];
    const buf = new Uint8Array(320);
    const parts: Uint8Array[] = [head];
    for (const f of frames) parts.push(buf.slice(0, w.encodeInto(f, buf)));
    const unfinished = Uint8Array.from(parts.flatMap((p) => Array.from(p)));
    // a reader sees an unpatched file through to its end
    expect(decodeWav(unfinished).samples.length).toBe(480);
    const file = unfinished.slice();
    file.set(w.finalHeader(), 0);
    expect(w.dataBytes).toBe(960);
    expect(parseWavHeader(file).dataBytes).toBe(960);
    const all = new Int16Array(480);
    frames.forEach((f, i) => {
      all.set(f, i * 160);
    });
    expect(Array.from(file)).toEqual(Array.from(encodeWav(all, { sampleRate: 8000 })));
  });

  it('rejects formats and buffers it cannot write', () => {
    expect(() => new WavWriter({ sampleRate: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    expect(() => encodeWav(new Int16Array(3), { sampleRate: 8000, channels: 2 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    expect(() =>
      new WavWriter({ sampleRate: 8000 }).encodeInto(new Int16Array(160), new Uint8Array(100)),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });
});

describe('WAV interoperability with sox', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strowger-wav-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const sox = (...args: string[]) => execFileSync('sox', args, { encoding: 'utf8' }).trim();

  it('sox --i reads the files we write (mono 8 kHz, stereo 48 kHz, streamed with a patched header)', () => {
    const mono = join(dir, 'mono.wav');
    writeFileSync(mono, encodeWav(sine(440, 8000, 8000, 8000), { sampleRate: 8000 }));
    expect(sox('--i', '-r', mono)).toBe('8000');
    expect(sox('--i', '-c', mono)).toBe('1');
    expect(sox('--i', '-s', mono)).toBe('8000');
    expect(sox('--i', '-b', mono)).toBe('16');
    expect(sox('--i', '-e', mono)).toBe('Signed Integer PCM');

    const stereo = join(dir, 'stereo.wav');
    writeFileSync(stereo, encodeWav(new Int16Array(48000 * 2), { sampleRate: 48000, channels: 2 }));
    expect(sox('--i', '-r', stereo)).toBe('48000');
    expect(sox('--i', '-c', stereo)).toBe('2');
    expect(sox('--i', '-s', stereo)).toBe('48000');

    const w = new WavWriter({ sampleRate: 16000 });
    const buf = new Uint8Array(640);
    const body: number[] = [];
    for (let i = 0; i < 50; i++)
      body.push(...buf.subarray(0, w.encodeInto(sine(1000, 16000, 320, 3000), buf)));
    const file = Uint8Array.from([...w.header(), ...body]);
    file.set(w.finalHeader(), 0);
    const streamed = join(dir, 'streamed.wav');
    writeFileSync(streamed, file);
    expect(sox('--i', '-s', streamed)).toBe('16000');
    expect(sox('--i', '-D', streamed)).toBe('1.000000');
  });

  it('reads the files sox writes: µ-law, A-law, 8-bit, 44.1 kHz stereo', () => {
    const cases: Array<[string, string[], string]> = [
      ['ulaw.wav', ['-r', '8000', '-c', '1', '-e', 'u-law'], 'mulaw'],
      ['alaw.wav', ['-r', '8000', '-c', '1', '-e', 'a-law'], 'alaw'],
      ['u8.wav', ['-r', '8000', '-c', '1', '-b', '8', '-e', 'unsigned-integer'], 'pcm8'],
      ['cd.wav', ['-r', '44100', '-c', '2', '-b', '16'], 'pcm16'],
    ];
    for (const [name, fmt, encoding] of cases) {
      const path = join(dir, name);
      sox('-n', ...fmt, path, 'synth', '0.5', 'sine', '1000', 'vol', '0.5');
      const w = decodeWav(readFileSync(path), { sampleRate: 8000, channels: 1 });
      expect(w.info.encoding).toBe(encoding);
      expect(w.samples.length).toBe(4000);
      // sox's "vol 0.5" sine: amplitude ≈ 16384, through the codec (and resampler) on the way
      expect(amplitudeAt(w.samples, 1000, 8000, 1000, 2000) / 16384).toBeCloseTo(1, 1);
    }
    // G.711 files decode to reconstruction values of the laws (no conversion asked)
    const mu = decodeWav(readFileSync(join(dir, 'ulaw.wav')));
    expect(mu.samples.every((v) => ulawToLinear(linearToUlaw(v)) === v)).toBe(true);
    const al = decodeWav(readFileSync(join(dir, 'alaw.wav')));
    expect(al.samples.every((v) => alawToLinear(linearToAlaw(v)) === v)).toBe(true);
  });
});
