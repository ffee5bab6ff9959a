import { describe, expect, it } from 'vitest';
import {
  addressFamily,
  createMediaDescription,
  createSessionDescription,
  formatAttribute,
  formatEventList,
  formatFmtpParams,
  intersectEventLists,
  isIPv6,
  parseAttribute,
  parseEventList,
  parseFmtpParams,
  parseInlineKey,
  parseSdp,
  sdpAttr,
  serializeSdp,
  staticPayloadTypeOf,
} from '../../src/sdp/index.js';

const roundTrip = (line: string) => {
  const colon = line.indexOf(':');
  const a = parseAttribute(
    colon === -1 ? line : line.slice(0, colon),
    colon === -1 ? undefined : line.slice(colon + 1),
  );
  if (typeof a === 'string') throw new Error(a);
  return { attr: a, text: formatAttribute(a) };
};

describe('typed attributes', () => {
  it.each([
    'rtpmap:0 PCMU/8000',
    'rtpmap:111 opus/48000/2',
    'fmtp:101 0-16',
    'fmtp:111 minptime=10;useinbandfec=1',
    'fmtp:97',
    'ptime:20',
    'ptime:22.5',
    'maxptime:150',
    'sendrecv',
    'sendonly',
    'recvonly',
    'inactive',
    'rtcp:53020',
    'rtcp:53020 IN IP6 2001:db8::1',
    'rtcp-mux',
    'crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32',
    'crypto:2 F8_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4;inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|2^20|2:4 FEC_ORDER=FEC_SRTP',
    'candidate:1 1 UDP 2130706431 192.0.2.1 5000 typ host',
    'candidate:2 2 tcp 1 2001:db8::5 9 typ relay raddr 198.51.100.1 rport 3478 tcptype active',
    'candidate:3 1 udp 7 host.example.com 5000 typ srflx rport 4000',
    'fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F',
    'setup:actpass',
    'ice-ufrag:8hhY',
    'ice-pwd:asd88fgpdd777uzjYhagZg',
    'ice-options:trickle ice2',
    'mid:audio',
    'group:BUNDLE audio video',
    'group:LS',
    'ssrc:3735928559 cname:user@example.com',
    'ssrc:1 msid:stream track',
    'ssrc:1 foo',
    'ssrc:1 bar:',
    'extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
    'extmap:2/recvonly urn:ietf:params:rtp-hdrext:toffset vad=on x',
    'rtcp-fb:* nack',
    'rtcp-fb:96 nack pli',
    'rtcp-fb:96 trr-int 100',
    'label:1',
    'label:',
    'x-unknown',
    'x-unknown:',
    'x-unknown:a b:c',
  ])('a=%s reads and writes back unchanged', (line) => {
    expect(roundTrip(line).text).toBe(line);
  });

  it('reads the fields of each typed attribute', () => {
    expect(roundTrip('rtpmap:111 opus/48000/2').attr).toEqual(sdpAttr.rtpmap(111, 'opus', 48000, 2));
    expect(roundTrip('rtcp:53020 IN IP4 192.0.2.1').attr).toEqual(sdpAttr.rtcp(53020, '192.0.2.1'));
    expect(roundTrip('candidate:3 1 udp 7 host.example.com 5000 typ srflx rport 4000').attr).toEqual({
      kind: 'candidate',
      foundation: '3',
      component: 1,
      transport: 'udp',
      priority: 7,
      address: 'host.example.com',
      port: 5000,
      type: 'srflx',
      relatedPort: 4000,
      extensions: [],
    });
    expect(roundTrip('extmap:2/recvonly urn:x vad=on').attr).toEqual({
      kind: 'extmap',
      id: 2,
      direction: 'recvonly',
      uri: 'urn:x',
      attributes: 'vad=on',
    });
    expect(roundTrip('rtcp-fb:* ccm fir').attr).toEqual({
      kind: 'rtcp-fb',
      payloadType: '*',
      type: 'ccm',
      parameters: 'fir',
    });
    expect(roundTrip('ssrc:7 msid:a b').attr).toEqual({
      kind: 'ssrc',
      ssrc: 7,
      attribute: 'msid',
      value: 'a b',
    });
    expect(roundTrip('ice-options:trickle ice2').attr).toEqual({
      kind: 'ice-options',
      options: ['trickle', 'ice2'],
    });
  });

  it.each([
    ['rtpmap', '0'],
    ['rtpmap', '0 PCMU'],
    ['rtpmap', 'x PCMU/8000'],
    ['rtpmap', '0 PCMU/0'],
    ['rtpmap', '0 PCMU/8000/0'],
    ['rtpmap', '0 /8000'],
    ['fmtp', ''],
    ['ptime', '0'],
    ['ptime', '-5'],
    ['ptime', '1e3'],
    ['maxptime', undefined],
    ['rtcp', 'x'],
    ['rtcp', '5000 IN IP4'],
    ['rtcp-mux', 'x'],
    ['crypto', '1 AES_CM_128_HMAC_SHA1_80'],
    ['crypto', 'x AES inline:k'],
    ['crypto', '1 AES nocolon'],
    ['candidate', '1 1 udp 1 192.0.2.1 5000 host'],
    ['candidate', '1 0 udp 1 192.0.2.1 5000 typ host'],
    ['candidate', '1 1 udp 99999999999 192.0.2.1 5000 typ host'],
    ['candidate', '1 1 udp 1 192.0.2.1 5000 typ host generation'],
    ['candidate', '1 1 udp 1 192.0.2.1 5000 typ host raddr 1.2.3.4 rport x'],
    ['fingerprint', 'sha-256'],
    ['setup', 'both'],
    ['ice-ufrag', ''],
    ['ice-options', ''],
    ['group', undefined],
    ['ssrc', 'x cname:a'],
    ['ssrc', '1'],
    ['extmap', 'x urn:a'],
    ['extmap', '1/both urn:a'],
    ['extmap', '1'],
    ['rtcp-fb', '200 nack'],
    ['rtcp-fb', '96'],
    ['mid', undefined],
  ])('a=%s:%s is malformed', (name, value) => {
    expect(typeof parseAttribute(name, value)).toBe('string');
  });

  it('reads fmtp parameters into a map with lower-case keys', () => {
    expect(parseFmtpParams('useinbandfec=1; maxaveragebitrate=30000;;Stereo = 1')).toEqual({
      useinbandfec: '1',
      maxaveragebitrate: '30000',
      stereo: '1',
    });
    expect(parseFmtpParams('0-15')).toEqual({ '0-15': '' });
    expect(Object.getOwnPropertyDescriptor(parseFmtpParams('apt=96;__proto__=x'), '__proto__')?.value).toBe(
      'x',
    );
    expect(formatFmtpParams({ minptime: '10', useinbandfec: '1' })).toBe('minptime=10;useinbandfec=1');
    expect(sdpAttr.fmtp(111, { minptime: '10' })).toEqual({
      kind: 'fmtp',
      format: '111',
      config: 'minptime=10',
      params: { minptime: '10' },
    });
  });

  it('reads an RFC 4568 inline key', () => {
    expect(parseInlineKey('PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32')).toEqual({
      keySalt: 'PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR',
      lifetime: '2^20',
      mki: 1,
      mkiLength: 32,
    });
    expect(parseInlineKey('PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR')).toEqual({
      keySalt: 'PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR',
    });
    expect(parseInlineKey('PS1u|1:4')).toEqual({ keySalt: 'PS1u', mki: 1, mkiLength: 4 });
    expect(parseInlineKey('not base64!')).toBeUndefined();
    expect(parseInlineKey('PS1u|2^x')).toBeUndefined();
    expect(parseInlineKey('PS1u|1:4|2^20')).toBeUndefined();
  });
});

describe('telephone-event lists', () => {
  it('reads, writes and intersects event lists', () => {
    expect(parseEventList('0-11,16')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16]);
    expect(formatEventList(parseEventList('16, 0-3,2-5 ,7')!)).toBe('0-5,7,16');
    expect(intersectEventLists('0-15', '0-16')).toBe('0-15');
    expect(intersectEventLists('0-11,16', '0-16')).toBe('0-11,16');
    expect(intersectEventLists('0-15', '16-20')).toBeUndefined();
    expect(parseEventList('5-3')).toBeUndefined();
    expect(parseEventList('256')).toBeUndefined();
    expect(parseEventList('')).toBeUndefined();
  });
});

describe('addresses and static payload types', () => {
  it('classifies connection addresses', () => {
    expect(addressFamily('192.0.2.1')).toBe('ipv4');
    expect(addressFamily('2001:db8::1')).toBe('ipv6');
    expect(addressFamily('::')).toBe('ipv6');
    expect(addressFamily('::ffff:192.0.2.1')).toBe('ipv6');
    expect(addressFamily('1:2:3:4:5:6:7:8')).toBe('ipv6');
    expect(addressFamily('sip.example.com')).toBe('fqdn');
    expect(addressFamily('192.0.2.256')).toBeUndefined();
    expect(addressFamily('[2001:db8::1]')).toBeUndefined();
    expect(isIPv6('1:2:3:4:5:6:7:8:9')).toBe(false);
    expect(isIPv6('1::2::3')).toBe(false);
    expect(isIPv6('1:2:3:4:5:6:7')).toBe(false);
    expect(isIPv6('12345::')).toBe(false);
  });

  it('knows the RFC 3551 static payload types', () => {
    expect(staticPayloadTypeOf('pcmu', 8000)).toBe(0);
    expect(staticPayloadTypeOf('PCMA', 8000)).toBe(8);
    expect(staticPayloadTypeOf('G722', 8000)).toBe(9);
    expect(staticPayloadTypeOf('G729', 8000)).toBe(18);
    expect(staticPayloadTypeOf('L16', 44100, 2)).toBe(10);
    expect(staticPayloadTypeOf('G722', 16000)).toBeUndefined();
    expect(staticPayloadTypeOf('opus', 48000, 2)).toBeUndefined();
  });
});

describe('building descriptions', () => {
  it('fills in defaults and serializes to valid SDP', () => {
    const d = createSessionDescription({
      address: '192.0.2.10',
      media: [
        createMediaDescription({
          port: 40000,
          codecs: [
            { payloadType: 0, encodingName: 'PCMU', clockRate: 8000 },
            { payloadType: 101, encodingName: 'telephone-event', clockRate: 8000, fmtp: '0-16' },
          ],
          direction: 'sendrecv',
          attributes: [sdpAttr.ptime(20)],
        }),
      ],
    });
    const text = serializeSdp(d);
    expect(text).toBe(
      [
        'v=0',
        'o=- 0 0 IN IP4 192.0.2.10',
        's=-',
        'c=IN IP4 192.0.2.10',
        't=0 0',
        'm=audio 40000 RTP/AVP 0 101',
        'a=rtpmap:0 PCMU/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-16',
        'a=ptime:20',
        'a=sendrecv',
        '',
      ].join('\r\n'),
    );
    expect(parseSdp(text)).toEqual(d);
  });

  it('uses IP6 for an IPv6 address and keeps explicit fields', () => {
    const d = createSessionDescription({
      address: '2001:db8::10',
      origin: { username: 'strowger', sessionId: '9' },
    });
    expect(d.origin).toEqual({
      username: 'strowger',
      sessionId: '9',
      sessionVersion: '0',
      netType: 'IN',
      addrType: 'IP6',
      address: '2001:db8::10',
    });
    expect(d.connection).toEqual({ netType: 'IN', addrType: 'IP6', address: '2001:db8::10' });
    const m = createMediaDescription({ type: 'video', port: 5002, address: 'media.example.com' });
    expect(m.connections).toEqual([{ netType: 'IN', addrType: 'IP4', address: 'media.example.com' }]);
    expect(createSessionDescription().connection).toBeUndefined();
  });
});
