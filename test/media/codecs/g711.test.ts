import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALAW_DECODE_TABLE,
  alawToLinear,
  createCodecSync,
  decodeAlaw,
  decodeUlaw,
  encodeAlaw,
  encodeUlaw,
  linearToAlaw,
  linearToUlaw,
  ULAW_DECODE_TABLE,
  ulawToLinear,
} from '../../../src/media/codecs/index.js';
import { snrDb, speechLike } from './signals.js';

/**
 * The quantizer of ITU-T G.711 Tables 1a (A-law) and 2a (µ-law), written out
 * from the recommendation's segment structure: per segment, the first
 * reconstruction value and the step. Decision values lie half a step above
 * each reconstruction value. Values are in the recommendation's units:
 * 14-bit magnitudes for µ-law (×4 for 16-bit PCM), 13-bit for A-law (×8).
 */
const ULAW_SEGMENTS = [
  [0, 2],
  [33, 4],
  [99, 8],
  [231, 16],
  [495, 32],
  [1023, 64],
  [2079, 128],
  [4191, 256],
] as const;
const ALAW_SEGMENTS = [
  [1, 2],
  [33, 2],
  [66, 4],
  [132, 8],
  [264, 16],
  [528, 32],
  [1056, 64],
  [2112, 128],
] as const;

function levels(segments: ReadonlyArray<readonly [number, number]>): { y: number[]; decision: number[] } {
  const y: number[] = [];
  const decision: number[] = [];
  for (const [start, step] of segments) {
    for (let q = 0; q < 16; q++) {
      y.push(start + q * step);
      decision.push(start + q * step + step / 2);
    }
  }
  return { y, decision };
}
const ULAW = levels(ULAW_SEGMENTS);
const ALAW = levels(ALAW_SEGMENTS);

/** Index of the quantization interval holding magnitude m: the number of decision values ≤ m (max 127). */
function interval(decision: number[], m: number): number {
  let k = 0;
  while (k < 127 && (decision[k] as number) <= m) k++;
  return k;
}

/** µ-law character for interval k (segment k >> 4, step k & 15), positive or negative, per Table 2a. */
const ulawCode = (k: number, positive: boolean) => (positive ? 0xff : 0x7f) - k;
/** A-law character for interval k, with the even bits inverted, per Table 1a. */
const alawCode = (k: number, positive: boolean) => ((positive ? 0x80 : 0) | k) ^ 0x55;

describe('G.711 µ-law (PCMU)', () => {
  it('decodes every character to the reconstruction value of Table 2a', () => {
    for (let k = 0; k < 128; k++) {
      const y = (ULAW.y[k] as number) * 4;
      expect(ulawToLinear(ulawCode(k, true))).toBe(y);
      expect(ulawToLinear(ulawCode(k, false))).toBe(0 - y);
    }
  });

  it('matches well-known points: 0xFF → 0, 0x80 → +8031·4, 0x00 → −8031·4, 0xEF → 33·4', () => {
    expect(ulawToLinear(0xff)).toBe(0);
    expect(ulawToLinear(0x7f)).toBe(0);
    expect(ulawToLinear(0x80)).toBe(32124);
    expect(ulawToLinear(0x00)).toBe(-32124);
    expect(ulawToLinear(0xef)).toBe(132);
    expect(linearToUlaw(0)).toBe(0xff);
    expect(linearToUlaw(-1)).toBe(0x7f);
    expect(linearToUlaw(32767)).toBe(0x80);
    expect(linearToUlaw(-32768)).toBe(0x00);
  });

  it('encodes every 16-bit input to the interval its 14-bit magnitude falls in (decision values of Table 2a)', () => {
    const pcm = new Int16Array(65536);
    for (let i = 0; i < 65536; i++) pcm[i] = i - 32768;
    const out = new Uint8Array(65536);
    encodeUlaw(pcm, out, pcm.length);
    for (let i = 0; i < 65536; i++) {
      const x = i - 32768;
      const m = (x < 0 ? ~x : x) >> 2; // one's complement magnitude, top 14 bits
      const want = ulawCode(interval(ULAW.decision, m), x >= 0);
      if (out[i] !== want) expect({ x, code: out[i] }).toEqual({ x, code: want });
      if (linearToUlaw(x) !== want) expect({ x, scalar: linearToUlaw(x) }).toEqual({ x, scalar: want });
    }
  });

  it('decode(encode(decode(c))) === decode(c) for every character', () => {
    for (let c = 0; c < 256; c++) expect(ulawToLinear(linearToUlaw(ulawToLinear(c)))).toBe(ulawToLinear(c));
  });

  it('quantization error stays within half a step (or the overload margin)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -32768, max: 32767 }), (x) => {
        const y = ulawToLinear(linearToUlaw(x));
        return Math.abs(y - x) <= Math.abs(x) / 16 + 16 || Math.abs(x) > 32124;
      }),
    );
  });
});

describe('G.711 A-law (PCMA)', () => {
  it('decodes every character to the reconstruction value of Table 1a', () => {
    for (let k = 0; k < 128; k++) {
      const y = (ALAW.y[k] as number) * 8;
      expect(alawToLinear(alawCode(k, true))).toBe(y);
      expect(alawToLinear(alawCode(k, false))).toBe(-y);
    }
  });

  it('matches well-known points: 0xD5 → +8, 0x55 → −8, 0xAA → +4032·8, 0x2A → −4032·8', () => {
    expect(alawToLinear(0xd5)).toBe(8);
    expect(alawToLinear(0x55)).toBe(-8);
    expect(alawToLinear(0xaa)).toBe(32256);
    expect(alawToLinear(0x2a)).toBe(-32256);
    expect(linearToAlaw(0)).toBe(0xd5);
    expect(linearToAlaw(-1)).toBe(0x55);
    expect(linearToAlaw(32767)).toBe(0xaa);
    expect(linearToAlaw(-32768)).toBe(0x2a);
  });

  it('encodes every 16-bit input to the interval its 13-bit magnitude falls in (decision values of Table 1a)', () => {
    const pcm = new Int16Array(65536);
    for (let i = 0; i < 65536; i++) pcm[i] = i - 32768;
    const out = new Uint8Array(65536);
    encodeAlaw(pcm, out, pcm.length);
    for (let i = 0; i < 65536; i++) {
      const x = i - 32768;
      const m = (x < 0 ? ~x : x) >> 3;
      const want = alawCode(interval(ALAW.decision, m), x >= 0);
      if (out[i] !== want) expect({ x, code: out[i] }).toEqual({ x, code: want });
      if (linearToAlaw(x) !== want) expect({ x, scalar: linearToAlaw(x) }).toEqual({ x, scalar: want });
    }
  });

  it('decode(encode(decode(c))) === decode(c) for every character', () => {
    for (let c = 0; c < 256; c++) expect(alawToLinear(linearToAlaw(alawToLinear(c)))).toBe(alawToLinear(c));
  });

  it('quantization error stays within half a step (or the overload margin)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -32768, max: 32767 }), (x) => {
        const y = alawToLinear(linearToAlaw(x));
        return Math.abs(y - x) <= Math.abs(x) / 16 + 8 || Math.abs(x) > 32256;
      }),
    );
  });
});

describe('G.711 tables and codecs', () => {
  it('the decode tables are the scalar functions', () => {
    for (let c = 0; c < 256; c++) {
      expect(ULAW_DECODE_TABLE[c]).toBe(ulawToLinear(c));
      expect(ALAW_DECODE_TABLE[c]).toBe(alawToLinear(c));
    }
  });

  it('bulk decode equals the tables for any payload', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (payload) => {
        const u = new Int16Array(payload.length);
        const a = new Int16Array(payload.length);
        decodeUlaw(payload, u, payload.length);
        decodeAlaw(payload, a, payload.length);
        return payload.every((c, i) => u[i] === ulawToLinear(c) && a[i] === alawToLinear(c));
      }),
    );
  });

  for (const law of ['PCMU', 'PCMA'] as const) {
    it(`${law} keeps SNR ≥ 35 dB on speech-like audio at normal and loud levels`, () => {
      const codec = createCodecSync(law);
      for (const peak of [8000, 24000]) {
        const x = speechLike({ seconds: 10, seed: peak, peak });
        const bytes = new Uint8Array(160);
        const y = new Int16Array(x.length);
        const frame = new Int16Array(160);
        for (let i = 0; i + 160 <= x.length; i += 160) {
          for (let k = 0; k < 160; k++) frame[k] = x[i + k] as number;
          const n = codec.encode(frame, bytes);
          codec.decode(bytes, frame, n);
          y.set(frame, i);
        }
        expect(snrDb(x, y, 0, x.length)).toBeGreaterThanOrEqual(35);
      }
    });

    it(`${law} round trip is idempotent after the first pass (property)`, () => {
      const codec = createCodecSync(law);
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: 1, maxLength: 320 }),
          (xs) => {
            const pcm = Int16Array.from(xs);
            const b1 = new Uint8Array(pcm.length);
            const once = new Int16Array(pcm.length);
            codec.encode(pcm, b1);
            codec.decode(b1, once);
            const b2 = new Uint8Array(pcm.length);
            codec.encode(once, b2);
            return b1.every((v, i) =>
              codec.name === 'PCMU' ? ulawToLinear(v) === ulawToLinear(b2[i] as number) : v === b2[i],
            );
          },
        ),
      );
    });
  }
});
