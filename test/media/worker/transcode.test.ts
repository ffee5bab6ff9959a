/**
 * Transcoding through the engine (in-process worker, MemoryNetwork, FakeClock):
 * jitter buffer → decode → resample → encode on the tick, with concealment on
 * loss, and DTMF carried across.
 *
 * SNR bounds: Opus does not preserve the waveform (docs/codecs.md measures
 * 5–8 dB on this synthetic speech at 8 kHz with libopus alone), so an Opus leg
 * is held to ≥ 4 dB, the G.711-only paths to ≥ 30 dB, G.722 (compared at
 * 16 kHz) to ≥ 20 dB. A broken path (misaligned, dropped or repeated frames,
 * wrong rate) scores ≤ 0 dB.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AudioCodec,
  createCodec,
  DtmfDetector,
  resampleBuffer,
} from '../../../src/media/codecs/index.js';
import type { CodecSpec, DtmfEvent, MediaEndpoint } from '../../../src/media/worker/index.js';
import { alignedSnrDb, speechLike } from '../codecs/signals.js';
import {
  decodePayloads,
  G722,
  inProcessEngine,
  OPUS,
  PCMA,
  PCMU,
  Phone,
  TE,
  TE48,
  type TestEngine,
  telephoneEvent,
  ulawFrames,
} from './helpers.js';

let t: TestEngine | undefined;
afterEach(async () => {
  await t?.engine.close();
  t = undefined;
});

async function transcodeCall(
  aCodecs: CodecSpec[],
  bCodecs: CodecSpec[],
): Promise<{ t: TestEngine; a: MediaEndpoint; b: MediaEndpoint; pa: Phone; pb: Phone }> {
  t = await inProcessEngine();
  const a = await t.engine.createEndpoint({ codecs: aCodecs, remote: { address: '10.0.0.2', port: 4000 } });
  const b = await t.engine.createEndpoint({
    near: a,
    codecs: bCodecs,
    remote: { address: '10.0.0.3', port: 5000 },
  });
  const session = await t.engine.transcode(a, b);
  expect(session.kind).toBe('transcode');
  return {
    t,
    a,
    b,
    pa: new Phone(t.net, '10.0.0.2', 4000, 0xa1),
    pb: new Phone(t.net, '10.0.0.3', 5000, 0xb1),
  };
}

async function decodeAll(codec: AudioCodec, payloads: Uint8Array[]): Promise<Int16Array> {
  const out = new Int16Array(payloads.length * 2000);
  const tmp = new Int16Array(5760);
  let o = 0;
  for (const p of payloads) {
    const n = codec.decode(p, tmp);
    out.set(tmp.subarray(0, n), o);
    o += n;
  }
  codec.close();
  return out.subarray(0, o);
}

const SPEECH = speechLike({ seconds: 3, sampleRate: 8000, seed: 3 });

describe('transcoding', () => {
  it('PCMU → Opus delivers the audio (SNR ≥ 4 dB against the input)', async () => {
    const { t, a, pa, pb } = await transcodeCall([PCMU, TE], [OPUS]);
    for (const f of ulawFrames(SPEECH)) {
      pa.send(a.local.rtpPort, 0, f);
      await t.clock.advanceAsync(20);
    }
    await t.clock.advanceAsync(200);
    const got = pb.rtp();
    expect(got.every((p) => p.pt === 111)).toBe(true);
    expect(got.slice(1).every((p, i) => (p.ts - (got[i] as { ts: number }).ts) >>> 0 === 960)).toBe(true);
    const pcm = await decodeAll(
      await createCodec('opus', { sampleRate: 8000 }),
      got.map((p) => p.payload),
    );
    expect(alignedSnrDb(SPEECH, pcm, 8000, 1600)).toBeGreaterThanOrEqual(4);
  });

  it('Opus → PCMU delivers the audio (SNR ≥ 4 dB against the input)', async () => {
    const { t, b, pa, pb } = await transcodeCall([PCMU, TE], [OPUS]);
    const enc = await createCodec('opus', { sampleRate: 8000 });
    const buf = new Uint8Array(1500);
    for (let i = 0; i + 160 <= SPEECH.length; i += 160) {
      const n = enc.encode(SPEECH.subarray(i, i + 160), buf, 160);
      pb.send(b.local.rtpPort, 111, buf.slice(0, n), { tsStep: 960 });
      await t.clock.advanceAsync(20);
    }
    enc.close();
    await t.clock.advanceAsync(200);
    const got = pa.rtp();
    expect(got.every((p) => p.pt === 0 && p.payload.length === 160)).toBe(true);
    expect(
      alignedSnrDb(SPEECH, decodePayloads(got.map((p) => p.payload)), 8000, 1600),
    ).toBeGreaterThanOrEqual(4);
  });

  it('PCMU → PCMA keeps G.711 quality (SNR ≥ 30 dB)', async () => {
    const { t, a, pa, pb } = await transcodeCall([PCMU], [PCMA]);
    for (const f of ulawFrames(SPEECH)) {
      pa.send(a.local.rtpPort, 0, f);
      await t.clock.advanceAsync(20);
    }
    await t.clock.advanceAsync(200);
    const got = pb.rtp();
    expect(got.every((p) => p.pt === 8)).toBe(true);
    expect(
      alignedSnrDb(
        SPEECH,
        decodePayloads(
          got.map((p) => p.payload),
          'alaw',
        ),
        8000,
        1600,
      ),
    ).toBeGreaterThan(30);
  });

  it('PCMU → G.722 resamples 8 → 16 kHz (SNR ≥ 20 dB at 16 kHz)', async () => {
    const { t, a, pa, pb } = await transcodeCall([PCMU], [G722]);
    for (const f of ulawFrames(SPEECH)) {
      pa.send(a.local.rtpPort, 0, f);
      await t.clock.advanceAsync(20);
    }
    await t.clock.advanceAsync(200);
    const got = pb.rtp();
    expect(got.every((p) => p.pt === 9 && p.payload.length === 160)).toBe(true);
    const pcm = await decodeAll(
      await createCodec('G722', { sampleRate: 16000 }),
      got.map((p) => p.payload),
    );
    const ref = resampleBuffer(SPEECH, 8000, 16000, 1);
    expect(alignedSnrDb(ref, pcm, 16000, 3200)).toBeGreaterThan(20);
  });

  it('conceals lost packets: one frame out per tick, concealment counted, audio still close to the input', async () => {
    const { t, a, pa, pb } = await transcodeCall([PCMU], [PCMA]);
    const frames = ulawFrames(SPEECH);
    for (let i = 0; i < frames.length; i++) {
      if (i % 20 === 7) {
        pa.seq++;
        pa.ts += 160;
      } else {
        pa.send(a.local.rtpPort, 0, frames[i] as Uint8Array);
      }
      await t.clock.advanceAsync(20);
    }
    await t.clock.advanceAsync(200);
    const got = pb.rtp();
    // no gaps on the way out: consecutive sequence numbers and 20 ms timestamps throughout
    expect(got.slice(1).every((p, i) => p.seq === (((got[i] as { seq: number }).seq + 1) & 0xffff))).toBe(
      true,
    );
    const stats = await a.getStats();
    expect(stats.jitterBuffer?.concealed).toBeGreaterThanOrEqual(7);
    // 5% loss concealed (PLC is not waveform-exact): below G.711's 30+ dB, far above a misaligned stream
    const snr = alignedSnrDb(
      SPEECH,
      decodePayloads(
        got.map((p) => p.payload),
        'alaw',
      ),
      8000,
      1600,
    );
    expect(snr).toBeGreaterThan(6);
  });

  it('absorbs jitter and reordering on the way in', async () => {
    const { t, a, pa, pb } = await transcodeCall([PCMU], [PCMU]);
    const frames = ulawFrames(SPEECH);
    for (let i = 0; i + 1 < frames.length; i += 2) {
      // pairs arrive swapped, 40 ms apart: every second tick has nothing new
      const seq = pa.seq;
      const ts = pa.ts;
      pa.seq = (seq + 1) & 0xffff;
      pa.ts = ts + 160;
      pa.send(a.local.rtpPort, 0, frames[i + 1] as Uint8Array);
      pa.seq = seq;
      pa.ts = ts;
      pa.send(a.local.rtpPort, 0, frames[i] as Uint8Array);
      pa.seq = (seq + 2) & 0xffff;
      pa.ts = ts + 320;
      await t.clock.advanceAsync(40);
    }
    await t.clock.advanceAsync(300);
    const got = pb.rtp();
    expect(alignedSnrDb(SPEECH, decodePayloads(got.map((p) => p.payload)), 8000, 2400)).toBeGreaterThan(25);
  });

  it('translates telephone-event between legs (payload type and clock) and reports the digit once', async () => {
    const { t, a, pa, pb } = await transcodeCall([PCMU, TE], [OPUS, { ...TE48, payloadType: 110 }]);
    const digits: DtmfEvent[] = [];
    a.on('dtmf', (d) => digits.push(d));
    for (let i = 0; i < 5; i++) {
      pa.send(a.local.rtpPort, 0, new Uint8Array(160).fill(0xff));
      await t.clock.advanceAsync(20);
    }
    for (const [dur, end] of [
      [400, false],
      [800, false],
      [1200, true],
      [1200, true],
    ] as const) {
      pa.send(a.local.rtpPort, 101, telephoneEvent(11, end, dur), { marker: dur === 400, tsStep: 0 });
      await t.clock.advanceAsync(50);
    }
    await t.clock.advanceAsync(600);
    expect(digits).toEqual([{ digit: '#', durationMs: 150, source: 'rfc4733' }]);
    const te = pb.rtp().filter((p) => p.pt === 110);
    expect(te.length).toBeGreaterThanOrEqual(4);
    expect(te[0]?.marker).toBe(true);
    expect(te.every((p) => p.payload[0] === 11)).toBe(true);
    const end = te.filter((p) => ((p.payload[1] as number) & 0x80) !== 0);
    expect(end.length).toBe(3);
    // 150 ms at the 48 kHz clock of B's telephone-event
    const duration = ((end[0]?.payload[2] as number) << 8) | (end[0]?.payload[3] as number);
    expect(Math.abs(duration - 7200)).toBeLessThanOrEqual(960);
  });

  it('plays a telephone-event digit as in-band tones to a leg without telephone-event', async () => {
    const { t, a, pa, pb } = await transcodeCall([PCMU, TE], [PCMA]);
    for (const [dur, end] of [
      [400, false],
      [800, false],
      [1200, true],
      [1200, true],
    ] as const) {
      pa.send(a.local.rtpPort, 101, telephoneEvent(3, end, dur), { marker: dur === 400, tsStep: 0 });
      await t.clock.advanceAsync(50);
    }
    await t.clock.advanceAsync(600);
    const heard: string[] = [];
    const det = new DtmfDetector();
    det.on('digit', (e) => heard.push(e.digit));
    det.process(
      decodePayloads(
        pb.rtp().map((p) => p.payload),
        'alaw',
      ),
    );
    det.flush();
    expect(heard).toEqual(['3']);
  });

  it('hears in-band DTMF in the decoded audio of a leg without telephone-event', async () => {
    const { t, b, pb } = await transcodeCall([PCMU, TE], [G722]);
    const digits: DtmfEvent[] = [];
    b.on('dtmf', (d) => digits.push(d));
    const { DtmfGenerator } = await import('../../../src/media/codecs/index.js');
    const pcm8 = new Int16Array(8000);
    new DtmfGenerator().generate('6', pcm8.subarray(1600, 1600 + 1200));
    const pcm16 = resampleBuffer(pcm8, 8000, 16000, 1);
    const enc = await createCodec('G722', { sampleRate: 16000 });
    const buf = new Uint8Array(160);
    for (let i = 0; i + 320 <= pcm16.length; i += 320) {
      enc.encode(pcm16.subarray(i, i + 320), buf, 320);
      pb.send(b.local.rtpPort, 9, buf.slice());
      await t.clock.advanceAsync(20);
    }
    enc.close();
    await t.clock.advanceAsync(300);
    expect(digits.map((d) => [d.digit, d.source])).toEqual([['6', 'inband']]);
  });
});
