/** Shared by the media engine tests: an in-process engine over a MemoryNetwork, RTP builders. */
import { FakeClock } from '../../../src/core/index.js';
import { decodeAlaw, decodeUlaw, encodeUlaw } from '../../../src/media/codecs/index.js';
import {
  type CodecSpec,
  createMediaEngine,
  inProcessWorkers,
  type MediaEngine,
  type MediaEngineOptions,
  MemoryNetwork,
  type MemoryPeer,
} from '../../../src/media/worker/index.js';
import { RtpPacket, RtpReader } from '../../../src/rtp/index.js';

export const ENGINE_ADDRESS = '10.0.0.1';

export const PCMU: CodecSpec = { encodingName: 'PCMU', clockRate: 8000, payloadType: 0 };
export const PCMA: CodecSpec = { encodingName: 'PCMA', clockRate: 8000, payloadType: 8 };
export const G722: CodecSpec = { encodingName: 'G722', clockRate: 8000, payloadType: 9 };
export const OPUS: CodecSpec = { encodingName: 'opus', clockRate: 48000, channels: 2, payloadType: 111 };
export const TE: CodecSpec = { encodingName: 'telephone-event', clockRate: 8000, payloadType: 101 };
export const TE48: CodecSpec = { encodingName: 'telephone-event', clockRate: 48000, payloadType: 101 };

export interface TestEngine {
  clock: FakeClock;
  net: MemoryNetwork;
  engine: MediaEngine;
  spawn: ReturnType<typeof inProcessWorkers>;
}

export async function inProcessEngine(options: MediaEngineOptions = {}): Promise<TestEngine> {
  const clock = new FakeClock({ start: 1000 });
  const net = new MemoryNetwork({ clock });
  const spawn = inProcessWorkers({ clock, sockets: net });
  const engine = await createMediaEngine({
    workers: 1,
    spawn,
    bindAddress: ENGINE_ADDRESS,
    portRange: { min: 20000, max: 20999 },
    ...options,
    endpointDefaults: { statsIntervalMs: 0, ...options.endpointDefaults },
  });
  return { clock, net, engine, spawn };
}

export function rtp(
  payloadType: number,
  sequenceNumber: number,
  timestamp: number,
  ssrc: number,
  payload: Uint8Array,
  marker = false,
): Uint8Array {
  return new RtpPacket({ payloadType, sequenceNumber, timestamp, ssrc, payload, marker }).serialize();
}

export function read(bytes: Uint8Array): {
  ssrc: number;
  seq: number;
  ts: number;
  pt: number;
  marker: boolean;
  payload: Uint8Array;
} {
  const r = RtpReader.parse(bytes);
  return {
    ssrc: r.ssrc,
    seq: r.sequenceNumber,
    ts: r.timestamp,
    pt: r.payloadType,
    marker: r.marker,
    payload: r.payload.slice(),
  };
}

/** RFC 4733 payload bytes. */
export function telephoneEvent(event: number, end: boolean, duration: number, volume = 10): Uint8Array {
  return Uint8Array.of(event, (end ? 0x80 : 0) | volume, duration >> 8, duration & 0xff);
}

export function isRtcp(bytes: Uint8Array): boolean {
  return bytes.length > 1 && (bytes[1] as number) >= 192 && (bytes[1] as number) <= 223;
}

/** A phone on the memory network: sends RTP to the engine, keeps what comes back. */
export class Phone {
  readonly rtpPeer: MemoryPeer;
  readonly rtcpPeer: MemoryPeer;
  ssrc: number;
  seq: number;
  ts: number;

  constructor(net: MemoryNetwork, address: string, port: number, ssrc = 0x1234, seq = 1000, ts = 50_000) {
    this.rtpPeer = net.open(address, port);
    this.rtcpPeer = net.open(address, port + 1);
    this.ssrc = ssrc;
    this.seq = seq;
    this.ts = ts;
  }

  get address(): string {
    return this.rtpPeer.address;
  }

  get port(): number {
    return this.rtpPeer.port;
  }

  /** Sends one packet with the next sequence number; `tsStep` moves the timestamp afterwards. */
  send(
    toPort: number,
    pt: number,
    payload: Uint8Array,
    options: { marker?: boolean; tsStep?: number } = {},
  ): void {
    this.rtpPeer.send(
      rtp(pt, this.seq, this.ts, this.ssrc, payload, options.marker ?? false),
      toPort,
      ENGINE_ADDRESS,
    );
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + (options.tsStep ?? 160)) >>> 0;
  }

  /** RTP received (RTCP on the RTP port left out). */
  rtp(): ReturnType<typeof read>[] {
    return this.rtpPeer.received.filter((d) => !isRtcp(d.data)).map((d) => read(d.data));
  }

  /** RTCP received on the RTCP port (and on the RTP port, for rtcp-mux). */
  rtcp(): Uint8Array[] {
    return [...this.rtcpPeer.received, ...this.rtpPeer.received]
      .filter((d) => isRtcp(d.data))
      .map((d) => d.data);
  }

  close(): void {
    this.rtpPeer.close();
    this.rtcpPeer.close();
  }
}

/** Concatenated PCM of G.711 payloads. */
export function decodePayloads(payloads: Uint8Array[], law: 'ulaw' | 'alaw' = 'ulaw'): Int16Array {
  const n = payloads.reduce((s, p) => s + p.length, 0);
  const out = new Int16Array(n);
  let o = 0;
  for (const p of payloads) {
    const pcm = new Int16Array(p.length);
    if (law === 'ulaw') decodeUlaw(p, pcm, p.length);
    else decodeAlaw(p, pcm, p.length);
    out.set(pcm, o);
    o += p.length;
  }
  return out;
}

/** µ-law payloads of 20 ms for a PCM signal. */
export function ulawFrames(pcm: Int16Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let i = 0; i + 160 <= pcm.length; i += 160) {
    const f = new Uint8Array(160);
    encodeUlaw(pcm.subarray(i, i + 160), f, 160);
    frames.push(f);
  }
  return frames;
}
