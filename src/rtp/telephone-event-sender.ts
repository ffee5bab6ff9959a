/**
 * A pure RFC 4733 sender: turns "digit pressed" / "digit released" and the
 * passing of time into the telephone-event packets to send.
 *
 * - The first packet of an event has the marker bit set; every packet of the
 *   event carries the event's start as RTP timestamp and the duration so far
 *   (https://www.rfc-editor.org/rfc/rfc4733#section-2.5.1.2).
 * - While the event lasts an update goes out every `intervalMs` (50 ms).
 * - The end packet (E bit, final duration, same timestamp) is sent
 *   `endRepeats` times (3), `endSpacingMs` apart (the update interval by
 *   default; 0 sends them back to back)
 *   (https://www.rfc-editor.org/rfc/rfc4733#section-2.5.1.4).
 * - An event longer than 0xFFFF timestamp units is cut into segments: the
 *   running segment is reported with duration 0xFFFF and the next one starts
 *   at timestamp + 0xFFFF (https://www.rfc-editor.org/rfc/rfc4733#section-2.5.1.3).
 *
 * The sender does not touch sockets or timers: call `poll(now)` at or after
 * `nextDueAt()`. It yields packet descriptions; the caller puts them in RTP
 * packets (sequence numbers, SSRC and payload type are the stream's).
 */
import { StrowgerError } from '../core/index.js';

export interface TelephoneEventSenderOptions {
  /** RTP clock rate of the telephone-event payload type (default 8000). */
  clockRate?: number;
  /** Update interval while an event lasts (default 50 ms). */
  intervalMs?: number;
  /** How many times the end packet is sent (default 3). */
  endRepeats?: number;
  /** Gap between end packet repeats (default: the update interval). */
  endSpacingMs?: number;
  /** Default volume, -dBm0 (default 10). */
  volume?: number;
}

export const TELEPHONE_EVENT_SENDER_DEFAULTS = Object.freeze({
  clockRate: 8000,
  intervalMs: 50,
  endRepeats: 3,
  volume: 10,
});

/** One telephone-event RTP packet to send. */
export interface TelephoneEventPacket {
  /** RTP timestamp: the start of the event (segment). */
  timestamp: number;
  marker: boolean;
  event: number;
  end: boolean;
  volume: number;
  /** Duration in timestamp units. */
  duration: number;
}

const MAX_DURATION = 0xffff;

export class TelephoneEventSender {
  readonly #clockRate: number;
  readonly #intervalMs: number;
  readonly #endRepeats: number;
  readonly #endSpacingMs: number;
  readonly #volume: number;

  #active = false;
  #event = 0;
  #eventVolume = 0;
  #segTimestamp = 0;
  #segStartMs = 0;
  #nextUpdateAt = 0;
  /** Pending end repeats. */
  #endsLeft = 0;
  #nextEndAt = 0;
  #endPacket: TelephoneEventPacket | undefined;

  constructor(options: TelephoneEventSenderOptions = {}) {
    const o = { ...TELEPHONE_EVENT_SENDER_DEFAULTS, ...options };
    if (!(o.clockRate > 0 && o.intervalMs > 0 && Number.isInteger(o.endRepeats) && o.endRepeats >= 1)) {
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        'clockRate, intervalMs > 0 and endRepeats >= 1 required',
      );
    }
    this.#clockRate = o.clockRate;
    this.#intervalMs = o.intervalMs;
    this.#endRepeats = o.endRepeats;
    this.#endSpacingMs = options.endSpacingMs ?? o.intervalMs;
    this.#volume = o.volume;
  }

  /** True while an event is being sent (end repeats not yet all out included). */
  get busy(): boolean {
    return this.#active || this.#endsLeft > 0;
  }

  /** True between `start` and `stop`. */
  get active(): boolean {
    return this.#active;
  }

  /** When `poll` next has something to send, or undefined when idle. */
  nextDueAt(): number | undefined {
    if (this.#active) return this.#nextUpdateAt;
    if (this.#endsLeft > 0) return this.#nextEndAt;
    return undefined;
  }

  /**
   * Starts event `event` (0..255; DTMF 0..16) whose first sample has RTP
   * timestamp `rtpTimestamp`. End repeats still pending from the previous
   * event are flushed first. Throws `ERR_INVALID_STATE` if an event is active.
   */
  start(event: number, rtpTimestamp: number, nowMs: number, volume = this.#volume): TelephoneEventPacket[] {
    if (this.#active)
      throw new StrowgerError('ERR_INVALID_STATE', 'a telephone event is already active; stop it first');
    if (!(Number.isInteger(event) && event >= 0 && event <= 255)) {
      throw new StrowgerError('ERR_INVALID_ARGUMENT', `event must be 0..255 (got ${event})`);
    }
    const out = this.#flushEnds();
    this.#active = true;
    this.#event = event;
    this.#eventVolume = volume & 0x3f;
    this.#segTimestamp = rtpTimestamp >>> 0;
    this.#segStartMs = nowMs;
    this.#nextUpdateAt = nowMs + this.#intervalMs;
    out.push(this.#packet(true, false, 0));
    return out;
  }

  /** Packets due at `nowMs`: an update (at most one, with the current duration) and end repeats. */
  poll(nowMs: number): TelephoneEventPacket[] {
    const out: TelephoneEventPacket[] = [];
    if (this.#active) {
      if (nowMs >= this.#nextUpdateAt) {
        this.#rollSegments(nowMs, out);
        out.push(this.#packet(false, false, this.#durationAt(nowMs)));
        this.#nextUpdateAt = nowMs + this.#intervalMs;
      }
    } else {
      while (this.#endsLeft > 0 && nowMs >= this.#nextEndAt && this.#endPacket) {
        out.push({ ...this.#endPacket });
        this.#endsLeft--;
        this.#nextEndAt += this.#endSpacingMs;
      }
    }
    return out;
  }

  /**
   * Ends the active event at `nowMs`. Returns the first end packet (all of
   * them when `endSpacingMs` is 0); `poll` sends the repeats.
   */
  stop(nowMs: number): TelephoneEventPacket[] {
    if (!this.#active) return [];
    const out: TelephoneEventPacket[] = [];
    this.#rollSegments(nowMs, out);
    this.#active = false;
    const end = this.#packet(false, true, this.#durationAt(nowMs));
    this.#endPacket = end;
    out.push({ ...end });
    this.#endsLeft = this.#endRepeats - 1;
    this.#nextEndAt = nowMs + this.#endSpacingMs;
    if (this.#endSpacingMs === 0) out.push(...this.#flushEnds());
    return out;
  }

  #durationAt(nowMs: number): number {
    const d = Math.round(((nowMs - this.#segStartMs) * this.#clockRate) / 1000);
    return d < 0 ? 0 : Math.min(d, MAX_DURATION);
  }

  /** Closes every full 0xFFFF segment before `nowMs` and opens the next one. */
  #rollSegments(nowMs: number, out: TelephoneEventPacket[]): void {
    const segMs = (MAX_DURATION * 1000) / this.#clockRate;
    while (nowMs - this.#segStartMs >= segMs) {
      out.push(this.#packet(false, false, MAX_DURATION));
      this.#segTimestamp = (this.#segTimestamp + MAX_DURATION) >>> 0;
      this.#segStartMs += segMs;
    }
  }

  #flushEnds(): TelephoneEventPacket[] {
    const out: TelephoneEventPacket[] = [];
    while (this.#endsLeft > 0 && this.#endPacket) {
      out.push({ ...this.#endPacket });
      this.#endsLeft--;
    }
    return out;
  }

  #packet(marker: boolean, end: boolean, duration: number): TelephoneEventPacket {
    return {
      timestamp: this.#segTimestamp,
      marker,
      event: this.#event,
      end,
      volume: this.#eventVolume,
      duration,
    };
  }
}
