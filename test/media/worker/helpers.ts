/** Shared by the media engine tests: an in-process engine over a MemoryNetwork, RTP builders. */
import { FakeClock } from '../../../src/core/index.js';
import {
  type CodecSpec,
  createMediaEngine,
  inProcessWorkers,
  type MediaEngine,
  type MediaEngineOptions,
  MemoryNetwork,
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
