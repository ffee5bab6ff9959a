/** Target resolution (simplified RFC 3263 §4) against a static resolver: no DNS needed. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src/core/index.js';
import {
  createStaticResolver,
  endpointKey,
  normalizeAddress,
  orderSrv,
  resolveTarget,
  type SipResolver,
  type SrvRecord,
  sameAddress,
} from '../../../src/sip/index.js';

const resolver = createStaticResolver({
  srv: {
    '_sip._udp.example.com': [{ name: 'udp1.example.com', port: 5070, priority: 10, weight: 0 }],
    '_sip._tcp.example.com': [{ name: 'tcp1.example.com.', port: 5080, priority: 10, weight: 0 }],
    '_sips._tcp.example.com': [{ name: 'tls1.example.com', port: 5091, priority: 10, weight: 0 }],
    '_sips._tcp.secure.example': [
      { name: 'b.secure.example', port: 5061, priority: 20, weight: 0 },
      { name: 'a.secure.example', port: 5061, priority: 10, weight: 0 },
    ],
    '_sip._udp.gone.example': [{ name: '.', port: 0, priority: 0, weight: 0 }],
  },
  hosts: {
    'udp1.example.com': ['192.0.2.10'],
    'tcp1.example.com': ['192.0.2.11', '2001:db8::11'],
    'tls1.example.com': ['192.0.2.12'],
    'a.secure.example': ['192.0.2.21'],
    'b.secure.example': ['192.0.2.22'],
    'plain.example': ['192.0.2.30', '2001:db8::30'],
    'gone.example': ['192.0.2.40'],
  },
});

const r = (uri: string, extra: Parameters<typeof resolveTarget>[1] = {}) =>
  resolveTarget(uri, { resolver, random: seededRandom(1), ...extra });

describe('resolveTarget', () => {
  it('numeric hosts: UDP for sip, TLS for sips, default ports, IPv6 unbracketed', async () => {
    expect(await r('sip:alice@192.0.2.1')).toEqual([{ address: '192.0.2.1', port: 5060, protocol: 'UDP' }]);
    expect(await r('sips:alice@192.0.2.1')).toEqual([{ address: '192.0.2.1', port: 5061, protocol: 'TLS' }]);
    expect(await r('sip:[2001:db8::1]:5070')).toEqual([
      { address: '2001:db8::1', port: 5070, protocol: 'UDP' },
    ]);
    expect(await r('sip:192.0.2.1;transport=tcp')).toEqual([
      { address: '192.0.2.1', port: 5060, protocol: 'TCP' },
    ]);
    expect(await r('sip:192.0.2.1;transport=ws')).toEqual([
      { address: '192.0.2.1', port: 80, protocol: 'WS' },
    ]);
    expect(await r('sips:192.0.2.1;transport=ws')).toEqual([
      { address: '192.0.2.1', port: 443, protocol: 'WSS' },
    ]);
    expect(await r('sips:192.0.2.1;transport=tcp')).toEqual([
      { address: '192.0.2.1', port: 5061, protocol: 'TLS' },
    ]);
  });

  it('honours maddr over the host', async () => {
    expect(await r('sip:alice@example.com;maddr=192.0.2.99')).toEqual([
      { address: '192.0.2.99', port: 5060, protocol: 'UDP' },
    ]);
    expect(await r('sip:alice@192.0.2.1:5090;maddr=plain.example')).toEqual([
      { address: '192.0.2.30', port: 5090, protocol: 'UDP', hostname: 'plain.example' },
      { address: '2001:db8::30', port: 5090, protocol: 'UDP', hostname: 'plain.example' },
    ]);
  });

  it('host names without a port use SRV in the order of the supported transports', async () => {
    expect(await r('sip:example.com')).toEqual([
      { address: '192.0.2.10', port: 5070, protocol: 'UDP', hostname: 'example.com' },
      { address: '192.0.2.11', port: 5080, protocol: 'TCP', hostname: 'example.com' },
      { address: '2001:db8::11', port: 5080, protocol: 'TCP', hostname: 'example.com' },
      { address: '192.0.2.12', port: 5091, protocol: 'TLS', hostname: 'example.com' },
    ]);
    expect((await r('sip:example.com', { transports: ['TCP', 'UDP'] })).map((t) => t.protocol)).toEqual([
      'TCP',
      'TCP',
      'UDP',
    ]);
    expect(await r('sip:example.com;transport=tcp', { family: 6 })).toEqual([
      { address: '2001:db8::11', port: 5080, protocol: 'TCP', hostname: 'example.com' },
    ]);
    expect(await r('sips:secure.example')).toEqual([
      { address: '192.0.2.21', port: 5061, protocol: 'TLS', hostname: 'secure.example' },
      { address: '192.0.2.22', port: 5061, protocol: 'TLS', hostname: 'secure.example' },
    ]);
  });

  it('skips SRV when the URI has a port', async () => {
    const asked: string[] = [];
    const spy: SipResolver = {
      resolveSrv: async (n) => {
        asked.push(n);
        return [];
      },
      lookup: (h) => resolver.lookup(h),
    };
    expect(await resolveTarget('sip:plain.example:5062', { resolver: spy })).toEqual([
      { address: '192.0.2.30', port: 5062, protocol: 'UDP', hostname: 'plain.example' },
      { address: '2001:db8::30', port: 5062, protocol: 'UDP', hostname: 'plain.example' },
    ]);
    expect(asked).toEqual([]);
  });

  it('fails clearly when nothing resolves or the URI cannot be routed', async () => {
    await expect(r('sip:nowhere.example')).rejects.toMatchObject({ code: 'ERR_TRANSPORT' });
    await expect(r('sip:gone.example')).rejects.toMatchObject({ code: 'ERR_TRANSPORT' }); // SRV "." = no service
    await expect(r('tel:+15551234')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(r('sips:192.0.2.1;transport=udp')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(r('sip:192.0.2.1;transport=carrier-pigeon')).rejects.toMatchObject({
      code: 'ERR_TRANSPORT',
    });
    await expect(r('sip:192.0.2.1;transport=tls', { transports: ['UDP'] })).rejects.toMatchObject({
      code: 'ERR_TRANSPORT',
    });
    await expect(r('sip:[2001:db8::1]', { family: 4 })).rejects.toMatchObject({ code: 'ERR_TRANSPORT' });
  });

  it('never asks the DNS about numeric hosts', async () => {
    const asked: string[] = [];
    const spy: SipResolver = {
      resolveSrv: async (n) => {
        asked.push(n);
        return [];
      },
      lookup: async (h) => {
        asked.push(h);
        return [];
      },
    };
    await resolveTarget('sip:192.0.2.1', { resolver: spy });
    await resolveTarget('sip:[::1]', { resolver: spy });
    expect(asked).toEqual([]);
  });

  it('uses A/AAAA at the default port of the transport when there are no SRV records', async () => {
    expect(await r('sip:plain.example')).toEqual([
      { address: '192.0.2.30', port: 5060, protocol: 'UDP', hostname: 'plain.example' },
      { address: '2001:db8::30', port: 5060, protocol: 'UDP', hostname: 'plain.example' },
    ]);
    expect(await r('sips:plain.example')).toEqual([
      { address: '192.0.2.30', port: 5061, protocol: 'TLS', hostname: 'plain.example' },
      { address: '2001:db8::30', port: 5061, protocol: 'TLS', hostname: 'plain.example' },
    ]);
    expect(await r('sip:tcp1.example.com:5099;transport=tcp')).toEqual([
      { address: '192.0.2.11', port: 5099, protocol: 'TCP', hostname: 'tcp1.example.com' },
      { address: '2001:db8::11', port: 5099, protocol: 'TCP', hostname: 'tcp1.example.com' },
    ]);
  });
});

const srvArb = fc.array(
  fc.record({
    name: fc.string({ minLength: 1, maxLength: 6 }),
    port: fc.integer({ min: 1, max: 65535 }),
    priority: fc.integer({ min: 0, max: 3 }),
    weight: fc.integer({ min: 0, max: 50 }),
  }),
  { maxLength: 12 },
);

describe('SRV ordering (RFC 2782)', () => {
  it('is a permutation sorted by priority', () => {
    fc.assert(
      fc.property(srvArb, fc.integer(), (records: SrvRecord[], seed) => {
        const out = orderSrv(records, seededRandom(seed));
        expect(out).toHaveLength(records.length);
        expect(new Set(out)).toEqual(new Set(records));
        for (let i = 1; i < out.length; i++)
          expect((out[i] as SrvRecord).priority).toBeGreaterThanOrEqual((out[i - 1] as SrvRecord).priority);
      }),
    );
  });

  it('picks the heavier record first in proportion to its weight', () => {
    const records = [
      { name: 'light', port: 1, priority: 0, weight: 10 },
      { name: 'heavy', port: 2, priority: 0, weight: 90 },
    ];
    const random = seededRandom(7);
    let heavyFirst = 0;
    for (let i = 0; i < 2000; i++) if (orderSrv(records, random)[0]?.name === 'heavy') heavyFirst++;
    expect(heavyFirst / 2000).toBeGreaterThan(0.85);
    expect(heavyFirst / 2000).toBeLessThan(0.95);
  });
});

describe('address helpers', () => {
  it('normalise brackets, case and IPv4-mapped IPv6', () => {
    expect(normalizeAddress('[2001:DB8::1]')).toBe('2001:db8::1');
    expect(normalizeAddress('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(normalizeAddress('example.com')).toBe('example.com');
    expect(endpointKey({ address: '[::FFFF:127.0.0.1]', port: 5060 })).toBe(
      endpointKey({ address: '127.0.0.1', port: 5060 }),
    );
  });

  it('compare every spelling of one IPv6 address as equal, and different addresses as different', () => {
    const words = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 });
    fc.assert(
      fc.property(words, words, (a, b) => {
        const full = (w: number[]) => w.map((x) => x.toString(16)).join(':');
        const padded = (w: number[]) => w.map((x) => x.toString(16).padStart(4, '0').toUpperCase()).join(':');
        expect(sameAddress(full(a), padded(a))).toBe(true);
        // the shortest form, through the URL parser's canonicalisation
        const short = new URL(`http://[${full(a)}]`).hostname.slice(1, -1);
        expect(sameAddress(short, full(a))).toBe(true);
        expect(sameAddress(full(a), full(b))).toBe(a.every((x, i) => x === b[i]));
      }),
    );
    expect(sameAddress('::ffff:1.2.3.4', '::ffff:102:304')).toBe(true);
    expect(sameAddress('1.2.3.4', '1.2.3.5')).toBe(false);
  });
});
