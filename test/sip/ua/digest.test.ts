/**
 * Digest computations against the RFC examples: RFC 7616 §3.9.1 (MD5 and
 * SHA-256 with the same inputs), RFC 2617 §3.5 (qop=auth) and its RFC 2069
 * form (no qop), plus header formatting that the parser reads back.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAuthHeader } from '../../../src/sip/index.js';
import {
  computeDigestResponse,
  computeHA1,
  type DigestAlgorithm,
  digestHashOf,
  formatDigestAuthorization,
  formatDigestChallenge,
  formatNonceCount,
  parseDigestAlgorithm,
  readDigestChallenge,
} from '../../../src/sip/ua/index.js';

const RFC7616 = {
  username: 'Mufasa',
  realm: 'http-auth@example.org',
  password: 'Circle of Life',
  method: 'GET',
  uri: '/dir/index.html',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  nc: '00000001',
};

describe('digest response test vectors', () => {
  it('RFC 7616 §3.9.1 with SHA-256', () => {
    const ha1 = computeHA1('SHA-256', RFC7616.username, RFC7616.realm, RFC7616.password);
    expect(computeDigestResponse({ ...RFC7616, algorithm: 'SHA-256', ha1, qop: 'auth' })).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });

  it('RFC 7616 §3.9.1 with MD5', () => {
    const ha1 = computeHA1('MD5', RFC7616.username, RFC7616.realm, RFC7616.password);
    expect(computeDigestResponse({ ...RFC7616, algorithm: 'MD5', ha1, qop: 'auth' })).toBe(
      '8ca523f5e9506fed4657c9700eebdbec',
    );
  });

  it('RFC 2617 §3.5 (MD5, qop=auth)', () => {
    const ha1 = computeHA1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
    expect(
      computeDigestResponse({
        algorithm: 'MD5',
        ha1,
        method: 'GET',
        uri: '/dir/index.html',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        qop: 'auth',
        nc: '00000001',
        cnonce: '0a4f113b',
      }),
    ).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('RFC 2617 §3.5 inputs without qop (RFC 2069 form)', () => {
    const ha1 = computeHA1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
    expect(
      computeDigestResponse({
        algorithm: 'MD5',
        ha1,
        method: 'GET',
        uri: '/dir/index.html',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      }),
    ).toBe('670fd8c2df070c60b045671b8b24ff02');
  });

  it('the RFC 7616 Authorization example parses and recomputes to its own response', () => {
    const header = parseAuthHeader(
      [
        'Digest username="Mufasa",',
        '       realm="http-auth@example.org",',
        '       uri="/dir/index.html",',
        '       algorithm=SHA-256,',
        '       nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",',
        '       nc=00000001,',
        '       cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",',
        '       qop=auth,',
        '       response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",',
        '       opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
      ]
        .join(' ')
        .replace(/\s+/g, ' '),
    );
    const p = header.params;
    const algorithm = parseDigestAlgorithm(p.algorithm) as DigestAlgorithm;
    const ha1 = computeHA1(
      digestHashOf(algorithm),
      p.username as string,
      p.realm as string,
      'Circle of Life',
    );
    expect(
      computeDigestResponse({
        algorithm,
        ha1,
        method: 'GET',
        uri: p.uri as string,
        nonce: p.nonce as string,
        qop: 'auth',
        nc: p.nc,
        cnonce: p.cnonce,
      }),
    ).toBe(p.response);
  });

  it('-sess algorithms hash the nonce and cnonce into HA1', () => {
    const ha1 = computeHA1('SHA-256', 'u', 'r', 'p');
    const base = {
      ha1,
      method: 'REGISTER',
      uri: 'sip:r',
      nonce: 'n',
      qop: 'auth' as const,
      nc: '00000001',
      cnonce: 'c',
    };
    const plain = computeDigestResponse({ ...base, algorithm: 'SHA-256' });
    const sess = computeDigestResponse({ ...base, algorithm: 'SHA-256-sess' });
    expect(sess).not.toBe(plain);
    const sessHa1 = computeHA1('SHA-256', 'u', 'r', 'p');
    // -sess equals the plain algorithm fed with H(HA1:nonce:cnonce)
    const inner = createHash('sha256').update(`${sessHa1}:n:c`).digest('hex');
    expect(computeDigestResponse({ ...base, ha1: inner, algorithm: 'SHA-256' })).toBe(sess);
  });
});

describe('digest header values', () => {
  it('algorithm names are case-insensitive and default to MD5', () => {
    expect(parseDigestAlgorithm(undefined)).toBe('MD5');
    expect(parseDigestAlgorithm('sha-256')).toBe('SHA-256');
    expect(parseDigestAlgorithm('Md5-Sess')).toBe('MD5-sess');
    expect(parseDigestAlgorithm('SHA-512-256')).toBe('SHA-512-256');
    expect(parseDigestAlgorithm('SHA-1')).toBeUndefined();
  });

  it('nonce counts are 8 hex digits', () => {
    expect(formatNonceCount(1)).toBe('00000001');
    expect(formatNonceCount(255)).toBe('000000ff');
  });

  it('a formatted challenge reads back', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !/[\r\n]/.test(s)),
        fc.base64String({ minLength: 4, maxLength: 40 }),
        fc.constantFrom<DigestAlgorithm>('MD5', 'SHA-256', 'SHA-512-256', 'SHA-256-sess'),
        fc.boolean(),
        (realm, nonce, algorithm, stale) => {
          const v = formatDigestChallenge({ realm, nonce, opaque: 'op', algorithm, stale });
          const c = readDigestChallenge(parseAuthHeader(v, 'WWW-Authenticate'));
          expect(c).toEqual({
            realm,
            nonce,
            opaque: 'op',
            algorithm,
            algorithmName: algorithm,
            qop: ['auth'],
            stale,
            domain: undefined,
            userhash: false,
          });
        },
      ),
    );
  });

  it('formatted credentials read back, quoted values included', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }).filter((s) => !/[\r\n]/.test(s)),
        (username) => {
          const v = formatDigestAuthorization({
            username,
            realm: 'example.com',
            nonce: 'abc',
            uri: 'sip:example.com',
            response: '0123',
            algorithm: 'SHA-256',
            cnonce: 'xyz',
            opaque: 'o',
            qop: 'auth',
            nc: '00000001',
          });
          const p = parseAuthHeader(v).params;
          expect(p.username).toBe(username);
          expect(p.qop).toBe('auth');
          expect(p.nc).toBe('00000001');
          expect(p.algorithm).toBe('SHA-256');
        },
      ),
    );
  });

  it('challenges of other schemes are not Digest challenges', () => {
    expect(readDigestChallenge(parseAuthHeader('Basic realm="x"'))).toBeUndefined();
    expect(readDigestChallenge(parseAuthHeader('Digest realm="x"'))).toBeUndefined();
  });
});
