/**
 * The digest client: algorithm choice, realm restriction (no digest leak),
 * wrong-credential and stale handling, nonce-counts, preemptive credentials,
 * HA1-only credentials, several realms, auth-int.
 */
import { describe, expect, it } from 'vitest';
import { isStrowgerError, seededRandom } from '../../../src/core/index.js';
import { createResponse, type SipRequest, type SipResponse } from '../../../src/sip/index.js';
import {
  answerChallenge,
  authorizeRequest,
  computeDigestResponse,
  computeHA1,
  createDigestClientState,
  type DigestAlgorithm,
  type DigestCredentials,
  DigestError,
  type DigestQop,
  formatDigestChallenge,
} from '../../../src/sip/ua/index.js';
import { request, wire } from './helpers.js';

const creds: DigestCredentials = { username: 'alice', password: 'wonderland', realm: 'example.com' };

function challengeOf(
  req: SipRequest,
  challenges: Array<{
    realm?: string;
    nonce?: string;
    algorithm?: string;
    qop?: string;
    stale?: boolean;
    opaque?: string;
  }>,
  status = 401,
): SipResponse {
  const name = status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate';
  const headers: Array<[string, string]> = challenges.map((c) => {
    let v = `Digest realm="${c.realm ?? 'example.com'}", nonce="${c.nonce ?? 'n1'}"`;
    if (c.opaque !== undefined) v += `, opaque="${c.opaque}"`;
    if (c.algorithm !== undefined) v += `, algorithm=${c.algorithm}`;
    if (c.qop !== undefined) v += `, qop="${c.qop}"`;
    if (c.stale) v += ', stale=TRUE';
    return [name, v];
  });
  return wire(createResponse(req, status, { toTag: 't', headers }));
}

/** Recomputes the response of the credentials in `req` for `password`. */
function expectValid(req: SipRequest, password: string, header = 'Authorization', index = 0): void {
  const h = (header === 'Authorization' ? req.authorization : req.proxyAuthorization)[index];
  const p = h?.params as Record<string, string>;
  const algorithm = (p.algorithm ?? 'MD5') as DigestAlgorithm;
  const hash = algorithm.replace(/-sess$/, '') as 'MD5' | 'SHA-256' | 'SHA-512-256';
  expect(p.uri).toBe(req.uri.toString());
  expect(p.response).toBe(
    computeDigestResponse({
      algorithm,
      ha1: computeHA1(hash, p.username as string, p.realm as string, password),
      method: req.method,
      uri: p.uri as string,
      nonce: p.nonce as string,
      qop: p.qop as DigestQop | undefined,
      nc: p.nc,
      cnonce: p.cnonce,
      body: req.body,
    }),
  );
}

function failure(fn: () => unknown): DigestError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DigestError);
    expect(isStrowgerError(err, 'ERR_AUTH')).toBe(true);
    return err as DigestError;
  }
  throw new Error('expected a DigestError');
}

describe('digest client', () => {
  it('answers with SHA-256 over MD5 whatever the order, as a new request with CSeq + 1', () => {
    const req = request({ cseq: 7 });
    const res = challengeOf(req, [
      { algorithm: 'MD5', qop: 'auth', opaque: 'op' },
      { algorithm: 'SHA-256', qop: 'auth, auth-int', opaque: 'op' },
    ]);
    const state = createDigestClientState({ random: seededRandom(1) });
    const next = wire(answerChallenge(req, res, creds, state));
    expect(next).not.toBe(req);
    expect(next.cseq).toEqual({ seq: 8, method: 'REGISTER' });
    expect(next.callId).toBe(req.callId);
    expect(next.getHeader('Via')).toBe(req.getHeader('Via'));
    expect(req.getHeader('Authorization')).toBeUndefined(); // the original is untouched
    const p = next.authorization[0]?.params;
    expect(p).toMatchObject({
      algorithm: 'SHA-256',
      qop: 'auth',
      nc: '00000001',
      opaque: 'op',
      username: 'alice',
    });
    expect(p?.cnonce).toMatch(/^[A-Za-z0-9]{16}$/);
    expectValid(next, 'wonderland');
  });

  it('prefers SHA-512-256, and treats an absent algorithm as MD5', () => {
    const req = request();
    const state = createDigestClientState();
    const strong = answerChallenge(
      req,
      challengeOf(req, [
        { algorithm: 'SHA-256', qop: 'auth' },
        { algorithm: 'SHA-512-256', qop: 'auth' },
      ]),
      creds,
      state,
    );
    expect(strong.authorization[0]?.params.algorithm).toBe('SHA-512-256');
    expectValid(strong, 'wonderland');
    const legacy = answerChallenge(
      req,
      challengeOf(req, [{ nonce: 'n2', qop: 'auth' }]),
      creds,
      createDigestClientState(),
    );
    expect(legacy.authorization[0]?.params.algorithm).toBe('MD5');
    expectValid(legacy, 'wonderland');
  });

  it('never answers a realm it was not configured for, and computes nothing for it', () => {
    const req = request();
    const state = createDigestClientState();
    const err = failure(() =>
      answerChallenge(req, challengeOf(req, [{ realm: 'evil.example', qop: 'auth' }]), creds, state),
    );
    expect(err.reason).toBe('realm-not-allowed');
    expect(err.realm).toBe('evil.example');
    expect(state.realms).toEqual([]);
  });

  it('by default answers only the realm of the To or Request-URI domain', () => {
    const req = request({ uri: 'sip:registrar.example.com', to: '<sip:alice@example.com>' });
    const { realm: _omit, ...anyRealm } = creds;
    const ok = answerChallenge(
      req,
      challengeOf(req, [{ realm: 'example.com', qop: 'auth' }]),
      anyRealm,
      createDigestClientState(),
    );
    expectValid(ok, 'wonderland');
    const viaRuri = answerChallenge(
      req,
      challengeOf(req, [{ realm: 'REGISTRAR.example.com', qop: 'auth' }]),
      anyRealm,
      createDigestClientState(),
    );
    expectValid(viaRuri, 'wonderland');
    expect(
      failure(() =>
        answerChallenge(
          req,
          challengeOf(req, [{ realm: 'asterisk', qop: 'auth' }]),
          anyRealm,
          createDigestClientState(),
        ),
      ).reason,
    ).toBe('realm-not-allowed');
    const listed = answerChallenge(
      req,
      challengeOf(req, [{ realm: 'asterisk', qop: 'auth' }]),
      { ...anyRealm, realm: ['x', 'asterisk'] },
      createDigestClientState(),
    );
    expectValid(listed, 'wonderland');
  });

  it('a challenge after its own answer means wrong credentials', () => {
    const req = request();
    const state = createDigestClientState();
    const first = answerChallenge(req, challengeOf(req, [{ nonce: 'a', qop: 'auth' }]), creds, state);
    // the server issues a new nonce (as Strowger's does) …
    expect(
      failure(() => answerChallenge(first, challengeOf(first, [{ nonce: 'b', qop: 'auth' }]), creds, state))
        .reason,
    ).toBe('rejected');
    // … or repeats the same one
    const state2 = createDigestClientState();
    const again = answerChallenge(req, challengeOf(req, [{ nonce: 'a', qop: 'auth' }]), creds, state2);
    expect(
      failure(() => answerChallenge(again, challengeOf(again, [{ nonce: 'a', qop: 'auth' }]), creds, state2))
        .reason,
    ).toBe('rejected');
  });

  it('stale=true is answered once, a second stale in a row is a loop', () => {
    const req = request();
    const state = createDigestClientState();
    const first = answerChallenge(req, challengeOf(req, [{ nonce: 'a', qop: 'auth' }]), creds, state);
    const second = answerChallenge(
      first,
      challengeOf(first, [{ nonce: 'b', qop: 'auth', stale: true }]),
      creds,
      state,
    );
    expect(second.authorization[0]?.params.nonce).toBe('b');
    expect(second.authorization[0]?.params.nc).toBe('00000001');
    expect(second.getHeaders('Authorization')).toHaveLength(1);
    expectValid(second, 'wonderland');
    expect(
      failure(() =>
        answerChallenge(
          second,
          challengeOf(second, [{ nonce: 'c', qop: 'auth', stale: true }]),
          creds,
          state,
        ),
      ).reason,
    ).toBe('stale-loop');
  });

  it('preemptive credentials refused with a new nonce are answered, not counted as a failure', () => {
    const req = request();
    const state = createDigestClientState();
    answerChallenge(req, challengeOf(req, [{ nonce: 'a', qop: 'auth' }]), creds, state);
    const refresh = request({ cseq: 3 });
    expect(authorizeRequest(refresh, creds, state)).toBe(true);
    expect(refresh.authorization[0]?.params).toMatchObject({ nonce: 'a', nc: '00000002' });
    expectValid(refresh, 'wonderland');
    // the server restarted: a new nonce, no stale flag
    const next = answerChallenge(refresh, challengeOf(refresh, [{ nonce: 'z', qop: 'auth' }]), creds, state);
    expect(next.authorization[0]?.params).toMatchObject({ nonce: 'z', nc: '00000001' });
    // and that answer being refused is a real failure
    expect(
      failure(() => answerChallenge(next, challengeOf(next, [{ nonce: 'y', qop: 'auth' }]), creds, state))
        .reason,
    ).toBe('rejected');
  });

  it('authorizeRequest adds nothing without a remembered challenge or for a foreign realm', () => {
    const state = createDigestClientState();
    const req = request();
    expect(authorizeRequest(req, creds, state)).toBe(false);
    answerChallenge(req, challengeOf(req, [{ qop: 'auth' }]), creds, state);
    expect(authorizeRequest(request(), { ...creds, realm: 'other' }, state)).toBe(false);
    expect(authorizeRequest(request(), creds, state, { proxy: true })).toBe(false);
  });

  it('uses HA1-only credentials for the algorithms it has an HA1 for', () => {
    const req = request();
    const ha1Only: DigestCredentials = {
      username: 'alice',
      realm: 'example.com',
      ha1: { MD5: computeHA1('MD5', 'alice', 'example.com', 'wonderland') },
    };
    const next = answerChallenge(
      req,
      challengeOf(req, [
        { algorithm: 'SHA-256', qop: 'auth' },
        { algorithm: 'MD5', qop: 'auth' },
      ]),
      ha1Only,
      createDigestClientState(),
    );
    expect(next.authorization[0]?.params.algorithm).toBe('MD5');
    expectValid(next, 'wonderland');
    expect(
      failure(() =>
        answerChallenge(
          req,
          challengeOf(req, [{ algorithm: 'SHA-256', qop: 'auth' }]),
          ha1Only,
          createDigestClientState(),
        ),
      ).reason,
    ).toBe('unsupported');
  });

  it('answers every allowed realm of a forked 407 and keeps other credentials', () => {
    const req = request({ method: 'INVITE', uri: 'sip:bob@example.com' });
    req.appendHeader(
      'Proxy-Authorization',
      'Digest username="alice", realm="kept.example", nonce="k", uri="sip:bob@example.com", response="00"',
    );
    const res = challengeOf(
      req,
      [
        { realm: 'example.com', nonce: 'p1', qop: 'auth' },
        { realm: 'b.example', nonce: 'p2', qop: 'auth' },
        { realm: 'evil.example', nonce: 'p3', qop: 'auth' },
      ],
      407,
    );
    const next = wire(
      answerChallenge(req, res, { ...creds, realm: ['example.com', 'b.example'] }, createDigestClientState()),
    );
    expect(next.proxyAuthorization.map((h) => h.params.realm)).toEqual([
      'kept.example',
      'example.com',
      'b.example',
    ]);
    expectValid(next, 'wonderland', 'Proxy-Authorization', 1);
    expectValid(next, 'wonderland', 'Proxy-Authorization', 2);
    expect(next.getHeader('Authorization')).toBeUndefined();
  });

  it('uses qop=auth-int (hashing the body) when that is all the server offers, and no qop for RFC 2069 servers', () => {
    const req = request({ method: 'MESSAGE', uri: 'sip:bob@example.com', body: 'hello' });
    const intNext = answerChallenge(
      req,
      challengeOf(req, [{ qop: 'auth-int' }]),
      creds,
      createDigestClientState(),
    );
    expect(intNext.authorization[0]?.params.qop).toBe('auth-int');
    expectValid(intNext, 'wonderland');
    const old = answerChallenge(req, challengeOf(req, [{}]), creds, createDigestClientState());
    const p = old.authorization[0]?.params;
    expect(p?.qop).toBeUndefined();
    expect(p?.nc).toBeUndefined();
    expect(p?.cnonce).toBeUndefined();
    expectValid(old, 'wonderland');
  });

  it('reports challenges it cannot use with typed reasons', () => {
    const req = request();
    const st = () => createDigestClientState();
    expect(
      failure(() =>
        answerChallenge(req, challengeOf(req, [{ algorithm: 'SHA-1', qop: 'auth' }]), creds, st()),
      ).reason,
    ).toBe('unsupported');
    expect(
      failure(() => answerChallenge(req, challengeOf(req, [{ qop: 'auth-conf' }]), creds, st())).reason,
    ).toBe('unsupported');
    expect(failure(() => answerChallenge(req, challengeOf(req, []), creds, st())).reason).toBe(
      'malformed-challenge',
    );
    const basic = wire(
      createResponse(req, 401, { toTag: 't', headers: [['WWW-Authenticate', 'Basic realm="example.com"']] }),
    );
    expect(failure(() => answerChallenge(req, basic, creds, st())).reason).toBe('unsupported');
    const broken = wire(
      createResponse(req, 401, { toTag: 't', headers: [['WWW-Authenticate', 'Digest realm="x" nonce=']] }),
    );
    expect(failure(() => answerChallenge(req, broken, creds, st())).reason).toBe('malformed-challenge');
    expect(() => answerChallenge(req, wire(createResponse(req, 403)), creds, st())).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    expect(() => formatDigestChallenge({ realm: 'r', nonce: 'n', algorithm: 'MD5' })).not.toThrow();
  });
});
