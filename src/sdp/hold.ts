/**
 * Hold detection. A stream is on hold when its direction is `sendonly` or
 * `inactive` (RFC 3264 §8.4), or when its connection address is `0.0.0.0`,
 * the RFC 2543 way. A `0.0.0.0` stream that carries ICE attributes is not on
 * hold: trickle ICE (RFC 8840) uses that address before candidates arrive.
 */

import { connectionOf, directionOf, getAttribute } from './access.js';
import { isUnspecifiedIPv4 } from './address.js';
import type { Direction, MediaDescription, SessionDescription } from './types.js';

export type HoldReason = 'sendonly' | 'inactive' | 'zero-address';

export interface StreamHoldState {
  index: number;
  type: string;
  /** False for a rejected or disabled stream (port 0), which is never on hold. */
  active: boolean;
  onHold: boolean;
  reason?: HoldReason;
  direction: Direction;
}

export interface HoldState {
  /** True when there is at least one active stream and every active stream is on hold. */
  onHold: boolean;
  streams: StreamHoldState[];
}

/** Why one stream of `description` is on hold, or undefined when it is not. */
export function streamHoldReason(
  description: SessionDescription,
  media: MediaDescription,
): HoldReason | undefined {
  const d = directionOf(media, description);
  if (d === 'sendonly' || d === 'inactive') return d;
  const c = connectionOf(description, media);
  if (c && isUnspecifiedIPv4(c.address)) {
    const ice = getAttribute(media, 'ice-ufrag') ?? getAttribute(description, 'ice-ufrag');
    if (!ice) return 'zero-address';
  }
  return undefined;
}

/**
 * The hold state of a description received from the peer: per stream, and
 * for the whole session (every active stream on hold).
 */
export function holdState(description: SessionDescription): HoldState {
  const streams: StreamHoldState[] = [];
  let active = 0;
  let held = 0;
  description.media.forEach((m, index) => {
    const isActive = m.port !== 0;
    const reason = isActive ? streamHoldReason(description, m) : undefined;
    const s: StreamHoldState = {
      index,
      type: m.type,
      active: isActive,
      onHold: reason !== undefined,
      direction: directionOf(m, description),
    };
    if (reason) s.reason = reason;
    if (isActive) active++;
    if (reason) held++;
    streams.push(s);
  });
  return { onHold: active > 0 && held === active, streams };
}
