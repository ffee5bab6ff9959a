import { StrowgerError } from '../core/index.js';

/**
 * Thrown when RTP, RTCP or RFC 4733 bytes are truncated or inconsistent.
 * `offset` is the byte offset (from the start of the bytes handed to the
 * parser) at which the problem was found. Code: `ERR_RTP_PARSE`.
 */
export class RtpParseError extends StrowgerError {
  readonly offset: number;

  constructor(message: string, offset: number) {
    super('ERR_RTP_PARSE', `${message} (at byte ${offset})`);
    this.offset = offset;
  }
}

/** Throws `ERR_INVALID_ARGUMENT` (used by the writers for out-of-range fields). */
export function invalidField(name: string, expected: string, got: unknown): never {
  throw new StrowgerError('ERR_INVALID_ARGUMENT', `${name} must be ${expected} (got ${String(got)})`);
}

export function checkUint(name: string, value: number, bits: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 2 ** bits - 1) {
    invalidField(name, `an integer in 0..${2 ** bits - 1}`, value);
  }
}

/** Throws `ERR_INVALID_ARGUMENT` when `buf` has no room for `size` bytes at `offset`. */
export function checkRoom(buf: Uint8Array, offset: number, size: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + size > buf.length) {
    throw new StrowgerError(
      'ERR_INVALID_ARGUMENT',
      `buffer too small: need ${size} bytes at offset ${offset}, have ${buf.length - offset}`,
    );
  }
}
