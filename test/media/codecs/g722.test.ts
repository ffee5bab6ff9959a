import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStrowgerError } from '../../../src/core/index.js';
import { type G722Bitrate, G722Decoder, G722Encoder } from '../../../src/media/codecs/index.js';
import { bestDelay, noiseSignal, snrDb, sweepSignal, vowelSignal } from './g722-signals.js';

const RATES: G722Bitrate[] = [64000, 56000, 48000];
/** The transmit and receive QMFs together delay the signal by 22 samples at 16 kHz. */
const CODEC_DELAY = 22;

function encodeAll(pcm: Int16Array, bitrate: G722Bitrate = 64000): Uint8Array {
  const out = new Uint8Array(pcm.length >> 1);
  new G722Encoder({ bitrate }).encode(pcm, out);
  return out;
}

function decodeAll(data: Uint8Array, bitrate: G722Bitrate = 64000): Int16Array {
  const out = new Int16Array(data.length * 2);
  new G722Decoder({ bitrate }).decode(data, out);
  return out;
}

function speech(): Int16Array {
  const b = new Uint8Array(readFileSync(join(__dirname, '..', '..', 'fixtures', 'g722', 'speech.pcm')));
  return new Int16Array(b.buffer, b.byteOffset, b.byteLength >> 1);
}

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    expect(isStrowgerError(err)).toBe(true);
    expect((err as { code: string }).code).toBe(code);
    return;
  }
  expect.fail('expected a StrowgerError');
}

describe('G.722 round trip quality', () => {
  // Bounds are the figures measured on these signals less about 3 dB (see docs/g722.md).
  const cases: [name: string, make: () => Int16Array, minSnr: Record<G722Bitrate, number>][] = [
    ['vowel with a pitch glide', () => vowelSignal(32000), { 64000: 30, 56000: 25, 48000: 19 }],
    ['quiet vowel (-31 dBFS peak)', () => vowelSignal(32000, 5, 900), { 64000: 18, 56000: 17, 48000: 15 }],
    ['speech (espeak-ng)', speech, { 64000: 21, 56000: 20, 48000: 17 }],
    ['tone sweep 50-7000 Hz', () => sweepSignal(32000), { 64000: 24, 56000: 24, 48000: 24 }],
  ];
  for (const [name, make, minSnr] of cases) {
    for (const rate of RATES) {
      it(`${name} survives encode/decode at ${rate / 1000} kbit/s with SNR >= ${minSnr[rate]} dB`, () => {
        const pcm = make();
        const decoded = decodeAll(encodeAll(pcm, rate), rate);
        expect(bestDelay(pcm, decoded)).toBe(CODEC_DELAY);
        expect(snrDb(pcm, decoded, CODEC_DELAY)).toBeGreaterThanOrEqual(minSnr[rate]);
      });
    }
  }

  it('a mode with more bits is never worse on voiced sound', () => {
    const pcm = vowelSignal(32000);
    const bytes = encodeAll(pcm);
    const snr = RATES.map((r) => snrDb(pcm, decodeAll(bytes, r), CODEC_DELAY));
    expect(snr[0]).toBeGreaterThan(snr[1]!);
    expect(snr[1]).toBeGreaterThan(snr[2]!);
  });

  it('passes every part of the 50-7000 Hz band (segmental SNR of a sweep)', () => {
    const n = 64000;
    const pcm = sweepSignal(n, 50, 7000);
    const decoded = decodeAll(encodeAll(pcm));
    // 32 segments of 125 ms, each about 216 Hz wide; the first starts at 50 Hz.
    const seg = n / 32;
    for (let s = 1; s < 32; s++) {
      const ref = pcm.subarray(s * seg, (s + 1) * seg);
      const dec = decoded.subarray(s * seg, (s + 1) * seg + CODEC_DELAY);
      expect(snrDb(ref, dec, CODEC_DELAY, 0), `segment ${s}`).toBeGreaterThan(15);
    }
  });

  it('silence stays near silence', () => {
    const decoded = decodeAll(encodeAll(new Int16Array(3200)));
    for (const x of decoded) expect(Math.abs(x)).toBeLessThanOrEqual(4);
  });

  it('full-scale input (clipped sine, square wave) stays bounded and recognisable', () => {
    const n = 16000;
    const sine = new Int16Array(n);
    const square = new Int16Array(n);
    for (let i = 0; i < n; i++) {
      sine[i] = Math.max(
        -32768,
        Math.min(32767, Math.round(60000 * Math.sin((2 * Math.PI * 300 * i) / 16000))),
      );
      square[i] = Math.floor(i / 20) % 2 ? 32767 : -32768;
    }
    for (const pcm of [sine, square]) {
      const decoded = decodeAll(encodeAll(pcm));
      expect(snrDb(pcm, decoded, CODEC_DELAY)).toBeGreaterThan(8);
    }
  });
});

describe('G.722 streaming', () => {
  /** Splits `length` into chunk sizes drawn from `sizes` (cycled), the last chunk taking the rest. */
  function chunks(length: number, sizes: number[]): number[] {
    const out: number[] = [];
    let at = 0;
    for (let i = 0; at < length; i++) {
      const n = Math.min(sizes[i % sizes.length] as number, length - at);
      out.push(n);
      at += n;
    }
    return out;
  }

  it('encoding frames of any size (odd, empty, one sample) gives the octets of one big frame', () => {
    const pcm = vowelSignal(4001, 9);
    const whole = encodeAll(pcm);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 1, maxLength: 12 }), (sizes) => {
        fc.pre(sizes.some((s) => s > 0));
        const enc = new G722Encoder();
        const out = new Uint8Array(whole.length);
        const scratch = new Uint8Array(400);
        let at = 0;
        let k = 0;
        for (const n of chunks(pcm.length, sizes)) {
          expect(enc.encodedLength(n)).toBe((n + enc.pendingSamples) >> 1);
          const wrote = enc.encode(pcm.subarray(at, at + n), scratch);
          out.set(scratch.subarray(0, wrote), k);
          k += wrote;
          at += n;
        }
        expect(k).toBe(whole.length);
        expect(enc.pendingSamples).toBe(1); // 4001 samples: the last one waits for its pair
        expect(Buffer.from(out).equals(Buffer.from(whole))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('decoding octets in pieces of any size gives the samples of one call', () => {
    const data = encodeAll(speech()).subarray(0, 3000);
    for (const rate of RATES) {
      const whole = decodeAll(data, rate);
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 10 }), (sizes) => {
          fc.pre(sizes.some((s) => s > 0));
          const dec = new G722Decoder({ bitrate: rate });
          const out = new Int16Array(whole.length);
          let at = 0;
          for (const n of chunks(data.length, sizes)) {
            expect(dec.decode(data.subarray(at, at + n), out.subarray(2 * at))).toBe(2 * n);
            at += n;
          }
          expect(out).toEqual(whole);
        }),
        { numRuns: 30 },
      );
    }
  });

  it('reset() returns encoder and decoder to their initial state', () => {
    const pcm = vowelSignal(2000, 4);
    const enc = new G722Encoder();
    enc.encode(noiseSignal(999), new Uint8Array(500)); // leaves one sample pending
    enc.reset();
    expect(enc.pendingSamples).toBe(0);
    const out = new Uint8Array(1000);
    enc.encode(pcm, out);
    expect(out).toEqual(encodeAll(pcm));

    const dec = new G722Decoder();
    dec.decode(encodeAll(noiseSignal(1000)), new Int16Array(1000));
    dec.reset();
    const samples = new Int16Array(2000);
    dec.decode(out, samples);
    expect(samples).toEqual(decodeAll(out));
  });

  it('returns 0 and writes nothing for empty input', () => {
    expect(new G722Encoder().encode(new Int16Array(0), new Uint8Array(0))).toBe(0);
    expect(new G722Decoder().decode(new Uint8Array(0), new Int16Array(0))).toBe(0);
  });
});

describe('G.722 modes', () => {
  it('a 56 or 48 kbit/s encoder sends the auxiliary data bits as zeros and the audio bits unchanged', () => {
    const pcm = vowelSignal(4000, 6);
    const full = encodeAll(pcm, 64000);
    const m2 = encodeAll(pcm, 56000);
    const m3 = encodeAll(pcm, 48000);
    for (let i = 0; i < full.length; i++) {
      expect(m2[i]).toBe((full[i] as number) & 0xfe);
      expect(m3[i]).toBe((full[i] as number) & 0xfc);
    }
  });

  it('a 56 kbit/s decoder ignores the lowest bit and a 48 kbit/s decoder the two lowest', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.uint8Array({ minLength: 300, maxLength: 300 }),
        (data, noise) => {
          const flipped1 = data.map((b, i) => b ^ ((noise[i] as number) & 1));
          const flipped2 = data.map((b, i) => b ^ ((noise[i] as number) & 3));
          expect(decodeAll(flipped1, 56000)).toEqual(decodeAll(data, 56000));
          expect(decodeAll(flipped2, 48000)).toEqual(decodeAll(data, 48000));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('the 64 kbit/s decoder uses the lowest bits', () => {
    const data = encodeAll(vowelSignal(2000, 8));
    const flipped = data.map((b) => b ^ 1);
    expect(decodeAll(flipped)).not.toEqual(decodeAll(data));
  });
});

describe('G.722 robustness', () => {
  it('decodes arbitrary octets at every rate without throwing, two samples per octet', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.constantFrom(...RATES), (data, rate) => {
        const out = new Int16Array(data.length * 2 + 3);
        out.fill(12345);
        expect(new G722Decoder({ bitrate: rate }).decode(data, out)).toBe(data.length * 2);
        expect(out[data.length * 2]).toBe(12345); // nothing written past the samples it reports
      }),
      { numRuns: 200 },
    );
  });

  it('runs of the loudest codeword drive the predictor into saturation without wrapping', () => {
    // 0x20 / 0x04 are the largest positive / negative lower-band codes; long runs
    // push the zero-section predictor output past 16 bits, where the
    // Recommendation's 16-bit words saturate.
    const data = new Uint8Array(20000);
    for (let i = 0; i < data.length; i++) data[i] = i % 4000 < 2000 ? 0x20 : 0x04;
    const out = decodeAll(data);
    let max = 0;
    let min = 0;
    for (const x of out) {
      max = Math.max(max, x);
      min = Math.min(min, x);
    }
    expect(max).toBeGreaterThan(16000);
    expect(min).toBeLessThan(-16000);
    // The lower band (the mean of each output pair, as the higher band here sits
    // at the Nyquist rate) follows the sign of the codes instead of wrapping around.
    const lowerBand = (i: number) => ((out[2 * i] as number) + (out[2 * i + 1] as number)) / 2;
    for (const i of [1000, 1999, 5000, 5999]) expect(lowerBand(i)).toBeGreaterThan(16000);
    for (const i of [3000, 3999, 7000, 7999]) expect(lowerBand(i)).toBeLessThan(-16000);
  });

  it('encodes arbitrary PCM into octets that its own decoder follows', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: 2, maxLength: 400 }),
        (xs) => {
          const pcm = Int16Array.from(xs);
          const bytes = encodeAll(pcm);
          expect(bytes.length).toBe(pcm.length >> 1);
          expect(decodeAll(bytes).length).toBe(bytes.length * 2);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('rejects an output buffer that is too small with ERR_INVALID_ARGUMENT and keeps its state', () => {
    const pcm = vowelSignal(641, 3);
    const enc = new G722Encoder();
    expectCode(() => enc.encode(pcm, new Uint8Array(319)), 'ERR_INVALID_ARGUMENT');
    const out = new Uint8Array(320);
    expect(enc.encode(pcm, out)).toBe(320);
    expect(out).toEqual(encodeAll(pcm));

    const dec = new G722Decoder();
    expectCode(() => dec.decode(out, new Int16Array(639)), 'ERR_INVALID_ARGUMENT');
    const samples = new Int16Array(640);
    expect(dec.decode(out, samples)).toBe(640);
    expect(samples).toEqual(decodeAll(out));
  });

  it('rejects an unknown bit rate with ERR_INVALID_ARGUMENT', () => {
    expectCode(() => new G722Encoder({ bitrate: 32000 as G722Bitrate }), 'ERR_INVALID_ARGUMENT');
    expectCode(() => new G722Decoder({ bitrate: 8000 as G722Bitrate }), 'ERR_INVALID_ARGUMENT');
    expect(new G722Decoder().bitrate).toBe(64000);
    expect(new G722Encoder({ bitrate: 48000 }).bitrate).toBe(48000);
  });
});
