/**
 * Session timers (RFC 4028) as pure functions: what a UAS answers to a
 * Session-Expires request (§9, 422 with Min-SE when too small), what a UAC
 * learns from the 2xx (§7.4), and when the refresher refreshes (half the
 * interval, §10) and the other side gives up (§10: the interval minus
 * min(32 s, interval/3)).
 */
import type { SipRequest, SipResponse } from '../message/index.js';

/** RFC 4028 §4: Min-SE may never be below 90 s. */
export const MIN_SESSION_EXPIRES = 90;

export const SESSION_TIMER_DEFAULTS = Object.freeze({
  /** Session-Expires we ask for and accept at most, seconds (RFC 4028 recommends 1800). */
  expires: 1800,
  /** The smallest interval we accept, seconds. */
  minSE: 90,
});

export interface SessionTimerConfig {
  expires: number;
  minSE: number;
  /** Who refreshes when the UAC leaves it to us (UAS side); default 'uas'. */
  refresher?: 'uac' | 'uas';
}

/** A running session timer as both sides agreed it. */
export interface SessionTimer {
  /** Interval in seconds. */
  interval: number;
  refresher: 'uac' | 'uas';
}

export type UasSessionTimerDecision =
  | { kind: 'none' }
  | { kind: 'reject'; minSE: number }
  | { kind: 'accept'; timer: SessionTimer; require: boolean };

/**
 * The UAS's decision for a (re-)INVITE or UPDATE (RFC 4028 §9). With no
 * Session-Expires in the request and a UAC that supports `timer`, the UAS
 * runs one itself (refresher uas). Throws SipParseError on malformed headers.
 */
export function uasSessionTimer(request: SipRequest, config: SessionTimerConfig): UasSessionTimerDecision {
  const se = request.sessionExpires;
  const uacSupports = request.supported.includes('timer') || request.require.includes('timer');
  if (se === undefined) {
    if (!uacSupports) return { kind: 'none' };
    return {
      kind: 'accept',
      timer: { interval: Math.max(config.expires, config.minSE), refresher: 'uas' },
      require: true,
    };
  }
  const ownMin = Math.max(config.minSE, MIN_SESSION_EXPIRES);
  if (se.delta < ownMin) return { kind: 'reject', minSE: ownMin };
  // we may shorten the interval, never below the request's Min-SE or our own
  const theirMin = request.minSE ?? MIN_SESSION_EXPIRES;
  const interval = Math.max(Math.min(se.delta, config.expires), theirMin, ownMin);
  const refresher = se.refresher ?? (uacSupports ? (config.refresher ?? 'uas') : 'uas');
  return { kind: 'accept', timer: { interval, refresher }, require: uacSupports };
}

/** The header values of a UAS's 2xx for an accepted timer (`Require: timer` when the decision asks for it). */
export function sessionTimerHeaders(timer: SessionTimer, require = false): Array<[string, string]> {
  const h: Array<[string, string]> = [['Session-Expires', `${timer.interval};refresher=${timer.refresher}`]];
  if (require) h.push(['Require', 'timer']);
  return h;
}

/**
 * What the UAC learns from a 2xx (RFC 4028 §7.4): the timer when the
 * response has a Session-Expires; undefined when the UAS runs none.
 */
export function uacSessionTimer(response: SipResponse): SessionTimer | undefined {
  const se = response.sessionExpires;
  if (se === undefined) return undefined;
  return { interval: se.delta, refresher: se.refresher ?? 'uac' };
}

/** When the refresher sends its refresh: half the interval (RFC 4028 §10), in ms. */
export function refreshDelayMs(timer: SessionTimer): number {
  return (timer.interval * 1000) / 2;
}

/** When the side that does not refresh sends BYE: the interval minus min(32 s, interval/3) (§10), in ms. */
export function expiryDelayMs(timer: SessionTimer): number {
  return (timer.interval - Math.min(32, timer.interval / 3)) * 1000;
}
