/**
 * The server side of SIP digest authentication (RFC 3261 §22.1–22.4,
 * RFC 7616, RFC 8760): challenges with stateless nonces, verification of
 * Authorization / Proxy-Authorization credentials, nonce-count replay
 * protection, and the same answer (and the same work) for an unknown user as
 * for a wrong password.
 *
 * The authenticator knows nothing about transactions: give it a request, send
 * the response it returns.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  assertArgument,
  type Clock,
  cryptoRandom,
  type Random,
  randomToken,
  realClock,
} from '../../core/index.js';
import {
  type AuthHeader,
  createResponse,
  parseAuthHeader,
  parseUri,
  type SipRequest,
  type SipResponse,
  uriEquals,
} from '../message/index.js';
import {
  computeDigestResponse,
  computeHA1,
  DIGEST_HEX_LENGTH,
  type DigestAlgorithm,
  type DigestHashName,
  type DigestQop,
  digestHashOf,
  formatDigestChallenge,
  isSessionAlgorithm,
  parseDigestAlgorithm,
} from './digest.js';
import { type NonceCheck, NonceCountStore, NonceManager } from './nonce.js';

/** What `lookup` returns for a known user: the password, or H(username:realm:password) for the asked hash. */
export type DigestUserRecord = { password: string } | { ha1: string };

export type DigestLookup = (
  username: string,
  realm: string,
  hash: DigestHashName,
) => DigestUserRecord | undefined | Promise<DigestUserRecord | undefined>;

export interface DigestAuthenticatorOptions {
  /** The protection domain; a function chooses it per request (one realm per hosted domain). */
  realm: string | ((request: SipRequest) => string);
  /** Secret for nonces and opaques, at least 16 bytes; share it between nodes that should accept each other's nonces. */
  secret: Uint8Array | string;
  /** Finds a user's password or HA1. Unknown users: return undefined. */
  lookup: DigestLookup;
  /** Algorithms offered, one challenge each, in this order; default `['SHA-256', 'MD5']`. */
  algorithms?: readonly DigestAlgorithm[];
  clock?: Clock;
  random?: Random;
  /** How long a nonce stays fresh; default 300 000 ms. After that a correct answer gets `stale=true`. */
  nonceTtlMs?: number;
  /** Bound on the nonce-count store (live nonces remembered); default 10 000. */
  maxNonceCounts?: number;
  /**
   * Accept RFC 2069 style credentials (no qop, no nc/cnonce). Such a response
   * cannot be protected by nonce-counts, so each nonce is accepted once:
   * a second use is answered with a fresh challenge. Default false: the
   * client is challenged again (every challenge offers qop="auth").
   */
  allowNoQop?: boolean;
  /** Require the `uri` parameter to equal the Request-URI (400 otherwise); default true. */
  checkUri?: boolean;
  /**
   * How to answer a wrong password or an unknown user: `'challenge'` (a fresh
   * 401/407, the default, what most stacks do) or `'forbidden'` (403). Either
   * way both cases get the same bytes.
   */
  onBadCredentials?: 'challenge' | 'forbidden';
}

export interface ChallengeOptions {
  /** Answer 407 with Proxy-Authenticate instead of 401 with WWW-Authenticate. */
  proxy?: boolean;
  /** Add `stale=true` (the client's previous nonce expired but its credentials were right). */
  stale?: boolean;
}

export interface VerifyOptions {
  /** Read Proxy-Authorization and answer 407 (a proxy or a B2BUA acting as one). */
  proxy?: boolean;
}

/** Why verification failed (for logs and metrics; the wire never tells these apart where that would leak). */
export type DigestFailureReason =
  /** No Digest credentials for this realm: the first request of most exchanges. */
  | 'no-credentials'
  /** Credentials that do not parse or lack a required parameter (400). */
  | 'malformed'
  /** The `uri` parameter is not the Request-URI (400). */
  | 'uri-mismatch'
  /** An algorithm or qop that was not offered. */
  | 'unsupported'
  /** A nonce or opaque this server did not issue (forged, altered, another realm or secret). */
  | 'bad-nonce'
  /** Right credentials on an expired (or retired) nonce: answered with `stale=true`. */
  | 'stale'
  /** A nonce-count already seen, or a second use of a no-qop nonce. */
  | 'replay'
  /** Wrong password or unknown user — deliberately one reason. */
  | 'bad-credentials';

export type DigestVerifyResult =
  | { ok: true; user: string; realm: string; algorithm: DigestAlgorithm }
  | {
      ok: false;
      /** The response to send. */
      response: SipResponse;
      reason: DigestFailureReason;
      /** The username the client tried, when there was one (for logs such as fail2ban's). */
      user: string | undefined;
    };

const DEFAULTS = Object.freeze({
  algorithms: Object.freeze(['SHA-256', 'MD5'] as DigestAlgorithm[]),
  nonceTtlMs: 300_000,
  maxNonceCounts: 10_000,
  allowNoQop: false,
  checkUri: true,
  onBadCredentials: 'challenge' as 'challenge' | 'forbidden',
});

/** nc value that marks a no-qop nonce as used: above any 8-hex-digit count. */
const NO_QOP_USED = 2 ** 32;
const NC_RE = /^[0-9a-fA-F]{8}$/;

export interface DigestAuthenticator {
  /** The 401 (or 407) with one challenge per algorithm, strongest first, qop="auth", opaque. */
  challenge(request: SipRequest, options?: ChallengeOptions): SipResponse;
  /** Checks the request's credentials. Never throws for bad input. */
  verify(request: SipRequest, options?: VerifyOptions): Promise<DigestVerifyResult>;
}

/** Creates a digest authenticator. */
export function createDigestAuthenticator(options: DigestAuthenticatorOptions): DigestAuthenticator {
  return new ServerDigest(options);
}

class ServerDigest implements DigestAuthenticator {
  readonly #realm: (request: SipRequest) => string;
  readonly #lookup: DigestLookup;
  readonly #algorithms: readonly DigestAlgorithm[];
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #nonces: NonceManager;
  readonly #counts: NonceCountStore;
  /** A password nobody knows: an unknown user's response is computed against it, at a known user's cost. */
  readonly #dummyPassword: string;
  readonly #allowNoQop: boolean;
  readonly #checkUri: boolean;
  readonly #onBad: 'challenge' | 'forbidden';

  constructor(o: DigestAuthenticatorOptions) {
    const secret = typeof o.secret === 'string' ? Buffer.from(o.secret, 'utf8') : Buffer.from(o.secret ?? []);
    assertArgument(secret.length >= 16, 'secret', 'at least 16 bytes');
    assertArgument(typeof o.lookup === 'function', 'lookup', 'a function');
    const algorithms = o.algorithms ?? DEFAULTS.algorithms;
    assertArgument(
      algorithms.length > 0 && algorithms.every((a) => parseDigestAlgorithm(a) === a),
      'algorithms',
      'a non-empty list of MD5, MD5-sess, SHA-256, SHA-256-sess, SHA-512-256, SHA-512-256-sess',
    );
    const realm = o.realm;
    assertArgument(
      typeof realm === 'function' || (typeof realm === 'string' && realm.length > 0),
      'realm',
      'a string or a function',
    );
    const ttl = o.nonceTtlMs ?? DEFAULTS.nonceTtlMs;
    assertArgument(Number.isFinite(ttl) && ttl > 0, 'nonceTtlMs', 'a positive number');
    this.#realm = typeof realm === 'function' ? realm : () => realm;
    this.#lookup = o.lookup;
    this.#algorithms = Object.freeze([...algorithms]);
    this.#clock = o.clock ?? realClock;
    this.#random = o.random ?? cryptoRandom;
    this.#dummyPassword = createHmac('sha256', secret).update('dummy password').digest('base64url');
    this.#nonces = new NonceManager({ secret, random: this.#random, ttlMs: ttl });
    this.#counts = new NonceCountStore(o.maxNonceCounts ?? DEFAULTS.maxNonceCounts);
    this.#allowNoQop = o.allowNoQop ?? DEFAULTS.allowNoQop;
    this.#checkUri = o.checkUri ?? DEFAULTS.checkUri;
    this.#onBad = o.onBadCredentials ?? DEFAULTS.onBadCredentials;
  }

  challenge(request: SipRequest, options: ChallengeOptions = {}): SipResponse {
    return this.#challenge(request, this.#realm(request), options.proxy ?? false, options.stale ?? false);
  }

  async verify(request: SipRequest, options: VerifyOptions = {}): Promise<DigestVerifyResult> {
    const proxy = options.proxy ?? false;
    let realm: string;
    try {
      realm = this.#realm(request);
    } catch {
      return this.#fail(request, '', proxy, 'malformed', undefined, 400);
    }
    const fail = (reason: DigestFailureReason, user: string | undefined, status?: number) =>
      this.#fail(request, realm, proxy, reason, user, status);

    // 1. credentials for our realm
    const header = proxy ? 'Proxy-Authorization' : 'Authorization';
    let mine: AuthHeader | undefined;
    for (const value of request.getHeaders(header)) {
      let h: AuthHeader;
      try {
        h = parseAuthHeader(value, header);
      } catch {
        return fail('malformed', undefined, 400);
      }
      if (h.scheme.toLowerCase() === 'digest' && h.params.realm === realm) {
        mine = h;
        break;
      }
    }
    if (mine === undefined) return fail('no-credentials', undefined);
    const p = mine.params;
    const user = p.username;
    if (user === undefined || p.nonce === undefined || p.uri === undefined || p.response === undefined) {
      return fail('malformed', user, 400);
    }

    // 2. algorithm and qop must be ones we offered
    const algorithm = parseDigestAlgorithm(p.algorithm);
    if (algorithm === undefined || !this.#algorithms.includes(algorithm)) return fail('unsupported', user);
    let qop: DigestQop | undefined;
    if (p.qop !== undefined) {
      if (p.qop.toLowerCase() !== 'auth') return fail('unsupported', user);
      qop = 'auth';
      if (p.nc === undefined || p.cnonce === undefined || !NC_RE.test(p.nc))
        return fail('malformed', user, 400);
    } else {
      if (!this.#allowNoQop) return fail('unsupported', user);
      if (isSessionAlgorithm(algorithm)) return fail('malformed', user, 400);
    }

    // 3. the digest-uri names this request
    if (this.#checkUri && !sameRequestUri(p.uri, request)) return fail('uri-mismatch', user, 400);

    // 4. a nonce (and opaque) we issued
    const now = this.#clock.wallTime();
    // the store key binds the nonce to its realm; a nonce with a recorded count was MAC-checked before
    const countKey = `${realm}\0${p.nonce}`;
    const known = this.#counts.expiryOf(countKey, now);
    const nonce: NonceCheck =
      known === undefined
        ? this.#nonces.check(realm, p.nonce, p.opaque, now)
        : this.#nonces.checkOpaque(realm, p.opaque)
          ? { valid: true, expiresAt: known, expired: now >= known }
          : { valid: false };
    if (!nonce.valid) return fail('bad-nonce', user);

    // 5. the response, computed the same way whether or not the user exists
    const hash = digestHashOf(algorithm);
    let record: DigestUserRecord | undefined;
    try {
      record = await this.#lookup(user, realm, hash);
    } catch {
      record = undefined;
    }
    // exactly one H(A1) on every path (password, stored HA1, unknown user), so none is faster than another
    const password =
      record !== undefined && 'password' in record && typeof record.password === 'string'
        ? record.password
        : this.#dummyPassword;
    const computed = computeHA1(hash, user, realm, password);
    const ha1 =
      record !== undefined && 'ha1' in record && typeof record.ha1 === 'string'
        ? record.ha1.toLowerCase()
        : computed;
    const expected = computeDigestResponse({
      algorithm,
      ha1,
      method: request.method,
      uri: p.uri,
      nonce: p.nonce,
      qop,
      nc: p.nc,
      cnonce: p.cnonce,
    });
    const matches = constantTimeHexEqual(expected, p.response, DIGEST_HEX_LENGTH[hash]);
    if (!matches || record === undefined) return fail('bad-credentials', user);

    // 6. the nonce is still fresh and this count was not seen before
    if (nonce.expired) return this.#fail(request, realm, proxy, 'stale', user, undefined, true);
    const nc = qop === undefined ? NO_QOP_USED : Number.parseInt(p.nc as string, 16);
    const counted = this.#counts.record(countKey, nc, nonce.expiresAt, now);
    if (counted === 'replay') return fail('replay', user);
    if (counted === 'forgotten') return this.#fail(request, realm, proxy, 'stale', user, undefined, true);
    return { ok: true, user, realm, algorithm };
  }

  #fail(
    request: SipRequest,
    realm: string,
    proxy: boolean,
    reason: DigestFailureReason,
    user: string | undefined,
    status?: number,
    stale = false,
  ): DigestVerifyResult {
    let response: SipResponse;
    if (status !== undefined) response = this.#plain(request, status);
    else if (reason === 'bad-credentials' && this.#onBad === 'forbidden')
      response = this.#plain(request, 403);
    else response = this.#challenge(request, realm, proxy, stale);
    return { ok: false, response, reason, user };
  }

  #plain(request: SipRequest, status: number): SipResponse {
    return createResponse(request, status, { toTag: this.#toTag(request) });
  }

  #challenge(request: SipRequest, realm: string, proxy: boolean, stale: boolean): SipResponse {
    const { nonce, opaque } = this.#nonces.issue(realm, this.#clock.wallTime());
    const name = proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate';
    const headers: Array<[string, string]> = this.#algorithms.map((algorithm) => [
      name,
      formatDigestChallenge({ realm, nonce, opaque, algorithm, qop: ['auth'], stale }),
    ]);
    return createResponse(request, proxy ? 407 : 401, { toTag: this.#toTag(request), headers });
  }

  #toTag(request: SipRequest): string | undefined {
    try {
      return request.to.tag === undefined ? randomToken(this.#random, 10) : undefined;
    } catch {
      return undefined;
    }
  }
}

/** The digest-uri must name the Request-URI (RFC 7616 §3.4.6): by URI equality, or by the same string. */
function sameRequestUri(uri: string, request: SipRequest): boolean {
  const ruri = request.uri;
  if (uri === ruri.toString()) return true;
  try {
    return uriEquals(parseUri(uri), ruri);
  } catch {
    return false;
  }
}

/** Compares the client's hex response with ours in time independent of where they differ. */
function constantTimeHexEqual(expected: string, got: string, length: number): boolean {
  const a = Buffer.from(expected, 'latin1');
  // a response of the wrong length is compared against itself so the work is the same, then rejected
  const sameLength = got.length === length;
  const b = sameLength ? Buffer.from(got.toLowerCase(), 'latin1') : a;
  return timingSafeEqual(a, b) && sameLength;
}
