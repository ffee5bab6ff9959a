/** The examples of docs/codecs.md, run as written (imports from src instead of 'strowger/media'). */
import { describe, expect, it } from 'vitest';
import {
  CodecRegistry,
  composeCodec,
  createCodec,
  createCodecSync,
  DtmfDetector,
  type DtmfDigitEvent,
  DtmfGenerator,
  decodeWav,
  encodeWav,
  Resampler,
  rtpTimestampDelta,
  syncCodecFactory,
  WavWriter,
} from '../../../src/media/codecs/index.js';

describe('docs/codecs.md examples', () => {
  it('Codecs: encode, decode, conceal, timestamps', async () => {
    const pcmu = createCodecSync('PCMU');
    const opus = await createCodec('opus', { sampleRate: 16000, bitrate: 24000 });
    const pcm = new Int16Array(opus.frameSamples);
    const payload = new Uint8Array(opus.maxEncodedBytes(pcm.length));
    const out = new Int16Array(opus.frameSamples);
    const bytes = opus.encode(pcm, payload);
    const samples = opus.decode(payload, out, bytes);
    opus.conceal?.(out, opus.frameSamples);
    expect(rtpTimestampDelta(opus, samples)).toBe(960);
    opus.close();
    expect(pcmu.staticPayloadType).toBe(0);
  });

  it('the G.722 plug-in registration', () => {
    // stand-ins with the shape of the G.722 classes being written elsewhere
    class G722Encoder {
      encode(pcm: Int16Array, out: Uint8Array): number {
        for (let i = 0; i < pcm.length / 2; i++) out[i] = 0;
        return pcm.length / 2;
      }
    }
    class G722Decoder {
      decode(payload: Uint8Array, out: Int16Array): number {
        out.fill(0, 0, payload.length * 2);
        return payload.length * 2;
      }
    }
    const codecs = new CodecRegistry();
    codecs.register(
      syncCodecFactory({
        name: 'G722',
        clockRate: 8000,
        staticPayloadType: 9,
        sampleRates: [16000],
        create: () =>
          composeCodec(
            {
              name: 'G722',
              clockRate: 8000,
              sampleRate: 16000,
              staticPayloadType: 9,
              maxBytesPerSample: 0.5,
              maxSamplesPerByte: 2,
            },
            new G722Encoder(),
            new G722Decoder(),
          ),
      }),
    );
    const g = codecs.createSync('G722');
    const payload = new Uint8Array(g.maxEncodedBytes(320));
    expect(g.encode(new Int16Array(320), payload)).toBe(160);
    expect(g.decode(payload, new Int16Array(320))).toBe(320);
    expect(() => g.decode(payload, new Int16Array(319))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });

  it('Resampler', () => {
    const r = new Resampler({ inputRate: 8000, outputRate: 16000 });
    const frame = new Int16Array(160);
    const out = new Int16Array(r.outputCapacity(160));
    expect(r.process(frame, out)).toBe(320);
  });

  it('DTMF', () => {
    const det = new DtmfDetector();
    const seen: DtmfDigitEvent[] = [];
    det.on('digit', (e) => seen.push(e));
    const gen = new DtmfGenerator({ levelDbm0: -8, twistDb: 2 });
    const out = new Int16Array(1600);
    gen.generate('5', out, 400, 400);
    det.process(out);
    det.flush();
    expect(seen.map((e) => e.digit)).toEqual(['5']);
  });

  it('WAV', () => {
    const bytes = encodeWav(new Int16Array(16000), { sampleRate: 16000, channels: 1 });
    const { samples, sampleRate, channels, info } = decodeWav(bytes, { sampleRate: 8000, channels: 1 });
    expect([samples.length, sampleRate, channels, info.sampleRate]).toEqual([8000, 8000, 1, 16000]);
    const parts: Uint8Array[] = [];
    const w = new WavWriter({ sampleRate: 8000 });
    parts.push(w.header());
    const buf = new Uint8Array(320);
    parts.push(buf.slice(0, w.encodeInto(new Int16Array(160), buf)));
    const file = Uint8Array.from(parts.flatMap((p) => Array.from(p)));
    file.set(w.finalHeader(), 0);
    expect(decodeWav(file).info.frames).toBe(160);
  });
});
