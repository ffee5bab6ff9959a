/** Test helper: replays a packet schedule through a jitter buffer on a 20 ms tick, the way media/worker will. */
import {
  JitterBuffer,
  type JitterBufferOptions,
  type JitterFrameKind,
  type PushResult,
} from '../../../src/media/jitter/index.js';

export interface Sent {
  seq: number;
  timestamp: number;
  arrivalMs: number;
  marker?: boolean;
  ssrc?: number;
  /** Identity written into the payload. */
  id: number;
}

export interface Pulled {
  tick: number;
  kind: JitterFrameKind;
  samples: number;
  position: number;
  timestamp: number;
  seq: number;
  /** Payload identity for normal frames, -1 otherwise. */
  id: number;
  delayMs: number;
}

export interface Drive {
  jb: JitterBuffer;
  frames: Pulled[];
  results: Map<number, PushResult>;
  maxSize: number;
}

export function drive(
  packets: readonly Sent[],
  options: JitterBufferOptions = {},
  { tickMs = options.frameMs ?? 20, phase = 3, tailMs = 3000 } = {},
): Drive {
  const jb = new JitterBuffer(options);
  const order = [...packets].sort((a, b) => a.arrivalMs - b.arrivalMs);
  const frames: Pulled[] = [];
  const results = new Map<number, PushResult>();
  const payload = new Uint8Array(4);
  const view = new DataView(payload.buffer);
  let k = 0;
  let fifo = 0;
  let maxSize = 0;
  const start = order.length > 0 ? Math.floor(order[0]!.arrivalMs / tickMs) * tickMs + phase : 0;
  const end = (order.at(-1)?.arrivalMs ?? 0) + tailMs;
  for (let tick = start; tick <= end; tick += tickMs) {
    while (k < order.length && order[k]!.arrivalMs <= tick) {
      const p = order[k++]!;
      view.setUint32(0, p.id);
      const r = jb.push({
        seq: p.seq,
        timestamp: p.timestamp,
        marker: p.marker,
        payload,
        arrivalMs: p.arrivalMs,
        ssrc: p.ssrc,
      });
      results.set(p.id, r);
      maxSize = Math.max(maxSize, jb.size);
    }
    while (fifo < jb.frameSamples) {
      const f = jb.pull(tick);
      fifo += f.samples;
      const id =
        f.kind === 'normal' ? new DataView(f.data.buffer, f.data.byteOffset + f.offset, 4).getUint32(0) : -1;
      frames.push({
        tick,
        kind: f.kind,
        samples: f.samples,
        position: f.position,
        timestamp: f.timestamp,
        seq: f.seq,
        id,
        delayMs: f.delayMs,
      });
    }
    fifo -= jb.frameSamples;
  }
  return { jb, frames, results, maxSize };
}

/** A steady 20 ms (160-tick) stream: `n` packets from `seq0`/`ts0`, sent every `packetMs`, with per-packet delay. */
export function stream(
  n: number,
  delay: (i: number) => number,
  {
    seq0 = 1000,
    ts0 = 50_000,
    packetMs = 20,
    clockRate = 8000,
    firstId = 0,
    sendMs = (i: number) => i * packetMs,
  } = {},
): Sent[] {
  const ticks = (packetMs * clockRate) / 1000;
  const out: Sent[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      seq: (seq0 + i) & 0xffff,
      timestamp: (ts0 + i * ticks) % 2 ** 32,
      arrivalMs: sendMs(i) + delay(i),
      id: firstId + i,
    });
  }
  return out;
}

export function normals(d: Drive): Pulled[] {
  return d.frames.filter((f) => f.kind === 'normal');
}
