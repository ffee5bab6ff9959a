/**
 * Server nonces that carry their own expiry and are checked without storage
 * (RFC 7616 §3.3 suggests `time-stamp H(time-stamp ":" ETag ":" secret-data)`),
 * and the bounded nonce-count store that rejects replays (RFC 7616 §3.4,
 * RFC 2617 §3.2.2).
 *
 * A nonce is 33 bytes as 44 base64url characters:
 *
 *   version (1) = 1 | expires-at, wall-clock ms (6, big-endian) | random (8) |
 *   HMAC-SHA-256(secret, "nonce" 0x00 realm 0x00 first 15 bytes), first 18 bytes
 *
 * and the opaque is HMAC-SHA-256(secret, "opaque" 0x00 realm), first 12 bytes,
 * as 16 base64url characters (computed once per realm): a client must return
 * it unchanged. The nonce's own MAC is what makes nonces unforgeable.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { type HeapSlot, IndexedHeap, type Random } from '../../core/index.js';

const NONCE_BYTES = 33;
const NONCE_CHARS = 44;
const HEAD_BYTES = 15;
const MAC_BYTES = NONCE_BYTES - HEAD_BYTES;
const OPAQUE_BYTES = 12;
const VERSION = 1;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export interface IssuedNonce {
  nonce: string;
  opaque: string;
  /** Wall-clock ms after which the nonce is stale. */
  expiresAt: number;
}

export type NonceCheck =
  | { valid: false }
  | {
      valid: true;
      expiresAt: number;
      /** True when the nonce is genuine but past its expiry. */
      expired: boolean;
    };

export interface NonceManagerOptions {
  /** Server secret, at least 16 bytes. Every node of a cluster that shares it accepts the others' nonces. */
  secret: Uint8Array | string;
  random: Random;
  ttlMs: number;
}

/** Issues and checks stateless nonces. */
export class NonceManager {
  readonly #secret: Buffer;
  readonly #random: Random;
  readonly #ttlMs: number;
  /** realm → opaque bytes (few realms; bounded so a realm function cannot grow it without end) */
  readonly #opaques = new Map<string, Buffer>();

  constructor(options: NonceManagerOptions) {
    this.#secret =
      typeof options.secret === 'string' ? Buffer.from(options.secret, 'utf8') : Buffer.from(options.secret);
    this.#random = options.random;
    this.#ttlMs = options.ttlMs;
  }

  /** A fresh nonce for `realm`, valid from `now` (wall-clock ms) for the configured TTL. */
  issue(realm: string, now: number): IssuedNonce {
    const expiresAt = Math.floor(now + this.#ttlMs);
    const b = Buffer.alloc(NONCE_BYTES);
    b[0] = VERSION;
    b.writeUIntBE(Math.max(0, Math.min(expiresAt, 2 ** 48 - 1)), 1, 6);
    b.set(this.#random.bytes(8), 7);
    this.#mac(realm, b.subarray(0, HEAD_BYTES)).copy(b, HEAD_BYTES, 0, MAC_BYTES);
    const nonce = b.toString('base64url');
    return { nonce, opaque: this.#opaque(realm).toString('base64url'), expiresAt };
  }

  /**
   * Checks that `nonce` was issued by this secret for `realm` and that
   * `opaque` (when the client returned one; RFC 2069 clients may not) is the
   * one issued with it.
   */
  check(realm: string, nonce: string, opaque: string | undefined, now: number): NonceCheck {
    if (nonce.length !== NONCE_CHARS || !BASE64URL.test(nonce)) return { valid: false };
    const b = Buffer.from(nonce, 'base64url');
    if (b.length !== NONCE_BYTES || b[0] !== VERSION) return { valid: false };
    const mac = this.#mac(realm, b.subarray(0, HEAD_BYTES)).subarray(0, MAC_BYTES);
    if (!timingSafeEqual(mac, b.subarray(HEAD_BYTES))) return { valid: false };
    if (!this.checkOpaque(realm, opaque)) return { valid: false };
    const expiresAt = b.readUIntBE(1, 6);
    return { valid: true, expiresAt, expired: now >= expiresAt };
  }

  /** True when `opaque` is absent or the one issued for `realm`. */
  checkOpaque(realm: string, opaque: string | undefined): boolean {
    if (opaque === undefined) return true;
    if (opaque.length !== 16 || !BASE64URL.test(opaque)) return false;
    const got = Buffer.from(opaque, 'base64url');
    return got.length === OPAQUE_BYTES && timingSafeEqual(this.#opaque(realm), got);
  }

  #mac(realm: string, head: Uint8Array): Buffer {
    return createHmac('sha256', this.#secret)
      .update('nonce\0')
      .update(realm, 'utf8')
      .update('\0')
      .update(head)
      .digest();
  }

  #opaque(realm: string): Buffer {
    let o = this.#opaques.get(realm);
    if (o === undefined) {
      o = createHmac('sha256', this.#secret)
        .update('opaque\0')
        .update(realm, 'utf8')
        .digest()
        .subarray(0, OPAQUE_BYTES);
      if (this.#opaques.size >= 1024) this.#opaques.clear();
      this.#opaques.set(realm, o);
    }
    return o;
  }
}

interface CountEntry extends HeapSlot {
  nonce: string;
  nc: number;
  expiresAt: number;
}

/** The outcome of recording a nonce-count. */
export type NonceCountResult =
  /** Higher than any count seen for this nonce: accepted and recorded. */
  | 'ok'
  /** Equal to or lower than a count already seen: a replay. */
  | 'replay'
  /**
   * The store had to drop this live nonce's record to stay within its bound,
   * so a replay could not be told apart: the nonce is retired (answer with a
   * stale challenge so the client moves to a new one).
   */
  | 'forgotten';

/**
 * The highest nonce-count seen per live nonce, bounded in size. Entries leave
 * when their nonce expires (checked on every call, no timers). When the store
 * is full of live nonces it drops the one expiring soonest and remembers that
 * expiry as a watermark: a nonce it holds no record of and that expires no
 * later than the watermark may have been seen before, so it is `forgotten`.
 */
export class NonceCountStore {
  readonly #max: number;
  readonly #map = new Map<string, CountEntry>();
  readonly #heap = new IndexedHeap<CountEntry>((a, b) => a.expiresAt < b.expiresAt);
  #watermark = Number.NEGATIVE_INFINITY;

  constructor(maxEntries = 10_000) {
    this.#max = Math.max(1, Math.floor(maxEntries));
  }

  get size(): number {
    return this.#map.size;
  }

  /**
   * The expiry of a nonce the store holds a count for, else undefined. A held
   * nonce was verified when it was recorded, so its MAC need not be checked again.
   */
  expiryOf(nonce: string, now: number): number | undefined {
    this.#evictExpired(now);
    return this.#map.get(nonce)?.expiresAt;
  }

  /** Records `nc` for `nonce` (which expires at `expiresAt`) at time `now`. */
  record(nonce: string, nc: number, expiresAt: number, now: number): NonceCountResult {
    this.#evictExpired(now);
    const e = this.#map.get(nonce);
    if (e !== undefined) {
      if (nc <= e.nc) return 'replay';
      e.nc = nc;
      return 'ok';
    }
    if (expiresAt <= this.#watermark) return 'forgotten';
    if (expiresAt <= now) return 'ok'; // an expired nonce is never stored (the caller answers stale)
    while (this.#map.size >= this.#max) {
      const oldest = this.#heap.pop() as CountEntry;
      this.#map.delete(oldest.nonce);
      if (oldest.expiresAt > this.#watermark) this.#watermark = oldest.expiresAt;
    }
    const entry: CountEntry = { nonce, nc, expiresAt, heapIndex: -1 };
    this.#map.set(nonce, entry);
    this.#heap.push(entry);
    return 'ok';
  }

  #evictExpired(now: number): void {
    for (;;) {
      const top = this.#heap.peek();
      if (top === undefined || top.expiresAt > now) return;
      this.#heap.pop();
      this.#map.delete(top.nonce);
    }
  }
}
