/**
 * A pure RFC 4733 receiver: turns a stream of telephone-event packets into
 * digit events, each reported once.
 *
 * https://www.rfc-editor.org/rfc/rfc4733#section-2.5.2
 *
 * An event is identified by its RTP timestamp (its start). The receiver
 * - reports `begin` on the first packet it sees of a new event, even when the
 *   marked start packet was lost;
 * - reports `end` once: on the first packet with the E bit, and ignores the
 *   redundant end packets and any late packet of an event already ended;
 * - ends the running event (with `complete: false`) when a packet of a newer
 *   event arrives before its end packet did, or when nothing was heard of it
 *   for `timeoutMs` (`poll`);
 * - joins the segments of a long event (same event, next timestamp =
 *   previous + 0xFFFF, RFC 4733 §2.5.1.3) into one digit;
 * - drops packets older than the newest event it has seen (reordering).
 *
 * Time comes in as arguments; nothing here touches a timer.
 */
import { StrowgerError } from '../core/index.js';
import { telephoneEventName } from './telephone-event.js';

export interface TelephoneEventReceiverOptions {
  /** End a silent event after this long without a packet (default 1000 ms). */
  timeoutMs?: number;
}

export const TELEPHONE_EVENT_RECEIVER_DEFAULTS = Object.freeze({ timeoutMs: 1000 });

/** What the receiver needs from each packet (RTP timestamp + the parsed payload). */
export interface TelephoneEventInput {
  timestamp: number;
  event: number;
  end: boolean;
  volume: number;
  duration: number;
}

export interface DigitEvent {
  type: 'begin' | 'end';
  event: number;
  /** '0'..'9', '*', '#', 'A'..'D', 'flash', or undefined for other events. */
  digit: string | undefined;
  /** RTP timestamp of the event's start. */
  timestamp: number;
  /** Duration so far (begin) or in total (end), in timestamp units, segments included. */
  duration: number;
  volume: number;
  /** `end` only: true when an end packet was received, false when the end was inferred. */
  complete: boolean;
}

const HISTORY = 16;

export class TelephoneEventReceiver {
  readonly #timeoutMs: number;
  // the running event
  #active = false;
  #event = 0;
  #startTs = 0;
  #segTs = 0;
  #accumulated = 0;
  #segDuration = 0;
  #volume = 0;
  #lastHeard = 0;
  // timestamps of finished segments/events, to drop redundant or late packets
  readonly #done = new Uint32Array(HISTORY);
  #doneCount = 0;
  #doneNext = 0;
  #newestTs = 0;
  #haveNewest = false;

  constructor(options: TelephoneEventReceiverOptions = {}) {
    const o = { ...TELEPHONE_EVENT_RECEIVER_DEFAULTS, ...options };
    if (!(o.timeoutMs > 0)) throw new StrowgerError('ERR_INVALID_ARGUMENT', 'timeoutMs must be > 0');
    this.#timeoutMs = o.timeoutMs;
  }

  /** True while an event has begun and not ended. */
  get active(): boolean {
    return this.#active;
  }

  /** Feeds one packet received at `nowMs`; returns the digit events it causes (0, 1 or 2). */
  receive(p: TelephoneEventInput, nowMs: number): DigitEvent[] {
    const out: DigitEvent[] = [];
    const ts = p.timestamp >>> 0;
    if (this.#isDone(ts)) return out;
    if (this.#active) {
      if (ts === this.#segTs && p.event === this.#event) {
        this.#update(p, nowMs);
        if (p.end) out.push(this.#finish(true));
        return out;
      }
      if (p.event === this.#event && (ts - this.#segTs) >>> 0 === 0xffff) {
        // next segment of a long event
        this.#remember(this.#segTs);
        this.#accumulated += 0xffff;
        this.#segTs = ts;
        this.#segDuration = 0;
        this.#newestTs = ts;
        this.#update(p, nowMs);
        if (p.end) out.push(this.#finish(true));
        return out;
      }
      if (((ts - this.#segTs) | 0) < 0) return out; // a straggler from before this event
      out.push(this.#finish(false));
    } else if (this.#haveNewest && ((ts - this.#newestTs) | 0) < 0) {
      return out; // older than an event already handled
    }
    this.#active = true;
    this.#event = p.event;
    this.#startTs = ts;
    this.#segTs = ts;
    this.#accumulated = 0;
    this.#segDuration = 0;
    this.#newestTs = ts;
    this.#haveNewest = true;
    this.#update(p, nowMs);
    out.push(this.#digit('begin', false));
    if (p.end) out.push(this.#finish(true));
    return out;
  }

  /** Ends the running event if nothing was heard of it for `timeoutMs`. */
  poll(nowMs: number): DigitEvent[] {
    if (this.#active && nowMs - this.#lastHeard >= this.#timeoutMs) return [this.#finish(false)];
    return [];
  }

  #update(p: TelephoneEventInput, nowMs: number): void {
    if (p.duration > this.#segDuration) this.#segDuration = p.duration;
    this.#volume = p.volume;
    this.#lastHeard = nowMs;
  }

  #finish(complete: boolean): DigitEvent {
    this.#active = false;
    this.#remember(this.#segTs);
    return this.#digit('end', complete);
  }

  #digit(type: 'begin' | 'end', complete: boolean): DigitEvent {
    return {
      type,
      event: this.#event,
      digit: telephoneEventName(this.#event),
      timestamp: this.#startTs,
      duration: this.#accumulated + this.#segDuration,
      volume: this.#volume,
      complete,
    };
  }

  #remember(ts: number): void {
    this.#done[this.#doneNext] = ts;
    this.#doneNext = (this.#doneNext + 1) % HISTORY;
    if (this.#doneCount < HISTORY) this.#doneCount++;
  }

  #isDone(ts: number): boolean {
    for (let i = 0; i < this.#doneCount; i++) if (this.#done[i] === ts) return true;
    return false;
  }
}
