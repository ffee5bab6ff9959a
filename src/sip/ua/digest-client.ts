/**
 * The client side of SIP digest authentication (RFC 3261 §22.2–22.3,
 * RFC 7616 §3.4, RFC 8760): answering a 401/407 with a new request that
 * carries Authorization / Proxy-Authorization, preemptive credentials on
 * later requests, nonce-counts per nonce, and the rules that keep a client
 * from leaking digests or looping:
 *
 * - it answers only realms the credentials are configured for;
 * - it prefers the strongest algorithm offered (SHA-512-256, SHA-256, MD5);
 * - a challenge that follows its own answer means wrong credentials, unless
 *   it says `stale=true`, which is honoured once.
 */
import { assertArgument, cryptoRandom, type Random, randomToken } from '../../core/index.js';
import {
  type AuthHeader,
  type Field,
  isSipUri,
  parseAuthHeader,
  SipRequest,
  type SipResponse,
} from '../message/index.js';
import {
  computeDigestResponse,
  computeHA1,
  DIGEST_ALGORITHMS,
  type DigestAlgorithm,
  type DigestChallenge,
  type DigestHashName,
  type DigestQop,
  digestHashOf,
  formatDigestAuthorization,
  formatNonceCount,
  readDigestChallenge,
} from './digest.js';
import { DigestError } from './errors.js';

/** What a client authenticates with. */
export interface DigestCredentials {
  username: string;
  /** The password, or give `ha1`. */
  password?: string;
  /** H(username:realm:password) per hash function, when the password itself is not at hand. */
  ha1?: Partial<Record<DigestHashName, string>>;
  /**
   * Realms these credentials may answer. Default: the host of the request's
   * To URI or Request-URI (RFC 3261 §22.1 recommends realm = domain). A
   * challenge for any other realm is never answered, so no digest of this
   * password reaches a server it was not meant for.
   */
  realm?: string | readonly string[];
  /** Algorithms the client may use (default: all it knows); e.g. leave out MD5. */
  algorithms?: readonly DigestAlgorithm[];
}

interface RealmEntry {
  realm: string;
  proxy: boolean;
  nonce: string;
  opaque: string | undefined;
  algorithm: DigestAlgorithm;
  qop: DigestQop | undefined;
  /** Last nc used with this nonce. */
  nc: number;
  /** The last credentials for this nonce answered a challenge (rather than being sent preemptively). */
  answered: boolean;
  /** …and that challenge said stale=true. */
  staleAnswer: boolean;
}

export interface DigestClientStateOptions {
  /** For cnonces; default crypto randomness. */
  random?: Random;
}

/**
 * What a client remembers between requests: the last challenge per realm
 * (for nonce-counts and preemptive credentials) and whether its last answer
 * was to a challenge. Keep one per registration or per dialog peer.
 */
export class DigestClientState {
  /** @internal */
  readonly random: Random;
  readonly #entries = new Map<string, RealmEntry>();

  constructor(options: DigestClientStateOptions = {}) {
    this.random = options.random ?? cryptoRandom;
  }

  /** Realms with a remembered challenge (`proxy` for Proxy-Authenticate ones). */
  get realms(): Array<{ realm: string; proxy: boolean; nonce: string; nc: number }> {
    return [...this.#entries.values()].map((e) => ({
      realm: e.realm,
      proxy: e.proxy,
      nonce: e.nonce,
      nc: e.nc,
    }));
  }

  /** Forgets one realm's challenge, or all. */
  forget(realm?: string): void {
    if (realm === undefined) this.#entries.clear();
    else
      for (const k of [...this.#entries.keys()])
        if (this.#entries.get(k)?.realm === realm) this.#entries.delete(k);
  }

  /** @internal */
  get(proxy: boolean, realm: string): RealmEntry | undefined {
    return this.#entries.get(entryKey(proxy, realm));
  }

  /** @internal */
  set(e: RealmEntry): void {
    this.#entries.set(entryKey(e.proxy, e.realm), e);
  }

  /** @internal */
  entries(proxy: boolean): RealmEntry[] {
    return [...this.#entries.values()].filter((e) => e.proxy === proxy);
  }
}

function entryKey(proxy: boolean, realm: string): string {
  return `${proxy ? 'P' : 'W'}${realm}`;
}

export function createDigestClientState(options: DigestClientStateOptions = {}): DigestClientState {
  return new DigestClientState(options);
}

/**
 * Answers a 401/407 to `request`: returns a copy with CSeq + 1 and credentials
 * for every challenged realm the credentials may answer (same Call-ID, same
 * headers and body; the Via is copied as it is — give the new request a new
 * branch, i.e. send it as a new client transaction).
 *
 * @throws {DigestError} `realm-not-allowed`, `unsupported`,
 *   `malformed-challenge`, `rejected` (wrong credentials) or `stale-loop`;
 *   nothing is computed for a realm that is not allowed.
 */
export function answerChallenge(
  request: SipRequest,
  challengeResponse: SipResponse,
  credentials: DigestCredentials,
  state: DigestClientState,
): SipRequest {
  assertArgument(
    challengeResponse.status === 401 || challengeResponse.status === 407,
    'challengeResponse',
    'a 401 or 407 response',
  );
  assertArgument(typeof credentials?.username === 'string', 'credentials.username', 'a string');
  assertArgument(
    credentials.password !== undefined || credentials.ha1 !== undefined,
    'credentials',
    'a password or ha1',
  );
  const proxy = challengeResponse.status === 407;
  let headers: AuthHeader[];
  try {
    headers = proxy ? challengeResponse.proxyAuthenticate : challengeResponse.wwwAuthenticate;
  } catch (err) {
    throw new DigestError('malformed-challenge', 'challenge header does not parse', { cause: err });
  }
  // group Digest challenges by realm, in order of appearance
  const byRealm = new Map<string, DigestChallenge[]>();
  for (const h of headers) {
    const c = readDigestChallenge(h);
    if (c === undefined) continue;
    const list = byRealm.get(c.realm);
    if (list) list.push(c);
    else byRealm.set(c.realm, [c]);
  }
  if (byRealm.size === 0) {
    throw new DigestError(
      headers.length === 0 ? 'malformed-challenge' : 'unsupported',
      headers.length === 0 ? `${challengeResponse.status} without a challenge` : 'no Digest challenge',
    );
  }
  const previous = credentialNonces(request, proxy);
  const planned: RealmEntry[] = [];
  let refusedRealm: string | undefined;
  let unsupportedRealm: string | undefined;
  for (const [realm, challenges] of byRealm) {
    if (!realmAllowed(realm, credentials, request)) {
      refusedRealm ??= realm;
      continue;
    }
    const chosen = choose(challenges, credentials);
    if (chosen === undefined) {
      unsupportedRealm ??= realm;
      continue;
    }
    const { challenge, qop } = chosen;
    const entry = state.get(proxy, realm);
    const sent = previous.get(realm);
    if (sent !== undefined) {
      if (challenge.stale) {
        if (entry?.nonce === sent && entry.staleAnswer) {
          throw new DigestError('stale-loop', `realm "${realm}" answered stale=true twice`, { realm });
        }
      } else if (challenge.nonce === sent || (entry?.nonce === sent && entry.answered)) {
        throw new DigestError('rejected', `realm "${realm}" rejected the credentials`, { realm });
      }
    }
    planned.push({
      realm,
      proxy,
      nonce: challenge.nonce,
      opaque: challenge.opaque,
      algorithm: challenge.algorithm as DigestAlgorithm,
      qop,
      nc: entry !== undefined && entry.nonce === challenge.nonce ? entry.nc : 0,
      answered: true,
      staleAnswer: challenge.stale,
    });
  }
  if (planned.length === 0) {
    if (unsupportedRealm !== undefined) {
      throw new DigestError(
        'unsupported',
        `no usable algorithm/qop offered for realm "${unsupportedRealm}"`,
        {
          realm: unsupportedRealm,
        },
      );
    }
    throw new DigestError('realm-not-allowed', `not configured to answer realm "${refusedRealm}"`, {
      realm: refusedRealm,
    });
  }
  const next = copyRequest(request);
  next.setHeader('CSeq', `${request.cseq.seq + 1} ${request.method}`);
  const values: string[] = [];
  for (const e of planned) {
    e.nc++;
    values.push(credentialsFor(next, e, credentials, state.random));
    state.set(e);
  }
  replaceCredentials(
    next,
    proxy,
    planned.map((e) => e.realm),
    values,
  );
  return next;
}

export interface AuthorizeOptions {
  /** Only this realm (default: every remembered realm the credentials may answer). */
  realm?: string;
  /** Proxy-Authorization from remembered 407 challenges (default: Authorization from 401s). */
  proxy?: boolean;
}

/**
 * Adds preemptive credentials to a request about to be sent, from the
 * challenges remembered in `state` (next nonce-count of the last nonce).
 * Mutates `request`; returns whether any credentials were added. If the
 * server has moved on it challenges again, and {@link answerChallenge}
 * answers that without counting it as a failure.
 */
export function authorizeRequest(
  request: SipRequest,
  credentials: DigestCredentials,
  state: DigestClientState,
  options: AuthorizeOptions = {},
): boolean {
  const proxy = options.proxy ?? false;
  const realms: string[] = [];
  const values: string[] = [];
  for (const e of state.entries(proxy)) {
    if (options.realm !== undefined && e.realm !== options.realm) continue;
    if (!realmAllowed(e.realm, credentials, request)) continue;
    if (ha1For(credentials, e.realm, digestHashOf(e.algorithm)) === undefined) continue;
    e.nc++;
    e.answered = false;
    e.staleAnswer = false;
    values.push(credentialsFor(request, e, credentials, state.random));
    realms.push(e.realm);
  }
  if (values.length === 0) return false;
  replaceCredentials(request, proxy, realms, values);
  return true;
}

function realmAllowed(realm: string, credentials: DigestCredentials, request: SipRequest): boolean {
  const allowed = credentials.realm;
  if (allowed !== undefined) return typeof allowed === 'string' ? allowed === realm : allowed.includes(realm);
  const r = realm.toLowerCase();
  try {
    const to = request.to.uri;
    if (isSipUri(to) && to.host.toLowerCase() === r) return true;
  } catch {
    // no usable To: fall through to the Request-URI
  }
  const ruri = request.uri;
  return isSipUri(ruri) && ruri.host.toLowerCase() === r;
}

const RANK = new Map(DIGEST_ALGORITHMS.map((a, i) => [a, i]));

/** The strongest challenge we can answer, and the qop to use with it. */
function choose(
  challenges: DigestChallenge[],
  credentials: DigestCredentials,
): { challenge: DigestChallenge; qop: DigestQop | undefined } | undefined {
  let best: { challenge: DigestChallenge; qop: DigestQop | undefined } | undefined;
  for (const c of challenges) {
    const a = c.algorithm;
    if (a === undefined) continue;
    if (credentials.algorithms !== undefined && !credentials.algorithms.includes(a)) continue;
    if (credentials.password === undefined && credentials.ha1?.[digestHashOf(a)] === undefined) continue;
    let qop: DigestQop | undefined;
    if (c.qop.includes('auth')) qop = 'auth';
    else if (c.qop.includes('auth-int')) qop = 'auth-int';
    else if (c.qop.length > 0) continue; // only qop values we do not know
    if (
      best === undefined ||
      (RANK.get(a) as number) < (RANK.get(best.challenge.algorithm as DigestAlgorithm) as number)
    ) {
      best = { challenge: c, qop };
    }
  }
  return best;
}

function ha1For(credentials: DigestCredentials, realm: string, hash: DigestHashName): string | undefined {
  if (credentials.password !== undefined)
    return computeHA1(hash, credentials.username, realm, credentials.password);
  return credentials.ha1?.[hash]?.toLowerCase();
}

function credentialsFor(
  request: SipRequest,
  e: RealmEntry,
  credentials: DigestCredentials,
  random: Random,
): string {
  const hash = digestHashOf(e.algorithm);
  const ha1 = ha1For(credentials, e.realm, hash) as string;
  const uri = request.uri.toString();
  const withCnonce = e.qop !== undefined;
  const cnonce = withCnonce ? randomToken(random, 16) : undefined;
  const nc = withCnonce ? formatNonceCount(e.nc) : undefined;
  const response = computeDigestResponse({
    algorithm: e.algorithm,
    ha1,
    method: request.method,
    uri,
    nonce: e.nonce,
    qop: e.qop,
    nc,
    cnonce,
    body: request.body,
  });
  return formatDigestAuthorization({
    username: credentials.username,
    realm: e.realm,
    nonce: e.nonce,
    uri,
    response,
    algorithm: e.algorithm,
    cnonce,
    opaque: e.opaque,
    qop: e.qop,
    nc,
  });
}

/** realm → nonce of the credentials a request already carries. */
function credentialNonces(request: SipRequest, proxy: boolean): Map<string, string> {
  const out = new Map<string, string>();
  const name = proxy ? 'Proxy-Authorization' : 'Authorization';
  for (const v of request.getHeaders(name)) {
    try {
      const h = parseAuthHeader(v, name);
      const realm = h.params.realm;
      const nonce = h.params.nonce;
      if (
        h.scheme.toLowerCase() === 'digest' &&
        realm !== undefined &&
        nonce !== undefined &&
        !out.has(realm)
      ) {
        out.set(realm, nonce);
      }
    } catch {
      // a header we cannot read is not ours
    }
  }
  return out;
}

/** Replaces the credentials for `realms` with `values`, keeping credentials for other realms. */
function replaceCredentials(request: SipRequest, proxy: boolean, realms: string[], values: string[]): void {
  const name = proxy ? 'Proxy-Authorization' : 'Authorization';
  const kept = request.getHeaders(name).filter((v) => {
    try {
      const h = parseAuthHeader(v, name);
      return !(
        h.scheme.toLowerCase() === 'digest' &&
        h.params.realm !== undefined &&
        realms.includes(h.params.realm)
      );
    } catch {
      return false;
    }
  });
  request.removeHeader(name);
  request.appendHeader(name, [...kept, ...values]);
}

function copyRequest(request: SipRequest): SipRequest {
  const fields: Field[] = request._fields.map((f) => ({ name: f.name, key: f.key, value: f.value }));
  return new SipRequest(request.method, request.uri.clone(), fields, request.body);
}
