/**
 * Over real TCP: a caller whose Contact cannot be reached (a phone behind NAT,
 * a client-only TCP transport) still gets in-dialog requests, because the
 * dialog sends them over the connection its INVITE came in on.
 */
import { describe, expect, it } from 'vitest';
import { createTcpTransport, createUserAgent, type InviteSession } from '../../../src/sip/index.js';

describe('dialog flows over TCP', () => {
  it("the callee's BYE reaches a caller with an unreachable Contact over the caller's connection", async () => {
    const server = await createTcpTransport({ address: '127.0.0.1', port: 0 });
    const bob = createUserAgent({ transports: [server] });
    const client = await createTcpTransport({ address: '127.0.0.1', listen: false });
    // a Contact nobody listens on (the transport layer refuses non-loopback hosts from a loopback bind)
    const alice = createUserAgent({ transports: [client], host: '127.0.0.99' });
    try {
      let incoming: InviteSession | undefined;
      bob.on('INVITE', (s) => {
        incoming = s;
        s.answer(
          'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n',
        );
      });
      const a = await alice.invite(`sip:bob@127.0.0.1:${server.local.port};transport=tcp`, {
        sdp: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n',
      });
      expect(a.request.contacts[0]?.uri.toString()).toContain('127.0.0.99');
      const ended = new Promise((r) => a.once('ended', r));
      await incoming?.bye();
      expect(await ended).toMatchObject({ reason: 'remote-bye' });
    } finally {
      await Promise.all([alice.close({ timeoutMs: 200 }), bob.close({ timeoutMs: 200 })]);
    }
  }, 20_000);
});
