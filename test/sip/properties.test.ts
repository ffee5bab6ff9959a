/**
 * fast-check properties of the SIP message layer: parse∘serialize is the
 * identity on generated messages, and arbitrary or mutated bytes either parse
 * or throw SipParseError — quickly, whatever the input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createRequest,
  createResponse,
  NameAddr,
  Params,
  parseMessage,
  quote,
  type SipMessage,
  SipParseError,
  SipRequest,
  SipResponse,
  SipUri,
  serializeMessage,
  Via,
} from '../../src/sip/index.js';

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const chars = (set: string, min = 1, max = 12) =>
  fc.array(fc.constantFrom(...set.split('')), { minLength: min, maxLength: max }).map((a) => a.join(''));
const token = chars(`${ALNUM}-.!%*_+\`'~`);
const label = chars(`${ALNUM}`, 1, 10);
const hostname = fc.array(label, { minLength: 1, maxLength: 4 }).map((a) => a.join('.'));
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join('.'));
const ipv6 = fc.ipV6();
const host = fc.oneof(hostname, ipv4, ipv6);
const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });
const user = fc.oneof(
  chars(`${ALNUM}-_.!~*'()&=+$,;?/`, 1, 16),
  fc.tuple(chars(ALNUM, 1, 4), fc.constantFrom('%40', '%20', '%00', '%3A')).map(([a, b]) => a + b),
);
const paramValue = fc.option(chars(`${ALNUM}-_.!~*'()[]/:&+$`, 1, 10), { nil: null });
const uriParams = fc.array(fc.tuple(chars(`${ALNUM}-_.`, 1, 8), paramValue), { maxLength: 3 });
const sipUri = fc
  .record({
    scheme: fc.constantFrom('sip', 'sips'),
    user: fc.option(user, { nil: undefined }),
    host,
    port,
    params: uriParams,
  })
  .map(
    (r) =>
      new SipUri({
        scheme: r.scheme as 'sip' | 'sips',
        user: r.user,
        host: r.host,
        port: r.port,
        params: r.params,
      }),
  );
const displayName = fc.option(
  fc
    .string({ minLength: 1, maxLength: 16 })
    .filter((s) => !/[\r\n]/.test(s) && s.trim() === s && s.length > 0),
  { nil: undefined },
);
const headerParams = fc.array(fc.tuple(token, fc.option(token, { nil: null })), { maxLength: 3 });
const nameAddr = fc
  .record({ dn: displayName, uri: sipUri, params: headerParams, tag: fc.option(token, { nil: undefined }) })
  .map((r) => {
    const p = new Params(r.params.filter(([n]) => n.toLowerCase() !== 'tag'));
    if (r.tag !== undefined) p.set('tag', r.tag);
    return new NameAddr(r.uri, { displayName: r.dn, params: p });
  });
const via = fc
  .record({
    transport: fc.constantFrom('UDP', 'TCP', 'TLS', 'WS', 'SCTP'),
    host,
    port,
    branch: token.map((t) => `z9hG4bK${t}`),
    extra: fc.array(fc.tuple(chars('abcdefgh', 1, 5), fc.option(token, { nil: null })), { maxLength: 2 }),
  })
  .map(
    (r) =>
      new Via({
        transport: r.transport,
        host: r.host,
        port: r.port,
        params: new Params([['branch', r.branch], ...r.extra]),
      }),
  );
const headerValue = fc
  .string({ maxLength: 40 })
  .map((s) => s.replace(/[\r\n]/g, ' ').trim())
  .filter((s) => !/^\s|\s$/.test(s));
const extensionHeaders = fc.array(
  fc.tuple(
    token.filter(
      (t) =>
        ![
          'via',
          'v',
          'from',
          'f',
          'to',
          't',
          'call-id',
          'i',
          'cseq',
          'content-length',
          'l',
          'max-forwards',
          'contact',
          'm',
          'content-type',
          'c',
        ].includes(t.toLowerCase()),
    ),
    headerValue,
  ),
  { maxLength: 5 },
);
const body = fc.uint8Array({ maxLength: 300 });

const request = fc
  .record({
    method: token,
    uri: sipUri,
    from: nameAddr,
    to: nameAddr,
    callId: fc.tuple(token, fc.option(hostname, { nil: undefined })).map(([a, b]) => (b ? `${a}@${b}` : a)),
    cseq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    vias: fc.array(via, { minLength: 1, maxLength: 3 }),
    maxForwards: fc.integer({ min: 0, max: 255 }),
    contact: fc.option(nameAddr, { nil: undefined }),
    extra: extensionHeaders,
    body,
  })
  .map((r) => {
    const req = createRequest({
      method: r.method,
      uri: r.uri,
      from: r.from,
      to: r.to,
      callId: r.callId,
      cseq: r.cseq,
      via: r.vias,
      maxForwards: r.maxForwards,
      contact: r.contact,
      headers: r.extra,
    });
    if (r.body.length > 0) req.setBody(r.body, 'application/octet-stream');
    return req;
  });

/** Everything a message says, as plain data (Content-Length is the serializer's to write). */
function snapshot(m: SipMessage) {
  return {
    start: m.startLine,
    headers: m.headerFields
      .filter((f) => f.name.toLowerCase() !== 'content-length')
      .map((f) => [f.name, f.value]),
    body: Buffer.from(m.body).toString('hex'),
  };
}

describe('SIP message properties', () => {
  it('parse(serialize(request)) equals the request', () => {
    fc.assert(
      fc.property(request, (req) => {
        const back = parseMessage(serializeMessage(req));
        expect(back).toBeInstanceOf(SipRequest);
        expect(snapshot(back)).toEqual(snapshot(req));
        // typed views agree with what was built (parsed in place in the head vs from the values)
        expect(back.from.toString()).toBe(req.from.toString());
        expect(back.to.toString()).toBe(req.to.toString());
        expect((back as SipRequest).uri.toString()).toBe(req.uri.toString());
        expect(back.via.map(String)).toEqual(req.via.map(String));
        expect(back.contacts.map(String)).toEqual(req.contacts.map(String));
        expect(back.cseq).toEqual(req.cseq);
        expect(back.callId).toBe(req.callId);
      }),
      { numRuns: 400 },
    );
  });

  it('parse(serialize(response)) equals the response', () => {
    fc.assert(
      fc.property(request, fc.integer({ min: 100, max: 699 }), token, (req, status, tag) => {
        const res = createResponse(req, status, { toTag: tag });
        const back = parseMessage(serializeMessage(res));
        expect(back).toBeInstanceOf(SipResponse);
        expect(snapshot(back)).toEqual(snapshot(res));
        expect((back as SipResponse).status).toBe(status);
        if (status !== 100 && req.to.tag === undefined) expect(back.to.tag).toBe(tag);
      }),
      { numRuns: 200 },
    );
  });

  it('display names survive quoting, including quotes and backslashes', () => {
    fc.assert(
      fc.property(nameAddr, (na) => {
        const req = createRequest({
          method: 'OPTIONS',
          uri: 'sip:x@y',
          from: na,
          to: 'sip:a@b',
          callId: 'c',
          cseq: 1,
          via: ['SIP/2.0/UDP h;branch=z9hG4bK1'],
        });
        expect(parseMessage(serializeMessage(req)).from.displayName).toBe(na.displayName);
      }),
    );
    expect(quote('a"b\\c')).toBe('"a\\"b\\\\c"');
  });

  it('comma-separated Contact and Via lines parse to the elements they were joined from', () => {
    const sep = fc.constantFrom(',', ', ', ' , ', ',\t', ' ,');
    fc.assert(
      fc.property(
        fc.array(nameAddr, { minLength: 1, maxLength: 4 }),
        fc.array(via, { minLength: 1, maxLength: 4 }),
        sep,
        fc.boolean(),
        (contacts, vias, comma, fold) => {
          const join = (xs: { toString(): string }[]) => xs.map(String).join(fold ? `${comma}\r\n ` : comma);
          const text = [
            'OPTIONS sip:x@y SIP/2.0',
            `Via: ${join(vias)}`,
            'From: <sip:a@b>;tag=1',
            'To: <sip:a@b>',
            'Call-ID: c',
            'CSeq: 1 OPTIONS',
            `Contact: ${join(contacts)}`,
            '',
            '',
          ].join('\r\n');
          const m = parseMessage(text);
          expect(m.contacts.map(String)).toEqual(contacts.map(String));
          expect(m.via.map(String)).toEqual(vias.map(String));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('non-ASCII display names survive a round trip, and the rest of the head still parses', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((s) => !/[\r\n]/.test(s)),
        nameAddr,
        (dn, contact) => {
          const req = createRequest({
            method: 'OPTIONS',
            uri: 'sip:x@y',
            from: new NameAddr(contact.uri, { displayName: dn, params: new Params([['tag', '1']]) }),
            to: 'sip:a@b',
            callId: 'c',
            cseq: 1,
            via: ['SIP/2.0/UDP h;branch=z9hG4bK1'],
            contact,
          });
          const back = parseMessage(serializeMessage(req));
          expect(back.from.displayName).toBe(dn);
          expect(back.from.tag).toBe('1');
          expect(back.contacts.map(String)).toEqual([contact.toString()]);
        },
      ),
    );
  });

  it('arbitrary bytes either parse or throw SipParseError, within a generous time bound', () => {
    let worst = 0;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 65_536 }), (bytes) => {
        const t0 = performance.now();
        try {
          parseMessage(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(SipParseError);
        }
        worst = Math.max(worst, performance.now() - t0);
      }),
      { numRuns: 300 },
    );
    expect(worst).toBeLessThan(100);
  });

  it('mutated valid messages either parse or throw SipParseError, within a generous time bound', () => {
    let worst = 0;
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.nat(255) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), byte: fc.constant(0) }),
      fc.record({
        kind: fc.constant('insert' as const),
        at: fc.nat(),
        byte: fc.constantFrom(13, 10, 32, 9, 44, 59, 58, 34, 60, 62, 64, 37, 0, 255),
      }),
    );
    fc.assert(
      fc.property(request, fc.array(mutation, { minLength: 1, maxLength: 8 }), (req, muts) => {
        let bytes = Buffer.from(serializeMessage(req));
        for (const m of muts) {
          const at = m.at % (bytes.length + 1);
          if (m.kind === 'flip' && at < bytes.length) bytes[at] = m.byte;
          else if (m.kind === 'cut') bytes = bytes.subarray(0, at);
          else if (m.kind === 'insert')
            bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([m.byte]), bytes.subarray(at)]);
        }
        const t0 = performance.now();
        try {
          const msg = parseMessage(bytes);
          // typed access to every common header either works or throws SipParseError
          for (const read of [
            () => msg.contacts,
            () => msg.route,
            () => msg.expires,
            () => msg.require,
            () => msg.contentType,
          ]) {
            try {
              read();
            } catch (err) {
              expect(err).toBeInstanceOf(SipParseError);
            }
          }
        } catch (err) {
          expect(err).toBeInstanceOf(SipParseError);
        }
        worst = Math.max(worst, performance.now() - t0);
      }),
      { numRuns: 500 },
    );
    expect(worst).toBeLessThan(100);
  });

  it('adversarial shapes near the size limit parse in linear time', () => {
    const head =
      'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n';
    const shapes = [
      (n: number) => `Via: ${'SIP/2.0/UDP h;branch=z9hG4bK1,'.repeat(n)}SIP/2.0/UDP h\r\n`,
      (n: number) => `X-Folded: a\r\n${' b\r\n'.repeat(n)}`,
      (n: number) => `Contact: <sip:a@b${';p'.repeat(n)}>\r\n`,
      (n: number) => `Contact: "${'\\"'.repeat(n)}" <sip:a@b>\r\n`,
      (n: number) => `Route: ${'<sip:a@b>,'.repeat(n)}<sip:c@d>\r\n`,
      (n: number) => `Contact: ${'<'.repeat(n)}\r\n`,
      (n: number) => `Allow: ${','.repeat(n)}\r\n`,
    ];
    for (const shape of shapes) {
      // ~40-100 KiB of one pathological shape: a quadratic step would take seconds here, a linear
      // parser takes about a millisecond; the bound is generous for a shared machine (CPU time).
      const large = Buffer.from(`${head}${shape(4000)}\r\n`);
      const u0 = process.cpuUsage();
      for (let i = 0; i < 5; i++) {
        try {
          const m = parseMessage(large, {
            maxMessageSize: 200_000,
            maxLineLength: 200_000,
            maxHeaders: 10_000,
          });
          void m.contacts;
          void m.route;
          void m.allow;
        } catch (err) {
          expect(err).toBeInstanceOf(SipParseError);
        }
      }
      const u = process.cpuUsage(u0);
      expect((u.user + u.system) / 1000).toBeLessThan(1000);
    }
  });
});
