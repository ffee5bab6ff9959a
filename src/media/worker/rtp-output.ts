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

// 32-bit state lives in a Uint32Array and times in a Float64Array: V8 boxes a
// number above 2^30 (or a fraction) stored in a plain field, so keeping them in
// typed arrays is what makes forwarding allocation-free.
const LAST_TS = 0;
const TS_OFFSET = 1;
const GEN_NEXT_TS = 2;
const SOURCE_SSRC = 3;
const LAST_TS_AT = 0;
const LAST_GEN_AT = 1;

export class RtpOutput {
  readonly ssrc: number;
  #clockRate: number;
  #lastSeq: number;
  readonly #u32 = new Uint32Array(4);
  readonly #f64 = new Float64Array(2);
  #started = false;
  #haveSource = false;
  #seqOffset = 0;
  #seqMapped = false;
  #tsMapped = false;
  #genContinuous = false;
  #lastMarker = false;

  constructor(options: RtpOutputOptions) {
    this.ssrc = options.ssrc >>> 0;
    this.#clockRate = options.clockRate;
    this.#lastSeq = (options.initialSeq - 1) & 0xffff;
    this.#u32[LAST_TS] = options.initialTs >>> 0;
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
    return this.#u32[LAST_TS] as number;
  }

  /** Whether the last `nextAudioTs` started a new run (set the marker bit). */
  get lastMarker(): boolean {
    return this.#lastMarker;
  }

  /** The stream's RTP timestamp at `nowMs`: the newest one sent, moved on by the elapsed time. */
  timestampAt(nowMs: number): number {
    const last = this.#u32[LAST_TS] as number;
    if (!this.#started) return last;
    return (last + Math.round(((nowMs - (this.#f64[LAST_TS_AT] as number)) * this.#clockRate) / 1000)) >>> 0;
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
    const u = this.#u32;
    if (!this.#haveSource || inSsrc !== u[SOURCE_SSRC]) {
      this.#haveSource = true;
      u[SOURCE_SSRC] = inSsrc;
      this.#seqMapped = false;
      this.#tsMapped = false;
    }
    let rebased = false;
    if (!this.#seqMapped) {
      this.#seqOffset = (this.#lastSeq + 1 - inSeq) & 0xffff;
      this.#seqMapped = true;
    }
    if (!this.#tsMapped) {
      u[TS_OFFSET] = this.timestampAt(nowMs) - inTs;
      this.#tsMapped = true;
      rebased = true;
    }
    const seq = (inSeq + this.#seqOffset) & 0xffff;
    const ts = (inTs + (u[TS_OFFSET] as number)) >>> 0;
    rewriteRtpHeader(buf, this.ssrc, seq, ts);
    if (rebased) setRtpMarker(buf, true);
    if (!this.#started || ((seq - this.#lastSeq) & 0xffff) < 0x8000) this.#lastSeq = seq;
    if (!this.#started || ((ts - (u[LAST_TS] as number)) | 0) >= 0) {
      u[LAST_TS] = ts;
      this.#f64[LAST_TS_AT] = nowMs;
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
    this.#advanceAudio(nowMs, ticks);
    return this.#u32[LAST_TS] as number;
  }

  /**
   * Writes the 12-byte header of a generated audio packet of `ticks` RTP
   * ticks into `buf` (next sequence number, timestamp as {@link nextAudioTs},
   * marker at the start of a run). The allocation-free form for the tick.
   */
  writeAudioHeader(buf: Uint8Array, payloadType: number, nowMs: number, ticks: number): void {
    this.#advanceAudio(nowMs, ticks);
    const seq = this.nextSeq();
    const u = this.#u32;
    buf[0] = 0x80;
    buf[1] = (this.#lastMarker ? 0x80 : 0) | (payloadType & 0x7f);
    buf[2] = seq >>> 8;
    buf[3] = seq & 0xff;
    const ts = u[LAST_TS] as number;
    buf[4] = ts >>> 24;
    buf[5] = (ts >>> 16) & 0xff;
    buf[6] = (ts >>> 8) & 0xff;
    buf[7] = ts & 0xff;
    const ssrc = this.ssrc;
    buf[8] = ssrc >>> 24;
    buf[9] = (ssrc >>> 16) & 0xff;
    buf[10] = (ssrc >>> 8) & 0xff;
    buf[11] = ssrc & 0xff;
  }

  #advanceAudio(nowMs: number, ticks: number): void {
    const u = this.#u32;
    const f = this.#f64;
    const packetMs = (ticks * 1000) / this.#clockRate;
    if (this.#genContinuous && nowMs - (f[LAST_GEN_AT] as number) <= CONTINUITY_PACKETS * packetMs) {
      u[LAST_TS] = u[GEN_NEXT_TS] as number;
      this.#lastMarker = false;
    } else {
      u[LAST_TS] = this.timestampAt(nowMs);
      this.#lastMarker = true;
    }
    u[GEN_NEXT_TS] = (u[LAST_TS] as number) + ticks;
    f[LAST_GEN_AT] = nowMs;
    f[LAST_TS_AT] = nowMs;
    this.#tsMapped = false;
    this.#genContinuous = true;
    this.#started = true;
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
