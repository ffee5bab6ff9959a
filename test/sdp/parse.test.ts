import { describe, expect, it } from 'vitest';
import { isStrowgerError } from '../../src/core/index.js';
import {
  codecsOf,
  connectionOf,
  directionOf,
  getAttribute,
  getAttributes,
  getOtherAttribute,
  parseSdp,
  SdpParseError,
  serializeSdp,
} from '../../src/sdp/index.js';
import { ALL_LINES, ASTERISK, BARESIP, FIXTURES, FREESWITCH_SRTP, SIPP_UAC, WEBRTC } from './fixtures.js';

const crlf = (lines: string[]) => `${lines.join('\r\n')}\r\n`;

function parseError(text: string): SdpParseError {
  try {
    parseSdp(text);
  } catch (e) {
    if (e instanceof SdpParseError) return e;
    throw e;
  }
  throw new Error('expected an SdpParseError');
}

describe('parseSdp', () => {
  it.each(Object.entries(FIXTURES))('reproduces %s byte for byte', (_name, text) => {
    expect(serializeSdp(parseSdp(text))).toBe(text);
  });

  it('reads the session and media lines of a SIPp offer', () => {
    const d = parseSdp(SIPP_UAC);
    expect(d.version).toBe(0);
    expect(d.origin).toEqual({
      username: 'user1',
      sessionId: '53655765',
      sessionVersion: '2353687637',
      netType: 'IN',
      addrType: 'IP4',
      address: '192.0.2.1',
    });
    expect(d.sessionName).toBe('-');
    expect(d.connection).toEqual({ netType: 'IN', addrType: 'IP4', address: '192.0.2.1' });
    expect(d.timing).toEqual([{ start: 0, stop: 0, repeats: [] }]);
    expect(d.media).toHaveLength(1);
    const m = d.media[0]!;
    expect([m.type, m.port, m.protocol, m.formats]).toEqual(['audio', 6000, 'RTP/AVP', ['0']]);
    expect(m.attributes).toEqual([{ kind: 'rtpmap', payloadType: 0, encodingName: 'PCMU', clockRate: 8000 }]);
    expect(directionOf(m, d)).toBe('sendrecv');
  });

  it('reads every RFC 8866 line type', () => {
    const d = parseSdp(ALL_LINES);
    expect(d.information).toBe('SDP Offer #1');
    expect(d.uri).toBe('http://www.jdoe.example.com/home.html');
    expect(d.emails).toEqual(['Jane Doe <jane@jdoe.example.com>']);
    expect(d.phones).toEqual(['+1 617 555-6011']);
    expect(d.bandwidths).toEqual([{ type: 'CT', bandwidth: 128 }]);
    expect(d.timing).toEqual([
      {
        start: 3724394400,
        stop: 3724398000,
        repeats: [{ interval: '7d', duration: '1h', offsets: ['0', '25h'] }],
      },
      { start: 0, stop: 0, repeats: [] },
    ]);
    expect(d.timeZones).toEqual([
      { time: '2882844526', offset: '-1h' },
      { time: '2898848070', offset: '0' },
    ]);
    expect(d.encryptionKey).toBe('prompt');
    const [audio, video] = d.media;
    expect(audio!.information).toBe('main audio');
    expect(audio!.connections).toEqual([
      { netType: 'IN', addrType: 'IP4', address: '233.252.0.1', ttl: 127, numberOfAddresses: 2 },
    ]);
    expect(audio!.encryptionKey).toBe('clear:secret');
    expect(audio!.bandwidths).toEqual([{ type: 'AS', bandwidth: 64 }]);
    expect(directionOf(audio!, d)).toBe('recvonly');
    expect(video!.port).toBe(51372);
    expect(video!.numberOfPorts).toBe(2);
    expect(video!.connections[0]).toEqual({
      netType: 'IN',
      addrType: 'IP6',
      address: 'ff00::db8:0:101',
      numberOfAddresses: 3,
    });
  });

  it('resolves codecs from rtpmap, static payload types and fmtp', () => {
    const m = parseSdp(BARESIP).media[0]!;
    expect(codecsOf(m).map((c) => [c.payloadType, c.encodingName, c.clockRate, c.channels, c.fmtp])).toEqual([
      [96, 'opus', 48000, 2, 'stereo=1;sprop-stereo=1'],
      [9, 'G722', 8000, 1, undefined],
      [0, 'PCMU', 8000, 1, undefined],
      [8, 'PCMA', 8000, 1, undefined],
      [101, 'telephone-event', 8000, 1, '0-15'],
    ]);
    expect(codecsOf(m)[0]!.params).toEqual({ stereo: '1', 'sprop-stereo': '1' });
    const noRtpmap = parseSdp(
      crlf(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 't=0 0', 'm=audio 1 RTP/AVP 18 0 99']),
    );
    expect(codecsOf(noRtpmap.media[0]!).map((c) => c.encodingName)).toEqual(['G729', 'PCMU']);
  });

  it('gives typed access to the WebRTC attributes', () => {
    const d = parseSdp(WEBRTC);
    expect(getAttribute(d, 'group')).toEqual({ kind: 'group', semantics: 'BUNDLE', mids: ['0', '1', '2'] });
    expect(getOtherAttribute(d, 'msid-semantic')).toEqual({
      kind: 'other',
      name: 'msid-semantic',
      value: ' WMS stream1',
    });
    const audio = d.media[0]!;
    expect(getAttribute(audio, 'rtcp')).toEqual({
      kind: 'rtcp',
      port: 9,
      netType: 'IN',
      addrType: 'IP4',
      address: '0.0.0.0',
    });
    expect(getAttribute(audio, 'rtcp-mux')).toEqual({ kind: 'rtcp-mux' });
    expect(getAttribute(audio, 'ice-ufrag')?.value).toBe('4ZcD');
    expect(getAttribute(audio, 'ice-pwd')?.value).toBe('2/1muCWoOi3uLifh0NuRHlfM');
    expect(getAttribute(audio, 'ice-options')?.options).toEqual(['trickle']);
    expect(getAttribute(audio, 'fingerprint')?.hashFunction).toBe('sha-256');
    expect(getAttribute(audio, 'setup')?.role).toBe('actpass');
    expect(getAttribute(audio, 'mid')?.value).toBe('0');
    const cands = getAttributes(audio, 'candidate');
    expect(cands).toHaveLength(4);
    expect(cands[2]).toEqual({
      kind: 'candidate',
      foundation: '1853887674',
      component: 1,
      transport: 'udp',
      priority: 1518280447,
      address: '203.0.113.7',
      port: 46243,
      type: 'srflx',
      relatedAddress: '192.0.2.20',
      relatedPort: 46243,
      extensions: [
        { name: 'generation', value: '0' },
        { name: 'network-id', value: '1' },
      ],
    });
    expect(cands[1]!.address).toMatch(/\.local$/);
    expect(getAttributes(audio, 'extmap')[0]).toEqual({
      kind: 'extmap',
      id: 1,
      uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
    });
    expect(getAttributes(audio, 'ssrc')[1]).toEqual({
      kind: 'ssrc',
      ssrc: 3735928559,
      attribute: 'msid',
      value: 'stream1 audiotrack1',
    });
    const video = d.media[1]!;
    expect(getAttributes(video, 'extmap')[1]).toEqual({
      kind: 'extmap',
      id: 13,
      direction: 'sendonly',
      uri: 'urn:3gpp:video-orientation',
    });
    expect(getAttributes(video, 'rtcp-fb').map((f) => [f.payloadType, f.type, f.parameters])).toEqual([
      [96, 'goog-remb', undefined],
      [96, 'transport-cc', undefined],
      [96, 'ccm', 'fir'],
      [96, 'nack', undefined],
      [96, 'nack', 'pli'],
      [102, 'nack', 'pli'],
    ]);
    expect(getAttributes(video, 'fmtp')[1]!.params).toEqual({
      'level-asymmetry-allowed': '1',
      'packetization-mode': '1',
      'profile-level-id': '42001f',
    });
    const data = d.media[2]!;
    expect(data.formats).toEqual(['webrtc-datachannel']);
    expect(codecsOf(data)).toEqual([]);
    expect(getOtherAttribute(data, 'sctp-port')?.value).toBe('5000');
  });

  it('reads SDES crypto attributes', () => {
    const m = parseSdp(FREESWITCH_SRTP).media[0]!;
    const [c1, c2] = getAttributes(m, 'crypto');
    expect(c1).toEqual({
      kind: 'crypto',
      tag: 1,
      suite: 'AES_CM_128_HMAC_SHA1_80',
      keyParams: [{ method: 'inline', info: 'WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4' }],
      sessionParams: [],
    });
    expect(c2!.sessionParams).toEqual(['UNENCRYPTED_SRTCP']);
    expect(getAttribute(m, 'rtcp')).toEqual({
      kind: 'rtcp',
      port: 24507,
      netType: 'IN',
      addrType: 'IP4',
      address: '203.0.113.50',
    });
  });

  it('accepts LF line ends and a missing final line end, and writes CRLF', () => {
    const lf = ASTERISK.replaceAll('\r\n', '\n');
    expect(serializeSdp(parseSdp(lf))).toBe(ASTERISK);
    expect(serializeSdp(parseSdp(ASTERISK.slice(0, -2)))).toBe(ASTERISK);
    const mixed = ASTERISK.replace('\r\n', '\n');
    expect(parseSdp(mixed)).toEqual(parseSdp(ASTERISK));
  });

  it('reads bytes as UTF-8', () => {
    const text = crlf(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=Téléphone ☎', 't=0 0']);
    expect(parseSdp(new TextEncoder().encode(text)).sessionName).toBe('Téléphone ☎');
  });

  it('keeps unknown attributes and unknown line types in order', () => {
    const text = crlf([
      'v=0',
      'o=- 1 1 IN IP4 192.0.2.1',
      's=-',
      't=0 0',
      'a=x-custom:one',
      'a=ice-lite',
      'a=x-empty:',
      'y=unknown session line',
      'm=audio 4000 RTP/AVP 0',
      'a=x-b:2',
      'a=rtpmap:0 PCMU/8000',
      'a=x-a:1',
      'q=unknown media line',
    ]);
    const d = parseSdp(text);
    expect(d.attributes).toEqual([
      { kind: 'other', name: 'x-custom', value: 'one' },
      { kind: 'other', name: 'ice-lite' },
      { kind: 'other', name: 'x-empty', value: '' },
    ]);
    expect(d.unknownLines).toEqual([{ type: 'y', value: 'unknown session line' }]);
    expect(d.media[0]!.attributes.map((a) => a.kind)).toEqual(['other', 'rtpmap', 'other']);
    expect(d.media[0]!.unknownLines).toEqual([{ type: 'q', value: 'unknown media line' }]);
    expect(serializeSdp(d)).toBe(text);
  });

  it('accepts lines out of RFC order and writes them in order', () => {
    const d = parseSdp(
      crlf([
        'v=0',
        's=-',
        'o=- 1 1 IN IP4 192.0.2.1',
        't=0 0',
        'c=IN IP4 192.0.2.1',
        'm=audio 4000 RTP/AVP 0',
        'a=sendonly',
        'c=IN IP4 192.0.2.2',
      ]),
    );
    expect(serializeSdp(d)).toBe(
      crlf([
        'v=0',
        'o=- 1 1 IN IP4 192.0.2.1',
        's=-',
        'c=IN IP4 192.0.2.1',
        't=0 0',
        'm=audio 4000 RTP/AVP 0',
        'c=IN IP4 192.0.2.2',
        'a=sendonly',
      ]),
    );
  });

  it('accepts an empty s=, a missing t=, blank lines and a user name with spaces', () => {
    const d = parseSdp(
      crlf(['v=0', 'o=Sip Phone 7 8 IN IP4 phone.example.com', 's=', '', 'm=audio 4000 RTP/AVP 0']),
    );
    expect(d.sessionName).toBe('');
    expect(d.timing).toEqual([]);
    expect(d.origin.username).toBe('Sip Phone');
    expect(d.origin.address).toBe('phone.example.com');
    expect(serializeSdp(d)).toBe(
      crlf(['v=0', 'o=Sip Phone 7 8 IN IP4 phone.example.com', 's=', 'm=audio 4000 RTP/AVP 0']),
    );
  });

  it('takes IPv4, IPv6 and FQDN connection addresses', () => {
    const at = (c: string) => {
      const d = parseSdp(
        crlf(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', c, 't=0 0', 'm=audio 4000 RTP/AVP 0']),
      );
      return connectionOf(d, d.media[0]!);
    };
    expect(at('c=IN IP4 192.0.2.7')).toEqual({ netType: 'IN', addrType: 'IP4', address: '192.0.2.7' });
    expect(at('c=IN IP6 2001:db8::7')).toEqual({ netType: 'IN', addrType: 'IP6', address: '2001:db8::7' });
    expect(at('c=IN IP6 ::ffff:192.0.2.7')?.address).toBe('::ffff:192.0.2.7');
    expect(at('c=IN IP4 media.example.com')?.address).toBe('media.example.com');
    expect(at('c=IN IP6 media.example.com.')?.address).toBe('media.example.com.');
    expect(at('c=IN IP4 233.252.0.1/127')).toEqual({
      netType: 'IN',
      addrType: 'IP4',
      address: '233.252.0.1',
      ttl: 127,
    });
    expect(at('c=ATM NSAP 47.0091.8100.0000.0060.3e64.fd01.0060.3e64.fd01.00')?.addrType).toBe('NSAP');
  });

  it.each([
    ['', 1, 'empty session description'],
    ['o=- 1 1 IN IP4 192.0.2.1\r\n', 1, 'starts with v=0'],
    ['v=1\r\n', 1, 'version 0'],
    ['v=0\r\ns=-\r\n', 3, 'missing o='],
    ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n', 3, 'missing s='],
    ['v=0\r\no=- 1 1 IN IP4\r\n', 2, 'o= must be'],
    ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\no=- 1 1 IN IP4 192.0.2.1\r\n', 3, 'more than one o='],
    ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nhello\r\n', 4, '<type>=<value>'],
    ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n a=x\r\n', 4, '<type>=<value>'],
    ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n1=x\r\n', 4, '<type>=<value>'],
    ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\ns=x\r\n', 4, 'more than one s='],
    ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.256\r\n', 4, 'not an IPv4'],
    ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP6 2001:db8:::1\r\n', 4, 'not an IPv6'],
    ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 2001:db8::1\r\n', 4, 'not an IPv4'],
    ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4\r\n', 4, 'c= must be'],
    ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 233.252.0.1/300\r\n', 4, 'multicast'],
    ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nb=AS\r\n', 4, 'b= must be'],
    ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0\r\n', 4, 't= must be'],
    ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nr=7d 1h 0\r\n', 4, 'r= must follow'],
    ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nz=1\r\n', 5, 'z= must be'],
    ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio\r\n', 5, 'm= must be'],
    ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 70000 RTP/AVP 0\r\n', 5, 'port'],
    ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 4000/0 RTP/AVP 0\r\n', 5, 'number of ports'],
    ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nm=audio 4000 RTP/AVP 0\r\nt=0 0\r\n', 5, 't= belongs before'],
    [
      'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nm=audio 4000 RTP/AVP 0\r\ni=a\r\ni=b\r\n',
      6,
      'more than one i=',
    ],
    ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\na=\r\n', 4, 'needs a name'],
    ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\na=rtpmap:200 PCMU/8000\r\n', 4, 'payload type'],
    ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\na=ptime:abc\r\n', 4, 'ptime'],
    ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\na=sendrecv:yes\r\n', 4, 'takes no value'],
    ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\na=x\ry\r\n', 4, 'stray CR'],
    ['v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\u0000\r\n', 3, 'NUL'],
  ])('rejects %j at line %i (%s)', (text, line, reason) => {
    const e = parseError(text);
    expect(e.code).toBe('ERR_SDP_PARSE');
    expect(e.status).toBe(488);
    expect(isStrowgerError(e, 'ERR_SDP_PARSE')).toBe(true);
    expect(e.line).toBe(line);
    expect(e.message).toContain(reason);
    const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
    expect(e.text).toBe(lines[line - 1] ?? '');
    if (e.text !== '') expect(text.slice(e.offset, e.offset + e.text.length)).toBe(e.text);
  });

  it('with lenientAttributes keeps a malformed known attribute as an other attribute', () => {
    const text = crlf(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 't=0 0', 'a=ptime:abc', 'a=rtpmap:x']);
    expect(() => parseSdp(text)).toThrow(SdpParseError);
    const d = parseSdp(text, { lenientAttributes: true });
    expect(d.attributes).toEqual([
      { kind: 'other', name: 'ptime', value: 'abc' },
      { kind: 'other', name: 'rtpmap', value: 'x' },
    ]);
    expect(serializeSdp(d)).toBe(text);
  });
});

describe('serializeSdp', () => {
  it('refuses text that would smuggle in a line', () => {
    const d = parseSdp(SIPP_UAC);
    d.sessionName = '-\r\na=injected';
    expect(() => serializeSdp(d)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    const e = parseSdp(SIPP_UAC);
    e.media[0]!.attributes.push({ kind: 'other', name: 'x', value: 'a\nb' });
    expect(() => serializeSdp(e)).toThrow(/must not contain CR, LF or NUL/);
  });
});

describe('serializeSdp line types', () => {
  it('refuses an unknown line whose type is not one letter', () => {
    for (const type of ['', 'xy', '=', '1', ' ']) {
      const d = parseSdp(SIPP_UAC);
      d.unknownLines.push({ type, value: 'v' });
      expect(() => serializeSdp(d)).toThrow(/one letter/);
    }
  });
});
