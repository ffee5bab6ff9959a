import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { OpusDecoder } from 'opus-decoder';
import { describe, expect, it } from 'vitest';
import {
  createCodec,
  createOpusCodec,
  loadOpus,
  OpusCodec,
  opusPacketDuration,
  plcToc,
} from '../../../src/media/codecs/index.js';
import { alignedSnrDb, speechLike } from './signals.js';

function encodeStream(codec: OpusCodec, x: Int16Array): Uint8Array[] {
  const n = codec.frameSamples;
  const frame = new Int16Array(n);
  const bytes = new Uint8Array(codec.maxEncodedBytes(n));
  const packets: Uint8Array[] = [];
  for (let i = 0; i + n <= x.length; i += n) {
    frame.set(x.subarray(i, i + n));
    packets.push(bytes.slice(0, codec.encode(frame, bytes)));
  }
  return packets;
}

describe('Opus codec', () => {
  it('uses the RFC 7587 clock (48000) at every PCM rate and reports its settings', async () => {
    for (const sampleRate of [8000, 16000, 48000]) {
      const c = await createOpusCodec({ sampleRate, bitrate: 20000, fec: true, packetLossPercent: 5 });
      expect(c.clockRate).toBe(48000);
      expect(c.options).toMatchObject({
        sampleRate,
        bitrate: 20000,
        fec: true,
        packetLossPercent: 5,
        complexity: 5,
      });
      c.close();
    }
  });

  it('produces packets a stock libopus decoder (opus-decoder public API) decodes to the same PCM', async () => {
    const codec = await createOpusCodec({ sampleRate: 16000 });
    const x = speechLike({ seconds: 1, sampleRate: 16000, seed: 5 });
    const packets = encodeStream(codec, x);
    const ref = new OpusDecoder({ sampleRate: 16000, channels: 1 });
    await ref.ready;
    const out = new Int16Array(320);
    for (const p of packets) {
      const n = codec.decode(p, out);
      const r = ref.decodeFrame(p);
      expect(r.samplesDecoded).toBe(n);
      const want = Array.from(r.channelData[0] as Float32Array, (f) =>
        Math.max(-32768, Math.min(32767, Math.round(f * 32768))),
      );
      expect(Array.from(out.subarray(0, n))).toEqual(want);
    }
    ref.free();
    codec.close();
  });

  it('conceal() is libopus PLC for exactly the lost 20 ms (same as the decoder PLC on an empty frame)', async () => {
    const codec = await createOpusCodec({ sampleRate: 8000 });
    const x = speechLike({ seconds: 1, sampleRate: 8000, seed: 9 });
    const packets = encodeStream(codec, x);
    const ref = new OpusDecoder({ sampleRate: 8000, channels: 1 });
    await ref.ready;
    const out = new Int16Array(160);
    for (const p of packets.slice(0, 20)) {
      codec.decode(p, out);
      ref.decodeFrame(p);
    }
    expect(codec.conceal(out, 160)).toBe(160);
    const plc = ref.decodeFrame(new Uint8Array(0)); // opus-decoder conceals 120 ms here
    expect(plc.samplesDecoded).toBeGreaterThanOrEqual(160);
    const want = Array.from((plc.channelData[0] as Float32Array).subarray(0, 160), (f) =>
      Math.round(f * 32768),
    );
    expect(Array.from(out)).toEqual(want);
    expect(out.some((v) => v !== 0)).toBe(true);
    // and decoding goes on after a concealed frame
    expect(codec.decode(packets[21] as Uint8Array, out)).toBe(160);
    ref.free();
    codec.close();
  });

  it('conceal() takes multiples of 10 ms and yields silence before any packet', async () => {
    const codec = await createOpusCodec({ sampleRate: 16000 });
    const out = new Int16Array(960).fill(7);
    expect(codec.conceal(out, 320)).toBe(320);
    expect(out.subarray(0, 320).every((v) => v === 0)).toBe(true);
    const packets = encodeStream(codec, speechLike({ seconds: 0.5, sampleRate: 16000, seed: 2 }));
    for (const p of packets) codec.decode(p, out);
    expect(codec.conceal(out, 480)).toBe(480); // 20 ms + 10 ms
    expect(() => codec.conceal(out, 100)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    codec.close();
  });

  it('plcToc keeps mode, bandwidth and stereo flag and sets a 20 or 10 ms code-0 frame', () => {
    // SILK WB 60 ms (config 11), mono, code 3 → SILK WB 20 ms (config 9) code 0
    expect(plcToc((11 << 3) | 3, true)).toBe(9 << 3);
    expect(plcToc((11 << 3) | 3, false)).toBe(8 << 3);
    // Hybrid FB 10 ms (config 14), stereo → config 15
    expect(plcToc((14 << 3) | 4, true)).toBe((15 << 3) | 4);
    // CELT FB 2.5 ms (config 28) → 20 ms (31) / 10 ms (30)
    expect(plcToc(28 << 3, true)).toBe(31 << 3);
    expect(plcToc(28 << 3, false)).toBe(30 << 3);
  });

  it('opusPacketDuration reads the TOC and frame count (RFC 6716 §3.1-3.2)', async () => {
    expect(opusPacketDuration(Uint8Array.of(9 << 3))).toBe(960); // SILK WB 20 ms, code 0
    expect(opusPacketDuration(Uint8Array.of((3 << 3) | 1))).toBe(5760); // SILK NB 60 ms × 2 (code 1)
    expect(opusPacketDuration(Uint8Array.of((16 << 3) | 2))).toBe(240); // CELT NB 2.5 ms × 2 (code 2)
    expect(opusPacketDuration(Uint8Array.of((31 << 3) | 3, 3))).toBe(2880); // CELT FB 20 ms × 3 (code 3)
    expect(opusPacketDuration(Uint8Array.of((31 << 3) | 3, 0))).toBe(-1);
    expect(opusPacketDuration(Uint8Array.of())).toBe(-1);
    const codec = await createOpusCodec({ sampleRate: 8000 });
    const bytes = new Uint8Array(4000);
    const n = codec.encode(new Int16Array(480), bytes); // 60 ms
    expect((opusPacketDuration(bytes, n) * 8000) / 48000).toBe(480);
    // a too-small buffer is refused before the decoder state moves: the next decode is unaffected
    const twin = await createOpusCodec({ sampleRate: 8000 });
    expect(() => codec.decode(bytes, new Int16Array(160), n)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    const a = new Int16Array(480);
    const b = new Int16Array(480);
    codec.decode(bytes, a, n);
    twin.decode(bytes, b, n);
    expect(Array.from(a)).toEqual(Array.from(b));
    codec.close();
    twin.close();
  });

  it('rejects malformed packets with ERR_CODEC and frames libopus cannot encode with ERR_INVALID_ARGUMENT', async () => {
    const codec = await createOpusCodec({ sampleRate: 48000 });
    const out = new Int16Array(5760);
    expect(() => codec.decode(new Uint8Array(0), out)).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC' }),
    );
    // code 3 packet with a frame count of 0 is invalid (RFC 6716 §3.2.5)
    expect(() => codec.decode(new Uint8Array([0x03, 0x00]), out)).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC' }),
    );
    expect(() => codec.decode(new Uint8Array(5000), out)).toThrow(
      expect.objectContaining({ code: 'ERR_CODEC' }),
    );
    expect(() => codec.encode(new Int16Array(500), new Uint8Array(4000))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    // 10 ms and 60 ms frames are fine
    expect(codec.encode(new Int16Array(480), new Uint8Array(4000))).toBeGreaterThan(0);
    expect(codec.encode(new Int16Array(2880), new Uint8Array(4000))).toBeGreaterThan(0);
    codec.close();
  });

  it('keeps working after hundreds of other encoders grew the shared WASM heap', async () => {
    const first = await createOpusCodec({ sampleRate: 8000 });
    const x = speechLike({ seconds: 0.4, sampleRate: 8000, seed: 4 });
    const before = encodeStream(first, x).length;
    const { native } = await loadOpus();
    const heap = native.HEAPU8.length;
    const others = await Promise.all(
      Array.from({ length: 200 }, () => createOpusCodec({ sampleRate: 48000 })),
    );
    expect(native.HEAPU8.length).toBeGreaterThan(heap); // the precondition: the heap did grow
    expect(encodeStream(first, x).length).toBe(before);
    const out = new Int16Array(160);
    for (const p of encodeStream(first, x)) expect(first.decode(p, out)).toBe(160);
    for (const o of others) o.close();
    first.close();
  }, 20_000);

  it('a higher bitrate gives a better waveform match', async () => {
    const x = speechLike({ seconds: 2, sampleRate: 48000, seed: 8 });
    const snr: number[] = [];
    for (const bitrate of [12000, 64000]) {
      const c = await createOpusCodec({ sampleRate: 48000, bitrate });
      const y = new Int16Array(x.length + 960);
      const out = new Int16Array(960);
      let i = 0;
      for (const p of encodeStream(c, x)) {
        y.set(out.subarray(0, c.decode(p, out)), i);
        i += 960;
      }
      snr.push(alignedSnrDb(x, y, 48000, 960));
      c.close();
    }
    expect(snr[1] as number).toBeGreaterThan((snr[0] as number) + 3);
  });

  it('runs inside worker_threads (each thread loads its own WASM)', async () => {
    const entry = fileURLToPath(new URL('../../../src/media/codecs/index.ts', import.meta.url));
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      (async () => {
        const { tsImport } = await import('tsx/esm/api');
        const m = await tsImport(workerData.entry, workerData.parent);
        const c = await m.createCodec('opus', { sampleRate: 16000 });
        const pcm = new Int16Array(320).map((_, i) => Math.round(5000 * Math.sin(i / 4)));
        const bytes = new Uint8Array(4000);
        const out = new Int16Array(320);
        let total = 0;
        for (let f = 0; f < 50; f++) total += c.decode(bytes, out, c.encode(pcm, bytes));
        total += c.conceal(out, 320);
        c.close();
        parentPort.postMessage({ total });
      })().catch((e) => parentPort.postMessage({ error: String((e && e.stack) || e) }));
    `;
    const results = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<{ total?: number; error?: string }>((resolve, reject) => {
            const w = new Worker(code, { eval: true, workerData: { entry, parent: import.meta.url } });
            w.once('message', (m) => {
              resolve(m);
              void w.terminate();
            });
            w.once('error', reject);
          }),
      ),
    );
    for (const r of results) expect(r).toEqual({ total: 51 * 320 });
  }, 30_000);

  it('createCodec("opus") from the default registry gives an OpusCodec', async () => {
    const c = await createCodec('OPUS', { sampleRate: 8000 });
    expect(c).toBeInstanceOf(OpusCodec);
    c.close();
  });

  it('validates options with typed errors', async () => {
    await expect(createOpusCodec({ bitrate: 100 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(createOpusCodec({ complexity: 11 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(createOpusCodec({ channels: 3 })).rejects.toMatchObject({ code: 'ERR_NOT_SUPPORTED' });
  });
});
