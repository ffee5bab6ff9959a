/**
 * Conference tests: phones on the memory network that each send their own
 * tone in their own codec every tick, decode what they receive, and say by
 * spectrum (Goertzel) whose tones they hear.
 */
import { type AudioCodec, createCodec } from '../../../src/media/codecs/index.js';
import type {
  CodecSpec,
  MediaEndpoint,
  MediaEngine,
  MemoryNetwork,
} from '../../../src/media/worker/index.js';
import { goertzelAmplitude, SineSource } from '../helpers/signal.js';
import { Phone } from './helpers.js';

export const AMP = 4000;

export interface ConferencePhone {
  name: string;
  freq: number;
  endpoint: MediaEndpoint;
  phone: Phone;
  codec: AudioCodec;
  spec: CodecSpec;
  /** RTP timestamp ticks per 20 ms. */
  tsStep: number;
  source: SineSource;
  talking: boolean;
  /** Received packets already decoded. */
  seen: number;
  /** Decoded audio received, in arrival order. */
  heard: Int16Array[];
}

let nextHost = 10;

/** A phone with its own endpoint: sends `freq` in `spec`'s codec when talking. */
export async function conferencePhone(
  net: MemoryNetwork,
  engine: MediaEngine,
  name: string,
  freq: number,
  spec: CodecSpec,
  extra: { near?: MediaEndpoint; te?: CodecSpec } = {},
): Promise<ConferencePhone> {
  const address = `10.0.${nextHost >> 8}.${nextHost & 0xff}`;
  nextHost++;
  const codecs = extra.te ? [spec, extra.te] : [spec];
  const endpoint = await engine.createEndpoint({
    codecs,
    remote: { address, port: 4000 },
    ...(extra.near ? { near: extra.near } : {}),
  });
  const opus = spec.encodingName.toLowerCase() === 'opus';
  const codec = await createCodec(spec.encodingName, opus ? { sampleRate: 48000, channels: 1 } : {});
  const phone = new Phone(net, address, 4000, 0x1000 + nextHost, 100, 10_000);
  return {
    name,
    freq,
    endpoint,
    phone,
    codec,
    spec,
    tsStep: opus ? 960 : 160,
    source: new SineSource(freq, AMP, codec.sampleRate),
    talking: true,
    seen: 0,
    heard: [],
  };
}

const frames = new Map<number, Int16Array>();
const payload = new Uint8Array(1500);

/** Sends this tick's frame (the tone, or silence when not talking). */
export function speak(p: ConferencePhone): void {
  const n = p.codec.frameSamples;
  let f = frames.get(n);
  if (!f) {
    f = new Int16Array(n);
    frames.set(n, f);
  }
  if (p.talking) p.source.fill(f);
  else f.fill(0);
  const bytes = p.codec.encode(f, payload);
  p.phone.send(p.endpoint.local.rtpPort, p.spec.payloadType, payload.slice(0, bytes), { tsStep: p.tsStep });
}

/** Decodes what arrived since the last call. */
export function listen(p: ConferencePhone): void {
  const got = p.phone.rtp().filter((x) => x.pt === p.spec.payloadType);
  const out = new Int16Array(p.codec.sampleRate * 0.12);
  for (; p.seen < got.length; p.seen++) {
    const pkt = got[p.seen] as { payload: Uint8Array };
    const n = p.codec.decode(pkt.payload, out);
    p.heard.push(out.slice(0, n));
  }
}

/** The last `ms` of audio `p` received. */
export function lastHeard(p: ConferencePhone, ms: number): Int16Array {
  const want = Math.round((p.codec.sampleRate * ms) / 1000);
  const all = new Int16Array(p.heard.reduce((s, f) => s + f.length, 0));
  let o = 0;
  for (const f of p.heard) {
    all.set(f, o);
    o += f.length;
  }
  return all.subarray(Math.max(0, all.length - want));
}

/**
 * Whose tones `listener` heard over the last `ms` (amplitude above half of
 * what was sent); a tone between 3% and 50% fails the test (a leak).
 */
export function whoHears(
  listener: ConferencePhone,
  all: readonly ConferencePhone[],
  ms = 400,
  expectGain = 1,
): string[] {
  const pcm = lastHeard(listener, ms);
  const heard: string[] = [];
  for (const p of all) {
    const a = goertzelAmplitude(pcm, p.freq, listener.codec.sampleRate);
    if (a > 0.5 * AMP * expectGain) heard.push(p.name);
    else if (a > 0.03 * AMP) {
      throw new Error(`${listener.name} hears ${p.name} partly: amplitude ${a.toFixed(0)} of ${AMP}`);
    }
  }
  return heard.sort();
}

export function hearing(all: readonly ConferencePhone[], ms = 400): Record<string, string[]> {
  const o: Record<string, string[]> = {};
  for (const p of all) o[p.name] = whoHears(p, all, ms);
  return o;
}

/** Ticks: every talking phone sends a frame, the clock moves 20 ms, everyone collects. */
export async function run(
  clock: { advanceAsync(ms: number): Promise<void> },
  phones: readonly ConferencePhone[],
  ticks: number,
): Promise<void> {
  for (let t = 0; t < ticks; t++) {
    for (const p of phones) speak(p);
    await clock.advanceAsync(20);
  }
  for (const p of phones) listen(p);
}
