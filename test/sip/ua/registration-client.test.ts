/**
 * The registration client against a fake `send` that plays a registrar built
 * from Strowger's own Registrar and digest authenticator, on a fake clock:
 * challenge answering, refresh timing, stale nonces, 423, backoff with jitter,
 * timeouts, lapse, unregistration on stop, and no digest for foreign realms.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock, seededRandom } from '../../../src/core/index.js';
import { createResponse, type SipRequest, type SipResponse } from '../../../src/sip/index.js';
import {
  createDigestAuthenticator,
  createRegistrationClient,
  type DigestAuthenticatorOptions,
  MemoryLocationStore,
  type RegisteredInfo,
  Registrar,
  type RegistrarOptions,
  type RegistrationClientOptions,
  type RegistrationFailure,
} from '../../../src/sip/ua/index.js';
import { SECRET, settle, wire } from './helpers.js';

type Override = (req: SipRequest) => SipResponse | Promise<SipResponse> | 'hang' | 'throw' | undefined;

function peer(
  options: { auth?: Partial<DigestAuthenticatorOptions>; registrar?: Partial<RegistrarOptions> } = {},
) {
  const clock = new FakeClock();
  const store = new MemoryLocationStore({ clock });
  const auth = createDigestAuthenticator({
    realm: 'example.com',
    secret: SECRET,
    clock,
    random: seededRandom(2),
    lookup: (user) => (user === 'trunk' ? { password: 'secret-pw' } : undefined),
    ...options.auth,
  });
  const registrar = new Registrar({ store, clock, random: seededRandom(3), ...options.registrar });
  const sent: SipRequest[] = [];
  const answers: SipResponse[] = [];
  let override: Override | undefined;
  let branch = 0;
  const send = async (req: SipRequest): Promise<SipResponse> => {
    // what a transaction layer does: stamp a Via with a new branch into the request
    req.prependHeader('Via', `SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bK-${++branch}`);
    const onWire = wire(req);
    sent.push(onWire);
    const o = override?.(onWire);
    if (o === 'hang') return new Promise(() => undefined);
    if (o === 'throw') throw new Error('network unreachable');
    let res: SipResponse;
    if (o !== undefined) res = await o;
    else {
      const v = await auth.verify(onWire);
      res = v.ok ? await registrar.handle(onWire, { user: v.user }) : v.response;
    }
    const back = wire(res);
    answers.push(back);
    return back;
  };
  return {
    clock,
    registrar,
    sent,
    answers,
    send,
    setOverride: (o: Override | undefined) => {
      override = o;
    },
  };
}

function client(p: ReturnType<typeof peer>, options: Partial<RegistrationClientOptions> = {}) {
  const c = createRegistrationClient({
    aor: 'sip:trunk@example.com',
    registrar: 'sip:example.com',
    contact: '<sip:trunk@192.0.2.50:5060>',
    credentials: { username: 'trunk', password: 'secret-pw', realm: 'example.com' },
    send: p.send,
    clock: p.clock,
    random: seededRandom(4),
    retry: { baseMs: 1000, maxMs: 8000 },
    ...options,
  });
  const events: Array<[string, unknown]> = [];
  c.on('registered', (i) => events.push(['registered', i]));
  c.on('failed', (i) => events.push(['failed', i]));
  c.on('unregistered', (i) => events.push(['unregistered', i]));
  c.on('retrying', (i) => events.push(['retrying', i]));
  return { c, events };
}

/** Advances the fake clock timer by timer, letting the async peer answer in between. */
async function advance(clock: FakeClock, ms: number): Promise<void> {
  const target = clock.now() + ms;
  await settle();
  for (;;) {
    const next = clock.nextTimerAt();
    if (next === undefined || next > target) break;
    clock.advance(next - clock.now());
    await settle();
  }
  clock.advance(target - clock.now());
  await settle();
}

/** The payload of the i-th event (throws when there is none). */
function payload<T>(events: Array<[string, unknown]>, i: number): T {
  const e = events[i];
  if (e === undefined) throw new Error(`no event #${i}`);
  return e[1] as T;
}

const names = (events: Array<[string, unknown]>) => events.map(([n]) => n);

describe('registration client', () => {
  it('registers, answering the digest challenge once', async () => {
    const p = peer();
    const { c, events } = client(p);
    c.start();
    await settle();
    expect(c.state).toBe('registered');
    expect(names(events)).toEqual(['registered']);
    expect(payload<RegisteredInfo>(events, 0).expires).toBe(3600);
    expect(p.sent.map((r) => [r.cseq.seq, r.hasHeader('Authorization')])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(new Set(p.sent.map((r) => r.callId)).size).toBe(1);
    // one Via per request: the answered copy did not keep the first transaction's Via
    expect(p.sent.map((r) => r.via.length)).toEqual([1, 1]);
    expect(p.sent[1]?.authorization[0]?.params.algorithm).toBe('SHA-256');
    const [b] = await p.registrar.lookup('sip:trunk@example.com');
    expect(b?.uri).toBe('sip:trunk@192.0.2.50:5060');
  });

  it('refreshes at the granted expiry minus the margin, in one round trip while the nonce is fresh', async () => {
    const p = peer({ auth: { nonceTtlMs: 7_200_000 } });
    const { c, events } = client(p, { refreshMarginSec: 300 });
    c.start();
    await settle();
    await advance(p.clock, 3_299_999);
    expect(p.sent).toHaveLength(2);
    await advance(p.clock, 1);
    expect(p.sent).toHaveLength(3);
    expect(p.sent[2]?.authorization[0]?.params.nc).toBe('00000002');
    expect(p.answers[2]?.status).toBe(200);
    expect(names(events)).toEqual(['registered', 'registered']);
  });

  it('refreshes half-way through a short registration, and answers a stale nonce without failing', async () => {
    const p = peer({ auth: { nonceTtlMs: 30_000 }, registrar: { minExpires: 60 } });
    const { c, events } = client(p, { expires: 120 });
    c.start();
    await settle();
    await advance(p.clock, 60_000);
    // preemptive credentials on an expired nonce → 401 stale=true → answered → 200
    expect(p.answers.slice(2).map((r) => r.status)).toEqual([401, 200]);
    expect(p.answers[2]?.wwwAuthenticate[0]?.params.stale).toBe('true');
    expect(names(events)).toEqual(['registered', 'registered']);
    expect(c.failures).toBe(0);
  });

  it('honours 423 Min-Expires', async () => {
    const p = peer({ registrar: { minExpires: 600 } });
    const { c, events } = client(p, { expires: 300 });
    c.start();
    await settle();
    expect(p.answers.map((r) => r.status)).toEqual([401, 423, 200]);
    expect(p.sent[2]?.getHeader('Expires')).toBe('600');
    expect(payload<RegisteredInfo>(events, 0).expires).toBe(600);
    expect(c.expires).toBe(600);
  });

  it('reports wrong credentials once per attempt and backs off exponentially with jitter, bounded', async () => {
    const p = peer();
    const { c, events } = client(p, {
      credentials: { username: 'trunk', password: 'wrong', realm: 'example.com' },
    });
    c.start();
    await settle();
    const failed = events.find(([n]) => n === 'failed')?.[1] as RegistrationFailure;
    expect(failed).toMatchObject({ status: 401, authFailure: 'rejected' });
    expect(p.sent).toHaveLength(2); // one challenge answered, the second challenge not
    for (let i = 0; i < 7; i++) {
      const retrying = events.filter(([n]) => n === 'retrying');
      const last = retrying.at(-1)?.[1] as { delayMs: number };
      await advance(p.clock, last.delayMs);
    }
    const delays = events
      .filter(([n]) => n === 'retrying')
      .map(([, i]) => (i as { delayMs: number }).delayMs);
    expect(delays.length).toBeGreaterThanOrEqual(7);
    delays.forEach((d, k) => {
      const w = Math.min(8000, 1000 * 2 ** k);
      expect(d).toBeGreaterThanOrEqual(w / 2);
      expect(d).toBeLessThanOrEqual(w);
    });
    expect(new Set(delays).size).toBeGreaterThan(1);
    expect(c.state).toBe('retrying');
  });

  it('treats a REGISTER with no answer as a timeout, and a send error as a failure, then retries', async () => {
    const p = peer();
    const { c, events } = client(p, { timeoutMs: 32_000 });
    p.setOverride(() => 'hang');
    c.start();
    await advance(p.clock, 31_999);
    expect(names(events)).toEqual([]);
    await advance(p.clock, 1);
    expect(events[0]).toEqual(['failed', expect.objectContaining({ status: undefined, reason: 'timeout' })]);
    p.setOverride(() => 'throw');
    await advance(p.clock, payload<{ delayMs: number }>(events, 1).delayMs);
    expect(events[2]).toEqual(['failed', expect.objectContaining({ reason: 'send failed' })]);
    p.setOverride(undefined);
    await advance(p.clock, payload<{ delayMs: number }>(events, 3).delayMs);
    expect(c.state).toBe('registered');
    expect(c.failures).toBe(0);
  });

  it('waits at least Retry-After after a 503, and reports the registration lapsing meanwhile', async () => {
    const p = peer({ registrar: { minExpires: 60 } });
    const { c, events } = client(p, {
      expires: 600,
      refreshMarginSec: 300,
      retry: { baseMs: 1000, maxMs: 1_800_000 },
    });
    c.start();
    await settle();
    p.setOverride((req) => createResponse(req, 503, { toTag: 'x', headers: [['Retry-After', '400']] }));
    await advance(p.clock, 300_000); // refresh → 503
    const retry = events.find(([n]) => n === 'retrying')?.[1] as { delayMs: number };
    expect(retry.delayMs).toBe(400_000);
    expect(names(events)).toEqual(['registered', 'failed', 'retrying']);
    await advance(p.clock, 300_000); // the 600 s registration lapses before the retry
    expect(names(events)).toEqual(['registered', 'failed', 'retrying', 'unregistered']);
    expect(events[3]?.[1]).toEqual({ reason: 'expired' });
    p.setOverride(undefined);
    await advance(p.clock, 100_000);
    expect(names(events).at(-1)).toBe('registered');
  });

  it('unregisters on stop with Expires: 0 and leaves no timers behind', async () => {
    const p = peer();
    const { c, events } = client(p);
    c.start();
    await settle();
    expect(await p.registrar.lookup('sip:trunk@example.com')).toHaveLength(1);
    const stopping = c.stop();
    expect(c.stop()).toBe(stopping);
    expect(await stopping).toBe(true);
    expect(p.sent.at(-1)?.getHeader('Expires')).toBe('0');
    expect(p.sent.at(-1)?.getHeader('Contact')).toBe('<sip:trunk@192.0.2.50:5060>');
    expect(await p.registrar.lookup('sip:trunk@example.com')).toEqual([]);
    expect(events.at(-1)).toEqual(['unregistered', { reason: 'stopped' }]);
    expect(c.state).toBe('stopped');
    expect(p.clock.pendingTimers).toBe(0);
  });

  it('stop while a REGISTER hangs abandons it, unregisters, and leaves no timers', async () => {
    const p = peer();
    const { c, events } = client(p);
    p.setOverride(() => 'hang');
    c.start();
    await settle();
    p.setOverride(undefined);
    expect(await c.stop()).toBe(true);
    await settle();
    expect(p.sent.at(-1)?.getHeader('Expires')).toBe('0');
    expect(names(events)).toEqual(['unregistered']);
    expect(p.clock.pendingTimers).toBe(0);
  });

  it('stops quietly when nothing was registered, and can start again', async () => {
    const p = peer();
    const { c, events } = client(p);
    expect(await c.stop()).toBe(true);
    expect(p.sent).toEqual([]);
    c.start();
    await settle();
    expect(c.state).toBe('registered');
    expect(names(events)).toEqual(['registered']);
  });

  it('never sends a digest to a realm it was not configured for', async () => {
    const p = peer({ auth: { realm: 'evil.example' } });
    const { c, events } = client(p);
    c.start();
    await settle();
    expect(events[0]).toEqual([
      'failed',
      expect.objectContaining({ status: 401, authFailure: 'realm-not-allowed' }),
    ]);
    await advance(p.clock, 20_000);
    expect(p.sent.length).toBeGreaterThan(1);
    expect(p.sent.every((r) => !r.hasHeader('Authorization'))).toBe(true);
  });

  it('refuses a non-SIP AOR and a zero expiry with typed errors', () => {
    const p = peer();
    expect(() => client(p, { aor: 'tel:+15551234' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    expect(() => client(p, { expires: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});
