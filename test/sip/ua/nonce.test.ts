/** Stateless nonces (expiry inside, HMAC-checked) and the bounded nonce-count store. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src/core/index.js';
import { NonceCountStore, NonceManager } from '../../../src/sip/ua/index.js';
import { SECRET } from './helpers.js';

const manager = (secret = SECRET, ttlMs = 60_000) =>
  new NonceManager({ secret, random: seededRandom(1), ttlMs });

describe('stateless nonces', () => {
  it('a nonce carries its expiry and checks without storage, on another instance with the same secret', () => {
    const issued = manager().issue('example.com', 1_000_000);
    expect(issued.nonce).toMatch(/^[A-Za-z0-9_-]{44}$/);
    expect(issued.expiresAt).toBe(1_060_000);
    const other = manager();
    expect(other.check('example.com', issued.nonce, issued.opaque, 1_059_999)).toEqual({
      valid: true,
      expiresAt: 1_060_000,
      expired: false,
    });
    expect(other.check('example.com', issued.nonce, issued.opaque, 1_060_000)).toMatchObject({
      expired: true,
    });
    expect(other.check('example.com', issued.nonce, undefined, 0)).toMatchObject({ valid: true });
  });

  it('is bound to its realm, its secret and its opaque', () => {
    const m = manager();
    const a = m.issue('a.example', 0);
    const b = m.issue('b.example', 0);
    expect(m.check('b.example', a.nonce, a.opaque, 0)).toEqual({ valid: false });
    expect(manager('another secret of sixteen+ bytes').check('a.example', a.nonce, a.opaque, 0)).toEqual({
      valid: false,
    });
    expect(m.check('a.example', a.nonce, b.opaque, 0)).toEqual({ valid: false }); // another realm's opaque
    expect(m.check('a.example', m.issue('a.example', 9).nonce, a.opaque, 0)).toMatchObject({ valid: true });
  });

  it('any change to a nonce or opaque is detected', () => {
    const m = manager();
    const issued = m.issue('example.com', 5_000);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    fc.assert(
      fc.property(fc.boolean(), fc.nat(), fc.constantFrom(...alphabet.split('')), (inNonce, at, ch) => {
        const s = inNonce ? issued.nonce : issued.opaque;
        const i = at % s.length;
        fc.pre(s[i] !== ch);
        const changed = s.slice(0, i) + ch + s.slice(i + 1);
        const r = inNonce
          ? m.check('example.com', changed, issued.opaque, 0)
          : m.check('example.com', issued.nonce, changed, 0);
        expect(r.valid).toBe(false);
      }),
    );
  });

  it('garbage is invalid, never an exception', () => {
    const m = manager();
    fc.assert(
      fc.property(
        fc.string({ maxLength: 60 }),
        fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
        (nonce, opaque) => {
          expect(m.check('example.com', nonce, opaque, 0).valid).toBe(false);
        },
      ),
    );
  });
});

describe('nonce-count store', () => {
  it('accepts a count only when it is higher than every count seen for that nonce', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 20 })), {
          maxLength: 60,
        }),
        (ops) => {
          const store = new NonceCountStore(100);
          const max = new Map<number, number>();
          for (const [n, nc] of ops) {
            const expected = nc > (max.get(n) ?? 0) ? 'ok' : 'replay';
            expect(store.record(`n${n}`, nc, 1_000, 0)).toBe(expected);
            if (expected === 'ok') max.set(n, nc);
          }
        },
      ),
    );
  });

  it('forgets nonces when they expire', () => {
    const store = new NonceCountStore(10);
    expect(store.record('a', 5, 100, 0)).toBe('ok');
    expect(store.record('a', 5, 100, 99)).toBe('replay');
    expect(store.record('b', 1, 200, 100)).toBe('ok');
    expect(store.size).toBe(1);
  });

  it('stays within its bound and retires, rather than re-accepts, nonces it had to drop', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 8 }),
        (uses, bound) => {
          const store = new NonceCountStore(bound);
          const seen = new Set<number>();
          for (const n of uses) {
            // nonce n expires at 1000 + n: lower numbers are dropped first
            const r = store.record(`n${n}`, 1, 1_000 + n, 0);
            if (seen.has(n)) expect(r).not.toBe('ok'); // a second use with nc=1 is never accepted
            seen.add(n);
            expect(store.size).toBeLessThanOrEqual(bound);
          }
        },
      ),
    );
  });
});
