/** docs/auth-and-registration.md: the trunk registration example, against a Strowger registrar, as written. */
import { describe, expect, it } from 'vitest';
import { FakeClock, seededRandom } from '../../../src/core/index.js';
import type { SipRequest } from '../../../src/sip/index.js';
import {
  createDigestAuthenticator,
  createRegistrationClient,
  MemoryLocationStore,
  Registrar,
} from '../../../src/sip/ua/index.js';
import { settle, wire } from './helpers.js';

describe('docs/auth-and-registration.md', () => {
  it('a trunk registers with a registrar that owns its authentication, and unregisters on stop', async () => {
    const clock = new FakeClock();
    const random = seededRandom(42);
    const auth = createDigestAuthenticator({
      realm: 'sip.carrier.example',
      secret: 'nonce secret of the carrier, 32b',
      lookup: async (user) => (user === 'trunk01' ? { password: 's3cret' } : undefined),
      clock,
      random,
    });
    const store = new MemoryLocationStore({ clock });
    const registrar = new Registrar({ store, clock, authenticator: auth, random });
    // what the UA's `send` does: a client transaction to the registrar (here: straight into it)
    const send = async (request: SipRequest) => {
      request.prependHeader('Via', 'SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-doc');
      return wire(
        await registrar.handle(wire(request), {
          source: { transport: 'UDP', address: '203.0.113.5', port: 5060 },
        }),
      );
    };
    const reg = createRegistrationClient({
      aor: 'sip:trunk01@sip.carrier.example',
      registrar: 'sip:sip.carrier.example',
      contact: '<sip:trunk01@203.0.113.5:5060>',
      expires: 3600,
      credentials: { username: 'trunk01', password: 's3cret', realm: 'sip.carrier.example' },
      send,
      clock,
      random,
    });
    const seen: string[] = [];
    reg.on('registered', ({ expires }) => seen.push(`registered ${expires}`));
    reg.on('unregistered', ({ reason }) => seen.push(`unregistered ${reason}`));
    reg.start();
    await settle();
    const [binding] = await registrar.lookup('sip:trunk01@sip.carrier.example');
    expect(binding).toMatchObject({
      uri: 'sip:trunk01@203.0.113.5:5060',
      source: { address: '203.0.113.5' },
    });
    expect(await reg.stop()).toBe(true);
    expect(seen).toEqual(['registered 3600', 'unregistered stopped']);
    expect(await registrar.lookup('sip:trunk01@sip.carrier.example')).toEqual([]);
  });
});
