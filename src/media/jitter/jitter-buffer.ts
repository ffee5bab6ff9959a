/**
 * An adaptive, pull-model jitter buffer over a preallocated ring.
 *
 * The network pushes packets whenever they arrive (`push`, with the arrival
 * time on the caller's clock); the media tick pulls one playout unit at a time
 * (`pull(nowMs)`), like pjmedia's clock-pulled `get_frame`: every pull returns
 * a frame and says what kind it is. The buffer never reads a clock.
 *
 * ## Timeline
 *
 * Every packet is placed on an internal timeline: its RTP timestamp extended
 * past 32-bit wraps (and re-based over stream restarts), in clock ticks. The
 * playout position `playTs` is the timeline point the next unit starts at.
 * Units are consumed in sequence-number order. At each pull, with
 * `floor` = minimum recent transit and `target` = wanted relative delay (see
 * {@link DelayEstimator}), a packet with timestamp `ts` would be played with
 * relative delay `cur = now - ms(ts) - floor`; the buffer plays it when that
 * reaches the target, so a packet is in time when its own relative delay is at
 * most the target.
 *
 * - **Talk-spurt starts** (a timestamp gap before the next packet, or its
 *   marker bit): the first packet waits, as `silence`, until its delay
 *   reaches the target, or plays at once when it already exceeds it. This is
 *   where the delay follows the target for free.
 * - **Mid-spurt** the delay only moves by whole frames: a packet is dropped
 *   (time-scale compression) when the delay exceeds the target by at least
 *   the packet's length (and a tick) and the following packet is already here; a
 *   concealed frame is inserted (expansion) when the delay is below the
 *   target. At most one of these per `minAdjustIntervalMs`.
 * - **Loss** (the next packet is missing but a later one is here): the gap is
 *   concealed one packet at a time, unless the later packet is already due,
 *   in which case the missing ones are skipped.
 * - **Underrun** (nothing to play): the buffer expands — it reports
 *   `concealed` (then `silence` after `concealLimitMs`) without moving the
 *   timeline, waiting for the next packet. When that packet comes, the delay
 *   spent waiting is kept if the target allows it (a delay spike: the peak
 *   detector raised the target) and the packet is counted late and dropped
 *   otherwise. A DTX pause is an underrun that ends with a spurt start.
 *
 * Clock drift moves the transit floor, hence the delay, slowly; the same
 * rules drop or insert a frame when it has moved by a frame, in a silence gap
 * when there is one.
 *
 * Hot path: `push` copies the payload into its slot; `pull` returns the same
 * {@link JitterFrame} object every time, pointing into the ring. Neither
 * allocates.
 */
import { StrowgerError } from '../../core/index.js';
import { DelayEstimator } from './delay-estimator.js';
import { type JitterBufferOptions, type ResolvedJitterOptions, resolveJitterOptions } from './options.js';

/** What a pulled frame holds. */
export type JitterFrameKind = 'normal' | 'concealed' | 'silence' | 'buffering';

/** What became of a pushed packet. */
export type PushResult = 'buffered' | 'duplicate' | 'late' | 'discarded';

/** One RTP packet as the jitter buffer needs it. Reuse one object per stream to avoid allocation. */
export interface JitterPacket {
  /** RTP sequence number (16 bits). */
  seq: number;
  /** RTP timestamp (32 bits). */
  timestamp: number;
  /** RTP marker bit: first packet of a talk spurt. */
  marker?: boolean;
  /** Payload bytes (copied into the ring). */
  payload: Uint8Array;
  /** Start of the payload in `payload` (default 0). */
  payloadOffset?: number;
  /** Payload length (default `payload.length - payloadOffset`). */
  payloadLength?: number;
  /** Arrival time on the caller's clock (ms). */
  arrivalMs: number;
  /** RTP SSRC; a change restarts the stream at once. */
  ssrc?: number;
}

/**
 * The unit a pull returns. The buffer owns it and reuses it: read it before
 * the next `pull`. The payload is `data[offset .. offset + length)`.
 */
export interface JitterFrame {
  readonly kind: JitterFrameKind;
  /** Audio the unit stands for, in RTP clock ticks (a packet's duration, or one frame). */
  readonly samples: number;
  /** Position on the buffer's timeline (extended timestamp; never decreases between normal frames). */
  readonly position: number;
  /** RTP timestamp of the packet (normal) or the expected one (concealed); -1 otherwise. */
  readonly timestamp: number;
  /** RTP sequence number of the packet (normal) or the missing one (concealed by loss); -1 otherwise. */
  readonly seq: number;
  readonly marker: boolean;
  /** The ring's storage; `normal` payload at `offset`, `length` bytes. */
  readonly data: Uint8Array;
  readonly offset: number;
  readonly length: number;
  /** `concealed`: the packet after the gap, when already buffered (for Opus in-band FEC); -1 otherwise. */
  readonly nextOffset: number;
  readonly nextLength: number;
  /** `normal`: how long the packet waits in the buffer (ms): from arrival until it starts playing. */
  readonly delayMs: number;
  /** A copy-free view of the payload (allocates a view object; prefer data/offset/length on the hot path). */
  readonly payload: Uint8Array;
}

/** Counters and the current delay state. */
export interface JitterStats {
  /** Packets pushed (all outcomes). */
  received: number;
  /** Packets in the ring now. */
  buffered: number;
  played: number;
  /** Sequence numbers passed over without a packet (a late packet is also counted here when its turn came). */
  lost: number;
  /** Packets that came after their turn (on push, or while the buffer was already concealing them). */
  late: number;
  duplicates: number;
  /** Packets accepted and later thrown away: time-scale drops, overflow, oversize, restarts, bad timestamps. */
  discarded: number;
  /** Of `discarded`: dropped to reduce the delay. */
  dropped: number;
  /** Frames inserted to increase the delay (also counted in `concealed`). */
  inserted: number;
  /** Frames returned as `concealed`. */
  concealed: number;
  /** Stream restarts (sequence jump confirmed, SSRC change) and timestamp jumps. */
  restarts: number;
  /** Relative playout delay of the position about to be played (ms). */
  currentDelayMs: number;
  targetDelayMs: number;
  /** Audio in the ring (ms). */
  bufferedMs: number;
  /** Current estimate of the audio per packet (ms). */
  packetMs: number;
}

class Frame implements JitterFrame {
  kind: JitterFrameKind = 'buffering';
  samples = 0;
  position = 0;
  timestamp = -1;
  seq = -1;
  marker = false;
  offset = 0;
  length = 0;
  nextOffset = -1;
  nextLength = 0;
  delayMs = 0;
  readonly data: Uint8Array;

  constructor(data: Uint8Array) {
    this.data = data;
  }

  get payload(): Uint8Array {
    return this.data.subarray(this.offset, this.offset + this.length);
  }
}

const SEQ_BASE = 2 ** 24;
const TS_BASE = 2 ** 33;

/** Extended-sequence slots remembered for duplicate detection (power of two). */
function historySize(capacity: number): number {
  let h = 1024;
  while (h < capacity * 4) h *= 2;
  return h;
}

export class JitterBuffer {
  readonly options: Readonly<ResolvedJitterOptions>;
  /** Ticks per frame (`frameMs` at `clockRate`). */
  readonly frameSamples: number;

  readonly #cap: number;
  readonly #maxPayload: number;
  readonly #msPerTick: number;
  readonly #frameMs: number;
  readonly #maxPacketTicks: number;
  readonly #adaptive: boolean;
  readonly #data: Uint8Array;
  readonly #sSeq: Float64Array;
  readonly #sTs: Float64Array;
  readonly #sRawTs: Float64Array;
  readonly #sRawSeq: Uint16Array;
  readonly #sArrival: Float64Array;
  readonly #sLen: Int32Array;
  readonly #sMarker: Uint8Array;
  readonly #seen: Float64Array;
  readonly #seenMask: number;
  readonly #est: DelayEstimator;
  readonly #frame: Frame;

  #packetTicks: number;
  // stream identity and unwrapping
  #haveRef = false;
  #ssrc = -1;
  #maxSeq = 0;
  #maxRawSeq = 0;
  #refRawTs = 0;
  #refTs = 0;
  #refArrival = 0;
  #candidate = -1;
  /** First extended sequence number after the last timeline re-base. */
  #rebaseSeq = -1;
  #inTs = 0.5;
  #inRawTs = 0.5;
  // playout
  #count = 0;
  #nextSeq = 0;
  #anchored = false;
  #playTs = 0;
  #lastNormalTs = Number.NEGATIVE_INFINITY;
  #lastPlayedSeq = -1;
  #lastPlayedTs = 0;
  #holdMs = 0;
  #awaiting = false;
  #lastAdjustMs = Number.NEGATIVE_INFINITY;
  #targetMs = 0.5;
  #curMs = 0;
  #audioEnd = Number.NEGATIVE_INFINITY;
  #startMs = 0;
  // counters
  #received = 0;
  #played = 0;
  #lost = 0;
  #late = 0;
  #duplicates = 0;
  #discarded = 0;
  #dropped = 0;
  #inserted = 0;
  #concealed = 0;
  #restarts = 0;

  constructor(options: JitterBufferOptions = {}) {
    const o = resolveJitterOptions(options);
    this.options = Object.freeze(o);
    this.#cap = o.capacity;
    this.#maxPayload = o.maxPayload;
    this.#msPerTick = 1000 / o.clockRate;
    this.#frameMs = o.frameMs;
    this.frameSamples = Math.round((o.frameMs * o.clockRate) / 1000);
    this.#packetTicks = Math.max(1, Math.round((o.packetMs * o.clockRate) / 1000));
    this.#maxPacketTicks = Math.round((120 * o.clockRate) / 1000);
    this.#adaptive = o.mode === 'adaptive';
    this.#data = new Uint8Array(o.capacity * o.maxPayload);
    this.#sSeq = new Float64Array(o.capacity).fill(-1);
    this.#sTs = new Float64Array(o.capacity);
    this.#sRawTs = new Float64Array(o.capacity);
    this.#sRawSeq = new Uint16Array(o.capacity);
    this.#sArrival = new Float64Array(o.capacity);
    this.#sLen = new Int32Array(o.capacity);
    this.#sMarker = new Uint8Array(o.capacity);
    const h = historySize(o.capacity);
    this.#seen = new Float64Array(h).fill(-1);
    this.#seenMask = h - 1;
    this.#est = new DelayEstimator({
      quantile: o.quantile,
      forgetFactor: o.forgetFactor,
      binMs: o.histogramBinMs,
      maxDelayMs: o.maxDelayMs,
      floorWindowMs: o.floorWindowMs,
      peakThresholdMs: o.peakThresholdMs,
      peakHoldMs: o.peakHoldMs,
      peakDecayMs: o.peakDecayMs,
      minSamples: 10,
    });
    this.#frame = new Frame(this.#data);
    this.#targetMs = o.delayMs;
  }

  /** Packets in the ring. */
  get size(): number {
    return this.#count;
  }

  /** Current target relative delay (ms), as of the last pull. */
  get targetDelayMs(): number {
    return this.#targetMs;
  }

  /** Takes one packet. Never throws on network data; throws `ERR_INVALID_ARGUMENT` on a malformed call. */
  push(p: JitterPacket): PushResult {
    const seq = p.seq;
    const rawTs = p.timestamp;
    const arrival = p.arrivalMs;
    const payload = p.payload;
    if (!(payload instanceof Uint8Array)) throw invalid('payload must be a Uint8Array');
    if (!(seq >= 0 && seq <= 0xffff && Number.isInteger(seq)))
      throw invalid('seq must be an integer in 0..65535');
    if (!(rawTs >= 0 && rawTs <= 0xffffffff && Number.isInteger(rawTs))) {
      throw invalid('timestamp must be an integer in 0..2^32-1');
    }
    if (!Number.isFinite(arrival)) throw invalid('arrivalMs must be a finite number');
    const off = p.payloadOffset ?? 0;
    const len = p.payloadLength ?? payload.length - off;
    if (
      !(Number.isInteger(off) && Number.isInteger(len) && off >= 0 && len >= 0 && off + len <= payload.length)
    ) {
      throw invalid('payloadOffset/payloadLength out of range');
    }
    this.#received++;
    if (len > this.#maxPayload) {
      this.#discarded++;
      return 'discarded';
    }
    const ssrc = p.ssrc;
    if (ssrc !== undefined && ssrc !== this.#ssrc) {
      const first = this.#ssrc === -1;
      this.#ssrc = ssrc;
      if (!first && this.#haveRef) return this.#restart(seq, rawTs, p, off, len);
    }
    if (!this.#haveRef) {
      this.#haveRef = true;
      this.#maxSeq = SEQ_BASE + seq;
      this.#maxRawSeq = seq;
      this.#refRawTs = rawTs;
      this.#refTs = TS_BASE + rawTs;
      this.#refArrival = arrival;
      this.#nextSeq = this.#maxSeq;
      this.#inTs = this.#refTs;
      this.#inRawTs = rawTs;
      return this.#accept(this.#maxSeq, seq, p, off, len);
    }
    const d = ((seq - this.#maxRawSeq + 32768) & 0xffff) - 32768;
    if (d > this.options.maxDropout || d < -this.options.maxMisorder) {
      // RFC 3550 A.1: a big jump is a restart only when the next packet confirms it
      if (seq === this.#candidate) return this.#restart(seq, rawTs, p, off, len);
      this.#candidate = (seq + 1) & 0xffff;
      this.#discarded++;
      return 'discarded';
    }
    this.#candidate = -1;
    const ext = this.#maxSeq + d;
    let rebased = false;
    const td = (rawTs - this.#refRawTs) | 0;
    let ts = this.#refTs + td;
    const tdMs = td * this.#msPerTick;
    const seqMs = d * this.#packetTicks * this.#msPerTick;
    const jump = this.options.maxTimestampJumpMs;
    if (d > 0) {
      if (Math.abs(tdMs - seqMs) > jump && Math.abs(tdMs - (arrival - this.#refArrival)) > jump) {
        // the sender's timestamps jumped: keep the timeline continuous with the arrival time
        ts = this.#rebasedTs(arrival);
        this.#restarts++;
        this.#rebaseSeq = ext;
        rebased = true;
      }
      this.#maxSeq = ext;
      this.#maxRawSeq = seq;
      this.#refRawTs = rawTs;
      this.#refTs = ts;
      this.#refArrival = arrival;
    } else if (ext < this.#rebaseSeq) {
      // an old packet from before a timestamp jump or restart: its place on the timeline is unknown
      this.#discarded++;
      return 'discarded';
    }
    this.#inTs = ts;
    this.#inRawTs = rawTs;
    return this.#accept(ext, seq, p, off, len, rebased);
  }

  /**
   * Returns the next playout unit. Call it on the media tick; when the units
   * are shorter than the tick (10 ms packets) call again until the tick is
   * covered, and when longer (40/60 ms packets) skip pulls while decoded audio
   * remains — `frame.samples` tells how much each unit stands for. A second
   * pull at the same `nowMs` starts playing where the previous unit ends, but
   * its packet still has to be here now.
   */
  pull(nowMs: number): JitterFrame {
    if (!Number.isFinite(nowMs)) throw invalid('nowMs must be a finite number');
    // Decisions are taken now (a packet must be here now to be played), but the unit starts
    // playing only when the audio already handed out this tick has played.
    this.#startMs = this.#audioEnd > nowMs && this.#audioEnd - nowMs < 1000 ? this.#audioEnd : nowMs;
    const f = this.#pullAt(nowMs);
    this.#audioEnd = this.#startMs + f.samples * this.#msPerTick;
    return f;
  }

  #pullAt(nowMs: number): JitterFrame {
    const f = this.#frame;
    f.timestamp = -1;
    f.seq = -1;
    f.marker = false;
    f.length = 0;
    f.offset = 0;
    f.nextOffset = -1;
    f.nextLength = 0;
    f.delayMs = 0;
    let target = this.options.delayMs;
    if (this.#adaptive) {
      this.#est.refreshTarget(nowMs, this.options.delayMs);
      target = Math.min(this.options.maxDelayMs, Math.max(this.options.minDelayMs, this.#est.targetMs));
    }
    this.#targetMs = target;
    const floor = this.#est.floor;
    const F = this.#frameMs;
    if (!this.#anchored) {
      this.#curMs = 0;
      const first = this.#firstPresent();
      if (first >= 0) {
        const slot = this.#slotIndex(first);
        const cur = nowMs - this.#sTs[slot]! * this.#msPerTick - floor;
        if (cur >= target - 1e-9) {
          this.#anchored = true;
          this.#nextSeq = first;
          this.#playTs = this.#sTs[slot]!;
          return this.#play(slot);
        }
      }
      return this.#unit('buffering', this.frameSamples);
    }
    for (let guard = 0; guard <= this.#cap + 1; guard++) {
      this.#curMs = nowMs - this.#playTs * this.#msPerTick - floor;
      const jSeq = this.#firstPresent();
      if (jSeq < 0) return this.#underrun();
      const slot = this.#slotIndex(jSeq);
      const tsJ = this.#sTs[slot]!;
      const missing = jSeq - this.#nextSeq;
      const gap = tsJ - this.#playTs;
      const curJ = nowMs - tsJ * this.#msPerTick - floor;
      const excessJ = curJ - target;
      if (tsJ <= this.#lastNormalTs) {
        // the sender's timestamps went backwards within a stream: cannot be placed
        this.#discardSlot(slot);
        this.#discarded++;
        this.#passTo(jSeq + 1);
        continue;
      }
      if (gap > missing * this.#packetTicks + this.#packetTicks / 2) {
        // silence before this packet (talk-spurt start): wait for its delay to reach the target
        if (excessJ >= -1e-9) {
          this.#passTo(jSeq);
          this.#playTs = tsJ;
          return this.#play(slot);
        }
        this.#awaiting = false;
        this.#holdMs = 0;
        return this.#unit('silence', this.frameSamples);
      }
      if (missing > 0) {
        // loss inside a talk spurt
        if (excessJ >= -F / 4) {
          this.#passTo(jSeq);
          this.#playTs = Math.max(this.#playTs, tsJ);
          return this.#play(slot);
        }
        if (this.#adaptive && this.#curMs - target < 0) {
          this.#inserted++;
          this.#awaiting = true;
          return this.#conceal(this.#holdTicks(), false);
        }
        const dur = clamp(Math.round(gap / missing), 1, this.#maxPacketTicks);
        if (missing === 1) {
          this.#frame.nextOffset = slot * this.#maxPayload;
          this.#frame.nextLength = this.#sLen[slot]!;
        }
        const r = this.#conceal(dur, true);
        this.#lost++;
        this.#nextSeq++;
        this.#playTs += dur;
        return r;
      }
      // the next packet in sequence, contiguous with what was played
      const dur = this.#durationOf(jSeq, slot);
      if (this.#awaiting && excessJ >= F) {
        // it came while we were already concealing its place, and keeping it would leave the delay too high
        this.#discardSlot(slot);
        this.#late++;
        this.#passTo(jSeq + 1);
        this.#playTs = Math.max(this.#playTs, tsJ + dur);
        continue;
      }
      const canAdjust = nowMs - this.#lastAdjustMs >= this.options.minAdjustIntervalMs;
      if (
        !this.#awaiting &&
        canAdjust &&
        excessJ >= Math.max(dur * this.#msPerTick, F) &&
        this.#slotOf(jSeq + 1) >= 0
      ) {
        // time-scale compression: drop one packet
        this.#discardSlot(slot);
        this.#discarded++;
        this.#dropped++;
        this.#passTo(jSeq + 1);
        this.#playTs = Math.max(this.#playTs, tsJ + dur);
        this.#lastAdjustMs = nowMs;
        continue;
      }
      if (canAdjust && excessJ < 0) {
        // time-scale expansion: one concealed frame before this packet
        this.#inserted++;
        this.#lastAdjustMs = nowMs;
        return this.#conceal(this.#holdTicks(), false);
      }
      this.#playTs = Math.max(this.#playTs, tsJ);
      return this.#play(slot);
    }
    return this.#underrun();
  }

  /** Counters and the delay state. Allocates; not for the hot path. */
  stats(): JitterStats {
    let bufferedTicks = 0;
    if (this.#count > 0) {
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < this.#cap; i++) {
        if (this.#sSeq[i]! < 0) continue;
        lo = Math.min(lo, this.#sTs[i]!);
        hi = Math.max(hi, this.#sTs[i]!);
      }
      bufferedTicks = hi - lo + this.#packetTicks;
    }
    return {
      received: this.#received,
      buffered: this.#count,
      played: this.#played,
      lost: this.#lost,
      late: this.#late,
      duplicates: this.#duplicates,
      discarded: this.#discarded,
      dropped: this.#dropped,
      inserted: this.#inserted,
      concealed: this.#concealed,
      restarts: this.#restarts,
      currentDelayMs: this.#curMs,
      targetDelayMs: this.#targetMs,
      bufferedMs: bufferedTicks * this.#msPerTick,
      packetMs: this.#packetTicks * this.#msPerTick,
    };
  }

  /**
   * Forgets the stream (sequence and timestamp bases, buffered packets —
   * counted as discarded) but keeps the delay estimate and the counters. Use
   * it when the caller knows the source changed.
   */
  reset(): void {
    for (let i = 0; i < this.#cap; i++) {
      if (this.#sSeq[i]! >= 0) {
        this.#sSeq[i] = -1;
        this.#discarded++;
      }
    }
    this.#count = 0;
    this.#haveRef = false;
    this.#ssrc = -1;
    this.#candidate = -1;
    this.#rebaseSeq = -1;
    this.#anchored = false;
    this.#lastNormalTs = Number.NEGATIVE_INFINITY;
    this.#lastPlayedSeq = -1;
    this.#holdMs = 0;
    this.#awaiting = false;
    this.#seen.fill(-1);
  }

  // ---------------------------------------------------------------- push side

  /** Places a packet whose timeline position is in `#inTs` / `#inRawTs` (fields: doubles passed as arguments get boxed). */
  #accept(
    ext: number,
    rawSeq: number,
    p: JitterPacket,
    off: number,
    len: number,
    rebased = false,
  ): PushResult {
    const arrival = p.arrivalMs;
    const ts = this.#inTs;
    const rawTs = this.#inRawTs;
    const hi = this.#seenMask & ext;
    if (ext < this.#nextSeq) {
      if (!this.#anchored && this.#maxSeq - ext < this.#cap && this.#seen[hi] !== ext) {
        this.#nextSeq = ext; // reordered before playout started: not late
      } else if (this.#seen[hi] === ext) {
        this.#duplicates++;
        return 'duplicate';
      } else {
        this.#seen[hi] = ext;
        this.#late++;
        this.#est.transitMs = arrival - ts * this.#msPerTick;
        this.#est.arrivalMs = arrival;
        this.#est.add();
        return 'late';
      }
    }
    const slot0 = this.#slotIndex(ext);
    if (this.#sSeq[slot0] === ext) {
      this.#duplicates++;
      return 'duplicate';
    }
    if (ext >= this.#nextSeq + this.#cap) {
      // ring overflow: the oldest unplayed packets make room
      while (ext >= this.#nextSeq + this.#cap) {
        const s = this.#slotOf(this.#nextSeq);
        if (s >= 0) {
          this.#discardSlot(s);
          this.#discarded++;
        } else if (this.#anchored) {
          this.#lost++;
        }
        this.#nextSeq++;
      }
      this.#awaiting = false;
    }
    const slot = slot0;
    this.#sSeq[slot] = ext;
    this.#sTs[slot] = ts;
    this.#sRawTs[slot] = rawTs;
    this.#sRawSeq[slot] = rawSeq;
    this.#sArrival[slot] = arrival;
    this.#sLen[slot] = len;
    this.#sMarker[slot] = p.marker ? 1 : 0;
    const dst = slot * this.#maxPayload;
    const src = p.payload;
    if (off === 0 && len === src.length) this.#data.set(src, dst);
    else for (let i = 0; i < len; i++) this.#data[dst + i] = src[off + i]!;
    this.#seen[hi] = ext;
    this.#count++;
    if (!rebased) this.#learnPacketTicks(ext, slot);
    this.#est.transitMs = arrival - ts * this.#msPerTick;
    this.#est.arrivalMs = arrival;
    this.#est.add();
    return 'buffered';
  }

  /** Packet duration from neighbouring sequence numbers (never across a marker). */
  #learnPacketTicks(ext: number, slot: number): void {
    const prev = this.#slotOf(ext - 1);
    let d = -1;
    if (prev >= 0 && this.#sMarker[slot] === 0) d = this.#sTs[slot]! - this.#sTs[prev]!;
    else if (ext - 1 === this.#lastPlayedSeq && this.#sMarker[slot] === 0)
      d = this.#sTs[slot]! - this.#lastPlayedTs;
    if (d > 0 && d <= this.#maxPacketTicks) {
      this.#packetTicks = d;
      return;
    }
    const next = this.#slotOf(ext + 1);
    if (next >= 0 && this.#sMarker[next] === 0) {
      d = this.#sTs[next]! - this.#sTs[slot]!;
      if (d > 0 && d <= this.#maxPacketTicks) this.#packetTicks = d;
    }
  }

  /** A timeline position for a packet whose timestamp cannot be trusted: continuous with its arrival. */
  #rebasedTs(arrival: number): number {
    const floor = this.#est.floor;
    const transit = Number.isNaN(floor) ? 0 : floor + this.#est.lastRelativeMs;
    let ts = Math.round((arrival - transit) / this.#msPerTick);
    let end = this.#refTs + this.#packetTicks;
    if (this.#anchored) end = Math.max(end, this.#playTs);
    for (let i = 0; i < this.#cap; i++) {
      if (this.#sSeq[i]! >= 0) end = Math.max(end, this.#sTs[i]! + this.#packetTicks);
    }
    if (ts < end) ts = end;
    return ts;
  }

  #restart(seq: number, rawTs: number, p: JitterPacket, off: number, len: number): PushResult {
    this.#restarts++;
    this.#candidate = -1;
    const ext = this.#maxSeq + 1;
    const ts = this.#rebasedTs(p.arrivalMs);
    this.#rebaseSeq = ext;
    this.#maxSeq = ext;
    this.#maxRawSeq = seq;
    this.#refRawTs = rawTs;
    this.#refTs = ts;
    this.#refArrival = p.arrivalMs;
    this.#inTs = ts;
    this.#inRawTs = rawTs;
    return this.#accept(ext, seq, p, off, len, true);
  }

  // ---------------------------------------------------------------- pull side

  #slotIndex(ext: number): number {
    return ext % this.#cap;
  }

  /** Slot holding extended sequence `ext`, or -1. */
  #slotOf(ext: number): number {
    if (ext < 0) return -1;
    const s = ext % this.#cap;
    return this.#sSeq[s] === ext ? s : -1;
  }

  /** Lowest buffered sequence number at or after nextSeq, or -1. */
  #firstPresent(): number {
    if (this.#count === 0) return -1;
    const end = Math.min(this.#maxSeq, this.#nextSeq + this.#cap - 1);
    for (let s = this.#nextSeq; s <= end; s++) if (this.#sSeq[s % this.#cap] === s) return s;
    return -1;
  }

  #durationOf(ext: number, slot: number): number {
    const next = this.#slotOf(ext + 1);
    if (next >= 0 && this.#sMarker[next] === 0) {
      const d = this.#sTs[next]! - this.#sTs[slot]!;
      if (d > 0 && d <= this.#maxPacketTicks) return d;
    }
    return this.#packetTicks;
  }

  /** Moves nextSeq to `to`, counting sequence numbers passed without a packet as lost. */
  #passTo(to: number): void {
    for (let s = this.#nextSeq; s < to; s++) {
      const slot = this.#slotOf(s);
      if (slot >= 0) {
        this.#discardSlot(slot);
        this.#discarded++;
      } else {
        this.#lost++;
      }
    }
    if (to > this.#nextSeq) this.#nextSeq = to;
  }

  #discardSlot(slot: number): void {
    this.#sSeq[slot] = -1;
    this.#count--;
  }

  #play(slot: number): JitterFrame {
    const f = this.#frame;
    const ext = this.#sSeq[slot]!;
    const dur = this.#durationOf(ext, slot);
    const ts = this.#sTs[slot]!;
    f.kind = 'normal';
    f.samples = dur;
    f.position = ts;
    f.timestamp = this.#sRawTs[slot]!;
    f.seq = this.#sRawSeq[slot]!;
    f.marker = this.#sMarker[slot] === 1;
    f.offset = slot * this.#maxPayload;
    f.length = this.#sLen[slot]!;
    f.delayMs = this.#startMs - this.#sArrival[slot]!;
    this.#discardSlot(slot);
    this.#nextSeq = ext + 1;
    this.#playTs = Math.max(this.#playTs, ts + dur);
    this.#lastNormalTs = ts;
    this.#lastPlayedSeq = ext;
    this.#lastPlayedTs = ts;
    this.#holdMs = 0;
    this.#awaiting = false;
    this.#played++;
    return f;
  }

  #underrun(): JitterFrame {
    // expand: wait for the next packet without moving the timeline
    const n = this.#holdTicks();
    this.#holdMs += n * this.#msPerTick;
    this.#awaiting = true;
    if (this.#holdMs > this.options.concealLimitMs) return this.#unit('silence', n);
    return this.#conceal(n, false);
  }

  /** Length of an expansion unit: a frame, or a packet when packets are shorter. */
  #holdTicks(): number {
    return Math.min(this.frameSamples, this.#packetTicks);
  }

  #conceal(samples: number, byLoss: boolean): JitterFrame {
    const f = this.#frame;
    f.kind = 'concealed';
    f.samples = samples;
    f.position = this.#playTs;
    f.timestamp = (this.#refRawTs + (this.#playTs - this.#refTs)) >>> 0;
    f.seq = byLoss ? (this.#maxRawSeq + (this.#nextSeq - this.#maxSeq)) & 0xffff : -1;
    this.#concealed++;
    return f;
  }

  #unit(kind: 'silence' | 'buffering', samples: number): JitterFrame {
    const f = this.#frame;
    f.kind = kind;
    f.samples = samples;
    f.position = this.#playTs;
    return f;
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function invalid(message: string): StrowgerError {
  return new StrowgerError('ERR_INVALID_ARGUMENT', `jitter buffer: ${message}`);
}
