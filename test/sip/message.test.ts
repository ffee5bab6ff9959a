import { describe, expect, it } from 'vitest';
import {
  AbsoluteUri,
  createRequest,
  createResponse,
  isIPv4,
  messageToString,
  NameAddr,
  parseAuthHeader,
  parseCSeq,
  parseEvent,
  parseMessage,
  parseNameAddr,
  parseRAck,
  parseReplaces,
  parseRetryAfter,
  parseSessionExpires,
  parseSubscriptionState,
  parseUri,
  parseVia,
  reasonPhrase,
  SipParseError,
  type SipRequest,
  type SipResponse,
  SipUri,
  serializeMessage,
  TelUri,
  uriEquals,
} from '../../src/sip/index.js';

const lines = (...l: string[]) => `${l.join('\r\n')}\r\n`;

const INVITE = lines(
  'INVITE sip:1002@pbx.example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport',
  'Via: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bKnashds8;received=192.0.2.2',
  'Max-Forwards: 70',
  'To: Bob <sip:1002@pbx.example.com>',
  'From: "Alice" <sip:1001@pbx.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.example.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:1001@192.0.2.10:5060;transport=udp>;expires=3600;q=0.7',
  'Supported: timer, 100rel',
  'Session-Expires: 1800;refresher=uac',
  'Min-SE: 90',
  'Content-Type: application/sdp',
  'Content-Length: 4',
  '',
  'v=0',
);

describe('SIP URIs', () => {
  it('parses user, password, host, port, params and headers and prints them back', () => {
    const u = parseUri(
      'sips:alice:secret@[2001:db8::1]:5061;transport=tcp;lr?subject=project%20x&priority=urgent',
    );
    expect(u).toBeInstanceOf(SipUri);
    const s = u as SipUri;
    expect([s.scheme, s.user, s.password, s.host, s.port]).toEqual([
      'sips',
      'alice',
      'secret',
      '2001:db8::1',
      5061,
    ]);
    expect(s.transport).toBe('tcp');
    expect(s.params.get('lr')).toBeNull();
    expect(s.headers).toEqual([
      ['subject', 'project%20x'],
      ['priority', 'urgent'],
    ]);
    expect(s.toString()).toBe(
      'sips:alice:secret@[2001:db8::1]:5061;transport=tcp;lr?subject=project%20x&priority=urgent',
    );
    expect(s.aor).toBe('sips:alice@[2001:db8::1]');
  });

  it('parses tel: and keeps other schemes opaque', () => {
    const t = parseUri('tel:+1-201-555-0123;ext=42') as TelUri;
    expect(t).toBeInstanceOf(TelUri);
    expect(t.digits).toBe('+12015550123');
    expect(t.params.get('ext')).toBe('42');
    expect(t.isGlobal).toBe(true);
    const u = parseUri('urn:service:sos');
    expect(u).toBeInstanceOf(AbsoluteUri);
    expect(u.toString()).toBe('urn:service:sos');
  });

  it('rejects malformed URIs with SipParseError and an offset', () => {
    for (const bad of [
      'sip:',
      'sip:user@',
      'sip:host:99999',
      'sip:[::1',
      'sip:a b@c',
      'sip:host;',
      'sip:h;p=%zz',
      ':x',
      'sip:[1:::2]',
      '<sip:a@b>',
    ]) {
      expect(() => parseUri(bad), bad).toThrow(SipParseError);
    }
    try {
      parseUri('sip:host:99999');
    } catch (err) {
      expect((err as SipParseError).offset).toBe(9);
    }
  });

  it('recognizes IPv4 dotted quads', () => {
    for (const ok of ['0.0.0.0', '192.168.1.20', '255.255.255.255', '010.1.1.1'])
      expect(isIPv4(ok), ok).toBe(true);
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '1.2.3.4.',
      '.1.2.3',
      '1..2.3',
      '1.2.3.1000',
      'a.b.c.d',
      '1.2.3.4 ',
    ])
      expect(isIPv4(bad), bad).toBe(false);
  });

  it('compares per RFC 3261 §19.1.4', () => {
    const eq = (a: string, b: string) => uriEquals(parseUri(a), parseUri(b));
    expect(eq('sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp')).toBe(true);
    expect(eq('sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5')).toBe(true);
    expect(eq('sip:alice@atlanta.com', 'sip:ALICE@atlanta.com')).toBe(false);
    expect(eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060')).toBe(false);
    expect(eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp')).toBe(false);
    expect(
      eq(
        'sip:carol@chicago.com?Subject=next%20meeting',
        'sip:carol@chicago.com?Subject=next meeting'.replace(' ', '%20'),
      ),
    ).toBe(true);
    expect(eq('sip:carol@chicago.com', 'sips:carol@chicago.com')).toBe(false);
  });
});

describe('name-addr and Via', () => {
  it('reads display names quoted, as tokens and absent; header params outside <>', () => {
    const a = parseNameAddr('"Mr. \\"Q\\"" <sip:q@x.org;user=phone>;tag=99;expires=30');
    expect(a.displayName).toBe('Mr. "Q"');
    expect((a.uri as SipUri).params.get('user')).toBe('phone');
    expect(a.tag).toBe('99');
    expect(a.params.get('expires')).toBe('30');
    expect(a.toString()).toBe('"Mr. \\"Q\\"" <sip:q@x.org;user=phone>;tag=99;expires=30');
    expect(parseNameAddr('Bob  Smith   <sip:b@x>').displayName).toBe('Bob Smith');
    expect(parseNameAddr('sip:b@x;tag=1').uri.toString()).toBe('sip:b@x');
    expect(new NameAddr(parseUri('sip:a@b')).toString()).toBe('<sip:a@b>');
  });

  it('rejects broken addresses', () => {
    for (const bad of [
      '"unterminated <sip:a@b>',
      'Bell, A <sip:a@b>',
      '< sip:a@b >',
      '<sip:a@b',
      'sip:a@b;;',
      'sip:a@b?x=y',
      '',
    ]) {
      expect(() => parseNameAddr(bad), bad).toThrow(SipParseError);
    }
  });

  it('parses Via with LWS, IPv6, received, rport and validates parameters', () => {
    const v = parseVia(
      'SIP / 2.0 / udp [2001:db8::9]:5062 ; branch = z9hG4bKx ; rport ; received=[2001:db8::1] ; ttl=16',
    );
    expect([v.transport, v.host, v.port, v.branch, v.rport, v.received, v.ttl]).toEqual([
      'UDP',
      '2001:db8::9',
      5062,
      'z9hG4bKx',
      null,
      '2001:db8::1',
      16,
    ]);
    expect(v.isRfc3261Branch).toBe(true);
    expect(v.sentBy).toBe('[2001:db8::9]:5062');
    expect(v.toString()).toBe(
      'SIP/2.0/UDP [2001:db8::9]:5062;branch=z9hG4bKx;rport;received=[2001:db8::1];ttl=16',
    );
    for (const bad of [
      'SIP/2.0/UDP',
      'SIP/2.0/UDPhost',
      'SIP/2.0/UDP h;ttl=300',
      'SIP/2.0/UDP h;received=nothost',
      'SIP/2.0/UDP h;rport=x',
      'SIP/2.0/UDP h:0x1',
    ]) {
      expect(() => parseVia(bad), bad).toThrow(SipParseError);
    }
  });
});

describe('typed header values', () => {
  it('CSeq, Session-Expires, Replaces, Event, Subscription-State, RAck, Retry-After', () => {
    expect(parseCSeq('42  BYE')).toEqual({ seq: 42, method: 'BYE' });
    expect(() => parseCSeq('2147483648 INVITE')).toThrow(SipParseError);
    expect(() => parseCSeq('1INVITE')).toThrow(SipParseError);
    const se = parseSessionExpires('1800;refresher=UAS');
    expect([se.delta, se.refresher]).toEqual([1800, 'uas']);
    const r = parseReplaces('98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff;early-only');
    expect([r.callId, r.fromTag, r.toTag, r.earlyOnly]).toEqual([
      '98732@sip.example.com',
      'r33th4x0r',
      'ff87ff',
      true,
    ]);
    expect(() => parseReplaces('abc;to-tag=1')).toThrow(/from-tag/);
    expect(parseEvent('refer;id=93809824')).toMatchObject({ type: 'refer', id: '93809824' });
    expect(parseSubscriptionState('terminated;reason=noresource;retry-after=30')).toMatchObject({
      state: 'terminated',
      reason: 'noresource',
      retryAfter: 30,
    });
    expect(parseRAck('776656 1 INVITE')).toEqual({ rseq: 776656, cseq: 1, method: 'INVITE' });
    expect(parseRetryAfter('18000;duration=3600')).toMatchObject({ seconds: 18000, duration: 3600 });
    expect(parseRetryAfter("120 (I'm in a meeting)").comment).toBe("I'm in a meeting");
  });

  it('digest credentials: commas inside quoted values are not list separators', () => {
    const a = parseAuthHeader(
      'Digest username="bob", realm="biloxi.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="sip:bob@biloxi.com", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41", algorithm=MD5',
    );
    expect(a.scheme).toBe('Digest');
    expect(a.params).toMatchObject({
      username: 'bob',
      realm: 'biloxi.com',
      qop: 'auth',
      nc: '00000001',
      algorithm: 'MD5',
    });
    const b = parseAuthHeader('Digest realm="a, b", qop="auth,auth-int", nonce="x"');
    expect(b.params.realm).toBe('a, b');
    expect(b.params.qop).toBe('auth,auth-int');
    expect(() => parseAuthHeader('Digest realm="x", realm="y"')).toThrow(/duplicate/);
    expect(() => parseAuthHeader('Digest realm')).toThrow(SipParseError);
  });
});

describe('SipMessage', () => {
  const invite = () => parseMessage(INVITE) as SipRequest;

  it('gives typed access to the headers a stack needs', () => {
    const m = invite();
    expect(m.method).toBe('INVITE');
    expect(m.via).toHaveLength(2);
    expect(m.topVia?.branch).toBe('z9hG4bK776asdhds');
    expect(m.from.displayName).toBe('Alice');
    expect(m.to.displayName).toBe('Bob');
    expect(m.fromTag).toBe('1928301774');
    expect(m.toTag).toBeUndefined();
    expect(m.contacts[0]?.params.get('expires')).toBe('3600');
    expect(m.supported).toEqual(['timer', '100rel']);
    expect(m.sessionExpires?.refresher).toBe('uac');
    expect(m.minSE).toBe(90);
    expect(m.bodyText).toBe('v=0\r');
    expect(m.contentLength).toBe(4);
  });

  it('keeps header order and names as written, and serializes byte for byte', () => {
    const m = invite();
    expect(m.headerFields.map((f) => f.name).slice(0, 3)).toEqual(['Via', 'Via', 'Max-Forwards']);
    // the body is the 4 bytes Content-Length names ("v=0\r"); the final "\n" is not part of it
    expect(messageToString(m)).toBe(INVITE.slice(0, -1));
    expect(Buffer.from(serializeMessage(m)).toString()).toBe(INVITE.slice(0, -1));
  });

  it('edits headers and invalidates typed views', () => {
    const m = invite();
    expect(m.maxForwards).toBe(70);
    m.setHeader('Max-Forwards', 69);
    expect(m.maxForwards).toBe(69);
    m.prependHeader('Via', 'SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1');
    expect(m.via.map((v) => v.host)).toEqual(['proxy.example.com', '192.0.2.10', '192.0.2.1']);
    expect(m.shiftHeader('Via')).toBe('SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1');
    expect(m.via).toHaveLength(2);
    m.appendHeader('X-Custom', 'a');
    m.appendHeader('x-custom', 'b');
    expect(m.getHeaders('X-CUSTOM')).toEqual(['a', 'b']);
    expect(m.removeHeader('x-custom')).toBe(true);
    expect(m.hasHeader('X-Custom')).toBe(false);
    m.setBody('hello', 'text/plain');
    expect(m.contentType?.essence).toBe('text/plain');
    const back = parseMessage(serializeMessage(m));
    expect(back.contentLength).toBe(5);
    expect(back.bodyText).toBe('hello');
  });

  it('errors in Via, From, To, CSeq and Call-ID point at the offending byte', () => {
    const cases: Array<[string, string, string]> = [
      ['Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport', 'Via: SIP/2.0/UDP 192.0!2.10', '!'],
      ['Via: SIP/2.0/TCP 192.0.2.1;', 'Via: SIP/2.0/UDP a, SIP/2.0/TCP 192.0.2.1;$', '$'],
      ['From: "Alice" <sip:1001@pbx.example.com>', 'From: "Alice" <sip:1001@pbx.exa#ple.com>', '#'],
      ['To: Bob <sip:1002@pbx.example.com>', 'To: Bob <sip:1002@pbx.example.com:99999>', '99999'],
      ['CSeq: 314159 INVITE', 'CSeq: 314159 INVITE x', 'x'],
      ['Call-ID: a84b4c76e66710@pc33.example.com', 'Call-ID: a84b4c76e66710@pc33@example.com', '@example'],
    ];
    for (const [from, to, bad] of cases) {
      const text = INVITE.replace(from, to);
      let err: SipParseError | undefined;
      try {
        parseMessage(text);
      } catch (e) {
        err = e as SipParseError;
      }
      expect(err, to).toBeInstanceOf(SipParseError);
      expect(err?.offset, to).toBe(text.indexOf(bad, text.indexOf(to.slice(0, 12))));
    }
    // in a head with non-ASCII characters the offset still counts bytes
    const utf8 = INVITE.replace('"Alice"', '"Ålice"').replace('192.0.2.1;', '192.0.2.1;$');
    try {
      parseMessage(Buffer.from(utf8));
      expect.unreachable();
    } catch (e) {
      expect((e as SipParseError).offset).toBe(Buffer.from(utf8).indexOf('$'));
    }
  });

  it('reads the same typed values from an ASCII datagram, a non-ASCII one, a string and built headers', () => {
    const ascii = invite();
    const utf8 = parseMessage(Buffer.from(INVITE.replace('"Alice"', '"Ålice ☎"')));
    const built = parseMessage(INVITE);
    built.setHeader('Contact', built.getHeaders('Contact'));
    built.setHeader('Via', built.getHeaders('Via'));
    expect(utf8.from.displayName).toBe('Ålice ☎');
    for (const m of [utf8, parseMessage(INVITE), built, parseMessage(INVITE, { copyBody: true })]) {
      expect(m.via.map(String)).toEqual(ascii.via.map(String));
      expect(m.contacts.map(String)).toEqual(ascii.contacts.map(String));
      expect(m.to.toString()).toBe(ascii.to.toString());
      expect(m.cseq).toEqual(ascii.cseq);
      expect(m.callId).toBe(ascii.callId);
    }
    // a Contact list split at top-level commas only, and `*`
    const list = parseMessage(
      INVITE.replace(
        /Contact: .*\r\n/,
        'Contact: "a, b" <sip:a@h;x=1>;q=0.5 , <sip:b@h>\r\nm: sip:c@h;expires=60\r\n',
      ),
    );
    expect(list.contacts.map(String)).toEqual([
      '"a, b" <sip:a@h;x=1>;q=0.5',
      '<sip:b@h>',
      '<sip:c@h>;expires=60',
    ]);
    expect(parseMessage(INVITE.replace(/Contact: .*\r\n/, 'Contact: *\r\n')).contacts).toEqual([]);
    const mixed = parseMessage(INVITE.replace(/Contact: .*\r\n/, 'Contact: *, <sip:a@h>\r\n'));
    expect(() => mixed.contacts).toThrow(/mixed/);
    // a Contact error points into the Contact value
    const bad = parseMessage(INVITE.replace('<sip:1001@192.0.2.10:5060;', '<sip:1001@192.0.2.10:5060;%zz;'));
    try {
      void bad.contacts;
      expect.unreachable();
    } catch (e) {
      expect((e as SipParseError).header).toBe('Contact');
      expect((e as SipParseError).offset).toBe(bad.getHeader('Contact')?.indexOf('%zz'));
    }
  });

  it('raw values read after the typed views are the values as written, folded lines joined', () => {
    const text = INVITE.replace('Supported: timer, 100rel', 'Supported: timer,\r\n  100rel');
    const m = parseMessage(text);
    expect(m.contacts[0]?.uri.toString()).toBe('sip:1001@192.0.2.10:5060;transport=udp');
    expect(m.supported).toEqual(['timer', '100rel']);
    const expected = INVITE.split('\r\n')
      .slice(1, 14)
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]);
    expected[8] = ['Supported', 'timer, 100rel'];
    expect(m.headerFields.map((f) => [f.name, f.value])).toEqual(expected);
    expect(m.getHeader('call-id')).toBe(m.callId);
  });

  it('the body views the input, or is a copy with copyBody', () => {
    const bytes = Buffer.from(INVITE);
    const view = parseMessage(bytes);
    const copy = parseMessage(bytes, { copyBody: true });
    bytes[bytes.length - 5] = 0x41; // the 'v' of the body
    expect(Buffer.from(view.body).toString()).toBe('A=0\r');
    expect(Buffer.from(copy.body).toString()).toBe('v=0\r');
  });

  it('a malformed uncommon header is only an error when it is read', () => {
    const m = parseMessage(INVITE.replace('Min-SE: 90', 'Min-SE: ninety'));
    expect(() => m.minSE).toThrow(SipParseError);
    expect(m.callId).toBe('a84b4c76e66710@pc33.example.com');
  });
});

describe('createRequest and createResponse', () => {
  it('builds a request with the mandatory headers in the usual order', () => {
    const r = createRequest({
      method: 'REGISTER',
      uri: 'sip:example.com',
      from: '<sip:1001@example.com>;tag=a',
      to: 'sip:1001@example.com',
      callId: 'reg1',
      cseq: 7,
      via: ['SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKr1'],
      contact: '<sip:1001@10.0.0.1:5060>',
      headers: [['Expires', 600]],
    });
    const text = messageToString(r);
    expect(text.split('\r\n').slice(0, 9)).toEqual([
      'REGISTER sip:example.com SIP/2.0',
      'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKr1',
      'Max-Forwards: 70',
      'From: <sip:1001@example.com>;tag=a',
      'To: <sip:1001@example.com>',
      'Call-ID: reg1',
      'CSeq: 7 REGISTER',
      'Contact: <sip:1001@10.0.0.1:5060>',
      'Expires: 600',
    ]);
    expect(parseMessage(text).expires).toBe(600);
    expect(() =>
      createRequest({
        method: 'BAD METHOD',
        uri: 'sip:a@b',
        from: 'sip:a@b',
        to: 'sip:a@b',
        callId: 'x',
        cseq: 1,
      }),
    ).toThrow(/method must be a token/);
  });

  it('copies Via (all, in order), From, To (adding the tag), Call-ID and CSeq per §8.2.6', () => {
    const req = parseMessage(INVITE) as SipRequest;
    const res = createResponse(req, 180, { toTag: 'b1' }) as SipResponse;
    expect(res.reason).toBe('Ringing');
    expect(res.getHeaders('Via')).toEqual(req.getHeaders('Via'));
    expect(res.from.toString()).toBe(req.from.toString());
    expect(res.toTag).toBe('b1');
    expect(res.callId).toBe(req.callId);
    expect(res.cseq).toEqual(req.cseq);
    expect(res.hasHeader('Contact')).toBe(false);
    const trying = createResponse(req, 100, { toTag: 'b1' });
    expect(trying.toTag).toBeUndefined();
    expect(() => createResponse(req, 99)).toThrow(/status/);
    expect(reasonPhrase(499)).toBe('Client Error');
  });
});
