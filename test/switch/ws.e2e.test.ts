/**
 * A browser phone's path (RFC 7118): a switch started from YAML with a WebSocket
 * transport beside UDP, a phone that registers as 1003 over a WebSocket connection it
 * opened (it listens on nothing, like a browser), and a call from a UDP phone (1001) that
 * reaches it over that connection; the call is answered and both sides hang up cleanly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createSwitch, loadConfig } from '../../src/api/index.js';
import {
  createUdpTransport,
  createUserAgent,
  createWsTransport,
  type InviteSession,
  type UserAgent,
} from '../../src/sip/index.js';
import type { CallEndInfo, Switch } from '../../src/switch/index.js';
import { configText, until } from './real.js';

let sw: Switch;
let dir: string;
const uas: UserAgent[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strowger-ws-'));
  const text = configText().replace(
    '    - { type: tcp, address: 127.0.0.1, port: 0 }',
    '    - { type: ws, address: 127.0.0.1, port: 0 }',
  );
  const config = await loadConfig({ text, name: 'ws.yaml' }, { baseDir: dir });
  sw = await createSwitch(config, { logger: createLogger({ level: 'silent' }) });
});

afterAll(async () => {
  await Promise.allSettled(uas.map((u) => u.close()));
  await sw?.close();
  rmSync(dir, { recursive: true, force: true });
});

const media = (port: number) => ({
  address: '127.0.0.1',
  media: [{ port, codecs: [{ encodingName: 'PCMU', clockRate: 8000 }] }],
});

describe('a WebSocket phone', () => {
  it('registers over WS, is called from a UDP phone over the connection it opened, answers, hangs up', async () => {
    const udp = sw.addresses.find((a) => a.protocol === 'UDP');
    const ws = sw.addresses.find((a) => a.protocol === 'WS');
    expect(ws?.address).toBe('127.0.0.1');
    const browser = createUserAgent({
      transports: [await createWsTransport({ address: '127.0.0.1', port: 0, listen: false })],
      user: '1003',
      domain: '127.0.0.1',
      media: media(40_000),
      credentials: { username: '1003', password: 'demo1003' },
    });
    uas.push(browser);
    const rung: InviteSession[] = [];
    browser.on('INVITE', (s) => {
      rung.push(s);
      s.answer();
    });
    const reg = browser.register({
      aor: 'sip:1003@127.0.0.1',
      registrar: `sip:127.0.0.1:${ws?.port};transport=ws`,
      expires: 300,
    });
    await until(() => reg.state === 'registered', 5000, '1003 registered over WS');
    const [binding] = await sw.contacts('1003');
    expect(binding?.source?.transport.toUpperCase()).toBe('WS');

    const phone = createUserAgent({
      transports: [await createUdpTransport({ address: '127.0.0.1', port: 0 })],
      user: '1001',
      domain: '127.0.0.1',
      media: media(40_002),
      credentials: { username: '1001', password: 'demo1001' },
    });
    uas.push(phone);
    const ended = new Promise<CallEndInfo>((resolve) => sw.once('ended', (_c, info) => resolve(info)));
    const session = await phone.invite(`sip:1003@127.0.0.1:${udp?.port}`);
    expect(session.state).toBe('established');
    expect(rung).toHaveLength(1);
    expect(rung[0]?.request.getHeader('Via')).toContain('SIP/2.0/WS');
    // the switch anchored the media: each phone sees the switch's address, not the other phone's
    expect(session.negotiated?.streams[0]?.remotePort).not.toBe(40_000);
    expect(rung[0]?.negotiated?.streams[0]?.remotePort).not.toBe(40_002);
    // the browser hangs up
    await rung[0]?.bye();
    const info = await ended;
    expect(info.cdr).toMatchObject({
      caller: { number: '1001' },
      callee: { number: '1003' },
      disposition: 'answered',
      hangup: { by: 'callee' },
    });
    await until(() => session.state === 'terminated', 5000, 'the caller hung up');
    expect(sw.calls.size).toBe(0);
  });
});
