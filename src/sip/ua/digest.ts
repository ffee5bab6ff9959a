/**
 * HTTP Digest as SIP uses it (RFC 3261 §22.4, RFC 7616 §3.4, RFC 8760, RFC 2617
 * and RFC 2069 compatibility): the hash algorithms, the response computation
 * and the challenge / credentials header values.
 *
 *   A1       = username ":" realm ":" password                 (algorithm X)
 *   A1       = H(username ":" realm ":" password) ":" nonce ":" cnonce   (X-sess)
 *   A2       = Method ":" digest-uri                            (qop=auth or absent)
 *   A2       = Method ":" digest-uri ":" H(entity-body)         (qop=auth-int)
 *   response = KD(H(A1), nonce ":" nc ":" cnonce ":" qop ":" H(A2))   (qop present)
 *   response = KD(H(A1), nonce ":" H(A2))                              (RFC 2069, no qop)
 *   KD(secret, data) = H(secret ":" data)
 *
 * Strings are hashed as UTF-8; digests are lower-case hex.
 */
import { createHash } from 'node:crypto';
import { type AuthHeader, quote } from '../message/index.js';

/** Algorithms of the IANA "HTTP Digest Algorithm Values" registry that SIP uses (RFC 8760). */
export type DigestAlgorithm =
  | 'MD5'
  | 'MD5-sess'
  | 'SHA-256'
  | 'SHA-256-sess'
  | 'SHA-512-256'
  | 'SHA-512-256-sess';

/** The hash function under an algorithm: an HA1 stored for `SHA-256` serves `SHA-256-sess` too. */
export type DigestHashName = 'MD5' | 'SHA-256' | 'SHA-512-256';

/** Every supported algorithm, strongest first (the order a client prefers them in). */
export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = Object.freeze([
  'SHA-512-256',
  'SHA-512-256-sess',
  'SHA-256',
  'SHA-256-sess',
  'MD5',
  'MD5-sess',
]);

const NODE_HASH: Readonly<Record<DigestHashName, string>> = Object.freeze({
  MD5: 'md5',
  'SHA-256': 'sha256',
  'SHA-512-256': 'sha512-256',
});

/** Hex length of each hash. */
export const DIGEST_HEX_LENGTH: Readonly<Record<DigestHashName, number>> = Object.freeze({
  MD5: 32,
  'SHA-256': 64,
  'SHA-512-256': 64,
});

/**
 * The algorithm named by an `algorithm` parameter, case-insensitively; an
 * absent parameter means MD5 (RFC 7616 §3.3). Undefined for an unknown name.
 */
export function parseDigestAlgorithm(value: string | undefined): DigestAlgorithm | undefined {
  if (value === undefined) return 'MD5';
  const v = value.toUpperCase();
  for (const a of DIGEST_ALGORITHMS) if (a.toUpperCase() === v) return a;
  return undefined;
}

export function digestHashOf(algorithm: DigestAlgorithm): DigestHashName {
  return algorithm.endsWith('-sess')
    ? (algorithm.slice(0, -5) as DigestHashName)
    : (algorithm as DigestHashName);
}

export function isSessionAlgorithm(algorithm: DigestAlgorithm): boolean {
  return algorithm.endsWith('-sess');
}

/** H(data) as lower-case hex. */
export function digestHash(hash: DigestHashName, data: string | Uint8Array): string {
  const h = createHash(NODE_HASH[hash]);
  if (typeof data === 'string') h.update(data, 'utf8');
  else h.update(data);
  return h.digest('hex');
}

/**
 * H(username ":" realm ":" password) — the "HA1" a server can store instead of
 * the password (one per hash function it offers).
 */
export function computeHA1(hash: DigestHashName, username: string, realm: string, password: string): string {
  return digestHash(hash, `${username}:${realm}:${password}`);
}

export type DigestQop = 'auth' | 'auth-int';

export interface DigestResponseInput {
  algorithm: DigestAlgorithm;
  /** H(username:realm:password) for the algorithm's hash (the session step is applied here for `-sess`). */
  ha1: string;
  method: string;
  /** The `uri` parameter, exactly as sent. */
  uri: string;
  nonce: string;
  /** Absent for RFC 2069 style responses. */
  qop?: DigestQop | undefined;
  /** 8 hex digits, as sent. Required with qop. */
  nc?: string | undefined;
  /** Required with qop and with `-sess` algorithms. */
  cnonce?: string | undefined;
  /** The message body, for qop=auth-int. */
  body?: Uint8Array | undefined;
}

/** The `response` parameter value for the given inputs. */
export function computeDigestResponse(input: DigestResponseInput): string {
  const hash = digestHashOf(input.algorithm);
  let ha1 = input.ha1;
  if (isSessionAlgorithm(input.algorithm))
    ha1 = digestHash(hash, `${ha1}:${input.nonce}:${input.cnonce ?? ''}`);
  const a2 =
    input.qop === 'auth-int'
      ? `${input.method}:${input.uri}:${digestHash(hash, input.body ?? new Uint8Array(0))}`
      : `${input.method}:${input.uri}`;
  const ha2 = digestHash(hash, a2);
  if (input.qop === undefined) return digestHash(hash, `${ha1}:${input.nonce}:${ha2}`);
  return digestHash(
    hash,
    `${ha1}:${input.nonce}:${input.nc ?? ''}:${input.cnonce ?? ''}:${input.qop}:${ha2}`,
  );
}

/** A parsed `Digest` challenge (WWW-Authenticate / Proxy-Authenticate). */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque: string | undefined;
  /** The algorithm, or undefined when the server named one this stack does not know. */
  algorithm: DigestAlgorithm | undefined;
  /** The `algorithm` parameter as written (undefined when absent). */
  algorithmName: string | undefined;
  /** qop-options, lower-cased; empty for an RFC 2069 challenge. */
  qop: string[];
  stale: boolean;
  domain: string | undefined;
  /** RFC 7616 userhash=true (the client may hash the username). */
  userhash: boolean;
}

/**
 * Reads a Digest challenge from a parsed auth header. Returns undefined for
 * another scheme, or when realm or nonce is missing.
 */
export function readDigestChallenge(h: AuthHeader): DigestChallenge | undefined {
  if (h.scheme.toLowerCase() !== 'digest') return undefined;
  const p = h.params;
  if (p.realm === undefined || p.nonce === undefined) return undefined;
  return {
    realm: p.realm,
    nonce: p.nonce,
    opaque: p.opaque,
    algorithm: parseDigestAlgorithm(p.algorithm),
    algorithmName: p.algorithm,
    qop:
      p.qop === undefined
        ? []
        : p.qop
            .split(',')
            .map((s) => s.trim().toLowerCase())
            .filter((s) => s.length > 0),
    stale: p.stale?.toLowerCase() === 'true',
    domain: p.domain,
    userhash: p.userhash?.toLowerCase() === 'true',
  };
}

export interface DigestChallengeInit {
  realm: string;
  nonce: string;
  opaque?: string | undefined;
  algorithm: DigestAlgorithm;
  /** qop-options to offer; default `['auth']`. Empty offers none (RFC 2069). */
  qop?: readonly DigestQop[];
  stale?: boolean;
}

/** `Digest realm="…", nonce="…", opaque="…", algorithm=…, qop="auth"[, stale=true]`. */
export function formatDigestChallenge(c: DigestChallengeInit): string {
  let s = `Digest realm=${quote(c.realm)}, nonce=${quote(c.nonce)}`;
  if (c.opaque !== undefined) s += `, opaque=${quote(c.opaque)}`;
  s += `, algorithm=${c.algorithm}`;
  const qop = c.qop ?? ['auth'];
  if (qop.length > 0) s += `, qop=${quote(qop.join(','))}`;
  if (c.stale) s += ', stale=true';
  return s;
}

/** The parameters of a Digest Authorization / Proxy-Authorization value. */
export interface DigestAuthorization {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm?: DigestAlgorithm | undefined;
  cnonce?: string | undefined;
  opaque?: string | undefined;
  qop?: DigestQop | undefined;
  /** 8 hex digits. */
  nc?: string | undefined;
}

/**
 * `Digest username="…", realm="…", nonce="…", uri="…", response="…",
 * algorithm=…, cnonce="…", opaque="…", qop=auth, nc=00000001` (RFC 3261 §25.1
 * quoting: algorithm, qop and nc are tokens, the rest quoted strings).
 */
export function formatDigestAuthorization(a: DigestAuthorization): string {
  let s =
    `Digest username=${quote(a.username)}, realm=${quote(a.realm)}, nonce=${quote(a.nonce)}` +
    `, uri=${quote(a.uri)}, response=${quote(a.response)}`;
  if (a.algorithm !== undefined) s += `, algorithm=${a.algorithm}`;
  if (a.cnonce !== undefined) s += `, cnonce=${quote(a.cnonce)}`;
  if (a.opaque !== undefined) s += `, opaque=${quote(a.opaque)}`;
  if (a.qop !== undefined) s += `, qop=${a.qop}`;
  if (a.nc !== undefined) s += `, nc=${a.nc}`;
  return s;
}

/** nc-value: the count as 8 lower-case hex digits. */
export function formatNonceCount(n: number): string {
  return n.toString(16).padStart(8, '0');
}
