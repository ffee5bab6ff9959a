/**
 * Connection handling shared by the stream transports, exercised over real
 * TCP sockets on loopback with a FakeClock for every timeout: framing,
 * reuse, RFC 5923 aliases, idle and incomplete-message timeouts, limits,
 * RFC 5626 keep-alives and the close of a stream whose framing is lost.
 */
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/index.js';
import {
  createResponse,
  createTcpTransport,
  type InboundInfo,
  parseMessage,
  type SipRequest,
  type SipResponse,
  type TcpTransport,
  type TcpTransportOptions,
  TransportLayer,
} from '../../../src/sip/index.js';
import {
  checkNoLeaks,
  collect,
  next,
  optionsRequest,
  rawConnect,
  rawOptions,
  readAll,
  rfc4475,
  settle,
  socketHandles,
} from './helpers.js';

checkNoLeaks({ beforeAll, afterAll });

const opened: Array<{ close(): Promise<void> }> = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(opened.splice(0).map((t) => t.close()));
});

async function tcp(options: TcpTransportOptions = {}): Promise<TcpTransport> {
  const t = await createTcpTransport({ address: '127.0.0.1', port: 0, ...options });
  opened.push(t);
  return t;
}

async function raw(port: number, host = '127.0.0.1'): Promise<Socket> {
  const s = await rawConnect(port, host);
  sockets.push(s);
  return s;
}

/** Writes `data` a few bytes at a time, letting the loop turn between writes. */
async function trickle(s: Socket, data: string, step: number): Promise<void> {
  for (let i = 0; i < data.length; i += step) {
    await new Promise<void>((r) => s.write(data.slice(i, i + step), () => r()));
    await settle(1);
  }
}

const text = (d: Uint8Array) => Buffer.from(d).toString('latin1');

describe('stream framing', () => {
  it('splits many messages that arrive in one segment, in order', async () => {
    const t = await tcp();
    const got = collect(t, 'message');
    const s = await raw(t.local.port);
    const msgs = ['m1', 'm2', 'm3', 'm4'].map((id, i) =>
      rawOptions('127.0.0.1:1', id, 'TCP', 'x'.repeat(i * 10)),
    );
    s.write(msgs.join(''));
    await got.wait(4);
    expect(got.items.map(([d]) => text(d))).toEqual(msgs);
    expect(new Set(got.items.map(([, , id]) => id)).size).toBe(1);
  });

  it('joins one message split over many segments', async () => {
    const t = await tcp();
    const got = collect(t, 'message');
    const s = await raw(t.local.port);
    const msg = rawOptions('127.0.0.1:1', 'split', 'TCP', 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n');
    await trickle(s, msg, 7);
    await got.wait(1);
    expect(got.items).toHaveLength(1);
    expect(text(got.items[0]?.[0] as Uint8Array)).toBe(msg);
  });

  it('answers a CRLFCRLF ping with a CRLF pong, between messages too (RFC 5626 §3.5.1)', async () => {
    const t = await tcp();
    const pings = collect(t, 'keepalive');
    const got = collect(t, 'message');
    const s = await raw(t.local.port);
    const received: Buffer[] = [];
    s.on('data', (c) => received.push(c));
    s.write(`\r\n\r\n${rawOptions('127.0.0.1:1', 'ka')}\r\n\r\n`);
    await got.wait(1);
    await pings.wait(2);
    await settle();
    expect(Buffer.concat(received).toString()).toBe('\r\n\r\n');
    expect(pings.items[0]?.[1]).toBe(got.items[0]?.[2]);
  });

  it('ping() sends a keep-alive that the peer answers', async () => {
    const a = await tcp();
    const b = await tcp();
    const sent = await a.send(Buffer.from(rawOptions('127.0.0.1:1', 'p')), b.local);
    const seen = next(b, 'keepalive');
    await a.ping(sent.connectionId as string);
    await seen;
    await expect(a.ping('tcp#0')).rejects.toMatchObject({ code: 'ERR_TRANSPORT' });
  });
});

describe('connection reuse', () => {
  it('sends to the same endpoint over one connection, even when sends race', async () => {
    const a = await tcp();
    const b = await tcp();
    const got = collect(b, 'message');
    const conns = collect(b, 'connection');
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((i) => a.send(Buffer.from(rawOptions('127.0.0.1:1', `r${i}`)), b.local)),
    );
    await got.wait(5);
    expect(new Set(results.map((r) => r.connectionId)).size).toBe(1);
    expect(a.connectionCount).toBe(1);
    expect(conns.items).toHaveLength(1);
    expect(a.connectionTo(b.local)).toBe(results[0]?.connectionId);
  });

  it('reuses an inbound connection to send back to its source', async () => {
    const a = await tcp();
    const b = await tcp();
    const [data, from, inboundId] = await (async () => {
      const arrived = next(b, 'message');
      await a.send(Buffer.from(rawOptions('127.0.0.1:1', 'in')), b.local);
      return arrived;
    })();
    expect(text(data)).toContain('Call-ID: in');
    const aConnections = collect(a, 'connection');
    const back = next(a, 'message');
    const r = await b.send(Buffer.from(rawOptions('127.0.0.1:2', 'out')), from);
    expect(r.connectionId).toBe(inboundId);
    await back;
    expect(aConnections.items).toHaveLength(0);
    expect(b.connectionCount).toBe(1);
    expect(b.connections()[0]).toMatchObject({ outbound: false, remote: from });
  });

  it('honours a Via alias (RFC 5923) when allowed, so the listening port reuses the connection', async () => {
    for (const aliases of ['all', 'secure'] as const) {
      const at = await tcp();
      const bt = await tcp();
      const a = new TransportLayer({ transports: [at] });
      const b = new TransportLayer({ transports: [bt], aliases });
      const req = optionsRequest();
      req.setHeader('Via', 'SIP/2.0/TCP placeholder.invalid;branch=z9hG4bKalias;alias');
      const arrived = next(b, 'request');
      await a.sendRequest(req, { ...bt.local, protocol: 'TCP' });
      await arrived;
      // b now sends a new request to a's listening port
      const incoming = collect(at, 'connection');
      const got = next(a, 'request');
      await b.sendRequest(optionsRequest(), { ...at.local, protocol: 'TCP' });
      await got;
      expect(incoming.items).toHaveLength(aliases === 'all' ? 0 : 1);
      expect(bt.connectionCount).toBe(aliases === 'all' ? 1 : 2);
      if (aliases === 'all') expect(bt.connections()[0]?.aliases).toEqual([at.local]);
    }
  });
});

describe('timeouts on the injected clock', () => {
  it('closes a connection idle for idleTimeoutMs, and only then', async () => {
    const clock = new FakeClock();
    const a = await tcp({ clock, idleTimeoutMs: 30_000 });
    const b = await tcp({ clock, idleTimeoutMs: 60_000 });
    const arrived = next(b, 'message');
    await a.send(Buffer.from(rawOptions('127.0.0.1:1', 'idle1')), b.local);
    await arrived;
    clock.advance(20_000);
    // activity pushes the deadline back
    const again = next(b, 'message');
    await a.send(Buffer.from(rawOptions('127.0.0.1:1', 'idle2')), b.local);
    await again;
    clock.advance(20_000);
    await settle();
    expect(a.connectionCount).toBe(1);
    const aGone = next(a, 'disconnect');
    const bGone = next(b, 'disconnect');
    clock.advance(10_001);
    const [, , err] = await aGone;
    expect(err).toBeUndefined();
    await bGone; // the peer saw the close
    expect(a.connectionCount).toBe(0);
    expect(b.connectionCount).toBe(0);
  });

  it('waits for the rest of an incomplete message, then closes after no progress (RFC 4475 clerr)', async () => {
    const clock = new FakeClock();
    const t = await tcp({ clock, incompleteMessageTimeoutMs: 10_000 });
    const messages = collect(t, 'message');
    const connected = next(t, 'connection');
    const s = await raw(t.local.port);
    const closed = readAll(s);
    s.write(rfc4475('clerr')); // Content-Length 9999, far fewer body bytes
    await connected;
    const clerr = rfc4475('clerr').length;
    while ((t.connections()[0]?.buffered ?? 0) < clerr) await settle(1);
    clock.advance(9_000);
    await trickle(s, 'more body bytes', 100);
    // the progress must have reached the transport before the clock moves on
    while ((t.connections()[0]?.buffered ?? 0) < clerr + 15) await settle(1);
    clock.advance(9_000); // 18 s since the first bytes, 9 s since the last
    await settle();
    expect(t.connectionCount).toBe(1);
    const gone = next(t, 'disconnect');
    clock.advance(1_001);
    const [, , err] = await gone;
    expect(err).toMatchObject({ code: 'ERR_TIMEOUT' });
    expect((await closed).length).toBe(0); // nothing was answered
    expect(messages.items).toHaveLength(0);
  });
});

describe('limits', () => {
  it('refuses connections beyond the per-address limit', async () => {
    const t = await tcp({ maxConnectionsPerAddress: 2 });
    const errors = collect(t, 'error');
    const conns = collect(t, 'connection');
    await raw(t.local.port);
    await raw(t.local.port);
    await conns.wait(2);
    const third = await raw(t.local.port);
    await readAll(third); // closed by the server without a byte
    expect(t.refusedConnections).toBe(1);
    expect(errors.items[0]?.[0]).toMatchObject({ code: 'ERR_TRANSPORT' });
    expect(t.connectionCount).toBe(2);
    // from another address (::1 through a dual-stack listener) it is still accepted
    const dual = await createTcpTransport({ address: '::', port: 0, maxConnectionsPerAddress: 1 });
    opened.push(dual);
    const dualConns = collect(dual, 'connection');
    await raw(dual.local.port, '127.0.0.1');
    await raw(dual.local.port, '::1');
    await dualConns.wait(2);
    expect(dualConns.items.map(([, r]) => r.address).sort()).toEqual(['127.0.0.1', '::1']);
  });

  it('refuses connections beyond the total limit, inbound and outbound', async () => {
    const t = await tcp({ maxConnections: 2 });
    const other = await tcp();
    const conns = collect(t, 'connection');
    await raw(t.local.port);
    await raw(t.local.port);
    await conns.wait(2);
    const third = await raw(t.local.port);
    await readAll(third);
    expect(t.connectionCount).toBe(2);
    await expect(t.send(Buffer.from('x'), other.local)).rejects.toMatchObject({ code: 'ERR_TRANSPORT' });
    expect(t.refusedConnections).toBe(2);
  });
});

describe('lost framing', () => {
  it('delivers the messages before a bad Content-Length, answers it with 400 and closes (RFC 4475 ncl)', async () => {
    const t = await tcp();
    const layer = new TransportLayer({ transports: [t] });
    const requests = collect(layer, 'request');
    const s = await raw(t.local.port);
    const closed = readAll(s);
    const self = `127.0.0.1:${s.localPort}`;
    const ncl = Buffer.from(text(rfc4475('ncl')).replace('192.0.2.53', self));
    const gone = next(t, 'disconnect');
    s.write(
      Buffer.concat([
        Buffer.from(rawOptions(self, 'before-ncl')),
        ncl,
        Buffer.from(rawOptions(self, 'after-ncl')),
      ]),
    );
    const [, , err] = await gone;
    expect(err).toMatchObject({ code: 'ERR_SIP_PARSE' });
    const answer = parseMessage(await closed) as SipResponse;
    expect(answer.status).toBe(400);
    expect(answer.callId).toBe('ncl.0ha0isndaksdj2193423r542w35');
    expect(requests.items.map(([r]) => r.callId)).toEqual(['before-ncl']);
  });

  it('closes a connection whose message exceeds maxMessageSize, answering nothing', async () => {
    const t = await tcp({ maxMessageSize: 1000 });
    const messages = collect(t, 'message');
    const s = await raw(t.local.port);
    const closed = readAll(s);
    const gone = next(t, 'disconnect');
    s.write(rawOptions('127.0.0.1:1', 'big', 'TCP', 'x'.repeat(2000)));
    const [, , err] = await gone;
    expect(err).toMatchObject({ code: 'ERR_SIP_PARSE', status: 513 });
    expect((await closed).length).toBe(0);
    expect(messages.items).toHaveLength(0);
  });
});

describe('responses over streams (RFC 3261 §18.2.2)', () => {
  it('reopens a connection to received at the sent-by port when the request connection is gone', async () => {
    const at = await tcp();
    const bt = await tcp();
    const a = new TransportLayer({ transports: [at] });
    const b = new TransportLayer({ transports: [bt] });
    const arrived = next(b, 'request');
    const sent = await a.sendRequest(optionsRequest(), { ...bt.local, protocol: 'TCP' });
    const [req, inbound] = (await arrived) as [SipRequest, InboundInfo];
    const gone = next(bt, 'disconnect');
    at.closeConnection(sent.connectionId as string);
    await gone;
    expect(bt.connectionCount).toBe(0);
    const reopened = next(at, 'connection');
    const back = next(a, 'response');
    await b.sendResponse(createResponse(req, 180), inbound);
    const [, remote] = await reopened;
    const [res, resInbound] = await back;
    expect(res.status).toBe(180);
    expect(remote.address).toBe('127.0.0.1');
    expect(resInbound.connectionId).not.toBe(sent.connectionId);
    expect(bt.connections()[0]?.remote.port).toBe(at.local.port);
  });

  it('a client-only transport dials out without listening', async () => {
    const before = socketHandles().TCPServerWrap ?? 0;
    const client = await tcp({ listen: false });
    expect(socketHandles().TCPServerWrap ?? 0).toBe(before);
    expect(client.local.port).toBe(0);
    const server = await tcp();
    const arrived = next(server, 'message');
    await client.send(Buffer.from(rawOptions('127.0.0.1:1', 'client')), server.local);
    await arrived;
    expect(client.connections()[0]?.outbound).toBe(true);
  });
});

describe('flows', () => {
  it('sends a request over the connection named by the target (RFC 5626 flow), even to another port', async () => {
    const bt = await tcp();
    const at = await tcp();
    const a = new TransportLayer({ transports: [at] });
    const b = new TransportLayer({ transports: [bt] });
    // a "registers" over a connection it opened to b
    const arrived = next(b, 'request');
    await a.sendRequest(optionsRequest(), { ...bt.local, protocol: 'TCP' });
    const [, inbound] = (await arrived) as [SipRequest, InboundInfo];
    // b reaches a through that flow although the Contact names a's listening port
    const incoming = collect(at, 'connection');
    const got = next(a, 'request');
    const sent = await b.sendRequest(optionsRequest(), {
      ...at.local,
      protocol: 'TCP',
      connectionId: inbound.connectionId as string,
    });
    await got;
    expect(sent.connectionId).toBe(inbound.connectionId);
    expect(incoming.items).toHaveLength(0);
  });
});
