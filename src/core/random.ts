import { randomBytes, randomInt } from 'node:crypto';

/** Randomness, injected so tests can be reproducible. */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, max). */
  int(max: number): number;
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
}

/** Cryptographically strong randomness (the default for tags, branches, nonces). */
export const cryptoRandom: Random = Object.freeze({
  // 48 random bits (randomInt only allows ranges below 2^48, so read the bytes)
  next: () => randomBytes(6).readUIntBE(0, 6) / 2 ** 48,
  int: (max: number) => randomInt(0, max),
  bytes: (n: number) => new Uint8Array(randomBytes(n)),
});

/** A fast deterministic generator (xoshiro128**) for tests and simulations. Never for secrets. */
export function seededRandom(seed: number): Random {
  // splitmix32 to spread the seed over the state
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  const u32 = () => {
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return r;
  };
  const next = () => u32() / 4294967296;
  return {
    next,
    int: (max) => Math.floor(next() * max),
    bytes: (n) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = u32() & 0xff;
      return out;
    },
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

const TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A random token of `length` characters from [A-Za-z0-9] (valid in SIP tags, branches and Call-IDs). */
export function randomToken(random: Random, length = 16): string {
  const bytes = random.bytes(length);
  let s = '';
  // 62 symbols: the modulo bias (< 1.6%) is irrelevant for uniqueness tokens
  for (let i = 0; i < length; i++) s += TOKEN_ALPHABET[(bytes[i] as number) % 62];
  return s;
}
