/**
 * The TransportLayer over real sockets: the switch to TCP above the MTU
 * (RFC 3261 §18.1.1), received/rport for IPv4 and IPv6 (§18.2.1, RFC 3581,
 * RFC 5118), response routing to the real source, host names resolved
 * through the injected resolver, and the refusal to send to broadcast.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createResponse,
  createStaticResolver,
  createTcpTransport,
  createUdpTransport,
  type InboundInfo,
  parseMessage,
  type SipRequest,
  type SipResponse,
  type SipTransport,
  TransportLayer,
} from '../../../src/sip/index.js';
import { checkNoLeaks, collect, next, optionsRequest, rawOptions } from './helpers.js';

checkNoLeaks({ beforeAll, afterAll });

const layers: TransportLayer[] = [];
const raws: Socket[] = [];

afterEach(async () => {
  for (const s of raws.splice(0)) s.close();
  await Promise.all(layers.splice(0).map((l) => l.close()));
});

function track(l: TransportLayer): TransportLayer {
  layers.push(l);
  return l;
}

/** UDP and TCP on the same port number (RFC 3261 §18.1.1 sends the large request to the same port over TCP). */
async function udpAndTcp(address: string): Promise<SipTransport[]> {
  for (let attempt = 0; ; attempt++) {
    const u = await createUdpTransport({ address, port: 0 });
    try {
      const t = await createTcpTransport({ address, port: u.local.port });
      return [u, t];
    } catch (err) {
      await u.close();
      if (attempt === 5) throw err;
    }
  }
}

async function rawUdp(type: 'udp4' | 'udp6', address: string): Promise<Socket> {
  const s = createSocket(type);
  raws.push(s);
  await new Promise<void>((r) => s.bind(0, address, () => r()));
  return s;
}

function nextDatagram(s: Socket): Promise<Buffer> {
  return new Promise((r) => s.once('message', r));
}

describe('TransportLayer over sockets', () => {
  it('moves a request above the MTU from UDP to TCP when there is a TCP transport (§18.1.1)', async () => {
    const a = track(new TransportLayer({ transports: await udpAndTcp('127.0.0.1') }));
    const b = track(new TransportLayer({ transports: await udpAndTcp('127.0.0.1') }));
    const port = (b.transports[0] as SipTransport).local.port;
    const small = optionsRequest();
    const big = optionsRequest();
    big.setBody('x'.repeat(1400), 'text/plain');
    let arrived = next(b, 'request');
    const s1 = await a.sendRequest(small, { address: '127.0.0.1', port, protocol: 'UDP' });
    expect(s1.transport.protocol).toBe('UDP');
    expect(((await arrived)[0] as SipRequest).topVia?.transport).toBe('UDP');
    arrived = next(b, 'request');
    const s2 = await a.sendRequest(big, { address: '127.0.0.1', port, protocol: 'UDP' });
    expect(s2.transport.protocol).toBe('TCP');
    expect(s2.target).toMatchObject({ protocol: 'TCP', port });
    const [req, inbound] = (await arrived) as [SipRequest, InboundInfo];
    expect(req.topVia?.transport).toBe('TCP');
    expect(inbound.transport.protocol).toBe('TCP');
    expect(req.body.length).toBe(1400);
  });

  it('stamps the top Via synchronously, before the send settles (the transaction layer reads it at once)', async () => {
    const resolver = createStaticResolver({ hosts: { 'b.test': ['127.0.0.1'] } });
    const a = track(new TransportLayer({ transports: await udpAndTcp('127.0.0.1'), resolver }));
    const b = track(new TransportLayer({ transports: await udpAndTcp('127.0.0.1') }));
    const port = (b.transports[0] as SipTransport).local.port;
    const small = optionsRequest();
    const big = optionsRequest();
    big.setBody('z'.repeat(1400), 'text/plain');
    const named = optionsRequest();
    const sends = [
      a.sendRequest(small, { address: '127.0.0.1', port, protocol: 'UDP' }),
      a.sendRequest(big, { address: '127.0.0.1', port, protocol: 'UDP' }),
      a.sendRequest(named, { address: 'b.test', port, protocol: 'UDP' }),
    ];
    // no await yet
    expect(small.topVia?.transport).toBe('UDP');
    expect(big.topVia?.transport).toBe('TCP');
    expect(named.topVia?.transport).toBe('UDP');
    expect(small.topVia?.host).toBe('127.0.0.1');
    expect(named.topVia?.port).toBe((a.transports[0] as SipTransport).local.port);
    const arrived = collect(b, 'request');
    await Promise.all(sends);
    await arrived.wait(3);
  });

  it('keeps a large request on UDP under a larger configured MTU, or without TCP', async () => {
    const a = track(new TransportLayer({ transports: await udpAndTcp('127.0.0.1'), mtu: 4000 }));
    const onlyUdp = track(
      new TransportLayer({ transports: [await createUdpTransport({ address: '127.0.0.1', port: 0 })] }),
    );
    const b = track(new TransportLayer({ transports: await udpAndTcp('127.0.0.1') }));
    const port = (b.transports[0] as SipTransport).local.port;
    for (const sender of [a, onlyUdp]) {
      const big = optionsRequest();
      big.setBody('y'.repeat(2000), 'text/plain');
      const arrived = next(b, 'request');
      const sent = await sender.sendRequest(big, { address: '127.0.0.1', port, protocol: 'UDP' });
      expect(sent.transport.protocol).toBe('UDP');
      expect(((await arrived)[1] as InboundInfo).transport.protocol).toBe('UDP');
    }
  });

  for (const [type, local, foreign] of [
    ['udp4', '127.0.0.1', '192.0.2.7'],
    ['udp6', '::1', '2001:db8::7'],
  ] as const) {
    it(`stamps received and rport from the real ${type} source and answers there (§18.2.1, RFC 3581)`, async () => {
      const b = track(
        new TransportLayer({ transports: [await createUdpTransport({ address: local, port: 0 })] }),
      );
      const port = (b.transports[0] as SipTransport).local.port;
      const peer = await rawUdp(type, local);
      const sentBy = foreign.includes(':') ? `[${foreign}]:5060` : `${foreign}:5060`;
      const arrived = next(b, 'request');
      peer.send(rawOptions(`${sentBy};rport`, `rport-${type}`, 'UDP'), port, local);
      const [req, inbound] = (await arrived) as [SipRequest, InboundInfo];
      expect(req.topVia?.host).toBe(foreign);
      expect(req.topVia?.received).toBe(local);
      expect(req.topVia?.rport).toBe(peer.address().port);
      const answer = nextDatagram(peer);
      await b.sendResponse(createResponse(req, 200), inbound);
      const res = parseMessage(await answer) as SipResponse;
      expect(res.status).toBe(200);
      expect(res.topVia?.received).toBe(local);

      // without rport the answer goes to received at the sent-by port: here that is the peer's own port
      const arrived2 = next(b, 'request');
      const self = local.includes(':')
        ? `[${foreign}]:${peer.address().port}`
        : `${foreign}:${peer.address().port}`;
      peer.send(rawOptions(self, `norport-${type}`, 'UDP'), port, local);
      const [req2, inbound2] = (await arrived2) as [SipRequest, InboundInfo];
      expect(req2.topVia?.received).toBe(local);
      expect(req2.topVia?.rport).toBeUndefined();
      const answer2 = nextDatagram(peer);
      await b.sendResponse(createResponse(req2, 202), inbound2);
      expect((parseMessage(await answer2) as SipResponse).status).toBe(202);
    });
  }

  it('adds no received when the sent-by is the source address in another IPv6 spelling', async () => {
    const b = track(
      new TransportLayer({ transports: [await createUdpTransport({ address: '::1', port: 0 })] }),
    );
    const peer = await rawUdp('udp6', '::1');
    const arrived = next(b, 'request');
    peer.send(
      rawOptions(`[0:0:0:0:0:0:0:1]:${peer.address().port}`, 'spelling', 'UDP'),
      (b.transports[0] as SipTransport).local.port,
      '::1',
    );
    const [req] = (await arrived) as [SipRequest];
    expect(req.topVia?.received).toBeUndefined();
    expect(req.getHeader('Via')).toContain('[0:0:0:0:0:0:0:1]');
  });

  it('answers an unparseable request at its real source, IPv6 included', async () => {
    const b = track(
      new TransportLayer({ transports: [await createUdpTransport({ address: '::1', port: 0 })] }),
    );
    const peer = await rawUdp('udp6', '::1');
    const broken = rawOptions('[2001:db8::1]:5060;rport', 'broken', 'UDP').replace(
      'CSeq: 1 OPTIONS',
      'CSeq: 1 INVITE',
    );
    const answer = nextDatagram(peer);
    const parseError = next(b, 'parseError');
    peer.send(broken, (b.transports[0] as SipTransport).local.port, '::1');
    await parseError;
    const res = parseMessage(await answer) as SipResponse;
    expect(res.status).toBe(400);
    expect(res.topVia?.received).toBe('::1');
    expect(res.topVia?.rport).toBe(peer.address().port);
  });

  it('resolves a host-name destination through the injected resolver', async () => {
    const peer = await rawUdp('udp4', '127.0.0.1');
    const resolver = createStaticResolver({ hosts: { 'peer.test': ['127.0.0.1'] } });
    const b = track(
      new TransportLayer({
        transports: [await createUdpTransport({ address: '127.0.0.1', port: 0 })],
        resolver,
      }),
    );
    const req = parseMessage(rawOptions(`peer.test:${peer.address().port}`, 'named', 'UDP')) as SipRequest;
    const answer = nextDatagram(peer);
    await b.sendResponse(createResponse(req, 200)); // no inbound info: route by the Via alone
    expect((parseMessage(await answer) as SipResponse).status).toBe(200);
    const arrived = nextDatagram(peer);
    await b.sendRequest(optionsRequest(), {
      address: 'peer.test',
      port: peer.address().port,
      protocol: 'UDP',
    });
    expect((parseMessage(await arrived) as SipRequest).method).toBe('OPTIONS');
    await expect(
      b.sendRequest(optionsRequest(), { address: 'nowhere.test', port: 5060, protocol: 'UDP' }),
    ).rejects.toMatchObject({ code: 'ERR_TRANSPORT' });
  });

  it('never sends to a broadcast address, whatever the Via or target says', async () => {
    const b = track(
      new TransportLayer({ transports: [await createUdpTransport({ address: '0.0.0.0', port: 0 })] }),
    );
    await expect(
      b.sendRequest(optionsRequest(), { address: '255.255.255.255', port: 5060, protocol: 'UDP' }),
    ).rejects.toMatchObject({ code: 'ERR_TRANSPORT' });
    const req = parseMessage(
      rawOptions('192.0.2.1:5060;received=255.255.255.255;rport=5060', 'bcast', 'UDP'),
    ) as SipRequest;
    await expect(b.sendResponse(createResponse(req, 200))).rejects.toMatchObject({ code: 'ERR_TRANSPORT' });
  });

  it('picks the transport of the destination address family', async () => {
    const v4 = await createUdpTransport({ address: '127.0.0.1', port: 0 });
    const v6 = await createUdpTransport({ address: '::1', port: 0 });
    const l = track(new TransportLayer({ transports: [v4, v6] }));
    expect(l.transportFor('UDP', '::1')).toBe(v6);
    expect(l.transportFor('UDP', '192.0.2.1')).toBe(v4);
    expect(l.transportFor('UDP')).toBe(v4);
    expect(l.transportFor('TCP', '::1')).toBeUndefined();
    const peer = await rawUdp('udp6', '::1');
    const got = nextDatagram(peer);
    const sent = await l.sendRequest(optionsRequest('sip:b@[::1]'), {
      address: '::1',
      port: peer.address().port,
      protocol: 'UDP',
    });
    expect(sent.transport).toBe(v6);
    expect((parseMessage(await got) as SipRequest).topVia?.host).toBe('::1');
  });
});
