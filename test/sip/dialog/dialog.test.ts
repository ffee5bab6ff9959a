import { describe, expect, it } from 'vitest';
import {
  Dialog,
  dialogIdOfIncomingRequest,
  dialogIdOfResponse,
  dialogKey,
} from '../../../src/sip/dialog/index.js';
import {
  createResponse,
  parseMessage,
  parseUri,
  type SipRequest,
  type SipResponse,
  type SipUri,
} from '../../../src/sip/index.js';

const lines = (...l: string[]) => `${l.join('\r\n')}\r\n\r\n`;
const INVITE = lines(
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@pc33.atlanta.example.com>',
  'Record-Route: <sip:p2.biloxi.example.com;lr>, <sip:p1.atlanta.example.com;lr>',
  'Content-Length: 0',
);

const invite = () => parseMessage(INVITE) as SipRequest;
function answer(req: SipRequest, status: number): SipResponse {
  return createResponse(req, status, {
    toTag: 'a6c85cf',
    headers: [
      ['Record-Route', '<sip:p2.biloxi.example.com;lr>, <sip:p1.atlanta.example.com;lr>'],
      ['Contact', '<sip:bob@192.0.2.4>'],
    ],
  });
}

describe('Dialog (RFC 3261 §12)', () => {
  it('the UAC side: early on 1xx, route set reversed, remote target from Contact', () => {
    const req = invite();
    const d = Dialog.fromResponse(req, answer(req, 180));
    expect(d.state).toBe('early');
    expect(d.id).toEqual({ callId: 'a84b4c76e66710', localTag: '1928301774', remoteTag: 'a6c85cf' });
    expect(d.routeSet.map(String)).toEqual([
      '<sip:p1.atlanta.example.com;lr>',
      '<sip:p2.biloxi.example.com;lr>',
    ]);
    expect(d.remoteTarget.toString()).toBe('sip:bob@192.0.2.4');
    expect(d.localSeq).toBe(314159);
    expect(d.nextHopUri().toString()).toBe('sip:p1.atlanta.example.com;lr');
    d.confirm();
    expect(d.state).toBe('confirmed');
  });

  it('builds in-dialog requests with tags, routes and the next CSeq; ACK reuses the INVITE CSeq', () => {
    const req = invite();
    const d = Dialog.fromResponse(req, answer(req, 200));
    const ack = d.createAck(314159);
    expect(ack.cseq).toEqual({ seq: 314159, method: 'ACK' });
    const bye = d.createRequest('BYE');
    expect(bye.uri.toString()).toBe('sip:bob@192.0.2.4');
    expect(bye.getHeaders('Route')).toEqual([
      '<sip:p1.atlanta.example.com;lr>',
      '<sip:p2.biloxi.example.com;lr>',
    ]);
    expect(bye.cseq).toEqual({ seq: 314160, method: 'BYE' });
    expect(bye.fromTag).toBe('1928301774');
    expect(bye.toTag).toBe('a6c85cf');
    expect(bye.from.displayName).toBe('Alice');
    expect(bye.hasHeader('Contact')).toBe(false);
    const reinvite = d.createRequest('INVITE', { body: 'v=0\r\n', contentType: 'application/sdp' });
    expect(reinvite.cseq.seq).toBe(314161);
    expect(reinvite.contacts[0]?.uri.toString()).toBe('sip:alice@pc33.atlanta.example.com');
    expect(dialogIdOfResponse(answer(req, 200))).toEqual(d.id);
  });

  it('the UAS side: route set as received, remote CSeq checked, target refresh', () => {
    const req = invite();
    const d = Dialog.fromRequest(req, 'uas-tag', parseUri('sip:bob@192.0.2.4'));
    expect(d.role).toBe('uas');
    expect(d.routeSet.map(String)).toEqual([
      '<sip:p2.biloxi.example.com;lr>',
      '<sip:p1.atlanta.example.com;lr>',
    ]);
    expect(d.remoteTarget.toString()).toBe('sip:alice@pc33.atlanta.example.com');
    const bye = d.createRequest('BYE');
    expect(bye.cseq.seq).toBe(1);
    expect(bye.fromTag).toBe('uas-tag');
    expect(bye.toTag).toBe('1928301774');
    expect(bye.uri.toString()).toBe('sip:alice@pc33.atlanta.example.com');

    const inDialog = (seq: number, method = 'INFO', contact?: string) =>
      parseMessage(
        lines(
          `${method} sip:bob@192.0.2.4 SIP/2.0`,
          'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnew',
          'To: <sip:bob@biloxi.example.com>;tag=uas-tag',
          'From: <sip:alice@atlanta.example.com>;tag=1928301774',
          'Call-ID: a84b4c76e66710',
          `CSeq: ${seq} ${method}`,
          ...(contact ? [`Contact: ${contact}`] : []),
        ),
      ) as SipRequest;
    expect(dialogKey(dialogIdOfIncomingRequest(inDialog(1))!)).toBe(d.key);
    expect(d.receiveRequest(inDialog(314160))).toBeUndefined();
    expect(d.receiveRequest(inDialog(314160))).toBe(500); // not newer
    expect(d.receiveRequest(inDialog(5))).toBe(500); // older
    expect(d.receiveRequest(inDialog(314160, 'ACK'))).toBeUndefined();
    const re = inDialog(314161, 'INVITE', '<sip:alice@198.51.100.7:5080>');
    expect(d.receiveRequest(re)).toBeUndefined();
    d.refreshTarget(re);
    expect(d.remoteTarget.toString()).toBe('sip:alice@198.51.100.7:5080');
  });

  it('strict routing: the first route becomes the Request-URI and the remote target the last Route', () => {
    const req = invite();
    const res = createResponse(req, 200, {
      toTag: 't',
      headers: [
        ['Record-Route', '<sip:strict.example.com>'],
        ['Contact', '<sip:bob@192.0.2.4>'],
      ],
    });
    const d = Dialog.fromResponse(req, res);
    const bye = d.createRequest('BYE');
    expect(bye.uri.toString()).toBe('sip:strict.example.com');
    expect(bye.getHeaders('Route')).toEqual(['<sip:bob@192.0.2.4>']);
  });

  it('refuses to build a dialog without tags or Contact, and requests after termination', () => {
    const req = invite();
    expect(() => Dialog.fromResponse(req, createResponse(req, 180))).toThrow(/To tag/);
    const d = Dialog.fromResponse(req, answer(req, 200));
    d.terminate();
    expect(() => d.createRequest('BYE')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    expect((d.localTarget as SipUri).host).toBe('pc33.atlanta.example.com');
  });
});
