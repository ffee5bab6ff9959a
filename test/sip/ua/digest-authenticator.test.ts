/**
 * The digest authenticator against requests as clients send them: the
 * challenge, round trips through the digest client, replay, stale and expired
 * nonces, wrong realm / uri, tampered nonce and opaque, malformed credentials,
 * SIPp-style headers, and the rule that an unknown user and a wrong password
 * are answered with the same bytes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock, seededRandom } from '../../../src/core/index.js';
import {
  parseAuthHeader,
  parseMessage,
  parseUri,
  type SipRequest,
  type SipResponse,
} from '../../../src/sip/index.js';
import {
  answerChallenge,
  authorizeRequest,
  computeDigestResponse,
  computeHA1,
  createDigestAuthenticator,
  createDigestClientState,
  type DigestAuthenticatorOptions,
  type DigestCredentials,
  type DigestHashName,
  readDigestChallenge,
} from '../../../src/sip/ua/index.js';
import { request, SECRET, wire } from './helpers.js';

const USERS: Record<string, string> = { alice: 'wonderland', bob: 'builder' };

function setup(overrides: Partial<DigestAuthenticatorOptions> = {}, seed = 1) {
  const clock = new FakeClock();
  const lookups: string[] = [];
  const auth = createDigestAuthenticator({
    realm: 'example.com',
    secret: SECRET,
    clock,
    random: seededRandom(seed),
    lookup: (user) => {
      lookups.push(user);
      const password = USERS[user];
      return password === undefined ? undefined : { password };
    },
    ...overrides,
  });
  return { auth, clock, lookups };
}

const alice: DigestCredentials = { username: 'alice', password: 'wonderland', realm: 'example.com' };

/** Runs request → challenge → answer through the wire; returns the answered request. */
function answered(auth: ReturnType<typeof setup>['auth'], req: SipRequest, creds = alice, proxy = false) {
  const state = createDigestClientState({ random: seededRandom(99) });
  const challenge = wire(auth.challenge(req, { proxy }));
  return { next: wire(answerChallenge(req, challenge, creds, state)), state, challenge };
}

function param(res: SipResponse, name: string, header = 'WWW-Authenticate'): string | undefined {
  const v = res.getHeaders(header)[0];
  return v === undefined ? undefined : parseAuthHeader(v, header).params[name];
}

describe('digest authenticator: challenge', () => {
  it('answers 401 with one challenge per algorithm, SHA-256 first, qop="auth", opaque and one nonce', () => {
    const { auth } = setup();
    const res = wire(auth.challenge(request()));
    expect(res.status).toBe(401);
    expect(res.toTag).toBeDefined();
    const challenges = res.wwwAuthenticate.map((h) => readDigestChallenge(h));
    expect(challenges.map((c) => c?.algorithm)).toEqual(['SHA-256', 'MD5']);
    for (const c of challenges) {
      expect(c?.realm).toBe('example.com');
      expect(c?.qop).toEqual(['auth']);
      expect(c?.opaque).toMatch(/^[A-Za-z0-9_-]{16}$/);
      expect(c?.stale).toBe(false);
    }
    expect(challenges[0]?.nonce).toBe(challenges[1]?.nonce);
  });

  it('answers 407 with Proxy-Authenticate in proxy mode, and stale=true on request', () => {
    const { auth } = setup();
    const res = wire(auth.challenge(request({ method: 'INVITE' }), { proxy: true, stale: true }));
    expect(res.status).toBe(407);
    expect(res.getHeaders('WWW-Authenticate')).toEqual([]);
    expect(res.proxyAuthenticate.map((h) => readDigestChallenge(h)?.stale)).toEqual([true, true]);
  });

  it('offers the configured algorithms in the configured order', () => {
    const { auth } = setup({ algorithms: ['SHA-512-256', 'SHA-256', 'MD5'] });
    const res = auth.challenge(request());
    expect(res.wwwAuthenticate.map((h) => h.params.algorithm)).toEqual(['SHA-512-256', 'SHA-256', 'MD5']);
  });

  it('refuses a short secret and an empty algorithm list with typed errors', () => {
    expect(() => setup({ secret: 'short' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    expect(() => setup({ algorithms: [] })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});

describe('digest authenticator: verify', () => {
  it('accepts a client answer (SHA-256 chosen) and names the user', async () => {
    const { auth } = setup();
    const { next } = answered(auth, request());
    expect(next.authorization[0]?.params.algorithm).toBe('SHA-256');
    expect(await auth.verify(next)).toEqual({
      ok: true,
      user: 'alice',
      realm: 'example.com',
      algorithm: 'SHA-256',
    });
  });

  it('accepts MD5 from a client that only does MD5, and SHA-512-256 when offered', async () => {
    const { auth } = setup({ algorithms: ['SHA-512-256', 'SHA-256', 'MD5'] });
    const md5 = answered(auth, request(), { ...alice, algorithms: ['MD5'] }).next;
    expect(await auth.verify(md5)).toMatchObject({ ok: true, algorithm: 'MD5' });
    const strong = answered(auth, request()).next;
    expect(await auth.verify(strong)).toMatchObject({ ok: true, algorithm: 'SHA-512-256' });
  });

  it('asks for credentials when there are none, or only for another realm', async () => {
    const { auth } = setup();
    const none = await auth.verify(request());
    expect(none).toMatchObject({ ok: false, reason: 'no-credentials' });
    if (!none.ok) expect(none.response.status).toBe(401);
    const other = request({
      headers: [
        [
          'Authorization',
          'Digest username="alice", realm="elsewhere", nonce="n", uri="sip:example.com", response="00"',
        ],
      ],
    });
    expect(await auth.verify(other)).toMatchObject({ ok: false, reason: 'no-credentials' });
  });

  it('RFC 4475 regaut01: an unknown auth scheme gets a Digest challenge', async () => {
    const bytes = readFileSync(join(__dirname, '..', '..', 'fixtures', 'sip', 'rfc4475', 'regaut01.dat'));
    const { auth } = setup();
    const v = await auth.verify(parseMessage(bytes) as SipRequest);
    expect(v.ok).toBe(false);
    if (!v.ok) {
      expect(v.response.status).toBe(401);
      expect(v.response.wwwAuthenticate[0]?.scheme).toBe('Digest');
    }
  });

  it('rejects a replayed request (same nonce-count) with a fresh challenge, not stale', async () => {
    const { auth } = setup();
    const { next } = answered(auth, request());
    expect((await auth.verify(next)).ok).toBe(true);
    const replay = await auth.verify(wire(next));
    expect(replay).toMatchObject({ ok: false, reason: 'replay' });
    if (!replay.ok) {
      expect(replay.response.status).toBe(401);
      expect(param(replay.response, 'stale')).toBeUndefined();
    }
  });

  it('accepts increasing nonce-counts on one nonce and rejects a lower one', async () => {
    const { auth } = setup();
    const { next, state } = answered(auth, request());
    expect((await auth.verify(next)).ok).toBe(true);
    const second = request({ cseq: 3 });
    const third = request({ cseq: 4 });
    authorizeRequest(second, alice, state);
    authorizeRequest(third, alice, state);
    expect(second.authorization[0]?.params.nc).toBe('00000002');
    expect(third.authorization[0]?.params.nc).toBe('00000003');
    expect((await auth.verify(wire(third))).ok).toBe(true);
    expect(await auth.verify(wire(second))).toMatchObject({ ok: false, reason: 'replay' });
  });

  it('says stale=true only for right credentials on an expired nonce', async () => {
    const { auth, clock } = setup({ nonceTtlMs: 30_000 });
    const right = answered(auth, request()).next;
    const wrong = answered(auth, request(), { ...alice, password: 'nope' }).next;
    clock.advance(30_000);
    const stale = await auth.verify(right);
    expect(stale).toMatchObject({ ok: false, reason: 'stale' });
    if (!stale.ok) expect(param(stale.response, 'stale')).toBe('true');
    const bad = await auth.verify(wrong);
    expect(bad).toMatchObject({ ok: false, reason: 'bad-credentials' });
    if (!bad.ok) expect(param(bad.response, 'stale')).toBeUndefined();
  });

  it('a client retries a stale challenge once and gets in', async () => {
    const { auth, clock } = setup({ nonceTtlMs: 30_000 });
    const { next, state } = answered(auth, request());
    expect((await auth.verify(next)).ok).toBe(true);
    clock.advance(60_000);
    const refresh = request({ cseq: 3 });
    authorizeRequest(refresh, alice, state);
    const v = await auth.verify(wire(refresh));
    expect(v).toMatchObject({ ok: false, reason: 'stale' });
    if (v.ok) return;
    const retry = wire(answerChallenge(wire(refresh), wire(v.response), alice, state));
    expect(retry.cseq.seq).toBe(4);
    expect(await auth.verify(retry)).toMatchObject({ ok: true, user: 'alice' });
  });

  it('answers an unknown user and a wrong password with the same bytes, after the same lookup', async () => {
    // two servers in the same state (same clock, same random) see the same request but for the username
    const a = setup({}, 7);
    const b = setup({}, 7);
    const base = request({ uri: 'sip:example.com' });
    const challenge = wire(a.auth.challenge(base));
    wire(b.auth.challenge(base)); // keep b's random in step with a's
    const wrongPassword = answerChallenge(
      base,
      challenge,
      { ...alice, password: 'guess' },
      createDigestClientState({ random: seededRandom(5) }),
    );
    const unknownUser = answerChallenge(
      base,
      challenge,
      { ...alice, username: 'mallory', password: 'guess' },
      createDigestClientState({ random: seededRandom(5) }),
    );
    const ra = await a.auth.verify(wire(wrongPassword));
    const rb = await b.auth.verify(wire(unknownUser));
    expect(ra).toMatchObject({ ok: false, reason: 'bad-credentials', user: 'alice' });
    expect(rb).toMatchObject({ ok: false, reason: 'bad-credentials', user: 'mallory' });
    if (ra.ok || rb.ok) return;
    expect(ra.response.toString()).toBe(rb.response.toString());
    expect(a.lookups).toEqual(['alice']);
    expect(b.lookups).toEqual(['mallory']);
  });

  it('with onBadCredentials "forbidden", both cases get the same 403', async () => {
    const a = setup({ onBadCredentials: 'forbidden' }, 3);
    const b = setup({ onBadCredentials: 'forbidden' }, 3);
    const base = request();
    const challenge = wire(a.auth.challenge(base));
    wire(b.auth.challenge(base));
    const st = () => createDigestClientState({ random: seededRandom(1) });
    const ra = await a.auth.verify(wire(answerChallenge(base, challenge, { ...alice, password: 'x' }, st())));
    const rb = await b.auth.verify(
      wire(answerChallenge(base, challenge, { ...alice, username: 'zed' }, st())),
    );
    if (ra.ok || rb.ok) throw new Error('expected failures');
    expect(ra.response.status).toBe(403);
    expect(ra.response.toString()).toBe(rb.response.toString());
  });

  it('rejects credentials whose uri is not the Request-URI with 400', async () => {
    const { auth } = setup();
    const { next } = answered(auth, request({ uri: 'sip:example.com' }));
    const moved = wire(next);
    moved.uri = parseUri('sip:other.example.com');
    const v = await auth.verify(moved);
    expect(v).toMatchObject({ ok: false, reason: 'uri-mismatch' });
    if (!v.ok) expect(v.response.status).toBe(400);
  });

  it('accepts a uri that equals the Request-URI by RFC 3261 URI equality', async () => {
    const { auth } = setup();
    const req = request({ uri: 'sip:EXAMPLE.com;transport=udp' });
    const { next } = answered(auth, req);
    // re-point the digest uri at an equivalent spelling, recomputing the response
    const p = next.authorization[0]?.params as Record<string, string>;
    const uri = 'sip:example.com;transport=UDP';
    const response = computeDigestResponse({
      algorithm: 'SHA-256',
      ha1: computeHA1('SHA-256', 'alice', 'example.com', 'wonderland'),
      method: 'REGISTER',
      uri,
      nonce: p.nonce as string,
      qop: 'auth',
      nc: p.nc,
      cnonce: p.cnonce,
    });
    next.setHeader(
      'Authorization',
      next
        .getHeader('Authorization')
        ?.replace(/uri="[^"]*"/, `uri="${uri}"`)
        .replace(/response="[^"]*"/, `response="${response}"`) as string,
    );
    expect(await auth.verify(wire(next))).toMatchObject({ ok: true });
  });

  it("treats a tampered nonce or opaque, or another server's nonce, as unknown: fresh challenge, not stale", async () => {
    const { auth } = setup();
    const { next } = answered(auth, request());
    const h = next.getHeader('Authorization') as string;
    const nonce = parseAuthHeader(h).params.nonce as string;
    const opaque = parseAuthHeader(h).params.opaque as string;
    const flip = (s: string) =>
      s[5] === 'A' ? `${s.slice(0, 5)}B${s.slice(6)}` : `${s.slice(0, 5)}A${s.slice(6)}`;
    for (const tampered of [
      h.replace(nonce, flip(nonce)),
      h.replace(opaque, flip(opaque)),
      h.replace(`opaque="${opaque}"`, 'opaque="x"'),
    ]) {
      const req = wire(next);
      req.setHeader('Authorization', tampered);
      const v = await auth.verify(req);
      expect(v).toMatchObject({ ok: false, reason: 'bad-nonce' });
      if (!v.ok) expect(param(v.response, 'stale')).toBeUndefined();
    }
    const other = setup({ secret: 'another secret, also long enough' });
    expect(await other.auth.verify(wire(next))).toMatchObject({ ok: false, reason: 'bad-nonce' });
  });

  it('answers malformed credentials with 400', async () => {
    const { auth } = setup();
    const { next } = answered(auth, request());
    const h = next.getHeader('Authorization') as string;
    const cases = [
      'Digest username="alice", realm="example.com" nonce="x"', // no comma: does not parse
      h.replace(/, nonce="[^"]*"/, ''),
      h.replace(/nc=[0-9a-f]+/, 'nc=1'),
      h.replace(/, cnonce="[^"]*"/, ''),
    ];
    for (const value of cases) {
      const req = wire(next);
      req.setHeader('Authorization', value);
      const v = await auth.verify(req);
      expect(v.ok).toBe(false);
      if (!v.ok) {
        expect(v.reason).toBe('malformed');
        expect(v.response.status).toBe(400);
      }
    }
  });

  it('challenges again for an algorithm or qop it did not offer', async () => {
    const { auth } = setup({ algorithms: ['SHA-256'] });
    const other = setup({ algorithms: ['MD5'] });
    const md5 = answered(other.auth, request(), alice).next;
    // the MD5 answer's nonce is from another secret anyway; check the algorithm gate comes first
    expect(await auth.verify(md5)).toMatchObject({ ok: false, reason: 'unsupported' });
    const { next } = answered(auth, request());
    const req = wire(next);
    req.setHeader(
      'Authorization',
      (req.getHeader('Authorization') as string).replace('qop=auth', 'qop=auth-int'),
    );
    expect(await auth.verify(req)).toMatchObject({ ok: false, reason: 'unsupported' });
  });

  it('RFC 2069 credentials (no qop): challenged by default, accepted once when allowed', async () => {
    const noQop = (a: ReturnType<typeof setup>['auth']) => {
      const challenge = wire(a.challenge(request()));
      const c = readDigestChallenge(challenge.wwwAuthenticate[1] as never);
      const nonce = c?.nonce as string;
      const response = computeDigestResponse({
        algorithm: 'MD5',
        ha1: computeHA1('MD5', 'alice', 'example.com', 'wonderland'),
        method: 'REGISTER',
        uri: 'sip:example.com',
        nonce,
      });
      return request({
        headers: [
          [
            'Authorization',
            `Digest username="alice", realm="example.com", nonce="${nonce}", uri="sip:example.com", response="${response}"`,
          ],
        ],
      });
    };
    const strict = setup();
    expect(await strict.auth.verify(noQop(strict.auth))).toMatchObject({ ok: false, reason: 'unsupported' });
    const lenient = setup({ allowNoQop: true });
    const req = noQop(lenient.auth);
    expect(await lenient.auth.verify(req)).toMatchObject({ ok: true, algorithm: 'MD5' });
    expect(await lenient.auth.verify(wire(req))).toMatchObject({ ok: false, reason: 'replay' });
  });

  it('accepts SIPp-style credentials (no spaces, MD5, qop first, unquoted tokens)', async () => {
    const { auth } = setup();
    const challenge = wire(auth.challenge(request({ method: 'INVITE', uri: 'sip:service@127.0.0.1:5060' })));
    const md5 = readDigestChallenge(challenge.wwwAuthenticate[1] as never);
    const nonce = md5?.nonce as string;
    const response = computeDigestResponse({
      algorithm: 'MD5',
      ha1: computeHA1('MD5', 'bob', 'example.com', 'builder'),
      method: 'INVITE',
      uri: 'sip:service@127.0.0.1:5060',
      nonce,
      qop: 'auth',
      nc: '00000001',
      cnonce: '6b8b4567',
    });
    const raw = [
      'INVITE sip:service@127.0.0.1:5060 SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-4-1-0',
      'From: sipp <sip:bob@127.0.0.1:5061>;tag=1',
      'To: sut <sip:service@127.0.0.1:5060>',
      'Call-ID: 1-4@127.0.0.1',
      'CSeq: 2 INVITE',
      'Contact: sip:bob@127.0.0.1:5061',
      'Max-Forwards: 70',
      `Authorization: Digest username="bob",realm="example.com",cnonce="6b8b4567",nc=00000001,qop=auth,uri="sip:service@127.0.0.1:5060",nonce="${nonce}",response="${response}",algorithm=MD5,opaque="${md5?.opaque}"`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    expect(await auth.verify(parseMessage(raw) as SipRequest)).toMatchObject({
      ok: true,
      user: 'bob',
      algorithm: 'MD5',
    });
  });

  it('verifies Proxy-Authorization in proxy mode and ignores it otherwise', async () => {
    const { auth } = setup();
    const { next } = answered(auth, request({ method: 'INVITE', uri: 'sip:bob@example.com' }), alice, true);
    expect(next.getHeader('Proxy-Authorization')).toBeDefined();
    expect(await auth.verify(next)).toMatchObject({ ok: false, reason: 'no-credentials' });
    expect(await auth.verify(wire(next), { proxy: true })).toMatchObject({ ok: true, user: 'alice' });
  });

  it('uses a stored HA1 for the requested hash, and treats a failing lookup as an unknown user', async () => {
    const ha1s: Record<DigestHashName, string> = {
      MD5: computeHA1('MD5', 'alice', 'example.com', 'wonderland'),
      'SHA-256': computeHA1('SHA-256', 'alice', 'example.com', 'wonderland'),
      'SHA-512-256': computeHA1('SHA-512-256', 'alice', 'example.com', 'wonderland'),
    };
    const { auth } = setup({ lookup: (_u, _r, hash) => ({ ha1: ha1s[hash] }) });
    expect(await auth.verify(answered(auth, request()).next)).toMatchObject({ ok: true });
    const failing = setup({
      lookup: () => {
        throw new Error('database down');
      },
    });
    expect(await failing.auth.verify(answered(failing.auth, request()).next)).toMatchObject({
      ok: false,
      reason: 'bad-credentials',
    });
  });

  it('chooses the realm per request when given a function', async () => {
    const { auth } = setup({ realm: (req) => (req.uri as { host: string }).host });
    const res = auth.challenge(request({ uri: 'sip:tenant-b.example' }));
    expect(res.wwwAuthenticate[0]?.params.realm).toBe('tenant-b.example');
    const req = request({ uri: 'sip:tenant-b.example', to: '<sip:alice@tenant-b.example>' });
    const next = wire(
      answerChallenge(
        req,
        wire(auth.challenge(req)),
        { username: 'alice', password: 'wonderland' },
        createDigestClientState(),
      ),
    );
    expect(await auth.verify(next)).toMatchObject({ ok: true, realm: 'tenant-b.example' });
  });
});
