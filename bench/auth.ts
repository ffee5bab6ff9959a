/**
 * Digest verification of an authenticated REGISTER, bytes in → verdict, beside
 * the npm `sip` package's digest module (sip.parse + digest.authenticateRequest)
 * measured interleaved in the same process. Both use MD5 with qop=auth and a
 * fresh nonce-count per request (both reject a repeated one).
 *
 * Ours checks more: the nonce's HMAC and expiry (stateless), the opaque, the
 * digest-uri against the Request-URI, the nonce-count in a bounded store, and
 * compares in constant time; the peer keeps one context object per nonce.
 *
 * Also printed, from the same run: the rates of the two failure paths that
 * must look the same from outside (unknown user, wrong password) — their ratio
 * should be close to 1 — and REGISTER handling by the registrar (parse, verify,
 * bind, 200) on the in-memory store.
 *
 * RESULT value: our verifications per second; peer: npm sip.
 */
import { createRequire } from 'node:module';
import { FakeClock, seededRandom } from '../src/core/index.js';
import { parseMessage, type SipRequest } from '../src/sip/index.js';
import {
  computeDigestResponse,
  computeHA1,
  createDigestAuthenticator,
  type DigestAuthenticator,
  MemoryLocationStore,
  Registrar,
} from '../src/sip/ua/index.js';
import { median, printResult } from './lib/stats.js';

const require = createRequire(import.meta.url);
const sip = require('sip') as { parse(b: Buffer): { method: string; headers: Record<string, unknown> } };
const digest = require('sip/digest') as {
  challenge(ctx: Record<string, unknown>, rs: { status: number; headers: Record<string, unknown> }): unknown;
  authenticateRequest(
    ctx: Record<string, unknown>,
    rq: unknown,
    creds: { user: string; password: string },
  ): boolean;
};

const REALM = 'example.com';
const USER = 'alice';
const PASSWORD = 'wonderland';
const URI = 'sip:example.com';
const POOL = 2000;
const ha1 = computeHA1('MD5', USER, REALM, PASSWORD);

function register(auth: string, cseq: number, user = USER): Buffer {
  return Buffer.from(
    [
      `REGISTER ${URI} SIP/2.0`,
      'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-bench;rport',
      'Max-Forwards: 70',
      `From: <sip:${user}@example.com>;tag=f1`,
      `To: <sip:${user}@example.com>`,
      'Call-ID: bench-call@192.0.2.10',
      `CSeq: ${cseq} REGISTER`,
      '<CONTACT>',
      'Expires: 3600',
      auth,
      'Content-Length: 0',
      '',
      '',
    ]
      .join('\r\n')
      .replace('<CONTACT>', `Contact: <sip:${user}@192.0.2.10:5060>`),
  );
}

function credentials(nonce: string, opaque: string, nc: number, password = PASSWORD, user = USER): string {
  const ncHex = nc.toString(16).padStart(8, '0');
  const cnonce = `c${nc}`;
  const response = computeDigestResponse({
    algorithm: 'MD5',
    ha1: computeHA1('MD5', user, REALM, password),
    method: 'REGISTER',
    uri: URI,
    nonce,
    qop: 'auth',
    nc: ncHex,
    cnonce,
  });
  return `Authorization: Digest username="${user}", realm="${REALM}", nonce="${nonce}", uri="${URI}", response="${response}", algorithm=MD5, cnonce="${cnonce}", opaque="${opaque}", qop=auth, nc=${ncHex}`;
}

// ---- ours: one nonce, POOL requests with nc 1..POOL; a new authenticator per pass (same secret: the nonce stays valid, the nc store starts empty)
const clock = new FakeClock();
const options = {
  realm: REALM,
  secret: 'bench secret, sixteen bytes or more',
  clock,
  random: seededRandom(1),
  algorithms: ['MD5'] as const,
  nonceTtlMs: 3_600_000,
  lookup: (u: string) => (u === USER ? { ha1 } : undefined),
};
const makeAuth = () => createDigestAuthenticator({ ...options, algorithms: ['MD5'] });
let ours: DigestAuthenticator = makeAuth();
const challenge = ours.challenge(parseMessage(register('X-No: auth', 1)) as SipRequest);
const params = challenge.wwwAuthenticate[0]?.params as Record<string, string>;
const okPool = Array.from({ length: POOL }, (_, i) =>
  register(credentials(params.nonce as string, params.opaque as string, i + 1), i + 2),
);
let sink = 0;
let okIndex = 0;
let failures = 0;

async function oursVerify(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    if (okIndex === POOL) {
      okIndex = 0;
      ours = makeAuth();
    }
    const r = await ours.verify(parseMessage(okPool[okIndex++] as Buffer) as SipRequest);
    if (r.ok) sink += r.user.length;
    else failures++;
  }
}

// ---- peer: npm sip's digest, one context per nonce (its nc counter reset per pass)
const ctx: Record<string, unknown> = { realm: REALM };
digest.challenge(ctx, { status: 401, headers: {} });
const peerPool = Array.from({ length: POOL }, (_, i) =>
  register(credentials(ctx.nonce as string, '', i + 1).replace(', opaque=""', ''), i + 2),
);
let peerIndex = 0;
let peerFailures = 0;

function peerVerify(n: number): void {
  for (let i = 0; i < n; i++) {
    if (peerIndex === POOL) {
      peerIndex = 0;
      ctx.nc = 0;
      ctx.ha1 = undefined;
    }
    const m = sip.parse(peerPool[peerIndex++] as Buffer);
    if (digest.authenticateRequest(ctx, m, { user: USER, password: PASSWORD })) sink += 1;
    else peerFailures++;
  }
}

async function asyncRate(fn: (n: number) => Promise<void>, ms: number): Promise<number> {
  let n = 500;
  for (;;) {
    const t0 = process.cpuUsage();
    await fn(n);
    const u = process.cpuUsage(t0);
    const dt = (u.user + u.system) / 1000;
    if (dt >= ms) return (n / dt) * 1000;
    n = Math.ceil(n * Math.min(10, Math.max(2, (ms * 1.2) / Math.max(dt, 1))));
  }
}

async function compareAsync(
  a: (n: number) => Promise<void>,
  b: (n: number) => Promise<void>,
  rounds = 7,
  ms = 250,
): Promise<{ a: number; b: number; ratio: number }> {
  await asyncRate(a, 100);
  await asyncRate(b, 100);
  const ra: number[] = [];
  const rb: number[] = [];
  for (let i = 0; i < rounds; i++) {
    ra.push(await asyncRate(a, ms));
    rb.push(await asyncRate(b, ms));
  }
  return { a: median(ra), b: median(rb), ratio: median(ra) / median(rb) };
}

// ---- failure paths: unknown user vs wrong password (the same nonce; answered with a fresh challenge each)
const unknown = register(
  credentials(params.nonce as string, params.opaque as string, 1, 'guess', 'mallory'),
  2,
  USER,
);
const wrong = register(credentials(params.nonce as string, params.opaque as string, 1, 'guess'), 2);
const failPath = (bytes: Buffer) => async (n: number) => {
  for (let i = 0; i < n; i++) {
    const r = await ours.verify(parseMessage(bytes) as SipRequest);
    if (!r.ok) sink += r.response.status;
  }
};

// ---- registrar: parse, verify, bind, 200 (serialized)
const store = new MemoryLocationStore({ clock });
let regAuth = makeAuth();
const registrar = new Registrar({ store, clock, authorize: () => true });
let regIndex = 0;
let regPass = 0;
const statuses: Record<number, number> = {};
async function registrarHandle(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    if (regIndex === POOL) {
      regIndex = 0;
      regPass++;
      regAuth = makeAuth();
    }
    const req = parseMessage(okPool[regIndex++] as Buffer) as SipRequest;
    const v = await regAuth.verify(req);
    // each pass replays CSeq 2…POOL+1, so it is a new Call-ID (a rebooted phone) for the registrar
    req.setHeader('Call-ID', `bench-${regPass}@192.0.2.10`);
    const res = await registrar.handle(req, v.ok ? { user: v.user } : {});
    sink += res.toString().length;
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  }
}

const main = await compareAsync(oursVerify, async (n) => peerVerify(n));
const fail = await compareAsync(failPath(unknown), failPath(wrong));
const reg = await asyncRate(registrarHandle, 250);
if (failures > 0 || peerFailures > 0 || Object.keys(statuses).some((s) => s !== '200')) {
  process.stderr.write(
    `bench/auth: unexpected verification failures (ours ${failures}, peer ${peerFailures})\n`,
  );
  process.exitCode = 1;
}
const f = (x: number) => Math.round(x).toLocaleString('en').padStart(9);
process.stdout.write(
  `${[
    `verify REGISTER (MD5, qop=auth)   strowger ${f(main.a)} /s   npm sip digest ${f(main.b)} /s   ratio ${main.ratio.toFixed(2)}x`,
    `failure paths                     unknown user ${f(fail.a)} /s   wrong password ${f(fail.b)} /s   ratio ${fail.ratio.toFixed(2)}`,
    `registrar REGISTER → 200           ${f(reg)} /s (parse + verify + bind + serialize, in-memory store)`,
    `registrar statuses ${JSON.stringify(statuses)}`,
    `(medians of 7 interleaved rounds, CPU time; sink ${sink % 10})`,
  ].join('\n')}\n`,
);
printResult({
  name: 'auth',
  value: Math.round(main.a),
  unit: 'REGISTER digest verifications/s',
  peer: 'npm sip 0.0.6 digest.authenticateRequest',
  peerValue: Math.round(main.b),
  ratio: Number(main.ratio.toFixed(2)),
  unknownVsWrongPasswordRatio: Number(fail.ratio.toFixed(3)),
  registrarPerSecond: Math.round(reg),
});
