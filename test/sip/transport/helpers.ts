/** Shared by the transport tests: certificates, event waits, leak checks, raw sockets, messages. */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import type { TypedEmitter } from '../../../src/core/index.js';
import { createRequest, type SipRequest } from '../../../src/sip/index.js';

export const FIXTURES = join(__dirname, '../../fixtures');
export const CERT_PATH = join(FIXTURES, 'tls/cert.pem');
export const KEY_PATH = join(FIXTURES, 'tls/key.pem');
export const CERT_PEM = readFileSync(CERT_PATH, 'utf8');
export const KEY_PEM = readFileSync(KEY_PATH, 'utf8');

export function rfc4475(name: string): Buffer {
  return readFileSync(join(FIXTURES, 'sip/rfc4475', `${name}.dat`));
}

/**
 * Resolves with the arguments of the next `event` that passes `filter`. A
 * guard rejects after `guardMs` of real time so that a missing event fails
 * the test with a message instead of hanging it; it is not a timing assertion.
 */
export function next<E extends { [K in keyof E]: unknown[] }, K extends keyof E>(
  emitter: TypedEmitter<E>,
  event: K,
  filter: (...args: E[K]) => boolean = () => true,
  guardMs = 5000,
): Promise<E[K]> {
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`no "${String(event)}" event within ${guardMs} ms`));
    }, guardMs);
    const on = (...args: E[K]) => {
      if (!filter(...args)) return;
      clearTimeout(guard);
      emitter.off(event, on);
      resolve(args);
    };
    emitter.on(event, on);
  });
}

/** Collects every `event` into an array; `wait(n)` resolves once n have arrived. */
export function collect<E extends { [K in keyof E]: unknown[] }, K extends keyof E>(
  emitter: TypedEmitter<E>,
  event: K,
) {
  const items: Array<E[K]> = [];
  let waiters: Array<{ n: number; resolve: () => void }> = [];
  emitter.on(event, (...args: E[K]) => {
    items.push(args);
    waiters = waiters.filter((w) => {
      if (items.length >= w.n) w.resolve();
      return items.length < w.n;
    });
  });
  return {
    items,
    wait(n: number, guardMs = 5000): Promise<void> {
      if (items.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const guard = setTimeout(
          () =>
            reject(new Error(`only ${items.length} of ${n} "${String(event)}" events within ${guardMs} ms`)),
          guardMs,
        );
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(guard);
            resolve();
          },
        });
      });
    },
  };
}

const SOCKET_RESOURCES = ['TCPSocketWrap', 'TCPServerWrap', 'UDPWrap', 'TLSWrap', 'PipeWrap'];

/** Counts of the open socket handles of this process, by kind. */
export function socketHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) {
    if (SOCKET_RESOURCES.includes(r)) counts[r] = (counts[r] ?? 0) + 1;
  }
  return counts;
}

/** Lets I/O callbacks run (closing handles are released on a later turn of the loop). */
export async function settle(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}

/** A plain TCP client socket, connected. */
export function rawConnect(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Everything a raw socket receives until it closes. */
export function readAll(socket: Socket): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

let seq = 0;

/** An OPTIONS request with a placeholder Via for the transport layer to stamp. */
export function optionsRequest(uri = 'sip:b@127.0.0.1', callId = `call-${++seq}@test`): SipRequest {
  return createRequest({
    method: 'OPTIONS',
    uri,
    from: '<sip:a@example.test>;tag=1',
    to: `<${uri}>`,
    callId,
    cseq: 1,
    via: [`SIP/2.0/UDP placeholder.invalid;branch=z9hG4bK${seq}x`],
  });
}

/** Raw OPTIONS bytes with the given top Via sent-by and Call-ID. */
export function rawOptions(sentBy: string, callId: string, transport = 'TCP', body = ''): string {
  return [
    'OPTIONS sip:b@127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/${transport} ${sentBy};branch=z9hG4bK-${callId}`,
    'Max-Forwards: 70',
    'From: <sip:a@example.test>;tag=1',
    'To: <sip:b@127.0.0.1>',
    `Call-ID: ${callId}`,
    'CSeq: 1 OPTIONS',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

/**
 * Registers hooks that fail the file when it leaves a socket open: the
 * socket handles after all its tests (and their afterEach closes) must be
 * those from before.
 */
export function checkNoLeaks(hooks: {
  beforeAll(fn: () => Promise<void>): void;
  afterAll(fn: () => Promise<void>): void;
}): void {
  let before: Record<string, number> = {};
  hooks.beforeAll(async () => {
    await settle();
    before = socketHandles();
  });
  hooks.afterAll(async () => {
    await settle(5);
    const after = socketHandles();
    if (JSON.stringify(after) !== JSON.stringify(before))
      throw new Error(`sockets left open: before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`);
  });
}
