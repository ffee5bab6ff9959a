/**
 * Cryptographically strong randomness drawn from a pool that is refilled a few KiB at a
 * time. The switch asks for a handful of bytes per tag, branch and Call-ID — several per
 * call — and one call into the crypto binding per token costs more than the bytes
 * themselves (≈ 10 µs each in the bench/cps profile). Every byte is handed out once.
 */
import { randomFillSync } from 'node:crypto';
import { type Random, StrowgerError } from '../core/index.js';

const TWO_48 = 2 ** 48;

/** A {@link Random} backed by `randomFillSync` over a pool of `poolSize` bytes (default 4096). */
export function pooledCryptoRandom(poolSize = 4096): Random {
  if (!Number.isInteger(poolSize) || poolSize < 64 || poolSize > 1 << 20)
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'poolSize must be an integer from 64 to 1048576');
  const pool = new Uint8Array(poolSize);
  let pos = poolSize; // empty: filled on first use

  const take = (n: number): number => {
    if (pos + n > poolSize) {
      randomFillSync(pool);
      pos = 0;
    }
    const at = pos;
    pos += n;
    return at;
  };

  const u48 = (): number => {
    const i = take(6);
    return (
      (pool[i] as number) * 2 ** 40 +
      (pool[i + 1] as number) * 2 ** 32 +
      (pool[i + 2] as number) * 2 ** 24 +
      (pool[i + 3] as number) * 2 ** 16 +
      (pool[i + 4] as number) * 2 ** 8 +
      (pool[i + 5] as number)
    );
  };

  return Object.freeze({
    next: () => u48() / TWO_48,
    int: (max: number) => {
      if (!Number.isSafeInteger(max) || max < 1 || max > TWO_48)
        throw new StrowgerError('ERR_INVALID_ARGUMENT', `max must be an integer from 1 to 2^48, got ${max}`);
      // rejection sampling: every value in [0, max) equally likely
      const limit = TWO_48 - (TWO_48 % max);
      for (;;) {
        const v = u48();
        if (v < limit) return v % max;
      }
    },
    bytes: (n: number) => {
      if (!Number.isInteger(n) || n < 0)
        throw new StrowgerError('ERR_INVALID_ARGUMENT', `n must be a non-negative integer, got ${n}`);
      if (n > poolSize >> 2) return randomFillSync(new Uint8Array(n));
      const at = take(n);
      return pool.slice(at, at + n);
    },
  });
}
