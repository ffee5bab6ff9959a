import { describe, expect, it } from 'vitest';
import { isStrowgerError, seededRandom } from '../../src/core/index.js';
import {
  answerDirection,
  codecsOf,
  createAnswer,
  createOffer,
  type Direction,
  directionOf,
  getAttribute,
  getAttributes,
  hasAttribute,
  type LocalDescription,
  type LocalMedia,
  negotiatedSession,
  parseSdp,
  processAnswer,
  SdpNegotiationError,
  type SessionDescription,
  sdpAttr,
  serializeSdp,
  updateOrigin,
} from '../../src/sdp/index.js';
import {
  ASTERISK,
  BARESIP,
  FREESWITCH,
  FREESWITCH_SRTP,
  SIPP_UAC,
  SIPP_UAC_PCAP,
  WEBRTC,
} from './fixtures.js';

const crlf = (lines: string[]) => `${lines.join('\r\n')}\r\n`;
const random = seededRandom(7);

/** The switch: G.711, G.722 and opus, RFC 4733 events, 20 ms. */
const AUDIO: LocalMedia = {
  port: 30000,
  codecs: [
    { encodingName: 'PCMU', clockRate: 8000 },
    { encodingName: 'PCMA', clockRate: 8000 },
    { encodingName: 'G722', clockRate: 8000 },
    { encodingName: 'opus', clockRate: 48000, channels: 2, fmtp: 'useinbandfec=1' },
  ],
  telephoneEvent: true,
  ptime: 20,
};
const SWITCH: LocalDescription = { address: '192.0.2.100', sessionId: '4242', media: [AUDIO] };

function answerTo(offer: string, local: LocalDescription = SWITCH, options = {}): SessionDescription {
  return createAnswer(parseSdp(offer), local, { random, ...options });
}

function negotiationError(fn: () => unknown): SdpNegotiationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SdpNegotiationError) return e;
    throw e;
  }
  throw new Error('expected an SdpNegotiationError');
}

/** A minimal offer around some m= sections. */
function offer(mediaLines: string[], session: string[] = []): string {
  return crlf([
    'v=0',
    'o=peer 10 20 IN IP4 198.51.100.7',
    's=-',
    'c=IN IP4 198.51.100.7',
    't=0 0',
    ...session,
    ...mediaLines,
  ]);
}

describe('createOffer', () => {
  it('offers static types with their numbers, dynamic ones from 96, and telephone-event at 101', () => {
    const o = createOffer(SWITCH);
    expect(serializeSdp(o)).toBe(
      crlf([
        'v=0',
        'o=- 4242 1 IN IP4 192.0.2.100',
        's=-',
        'c=IN IP4 192.0.2.100',
        't=0 0',
        'm=audio 30000 RTP/AVP 0 8 9 96 101',
        'a=rtpmap:0 PCMU/8000',
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:9 G722/8000',
        'a=rtpmap:96 opus/48000/2',
        'a=fmtp:96 useinbandfec=1',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-16',
        'a=ptime:20',
        'a=sendrecv',
      ]),
    );
  });

  it('resolves payload type collisions between preferred numbers', () => {
    const o = createOffer({
      address: '192.0.2.100',
      media: [
        {
          port: 4000,
          codecs: [
            { encodingName: 'opus', clockRate: 48000, channels: 2, payloadType: 101 },
            { encodingName: 'iLBC', clockRate: 8000, payloadType: 101 },
            { encodingName: 'speex', clockRate: 16000 },
          ],
          telephoneEvent: { events: '0-15' },
        },
      ],
    });
    const codecs = codecsOf(o.media[0]!);
    const pts = codecs.map((c) => c.payloadType);
    expect(new Set(pts).size).toBe(pts.length);
    expect(codecs.map((c) => [c.encodingName, c.payloadType])).toEqual([
      ['opus', 101],
      ['iLBC', 96],
      ['speex', 97],
      ['telephone-event', 98],
    ]);
    expect(o.media[0]!.formats).toEqual(['101', '96', '97', '98']);
  });

  it('draws the session id from the injected random source', () => {
    const a = createOffer({ ...SWITCH, sessionId: undefined }, { random: seededRandom(1) });
    const b = createOffer({ ...SWITCH, sessionId: undefined }, { random: seededRandom(1) });
    const c = createOffer({ ...SWITCH, sessionId: undefined }, { random: seededRandom(2) });
    expect(a.origin.sessionId).toMatch(/^[1-9][0-9]*$/);
    expect(a.origin.sessionId).toBe(b.origin.sessionId);
    expect(a.origin.sessionId).not.toBe(c.origin.sessionId);
    expect(a.origin.sessionVersion).toBe('1');
  });

  it('offers IPv6, rtcp-mux, a=rtcp, a media address, mid and extra attributes', () => {
    const o = createOffer({
      address: '2001:db8::100',
      sessionId: '1',
      media: [
        {
          ...AUDIO,
          codecs: [{ encodingName: 'PCMA', clockRate: 8000 }],
          telephoneEvent: false,
          ptime: undefined,
          direction: 'sendonly',
          rtcpMux: true,
          rtcpPort: 30011,
          address: '2001:db8::200',
          mid: 'audio',
          attributes: [
            sdpAttr.crypto(1, 'AES_CM_128_HMAC_SHA1_80', 'PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR'),
          ],
        },
      ],
    });
    expect(serializeSdp(o)).toBe(
      crlf([
        'v=0',
        'o=- 1 1 IN IP6 2001:db8::100',
        's=-',
        'c=IN IP6 2001:db8::100',
        't=0 0',
        'm=audio 30000 RTP/AVP 8',
        'c=IN IP6 2001:db8::200',
        'a=rtpmap:8 PCMA/8000',
        'a=sendonly',
        'a=rtcp-mux',
        'a=rtcp:30011',
        'a=mid:audio',
        'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR',
      ]),
    );
  });

  it('refuses a stream without codecs and a bad port', () => {
    expect(() => createOffer({ address: '192.0.2.1', media: [{ port: 4000, codecs: [] }] })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    expect(() => createOffer({ address: '192.0.2.1', media: [{ ...AUDIO, port: 70000 }] })).toThrow(/port/);
  });
});

describe('createAnswer', () => {
  it("answers SIPp's default offer with PCMU only", () => {
    const a = answerTo(SIPP_UAC);
    expect(serializeSdp(a)).toBe(
      crlf([
        'v=0',
        'o=- 4242 1 IN IP4 192.0.2.100',
        's=-',
        'c=IN IP4 192.0.2.100',
        't=0 0',
        'm=audio 30000 RTP/AVP 0',
        'a=rtpmap:0 PCMU/8000',
        'a=ptime:20',
        'a=sendrecv',
      ]),
    );
  });

  it('narrows telephone-event to the events both sides know', () => {
    const m = answerTo(SIPP_UAC_PCAP).media[0]!;
    expect(m.formats).toEqual(['8', '101']);
    expect(getAttributes(m, 'fmtp')).toEqual([sdpAttr.fmtp(101, '0-11,16')]);
    const fewer = answerTo(SIPP_UAC_PCAP, {
      ...SWITCH,
      media: [{ ...AUDIO, telephoneEvent: { events: '0-9' } }],
    });
    expect(getAttributes(fewer.media[0]!, 'fmtp')).toEqual([sdpAttr.fmtp(101, '0-9')]);
    const none = answerTo(SIPP_UAC_PCAP, {
      ...SWITCH,
      media: [{ ...AUDIO, telephoneEvent: { events: '12-15' } }],
    });
    expect(none.media[0]!.formats).toEqual(['8']);
    const off = answerTo(SIPP_UAC_PCAP, { ...SWITCH, media: [{ ...AUDIO, telephoneEvent: false }] });
    expect(off.media[0]!.formats).toEqual(['8']);
  });

  it("answers baresip with the offerer's payload types, in the offer's order or ours", () => {
    const m = answerTo(BARESIP).media[0]!;
    expect(m.formats).toEqual(['96', '9', '0', '8', '101']);
    expect(getAttributes(m, 'rtpmap')[0]).toEqual(sdpAttr.rtpmap(96, 'opus', 48000, 2));
    expect(getAttributes(m, 'fmtp').map((f) => [f.format, f.config])).toEqual([
      ['96', 'useinbandfec=1'],
      ['101', '0-15'],
    ]);
    expect(answerTo(BARESIP, SWITCH, { codecOrder: 'local' }).media[0]!.formats).toEqual([
      '0',
      '8',
      '9',
      '96',
      '101',
    ]);
    expect(answerTo(BARESIP, SWITCH, { singleCodec: true }).media[0]!.formats).toEqual(['96', '101']);
  });

  it('echoes the offered fmtp of a codec when this side sets none', () => {
    const a = answerTo(offer(['m=audio 5000 RTP/AVP 18', 'a=rtpmap:18 G729/8000', 'a=fmtp:18 annexb=no']), {
      ...SWITCH,
      media: [{ port: 4000, codecs: [{ encodingName: 'G729', clockRate: 8000 }] }],
    });
    expect(getAttribute(a.media[0]!, 'fmtp')?.config).toBe('annexb=no');
  });

  it('answers Asterisk without the codec it lacks (GSM)', () => {
    const m = answerTo(ASTERISK).media[0]!;
    expect(m.formats).toEqual(['0', '8', '9', '101']);
    expect(getAttribute(m, 'fmtp')?.config).toBe('0-16');
  });

  it('answers FreeSWITCH with telephone-event at each chosen clock rate and comfort noise when listed', () => {
    const m = answerTo(FREESWITCH).media[0]!;
    expect(m.formats).toEqual(['102', '9', '0', '8', '103', '101']);
    const withCn = answerTo(FREESWITCH, {
      ...SWITCH,
      media: [
        {
          ...AUDIO,
          codecs: [
            { encodingName: 'PCMA', clockRate: 8000 },
            { encodingName: 'CN', clockRate: 8000 },
          ],
        },
      ],
    });
    expect(withCn.media[0]!.formats).toEqual(['8', '13', '101']);
  });

  it('rejects SRTP unless this side accepts RTP/SAVP', () => {
    const e = negotiationError(() => answerTo(FREESWITCH_SRTP));
    expect(e.code).toBe('ERR_SDP_NEGOTIATION');
    expect(e.status).toBe(488);
    expect(e.message).toContain('RTP/SAVP');
    const key = sdpAttr.crypto(1, 'AES_CM_128_HMAC_SHA1_80', 'PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR');
    const a = answerTo(FREESWITCH_SRTP, {
      ...SWITCH,
      media: [{ ...AUDIO, protocol: 'RTP/SAVP', attributes: [key] }],
    });
    expect(a.media[0]!.protocol).toBe('RTP/SAVP');
    expect(a.media[0]!.port).toBe(30000);
    expect(getAttribute(a.media[0]!, 'crypto')).toEqual(key);
  });

  it('answers a WebRTC offer: audio accepted with mid and rtcp-mux, video and data rejected in place', () => {
    const local: LocalDescription = {
      address: '192.0.2.100',
      media: [
        {
          port: 40000,
          protocol: 'UDP/TLS/RTP/SAVPF',
          codecs: [
            { encodingName: 'opus', clockRate: 48000, channels: 2, fmtp: 'minptime=10;useinbandfec=1' },
            { encodingName: 'PCMU', clockRate: 8000 },
          ],
          telephoneEvent: true,
          rtcpMux: true,
          attributes: [
            sdpAttr.iceUfrag('sw1x'),
            sdpAttr.icePwd('asd88fgpdd777uzjYhagZgasdf9'),
            sdpAttr.fingerprint('sha-256', 'AA:BB'),
            sdpAttr.setup('passive'),
            sdpAttr.candidate({
              foundation: '1',
              component: 1,
              transport: 'udp',
              priority: 2130706431,
              address: '192.0.2.100',
              port: 40000,
              type: 'host',
            }),
          ],
        },
      ],
    };
    const o = parseSdp(WEBRTC);
    const a = createAnswer(o, local, { random });
    expect(a.media.map((m) => [m.type, m.port, m.protocol])).toEqual([
      ['audio', 40000, 'UDP/TLS/RTP/SAVPF'],
      ['video', 0, 'UDP/TLS/RTP/SAVPF'],
      ['application', 0, 'UDP/DTLS/SCTP'],
    ]);
    expect(a.media.map((m) => getAttribute(m, 'mid')?.value)).toEqual(['0', '1', '2']);
    const audio = a.media[0]!;
    expect(audio.formats).toEqual(['111', '0', '110', '126']);
    expect(hasAttribute(audio, 'rtcp-mux')).toBe(true);
    expect(getAttribute(audio, 'setup')?.role).toBe('passive');
    expect(a.media[1]!.formats).toEqual(['96', '97', '102', '103']);
    expect(a.media[1]!.attributes).toEqual([sdpAttr.mid('1')]);

    // the browser's view of our answer
    const s = processAnswer(o, parseSdp(serializeSdp(a)));
    const st = s.streams[0]!;
    expect([st.accepted, st.rtcpMux, st.remotePort, st.remoteRtcpPort, st.remoteAddress]).toEqual([
      true,
      true,
      40000,
      40000,
      '192.0.2.100',
    ]);
    expect(st.codec).toMatchObject({
      encodingName: 'opus',
      payloadType: 111,
      receivePayloadType: 111,
      fmtp: 'minptime=10;useinbandfec=1',
    });
    // the browser offered no fmtp, so 0-15 (RFC 4733) narrowed our 0-16
    expect(st.telephoneEvent).toEqual({
      payloadType: 110,
      receivePayloadType: 110,
      clockRate: 48000,
      events: '0-15',
    });
    expect(s.streams.slice(1).map((x) => x.accepted)).toEqual([false, false]);
  });

  it('throws SdpNegotiationError when no codec is common', () => {
    const e = negotiationError(() => answerTo(offer(['m=audio 5000 RTP/AVP 18', 'a=rtpmap:18 G729/8000'])));
    expect(isStrowgerError(e, 'ERR_SDP_NEGOTIATION')).toBe(true);
    expect(e.message).toContain('G729/8000');
    // telephone-event alone is not enough
    expect(() => answerTo(offer(['m=audio 5000 RTP/AVP 101', 'a=rtpmap:101 telephone-event/8000']))).toThrow(
      SdpNegotiationError,
    );
    // nor is a media type this side has no entry for
    expect(() => answerTo(offer(['m=video 5002 RTP/AVP 31']))).toThrow(SdpNegotiationError);
  });

  it('rejects a stream with nothing in common with port 0, keeping m-line count and order', () => {
    const a = answerTo(
      offer([
        'm=video 5002 RTP/AVP 31',
        'm=audio 5000 RTP/AVP 0',
        'm=audio 5004 RTP/AVP 18',
        'm=audio 5006 RTP/AVP 8',
      ]),
    );
    expect(a.media.map((m) => [m.type, m.port, m.formats])).toEqual([
      ['video', 0, ['31']],
      ['audio', 30000, ['0']],
      ['audio', 0, ['18']],
      ['audio', 0, ['8']], // one local audio entry, already used by the second m-line
    ]);
    const two = answerTo(offer(['m=audio 5000 RTP/AVP 0', 'm=audio 5006 RTP/AVP 8']), {
      ...SWITCH,
      media: [AUDIO, { ...AUDIO, port: 30002 }],
    });
    expect(two.media.map((m) => m.port)).toEqual([30000, 30002]);
  });

  it('answers port-0 streams with port 0 and does not fail when every offered stream is disabled', () => {
    const a = answerTo(offer(['m=audio 0 RTP/AVP 0', 'm=audio 5000 RTP/AVP 8']));
    expect(a.media.map((m) => m.port)).toEqual([0, 30000]);
    const all = answerTo(offer(['m=audio 0 RTP/AVP 0']));
    expect(all.media.map((m) => [m.port, m.formats])).toEqual([[0, ['0']]]);
  });

  it('matches codecs by name, clock rate and channels, not by payload type number', () => {
    // the offerer uses 101 for opus and 96 for telephone-event; we prefer the opposite
    const o = offer([
      'm=audio 5000 RTP/AVP 101 96',
      'a=rtpmap:101 OPUS/48000/2',
      'a=rtpmap:96 telephone-event/48000',
      'a=fmtp:96 0-15',
    ]);
    const local: LocalDescription = {
      ...SWITCH,
      media: [
        {
          port: 4000,
          codecs: [{ encodingName: 'opus', clockRate: 48000, channels: 2, payloadType: 96 }],
          telephoneEvent: { payloadType: 101 },
        },
      ],
    };
    const a = answerTo(o, local);
    expect(codecsOf(a.media[0]!).map((c) => [c.payloadType, c.encodingName, c.clockRate])).toEqual([
      [101, 'OPUS', 48000],
      [96, 'telephone-event', 48000],
    ]);
    // opus without /2 is another codec (RFC 7587 says opus/48000/2)
    expect(() => answerTo(offer(['m=audio 5000 RTP/AVP 100', 'a=rtpmap:100 opus/48000']), local)).toThrow(
      SdpNegotiationError,
    );
    // a dynamic number reused for a static-looking name is still matched by name
    const odd = answerTo(
      offer(['m=audio 5000 RTP/AVP 8 0', 'a=rtpmap:8 pcmu/8000', 'a=rtpmap:0 PCMA/16000']),
    );
    expect(odd.media[0]!.formats).toEqual(['8']);
  });

  it('recognizes static payload types without rtpmap', () => {
    const a = answerTo(offer(['m=audio 5000 RTP/AVP 18 9 0']));
    expect(a.media[0]!.formats).toEqual(['9', '0']);
    expect(getAttributes(a.media[0]!, 'rtpmap').map((r) => r.encodingName)).toEqual(['G722', 'PCMU']);
  });

  it.each<[Direction, Direction, Direction]>([
    ['sendrecv', 'sendrecv', 'sendrecv'],
    ['sendonly', 'sendrecv', 'recvonly'],
    ['recvonly', 'sendrecv', 'sendonly'],
    ['inactive', 'sendrecv', 'inactive'],
    ['sendrecv', 'recvonly', 'recvonly'],
    ['sendrecv', 'sendonly', 'sendonly'],
    ['sendonly', 'sendonly', 'inactive'],
    ['recvonly', 'recvonly', 'inactive'],
    ['sendrecv', 'inactive', 'inactive'],
  ])('offer %s with local %s is answered %s', (offered, local, expected) => {
    expect(answerDirection(offered, local)).toBe(expected);
    const a = answerTo(offer(['m=audio 5000 RTP/AVP 0', `a=${offered}`]), {
      ...SWITCH,
      media: [{ ...AUDIO, direction: local }],
    });
    expect(directionOf(a.media[0]!, a)).toBe(expected);
  });

  it('applies a session-level direction of the offer', () => {
    const a = answerTo(offer(['m=audio 5000 RTP/AVP 0'], ['a=sendonly']));
    expect(directionOf(a.media[0]!, a)).toBe('recvonly');
  });

  it('accepts rtcp-mux only when it was offered', () => {
    const mux = { ...SWITCH, media: [{ ...AUDIO, rtcpMux: true }] };
    expect(hasAttribute(answerTo(offer(['m=audio 5000 RTP/AVP 0']), mux).media[0]!, 'rtcp-mux')).toBe(false);
    expect(
      hasAttribute(answerTo(offer(['m=audio 5000 RTP/AVP 0', 'a=rtcp-mux']), mux).media[0]!, 'rtcp-mux'),
    ).toBe(true);
    expect(
      hasAttribute(answerTo(offer(['m=audio 5000 RTP/AVP 0', 'a=rtcp-mux'])).media[0]!, 'rtcp-mux'),
    ).toBe(false);
  });

  it("copies the offer's t= line", () => {
    const a = answerTo(
      crlf([
        'v=0',
        'o=- 1 1 IN IP4 198.51.100.7',
        's=-',
        'c=IN IP4 198.51.100.7',
        't=3724394400 3724398000',
        'm=audio 5000 RTP/AVP 0',
      ]),
    );
    expect(a.timing).toEqual([{ start: 3724394400, stop: 3724398000, repeats: [] }]);
  });
});

describe('session versions (RFC 3264 §8)', () => {
  it('a re-answer keeps the origin and bumps the version only when the SDP changes', () => {
    const first = answerTo(BARESIP);
    const same = answerTo(BARESIP, SWITCH, { previous: first });
    expect(same.origin).toEqual(first.origin);
    const held = BARESIP.replace('a=sendrecv', 'a=sendonly');
    const second = answerTo(
      held,
      { ...SWITCH, sessionId: 'ignored', address: '192.0.2.101' },
      { previous: first },
    );
    expect(second.origin.sessionId).toBe(first.origin.sessionId);
    expect(second.origin.address).toBe(first.origin.address);
    expect(second.origin.sessionVersion).toBe(String(Number(first.origin.sessionVersion) + 1));
    expect(directionOf(second.media[0]!, second)).toBe('recvonly');
  });

  it('a re-offer keeps payload types and the origin, and bumps the version on change', () => {
    const first = createOffer(SWITCH);
    const again = createOffer(SWITCH, { previous: first });
    expect(serializeSdp(again)).toBe(serializeSdp(first));
    // reordered preferences keep their numbers
    const reordered = createOffer(
      {
        ...SWITCH,
        media: [{ ...AUDIO, codecs: [...AUDIO.codecs].reverse(), telephoneEvent: { payloadType: 120 } }],
      },
      { previous: first },
    );
    expect(codecsOf(reordered.media[0]!).map((c) => `${c.encodingName}:${c.payloadType}`)).toEqual([
      'opus:96',
      'G722:9',
      'PCMA:8',
      'PCMU:0',
      'telephone-event:101',
    ]);
    expect(reordered.origin.sessionVersion).toBe('2');
    const hold = createOffer(
      { ...SWITCH, media: [{ ...AUDIO, direction: 'sendonly' }] },
      { previous: first },
    );
    expect(hold.origin).toEqual({ ...first.origin, sessionVersion: '2' });
  });

  it('a re-offer after answering keeps the payload types of that answer', () => {
    const answer = answerTo(offer(['m=audio 5000 RTP/AVP 0 110', 'a=rtpmap:110 telephone-event/8000']));
    const reoffer = createOffer(SWITCH, { previous: answer });
    expect(codecsOf(reoffer.media[0]!).find((c) => c.encodingName === 'telephone-event')?.payloadType).toBe(
      110,
    );
    expect(reoffer.origin.sessionVersion).toBe('2');
  });

  it('a re-offer may not drop an m-line, only disable it with port 0', () => {
    const first = createOffer({ ...SWITCH, media: [AUDIO, { ...AUDIO, port: 30002 }] });
    expect(() => createOffer(SWITCH, { previous: first })).toThrow(/never remove its m= line/);
    const disabled = createOffer({ ...SWITCH, media: [AUDIO, { ...AUDIO, port: 0 }] }, { previous: first });
    expect(disabled.media.map((m) => m.port)).toEqual([30000, 0]);
    expect(disabled.origin.sessionVersion).toBe('2');
  });

  it('updateOrigin counts past 2^53', () => {
    const prev = createOffer(SWITCH);
    prev.origin.sessionVersion = '18446744073709551615';
    const next = createOffer({ ...SWITCH, media: [{ ...AUDIO, ptime: 30 }] });
    expect(updateOrigin(prev, next).origin.sessionVersion).toBe('18446744073709551616');
    expect(updateOrigin(prev, { ...prev }).origin.sessionVersion).toBe('18446744073709551615');
  });
});

describe('processAnswer', () => {
  const ourOffer = createOffer(SWITCH);

  it('reports the remote address, ports, codec, telephone-event, direction and ptime', () => {
    const answer = parseSdp(
      crlf([
        'v=0',
        'o=- 5 5 IN IP4 198.51.100.7',
        's=-',
        'c=IN IP4 198.51.100.7',
        't=0 0',
        'm=audio 6000 RTP/AVP 8 0 101',
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-15',
        'a=ptime:30',
        'a=recvonly',
      ]),
    );
    const s = processAnswer(ourOffer, answer);
    expect(s.role).toBe('offerer');
    expect(s.remoteOrigin.sessionId).toBe('5');
    const st = s.streams[0]!;
    expect(st).toMatchObject({
      index: 0,
      type: 'audio',
      protocol: 'RTP/AVP',
      accepted: true,
      remoteAddress: '198.51.100.7',
      remoteAddrType: 'IP4',
      remotePort: 6000,
      remoteRtcpAddress: '198.51.100.7',
      remoteRtcpPort: 6001,
      rtcpMux: false,
      direction: 'sendonly',
      remoteDirection: 'recvonly',
      remoteHold: false,
      ptime: 30,
    });
    expect(st.codecs.map((c) => [c.encodingName, c.payloadType, c.receivePayloadType])).toEqual([
      ['PCMA', 8, 8],
      ['PCMU', 0, 0],
    ]);
    expect(st.codec?.encodingName).toBe('PCMA');
    expect(st.telephoneEvent).toEqual({
      payloadType: 101,
      receivePayloadType: 101,
      clockRate: 8000,
      events: '0-15',
    });
  });

  it('sends with the payload types of the answer when they differ from the offer', () => {
    const answer = parseSdp(
      offer([
        'm=audio 6000 RTP/AVP 100 97',
        'a=rtpmap:100 opus/48000/2',
        'a=fmtp:100 stereo=0',
        'a=rtpmap:97 telephone-event/8000',
      ]),
    );
    const st = processAnswer(ourOffer, answer).streams[0]!;
    expect(st.codec).toMatchObject({
      encodingName: 'opus',
      payloadType: 100,
      receivePayloadType: 96,
      fmtp: 'stereo=0',
    });
    expect(st.codec?.params).toEqual({ stereo: '0' });
    expect(st.telephoneEvent).toMatchObject({ payloadType: 97, receivePayloadType: 101 });
  });

  it('takes RTCP from a=rtcp, from rtcp-mux, or port + 1', () => {
    const rtcpAttr = parseSdp(offer(['m=audio 6000 RTP/AVP 0', 'a=rtcp:7000 IN IP6 2001:db8::9']));
    expect(processAnswer(ourOffer, rtcpAttr).streams[0]).toMatchObject({
      remoteRtcpPort: 7000,
      remoteRtcpAddress: '2001:db8::9',
    });
    const rtcpPortOnly = parseSdp(offer(['m=audio 6000 RTP/AVP 0', 'a=rtcp:7000']));
    expect(processAnswer(ourOffer, rtcpPortOnly).streams[0]).toMatchObject({
      remoteRtcpPort: 7000,
      remoteRtcpAddress: '198.51.100.7',
    });
    // rtcp-mux in an answer counts only when it was offered
    const mux = parseSdp(offer(['m=audio 6000 RTP/AVP 0', 'a=rtcp-mux']));
    expect(processAnswer(ourOffer, mux).streams[0]).toMatchObject({ rtcpMux: false, remoteRtcpPort: 6001 });
    const muxOffer = createOffer({ ...SWITCH, media: [{ ...AUDIO, rtcpMux: true }] });
    expect(processAnswer(muxOffer, mux).streams[0]).toMatchObject({ rtcpMux: true, remoteRtcpPort: 6000 });
  });

  it('reports a rejected stream and a remote hold', () => {
    const rejected = parseSdp(offer(['m=audio 0 RTP/AVP 0']));
    expect(processAnswer(ourOffer, rejected).streams[0]).toMatchObject({ accepted: false, remotePort: 0 });
    const hold = parseSdp(offer(['m=audio 6000 RTP/AVP 0', 'a=sendonly']));
    expect(processAnswer(ourOffer, hold).streams[0]).toMatchObject({
      remoteHold: true,
      direction: 'recvonly',
    });
    const twoFiveFourThree = parseSdp(
      offer(['m=audio 6000 RTP/AVP 0']).replace('c=IN IP4 198.51.100.7', 'c=IN IP4 0.0.0.0'),
    );
    expect(processAnswer(ourOffer, twoFiveFourThree).streams[0]!.remoteHold).toBe(true);
  });

  it('refuses an answer that does not fit the offer', () => {
    expect(() =>
      processAnswer(ourOffer, parseSdp(offer(['m=audio 6000 RTP/AVP 0', 'm=audio 6002 RTP/AVP 0']))),
    ).toThrow(/2 m-lines, the offer 1/);
    expect(() => processAnswer(ourOffer, parseSdp(offer(['m=video 6000 RTP/AVP 31'])))).toThrow(
      SdpNegotiationError,
    );
    const noAddress = crlf(['v=0', 'o=- 1 1 IN IP4 198.51.100.7', 's=-', 't=0 0', 'm=audio 6000 RTP/AVP 0']);
    expect(() => processAnswer(ourOffer, parseSdp(noAddress))).toThrow(/no c= address/);
  });

  it('the answerer sees the offerer as the peer', () => {
    const o = parseSdp(FREESWITCH);
    const a = createAnswer(o, SWITCH, { random });
    const s = negotiatedSession(o, a, 'answerer');
    expect(s.role).toBe('answerer');
    expect(s.remoteOrigin.username).toBe('FreeSWITCH');
    const st = s.streams[0]!;
    expect(st).toMatchObject({
      remoteAddress: '203.0.113.50',
      remotePort: 24504,
      remoteRtcpPort: 24505,
      ptime: 20,
    });
    expect(st.codec).toMatchObject({ encodingName: 'opus', payloadType: 102, receivePayloadType: 102 });
    expect(st.codec?.fmtp).toContain('maxaveragebitrate=30000');
    expect(st.telephoneEvent).toMatchObject({ payloadType: 103, clockRate: 48000, events: '0-16' });
    expect(st.localMedia).toBe(a.media[0]);
    expect(st.remoteMedia).toBe(o.media[0]);
  });
});
