import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock, flushMicrotasks } from '../../../src/core/index.js';
import {
  createRequest,
  createResponse,
  type InboundInfo,
  LoopNetwork,
  parseMessage,
  type SipRequest,
  type SipResponse,
  TransportLayer,
} from '../../../src/sip/index.js';

function pair(protocol: 'UDP' | 'TCP' = 'UDP') {
  const clock = new FakeClock();
  const net = new LoopNetwork({ clock });
  const a = new TransportLayer({
    transports: [net.createTransport({ address: '10.0.0.1', port: 5060, protocol })],
    clock,
  });
  const b = new TransportLayer({
    transports: [net.createTransport({ address: '10.0.0.2', port: 5070, protocol })],
    clock,
  });
  return { net, a, b, clock };
}

function options(): SipRequest {
  return createRequest({
    method: 'OPTIONS',
    uri: 'sip:b@10.0.0.2:5070',
    from: '<sip:a@10.0.0.1>;tag=1',
    to: 'sip:b@10.0.0.2',
    callId: 'c1@10.0.0.1',
    cseq: 1,
    via: ['SIP/2.0/UDP placeholder;branch=z9hG4bKabc'],
  });
}

describe('TransportLayer over the loop network', () => {
  it('stamps the top Via on send and received/rport on arrival, and routes the response back', async () => {
    const { a, b } = pair();
    const got: Array<[SipRequest, InboundInfo]> = [];
    b.on('request', (r, i) => got.push([r, i]));
    const responses: SipResponse[] = [];
    a.on('response', (r) => responses.push(r));
    await a.sendRequest(options(), { address: '10.0.0.2', port: 5070, protocol: 'UDP' });
    await flushMicrotasks();
    expect(got).toHaveLength(1);
    const [req, inbound] = got[0]!;
    expect(req.topVia?.host).toBe('10.0.0.1');
    expect(req.topVia?.port).toBe(5060);
    expect(req.topVia?.rport).toBe(5060);
    expect(req.topVia?.received).toBe('10.0.0.1');
    await b.sendResponse(createResponse(req, 200, { toTag: 'x' }), inbound);
    await flushMicrotasks();
    expect(responses.map((r) => r.status)).toEqual([200]);
    expect(responses[0]?.toTag).toBe('x');
  });

  it('answers an unparseable request statelessly with 400 and drops a broken response', async () => {
    const { net, a, b } = pair();
    const replies: SipResponse[] = [];
    a.on('response', (r) => replies.push(r));
    const errors: string[] = [];
    b.on('parseError', (e) => errors.push(e.message));
    const bad = readFileSync(join(__dirname, '../../fixtures/sip/rfc4475/mismatch01.dat'));
    const from = net.createTransport({ address: '192.0.2.1', port: 5060 });
    await from.send(bad, { address: '10.0.0.2', port: 5070 });
    await flushMicrotasks();
    expect(errors).toHaveLength(1);
    const bigcode = readFileSync(join(__dirname, '../../fixtures/sip/rfc4475/bigcode.dat'));
    await from.send(bigcode, { address: '10.0.0.2', port: 5070 });
    await flushMicrotasks();
    expect(errors).toHaveLength(2);
    const fromB = net.log.filter((p) => p.from.address === '10.0.0.2');
    expect(fromB).toHaveLength(1); // the 400 for mismatch01; the broken response got no answer
    const answer = parseMessage(fromB[0]!.data) as SipResponse;
    expect(answer.status).toBe(400);
    expect(answer.callId).toBe('mismatch01.dj0234sxdfl3');
    // the Via says host.example.com, but the answer goes where the request came from (received, §18.2.1)
    expect(answer.topVia?.host).toBe('host.example.com');
    expect(answer.topVia?.received).toBe('192.0.2.1');
    expect(fromB[0]!.to).toEqual({ address: '192.0.2.1', port: 5060 });
    expect(replies).toHaveLength(0);
  });

  it('hands a response and a request to the transport synchronously (the transaction layer relies on it)', async () => {
    const { net, a, b } = pair();
    let inbound: InboundInfo | undefined;
    let req: SipRequest | undefined;
    b.on('request', (r, i) => {
      req = r;
      inbound = i;
    });
    const sending = a.sendRequest(options(), { address: '10.0.0.2', port: 5070, protocol: 'UDP' });
    expect(net.log).toHaveLength(1);
    await sending;
    await flushMicrotasks();
    const answering = b.sendResponse(createResponse(req!, 200), inbound);
    expect(net.log).toHaveLength(2);
    expect(net.log[1]?.to).toEqual({ address: '10.0.0.1', port: 5060 });
    await answering;
  });

  it('never sends a response to a broadcast address', async () => {
    const { b } = pair();
    const req = parseMessage(
      'OPTIONS sip:x@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: q\r\nCSeq: 1 OPTIONS\r\n\r\n',
    ) as SipRequest;
    await expect(b.sendResponse(createResponse(req, 200))).rejects.toMatchObject({ code: 'ERR_TRANSPORT' });
  });

  it('reliable transports answer over the request connection', async () => {
    const { a, b } = pair('TCP');
    let inbound: InboundInfo | undefined;
    let req: SipRequest | undefined;
    b.on('request', (r, i) => {
      req = r;
      inbound = i;
    });
    const responses: SipResponse[] = [];
    a.on('response', (r) => responses.push(r));
    const sent = await a.sendRequest(options(), { address: '10.0.0.2', port: 5070, protocol: 'TCP' });
    expect(sent.connectionId).toBeDefined();
    await flushMicrotasks();
    expect(inbound?.connectionId).toBeDefined();
    expect(req?.topVia?.transport).toBe('TCP');
    await b.sendResponse(createResponse(req!, 486), inbound);
    await flushMicrotasks();
    expect(responses.map((r) => r.status)).toEqual([486]);
  });
});

describe('statelessErrorResponse', () => {
  it('answers a request missing From/To/Call-ID with a 400 that still parses (RFC 4475 insuf)', async () => {
    const { statelessErrorResponse, SipParseError: E } = await import('../../../src/sip/index.js');
    const insuf = readFileSync(join(__dirname, '../../fixtures/sip/rfc4475/insuf.dat'));
    let err: InstanceType<typeof E> | undefined;
    try {
      parseMessage(insuf);
    } catch (e) {
      err = e as InstanceType<typeof E>;
    }
    const res = statelessErrorResponse(insuf, err!);
    expect(res?.status).toBe(400);
    const back = parseMessage(Buffer.from(res!.toString())) as SipResponse;
    expect(back.status).toBe(400);
    expect(back.cseq).toEqual({ seq: 193942, method: 'INVITE' });
    expect(back.to.uri.toString()).toBe('sip:anonymous@anonymous.invalid');
    expect(back.topVia?.branch).toBe('z9hG4bKkdj.insuf');
  });
});
