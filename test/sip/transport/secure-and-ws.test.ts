/**
 * TLS with the test certificate (verification, SNI name checks, PEM from
 * strings and files) and WebSocket per RFC 7118: the `sip` subprotocol,
 * the Origin allow-list, one SIP message per WebSocket message in text or
 * binary frames, keep-alives, WSS.
 */
import { get } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { FakeClock } from '../../../src/core/index.js';
import {
  createResponse,
  createTlsTransport,
  createWsTransport,
  type InboundInfo,
  loadPem,
  type SipRequest,
  type TlsTransportOptions,
  TransportLayer,
  type WsTransportOptions,
} from '../../../src/sip/index.js';
import {
  CERT_PATH,
  CERT_PEM,
  checkNoLeaks,
  collect,
  KEY_PATH,
  KEY_PEM,
  next,
  rawConnect,
  rawOptions,
  settle,
} from './helpers.js';

checkNoLeaks({ beforeAll, afterAll });

const opened: Array<{ close(): Promise<void> }> = [];
const clients: WebSocket[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  await Promise.all(opened.splice(0).map((t) => t.close()));
});

async function tlsT(options: Partial<TlsTransportOptions> = {}) {
  const t = await createTlsTransport({
    address: '127.0.0.1',
    port: 0,
    tls: { cert: CERT_PATH, key: KEY_PATH, ca: CERT_PEM },
    ...options,
  });
  opened.push(t);
  return t;
}

async function wsT(options: WsTransportOptions = {}) {
  const t = await createWsTransport({ address: '127.0.0.1', port: 0, ...options });
  opened.push(t);
  return t;
}

/** A browser-like WebSocket client; resolves when open, rejects with the HTTP status when refused. */
function client(
  url: string,
  protocols: string[],
  options: { origin?: string; ca?: string } = {},
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, options);
    clients.push(ws);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`HTTP ${res.statusCode}`));
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

describe('TLS transport', () => {
  it('loads PEM given inline or as a path, and rejects a missing file with ERR_CONFIG', () => {
    expect(loadPem(CERT_PEM)).toEqual(loadPem(CERT_PATH));
    expect(() => loadPem('/nonexistent/cert.pem')).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
  });

  it('needs a certificate and key to listen', async () => {
    await expect(createTlsTransport({ address: '127.0.0.1', port: 0, tls: {} })).rejects.toMatchObject({
      code: 'ERR_CONFIG',
    });
  });

  it('verifies the server certificate: trusted CA passes, no CA fails, wrong SNI name fails', async () => {
    const server = await tlsT({ tls: { cert: CERT_PEM, key: KEY_PEM } });
    const got = collect(server, 'message');
    const trusting = await tlsT({ listen: false });
    await trusting.send(Buffer.from(rawOptions('127.0.0.1:1', 'tls1')), server.local);
    await trusting.send(Buffer.from(rawOptions('127.0.0.1:1', 'tls2')), server.local, {
      servername: 'sip.strowger.test',
    });
    await got.wait(1);
    expect(trusting.connectionCount).toBe(1); // the second send reused the verified connection

    const fresh = await tlsT({ listen: false });
    await fresh.send(Buffer.from(rawOptions('127.0.0.1:1', 'tls3')), server.local, {
      servername: 'sip.strowger.test',
    });
    const wrongName = await tlsT({ listen: false });
    await expect(
      wrongName.send(Buffer.from('x'), server.local, { servername: 'other.example.com' }),
    ).rejects.toMatchObject({ code: 'ERR_TRANSPORT' });
    const untrusting = await createTlsTransport({ address: '127.0.0.1', port: 0, listen: false, tls: {} });
    opened.push(untrusting);
    await expect(untrusting.send(Buffer.from('x'), server.local)).rejects.toMatchObject({
      code: 'ERR_TRANSPORT',
    });
    await got.wait(3);
    expect(got.items.map(([d]) => Buffer.from(d).toString())).toEqual(
      ['tls1', 'tls2', 'tls3'].map((id) => rawOptions('127.0.0.1:1', id)),
    );
  });

  it('answers keep-alive pings and times idle connections out on the clock', async () => {
    const clock = new FakeClock();
    const server = await tlsT({ clock, idleTimeoutMs: 5000 });
    const c = await tlsT({ listen: false });
    const sent = await c.send(Buffer.from(rawOptions('127.0.0.1:1', 'x')), server.local);
    const ping = next(server, 'keepalive');
    await c.ping(sent.connectionId as string);
    await ping;
    const gone = Promise.all([next(c, 'disconnect'), next(server, 'disconnect')]);
    clock.advance(5000);
    await gone;
    expect(server.connectionCount + c.connectionCount).toBe(0);
  });
});

describe('closing with work in flight', () => {
  it('close() cancels a TLS dial whose handshake never completes and a stalled inbound handshake', async () => {
    // a TCP server that accepts and never speaks TLS
    const sockets: Socket[] = [];
    const mute = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', () => r()));
    const clock = new FakeClock(); // the connect timeout never fires: only close() can end the dial
    const c = await createTlsTransport({
      address: '127.0.0.1',
      port: 0,
      listen: false,
      clock,
      tls: { ca: CERT_PEM },
    });
    const pending = c.send(Buffer.from('x'), {
      address: '127.0.0.1',
      port: (mute.address() as { port: number }).port,
    });
    const rejected = expect(pending).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    // and a TLS server with a client that connects and never says hello
    const server = await createTlsTransport({
      address: '127.0.0.1',
      port: 0,
      clock,
      tls: { cert: CERT_PEM, key: KEY_PEM },
    });
    const silent = await rawConnect(server.local.port);
    while (sockets.length === 0) await settle();
    await settle();
    await c.close();
    await rejected;
    await server.close(); // resolves although the handshake never finished
    silent.destroy();
    for (const s of sockets) s.destroy();
    await new Promise((r) => mute.close(r));
  });
});

describe('WebSocket responses', () => {
  it('does not try to reopen a WebSocket that is gone (RFC 7118: the client is not reachable)', async () => {
    const server = await wsT();
    const layer = new TransportLayer({ transports: [server] });
    const ws = await client(`ws://127.0.0.1:${server.local.port}/`, ['sip']);
    const arrived = next(layer, 'request');
    ws.send(rawOptions('df7jal23ls0d.invalid', 'ws-gone', 'WS'));
    const [req, inbound] = (await arrived) as [SipRequest, InboundInfo];
    expect(req.topVia?.received).toBe('127.0.0.1');
    const gone = next(server, 'disconnect');
    ws.close();
    await gone;
    const dials = collect(server, 'connection');
    await expect(layer.sendResponse(createResponse(req, 200), inbound)).rejects.toMatchObject({
      code: 'ERR_TRANSPORT',
    });
    expect(dials.items).toHaveLength(0);
  });
});

describe('WebSocket transport (RFC 7118)', () => {
  it('requires the "sip" subprotocol and rejects a handshake without it', async () => {
    const t = await wsT();
    const url = `ws://127.0.0.1:${t.local.port}/`;
    await expect(client(url, ['chat'])).rejects.toThrow('HTTP 400');
    await expect(client(url, [])).rejects.toThrow('HTTP 400');
    const ws = await client(url, ['chat', 'sip']);
    expect(ws.protocol).toBe('sip');
    expect(t.connectionCount).toBe(1);
  });

  it('checks Origin against the allow-list', async () => {
    const t = await wsT({ allowedOrigins: ['https://phone.example.com'] });
    const url = `ws://127.0.0.1:${t.local.port}/`;
    await expect(client(url, ['sip'], { origin: 'https://evil.example.net' })).rejects.toThrow('HTTP 403');
    await client(url, ['sip'], { origin: 'https://PHONE.example.com' });
    await client(url, ['sip']); // no Origin: not a browser
    const strict = await wsT({ allowedOrigins: (o) => o === 'https://a.example' });
    await expect(client(`ws://127.0.0.1:${strict.local.port}/`, ['sip'])).rejects.toThrow('HTTP 403');
  });

  it('accepts only its path when one is set, and answers plain HTTP with 426', async () => {
    const t = await wsT({ path: '/sip' });
    await expect(client(`ws://127.0.0.1:${t.local.port}/other`, ['sip'])).rejects.toThrow('HTTP 404');
    await client(`ws://127.0.0.1:${t.local.port}/sip?x=1`, ['sip']);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      get({ host: '127.0.0.1', port: t.local.port, path: '/sip', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on('error', reject);
    });
    expect(status).toBe(426);
  });

  it('takes one SIP message per WebSocket message, text or binary, and answers CRLFCRLF', async () => {
    const t = await wsT();
    const got = collect(t, 'message');
    const pings = collect(t, 'keepalive');
    const ws = await client(`ws://127.0.0.1:${t.local.port}/`, ['sip']);
    const frames: Array<{ data: string; binary: boolean }> = [];
    ws.on('message', (d, isBinary) => frames.push({ data: d.toString(), binary: isBinary }));
    const m1 = rawOptions('a.invalid', 'w1', 'WS');
    const m2 = rawOptions('a.invalid', 'w2', 'WS', 'body');
    ws.send(m1);
    ws.send(Buffer.from(m2), { binary: true });
    ws.send('\r\n\r\n');
    await got.wait(2);
    await pings.wait(1);
    expect(got.items.map(([d]) => Buffer.from(d).toString())).toEqual([m1, m2]);
    // the answer goes back over the same WebSocket, as a text frame for UTF-8 and a binary one otherwise
    const [, remote, id] = got.items[0] as [Uint8Array, { address: string; port: number }, string];
    await t.send(Buffer.from(rawOptions('b.invalid', 'r1', 'WS')), remote, { connectionId: id });
    await t.send(Buffer.from([0x53, 0x49, 0x50, 0xff]), remote, { connectionId: id });
    while (frames.length < 3) await settle();
    expect(frames[0]).toEqual({ data: '\r\n', binary: false });
    expect(frames[1]).toEqual({ data: rawOptions('b.invalid', 'r1', 'WS'), binary: false });
    expect(frames[2]?.binary).toBe(true);
  });

  it('closes a WebSocket whose message exceeds maxMessageSize', async () => {
    const t = await wsT({ maxMessageSize: 500 });
    const got = collect(t, 'message');
    const ws = await client(`ws://127.0.0.1:${t.local.port}/`, ['sip']);
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send(rawOptions('a.invalid', 'big', 'WS', 'x'.repeat(1000)));
    expect(await closed).toBe(1009);
    expect(got.items).toHaveLength(0);
  });

  it('dials out as a WS client with the subprotocol, and fails against a server without it', async () => {
    const server = await wsT();
    const c = await wsT({ listen: false });
    const got = next(server, 'message');
    const r = await c.send(Buffer.from(rawOptions('c.invalid', 'dial', 'WS')), server.local);
    await got;
    expect(r.connectionId).toBeDefined();
    const { WebSocketServer } = await import('ws');
    const plain = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => false });
    await new Promise((r) => plain.once('listening', r));
    const port = (plain.address() as { port: number }).port;
    await expect(c.send(Buffer.from('x'), { address: '127.0.0.1', port })).rejects.toMatchObject({
      code: 'ERR_TRANSPORT',
    });
    await new Promise((r) => plain.close(r));
  });

  it('WSS carries messages over TLS with the test certificate', async () => {
    const server = await wsT({ secure: true, tls: { cert: CERT_PEM, key: KEY_PATH } });
    expect(server.protocol).toBe('WSS');
    const c = await wsT({ secure: true, listen: false, tls: { ca: CERT_PATH } });
    const got = next(server, 'message');
    await c.send(Buffer.from(rawOptions('c.invalid', 'wss', 'WSS')), server.local);
    const [data] = await got;
    expect(Buffer.from(data).toString()).toContain('Call-ID: wss');
    const browser = await client(`wss://127.0.0.1:${server.local.port}/`, ['sip'], { ca: CERT_PEM });
    expect(browser.protocol).toBe('sip');
  });
});
