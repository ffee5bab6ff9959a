import { describe, expect, it } from 'vitest';
import {
  createAnswer,
  createOffer,
  directionOf,
  holdState,
  type LocalDescription,
  negotiatedSession,
  parseSdp,
  serializeSdp,
} from '../../src/sdp/index.js';
import { WEBRTC } from './fixtures.js';

const crlf = (lines: string[]) => `${lines.join('\r\n')}\r\n`;
const sdp = (c: string, media: string[], session: string[] = []) =>
  parseSdp(
    crlf(['v=0', 'o=- 1 1 IN IP4 198.51.100.7', 's=-', `c=IN IP4 ${c}`, 't=0 0', ...session, ...media]),
  );

describe('holdState', () => {
  it('is not on hold for sendrecv and recvonly', () => {
    expect(holdState(sdp('198.51.100.7', ['m=audio 5000 RTP/AVP 0'])).onHold).toBe(false);
    expect(holdState(sdp('198.51.100.7', ['m=audio 5000 RTP/AVP 0', 'a=recvonly'])).onHold).toBe(false);
  });

  it.each([
    ['sendonly', ['m=audio 5000 RTP/AVP 0', 'a=sendonly'], []],
    ['inactive', ['m=audio 5000 RTP/AVP 0', 'a=inactive'], []],
    ['sendonly', ['m=audio 5000 RTP/AVP 0'], ['a=sendonly']],
  ])('is on hold for %s', (reason, media, session) => {
    const h = holdState(sdp('198.51.100.7', media, session));
    expect(h.onHold).toBe(true);
    expect(h.streams[0]).toMatchObject({ index: 0, type: 'audio', active: true, onHold: true, reason });
  });

  it('is on hold for the RFC 2543 address 0.0.0.0, at session or media level', () => {
    expect(holdState(sdp('0.0.0.0', ['m=audio 5000 RTP/AVP 0'])).streams[0]!.reason).toBe('zero-address');
    expect(holdState(sdp('198.51.100.7', ['m=audio 5000 RTP/AVP 0', 'c=IN IP4 0.0.0.0'])).onHold).toBe(true);
  });

  it('does not take trickle-ICE 0.0.0.0 for hold', () => {
    const h = holdState(parseSdp(WEBRTC));
    expect(h.onHold).toBe(false);
    expect(h.streams.map((s) => s.onHold)).toEqual([false, false, false]);
  });

  it('needs every active stream held, and ignores port-0 streams', () => {
    const partly = holdState(
      sdp('198.51.100.7', ['m=audio 5000 RTP/AVP 0', 'a=sendonly', 'm=video 5002 RTP/AVP 31']),
    );
    expect(partly.onHold).toBe(false);
    expect(partly.streams.map((s) => s.onHold)).toEqual([true, false]);
    const rejectedVideo = holdState(
      sdp('198.51.100.7', ['m=audio 5000 RTP/AVP 0', 'a=sendonly', 'm=video 0 RTP/AVP 31', 'a=sendrecv']),
    );
    expect(rejectedVideo.onHold).toBe(true);
    expect(rejectedVideo.streams[1]).toMatchObject({ active: false, onHold: false });
    expect(holdState(sdp('198.51.100.7', ['m=audio 0 RTP/AVP 0'])).onHold).toBe(false);
  });
});

describe('re-INVITE hold and unhold', () => {
  const phone: LocalDescription = {
    address: '198.51.100.7',
    sessionId: '77',
    media: [{ port: 5000, codecs: [{ encodingName: 'PCMA', clockRate: 8000 }], telephoneEvent: true }],
  };
  const pbx: LocalDescription = {
    address: '192.0.2.100',
    sessionId: '88',
    media: [
      {
        port: 30000,
        codecs: [
          { encodingName: 'PCMU', clockRate: 8000 },
          { encodingName: 'PCMA', clockRate: 8000 },
        ],
      },
    ],
  };

  it('holds with sendonly, is answered recvonly, and resumes with sendrecv', () => {
    const offer1 = createOffer(phone);
    const answer1 = createAnswer(parseSdp(serializeSdp(offer1)), pbx);
    expect(holdState(offer1).onHold).toBe(false);

    // the phone puts the call on hold
    const offer2 = createOffer(
      { ...phone, media: [{ ...phone.media[0]!, direction: 'sendonly' }] },
      { previous: offer1 },
    );
    expect(offer2.origin.sessionVersion).toBe('2');
    expect(holdState(offer2)).toMatchObject({ onHold: true, streams: [{ reason: 'sendonly' }] });
    const answer2 = createAnswer(offer2, pbx, { previous: answer1 });
    expect(directionOf(answer2.media[0]!, answer2)).toBe('recvonly');
    expect(answer2.origin.sessionVersion).toBe('2');
    const atPbx = negotiatedSession(offer2, answer2, 'answerer').streams[0]!;
    expect(atPbx).toMatchObject({ remoteHold: true, direction: 'recvonly', remoteDirection: 'sendonly' });
    expect(atPbx.codec).toMatchObject({ encodingName: 'PCMA', payloadType: 8 });

    // and takes it off hold
    const offer3 = createOffer(phone, { previous: offer2 });
    expect(offer3.origin.sessionVersion).toBe('3');
    expect(holdState(offer3).onHold).toBe(false);
    const answer3 = createAnswer(offer3, pbx, { previous: answer2 });
    expect(directionOf(answer3.media[0]!, answer3)).toBe('sendrecv');
    expect(answer3.origin.sessionVersion).toBe('3');
    expect(serializeSdp(answer3).replace(' 3 IN', ' 1 IN')).toBe(serializeSdp(answer1));
  });

  it('an RFC 2543 hold (c=0.0.0.0) is seen as hold and answered without changing direction', () => {
    const offer1 = createOffer(phone);
    const held = parseSdp(serializeSdp(offer1).replace('c=IN IP4 198.51.100.7', 'c=IN IP4 0.0.0.0'));
    expect(holdState(held).streams[0]!.reason).toBe('zero-address');
    const answer = createAnswer(held, pbx);
    expect(directionOf(answer.media[0]!, answer)).toBe('sendrecv');
    expect(negotiatedSession(held, answer, 'answerer').streams[0]!.remoteHold).toBe(true);
  });
});
