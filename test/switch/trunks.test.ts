/**
 * Trunks: the switch registers with a provider (digest), calls out through it (digest on
 * the INVITE, caller id, strip/prepend), and takes the provider's calls by source address
 * and DID without a challenge; a trunk's calls cannot dial back out (routes default to
 * users); maxChannels.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createDigestAuthenticator,
  createUserAgent,
  type InviteSession,
  MemoryLocationStore,
  Registrar,
  type UserAgent,
} from '../../src/sip/index.js';
import type { TrunkRegistrationEvent } from '../../src/switch/index.js';
import { type SwitchNet, settings, switchNet } from './helpers.js';

let n: SwitchNet | undefined;
afterEach(async () => {
  await n?.close();
  n = undefined;
});

const PROVIDER = '10.0.0.50';

function trunkSettings(maxChannels?: number) {
  const s = settings();
  return {
    ...s,
    trunks: [
      {
        name: 'carrier',
        registrar: `sip:${PROVIDER}`,
        transport: 'udp' as const,
        username: 'acme',
        password: 'trunk-secret',
        register: true,
        expires: 600,
        callerId: { number: '+15559999', name: 'ACME' },
        dids: [{ number: '+15550001', target: { kind: 'extension' as const, extension: '1002' } }],
        enabled: true,
        ...(maxChannels === undefined ? {} : { maxChannels }),
      },
    ],
    routes: [
      ...s.routes,
      {
        name: 'out',
        match: { kind: 'prefix' as const, value: '0' },
        target: { kind: 'trunk' as const, trunk: 'carrier' },
        strip: 1,
        prepend: '+',
      },
    ],
  };
}

/** A provider: registrar and INVITE digest for acme, answers every call. */
function provider(net: SwitchNet): { ua: UserAgent; calls: InviteSession[]; store: MemoryLocationStore } {
  const auth = createDigestAuthenticator({
    realm: PROVIDER,
    secret: 'provider secret of 16+ bytes',
    algorithms: ['MD5'],
    clock: net.clock,
    lookup: (u) => (u === 'acme' ? { password: 'trunk-secret' } : undefined),
  });
  const store = new MemoryLocationStore({ clock: net.clock });
  const ua = createUserAgent({
    transports: [net.sipNet.createTransport({ address: PROVIDER, port: 5060 })],
    clock: net.clock,
    user: 'carrier',
    registrar: new Registrar({ store, clock: net.clock, authenticator: auth }),
    auth: { authenticator: auth, required: ['INVITE'] },
    media: {
      address: PROVIDER,
      media: [{ port: 40000, codecs: [{ encodingName: 'PCMU', clockRate: 8000 }] }],
    },
  });
  const calls: InviteSession[] = [];
  ua.on('INVITE', (s) => {
    calls.push(s);
    s.answer();
  });
  return { ua, calls, store };
}

describe('switch trunks', () => {
  it('registers with the provider, calls out through it with digest, takes its calls by DID', async () => {
    // the provider is up before the trunk is configured (a hot reload adds it)
    n = await switchNet({ settings: { ...trunkSettings(), trunks: [] } });
    const p = provider(n);
    const events: TrunkRegistrationEvent[] = [];
    n.sw.on('trunk', (e) => events.push(e));
    await Promise.all([n.sw.configure(trunkSettings()), n.run(300)]);
    expect(events.at(-1)).toMatchObject({ trunk: 'carrier', state: 'registered', expires: 600 });
    expect(n.sw.trunkStates()).toEqual({ carrier: 'registered' });
    expect((await p.store.get('sip:acme@10.0.0.50')).map((b) => b.uri)).toEqual(['sip:switch@10.0.0.1:5060']);

    const alice = await n.phone('10.0.0.11', '1001');
    const bob = await n.phone('10.0.0.12', '1002');
    bob.ua.on('INVITE', (s) => s.answer());
    // out: 0123456 → +123456 at the provider, with our caller id, after its 401
    const [out] = await Promise.all([
      alice.ua.invite('sip:0123456@10.0.0.1', { offer: alice.media }),
      n.run(400),
    ]);
    const atProvider = p.calls[0]!;
    expect(atProvider.request.uri.toString()).toBe('sip:+123456@10.0.0.50');
    expect(atProvider.request.from.uri.toString()).toBe('sip:+15559999@10.0.0.50');
    expect(atProvider.request.from.displayName).toBe('ACME');
    expect(atProvider.request.getHeader('Authorization')).toContain('username="acme"');
    expect(n.sw.trunkChannels()).toEqual({ carrier: 1 });
    await Promise.all([out.bye(), n.run(200)]);
    expect(n.sw.trunkChannels()).toEqual({});

    // in: the provider calls the DID; no challenge, routed to 1002
    const [inbound] = await Promise.all([
      p.ua.invite('sip:+15550001@10.0.0.1', {
        offer: {
          address: PROVIDER,
          media: [{ port: 40002, codecs: [{ encodingName: 'PCMU', clockRate: 8000 }] }],
        },
        from: '"Someone" <sip:+15551234@10.0.0.50>',
      }),
      n.run(400),
    ]);
    expect(bob.incoming[0]?.request.from.uri.toString()).toBe('sip:+15551234@10.0.0.1');
    await Promise.all([inbound.bye(), n.run(200)]);
    const cdrs = (await n.sw.storage.cdrs.query({ order: 'asc' })).items;
    expect(cdrs.map((c) => [c.direction, c.trunk, c.caller.number, c.callee.number, c.disposition])).toEqual([
      ['outbound', 'carrier', '1001', '+123456', 'answered'],
      ['inbound', 'carrier', '+15551234', '1002', 'answered'],
    ]);
    expect(cdrs[1]?.caller.name).toBe('Someone');
  });

  it('a trunk call matching no DID gets 404 and cannot dial back out; maxChannels gives 503', async () => {
    n = await switchNet({ settings: { ...trunkSettings(1), trunks: [] } });
    const p = provider(n);
    await Promise.all([n.sw.configure(trunkSettings(1)), n.run(300)]);
    const attempt = async (uri: string) => {
      const [r] = await Promise.all([
        p.ua
          .invite(uri, {
            offer: {
              address: PROVIDER,
              media: [{ port: 40004, codecs: [{ encodingName: 'PCMU', clockRate: 8000 }] }],
            },
          })
          .then(
            (s) => s,
            (e) => e,
          ),
        n?.run(400),
      ]);
      return r;
    };
    expect((await attempt('sip:+15550009@10.0.0.1')).status).toBe(404);
    expect((await attempt('sip:0123@10.0.0.1')).status).toBe(404); // routes are for users
    const alice = await n.phone('10.0.0.11', '1001');
    // one channel: a call out holds it, a call in gets 503
    const [out] = await Promise.all([
      alice.ua.invite('sip:0123456@10.0.0.1', { offer: alice.media }),
      n.run(400),
    ]);
    expect((await attempt('sip:+15550001@10.0.0.1')).status).toBe(503);
    await Promise.all([out.bye(), n.run(200)]);
    expect(n.sw.trunkChannels()).toEqual({});
  });
});
