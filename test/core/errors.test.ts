import { describe, expect, it } from 'vitest';
import {
  assertArgument,
  cryptoRandom,
  deserializeError,
  isStrowgerError,
  randomToken,
  StrowgerError,
  seededRandom,
  serializeError,
} from '../../src/core/index.js';

class DemoError extends StrowgerError {
  readonly status: number;
  constructor(status: number) {
    super('ERR_SIP_RESPONSE', `got ${status}`);
    this.status = status;
  }
}

describe('StrowgerError', () => {
  it('carries a stable code, a name and a cause', () => {
    const cause = new Error('inner');
    const e = new StrowgerError('ERR_TIMEOUT', 'late', { cause });
    expect(e.code).toBe('ERR_TIMEOUT');
    expect(e.name).toBe('StrowgerError');
    expect(e.cause).toBe(cause);
    expect(isStrowgerError(e, 'ERR_TIMEOUT')).toBe(true);
    expect(isStrowgerError(e, 'ERR_CLOSED')).toBe(false);
    expect(isStrowgerError(new Error('x'))).toBe(false);
    expect(isStrowgerError({ code: 'ENOENT' })).toBe(false);
  });

  it('survives a structured-clone boundary by code and details, not instanceof', () => {
    const e = new DemoError(486);
    const wire = structuredClone(serializeError(e));
    const back = deserializeError(wire);
    expect(back.code).toBe('ERR_SIP_RESPONSE');
    expect(back.name).toBe('DemoError');
    expect((back as unknown as { status: number }).status).toBe(486);
    expect(isStrowgerError(back, 'ERR_SIP_RESPONSE')).toBe(true);
  });

  it('assertArgument names the argument', () => {
    expect(() => assertArgument(false, 'port', 'an integer 1-65535')).toThrow(/port must be an integer/);
  });
});

describe('random', () => {
  it('seededRandom is reproducible and in range', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.next()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(new Set(xs).size).toBeGreaterThan(990);
  });

  it('randomToken uses only token characters', () => {
    const t = randomToken(cryptoRandom, 32);
    expect(t).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(randomToken(cryptoRandom)).not.toBe(randomToken(cryptoRandom));
  });
});

describe('cryptoRandom', () => {
  it('next() returns floats in [0, 1) and int() integers in range', () => {
    const xs = Array.from({ length: 2000 }, () => cryptoRandom.next());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(new Set(xs).size).toBeGreaterThan(1990);
    for (let i = 0; i < 100; i++) expect(cryptoRandom.int(7)).toBeLessThan(7);
    expect(cryptoRandom.bytes(16)).toHaveLength(16);
  });
});
