/**
 * The RFC 4733 telephone-event payload (DTMF digits and other named events).
 *
 * https://www.rfc-editor.org/rfc/rfc4733#section-2.3
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     event     |E|R| volume    |          duration             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * E marks the end of the event; R is reserved (sent 0, ignored); volume is the
 * power level in -dBm0 (0..63); duration is in RTP timestamp units since the
 * event (segment) began, the RTP timestamp being the event's start.
 */
import { readU16, writeU16 } from './bytes.js';
import { checkRoom, checkUint, RtpParseError } from './errors.js';

export const TELEPHONE_EVENT_SIZE = 4;

export interface TelephoneEventInit {
  event: number;
  end?: boolean;
  volume?: number;
  duration?: number;
}

export class TelephoneEvent {
  event: number;
  end: boolean;
  volume: number;
  duration: number;

  constructor(init: TelephoneEventInit) {
    this.event = init.event;
    this.end = init.end ?? false;
    this.volume = init.volume ?? 10;
    this.duration = init.duration ?? 0;
  }

  /** Parses a telephone-event payload: exactly 4 bytes (RTP padding already removed). */
  static parse(bytes: Uint8Array): TelephoneEvent {
    if (bytes.length !== TELEPHONE_EVENT_SIZE) {
      throw new RtpParseError(
        `telephone-event payload is ${bytes.length} bytes, expected 4`,
        Math.min(bytes.length, 4),
      );
    }
    const b1 = bytes[1] as number;
    return new TelephoneEvent({
      event: bytes[0] as number,
      end: (b1 & 0x80) !== 0,
      volume: b1 & 0x3f,
      duration: readU16(bytes, 2),
    });
  }

  serializedSize(): number {
    return TELEPHONE_EVENT_SIZE;
  }

  serializeInto(buf: Uint8Array, offset = 0): number {
    checkUint('event', this.event, 8);
    checkUint('volume', this.volume, 6);
    checkUint('duration', this.duration, 16);
    checkRoom(buf, offset, TELEPHONE_EVENT_SIZE);
    buf[offset] = this.event;
    buf[offset + 1] = (this.end ? 0x80 : 0) | this.volume;
    writeU16(buf, offset + 2, this.duration);
    return TELEPHONE_EVENT_SIZE;
  }

  serialize(): Uint8Array {
    const out = new Uint8Array(TELEPHONE_EVENT_SIZE);
    this.serializeInto(out, 0);
    return out;
  }
}

const DIGITS = '0123456789*#ABCD';

/** The DTMF name of an event code (RFC 4733 §3.2): '0'..'9', '*', '#', 'A'..'D', 'flash'. */
export function telephoneEventName(event: number): string | undefined {
  if (event >= 0 && event < 16) return DIGITS[event];
  if (event === 16) return 'flash';
  return undefined;
}

/** The event code of a DTMF name (case-insensitive letters), or undefined. */
export function telephoneEventCode(name: string): number | undefined {
  if (name === 'flash') return 16;
  if (name.length !== 1) return undefined;
  const i = DIGITS.indexOf(name.toUpperCase());
  return i < 0 ? undefined : i;
}
