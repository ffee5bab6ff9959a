/**
 * NTP timestamps as RTCP uses them (RFC 3550 §4): 64-bit, seconds since
 * 1900-01-01 in the high word and the fraction of a second in the low word;
 * the "middle 32 bits" (16.16 fixed point) carry LSR/DLSR in report blocks.
 *
 * https://www.rfc-editor.org/rfc/rfc3550#section-4
 */

/** Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
export const NTP_UNIX_OFFSET_SECONDS = 2_208_988_800;

export interface NtpTimestamp {
  /** Seconds since 1900, modulo 2^32. */
  seconds: number;
  /** Fraction of a second in 1/2^32 units. */
  fraction: number;
}

/** NTP timestamp of a Unix time in milliseconds (e.g. `clock.wallTime()`). */
export function ntpFromUnixMs(unixMs: number): NtpTimestamp {
  const whole = Math.floor(unixMs / 1000);
  const fraction = Math.min(0xffffffff, Math.floor(((unixMs - whole * 1000) / 1000) * 2 ** 32));
  return { seconds: (whole + NTP_UNIX_OFFSET_SECONDS) >>> 0, fraction };
}

/**
 * Unix milliseconds of an NTP timestamp. Seconds with the top bit clear are
 * read as era 1 (after 2036-02-07), as RFC 4330 §3 suggests.
 */
export function unixMsFromNtp(seconds: number, fraction: number): number {
  const s = seconds >= 0x80000000 ? seconds : seconds + 2 ** 32;
  return (s - NTP_UNIX_OFFSET_SECONDS) * 1000 + (fraction / 2 ** 32) * 1000;
}

/** The middle 32 bits of a 64-bit NTP timestamp (what LSR carries). */
export function ntpMiddle32(seconds: number, fraction: number): number {
  return (((seconds & 0xffff) << 16) | (fraction >>> 16)) >>> 0;
}

/** Middle 32 bits of the NTP timestamp of a Unix time (for the RTT arrival time A). */
export function ntpMiddle32FromUnixMs(unixMs: number): number {
  const t = ntpFromUnixMs(unixMs);
  return ntpMiddle32(t.seconds, t.fraction);
}

/** Seconds → 16.16 fixed point (the unit of DLSR), modulo 2^32. */
export function ntpShortFromSeconds(seconds: number): number {
  return Math.floor(seconds * 65536) >>> 0;
}

/** 16.16 fixed point → seconds. */
export function secondsFromNtpShort(value: number): number {
  return (value >>> 0) / 65536;
}

/**
 * Round-trip time from a report block about our own stream (RFC 3550 §6.4.1):
 * `A - LSR - DLSR`, where A is the middle 32 bits of the NTP time the report
 * arrived. Returns seconds, or undefined when the block carries no LSR (the
 * reporter has not received an SR from us yet). A negative result (clock
 * skew, bogus DLSR) is reported as 0.
 */
export function roundTripTime(
  arrivalNtpMiddle: number,
  lastSr: number,
  delaySinceLastSr: number,
): number | undefined {
  if (lastSr === 0) return undefined;
  const rtt = (arrivalNtpMiddle - lastSr - delaySinceLastSr) | 0;
  return rtt < 0 ? 0 : rtt / 65536;
}
