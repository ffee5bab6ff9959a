/**
 * RFC 4475 and RFC 5118 torture messages at the parser level, per the table
 * in ../shared/conformance/README.md (copied into test/fixtures/sip/). Valid
 * messages must parse with the right field values; invalid ones must throw
 * SipParseError with the status a server answers; for "semantic" cases the
 * parse must expose what the UA needs to decide its answer.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AbsoluteUri,
  parseMessage,
  SipParseError,
  SipRequest,
  SipResponse,
  type SipUri,
  TelUri,
  unescapeUri,
} from '../../src/sip/index.js';

const FIXTURES = join(__dirname, '..', 'fixtures', 'sip');
const load = (dir: string, name: string) => readFileSync(join(FIXTURES, dir, name));
const torture = (name: string) => load('rfc4475', `${name}.dat`);

function req(name: string, dir = 'rfc4475'): SipRequest {
  const m = parseMessage(dir === 'rfc4475' ? torture(name) : load(dir, name));
  expect(m).toBeInstanceOf(SipRequest);
  return m as SipRequest;
}

function parseError(bytes: Uint8Array): SipParseError {
  try {
    parseMessage(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(SipParseError);
    expect((err as SipParseError).code).toBe('ERR_SIP_PARSE');
    return err as SipParseError;
  }
  throw new Error('expected a SipParseError');
}

describe('RFC 4475 valid messages', () => {
  it('wsinv: folding, odd LWS, compact forms, unknown headers', () => {
    const m = req('wsinv');
    expect(m.method).toBe('INVITE');
    expect(m.cseq).toEqual({ seq: 9, method: 'INVITE' });
    expect(m.maxForwards).toBe(68);
    expect(m.via).toHaveLength(3);
    expect(m.via.map((v) => v.transport)).toEqual(['UDP', 'TCP', 'UDP']);
    expect(m.via.map((v) => v.branch)).toEqual(['390skdjuw', 'z9hG4bK9ikj8', 'z9hG4bK30239']);
    expect(m.via[1]?.host).toBe('spindle.example.com');
    expect(m.to.tag).toBe('1918181833n');
    expect(m.from.displayName).toBe('J Rosenberg \\"');
    expect(m.from.tag).toBe('98asjd8');
    expect(m.callId).toBe('wsinv.ndaksdj@192.0.2.1');
    expect(m.getHeader('Subject')).toBe('');
    expect(m.getHeader('NewFangledHeader')).toBe('newfangled value continued newfangled value');
    expect(m.getHeader('UnknownHeaderWithUnusualValue')).toBe(';;,,;;,;');
    expect(m.route[0]?.uri.toString()).toBe('sip:services.example.com;lr;unknownwith=value;unknown-no-value');
    expect(m.contacts).toHaveLength(1);
    expect(m.contacts[0]?.displayName).toBe('Quoted string ""');
    expect(m.contacts[0]?.params.get('newparam')).toBe('newvalue');
    expect(m.contacts[0]?.params.get('secondparam')).toBeNull();
    expect(m.contacts[0]?.params.get('q')).toBe('0.33');
    expect(m.contentType?.essence).toBe('application/sdp');
    expect(m.body.length).toBe(150);
    expect((m.uri as SipUri).params.has('unknownparam')).toBe(true);
  });

  it('intmeth: unusual method, URI, display name and Call-ID characters', () => {
    const m = req('intmeth');
    expect(m.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    const uri = m.uri as SipUri;
    expect(uri.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    expect(uri.password).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    expect(uri.host).toBe('example.com');
    expect(m.to.displayName).toBe('BEL:\x07 NUL:\x00 DEL:\x7f');
    expect(m.from.displayName).toBe("token1~` token2'+_ token3*%!.-");
    expect(m.from.params.get("fromParam''~+*_!.-%")).toBe('"работающий"');
    expect(m.from.tag).toBe("_token~1'+`*%!-.");
    expect(m.callId).toBe('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
    expect(m.via[0]?.branch).toBe("z9hG4bK-.!%66*_+`'~");
  });

  it('esc01: escaped user parts are kept intact', () => {
    const m = req('esc01');
    expect((m.uri as SipUri).user).toBe('sips%3Auser%40example.com');
    expect(unescapeUri((m.uri as SipUri).user ?? '')).toBe('sips:user@example.com');
    expect((m.to.uri as SipUri).user).toBe('%75se%72');
    expect((m.from.uri as SipUri).user).toBe('I%20have%20spaces');
    const c = m.contacts[0]?.uri as SipUri;
    expect(c.user).toBe('cal%6Cer');
    expect([...c.params]).toEqual([
      ['%6C%72', null],
      ['n%61me', 'v%61lue%25%34%31'],
    ]);
    expect(c.toString()).toBe('sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31');
  });

  it('escnull: %00 in users is not truncated', () => {
    const m = req('escnull');
    expect((m.to.uri as SipUri).user).toBe('null-%00-null');
    expect(m.contacts.map((c) => (c.uri as SipUri).user)).toEqual(['%00', '%00%00']);
    expect(unescapeUri('null-%00-null')).toBe('null-\0-null');
  });

  it('esc02: escaped method is an unknown method; 2 Contact values, not 3', () => {
    const m = req('esc02');
    expect(m.method).toBe('RE%47IST%45R');
    expect(m.contacts.map((c) => c.uri.toString())).toEqual([
      'sip:alias1@host1.example.com',
      'sip:alias3@host3.example.com',
    ]);
    expect(m.getHeader('C%6Fntact')).toBe('<sip:alias2@host2.example.com>');
  });

  it('lwsdisp: display name without LWS before "<"', () => {
    const m = req('lwsdisp');
    expect(m.from.displayName).toBe('caller');
    expect(m.from.uri.toString()).toBe('sip:caller@example.com');
  });

  it('longreq: 34 Via values and long header values', () => {
    const m = req('longreq');
    expect(m.via).toHaveLength(34);
    expect(m.to.displayName).toMatch(/^I have a user name of (extreme){10} proportion$/);
    expect((m.to.uri as SipUri).port).toBe(6000);
    expect(m.body.length).toBe(m.contentLength);
  });

  it('dblreq: octets after Content-Length are ignored on a datagram', () => {
    const m = req('dblreq');
    expect(m.method).toBe('REGISTER');
    expect(m.body.length).toBe(0);
    expect(torture('dblreq').length).toBeGreaterThan(400);
  });

  it('semiuri: the user part holds the semicolon', () => {
    const m = req('semiuri');
    const uri = m.uri as SipUri;
    expect(uri.user).toBe('user;par=u%40example.net');
    expect(uri.host).toBe('example.com');
    expect(uri.params.size).toBe(0);
    expect(m.accept.map((a) => a.essence)).toEqual([
      'application/sdp',
      'application/pkcs7-mime',
      'multipart/mixed',
      'multipart/signed',
      'message/sip',
      'message/sipfrag',
    ]);
  });

  it('transports: unknown Via transports parse', () => {
    const m = req('transports');
    expect(m.via.map((v) => v.transport)).toEqual(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
    expect(m.topVia?.host).toBe('t1.example.com');
    expect(m.callId).toBe('transports.kijh4akdnaqjkwendsasfdj');
  });

  it('mpart01: multipart body framed by Content-Length', () => {
    const m = req('mpart01');
    expect(m.method).toBe('MESSAGE');
    expect(m.body.length).toBe(553);
    expect(m.contentType?.essence).toBe('multipart/mixed');
    expect(m.contentType?.params.get('boundary')).toBe('7a9cbec02ceef655');
    expect(m.via[0]?.rport).toBeNull();
  });

  it('unreason and noreason: responses with unusual reason phrases parse', () => {
    const u = parseMessage(torture('unreason')) as SipResponse;
    expect(u).toBeInstanceOf(SipResponse);
    expect(u.status).toBe(200);
    expect(u.reason).toContain('= 2**3 * 5**2 но сто девяносто девять');
    const n = parseMessage(torture('noreason')) as SipResponse;
    expect(n.status).toBe(100);
    expect(n.reason).toBe('');
  });
});

describe('RFC 4475 invalid messages', () => {
  const cases: Array<[string, number, RegExp]> = [
    ['badinv01', 400, /Via/],
    ['clerr', 400, /Content-Length/],
    ['ncl', 400, /Content-Length/],
    ['scalar02', 400, /CSeq/],
    ['scalarlg', 400, /CSeq/],
    ['quotbal', 400, /To: unterminated quoted-string/],
    ['ltgtruri', 400, /Request-URI/],
    ['lwsruri', 400, /request line/],
    ['baddn', 400, /From/],
    ['badvers', 505, /version/],
    ['mismatch01', 400, /CSeq method INVITE does not match request method OPTIONS/],
    ['mismatch02', 400, /CSeq method/],
    ['bigcode', 400, /status code/],
    ['insuf', 400, /missing/],
    ['multi01', 400, /more than one/],
    ['mcl01', 400, /more than one Content-Length/],
    ['badaspec', 400, /To/],
    ['regbadct', 400, /Contact/],
  ];
  for (const [name, status, message] of cases) {
    it(`${name}: SipParseError with status ${status}`, () => {
      const bytes = torture(name);
      if (name === 'regbadct') {
        // The request itself parses; the Contact is rejected when the registrar reads it.
        const m = parseMessage(bytes);
        let err: unknown;
        try {
          void m.contacts;
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(SipParseError);
        expect((err as SipParseError).status).toBe(status);
        expect((err as Error).message).toMatch(message);
        return;
      }
      const err = parseError(bytes);
      expect(err.status).toBe(status);
      expect(err.message).toMatch(message);
      expect(err.offset).toBeLessThanOrEqual(bytes.length);
    });
  }

  it('error offsets point into the offending line', () => {
    const bytes = torture('mismatch01');
    const err = parseError(bytes);
    const text = bytes.toString('latin1');
    expect(err.offset).toBe(text.indexOf('8 INVITE'));
  });
});

describe('RFC 4475 liberal and semantic cases', () => {
  it('lwsstart and trws are accepted', () => {
    expect(req('lwsstart').uri.toString()).toBe('sip:user@example.com');
    expect(req('trws').uri.toString()).toBe('sip:remote-target@example.com');
  });

  it('escruri: escaped headers in the Request-URI are parsed (the UA ignores them)', () => {
    const uri = req('escruri').uri as SipUri;
    expect(uri.headers).toEqual([['Route', '%3Csip:example.com%3E']]);
  });

  it('baddate: the Date header stays raw and harmless', () => {
    expect(req('baddate').getHeader('Date')).toBe('Fri, 01 Jan 2010 16:00:00 EST');
  });

  it('badbranch: a bare magic cookie is just a branch', () => {
    const v = req('badbranch').via[0];
    expect(v?.branch).toBe('z9hG4bK');
  });

  it('unkscm and novelsc: unknown Request-URI schemes are kept opaque (UA answers 416)', () => {
    const a = req('unkscm').uri;
    expect(a).toBeInstanceOf(AbsoluteUri);
    expect(a.scheme).toBe('nobodyknowsthisscheme');
    expect(a.toString()).toBe('nobodyknowsthisscheme:totallyopaquecontent');
    const b = req('novelsc').uri;
    expect(b.scheme).toBe('soap.beep');
  });

  it('unksm2: non-SIP address-of-record is visible to the registrar', () => {
    const m = req('unksm2');
    expect(m.to.uri.scheme).toBe('isbn');
    expect(m.from.uri.scheme).toBe('http');
    expect(m.contacts[0]?.uri.scheme).toBe('name');
  });

  it('bext01: Require lists the unknown option tags', () => {
    const m = req('bext01');
    expect(m.require).toEqual(['nothingSupportsThis', 'nothingSupportsThisEither']);
    expect(m.proxyRequire).toEqual(['noProxiesSupportThis', 'norDoAnyProxiesSupportThis']);
  });

  it('invut and sdp01: Content-Type and Accept are typed', () => {
    expect(req('invut').contentType?.essence).toBe('application/unknownformat');
    const sdp01 = req('sdp01');
    expect(sdp01.contentType?.essence).toBe('application/sdp');
    expect(sdp01.accept.map((a) => a.essence)).toEqual(['text/nobodyknowsthis']);
  });

  it('regaut01: an Authorization header with an unknown scheme parses', () => {
    const a = req('regaut01').authorization[0];
    expect(a?.scheme).toBe('NoOneKnowsThisScheme');
    expect(a?.params['opaque-data']).toBe('here');
  });

  it('multi-value, zero Max-Forwards, parameters and escaped route', () => {
    expect(req('zeromf').maxForwards).toBe(0);
    const c1 = req('cparam01').contacts[0];
    expect(c1?.uri.toString()).toBe('sip:+19725552222@gw1.example.net');
    expect(c1?.params.has('unknownparam')).toBe(true);
    const c2 = req('cparam02').contacts[0];
    expect((c2!.uri as SipUri).params.has('unknownparam')).toBe(true);
    expect(c2?.params.size).toBe(0);
    const r = req('regescrt').contacts[0];
    expect(r?.uri.toString()).toBe('sip:user@example.com?Route=%3Csip:sip.example.com%3E');
  });

  it('bcast: the broadcast Via is parsed so the transport can refuse it', () => {
    const m = parseMessage(torture('bcast')) as SipResponse;
    expect(m.via[1]?.host).toBe('255.255.255.255');
  });

  it('inv2543: RFC 2543 INVITE with no branch, no tag, no Max-Forwards', () => {
    const m = req('inv2543');
    expect(m.via[0]?.branch).toBeUndefined();
    expect(m.to.tag).toBeUndefined();
    expect(m.from.tag).toBeUndefined();
    expect(m.maxForwards).toBeUndefined();
    // addr-spec form: `;user=phone` after the URI is a header parameter (RFC 3261 §20.10)
    expect(m.to.params.get('user')).toBe('phone');
    expect((m.from.uri as SipUri).params.get('user')).toBe('phone');
    expect(m.recordRoute[0]?.uri.toString()).toBe('sip:UserB@example.com;maddr=ss1.example.com');
    expect(m.bodyText.startsWith('v=0')).toBe(true);
  });

  it('every RFC 4475 file is covered by this suite', () => {
    const files = readdirSync(join(FIXTURES, 'rfc4475')).map((f) => f.replace(/\.dat$/, ''));
    expect(files).toHaveLength(49);
  });
});

describe('RFC 5118 IPv6 messages', () => {
  it('ipv6-bad and ipv6-bug-abnf-3-colons are rejected with 400', () => {
    expect(parseError(load('rfc5118', 'ipv6-bad')).status).toBe(400);
    expect(parseError(load('rfc5118', 'ipv6-bug-abnf-3-colons')).status).toBe(400);
  });

  it('ipv6-good and ipv6-correct-abnf-2-colons parse', () => {
    const a = req('ipv6-good', 'rfc5118');
    expect((a.uri as SipUri).host).toBe('2001:db8::10');
    expect(a.via[0]?.host).toBe('2001:db8::9:1');
    expect((a.contacts[0]!.uri as SipUri).host).toBe('2001:db8::1');
    const b = req('ipv6-correct-abnf-2-colons', 'rfc5118');
    expect((b.uri as SipUri).host).toBe('2001:db8::192.0.2.1');
    expect(b.uri.toString()).toBe('sip:user@[2001:db8::192.0.2.1]');
  });

  it('port-ambiguous infers no port; port-unambiguous has one', () => {
    const a = req('port-ambiguous', 'rfc5118').uri as SipUri;
    expect(a.host).toBe('2001:db8::10:5070');
    expect(a.port).toBeUndefined();
    const b = req('port-unambiguous', 'rfc5118').uri as SipUri;
    expect(b.host).toBe('2001:db8::10');
    expect(b.port).toBe(5070);
  });

  it('ipv4-mapped-ipv6, mult-ip-in-header and the received parameter forms', () => {
    const a = req('ipv4-mapped-ipv6', 'rfc5118');
    expect(a.via[0]?.host).toBe('::ffff:192.0.2.10');
    expect(a.via[0]?.port).toBe(19823);
    const b = req('mult-ip-in-header', 'rfc5118');
    expect(b.via.map((v) => v.host)).toEqual(['2001:db8::9:1', '192.0.2.1', '2001:db8::9:255']);
    expect(b.via[2]?.received).toBe('192.0.2.200');
    expect(req('via-received-param-no-delim', 'rfc5118').via[0]?.received).toBe('2001:db8::9:255');
    expect(req('via-received-param-with-delim', 'rfc5118').via[0]?.received).toBe('2001:db8::9:255');
  });

  it('ipv6-in-sdp and mult-ip-in-sdp keep their SDP bodies', () => {
    expect(req('ipv6-in-sdp', 'rfc5118').bodyText).toContain('c=IN IP6 2001:db8::20');
    expect(req('mult-ip-in-sdp', 'rfc5118').body.length).toBe(181);
  });

  it('every RFC 5118 file is covered', () => {
    expect(readdirSync(join(FIXTURES, 'rfc5118'))).toHaveLength(12);
    expect(new TelUri('+1-555').digits).toBe('+1555');
  });
});
