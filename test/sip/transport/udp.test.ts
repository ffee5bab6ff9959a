/** UDP specifics: binding, IPv4/IPv6 and dual stack, refusals, keep-alive datagrams, buffers. */
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createUdpTransport, type UdpTransport } from '../../../src/sip/index.js';
import { checkNoLeaks, collect, next, rawOptions, settle } from './helpers.js';

checkNoLeaks({ beforeAll, afterAll });

const opened: Array<{ close(): Promise<void> }> = [];
const raws: Socket[] = [];

afterEach(async () => {
  for (const s of raws.splice(0)) s.close();
  await Promise.all(opened.splice(0).map((t) => t.close()));
});

/** Set by each run of the suite: the socket on this thread, or on its own I/O thread. */
let ioThread = false;

async function udp(address: string, port = 0, ipv6Only?: boolean): Promise<UdpTransport> {
  const t = await createUdpTransport({
    address,
    port,
    ioThread,
    ...(ipv6Only === undefined ? {} : { ipv6Only }),
  });
  opened.push(t);
  return t;
}

async function rawUdp(type: 'udp4' | 'udp6', address: string): Promise<Socket> {
  const s = createSocket(type);
  raws.push(s);
  await new Promise<void>((r) => s.bind(0, address, () => r()));
  return s;
}

describe.each([false, true])('UDP transport, ioThread %s', (threaded) => {
  beforeAll(() => {
    ioThread = threaded;
  });

  it('rejects bad bind options with ERR_INVALID_ARGUMENT and a taken port with ERR_TRANSPORT', async () => {
    await expect(createUdpTransport({ address: 'localhost' })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(createUdpTransport({ address: '127.0.0.1', port: 70000 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    const t = await udp('127.0.0.1');
    await expect(
      createUdpTransport({ address: '127.0.0.1', port: t.local.port, ioThread }),
    ).rejects.toMatchObject({
      code: 'ERR_TRANSPORT',
    });
  });

  it('asks the kernel for the receive buffer it is given and reports what it got', async () => {
    // Linux grants min(asked, net.core.rmem_max) and reports twice that
    const max = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
    const asked = 96 * 1024;
    const t = await createUdpTransport({ address: '127.0.0.1', port: 0, receiveBufferSize: asked, ioThread });
    expect(t.receiveBufferSize).toBe(2 * Math.min(asked, max));
    const huge = await createUdpTransport({
      address: '127.0.0.1',
      port: 0,
      receiveBufferSize: 1 << 30,
      ioThread,
    });
    expect(huge.receiveBufferSize).toBe(2 * Math.min(1 << 30, max));
    await Promise.all([t.close(), huge.close()]);
    expect(t.receiveBufferSize).toBe(0);
  });

  it('a dual-stack :: socket talks to IPv4 and IPv6 peers and reports IPv4 peers as plain IPv4', async () => {
    const t = await udp('::');
    const got = collect(t, 'message');
    const v4 = await rawUdp('udp4', '127.0.0.1');
    const v6 = await rawUdp('udp6', '::1');
    v4.send(rawOptions('127.0.0.1:1', 'v4', 'UDP'), t.local.port, '127.0.0.1');
    v6.send(rawOptions('[::1]:1', 'v6', 'UDP'), t.local.port, '::1');
    await got.wait(2);
    const from = got.items.map(([, r]) => r).sort((a, b) => (a.address < b.address ? -1 : 1));
    expect(from).toEqual([
      { address: '127.0.0.1', port: v4.address().port },
      { address: '::1', port: v6.address().port },
    ]);
    const back = new Promise<Buffer>((r) => v4.once('message', r));
    await t.send(Buffer.from('reply'), { address: '127.0.0.1', port: v4.address().port });
    expect((await back).toString()).toBe('reply');
  });

  it('refuses destinations it cannot or must not reach', async () => {
    const t = await udp('127.0.0.1');
    const six = await udp('::1', 0, true);
    const bad = [
      t.send(Buffer.from('x'), { address: '::1', port: 5060 }),
      six.send(Buffer.from('x'), { address: '127.0.0.1', port: 5060 }),
      t.send(Buffer.from('x'), { address: 'example.com', port: 5060 }),
      t.send(Buffer.from('x'), { address: '255.255.255.255', port: 5060 }),
      t.send(Buffer.from('x'), { address: '0.0.0.0', port: 5060 }),
      t.send(Buffer.from('x'), { address: '127.0.0.1', port: 0 }),
      t.send(new Uint8Array(70_000), { address: '127.0.0.1', port: 9 }),
    ];
    for (const p of bad) await expect(p).rejects.toMatchObject({ code: 'ERR_TRANSPORT' });
  });

  it('close() lets the datagrams already handed to send() go out, then refuses more', async () => {
    const t = await udp('127.0.0.1');
    const s = await rawUdp('udp4', '127.0.0.1');
    const got: string[] = [];
    const all = new Promise<void>((res) => {
      s.on('message', (m) => {
        got.push(m.toString());
        if (got.length === 20) res();
      });
    });
    const sends = [];
    for (let i = 0; i < 20; i++)
      sends.push(
        t.send(new TextEncoder().encode(`last ${i}`), { address: '127.0.0.1', port: s.address().port }),
      );
    const closed = t.close();
    await expect(
      t.send(new Uint8Array(1), { address: '127.0.0.1', port: s.address().port }),
    ).rejects.toMatchObject({
      code: 'ERR_CLOSED',
    });
    await Promise.all(sends);
    await closed;
    await all;
    expect(got.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `last ${i}`).sort());
  });

  it('carries bursts both ways whole, in order, each with its own peer', async () => {
    const t = await udp('127.0.0.1');
    const a = await rawUdp('udp4', '127.0.0.1');
    const b = await rawUdp('udp4', '127.0.0.1');
    // within a default kernel receive buffer (≈ 208 KiB, ≈ 2.3 KiB a datagram of this size)
    const n = 60;
    // in: two peers, interleaved, sizes from 1 byte to ~1.5 KB
    const got = collect(t, 'message');
    for (let i = 0; i < n; i++) {
      const s = i % 2 ? b : a;
      s.send(`${i} ${'x'.repeat((i * 37) % 1500)}`, t.local.port, '127.0.0.1');
    }
    await got.wait(n);
    const ins = got.items.map(([m, remote]) => ({ m: Buffer.from(m).toString(), port: remote.port }));
    expect(ins.map((x) => Number(x.m.split(' ')[0]))).toEqual(Array.from({ length: n }, (_, i) => i));
    ins.forEach((x, i) => {
      expect(x.m).toBe(`${i} ${'x'.repeat((i * 37) % 1500)}`);
      expect(x.port).toBe((i % 2 ? b : a).address().port);
    });
    // out: one turn's sends to two peers
    const toA: string[] = [];
    const toB: string[] = [];
    const arrived = new Promise<void>((res) => {
      const check = () => toA.length + toB.length === n && res();
      a.on('message', (m) => {
        toA.push(m.toString());
        check();
      });
      b.on('message', (m) => {
        toB.push(m.toString());
        check();
      });
    });
    const sent = [];
    for (let i = 0; i < n; i++)
      sent.push(
        t.send(Buffer.from(`out ${i}`), { address: '127.0.0.1', port: (i % 2 ? b : a).address().port }),
      );
    for (const r of await Promise.all(sent)) expect(r.local).toEqual(t.local);
    await arrived;
    expect(toA).toEqual(Array.from({ length: n / 2 }, (_, i) => `out ${2 * i}`));
    expect(toB).toEqual(Array.from({ length: n / 2 }, (_, i) => `out ${2 * i + 1}`));
  });

  it('treats CRLF-only datagrams as keep-alives, not messages', async () => {
    const t = await udp('127.0.0.1');
    const messages = collect(t, 'message');
    const s = await rawUdp('udp4', '127.0.0.1');
    const ka = next(t, 'keepalive');
    s.send('\r\n\r\n', t.local.port, '127.0.0.1');
    const [remote, id] = await ka;
    expect(remote.port).toBe(s.address().port);
    expect(id).toBeUndefined();
    const m = next(t, 'message');
    s.send(rawOptions('127.0.0.1:1', 'after', 'UDP'), t.local.port, '127.0.0.1');
    await m;
    await settle();
    expect(messages.items).toHaveLength(1);
  });

  it('advertises an interface address when bound to an unspecified address, or the given host', async () => {
    const any = await udp('0.0.0.0');
    expect(any.advertisedHost).not.toBe('0.0.0.0');
    const named = await createUdpTransport({
      address: '127.0.0.1',
      port: 0,
      advertisedHost: 'sip.example.com',
    });
    opened.push(named);
    expect(named.advertisedHost).toBe('sip.example.com');
  });
});
