/**
 * Typed parsers for header values a SIP stack reads on every message, and for
 * the common extension headers. Each takes the (unfolded, trimmed) value and
 * throws {@link SipParseError} naming the header on malformed input.
 */
import { SipParseError } from './errors.js';
import {
  isLws,
  isToken,
  isTokenChar,
  parseDecimal,
  readQuoted,
  scanToken,
  skipLws,
  splitList,
  unquote,
} from './grammar.js';
import { parseGenericParams } from './name-addr.js';
import { Params } from './params.js';
import { codesOf, decimalAt, scanTokenAt, skipLwsAt } from './scan.js';

const MAX_CSEQ = 2 ** 31 - 1;
const MAX_DELTA = 2 ** 32 - 1;

function fail(header: string, message: string, offset = 0): never {
  throw new SipParseError(`${header}: ${message}`, { offset, header });
}

function digitsEnd(s: string, i: number): number {
  while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  return i;
}

/** A whole value that must be `1*DIGIT` no larger than `max`. */
function wholeNumber(header: string, v: string, max: number): number {
  const n = parseDecimal(v, 0, v.length, max);
  if (n < 0) fail(header, `expected a number 0-${max}`);
  return n;
}

export interface CSeq {
  seq: number;
  method: string;
}

/** `CSeq: 1*DIGIT LWS Method` — the number must be below 2^31. */
export function parseCSeq(v: string): CSeq {
  return parseCSeqAt(codesOf(v), v, 0, v.length);
}

/** @internal {@link parseCSeq} over the codes `c` of `s` (see scan.ts); error offsets are indexes into `s`. */
export function parseCSeqAt(c: Uint8Array, s: string, start: number, end: number): CSeq {
  let e = start;
  while (e < end && (c[e] as number) >= 48 && (c[e] as number) <= 57) e++;
  const seq = decimalAt(c, start, e, MAX_CSEQ);
  if (seq < 0) fail('CSeq', 'sequence number must be 0 to 2^31-1', start);
  if (e >= end || (c[e] !== 32 && c[e] !== 9)) fail('CSeq', 'expected LWS after the sequence number', e);
  const m0 = skipLwsAt(c, e, end);
  const m1 = scanTokenAt(c, m0, end);
  if (m1 === m0) fail('CSeq', 'expected a method token', m0);
  const t = skipLwsAt(c, m1, end);
  if (t !== end) fail('CSeq', 'unexpected text after the method', t);
  return { seq, method: s.slice(m0, m1) };
}

export function parseMaxForwards(v: string): number {
  return wholeNumber('Max-Forwards', v, 255);
}

export function parseContentLength(v: string): number {
  return wholeNumber('Content-Length', v, MAX_CSEQ);
}

/** `delta-seconds` (Expires, Min-Expires, Min-SE, RSeq …): 0 to 2^32-1. */
export function parseDeltaSeconds(header: string, v: string): number {
  return wholeNumber(header, v, MAX_DELTA);
}

/** `word [ "@" word ]` (RFC 3261 §25.1 callid). */
export function parseCallId(v: string): string {
  checkCallIdAt(codesOf(v), 0, v.length);
  return v;
}

/** @internal Checks the Call-ID in c[start, end) (see scan.ts); error offsets are indexes into `c`. */
export function checkCallIdAt(c: Uint8Array, start: number, end: number): void {
  if (end <= start) fail('Call-ID', 'empty', start);
  let ats = 0;
  for (let i = start; i < end; i++) {
    const x = c[i] as number;
    if (x <= 32 || x >= 127) fail('Call-ID', 'invalid character', i);
    if (x === 64 && ++ats > 1) fail('Call-ID', 'more than one "@"', i);
  }
  if (c[start] === 64 || c[end - 1] === 64) fail('Call-ID', 'empty word around "@"', start);
}

/** @internal A whole value c[start, end) that must be `1*DIGIT` no larger than `max` (Max-Forwards, Content-Length). */
export function wholeNumberAt(
  header: string,
  c: Uint8Array,
  start: number,
  end: number,
  max: number,
): number {
  const n = decimalAt(c, start, end, max);
  if (n < 0) fail(header, `expected a number 0-${max}`, start);
  return n;
}

/** Comma-separated tokens (Require, Supported, Unsupported, Allow, Proxy-Require …); empty elements are skipped. */
export function parseTokenList(header: string, values: readonly string[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    for (const t of splitList(value)) {
      if (t.length === 0) continue;
      if (!isToken(t)) fail(header, `"${t}" is not a token`);
      out.push(t);
    }
  }
  return out;
}

export interface MediaType {
  type: string;
  subtype: string;
  params: Params;
  /** `type/subtype` lower-cased, for comparisons. */
  readonly essence: string;
}

/** `m-type SLASH m-subtype *( SEMI m-parameter )` (Content-Type, Accept elements). */
export function parseMediaType(v: string, header = 'Content-Type'): MediaType {
  let i = skipLws(v, 0);
  const t0 = i;
  i = scanToken(v, i);
  if (i === t0) fail(header, 'missing media type');
  const type = v.slice(t0, i);
  i = skipLws(v, i);
  if (v.charCodeAt(i) !== 47) fail(header, 'expected "/"', i);
  i = skipLws(v, i + 1);
  const s0 = i;
  i = scanToken(v, i);
  if (i === s0) fail(header, 'missing media subtype', i);
  const subtype = v.slice(s0, i);
  const params = new Params();
  try {
    parseGenericParams(v, i, v.length, params);
  } catch (err) {
    fail(header, (err as Error).message, i);
  }
  return { type, subtype, params, essence: `${type}/${subtype}`.toLowerCase() };
}

export interface AuthHeader {
  /** `Digest`, as written. */
  scheme: string;
  /** auth-params with lower-cased names and unquoted values. */
  params: Record<string, string>;
}

/**
 * WWW-Authenticate / Proxy-Authenticate / Authorization / Proxy-Authorization
 * (RFC 3261 §25.1, RFC 7616): `scheme LWS auth-param *( COMMA auth-param )`.
 */
export function parseAuthHeader(v: string, header = 'Authorization'): AuthHeader {
  let i = skipLws(v, 0);
  const s0 = i;
  i = scanToken(v, i);
  if (i === s0) fail(header, 'missing auth scheme');
  const scheme = v.slice(s0, i);
  const params: Record<string, string> = Object.create(null);
  i = skipLws(v, i);
  while (i < v.length) {
    const n0 = i;
    i = scanToken(v, i);
    if (i === n0) fail(header, 'expected an auth-param name', i);
    const name = v.slice(n0, i).toLowerCase();
    i = skipLws(v, i);
    if (v.charCodeAt(i) !== 61) fail(header, `expected "=" after ${name}`, i);
    i = skipLws(v, i + 1);
    let value: string;
    if (v.charCodeAt(i) === 34) {
      const q = readQuoted(v, i);
      value = q.value;
      i = q.end;
    } else {
      const v0 = i;
      i = scanToken(v, i);
      if (i === v0) fail(header, `empty value for ${name}`, i);
      value = v.slice(v0, i);
    }
    if (name in params) fail(header, `duplicate parameter ${name}`, n0);
    params[name] = value;
    i = skipLws(v, i);
    if (i < v.length) {
      if (v.charCodeAt(i) !== 44) fail(header, 'expected "," between auth-params', i);
      i = skipLws(v, i + 1);
    }
  }
  return { scheme, params };
}

export interface SessionExpires {
  delta: number;
  refresher: 'uac' | 'uas' | undefined;
  params: Params;
}

/** RFC 4028: `delta-seconds *( SEMI se-params )`, `refresher=uac|uas`. */
export function parseSessionExpires(v: string): SessionExpires {
  const e = digitsEnd(v, 0);
  const delta = parseDecimal(v, 0, e, MAX_DELTA);
  if (delta < 0) fail('Session-Expires', 'expected delta-seconds');
  const params = new Params();
  try {
    parseGenericParams(v, e, v.length, params);
  } catch (err) {
    fail('Session-Expires', (err as Error).message, e);
  }
  const r = params.get('refresher')?.toLowerCase();
  if (r !== undefined && r !== 'uac' && r !== 'uas') fail('Session-Expires', 'refresher must be uac or uas');
  return { delta, refresher: r as 'uac' | 'uas' | undefined, params };
}

/** RFC 4028 Min-SE: `delta-seconds *( SEMI generic-param )`. */
export function parseMinSE(v: string): number {
  const e = digitsEnd(v, 0);
  const n = parseDecimal(v, 0, e, MAX_DELTA);
  if (n < 0) fail('Min-SE', 'expected delta-seconds');
  return n;
}

export interface Replaces {
  callId: string;
  toTag: string;
  fromTag: string;
  earlyOnly: boolean;
  params: Params;
}

/** RFC 3891: `callid *( SEMI replaces-param )` with `to-tag`, `from-tag`, `early-only`. */
export function parseReplaces(v: string): Replaces {
  let i = 0;
  while (i < v.length && v.charCodeAt(i) !== 59 && !isLws(v.charCodeAt(i))) i++;
  const callId = parseCallId(v.slice(0, i));
  const params = new Params();
  try {
    parseGenericParams(v, i, v.length, params);
  } catch (err) {
    fail('Replaces', (err as Error).message, i);
  }
  const toTag = params.get('to-tag');
  const fromTag = params.get('from-tag');
  if (!toTag || !fromTag) fail('Replaces', 'to-tag and from-tag are required');
  return { callId, toTag, fromTag, earlyOnly: params.has('early-only'), params };
}

export interface EventHeader {
  /** Event package, e.g. `refer`, `presence`, `dialog`, `message-summary`. */
  type: string;
  id: string | undefined;
  params: Params;
}

/** RFC 6665: `event-type *( SEMI event-param )`. */
export function parseEvent(v: string): EventHeader {
  let i = skipLws(v, 0);
  const t0 = i;
  while (i < v.length && (isTokenChar(v.charCodeAt(i)) || v.charCodeAt(i) === 46)) i++;
  if (i === t0) fail('Event', 'missing event type');
  const params = new Params();
  try {
    parseGenericParams(v, i, v.length, params);
  } catch (err) {
    fail('Event', (err as Error).message, i);
  }
  return { type: v.slice(t0, i), id: params.get('id') ?? undefined, params };
}

export interface SubscriptionState {
  /** `active`, `pending`, `terminated` or an extension value. */
  state: string;
  expires: number | undefined;
  reason: string | undefined;
  retryAfter: number | undefined;
  params: Params;
}

/** RFC 6665: `substate-value *( SEMI subexp-params )`. */
export function parseSubscriptionState(v: string): SubscriptionState {
  let i = skipLws(v, 0);
  const s0 = i;
  i = scanToken(v, i);
  if (i === s0) fail('Subscription-State', 'missing state');
  const params = new Params();
  try {
    parseGenericParams(v, i, v.length, params);
  } catch (err) {
    fail('Subscription-State', (err as Error).message, i);
  }
  const num = (name: string): number | undefined => {
    const x = params.get(name);
    if (x == null) return undefined;
    return parseDeltaSeconds('Subscription-State', x);
  };
  return {
    state: v.slice(s0, i).toLowerCase(),
    expires: num('expires'),
    reason: params.get('reason') ?? undefined,
    retryAfter: num('retry-after'),
    params,
  };
}

/** RFC 3262 RSeq: `1*DIGIT` (1 to 2^32-1). */
export function parseRSeq(v: string): number {
  return parseDeltaSeconds('RSeq', v);
}

export interface RAck {
  rseq: number;
  cseq: number;
  method: string;
}

/** RFC 3262 RAck: `response-num LWS CSeq-num LWS Method`. */
export function parseRAck(v: string): RAck {
  const parts = v.trim().split(/[ \t]+/);
  if (parts.length !== 3) fail('RAck', 'expected "rseq cseq method"');
  const [a, b, m] = parts as [string, string, string];
  const rseq = parseDecimal(a, 0, a.length, MAX_DELTA);
  const cseq = parseDecimal(b, 0, b.length, MAX_CSEQ);
  if (rseq < 0 || cseq < 0 || !isToken(m)) fail('RAck', 'expected "rseq cseq method"');
  return { rseq, cseq, method: m };
}

export interface RetryAfter {
  seconds: number;
  comment: string | undefined;
  duration: number | undefined;
}

/** `delta-seconds [ comment ] *( SEMI retry-param )`. */
export function parseRetryAfter(v: string): RetryAfter {
  const e = digitsEnd(v, 0);
  const seconds = parseDecimal(v, 0, e, MAX_DELTA);
  if (seconds < 0) fail('Retry-After', 'expected delta-seconds');
  let i = skipLws(v, e);
  let comment: string | undefined;
  if (v.charCodeAt(i) === 40) {
    const close = v.indexOf(')', i);
    if (close < 0) fail('Retry-After', 'unterminated comment', i);
    comment = v.slice(i + 1, close);
    i = close + 1;
  }
  const params = new Params();
  try {
    parseGenericParams(v, i, v.length, params);
  } catch (err) {
    fail('Retry-After', (err as Error).message, i);
  }
  const d = params.get('duration');
  return { seconds, comment, duration: d == null ? undefined : parseDeltaSeconds('Retry-After', d) };
}

/** Unquotes a parameter value that may be a quoted-string (e.g. `+sip.instance`). */
export function paramValue(v: string | null | undefined): string | undefined {
  if (v == null) return undefined;
  return unquote(v);
}
