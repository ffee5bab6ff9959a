/**
 * The RTP stream an endpoint sends: our SSRC, and sequence numbers and
 * timestamps that stay continuous whatever feeds the stream — packets relayed
 * from a peer (header rewritten in place), a peer that restarts with a new
 * SSRC, packets the engine generates itself (transcoded audio, tones,
 * RFC 4733 events), or any mix of them over time.
 *
 * Relay mapping: out = in + offset (mod 2^16 / 2^32), so reordering and loss
 * on the way in are preserved on the way out. The offsets are chosen when a
 * source starts (or changes SSRC): the first mapped packet follows the last
 * sequence number sent, and its timestamp is the stream's timestamp "now"
 * (the last one sent, moved on by the time elapsed at the clock rate); that
 * packet gets the marker bit (RFC 3551 §4.1: a discontinuity). A generated
 * packet takes the next sequence number and makes the relay re-map its
 * sequence numbers after it; generated audio also re-maps the timestamps.
 *
 * Pure; `forward`, `nextSeq` and `nextAudioTs` do not allocate.
 */
import { rewriteRtpHeader, setRtpMarker } from '../../rtp/index.js';

export interface RtpOutputOptions {
  ssrc: number;
  /** First sequence number (random, RFC 3550 §5.1). */
  initialSeq: number;
  /** First timestamp (random). */
  initialTs: number;
  clockRate: number;
}

/** Generated audio continues the previous generated packet's timestamps when it follows within this many packet durations. */
const CONTINUITY_PACKETS = 2.5;

export class RtpOutput {
  readonly ssrc: number;
  #clockRate: number;
  #lastSeq: number;
  #lastTs: number;
  #lastTsAt = 0;
  #started = false;
  #haveSource = false;
  #sourceSsrc = 0;
  #seqOffset = 0;
  #seqMapped = false;
  #tsOffset = 0;
  #tsMapped = false;
  #genContinuous = false;
  #genNextTs = 0;
  #lastGenAt = 0;
  #lastMarker = false;

  constructor(options: RtpOutputOptions) {
    this.ssrc = options.ssrc >>> 0;
    this.#clockRate = options.clockRate;
    this.#lastSeq = (options.initialSeq - 1) & 0xffff;
    this.#lastTs = options.initialTs >>> 0;
  }

  /** RTP clock rate (changes when the codec does, e.g. after a re-INVITE). */
  get clockRate(): number {
    return this.#clockRate;
  }

  set clockRate(rate: number) {
    if (rate === this.#clockRate) return;
    this.#clockRate = rate;
    this.#tsMapped = false;
    this.#genContinuous = false;
  }

  /** True once a packet went out. */
  get started(): boolean {
    return this.#started;
  }

  /** Sequence number of the last packet sent. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Timestamp of the newest packet sent. */
  get lastTimestamp(): number {
    return this.#lastTs;
  }

  /** Whether the last `nextAudioTs` started a new run (set the marker bit). */
  get lastMarker(): boolean {
    return this.#lastMarker;
  }

  /** The stream's RTP timestamp at `nowMs`: the newest one sent, moved on by the elapsed time. */
  timestampAt(nowMs: number): number {
    if (!this.#started) return this.#lastTs;
    return (this.#lastTs + Math.round(((nowMs - this.#lastTsAt) * this.#clockRate) / 1000)) >>> 0;
  }

  /** Makes the next relayed packet start a new mapping (e.g. after the peer leg changed). */
  remap(): void {
    this.#seqMapped = false;
    this.#tsMapped = false;
  }

  /**
   * Relay: rewrites SSRC, sequence number and timestamp of the RTP packet in
   * `buf` (its received `inSsrc`, `inSeq`, `inTs`) in place.
   */
  forward(buf: Uint8Array, inSsrc: number, inSeq: number, inTs: number, nowMs: number): void {
    if (!this.#haveSource || inSsrc !== this.#sourceSsrc) {
      this.#haveSource = true;
      this.#sourceSsrc = inSsrc;
      this.#seqMapped = false;
      this.#tsMapped = false;
    }
    let rebased = false;
    if (!this.#seqMapped) {
      this.#seqOffset = (this.#lastSeq + 1 - inSeq) & 0xffff;
      this.#seqMapped = true;
    }
    if (!this.#tsMapped) {
      this.#tsOffset = (this.timestampAt(nowMs) - inTs) >>> 0;
      this.#tsMapped = true;
      rebased = true;
    }
    const seq = (inSeq + this.#seqOffset) & 0xffff;
    const ts = (inTs + this.#tsOffset) >>> 0;
    rewriteRtpHeader(buf, this.ssrc, seq, ts);
    if (rebased) setRtpMarker(buf, true);
    if (!this.#started || ((seq - this.#lastSeq) & 0xffff) < 0x8000) this.#lastSeq = seq;
    if (!this.#started || ((ts - this.#lastTs) | 0) >= 0) {
      this.#lastTs = ts;
      this.#lastTsAt = nowMs;
    }
    this.#started = true;
    this.#genContinuous = false;
  }

  /** Sequence number for a generated packet (audio or telephone-event). */
  nextSeq(): number {
    this.#lastSeq = (this.#lastSeq + 1) & 0xffff;
    this.#seqMapped = false;
    this.#started = true;
    return this.#lastSeq;
  }

  /**
   * Timestamp for a generated audio packet of `ticks` RTP clock ticks sent at
   * `nowMs`: continues the previous generated packet when that one went out
   * at most 2.5 packet durations ago (late ticks and catch-up keep the
   * timestamps continuous: that is jitter, not a gap), or starts at the
   * stream's timestamp now (then {@link lastMarker} is true).
   */
  nextAudioTs(nowMs: number, ticks: number): number {
    let ts: number;
    const packetMs = (ticks * 1000) / this.#clockRate;
    if (this.#genContinuous && nowMs - this.#lastGenAt <= CONTINUITY_PACKETS * packetMs) {
      ts = this.#genNextTs;
      this.#lastMarker = false;
    } else {
      ts = this.timestampAt(nowMs);
      this.#lastMarker = true;
    }
    this.#genNextTs = (ts + ticks) >>> 0;
    this.#lastGenAt = nowMs;
    this.#lastTs = ts;
    this.#lastTsAt = nowMs;
    this.#tsMapped = false;
    this.#genContinuous = true;
    this.#started = true;
    return ts;
  }
}

/** Writes a 12-byte RTP header (V=2, no padding/extension/CSRC) at the start of `buf`. */
export function writeRtpHeader(
  buf: Uint8Array,
  payloadType: number,
  marker: boolean,
  seq: number,
  timestamp: number,
  ssrc: number,
): void {
  buf[0] = 0x80;
  buf[1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
  buf[2] = (seq >>> 8) & 0xff;
  buf[3] = seq & 0xff;
  buf[4] = timestamp >>> 24;
  buf[5] = (timestamp >>> 16) & 0xff;
  buf[6] = (timestamp >>> 8) & 0xff;
  buf[7] = timestamp & 0xff;
  buf[8] = ssrc >>> 24;
  buf[9] = (ssrc >>> 16) & 0xff;
  buf[10] = (ssrc >>> 8) & 0xff;
  buf[11] = ssrc & 0xff;
}

/**
 * Buffers for packets the engine builds: a small ring, so a buffer is reused
 * only after several others went out (a datagram the kernel could not take at
 * once is still referenced by libuv), and views cached per length so sending a
 * packet of a length seen before allocates nothing.
 */
export class PacketBuffers {
  readonly #slots: Uint8Array[];
  readonly #views: Array<Map<number, Uint8Array>>;
  #next = 0;

  constructor(capacity: number, count = 4) {
    this.#slots = [];
    this.#views = [];
    for (let i = 0; i < count; i++) {
      this.#slots.push(new Uint8Array(capacity));
      this.#views.push(new Map());
    }
  }

  /** The next buffer to build a packet in. */
  take(): Uint8Array {
    const b = this.#slots[this.#next] as Uint8Array;
    return b;
  }

  /** A view of the first `length` bytes of the buffer from `take()`; advances the ring. */
  commit(length: number): Uint8Array {
    const i = this.#next;
    this.#next = (i + 1) % this.#slots.length;
    const views = this.#views[i] as Map<number, Uint8Array>;
    let v = views.get(length);
    if (!v) {
      v = (this.#slots[i] as Uint8Array).subarray(0, length);
      views.set(length, v);
    }
    return v;
  }
}
