/**
 * The registrar (RFC 3261 §10.3) on an in-memory location store and a fake
 * clock: bindings, expiry rules, 423, `Contact: *`, Call-ID/CSeq ordering,
 * Path and outbound parameters, the RFC 4475 registrar cases, authorization,
 * and the promise that bad input is answered, never thrown.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock, seededRandom } from '../../../src/core/index.js';
import { parseMessage, type SipRequest, type SipResponse } from '../../../src/sip/index.js';
import {
  answerChallenge,
  type Binding,
  type BindingsChange,
  createDigestAuthenticator,
  createDigestClientState,
  type LocationStore,
  MemoryLocationStore,
  Registrar,
  type RegistrarOptions,
} from '../../../src/sip/ua/index.js';
import { type RequestInit, request, SECRET, wire } from './helpers.js';

function setup(options: Partial<RegistrarOptions> = {}) {
  const clock = new FakeClock();
  const store = new MemoryLocationStore({ clock });
  const registrar = new Registrar({
    store,
    clock,
    random: seededRandom(1),
    authorize: () => true,
    ...options,
  });
  const changes: BindingsChange[] = [];
  registrar.on('changed', (c) => changes.push(c));
  const register = async (init: RequestInit = {}, user?: string) =>
    wire(await registrar.handle(wire(request(init)), { user }));
  return { clock, store, registrar, changes, register };
}

const torture = (name: string) =>
  parseMessage(
    readFileSync(join(__dirname, '..', '..', 'fixtures', 'sip', 'rfc4475', `${name}.dat`)),
  ) as SipRequest;

function contactsOf(res: SipResponse): Array<[string, string | null | undefined]> {
  return res.contacts.map((c) => [c.uri.toString(), c.params.get('expires')]);
}

describe('registrar: bindings', () => {
  it('binds a contact and lists it with its expiry in the 200', async () => {
    const { register, registrar, clock } = setup();
    const res = await register({ contact: '<sip:alice@192.0.2.10:5060>' });
    expect(res.status).toBe(200);
    expect(res.toTag).toBeDefined();
    expect(contactsOf(res)).toEqual([['sip:alice@192.0.2.10:5060', '3600']]);
    expect(res.getHeader('Date')).toBe(new Date(clock.wallTime()).toUTCString());
    const bindings = await registrar.lookup('sip:alice@example.com');
    expect(bindings).toHaveLength(1);
    expect(bindings[0]).toMatchObject({
      aor: 'sip:alice@example.com',
      uri: 'sip:alice@192.0.2.10:5060',
      callId: 'call-1@client',
      cseq: 1,
    });
  });

  it('keeps several contacts per AOR and lists all of them with their remaining time', async () => {
    const { register, clock } = setup();
    await register({ contact: '<sip:alice@192.0.2.10>', headers: [['Expires', '600']] });
    clock.advance(100_000);
    const res = await register({ callId: 'other-device', contact: '<sip:alice@198.51.100.7>' });
    expect(contactsOf(res)).toEqual([
      ['sip:alice@192.0.2.10', '500'],
      ['sip:alice@198.51.100.7', '3600'],
    ]);
  });

  it('takes the expiry from the Contact parameter, then the Expires header, then the default', async () => {
    const { register } = setup({ defaultExpires: 1800 });
    const res = await register({
      contact: ['<sip:a@192.0.2.1>;expires=120', '<sip:b@192.0.2.2>', '<sip:c@192.0.2.3>;expires=junk'],
      headers: [['Expires', '300']],
    });
    expect(contactsOf(res)).toEqual([
      ['sip:a@192.0.2.1', '120'],
      ['sip:b@192.0.2.2', '300'],
      ['sip:c@192.0.2.3', '300'],
    ]);
    const def = await register({ cseq: 2, contact: '<sip:d@192.0.2.4>' });
    expect(contactsOf(def).at(-1)).toEqual(['sip:d@192.0.2.4', '1800']);
  });

  it('answers 423 with Min-Expires for too short an interval and binds nothing', async () => {
    const { register, registrar } = setup({ minExpires: 60 });
    const res = await register({ contact: '<sip:a@192.0.2.1>;expires=30' });
    expect(res.status).toBe(423);
    expect(res.minExpires).toBe(60);
    expect(await registrar.lookup('sip:alice@example.com')).toEqual([]);
  });

  it('cuts an interval longer than the maximum', async () => {
    const { register } = setup({ maxExpires: 7200 });
    const res = await register({ contact: '<sip:a@192.0.2.1>', headers: [['Expires', '99999999999']] });
    expect(contactsOf(res)).toEqual([['sip:a@192.0.2.1', '7200']]);
  });

  it('refreshes a binding whose URI is equal by RFC 3261 rules, and removes one with expires=0', async () => {
    const { register, changes } = setup();
    await register({ contact: '<sip:alice@HOST.example;transport=tcp>' });
    const refreshed = await register({
      cseq: 2,
      contact: '<sip:alice@host.example;transport=TCP>',
      headers: [['Expires', '900']],
    });
    // the binding now holds the URI as last registered
    expect(contactsOf(refreshed)).toEqual([['sip:alice@host.example;transport=TCP', '900']]);
    expect(changes[1]).toMatchObject({
      added: [],
      refreshed: [expect.objectContaining({ cseq: 2 })],
      removed: [],
    });
    const removed = await register({ cseq: 3, contact: '<sip:alice@host.example;transport=tcp>;expires=0' });
    expect(removed.status).toBe(200);
    expect(removed.contacts).toEqual([]);
    expect(changes[2]?.removed).toHaveLength(1);
  });

  it('answers a REGISTER without Contact with the current bindings (a query)', async () => {
    const { register } = setup();
    await register({ contact: '<sip:a@192.0.2.1>' });
    const res = await register({ cseq: 2 });
    expect(contactsOf(res)).toEqual([['sip:a@192.0.2.1', '3600']]);
  });

  it('lets bindings lapse by the clock, without timers', async () => {
    const { register, registrar, clock } = setup();
    await register({ contact: '<sip:a@192.0.2.1>;expires=60' });
    clock.advance(59_999);
    expect(await registrar.lookup('sip:alice@example.com')).toHaveLength(1);
    clock.advance(1);
    expect(await registrar.lookup('sip:alice@example.com')).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('purges lapsed bindings on expire() and reports them', async () => {
    const { register, registrar, clock } = setup();
    await register({ contact: '<sip:a@192.0.2.1>;expires=60' });
    await register({
      to: '<sip:bob@example.com>',
      from: '<sip:bob@example.com>;tag=b',
      contact: '<sip:b@192.0.2.2>;expires=600',
    });
    const expired: Binding[][] = [];
    registrar.on('expired', (b) => expired.push(b));
    clock.advance(61_000);
    const gone = await registrar.expire();
    expect(gone.map((b) => b.uri)).toEqual(['sip:a@192.0.2.1']);
    expect(expired).toHaveLength(1);
    expect(await registrar.store.aors()).toEqual(['sip:bob@example.com']);
  });

  it('orders lookups by q, then by the most recent refresh', async () => {
    const { register, registrar, clock } = setup();
    await register({ contact: ['<sip:low@192.0.2.1>;q=0.1', '<sip:none@192.0.2.2>'] });
    clock.advance(1000);
    await register({ callId: 'c2', contact: ['<sip:high@192.0.2.3>;q=0.9', '<sip:recent@192.0.2.4>'] });
    expect((await registrar.lookup('sip:alice@example.com')).map((b) => b.uri)).toEqual([
      'sip:recent@192.0.2.4',
      'sip:none@192.0.2.2',
      'sip:high@192.0.2.3',
      'sip:low@192.0.2.1',
    ]);
  });

  it('keeps at most maxBindingsPerAor bindings, dropping the least recently refreshed', async () => {
    const { register, registrar, clock } = setup({ maxBindingsPerAor: 2 });
    await register({ callId: 'a', contact: '<sip:a@192.0.2.1>' });
    clock.advance(10);
    await register({ callId: 'b', contact: '<sip:b@192.0.2.2>' });
    clock.advance(10);
    await register({ callId: 'c', contact: '<sip:c@192.0.2.3>' });
    expect((await registrar.lookup('sip:alice@example.com')).map((b) => b.uri).sort()).toEqual([
      'sip:b@192.0.2.2',
      'sip:c@192.0.2.3',
    ]);
    const tooMany = await register({
      callId: 'd',
      contact: ['<sip:d@192.0.2.4>', '<sip:e@192.0.2.5>', '<sip:f@192.0.2.6>'],
    });
    expect(tooMany.status).toBe(403);
  });
});

describe('registrar: Contact: * and ordering', () => {
  it('Contact: * with Expires: 0 removes every binding', async () => {
    const { register, registrar } = setup();
    await register({ contact: ['<sip:a@192.0.2.1>', '<sip:b@192.0.2.2>'] });
    const res = await register({ callId: 'another', contact: '*', headers: [['Expires', '0']] });
    expect(res.status).toBe(200);
    expect(res.contacts).toEqual([]);
    expect(await registrar.lookup('sip:alice@example.com')).toEqual([]);
  });

  it('Contact: * with another expiry, without Expires, or beside addresses is a 400', async () => {
    const { register, registrar } = setup();
    await register({ contact: '<sip:a@192.0.2.1>' });
    for (const init of [
      { contact: '*', headers: [['Expires', '10']] as Array<[string, string]> },
      { contact: '*' },
      { contact: ['*', '<sip:b@192.0.2.2>'], headers: [['Expires', '0']] as Array<[string, string]> },
    ]) {
      expect((await register({ callId: 'x', ...init })).status).toBe(400);
    }
    expect(await registrar.lookup('sip:alice@example.com')).toHaveLength(1);
  });

  it('rejects an older or repeated CSeq from the same Call-ID and changes nothing (§10.3 step 7)', async () => {
    const { register, registrar } = setup();
    await register({ cseq: 5, contact: '<sip:a@192.0.2.1>', headers: [['Expires', '600']] });
    for (const cseq of [4, 5]) {
      const res = await register({ cseq, contact: '<sip:a@192.0.2.1>;expires=0' });
      expect(res.status).toBe(400);
    }
    const star = await register({ cseq: 3, contact: '*', headers: [['Expires', '0']] });
    expect(star.status).toBe(400);
    expect(await registrar.lookup('sip:alice@example.com')).toHaveLength(1);
    // a new Call-ID (a rebooted device) may use any CSeq
    const other = await register({ callId: 'rebooted', cseq: 1, contact: '<sip:a@192.0.2.1>;expires=0' });
    expect(other.status).toBe(200);
    expect(await registrar.lookup('sip:alice@example.com')).toEqual([]);
  });

  it('serializes concurrent REGISTERs for one AOR', async () => {
    const { registrar } = setup();
    const reqs = [1, 2, 3, 4].map((cseq) =>
      request({ cseq, contact: `<sip:a@192.0.2.1>;expires=${cseq * 100}` }),
    );
    const responses = await Promise.all(reqs.map((r) => registrar.handle(r)));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const [b] = await registrar.lookup('sip:alice@example.com');
    expect(b?.cseq).toBe(4);
  });
});

describe('registrar: Path and outbound', () => {
  it('stores Path (RFC 3327) and echoes it in the 200', async () => {
    const { register, registrar } = setup();
    const res = await register({
      contact: '<sip:alice@10.0.0.5:5060>',
      headers: [['Path', '<sip:edge1.example.com;lr;ob>, <sip:edge2.example.com;lr>']],
    });
    expect(res.path.map((p) => p.uri.toString())).toEqual([
      'sip:edge1.example.com;lr;ob',
      'sip:edge2.example.com;lr',
    ]);
    const [b] = await registrar.lookup('sip:alice@example.com');
    expect(b?.path).toEqual(['<sip:edge1.example.com;lr;ob>', '<sip:edge2.example.com;lr>']);
  });

  it('keeps +sip.instance and reg-id (RFC 5626) and keys the binding by them', async () => {
    const { register, registrar } = setup();
    const instance = '"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>"';
    const res = await register({
      contact: `<sip:alice@192.0.2.1:5060;transport=tcp>;+sip.instance=${instance};reg-id=1`,
      headers: [['Supported', 'outbound, path']],
    });
    expect(res.getHeader('Require')).toBe('outbound');
    expect(res.contacts[0]?.params.get('+sip.instance')).toBe(instance);
    expect(res.contacts[0]?.params.get('reg-id')).toBe('1');
    // the same instance and reg-id from a new address (NAT rebinding) replaces the binding
    await register({
      cseq: 2,
      contact: `<sip:alice@192.0.2.99:6000;transport=tcp>;+sip.instance=${instance};reg-id=1`,
    });
    // a second flow (reg-id=2) is a second binding
    await register({
      cseq: 3,
      contact: `<sip:alice@192.0.2.99:6001;transport=tcp>;+sip.instance=${instance};reg-id=2`,
    });
    const bindings = await registrar.lookup('sip:alice@example.com');
    expect(bindings.map((b) => [b.uri, b.regId]).sort()).toEqual([
      ['sip:alice@192.0.2.99:6000;transport=tcp', 1],
      ['sip:alice@192.0.2.99:6001;transport=tcp', 2],
    ]);
    expect(bindings[0]?.instanceId).toBe('<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>');
  });

  it('records where the REGISTER came from', async () => {
    const { registrar } = setup();
    const source = { transport: 'TCP', address: '203.0.113.9', port: 40123, connectionId: 'c7' };
    await registrar.handle(request({ contact: '<sip:a@10.0.0.1>' }), { source });
    expect((await registrar.lookup('sip:alice@example.com'))[0]?.source).toEqual(source);
  });
});

describe('registrar: RFC 4475 cases', () => {
  it('unksm2: a non-SIP address-of-record gets 400', async () => {
    const { registrar } = setup();
    expect((await registrar.handle(torture('unksm2'))).status).toBe(400);
  });

  it('regbadct: a Contact URI with headers outside <> gets 400', async () => {
    const { registrar } = setup();
    const res = await registrar.handle(torture('regbadct'));
    expect(res.status).toBe(400);
    expect(await registrar.lookup('sip:user@example.com')).toEqual([]);
  });

  it('regescrt: the Contact comes back unchanged', async () => {
    const { registrar } = setup();
    const res = wire(await registrar.handle(torture('regescrt')));
    expect(res.status).toBe(200);
    expect(res.getHeader('Contact')).toBe(
      '<sip:user@example.com?Route=%3Csip:sip.example.com%3E>;expires=3600',
    );
  });

  it('cparam01: parameters after a bare URI are header parameters, not URI parameters', async () => {
    const { registrar } = setup();
    const res = wire(await registrar.handle(torture('cparam01')));
    expect(res.status).toBe(200);
    const [b] = await registrar.lookup('sip:watson@example.com');
    expect(b?.uri).toBe('sip:+19725552222@gw1.example.net');
    expect(b?.params).toEqual([['unknownparam', null]]);
    expect(res.getHeader('Contact')).toBe('<sip:+19725552222@gw1.example.net>;unknownparam;expires=3600');
  });

  it('cparam02: parameters inside <> stay in the stored URI', async () => {
    const { registrar } = setup();
    const res = wire(await registrar.handle(torture('cparam02')));
    expect(res.status).toBe(200);
    const [b] = await registrar.lookup('sip:watson@example.com');
    expect(b?.uri).toBe('sip:+19725552222@gw1.example.net;unknownparam');
    expect(b?.params).toEqual([]);
  });
});

describe('registrar with an authenticator', () => {
  const authenticated = () => {
    const clock = new FakeClock();
    const authenticator = createDigestAuthenticator({
      realm: 'example.com',
      secret: SECRET,
      clock,
      random: seededRandom(8),
      lookup: (user) => ({ alice: { password: 'a-pw' }, bob: { password: 'b-pw' } })[user],
    });
    return new Registrar({ store: new MemoryLocationStore({ clock }), clock, authenticator });
  };

  it('challenges, then binds the AOR of the user who answered', async () => {
    const registrar = authenticated();
    const first = request({ contact: '<sip:alice@192.0.2.1>' });
    const challenge = wire(await registrar.handle(wire(first)));
    expect(challenge.status).toBe(401);
    const state = createDigestClientState();
    const next = answerChallenge(first, challenge, { username: 'alice', password: 'a-pw' }, state);
    expect((await registrar.handle(wire(next))).status).toBe(200);
    expect(await registrar.lookup('sip:alice@example.com')).toHaveLength(1);
  });

  it("RFC 4475 regaut01: an unknown scheme is challenged; another user's AOR is forbidden", async () => {
    const registrar = authenticated();
    expect((await registrar.handle(torture('regaut01'))).status).toBe(401);
    const first = request({ contact: '<sip:bob@192.0.2.2>' }); // To: alice
    const challenge = wire(await registrar.handle(wire(first)));
    const next = answerChallenge(
      first,
      challenge,
      { username: 'bob', password: 'b-pw', realm: 'example.com' },
      createDigestClientState(),
    );
    expect((await registrar.handle(wire(next))).status).toBe(403);
  });
});

describe('registrar: policy and robustness', () => {
  it('by default a user may register only their own AOR, and nobody unauthenticated', async () => {
    const { register } = setup({ authorize: undefined });
    expect((await register({ contact: '<sip:a@192.0.2.1>' })).status).toBe(403);
    expect((await register({ contact: '<sip:a@192.0.2.1>' }, 'bob')).status).toBe(403);
    expect((await register({ contact: '<sip:a@192.0.2.1>' }, 'alice')).status).toBe(200);
  });

  it('asks the authorizer with the user and the AOR', async () => {
    const seen: Array<[string | undefined, string]> = [];
    const { register } = setup({
      authorize: ({ user, aorKey }) => {
        seen.push([user, aorKey]);
        return user === 'admin';
      },
    });
    expect(
      (await register({ to: '<sip:Al%69ce@EXAMPLE.com;user=phone>', contact: '<sip:a@192.0.2.1>' }, 'admin'))
        .status,
    ).toBe(200);
    expect(seen).toEqual([['admin', 'sip:Alice@example.com']]);
  });

  it('answers 404 for a domain it does not serve and 420 for an unknown Require', async () => {
    const { register } = setup({ domains: ['example.com'] });
    expect(
      (await register({ to: '<sip:alice@elsewhere.example>', contact: '<sip:a@192.0.2.1>' })).status,
    ).toBe(404);
    const res = await register({ contact: '<sip:a@192.0.2.1>', headers: [['Require', 'path, foo']] });
    expect(res.status).toBe(420);
    expect(res.getHeader('Unsupported')).toBe('foo');
  });

  it('answers 500 and changes nothing when the store fails', async () => {
    const clock = new FakeClock();
    const inner = new MemoryLocationStore({ clock });
    const failing: LocationStore = {
      get: (aor) => inner.get(aor),
      update: async () => {
        throw new Error('disk full');
      },
      removeAll: (aor) => inner.removeAll(aor),
      expire: () => inner.expire(),
      aors: () => inner.aors(),
    };
    const registrar = new Registrar({ store: failing, clock, authorize: () => true });
    const res = await registrar.handle(request({ contact: '<sip:a@192.0.2.1>' }));
    expect(res.status).toBe(500);
    expect(await inner.get('sip:alice@example.com')).toEqual([]);
  });

  it('answers any REGISTER, however broken, with a response and never throws', async () => {
    const { registrar } = setup();
    const header = fc.oneof(
      fc.constantFrom(
        '<sip:a@192.0.2.1>',
        '*',
        'sip:a@b?x=y',
        '<sip:a@b>;expires=0',
        '<tel:+1234>',
        '<sip:a@b>;+sip.instance="<urn:x>";reg-id=1',
        '<',
        ';;',
        '',
      ),
      fc.string({ maxLength: 20 }).filter((s) => !/[\r\n]/.test(s)),
    );
    await fc.assert(
      fc.asyncProperty(
        header,
        header,
        fc.string({ maxLength: 8 }).filter((s) => !/[\r\n]/.test(s)),
        header,
        async (contact, to, expires, path) => {
          const req = request({ contact: '<sip:placeholder@192.0.2.1>' });
          req.setHeader('Contact', contact);
          req.setHeader('To', to);
          req.setHeader('Expires', expires);
          req.setHeader('Path', path);
          const res = await registrar.handle(req);
          expect([200, 400, 403, 420, 423]).toContain(res.status);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('answers a request that is not a REGISTER with 405', async () => {
    const { registrar } = setup();
    const res = await registrar.handle(request({ method: 'INVITE' }));
    expect(res.status).toBe(405);
    expect(res.getHeader('Allow')).toBe('REGISTER');
  });
});
