/**
 * Bit-exactness against an independent G.722 implementation (FFmpeg 5.1's
 * encoder and decoder), through fixtures made by
 * test/fixtures/g722/generate.ts: FFmpeg's encoding of each input is kept as
 * octets, FFmpeg's decoding of each stream at 64/56/48 kbit/s as a SHA-256.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type G722Bitrate, G722Decoder, G722Encoder } from '../../../src/media/codecs/index.js';
import { sweepSignal, vowelSignal } from './g722-signals.js';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'g722');

interface Manifest {
  peer: string;
  encoded: Record<string, { input: string; samples: number; decoded: Record<string, string> }>;
  decodedOnly: Record<string, { input: string; decoded: Record<string, string> }>;
}

const manifest = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as Manifest;
const RATES: G722Bitrate[] = [64000, 56000, 48000];

function bytesOf(file: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, file)));
}

function sha256(view: ArrayBufferView): string {
  return createHash('sha256')
    .update(new Uint8Array(view.buffer, view.byteOffset, view.byteLength))
    .digest('hex');
}

function speech(): Int16Array {
  const b = bytesOf('speech.pcm');
  return new Int16Array(b.buffer, b.byteOffset, b.byteLength >> 1);
}

const INPUTS: Record<string, () => Int16Array> = {
  speech,
  vowel: () => vowelSignal(16000),
  sweep: () => sweepSignal(16000),
};

describe('G.722 against FFmpeg (fixtures)', () => {
  it('has a fixture for every input', () => {
    expect(Object.keys(manifest.encoded).sort()).toEqual(Object.keys(INPUTS).sort());
    expect(manifest.peer).toMatch(/^ffmpeg version/);
  });

  for (const [name, make] of Object.entries(INPUTS)) {
    const entry = manifest.encoded[name]!;

    it(`${name}: the input is the one the fixture was made from`, () => {
      const pcm = make();
      expect(pcm.length).toBe(entry.samples);
      expect(sha256(pcm)).toBe(entry.input);
    });

    it(`${name}: encodes to the same octets as FFmpeg`, () => {
      const pcm = make();
      const expected = bytesOf(`${name}.g722`);
      const out = new Uint8Array(pcm.length >> 1);
      expect(new G722Encoder().encode(pcm, out)).toBe(expected.length);
      expect(Buffer.from(out).equals(Buffer.from(expected))).toBe(true);
    });

    it(`${name}: encoding 20 ms frames gives FFmpeg's octets too`, () => {
      const pcm = make();
      const expected = bytesOf(`${name}.g722`);
      const enc = new G722Encoder();
      const out = new Uint8Array(pcm.length >> 1);
      const frame = new Uint8Array(160);
      let k = 0;
      for (let i = 0; i < pcm.length; i += 320) {
        const n = enc.encode(pcm.subarray(i, i + 320), frame);
        out.set(frame.subarray(0, n), k);
        k += n;
      }
      expect(k).toBe(expected.length);
      expect(Buffer.from(out).equals(Buffer.from(expected))).toBe(true);
    });

    for (const rate of RATES) {
      it(`${name}: decodes FFmpeg's stream at ${rate / 1000} kbit/s to FFmpeg's samples`, () => {
        const data = bytesOf(`${name}.g722`);
        const out = new Int16Array(data.length * 2);
        expect(new G722Decoder({ bitrate: rate }).decode(data, out)).toBe(out.length);
        expect(sha256(out)).toBe(entry.decoded[rate]);
      });
    }
  }

  for (const rate of RATES) {
    it(`decodes arbitrary octets at ${rate / 1000} kbit/s to FFmpeg's samples`, () => {
      const entry = manifest.decodedOnly.random!;
      const data = bytesOf('random.g722');
      expect(sha256(data)).toBe(entry.input);
      const out = new Int16Array(data.length * 2);
      new G722Decoder({ bitrate: rate }).decode(data, out);
      expect(sha256(out)).toBe(entry.decoded[rate]);
    });
  }
});
