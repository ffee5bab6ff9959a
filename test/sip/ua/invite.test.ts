import { describe, expect, it } from 'vitest';
import { type InviteSession, SipResponseError } from '../../../src/sip/index.js';
import { makeNet } from './ua-helpers.js';

describe('UserAgent calls (loop network, fake clock)', () => {
  it('a call is set up with offer/answer, ACKed, and hung up with BYE', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    const bob = n.ua('10.0.0.2');
    let incoming: InviteSession | undefined;
    bob.on('INVITE', (s) => {
      incoming = s;
      s.ring();
      n.clock.setTimeout(() => s.answer(), 1000);
    });
    const call = alice.call('sip:bob@10.0.0.2');
    const events: string[] = [];
    call.on('ringing', () => events.push('ringing'));
    call.on('answered', () => events.push('answered'));
    await n.run(2000);
    const session = await call.established;
    expect(session.state).toBe('established');
    expect(events).toEqual(['ringing', 'answered']);
    expect(session.negotiated?.streams[0]?.codec?.encodingName).toBe('PCMU');
    expect(incoming?.state).toBe('established');
    expect(incoming?.negotiated?.streams[0]?.remotePort).toBe(40000);
    const ended: string[] = [];
    incoming?.on('ended', (e) => ended.push(e.reason));
    await Promise.all([session.bye(), n.run(100)]);
    expect(ended).toEqual(['remote-bye']);
    expect(session.endedInfo?.reason).toBe('local-bye');
    expect(n.trace()).toEqual(['INVITE', '180 INVITE', '200 INVITE', 'ACK', 'BYE', '200 BYE']);
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
    expect(alice.transactions.clientCount + bob.transactions.serverCount).toBe(0);
    expect(alice.dialogCount + bob.dialogCount).toBe(0);
  });

  it('a rejected call rejects with SipResponseError carrying status and response', async () => {
    const n = makeNet();
    const alice = n.ua('10.0.0.1');
    const bob = n.ua('10.0.0.2');
    bob.on('INVITE', (s) => s.reject(486));
    const p = alice.invite('sip:bob@10.0.0.2');
    const err = p.catch((e) => e);
    await n.run(100);
    const e = (await err) as SipResponseError;
    expect(e).toBeInstanceOf(SipResponseError);
    expect(e.code).toBe('ERR_SIP_RESPONSE');
    expect(e.status).toBe(486);
    expect(e.response?.status).toBe(486);
    await n.closeAll();
    expect(n.clock.pendingTimers).toBe(0);
  });
});
