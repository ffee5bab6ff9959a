/**
 * fast-check generators of well-formed session descriptions in the canonical
 * shape the parser produces, so `parseSdp(serializeSdp(x))` must equal `x`.
 */
import fc from 'fast-check';
import type {
  Attribute,
  Bandwidth,
  Connection,
  Direction,
  MediaDescription,
  Origin,
  SessionDescription,
  Timing,
  UnknownLine,
} from '../../src/sdp/index.js';

const KNOWN = new Set([
  'rtpmap',
  'fmtp',
  'ptime',
  'maxptime',
  'sendrecv',
  'sendonly',
  'recvonly',
  'inactive',
  'rtcp',
  'rtcp-mux',
  'crypto',
  'candidate',
  'fingerprint',
  'setup',
  'ice-ufrag',
  'ice-pwd',
  'ice-options',
  'mid',
  'group',
  'ssrc',
  'extmap',
  'rtcp-fb',
  'label',
]);

const TOKEN_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._+!#$%&*~^`|'.split('');

/** A word without spaces, slashes, colons, semicolons or equals signs. */
export const tok = fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 10 });

/** Free text for a line value: anything but CR, LF and NUL (including spaces, colons, tabs and non-ASCII). */
export const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom(' ', ':', '/', '=', ';', '\t', 'é', '☎', '𝄞'),
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 24,
});

/** Text that does not start with a space or tab (for values read after a separator). */
const trailing = text.filter((s) => s.length > 0 && s[0] !== ' ' && s[0] !== '\t');

const digits = fc.stringMatching(/^[0-9]{1,20}$/);
const direction = fc.constantFrom<Direction>('sendrecv', 'sendonly', 'recvonly', 'inactive');
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const port = fc.integer({ min: 0, max: 65535 });

const address: fc.Arbitrary<{ addrType: string; address: string }> = fc.oneof(
  fc.ipV4().map((address) => ({ addrType: 'IP4', address })),
  fc.ipV6().map((address) => ({ addrType: 'IP6', address })),
  fc.domain().map((address) => ({ addrType: 'IP4', address })),
  fc.domain().map((address) => ({ addrType: 'IP6', address })),
);

const origin: fc.Arbitrary<Origin> = fc
  .record({ username: tok, sessionId: digits, sessionVersion: digits, a: address })
  .map(({ a, ...o }) => ({ ...o, netType: 'IN', ...a }));

const connection: fc.Arbitrary<Connection> = fc.oneof(
  address.map((a) => ({ netType: 'IN', ...a })),
  fc
    .record({
      a: fc.ipV4(),
      ttl: fc.integer({ min: 0, max: 255 }),
      n: fc.option(fc.integer({ min: 1, max: 16 }), { nil: undefined }),
    })
    .map(({ a, ttl, n }) => {
      const c: Connection = { netType: 'IN', addrType: 'IP4', address: a, ttl };
      if (n !== undefined) c.numberOfAddresses = n;
      return c;
    }),
  fc
    .record({ a: fc.ipV6(), n: fc.integer({ min: 1, max: 16 }) })
    .map(({ a, n }) => ({ netType: 'IN', addrType: 'IP6', address: a, numberOfAddresses: n })),
);

const bandwidth: fc.Arbitrary<Bandwidth> = fc.record({
  type: fc.constantFrom('AS', 'CT', 'TIAS', 'RR', 'RS', 'X-foo'),
  bandwidth: fc.nat(),
});

const typedTime = fc.stringMatching(/^[0-9]{1,6}[dhms]?$/);
const timing: fc.Arbitrary<Timing> = fc.record({
  start: fc.nat(),
  stop: fc.nat(),
  repeats: fc.array(
    fc.record({
      interval: typedTime,
      duration: typedTime,
      offsets: fc.array(typedTime, { minLength: 1, maxLength: 3 }),
    }),
    { maxLength: 2 },
  ),
});

const unknownLine: fc.Arbitrary<UnknownLine> = fc.record({
  type: fc.constantFrom(...'dfghjlnqwxyABZ'.split('')),
  value: text,
});

function opt<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.option(arb, { nil: undefined });
}

/** Drops undefined properties, as the parser never sets them. */
function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

const fmtpPair = fc.tuple(
  fc.string({
    unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-'.split('')),
    minLength: 1,
    maxLength: 8,
  }),
  fc.oneof(fc.constant(''), tok),
);

export const attribute: fc.Arbitrary<Attribute> = fc.oneof(
  fc
    .record({
      payloadType: fc.integer({ min: 0, max: 127 }),
      encodingName: tok,
      clockRate: fc.integer({ min: 1, max: 0xffffffff }),
      channels: opt(fc.integer({ min: 1, max: 255 })),
    })
    .map((a) => clean({ kind: 'rtpmap' as const, ...a })),
  fc.oneof(
    fc
      .record({ format: tok, pairs: fc.uniqueArray(fmtpPair, { selector: (p) => p[0], maxLength: 4 }) })
      .map(({ format, pairs }) => {
        const params: Record<string, string> = {};
        for (const [k, v] of pairs) params[k] = v;
        const config = pairs.map(([k, v]) => (v === '' ? k : `${k}=${v}`)).join(';');
        return { kind: 'fmtp' as const, format, config, params };
      }),
    fc.constant({ kind: 'fmtp' as const, format: '101', config: '0-15', params: { '0-15': '' } }),
  ),
  fc.record({
    kind: fc.constantFrom('ptime' as const, 'maxptime' as const),
    value: fc.integer({ min: 1, max: 2000 }),
  }),
  fc.record({
    kind: fc.constant('ptime' as const),
    value: fc.integer({ min: 1, max: 200 }).map((n) => n + 0.5),
  }),
  direction.map((d) => ({ kind: 'direction' as const, direction: d })),
  fc.constant({ kind: 'rtcp-mux' as const }),
  fc.oneof(
    port.map((p) => ({ kind: 'rtcp' as const, port: p })),
    fc
      .record({ p: port, a: address })
      .map(({ p, a }) => ({ kind: 'rtcp' as const, port: p, netType: 'IN', ...a })),
  ),
  fc.record({
    kind: fc.constant('crypto' as const),
    tag: fc.integer({ min: 0, max: 999_999_999 }),
    suite: tok,
    keyParams: fc.array(
      fc.record({
        method: tok,
        info: fc.string({ unit: fc.constantFrom(...'ABCxyz019+/=|^:'.split('')), maxLength: 20 }),
      }),
      { minLength: 1, maxLength: 2 },
    ),
    sessionParams: fc.array(tok, { maxLength: 2 }),
  }),
  fc
    .record({
      foundation: tok,
      component: fc.integer({ min: 1, max: 256 }),
      transport: fc.constantFrom('udp', 'UDP', 'tcp'),
      priority: u32,
      address: fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain()),
      port,
      type: fc.constantFrom('host', 'srflx', 'prflx', 'relay'),
      relatedAddress: opt(fc.ipV4()),
      relatedPort: opt(port),
      extensions: fc.array(
        fc.record({ name: tok.filter((n) => n !== 'raddr' && n !== 'rport'), value: tok }),
        { maxLength: 3 },
      ),
    })
    .map((c) => clean({ kind: 'candidate' as const, ...c })),
  fc.record({
    kind: fc.constant('fingerprint' as const),
    hashFunction: fc.constantFrom('sha-1', 'sha-256'),
    fingerprint: tok,
  }),
  fc.record({
    kind: fc.constant('setup' as const),
    role: fc.constantFrom('active' as const, 'passive' as const, 'actpass' as const, 'holdconn' as const),
  }),
  fc.record({
    kind: fc.constantFrom('ice-ufrag' as const, 'ice-pwd' as const, 'mid' as const),
    value: text.filter((s) => s.length > 0),
  }),
  fc.record({ kind: fc.constant('label' as const), value: text }),
  fc.record({
    kind: fc.constant('ice-options' as const),
    options: fc.array(tok, { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant('group' as const), semantics: tok, mids: fc.array(tok, { maxLength: 3 }) }),
  fc
    .record({ ssrc: u32, attribute: tok, value: opt(text) })
    .map((a) => clean({ kind: 'ssrc' as const, ...a })),
  fc
    .record({
      id: fc.integer({ min: 0, max: 65535 }),
      direction: opt(direction),
      uri: tok,
      attributes: opt(trailing),
    })
    .map((a) => clean({ kind: 'extmap' as const, ...a })),
  fc
    .record({
      payloadType: fc.oneof(fc.integer({ min: 0, max: 127 }), fc.constant('*' as const)),
      type: tok,
      parameters: opt(trailing),
    })
    .map((a) => clean({ kind: 'rtcp-fb' as const, ...a })),
  fc
    .record({ name: tok.filter((n) => !KNOWN.has(n)), value: opt(text) })
    .map((a) => clean({ kind: 'other' as const, ...a })),
);

export const media: fc.Arbitrary<MediaDescription> = fc
  .record({
    type: fc.oneof(fc.constantFrom('audio', 'video', 'application', 'image', 'text'), tok),
    port,
    numberOfPorts: opt(fc.integer({ min: 1, max: 8 })),
    protocol: fc.oneof(fc.constantFrom('RTP/AVP', 'RTP/SAVP', 'UDP/TLS/RTP/SAVPF', 'udptl'), tok),
    formats: fc.array(fc.oneof(fc.integer({ min: 0, max: 127 }).map(String), tok), { maxLength: 6 }),
    information: opt(text),
    connections: fc.array(connection, { maxLength: 2 }),
    bandwidths: fc.array(bandwidth, { maxLength: 2 }),
    encryptionKey: opt(text),
    attributes: fc.array(attribute, { maxLength: 8 }),
    unknownLines: fc.array(unknownLine, { maxLength: 1 }),
  })
  .map(clean);

export const sessionDescription: fc.Arbitrary<SessionDescription> = fc
  .record({
    version: fc.constant(0),
    origin,
    sessionName: text,
    information: opt(text),
    uri: opt(text),
    emails: fc.array(text, { maxLength: 2 }),
    phones: fc.array(text, { maxLength: 2 }),
    connection: opt(connection),
    bandwidths: fc.array(bandwidth, { maxLength: 2 }),
    timing: fc.array(timing, { maxLength: 2 }),
    timeZones: fc.array(
      fc.record({
        time: fc.stringMatching(/^[0-9]{1,10}$/),
        offset: fc.stringMatching(/^-?[0-9]{1,4}[dhms]?$/),
      }),
      {
        maxLength: 2,
      },
    ),
    encryptionKey: opt(text),
    attributes: fc.array(attribute, { maxLength: 6 }),
    unknownLines: fc.array(unknownLine, { maxLength: 1 }),
    media: fc.array(media, { maxLength: 3 }),
  })
  .map(clean);
