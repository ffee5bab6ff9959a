/**
 * One contract suite for every SipTransport: each real transport, on
 * 127.0.0.1 and ::1, carries a request and its response through a pair of
 * TransportLayers, stamps Via the way RFC 3261 §18 and RFC 7118 say, refuses
 * to work after close, and leaves no socket open behind it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createResponse,
  createTcpTransport,
  createTlsTransport,
  createUdpTransport,
  createWsTransport,
  type InboundInfo,
  type SipRequest,
  type SipResponse,
  type SipTransport,
  TransportLayer,
  type TransportProtocol,
} from '../../../src/sip/index.js';
import { CERT_PATH, CERT_PEM, KEY_PATH, next, optionsRequest, settle, socketHandles } from './helpers.js';

type Factory = (address: string) => Promise<SipTransport>;

const tls = { cert: CERT_PEM, key: KEY_PATH, ca: CERT_PATH };

const KINDS: Array<{ name: string; protocol: TransportProtocol; make: Factory }> = [
  { name: 'UDP', protocol: 'UDP', make: (address) => createUdpTransport({ address, port: 0 }) },
  { name: 'TCP', protocol: 'TCP', make: (address) => createTcpTransport({ address, port: 0 }) },
  { name: 'TLS', protocol: 'TLS', make: (address) => createTlsTransport({ address, port: 0, tls }) },
  { name: 'WS', protocol: 'WS', make: (address) => createWsTransport({ address, port: 0 }) },
  {
    name: 'WSS',
    protocol: 'WSS',
    make: (address) => createWsTransport({ address, port: 0, secure: true, tls }),
  },
];

for (const kind of KINDS) {
  for (const address of ['127.0.0.1', '::1']) {
    describe(`${kind.name} transport on ${address}`, () => {
      let baseline: Record<string, number>;
      const open: TransportLayer[] = [];
      beforeEach(async () => {
        await settle();
        baseline = socketHandles();
      });
      afterEach(async () => {
        await Promise.all(open.splice(0).map((l) => l.close()));
      });

      async function layer(): Promise<TransportLayer> {
        const l = new TransportLayer({ transports: [await kind.make(address)] });
        open.push(l);
        return l;
      }

      it('binds port 0 to a real port and reports its protocol', async () => {
        const l = await layer();
        const t = l.transports[0] as SipTransport;
        expect(t.protocol).toBe(kind.protocol);
        expect(t.local.address).toBe(address);
        expect(t.local.port).toBeGreaterThan(0);
        expect(t.reliable).toBe(kind.protocol !== 'UDP');
        expect(t.secure).toBe(kind.protocol === 'TLS' || kind.protocol === 'WSS');
        expect(t.advertisedHost).toBe(address);
      });

      it('carries a request and its response, with Via stamped for the transport', async () => {
        const a = await layer();
        const b = await layer();
        const bt = b.transports[0] as SipTransport;
        const at = a.transports[0] as SipTransport;
        const arrived = next(b, 'request');
        const sent = await a.sendRequest(
          optionsRequest(`sip:b@${address.includes(':') ? `[${address}]` : address}`),
          {
            address,
            port: bt.local.port,
            protocol: kind.protocol,
          },
        );
        expect(sent.transport).toBe(at);
        expect(sent.connectionId === undefined).toBe(kind.protocol === 'UDP');
        const [req, inbound] = (await arrived) as [SipRequest, InboundInfo];
        const via = req.topVia;
        expect(via?.transport).toBe(kind.protocol);
        expect(via?.host).toBe(address);
        expect(via?.port).toBe(at.local.port);
        // rport = the real source port (RFC 3581); received is added with rport even when the host matches
        expect(via?.rport).toBe(inbound.remote.port);
        expect(via?.received).toBe(address);
        expect(inbound.remote.address).toBe(address);
        expect(inbound.transport).toBe(bt);
        expect(inbound.connectionId === undefined).toBe(kind.protocol === 'UDP');
        if (kind.protocol === 'UDP') expect(inbound.remote.port).toBe(at.local.port);
        // Via sent-by of IPv6 is bracketed on the wire
        if (address.includes(':')) expect(req.getHeader('Via')).toContain(`[${address}]:${at.local.port}`);

        const back = next(a, 'response');
        await b.sendResponse(createResponse(req, 200, { toTag: 't1' }), inbound);
        const [res] = (await back) as [SipResponse, InboundInfo];
        expect(res.status).toBe(200);
        expect(res.callId).toBe(req.callId);
        expect(res.toTag).toBe('t1');
      });

      it('close is idempotent, refuses later sends and leaves no socket open', async () => {
        const a = await layer();
        const b = await layer();
        const bt = b.transports[0] as SipTransport;
        const arrived = next(b, 'request');
        await a.sendRequest(optionsRequest(), { address, port: bt.local.port, protocol: kind.protocol });
        await arrived;
        const closed = next(bt, 'close');
        const first = b.close();
        expect(b.close()).toBe(first);
        await first;
        await closed;
        expect(bt.closed).toBe(true);
        await expect(bt.send(new Uint8Array(4), { address, port: 9 })).rejects.toMatchObject({
          code: 'ERR_CLOSED',
        });
        await a.close();
        await a.close();
        open.length = 0;
        await settle();
        expect(socketHandles()).toEqual(baseline);
      });
    });
  }
}
