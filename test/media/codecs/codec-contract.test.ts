/**
 * One contract suite run against every AudioCodec the registry makes (and a
 * composed codec as plug-ins would build it): metadata, frame sizes,
 * preallocated buffers, bounds, lifecycle, no allocation per frame, and a
 * round-trip quality floor per codec.
 */
import { describe, expect, it } from 'vitest';
import { isStrowgerError } from '../../../src/core/index.js';
import {
  type AudioCodec,
  type CodecFactory,
  type CodecOptions,
  CodecRegistry,
  composeCodec,
  createCodec,
  createCodecRegistry,
  decodeUlaw,
  encodeUlaw,
  rtpTimestampDelta,
} from '../../../src/media/codecs/index.js';
import { alignedSnrDb, speechLike } from './signals.js';

interface Case {
  label: string;
  name: string;
  options: CodecOptions;
  clockRate: number;
  sampleRate: number;
  staticPayloadType: number | undefined;
  /** SNR floor of a speech-like round trip, dB (Infinity: bit-exact). */
  minSnr: number;
  make?: () => Promise<AudioCodec>;
}

const CASES: Case[] = [
  {
    label: 'PCMU',
    name: 'PCMU',
    options: {},
    clockRate: 8000,
    sampleRate: 8000,
    staticPayloadType: 0,
    minSnr: 35,
  },
  {
    label: 'PCMA',
    name: 'PCMA',
    options: {},
    clockRate: 8000,
    sampleRate: 8000,
    staticPayloadType: 8,
    minSnr: 35,
  },
  // G.722 at 64 kbit/s: ~20-33 dB on these signals (see g722-snr tests); the floor leaves margin.
  {
    label: 'G722',
    name: 'G722',
    options: {},
    clockRate: 8000,
    sampleRate: 16000,
    staticPayloadType: 9,
    minSnr: 15,
  },
  ...[8000, 16000, 48000].map((r) => ({
    label: `L16/${r}`,
    name: 'L16',
    options: { sampleRate: r },
    clockRate: r,
    sampleRate: r,
    staticPayloadType: undefined,
    minSnr: Number.POSITIVE_INFINITY,
  })),
  // Opus is perceptual (SILK's noise shaping, CELT's band energies): waveform SNR is low by design.
  // On these signals at the default bitrates (16/24/32 kbit/s) it measures 5–8 dB at 8 kHz,
  // 8–12 dB at 16 kHz and 6–12 dB at 48 kHz; the floors leave margin. Silence or a misaligned
  // stream scores ≤ 0 dB.
  ...[
    [8000, 3],
    [16000, 5],
    [48000, 4],
  ].map(([r, snr]) => ({
    label: `opus/${r}`,
    name: 'opus',
    options: { sampleRate: r },
    clockRate: 48000,
    sampleRate: r as number,
    staticPayloadType: undefined,
    minSnr: snr as number,
  })),
  {
    label: 'composed (plug-in shape)',
    name: 'XMU',
    options: {},
    clockRate: 8000,
    sampleRate: 8000,
    staticPayloadType: undefined,
    minSnr: 35,
    make: async () =>
      composeCodec(
        { name: 'XMU', clockRate: 8000, sampleRate: 8000, maxBytesPerSample: 1 },
        {
          encode: (pcm, out) => {
            encodeUlaw(pcm, out, pcm.length);
            return pcm.length;
          },
        },
        {
          decode: (payload, out) => {
            decodeUlaw(payload, out, payload.length);
            return payload.length;
          },
        },
      ),
  },
];

const make = (c: Case) => (c.make ? c.make() : createCodec(c.name, c.options));

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    expect(isStrowgerError(err)).toBe(true);
    expect((err as { code: string }).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

/**
 * Bytes of JS heap growth per call of `fn`, the least over five rounds of `n`
 * calls after a warm-up, skipping rounds a GC ran in. Without a GC inside a round, growth is
 * what the round allocated; JIT work can add to one round, never to all five. A call that
 * allocates even one small view grows every round by ~100 bytes per call.
 */
function heapGrowthPerCall(fn: () => void, n: number): number {
  for (let i = 0; i < 3 * n; i++) fn();
  let least = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < n; i++) fn();
    const growth = (process.memoryUsage().heapUsed - before) / n;
    if (growth >= 0) least = Math.min(least, growth); // a round with a GC in it shrinks: skip it
  }
  return least;
}

it('heap measurement control: a call that allocates a view per frame shows up in the measurement', () => {
  const buf = new Uint8Array(320);
  let keep: Uint8Array | undefined;
  expect(
    heapGrowthPerCall(() => {
      keep = buf.subarray(0, 160);
    }, 1000),
  ).toBeGreaterThan(40);
  expect(keep?.length).toBe(160);
});

describe.each(CASES)('AudioCodec contract: $label', (c) => {
  it('describes itself: name, clock rate, PCM rate, payload type, 20 ms frame', async () => {
    const codec = await make(c);
    expect(codec.name.toLowerCase()).toBe(c.name.toLowerCase());
    expect(codec.clockRate).toBe(c.clockRate);
    expect(codec.sampleRate).toBe(c.sampleRate);
    expect(codec.channels).toBe(1);
    expect(codec.staticPayloadType).toBe(c.staticPayloadType);
    expect(codec.frameSamples).toBe(c.sampleRate / 50);
    expect(rtpTimestampDelta(codec, codec.frameSamples)).toBe(c.clockRate / 50);
    codec.close();
  });

  it('encodes and decodes 20 ms frames into preallocated buffers without writing past the result', async () => {
    const codec = await make(c);
    const n = codec.frameSamples;
    const pcm = new Int16Array(n);
    for (let i = 0; i < n; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / c.sampleRate));
    const bytes = new Uint8Array(codec.maxEncodedBytes(n) + 16).fill(0xee);
    const out = new Int16Array(n + 16).fill(12345);
    for (let f = 0; f < 5; f++) {
      const b = codec.encode(pcm, bytes);
      expect(b).toBeGreaterThan(0);
      expect(b).toBeLessThanOrEqual(codec.maxEncodedBytes(n));
      expect(bytes.subarray(codec.maxEncodedBytes(n)).every((v) => v === 0xee)).toBe(true);
      const m = codec.decode(bytes, out, b);
      expect(m).toBe(n);
      expect(out.subarray(n).every((v) => v === 12345)).toBe(true);
    }
    codec.close();
  });

  it('encodes a prefix when given a length, and decodes a prefix of a larger buffer', async () => {
    const codec = await make(c);
    const n = codec.frameSamples;
    const big = new Int16Array(n * 3).fill(1000);
    const bytes = new Uint8Array(codec.maxEncodedBytes(n));
    const b = codec.encode(big, bytes, n);
    const payload = new Uint8Array(b + 50);
    payload.set(bytes.subarray(0, b));
    const out = new Int16Array(n * 6);
    expect(codec.decode(payload, out, b)).toBe(n);
    codec.close();
  });

  it(`round-trips speech-like audio with SNR ≥ ${c.minSnr} dB`, async () => {
    const codec = await make(c);
    const n = codec.frameSamples;
    const x = speechLike({ seconds: c.name === 'opus' ? 2.5 : 4, sampleRate: c.sampleRate, seed: 11 });
    const y = new Int16Array(x.length + n);
    const frame = new Int16Array(n);
    const bytes = new Uint8Array(codec.maxEncodedBytes(n));
    const dec = new Int16Array(n);
    for (let i = 0; i + n <= x.length; i += n) {
      for (let k = 0; k < n; k++) frame[k] = x[i + k] as number;
      const b = codec.encode(frame, bytes);
      const m = codec.decode(bytes, dec, b);
      y.set(dec.subarray(0, m), i);
    }
    const end = x.length - n * 2;
    if (c.minSnr === Number.POSITIVE_INFINITY) {
      expect(Array.from(y.subarray(0, end))).toEqual(Array.from(x.subarray(0, end)));
    } else {
      const snr = alignedSnrDb(x, y, c.sampleRate, n);
      expect(snr).toBeGreaterThanOrEqual(c.minSnr);
    }
    codec.close();
  });

  it('does not allocate per frame (the heap does not grow over rounds of encode/decode/conceal calls)', async () => {
    const codec = await make(c);
    const n = codec.frameSamples;
    const pcm = new Int16Array(n).map((_, i) => Math.round(3000 * Math.sin(i / 5)));
    const bytes = new Uint8Array(codec.maxEncodedBytes(n));
    const out = new Int16Array(n);
    let b = codec.encode(pcm, bytes);
    const iterations = c.name === 'opus' ? 100 : 1000;
    expect(
      heapGrowthPerCall(() => {
        b = codec.encode(pcm, bytes);
      }, iterations),
    ).toBeLessThan(16);
    expect(heapGrowthPerCall(() => codec.decode(bytes, out, b), iterations)).toBeLessThan(16);
    if (codec.conceal) expect(heapGrowthPerCall(() => codec.conceal?.(out, n), iterations)).toBeLessThan(16);
    codec.close();
  });

  it('rejects buffers that are too small and lengths out of range with ERR_INVALID_ARGUMENT', async () => {
    const codec = await make(c);
    const n = codec.frameSamples;
    const pcm = new Int16Array(n);
    expectCode(() => codec.encode(pcm, new Uint8Array(0)), 'ERR_INVALID_ARGUMENT');
    expectCode(
      () => codec.encode(pcm, new Uint8Array(codec.maxEncodedBytes(n)), n + 1),
      'ERR_INVALID_ARGUMENT',
    );
    const bytes = new Uint8Array(codec.maxEncodedBytes(n));
    const b = codec.encode(pcm, bytes);
    expectCode(() => codec.decode(bytes, new Int16Array(1), b), 'ERR_INVALID_ARGUMENT');
    expectCode(() => codec.decode(bytes, new Int16Array(n), bytes.length + 1), 'ERR_INVALID_ARGUMENT');
    codec.close();
  });

  it('close() is idempotent and later calls throw ERR_CLOSED', async () => {
    const codec = await make(c);
    expect(codec.closed).toBe(false);
    codec.close();
    codec.close();
    expect(codec.closed).toBe(true);
    const n = codec.frameSamples;
    expectCode(() => codec.encode(new Int16Array(n), new Uint8Array(4000)), 'ERR_CLOSED');
    expectCode(() => codec.decode(new Uint8Array([0xf8, 1, 2]), new Int16Array(n * 6)), 'ERR_CLOSED');
  });
});

describe('CodecRegistry', () => {
  it('holds the built-ins, matches names case-insensitively and finds static payload types', () => {
    const reg = createCodecRegistry();
    expect(reg.names().sort()).toEqual(['G722', 'L16', 'PCMA', 'PCMU', 'opus']);
    expect(reg.get('pcmu')?.name).toBe('PCMU');
    expect(reg.get('OPUS')?.clockRate).toBe(48000);
    expect(reg.byPayloadType(0)?.name).toBe('PCMU');
    expect(reg.byPayloadType(8)?.name).toBe('PCMA');
    expect(reg.byPayloadType(9)?.name).toBe('G722');
    expect(reg.byPayloadType(18)).toBeUndefined();
  });

  it('takes a plug-in codec (the G.722 shape: separate encoder and decoder) and creates it by name', async () => {
    const reg = new CodecRegistry();
    // stand-ins for the G722Encoder / G722Decoder classes: 2 samples per byte
    const makeG722 = () =>
      composeCodec(
        { name: 'G722', clockRate: 8000, sampleRate: 16000, staticPayloadType: 9, maxBytesPerSample: 0.5 },
        {
          encode: (pcm, out) => {
            out.fill(0, 0, pcm.length / 2);
            return pcm.length / 2;
          },
        },
        {
          decode: (payload, out) => {
            out.fill(0, 0, payload.length * 2);
            return payload.length * 2;
          },
        },
      );
    reg.register({
      name: 'G722',
      clockRate: 8000,
      staticPayloadType: 9,
      sampleRates: [16000],
      createSync: makeG722,
      create: async () => makeG722(),
    });
    expect(reg.byPayloadType(9)?.name).toBe('G722');
    const g = reg.createSync('g722');
    expect(rtpTimestampDelta(g, g.frameSamples)).toBe(160); // RFC 3551: 8000 clock for 16 kHz audio
    expect(g.encode(new Int16Array(320), new Uint8Array(160))).toBe(160);
    expect((await reg.create('G722')).sampleRate).toBe(16000);
    expectCode(() => reg.register(reg.get('g722') as CodecFactory), 'ERR_INVALID_STATE');
    expect(reg.unregister('G722')).toBe(true);
    expect(reg.has('G722')).toBe(false);
  });

  it('refuses unknown names with ERR_NOT_SUPPORTED and sync creation of opus', async () => {
    const reg = createCodecRegistry();
    expectCode(() => reg.createSync('speex'), 'ERR_NOT_SUPPORTED');
    await expect(reg.create('speex')).rejects.toMatchObject({ code: 'ERR_NOT_SUPPORTED' });
    expectCode(() => reg.createSync('opus'), 'ERR_NOT_SUPPORTED');
    expectCode(() => reg.createSync('PCMU', { sampleRate: 16000 }), 'ERR_NOT_SUPPORTED');
    await expect(reg.create('opus', { sampleRate: 44100 })).rejects.toMatchObject({
      code: 'ERR_NOT_SUPPORTED',
    });
    await expect(reg.create('L16', { sampleRate: 12345 })).rejects.toMatchObject({
      code: 'ERR_NOT_SUPPORTED',
    });
  });
});
