/**
 * The UAS core checks of RFC 3261 §8.2 in order, the default OPTIONS answer,
 * MESSAGE in and out, authentication of incoming requests, and close():
 * sessions ended, nothing left behind.
 */
import { describe, expect, it } from 'vitest';
import { createDigestAuthenticator, type SipResponse } from '../../../src/sip/index.js';
import { makeNet } from './ua-helpers.js';

describe('UAS core (RFC 3261 §8.2)', () => {
  it('answers 405 with Allow, 501, 416, 420 with Unsupported, 481, 415 with Accept, 406', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    const bob = n.ua('10.0.0.2');
    bob.on('INVITE', (s) => s.answer());
    const req = async (method: string, uri: string, options: Parameters<typeof alice.request>[2] = {}) => {
      const [r] = await Promise.all([alice.request(method, uri, options), n.run(50)]);
      return r as SipResponse;
    };
    const r405 = await req('MESSAGE', 'sip:bob@10.0.0.2', { body: 'hi' });
    expect(r405.status).toBe(405);
    expect(r405.allow).toContain('INVITE');
    expect(r405.allow).not.toContain('MESSAGE');
    expect((await req('FOO', 'sip:bob@10.0.0.2')).status).toBe(501);
    const r420 = await req('OPTIONS', 'sip:bob@10.0.0.2', { headers: [['Require', 'foo, 100rel, bar']] });
    expect(r420.status).toBe(420);
    expect(r420.unsupported).toEqual(['foo', 'bar']);
    expect((await req('BYE', 'sip:bob@10.0.0.2')).status).toBe(481);
    expect((await req('INFO', 'sip:bob@10.0.0.2', { to: '<sip:bob@10.0.0.2>;tag=nothere' })).status).toBe(
      481,
    );
    const opts = await req('OPTIONS', 'sip:bob@10.0.0.2');
    expect(opts.status).toBe(200);
    expect(opts.getHeader('Accept')).toBe('application/sdp');
    expect(opts.supported).toEqual(['100rel', 'timer', 'replaces', 'norefersub']);
    // 416: a Request-URI scheme we do not serve (sent raw: our own request() refuses to route it)
    const raw = (bytes: string) =>
      n.net
        .createTransport({ address: '10.0.0.9', port: 5060 })
        .send(new TextEncoder().encode(bytes), { address: '10.0.0.2', port: 5060 });
    const lines = (first: string, extra: string[] = [], body = '') =>
      [
        first,
        'Via: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKraw1',
        'From: <sip:x@10.0.0.9>;tag=1',
        'To: <sip:bob@10.0.0.2>',
        'Call-ID: raw-1',
        `CSeq: 1 ${first.split(' ')[0]}`,
        'Contact: <sip:x@10.0.0.9>',
        ...extra,
        `Content-Length: ${body.length}`,
        '',
        body,
      ].join('\r\n');
    await raw(lines('OPTIONS urn:foo:bar SIP/2.0'));
    await n.run(20);
    const last = () => n.messages().at(-1)?.m as SipResponse;
    expect(last().status).toBe(416);
    await n.closeAll();
  });

  it('415 with Accept for an INVITE body it cannot read, 406 when the caller accepts no SDP', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    const bob = n.ua('10.0.0.2');
    bob.on('INVITE', (s) => s.answer());
    const peer = n.net.createTransport({ address: '10.0.0.9', port: 5060 });
    await peer.send(
      new TextEncoder().encode(
        [
          'INVITE sip:bob@10.0.0.2 SIP/2.0',
          'Via: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKraw415',
          'From: <sip:x@10.0.0.9>;tag=1',
          'To: <sip:bob@10.0.0.2>',
          'Call-ID: raw-415',
          'CSeq: 1 INVITE',
          'Contact: <sip:x@10.0.0.9>',
          'Content-Type: text/weird',
          'Content-Length: 5',
          '',
          'hello',
        ].join('\r\n'),
      ),
      { address: '10.0.0.2', port: 5060 },
    );
    await n.run(20);
    const r415 = n.messages().at(-1)?.m as SipResponse;
    expect(r415.status).toBe(415);
    expect(r415.getHeader('Accept')).toBe('application/sdp');
    const [e406] = await Promise.all([
      alice.invite('sip:bob@10.0.0.2', { headers: [['Accept', 'text/nothing']] }).catch((e) => e),
      n.run(50),
    ]);
    expect(e406.status).toBe(406);
    expect(e406.response.getHeader('Accept')).toBe('application/sdp');
    await n.closeAll();
  });

  it('MESSAGE in and out; authentication challenges a MESSAGE once and accepts the answer', async () => {
    const n = makeNet();
    const auth = createDigestAuthenticator({
      realm: 'pbx',
      secret: 'sixteen or more bytes of secret',
      clock: n.clock,
      lookup: (u) => (u === 'alice' ? { password: 'pw' } : undefined),
    });
    const bob = n.ua('10.0.0.2', { auth: { authenticator: auth } });
    const got: string[] = [];
    bob.on('MESSAGE', (m) => {
      got.push(`${m.user}: ${m.body}`);
      m.respond(200);
    });
    const alice = n.ua('10.0.0.1', { credentials: { username: 'alice', password: 'pw', realm: 'pbx' } });
    const [r] = await Promise.all([alice.message('sip:bob@10.0.0.2', 'hello'), n.run(50)]);
    expect(r.status).toBe(200);
    expect(got).toEqual(['alice: hello']);
    expect(n.trace()).toEqual(['MESSAGE', '401 MESSAGE', 'MESSAGE', '200 MESSAGE']);
    await n.closeAll();
  });

  it('close() ends calls with BYE (and CANCEL while ringing) and leaves no timer, transaction or dialog', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    const bob = n.ua('10.0.0.2');
    let first = true;
    bob.on('INVITE', (s) => {
      if (first) s.answer();
      else s.ring();
      first = false;
    });
    const [a] = await Promise.all([alice.invite('sip:bob@10.0.0.2'), n.run(50)]);
    const ringing = alice.call('sip:bob@10.0.0.2');
    ringing.established.catch(() => undefined);
    await n.run(50);
    const ended: string[] = [];
    a.on('ended', (e) => ended.push(e.reason));
    ringing.on('ended', (e) => ended.push(e.reason));
    const closing = alice.close();
    await n.run(100);
    await closing;
    expect(ended.sort()).toEqual(['cancelled', 'closed']);
    expect(n.trace()).toContain('BYE');
    expect(n.trace()).toContain('CANCEL');
    expect(alice.closed).toBe(true);
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
    expect(bob.transactions.serverCount + bob.transactions.clientCount).toBe(0);
    expect(alice.dialogCount + bob.dialogCount).toBe(0);
    expect(alice.sessions.size + bob.sessions.size).toBe(0);
  });
});

describe('ua.register()', () => {
  it('keeps a registration with a registrar UA through its own client transactions, answering the challenge', async () => {
    const { MemoryLocationStore, Registrar } = await import('../../../src/sip/index.js');
    const n = makeNet();
    const auth = createDigestAuthenticator({
      realm: '10.0.0.2',
      secret: 'sixteen or more bytes of secret',
      clock: n.clock,
      lookup: (u) => (u === 'alice' ? { password: 'pw' } : undefined),
    });
    const registrar = new Registrar({
      store: new MemoryLocationStore({ clock: n.clock }),
      clock: n.clock,
      authenticator: auth,
    });
    n.ua('10.0.0.2', { registrar });
    const alice = n.ua('10.0.0.1', { user: 'alice', credentials: { username: 'alice', password: 'pw' } });
    const reg = alice.register({ aor: 'sip:alice@10.0.0.2', registrar: 'sip:10.0.0.2', expires: 600 });
    const registered: number[] = [];
    reg.on('registered', (i) => registered.push(i.expires));
    await n.run(100);
    expect(registered).toEqual([600]);
    const bindings = await registrar.lookup('sip:alice@10.0.0.2');
    expect(bindings.map((b) => b.uri)).toEqual(['sip:alice@10.0.0.1:5060']);
    expect(n.trace().slice(0, 4)).toEqual(['REGISTER', '401 REGISTER', 'REGISTER', '200 REGISTER']);
    const closing = alice.close(); // unregisters (Expires: 0) before closing
    await n.run(100);
    await closing;
    expect(await registrar.lookup('sip:alice@10.0.0.2')).toEqual([]);
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
  });
});
